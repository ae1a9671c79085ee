#include "load_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include <sqlite3.h>
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "auth/hmac.h"
#include "auth/http_date.h"
#include "auth/signer.h"
#include "common/time.h"

extern char** environ;

namespace offerledger::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ================================================================ failing

namespace {

struct DieState {
  std::mutex mu;
  std::string program = "bench";
  std::function<void()> hook;
  std::set<pid_t> children;
  std::set<pid_t> groups;  // children leading their own process group
};

DieState& State() {
  static DieState* s = new DieState;  // never destroyed: Die() may run at exit
  return *s;
}

std::atomic<bool> g_dying{false};

}  // namespace

void WaitIfDying() {
  if (g_dying.load()) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void SetProgramName(std::string name) {
  std::lock_guard lock(State().mu);
  State().program = std::move(name);
  static const bool registered = std::atexit(WaitIfDying) == 0;
  (void)registered;
}

void SetAtDie(std::function<void()> hook) {
  std::lock_guard lock(State().mu);
  State().hook = std::move(hook);
}

void RegisterChild(pid_t pid) {
  std::lock_guard lock(State().mu);
  State().children.insert(pid);
}

void ForgetChild(pid_t pid) {
  std::lock_guard lock(State().mu);
  State().children.erase(pid);
  State().groups.erase(pid);
}

void RegisterChildGroup(pid_t pid) {
  std::lock_guard lock(State().mu);
  State().children.insert(pid);
  State().groups.insert(pid);
}

void KillChildren() {
  std::set<pid_t> children;
  std::set<pid_t> groups;
  {
    std::lock_guard lock(State().mu);
    children.swap(State().children);
    groups.swap(State().groups);
  }
  for (const pid_t pid : children) ::kill(groups.count(pid) != 0 ? -pid : pid, SIGKILL);
  for (const pid_t pid : children) ::waitpid(pid, nullptr, 0);
}

void Die(const std::string& msg) {
  std::string program;
  std::function<void()> hook;
  {
    std::lock_guard lock(State().mu);
    program = State().program;
    hook = State().hook;
  }
  if (g_dying.exchange(true)) {
    // Another thread is already cleaning up (its cause came first); it exits.
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::cerr << program << ": " << msg << std::endl;
  // Other threads may still print (a run failing as its server is killed):
  // that output would only mislead, so it goes to /dev/null from here on.
  std::fflush(stdout);
  if (const int null = ::open("/dev/null", O_WRONLY); null >= 0) ::dup2(null, STDOUT_FILENO);
  KillChildren();
  if (hook) hook();
  // Other threads may still be running: no static destructors.
  std::fflush(nullptr);
  std::_Exit(1);
}

// ================================================================ processes

namespace {

// User + system time of a getrusage/wait4 record, in seconds.
double CpuSeconds(const rusage& ru) {
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

int DecodeWaitStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return -WTERMSIG(st);
  return -1000;
}

}  // namespace

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  return Spawn(args, out, err, SpawnOptions{});
}

pid_t Spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err,
            const SpawnOptions& options) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (options.stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, options.stdout_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // A caller that waits for Ctrl-C with sigwait() blocks those signals; the
  // child must not inherit that (a server would then ignore SIGTERM).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  short flags = POSIX_SPAWN_SETSIGMASK;
  if (options.new_process_group) {
    posix_spawnattr_setpgroup(&attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&attr, flags);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment: this process's, with options.env added or replacing.
  std::vector<std::string> env_copy;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(options.env.begin(), options.env.end(), [&](const auto& x) {
      const std::size_t eq = x.find('=');
      return entry.substr(0, entry.find('=')) == std::string_view(x).substr(0, eq);
    });
    if (!replaced) env_copy.emplace_back(entry);
  }
  env_copy.insert(env_copy.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) Die("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout, double* cpu_seconds) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    rusage usage{};
    const pid_t r = ::wait4(pid, &st, WNOHANG, &usage);
    if (r == pid) {
      if (cpu_seconds != nullptr) *cpu_seconds = CpuSeconds(usage);
      return DecodeWaitStatus(st);
    }
    if (r < 0) return -1000;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ExitText(std::optional<int> rc) {
  if (!rc) return "none (killed: no exit in time)";
  if (*rc >= 0) return std::to_string(*rc);
  return "signal " + std::to_string(-*rc) + " (" + strsignal(-*rc) + ")";
}

std::int64_t ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size() + 1, field + ":") == 0) {
      return std::strtoll(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

bool ResetPeakRss(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

int HttpGetStatus(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                            "\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[64];
      std::string head;
      ssize_t n;
      while (head.find("\r\n") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
        head.append(buf, static_cast<std::size_t>(n));
      }
      // "HTTP/1.1 200 OK"
      if (head.compare(0, 5, "HTTP/") == 0 && head.find(' ') != std::string::npos) {
        status = std::atoi(head.c_str() + head.find(' ') + 1);
      }
    }
  }
  ::close(fd);
  return status;
}

std::string Thousands(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

Credentials AddPartner(const std::string& bin, const fs::path& dir, const std::string& db_url) {
  const pid_t pid = Spawn({bin, "partner", "add", std::string(kPartner), "--db", db_url, "--json"},
                          dir / "partner.out", dir / "partner.err");
  const auto rc = WaitFor(pid, std::chrono::seconds(30));
  if (!rc) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    Die("`offerledger partner add` did not finish within 30 s");
  }
  const std::string out = ReadFile(dir / "partner.out");
  if (*rc != 0) {
    Die("`offerledger partner add` exited with " + std::to_string(*rc) + ": " +
        ReadFile(dir / "partner.err"));
  }
  try {
    const json::object o = json::parse(out).as_object();
    return {std::string(o.at("api_key").as_string()), std::string(o.at("api_secret").as_string())};
  } catch (const std::exception& e) {
    Die("cannot read the credentials printed by `partner add --json` (" + std::string(e.what()) +
        "): " + out);
  }
}

WorkDir::WorkDir(const std::string& dir, bool keep) {
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/offerledger-bench-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) Die("mkdtemp failed");
    path_ = templ;
    remove_ = !keep;
  } else {
    path_ = dir;
    fs::create_directories(path_);
  }
}

