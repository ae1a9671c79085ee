#include "startup_timing.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "load_support.h"

namespace offerledger::bench {

namespace fs = std::filesystem;

void TimeStart(const std::string& bin, const fs::path& db, const fs::path& dir, int k,
               StartupResult& r) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) Die("pipe2 failed");
  SpawnOptions spawn;
  spawn.stdout_fd = fds[1];
  const fs::path err = dir / ("startup-" + std::to_string(k) + ".err");
  const auto t0 = Clock::now();
  const pid_t pid =
      Spawn({bin, "serve", "--listen", std::string(kHost) + ":0", "--db", "sqlite:" + db.string()},
            dir / "unused.out", err, spawn);
  RegisterChild(pid);
  ::close(fds[1]);
  std::string line;
  bool eof = false;
  const auto deadline = t0 + std::chrono::seconds(20);
  while (line.find('\n') == std::string::npos && !eof) {
    pollfd p{fds[0], POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      Die("start-up: `serve` printed no line within 20 s: " + ReadFile(err));
    }
    char buf[512];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      eof = true;
    else
      line.append(buf, static_cast<std::size_t>(n));
  }
  const auto t_line = Clock::now();
  if (eof) Die("start-up: `serve` exited before its first line: " + ReadFile(err));
  // The rest of its stdout (the "stopped" line) is read, so it never blocks on a full pipe.
  std::thread drain([fd = fds[0]] {
    char buf[512];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  });
  const std::string marker = "listening on http://" + std::string(kHost) + ":";
  const std::size_t at = line.find(marker);
  const int port = at == std::string::npos ? 0 : std::atoi(line.c_str() + at + marker.size());
  if (port <= 0) Die("start-up: no port in `serve`'s first line: " + line);
  while (HttpGetStatus(static_cast<std::uint16_t>(port), "/healthz") != 200) {
    if (Clock::now() >= deadline) Die("start-up: /healthz never answered 200");
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const auto t_healthy = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // idle: after its start-up work
  r.first_line_ms.push_back(Seconds(t_line - t0) * 1e3);
  r.healthy_ms.push_back(Seconds(t_healthy - t0) * 1e3);
  r.idle_rss_kb.push_back(static_cast<double>(ProcStatusKb(pid, "VmRSS")));
  ::kill(pid, SIGTERM);
  const auto rc = WaitFor(pid, std::chrono::seconds(20));
  if (!rc) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ForgetChild(pid);
  drain.join();
  if (!rc || *rc != 0) {
    r.errors.push_back("start-up run " + std::to_string(k) + ": `serve` exited with " +
                       ExitText(rc) + " on SIGTERM; its stderr: " + ReadFile(err));
  }
}

}  // namespace offerledger::bench
