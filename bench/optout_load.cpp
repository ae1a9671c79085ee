// Opt-out load benchmark against the REAL server binary.
//
//   1. `offerledger partner add BENCH --db sqlite:DIR/bench.db --json` for credentials;
//   2. `offerledger serve --listen 127.0.0.1:0 --db sqlite:DIR/bench.db` (port read
//      from its first stdout line);
//   3. preloads quote packages (the one-quote cassette body), not measured;
//   4. for each connection count (default 1, then 32): N threads, each with its own
//      keep-alive connection, opt out distinct packages (every 204 is the write
//      path: committed with synchronous=FULL before it is sent), bounded in count
//      and time; prints requests/s and p50/p99/p99.9 latency, and the ratio of
//      each rate to the first (the effect of group commit);
//   5. stops the server with SIGTERM, opens the SQLite file directly and checks
//      that `events` holds exactly one kind='opted_out' row per 204 counted.
//
// Exit status: 0 when every request succeeded and the durability check
// passed; 1 otherwise (2 for bad arguments). It only connects to 127.0.0.1.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "auth/hmac.h"
#include "auth/http_date.h"
#include "auth/signer.h"
#include "common/time.h"

extern char** environ;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kPartner = "BENCH";
constexpr std::string_view kHost = "127.0.0.1";

// The cassette quote request (test_quote), one quote per package.
constexpr std::string_view kQuoteBody =
    R"({"request": [{"policy_type": "event_ticket_protection", "policy_type_version": 1,)"
    R"( "policy_start_date": "2021-10-01T00:29:29Z", "event_datetime": "2021-10-10T13:44:15Z",)"
    R"( "event_name": "Ariana Grande", "event_location": "The O2", "number_of_tickets": 2,)"
    R"( "tickets": [{"price": 100}], "resale_ticket": false, "event_country": "GB"}],)"
    R"( "currency": "GBP", "customer_country": "GB"})";

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The running server, killed by Die() so that a failure never leaves it behind.
std::atomic<pid_t> g_server_pid{-1};