WorkDir::~WorkDir() {
  std::error_code ec;
  if (remove_) fs::remove_all(path_, ec);
}

// ================================================================ the server

Server::Server(const std::string& bin, const fs::path& dir, const std::string& db_url,
               const std::vector<std::string>& extra, const std::string& name)
    : out_(dir / (name + ".out")), err_(dir / (name + ".err")) {
  std::vector<std::string> args{bin,    "serve", "--listen", std::string(kHost) + ":0",
                                "--db", db_url};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = Spawn(args, out_, err_);
  RegisterChild(pid_);
  // "offerledger: listening on http://127.0.0.1:PORT (...)"
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  std::string text;
  while ((text = ReadFile(out_)).find('\n') == std::string::npos) {
    if (auto rc = WaitFor(pid_, std::chrono::milliseconds(0))) {
      ForgetChild(pid_);
      pid_ = -1;
      Die("the server exited with " + std::to_string(*rc) + " before listening: " + ReadFile(err_));
    }
    if (Clock::now() >= deadline) Die("the server printed no first line within 10 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  first_line_ = text.substr(0, text.find('\n'));
  const std::string marker = "listening on http://" + std::string(kHost) + ":";
  const std::size_t at = first_line_.find(marker);
  if (at == std::string::npos) Die("unexpected first line from the server: " + first_line_);
  port_ = static_cast<std::uint16_t>(std::atoi(first_line_.c_str() + at + marker.size()));
  if (port_ == 0) Die("no port in the server's first line: " + first_line_);
}

Server::~Server() {
  if (pid_ > 0) Kill();
}

std::optional<int> Server::Terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  ::kill(pid_, SIGTERM);
  auto rc = WaitFor(pid_, timeout);
  if (rc) {
    ForgetChild(pid_);
    pid_ = -1;
  }
  return rc;
}

void Server::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  ForgetChild(pid_);
  pid_ = -1;
}

// ================================================================ the client

Connection::Connection(std::uint16_t port, Credentials creds)
    : endpoint_(asio::ip::make_address(kHost), port),
      host_(std::string(kHost) + ":" + std::to_string(port)),
      creds_(std::move(creds)) {}

