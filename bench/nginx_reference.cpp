#include "nginx_reference.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "load_support.h"

namespace offerledger::bench {

namespace fs = std::filesystem;

namespace {

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string Conf(const fs::path& dir, std::uint16_t port) {
  const std::string d = dir.string();
  return "# Written by http_bench: the reference server of the HTTP benchmark.\n"
         "worker_processes 1;\n"
         "daemon off;\n"
         "pid " +
         d +
         "/nginx.pid;\n"
         "error_log " +
         d +
         "/error.log warn;\n"
         "events { worker_connections 1024; }\n"
         "http {\n"
         "  access_log off;\n"
         // wrk's connections must stay open for the whole run (default: 1000 requests).
         "  keepalive_requests 1000000000;\n"
         "  keepalive_timeout 300s;\n"
         "  client_body_temp_path " +
         d +
         "/tmp/body;\n"
         "  proxy_temp_path " +
         d +
         "/tmp/proxy;\n"
         "  fastcgi_temp_path " +
         d +
         "/tmp/fastcgi;\n"
         "  uwsgi_temp_path " +
         d +
         "/tmp/uwsgi;\n"
         "  scgi_temp_path " +
         d +
         "/tmp/scgi;\n"
         "  server {\n"
         "    listen 127.0.0.1:" +
         std::to_string(port) +
         ";\n"
         "    location / { return 204; }\n"
         "  }\n"
         "}\n";
}

}  // namespace

std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket() failed");
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    Die("cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

bool CanConnect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a = Loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

double NginxReference::CpuSeconds() const { return pid_ > 0 ? ProcessTreeCpuSeconds(pid_) : 0; }

NginxReference::NginxReference(const std::string& nginx, const fs::path& dir) {
  fs::create_directories(dir / "tmp");
  {
    const pid_t v = Spawn({nginx, "-v"}, dir / "version.out", dir / "version.err");
    WaitFor(v, std::chrono::seconds(10));
    version_ = ReadFile(dir / "version.err");  // nginx prints its version on stderr
    while (!version_.empty() && (version_.back() == '\n' || version_.back() == '\r')) {
      version_.pop_back();
    }
    // "nginx version: nginx/1.22.1" -> "nginx/1.22.1"
    if (const std::size_t at = version_.rfind(' '); at != std::string::npos) {
      version_ = version_.substr(at + 1);
    }
  }
  // The port is free when chosen, and taken by nginx a moment later; another
  // process may take it in between, hence a few attempts.
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = FreePort();
    std::ofstream(dir / "nginx.conf") << Conf(dir, port_);
    SpawnOptions options;
    options.new_process_group = true;
    const pid_t pid = Spawn({nginx, "-c", (dir / "nginx.conf").string(), "-p", dir.string() + "/",
                             "-e", (dir / "error.log").string()},
                            dir / "nginx.out", dir / "nginx.err", options);
    RegisterChildGroup(pid);
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
      if (auto rc = WaitFor(pid, std::chrono::milliseconds(0))) {
        ForgetChild(pid);
        break;  // exited: most likely the port was taken; try another
      }
      if (CanConnect(port_)) {
        pid_ = pid;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ < 0 && WaitFor(pid, std::chrono::milliseconds(0)) == std::nullopt) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ForgetChild(pid);
    }
  }
  if (pid_ < 0) {
    Die("nginx did not start (" + nginx + "): " + ReadFile(dir / "nginx.err") +
        ReadFile(dir / "error.log"));
  }
}

NginxReference::~NginxReference() { Stop(); }

void NginxReference::Stop() {
  if (pid_ <= 0) return;
  // The master of a graceful stop exits after its worker.
  ::kill(pid_, SIGQUIT);
  if (!WaitFor(pid_, std::chrono::seconds(5))) {
    ::kill(-pid_, SIGKILL);  // the group: the worker would outlive a killed master
    ::waitpid(pid_, nullptr, 0);
  }
  ForgetChild(pid_);
  pid_ = -1;
}

}  // namespace offerledger::bench