[[noreturn]] void Die(const std::string& msg) {
  std::cerr << "optout_load: " << msg << std::endl;
  if (const pid_t pid = g_server_pid.exchange(-1); pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::exit(1);
}

// ================================================================ processes

int DecodeWaitStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return -WTERMSIG(st);
  return -1000;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Spawns argv with stdout and stderr redirected to files.
pid_t Spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) Die("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

// Waits up to `timeout` for `pid`; the exit code (-N: signal N), or nullopt.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return DecodeWaitStatus(st);
    if (r < 0) return -1000;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

struct Credentials {
  std::string api_key;
  std::string api_secret;
};

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

// ================================================================ the server

class Server {
 public:
  Server(const std::string& bin, const fs::path& dir, const std::string& db_url,
         const std::vector<std::string>& extra)
      : out_(dir / "server.out"), err_(dir / "server.err") {
    std::vector<std::string> args{bin,    "serve", "--listen", std::string(kHost) + ":0",
                                  "--db", db_url};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = Spawn(args, out_, err_);
    g_server_pid = pid_;
    // "offerledger: listening on http://127.0.0.1:PORT (...)"
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    std::string text;
    while ((text = ReadFile(out_)).find('\n') == std::string::npos) {
      if (auto rc = WaitFor(pid_, std::chrono::milliseconds(0))) {
        pid_ = -1;
        g_server_pid = -1;
        Die("the server exited with " + std::to_string(*rc) +
            " before listening: " + ReadFile(err_));
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
  ~Server() {
    if (pid_ > 0) Kill();
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& first_line() const { return first_line_; }
  std::string stderr_text() const { return ReadFile(err_); }

  // SIGTERM, then waits (graceful stop: in-flight requests finish, store closed).
  std::optional<int> Terminate(std::chrono::seconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    ::kill(pid_, SIGTERM);
    auto rc = WaitFor(pid_, timeout);
    if (rc) pid_ = g_server_pid = -1;
    return rc;
  }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = g_server_pid = -1;
  }

 private:
  fs::path out_;
  fs::path err_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string first_line_;
};

// ================================================================ the client

// One keep-alive connection to 127.0.0.1:port, synchronous Beast.
class Connection {
 public:
  Connection(std::uint16_t port, Credentials creds)
      : endpoint_(asio::ip::make_address(kHost), port),
        host_(std::string(kHost) + ":" + std::to_string(port)),
        creds_(std::move(creds)) {}

  // A signed POST; the status code, or -1 on a transport error (`error` says
  // which). `latency` covers the write and the read, not the signing.
  int Post(const std::string& target, std::string_view body, std::string& response_body,
           std::string& error, Clock::duration& latency) {
    const std::string date = offerledger::FormatHttpDate(offerledger::NowMicros());
    const std::string auth = offerledger::BuildAuthorization(
        creds_.api_key, creds_.api_secret, offerledger::Algorithm::kHmacSha512,
        {"(request-target)", "date"}, "POST", target,
        [&](std::string_view name) -> std::optional<std::string_view> {
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

 private:
  void Reconnect(beast::error_code& ec) {
    Close();
    socket_.emplace(ioc_);
    socket_->connect(endpoint_, ec);
    if (!ec) socket_->set_option(tcp::no_delay(true), ec);
    ++connects_;
  }
  void Close() {
    if (socket_) {
      beast::error_code ignored;
      socket_->shutdown(tcp::socket::shutdown_both, ignored);
      socket_->close(ignored);
      socket_.reset();
    }
    buffer_.clear();
  }

  asio::io_context ioc_;
  tcp::endpoint endpoint_;
  std::string host_;
  Credentials creds_;
  std::optional<tcp::socket> socket_;
  beast::flat_buffer buffer_;
  int connects_ = 0;
};

// ================================================================ runs

struct Errors {
  std::mutex mu;
  std::map<std::string, int> counts;  // "status 500: {...}" or "read: ..." -> how many
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

struct RunResult {
  std::string name;
  int connections = 0;
  std::size_t attempted = 0;
  std::size_t ok = 0;  // 204s
  std::size_t errors = 0;
  double seconds = 0;
  double rps = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
  bool stopped_by_time = false;
  // CPU time per successful request, in microseconds: the server process
  // (/proc, 10 ms ticks) and this load generator (getrusage).
  double server_cpu_us = 0;
  double client_cpu_us = 0;
  std::map<std::string, int> error_counts;
};

double PercentileMs(const std::vector<Clock::duration>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return Seconds(sorted[rank - 1]) * 1e3;
}

// CPU seconds (user + system) used so far by `pid` (from /proc) and by this process.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> f); ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// Runs `connections` threads, each with its own connection, over `items` (each
// taken exactly once) until they are exhausted or `limit` has passed.
// `one(conn, item, error)` returns true on success.
template <typename Fn>
RunResult RunLoad(const std::string& name, int connections, std::size_t items, double limit_s,
                  std::uint16_t port, pid_t server_pid, const Credentials& creds, Fn one) {
  RunResult r;
  r.name = name;
  r.connections = connections;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> ok{0};
  std::atomic<bool> timed_out{false};
  Errors errors;
  std::vector<std::vector<Clock::duration>> lat(static_cast<std::size_t>(connections));
  for (auto& v : lat) v.reserve(items / static_cast<std::size_t>(connections) + 16);

  const double server_cpu0 = ProcessCpuSeconds(server_pid);
  const double client_cpu0 = SelfCpuSeconds();
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limit_s));
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      Connection conn(port, creds);
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
  const double server_cpu = ProcessCpuSeconds(server_pid) - server_cpu0;
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

// ================================================================ durability

struct DurabilityResult {
  bool ok = false;
  std::size_t acknowledged = 0;     // 204s counted
  std::int64_t opted_out_rows = 0;  // all kind='opted_out' rows
  std::size_t acked_with_one_row = 0;
  std::size_t acked_missing = 0;      // 204 but no row: a lost write
  std::size_t acked_duplicated = 0;   // 204 and more than one row
  std::size_t unacked_committed = 0;  // failed on the client side, committed anyway
  std::size_t unknown_packages = 0;   // rows for packages never opted out here
  std::int64_t offered_rows = 0;      // kind='offered': one per preloaded package
  std::string error;
};

DurabilityResult CheckDurability(const fs::path& db_path, const std::set<std::string>& acked,
                                 const std::set<std::string>& attempted) {
  DurabilityResult d;
  d.acknowledged = acked.size();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    d.error = std::string("cannot open ") + db_path.string() + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return d;
  }
  auto query = [&](const char* sql, auto&& row) -> bool {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
      d.error = std::string("preparing `") + sql + "`: " + sqlite3_errmsg(db);
      return false;
    }
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
      d.error = std::string("running `") + sql + "`: " + sqlite3_errmsg(db);
      return false;
    }
    return true;
  };
  std::map<std::string, std::int64_t> rows;
  const bool ran =
      query("SELECT package_id, COUNT(*) FROM events WHERE kind = 'opted_out' GROUP BY package_id",
            [&](sqlite3_stmt* st) {
              rows[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
                  sqlite3_column_int64(st, 1);
            }) &&
      query("SELECT COUNT(*) FROM events WHERE kind = 'offered'",
            [&](sqlite3_stmt* st) { d.offered_rows = sqlite3_column_int64(st, 0); });
  sqlite3_close(db);
  if (!ran) return d;
  for (const auto& [pkg, n] : rows) {
    d.opted_out_rows += n;
    if (acked.count(pkg) != 0) continue;
    if (attempted.count(pkg) != 0) {
      ++d.unacked_committed;
    } else {
      ++d.unknown_packages;
    }
  }
  for (const auto& pkg : acked) {
    auto it = rows.find(pkg);
    if (it == rows.end()) {
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

// ================================================================ main

struct Options {
  std::string bin = OFFERLEDGER_BINARY;
  std::size_t packages = 5000;          // per measured run
  std::vector<int> connections{1, 32};  // one measured run each, in order
  double run_seconds = 9;               // time limit of each measured run
  double preload_seconds = 10;          // time limit of the preload
  int preload_connections = 32;
  int server_threads = 0;  // 0: the server's default
  std::string json_out;
  std::string dir;  // default: a fresh temp dir, removed at the end
  bool keep = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Opt-out load benchmark: starts the real offerledger server on 127.0.0.1, "
      "opts out distinct quote packages at increasing concurrency, then checks "
      "durability in the SQLite file."};
  app.add_option("--bin", o.bin, "The offerledger binary")->capture_default_str();
  app.add_option("--packages", o.packages, "Opt-outs (distinct packages) per measured run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--connections", o.connections,
                 "Connection counts, one measured run each, in order; the ratio is last/first")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--run-seconds", o.run_seconds, "Time limit of each measured run")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--preload-seconds", o.preload_seconds, "Time limit of the (unmeasured) preload")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--preload-connections", o.preload_connections, "Connections for the preload")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--server-threads", o.server_threads,
                 "Pass --threads N to `offerledger serve` (0: its default, 4 per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--json", o.json_out, "Also write the results to this JSON file");
  app.add_option("--dir", o.dir, "Work directory (default: a fresh one under $TMPDIR, removed)");
  app.add_flag("--keep", o.keep, "Keep the work directory (database, server logs)");
  CLI11_PARSE(app, argc, argv);

  ::signal(SIGPIPE, SIG_IGN);
  if (!fs::exists(o.bin)) Die("no server binary at " + o.bin + " (see --bin)");

  // ---- work directory, credentials, server
  fs::path dir;
  bool remove_dir = false;
  if (o.dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/offerledger-bench-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) Die("mkdtemp failed");
    dir = templ;
    remove_dir = !o.keep;
  } else {
    dir = o.dir;
    fs::create_directories(dir);
    if (fs::exists(dir / "bench.db")) Die((dir / "bench.db").string() + " exists already");
  }
  const fs::path db_path = dir / "bench.db";
  const std::string db_url = "sqlite:" + db_path.string();
  struct Cleanup {
    fs::path dir;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) fs::remove_all(dir, ec);
    }
  } cleanup{dir, remove_dir};

  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("opt-out load: %s, %u cores shared by the server and this load generator\n",
              o.bin.c_str(), cores);
  const Credentials creds = AddPartner(o.bin, dir, db_url);
  std::vector<std::string> extra;
  if (o.server_threads > 0) extra = {"--threads", std::to_string(o.server_threads)};
  Server server(o.bin, dir, db_url, extra);
  std::printf("  %s\n", server.first_line().c_str());
  std::fflush(stdout);

  // A watchdog: if anything hangs (a server that stops answering), kill the
  // server (which unblocks every read) and give up.
  const double hard_limit_s =
      o.preload_seconds + o.run_seconds * static_cast<double>(o.connections.size()) + 30;
  std::mutex wd_mu;
  std::condition_variable wd_cv;
  bool wd_done = false;
  const pid_t server_pid = server.pid();
  std::thread watchdog([&] {
    std::unique_lock lock(wd_mu);
    if (!wd_cv.wait_for(lock, std::chrono::duration<double>(hard_limit_s),
                        [&] { return wd_done; })) {
      std::fprintf(stderr, "optout_load: no progress within %.0f s; killing the server\n",
                   hard_limit_s);
      ::kill(server_pid, SIGKILL);
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::seconds(5));
      std::_Exit(1);
    }
  });
  auto stop_watchdog = [&] {
    {
      std::lock_guard lock(wd_mu);
      wd_done = true;
    }
    wd_cv.notify_all();
    if (watchdog.joinable()) watchdog.join();
  };

  // ---- preload: packages for every run, not measured
  const std::size_t wanted = o.packages * o.connections.size();
  std::vector<std::string> ids(wanted);
  std::vector<char> created(wanted, 0);
  const std::string quotes_target = "/x/partners/" + std::string(kPartner) + "/quotes/";
  const RunResult preload =
      RunLoad("preload (POST quotes/)", o.preload_connections, wanted, o.preload_seconds,
              server.port(), server.pid(), creds,
              [&](Connection& c, std::size_t i, Clock::duration& latency, std::string& error) {
                std::string body;
                const int status = c.Post(quotes_target, kQuoteBody, body, error, latency);
                if (status != 201) {
                  if (status > 0) error = "status " + std::to_string(status) + ": " + body;
                  return false;
                }
                try {
                  ids[i] = std::string(json::parse(body).as_object().at("id").as_string());
                } catch (const std::exception& e) {
                  error = std::string("no package id in the 201 body: ") + e.what();
                  return false;
                }
                created[i] = 1;
                return true;
              });
  std::printf("preload:\n");
  PrintRun(preload);
  std::vector<std::string> pool;
  for (std::size_t i = 0; i < wanted; ++i) {
    if (created[i] != 0) pool.push_back(ids[i]);
  }
  const std::size_t per_run = pool.size() / o.connections.size();
  if (per_run == 0) {
    stop_watchdog();
    Die("the preload created no package: " + server.stderr_text());
  }
  if (per_run < o.packages) {
    std::printf("  (preload hit its time limit: %zu packages per run instead of %zu)\n", per_run,
                o.packages);
  }

  // ---- measured runs: every opt-out hits a distinct package
  std::printf("opt-out (POST bookings/{id}/opt_out, 204 = committed with synchronous=FULL):\n");
  std::vector<RunResult> runs;
  std::vector<char> acked(per_run * o.connections.size(), 0);
  std::vector<char> tried(per_run * o.connections.size(), 0);
  for (std::size_t k = 0; k < o.connections.size(); ++k) {
    const std::size_t base = k * per_run;
    const int conns = o.connections[k];
    runs.push_back(
        RunLoad("opt-out", conns, per_run, o.run_seconds, server.port(), server.pid(), creds,
                [&](Connection& c, std::size_t i, Clock::duration& latency, std::string& error) {
                  const std::size_t at = base + i;
                  const std::string target =
                      "/x/partners/" + std::string(kPartner) + "/bookings/" + pool[at] + "/opt_out";
                  tried[at] = 1;
                  std::string body;
                  const int status = c.Post(target, "", body, error, latency);
                  if (status != 204) {
                    if (status > 0) error = "status " + std::to_string(status) + ": " + body;
                    return false;
                  }
                  acked[at] = 1;
                  return true;
                }));
    PrintRun(runs.back());
  }
  std::vector<double> ratios;
  for (const auto& r : runs) ratios.push_back(runs.front().rps > 0 ? r.rps / runs.front().rps : 0);
  const double ratio = ratios.back();
  std::printf("  ratio %d/%d connections: %.2fx\n", o.connections.back(), o.connections.front(),
              ratio);

  // ---- durability: stop the server, then read the file directly
  const auto stop_t0 = Clock::now();
  const auto stop_rc = server.Terminate(std::chrono::seconds(20));
  const double stop_s = Seconds(Clock::now() - stop_t0);
  stop_watchdog();
  if (!stop_rc) {
    server.Kill();
    std::printf("  the server did not stop within 20 s of SIGTERM (killed)\n");
  }
  std::set<std::string> acked_ids;
  std::set<std::string> tried_ids;
  for (std::size_t i = 0; i < acked.size(); ++i) {
    if (acked[i] != 0) acked_ids.insert(pool[i]);
    if (tried[i] != 0) tried_ids.insert(pool[i]);
  }
  const DurabilityResult d = CheckDurability(db_path, acked_ids, tried_ids);
  std::printf("durability (SIGTERM, exit %s in %.2f s; then %s read directly):\n",
              stop_rc ? std::to_string(*stop_rc).c_str() : "none", stop_s,
              db_path.filename().c_str());
  if (!d.error.empty()) {
    std::printf("  FAILED: %s\n", d.error.c_str());
  } else {
    std::printf(
        "  %s: %zu opt-outs answered 204, %lld kind='opted_out' rows; %zu with exactly one row, "
        "%zu missing, %zu duplicated, %zu committed without a 204, %zu unexpected; "
        "%lld 'offered' rows for %zu packages preloaded\n",
        d.ok ? "OK" : "FAILED", d.acknowledged, static_cast<long long>(d.opted_out_rows),
        d.acked_with_one_row, d.acked_missing, d.acked_duplicated, d.unacked_committed,
        d.unknown_packages, static_cast<long long>(d.offered_rows), pool.size());
  }
  std::fflush(stdout);

  std::size_t errors = 0;
  for (const auto& r : runs) errors += r.errors;
  const bool clean_stop = stop_rc && *stop_rc == 0;
  const bool pass = d.ok && errors == 0 && clean_stop;

  if (!o.json_out.empty()) {
    json::object out;
    out["binary"] = o.bin;
    out["cores"] = cores;
    out["note"] = "server and load generator share the machine's cores";
    out["server_first_line"] = server.first_line();
    out["server_threads_option"] = o.server_threads;
    out["preload"] = RunJson(preload);
    json::array rs;
    for (std::size_t k = 0; k < runs.size(); ++k) {
      json::object r = RunJson(runs[k]);
      r["ratio_to_first"] = ratios[k];
      rs.push_back(std::move(r));
    }
    out["runs"] = std::move(rs);
    out["ratio"] = ratio;
    out["ratio_connections"] = json::array{o.connections.back(), o.connections.front()};
    json::object dj;
    dj["ok"] = d.ok;
    dj["acknowledged_204"] = d.acknowledged;
    dj["opted_out_rows"] = d.opted_out_rows;
    dj["acknowledged_with_one_row"] = d.acked_with_one_row;
    dj["acknowledged_missing"] = d.acked_missing;
    dj["acknowledged_duplicated"] = d.acked_duplicated;
    dj["committed_without_204"] = d.unacked_committed;
    dj["unexpected_rows"] = d.unknown_packages;
    dj["offered_rows"] = d.offered_rows;
    dj["server_exit"] = stop_rc ? json::value(*stop_rc) : json::value(nullptr);
    dj["error"] = d.error;
    out["durability"] = std::move(dj);
    out["pass"] = pass;
    std::error_code ec;
    if (fs::path(o.json_out).has_parent_path()) {
      fs::create_directories(fs::path(o.json_out).parent_path(), ec);
    }
    std::ofstream f(o.json_out);
    f << json::serialize(out) << "\n";
    if (!f) std::fprintf(stderr, "optout_load: cannot write %s\n", o.json_out.c_str());
  }

  if (o.keep) std::printf("work directory kept: %s\n", dir.c_str());
  if (!pass) {
    if (errors != 0) std::printf("FAILED: %zu opt-outs did not get a 204\n", errors);
    if (!clean_stop) {
      std::printf("FAILED: the server did not stop cleanly on SIGTERM; its stderr:\n%s\n",
                  server.stderr_text().c_str());
    }
    return 1;
  }
  return 0;
}