int Connection::Post(const std::string& target, std::string_view body, std::string& response_body,
                     std::string& error, Clock::duration& latency) {
  const std::string date = FormatHttpDate(NowMicros());
  const std::string auth = BuildAuthorization(
      creds_.api_key, creds_.api_secret, Algorithm::kHmacSha512, {"(request-target)", "date"},
      "POST", target, [&](std::string_view name) -> std::optional<std::string_view> {
        if (name == "date") return date;
        return std::nullopt;
      });
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host_);
  req.set(http::field::date, date);
  req.set(http::field::authorization, auth);
  req.set(http::field::user_agent, "offerledger-optout-load");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::string(body);
  req.keep_alive(true);
  req.prepare_payload();

  const auto t0 = Clock::now();
  beast::error_code ec;
  if (!socket_ || !socket_->is_open()) {
    Reconnect(ec);
    if (ec) {
      error = "connect: " + ec.message();
      return -1;
    }
  }
  http::write(*socket_, req, ec);
  if (ec) {
    Close();
    error = "write: " + ec.message();
    return -1;
  }
  http::response<http::string_body> res;
  http::read(*socket_, buffer_, res, ec);
  latency = Clock::now() - t0;
  if (ec) {
    Close();
    error = "read: " + ec.message();
    return -1;
  }
  if (!res.keep_alive()) Close();
  response_body = std::move(res.body());
  return static_cast<int>(res.result_int());
}

void Connection::Reconnect(beast::error_code& ec) {
  Close();
  socket_.emplace(ioc_);
  socket_->connect(endpoint_, ec);
  if (!ec) socket_->set_option(tcp::no_delay(true), ec);
}

void Connection::Close() {
  if (socket_) {
    beast::error_code ignored;
    socket_->shutdown(tcp::socket::shutdown_both, ignored);
    socket_->close(ignored);
    socket_.reset();
  }
  buffer_.clear();
}

// ================================================================ runs

namespace {

struct Errors {
  std::mutex mu;
  std::map<std::string, int> counts;
  void Add(std::string what) {
    if (what.size() > 160) what = what.substr(0, 160) + "...";
    std::lock_guard lock(mu);
    ++counts[std::move(what)];
  }
  int total() {
    std::lock_guard lock(mu);
    int n = 0;
    for (const auto& [k, v] : counts) n += v;
    return n;
  }
};

double PercentileMs(const std::vector<Clock::duration>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return Seconds(sorted[rank - 1]) * 1e3;
}

double ServersCpuSeconds(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (const pid_t pid : pids) sum += ProcessCpuSeconds(pid);
  return sum;
}

}  // namespace

double ProcessTreeCpuSeconds(pid_t pid) {
  double sum = ProcessCpuSeconds(pid);
  const std::string p = std::to_string(pid);
  std::ifstream in("/proc/" + p + "/task/" + p + "/children");
  pid_t child = 0;
  while (in >> child) sum += ProcessCpuSeconds(child);
  return sum;
}

double ProcessCpuSeconds(pid_t pid, bool children) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string f;
  unsigned long long ticks = 0;
  const int last = children ? 17 : 15;
  for (int i = 3; i <= last && (fields >> f); ++i) {  // field 3 is the state
    // 14 utime, 15 stime, 16 cutime, 17 cstime.
    if (i >= 14) ticks += std::stoull(f);
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return CpuSeconds(ru);
}

RunResult RunLoad(const std::string& name, int connections, std::size_t items, double limit_s,
                  const std::vector<std::uint16_t>& ports, const std::vector<pid_t>& server_pids,
                  const Credentials& creds, const RequestFn& one) {
  RunResult r;
  r.name = name;
  r.connections = connections;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> ok{0};
  std::atomic<bool> timed_out{false};
  Errors errors;
  std::vector<std::vector<Clock::duration>> lat(static_cast<std::size_t>(connections));
  for (auto& v : lat) v.reserve(items / static_cast<std::size_t>(connections) + 16);

  const double server_cpu0 = ServersCpuSeconds(server_pids);
  const double client_cpu0 = SelfCpuSeconds();
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limit_s));
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      Connection conn(ports[static_cast<std::size_t>(t) % ports.size()], creds);
      auto& mine = lat[static_cast<std::size_t>(t)];
      for (;;) {
        if (Clock::now() >= deadline) {
          timed_out = true;
          return;
        }
        const std::size_t i = next.fetch_add(1);
        if (i >= items) return;
        Clock::duration latency{};
        std::string error;
        if (one(conn, i, latency, error)) {
          ok.fetch_add(1);
          mine.push_back(latency);
        } else {
          errors.Add(error);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  r.seconds = Seconds(Clock::now() - start);
  const double server_cpu = ServersCpuSeconds(server_pids) - server_cpu0;
  const double client_cpu = SelfCpuSeconds() - client_cpu0;
  r.attempted = std::min(next.load(), items);
  r.ok = ok.load();
  r.error_counts = errors.counts;
  r.errors = static_cast<std::size_t>(errors.total());
  r.stopped_by_time = timed_out.load() && r.attempted < items;
  r.rps = r.seconds > 0 ? static_cast<double>(r.ok) / r.seconds : 0;
  if (r.ok > 0) {
    r.server_cpu_us = server_cpu / static_cast<double>(r.ok) * 1e6;
    r.client_cpu_us = client_cpu / static_cast<double>(r.ok) * 1e6;
  }
  std::vector<Clock::duration> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  r.p50_ms = PercentileMs(all, 0.50);
  r.p99_ms = PercentileMs(all, 0.99);
  r.p999_ms = PercentileMs(all, 0.999);
  r.max_ms = all.empty() ? 0 : Seconds(all.back()) * 1e3;
  double sum = 0;
  for (auto d : all) sum += Seconds(d);
  r.mean_ms = all.empty() ? 0 : sum / static_cast<double>(all.size()) * 1e3;
  return r;
}

RunResult CreatePackages(const std::string& name, int connections, std::size_t count,
                         double limit_s, const std::vector<std::uint16_t>& ports,
                         const std::vector<pid_t>& server_pids, const Credentials& creds,
                         std::vector<std::string>& ids) {
  std::vector<std::string> slots(count);
  std::vector<char> created(count, 0);
  const std::string target = "/x/partners/" + std::string(kPartner) + "/quotes/";
  RunResult r =
      RunLoad(name, connections, count, limit_s, ports, server_pids, creds,
              [&](Connection& c, std::size_t i, Clock::duration& latency, std::string& error) {
                std::string body;
                const int status = c.Post(target, kQuoteBody, body, error, latency);
                if (status != 201) {
                  if (status > 0) error = "status " + std::to_string(status) + ": " + body;
                  return false;
                }
                try {
                  slots[i] = std::string(json::parse(body).as_object().at("id").as_string());
                } catch (const std::exception& e) {
                  error = std::string("no package id in the 201 body: ") + e.what();
                  return false;
                }
                created[i] = 1;
                return true;
              });
  ids.clear();
  for (std::size_t i = 0; i < count; ++i) {
    if (created[i] != 0) ids.push_back(std::move(slots[i]));
  }
  return r;
}

RunResult OptOutPackages(const std::string& name, int connections, std::span<const std::string> ids,
                         double limit_s, const std::vector<std::uint16_t>& ports,
                         const std::vector<pid_t>& server_pids, const Credentials& creds,
                         std::span<char> tried, std::span<char> acked) {
  const std::string prefix = "/x/partners/" + std::string(kPartner) + "/bookings/";
  return RunLoad(name, connections, ids.size(), limit_s, ports, server_pids, creds,
                 [&](Connection& c, std::size_t i, Clock::duration& latency, std::string& error) {
                   const std::string target = prefix + ids[i] + "/opt_out";
                   tried[i] = 1;
                   std::string body;
                   const int status = c.Post(target, "", body, error, latency);
                   if (status != 204) {
                     if (status > 0) error = "status " + std::to_string(status) + ": " + body;
                     return false;
                   }
                   acked[i] = 1;
                   return true;
                 });
}

void PrintRun(const RunResult& r) {
  std::printf(
      "  %-22s %3d conn  %6zu ok / %6zu sent in %6.2f s  %8.1f req/s   "
      "p50 %6.2f ms  p99 %6.2f ms  p99.9 %6.2f ms  max %6.2f ms   "
      "cpu/req: server %4.0f us, client %4.0f us%s\n",
      r.name.c_str(), r.connections, r.ok, r.attempted, r.seconds, r.rps, r.p50_ms, r.p99_ms,
      r.p999_ms, r.max_ms, r.server_cpu_us, r.client_cpu_us,
      r.stopped_by_time ? "  (time limit)" : "");
  for (const auto& [what, n] : r.error_counts) {
    std::printf("      error x%d: %s\n", n, what.c_str());
  }
  std::fflush(stdout);
}

json::object RunJson(const RunResult& r) {
  json::object o;
  o["name"] = r.name;
  o["connections"] = r.connections;
  o["sent"] = r.attempted;
  o["ok"] = r.ok;
  o["errors"] = r.errors;
  o["seconds"] = r.seconds;
  o["requests_per_second"] = r.rps;
  o["latency_ms"] = json::object{{"mean", r.mean_ms},
                                 {"p50", r.p50_ms},
                                 {"p99", r.p99_ms},
                                 {"p99.9", r.p999_ms},
                                 {"max", r.max_ms}};
  o["stopped_by_time_limit"] = r.stopped_by_time;
  o["server_cpu_us_per_request"] = r.server_cpu_us;
  o["client_cpu_us_per_request"] = r.client_cpu_us;
  json::object errs;
  for (const auto& [what, n] : r.error_counts) errs[what] = n;
  o["error_kinds"] = std::move(errs);
  return o;
}

void WriteJsonFile(const std::string& path, const json::object& doc) {
  std::error_code ec;
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream f(path);
  f << json::serialize(doc) << "\n";
  if (!f) std::fprintf(stderr, "%s: cannot write %s\n", State().program.c_str(), path.c_str());
}

Watchdog::Watchdog(double limit_s, std::function<void()> on_fire) {
  thread_ = std::thread([this, limit_s, fire = std::move(on_fire)] {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::duration<double>(limit_s), [&] { return done_; })) {
      lock.unlock();
      fire();
    }
  });
}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Stop() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// ================================================================ exactness

LedgerCounts ReadSqliteLedger(const fs::path& db_path) {
  LedgerCounts c;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    c.error = std::string("cannot open ") + db_path.string() + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return c;
  }
  auto query = [&](const char* sql, auto&& row) -> bool {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
      c.error = std::string("preparing `") + sql + "`: " + sqlite3_errmsg(db);
      return false;
    }
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
      c.error = std::string("running `") + sql + "`: " + sqlite3_errmsg(db);
      return false;
    }
    return true;
  };
  query("SELECT package_id, COUNT(*) FROM events WHERE kind = 'opted_out' GROUP BY package_id",
        [&](sqlite3_stmt* st) {
          c.opted_out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
              sqlite3_column_int64(st, 1);
        }) &&
      query("SELECT COUNT(*) FROM events WHERE kind = 'offered'",
            [&](sqlite3_stmt* st) { c.offered_rows = sqlite3_column_int64(st, 0); });
  sqlite3_close(db);
  return c;
}

DurabilityResult CheckOptOuts(const LedgerCounts& ledger, const std::set<std::string>& acked,
                              const std::set<std::string>& attempted) {
  DurabilityResult d;
  d.acknowledged = acked.size();
  d.offered_rows = ledger.offered_rows;
  if (!ledger.error.empty()) {
    d.error = ledger.error;
    return d;
  }
  for (const auto& [pkg, n] : ledger.opted_out) {
    d.opted_out_rows += n;
    if (acked.count(pkg) != 0) continue;
    if (attempted.count(pkg) != 0) {
      ++d.unacked_committed;
    } else {
      ++d.unknown_packages;
    }
  }
  for (const auto& pkg : acked) {
    auto it = ledger.opted_out.find(pkg);
    if (it == ledger.opted_out.end()) {
      ++d.acked_missing;
    } else if (it->second == 1) {
      ++d.acked_with_one_row;
    } else {
      ++d.acked_duplicated;
    }
  }
  // Exactly one row per 204 counted, and no other row.
  d.ok = d.acked_with_one_row == d.acknowledged &&
         d.opted_out_rows == static_cast<std::int64_t>(d.acknowledged);
  return d;
}

json::object DurabilityJson(const DurabilityResult& d) {
  json::object o;
  o["ok"] = d.ok;
  o["acknowledged_204"] = d.acknowledged;
  o["opted_out_rows"] = d.opted_out_rows;
  o["acknowledged_with_one_row"] = d.acked_with_one_row;
  o["acknowledged_missing"] = d.acked_missing;
  o["acknowledged_duplicated"] = d.acked_duplicated;
  o["committed_without_204"] = d.unacked_committed;
  o["unexpected_rows"] = d.unknown_packages;
  o["offered_rows"] = d.offered_rows;
  o["error"] = d.error;
  return o;
}

}  // namespace offerledger::bench
