// What the load benchmarks (optout_load, scale_load) share: starting the real
// `offerledger` binary (partner add, serve), a signed keep-alive HTTP client,
// N-connection load runs with latency and CPU accounting, and the exactness
// check of opt-outs against the ledger.
//
// Everything here only ever connects to 127.0.0.1. Die() stops every server
// this program started (and runs the program's own clean-up hook) before it
// exits, so that a failure never leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/json/object.hpp>

namespace offerledger::bench {

using Clock = std::chrono::steady_clock;

inline constexpr std::string_view kPartner = "BENCH";
inline constexpr std::string_view kHost = "127.0.0.1";

// The cassette quote request (test_quote), one quote per package.
inline constexpr std::string_view kQuoteBody =
    R"({"request": [{"policy_type": "event_ticket_protection", "policy_type_version": 1,)"
    R"( "policy_start_date": "2021-10-01T00:29:29Z", "event_datetime": "2021-10-10T13:44:15Z",)"
    R"( "event_name": "Ariana Grande", "event_location": "The O2", "number_of_tickets": 2,)"
    R"( "tickets": [{"price": 100}], "resale_ticket": false, "event_country": "GB"}],)"
    R"( "currency": "GBP", "customer_country": "GB"})";

double Seconds(Clock::duration d);

// ================================================================ failing

// The prefix of Die()'s message ("optout_load"). Call it first in main():
// it also makes exit() wait for a Die() in progress in another thread, so
// that its clean-up is never cut short.
void SetProgramName(std::string name);
// Blocks for good if a Die() is in progress (it ends the process). A program
// that may Die() in another thread calls it before main() returns: main's
// locals (a work directory, a database) must outlive the clean-up.
void WaitIfDying();
// Runs once in Die(), after the servers are killed (e.g. stops a database).
void SetAtDie(std::function<void()> hook);
// Servers to SIGKILL in Die(); Server registers itself.
void RegisterChild(pid_t pid);
void ForgetChild(pid_t pid);
// A child that leads its own process group: Die() SIGKILLs the whole group.
void RegisterChildGroup(pid_t pid);
// SIGKILLs (and reaps) every registered child.
void KillChildren();

// Prints "PROGRAM: msg", kills the registered children, runs the hook, exits 1.
// Callable from any thread: the first caller does it, later ones just wait;
// other threads' stdout is discarded from then on.
[[noreturn]] void Die(const std::string& msg);

// ================================================================ processes

std::string ReadFile(const std::filesystem::path& p);
// Spawns argv (argv[0] a path) with stdout and stderr redirected to files and
// an empty signal mask (whatever the caller blocks); Die()s if it cannot.
pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& out,
            const std::filesystem::path& err);

struct SpawnOptions {
  // NAME=VALUE entries added to (or replacing in) this process's environment.
  std::vector<std::string> env;
  // The child leads a new process group, so that kill(-pid) also reaches the
  // processes it starts (nginx's workers); nor does it get the terminal's Ctrl-C.
  bool new_process_group = false;
  // >= 0: the child's stdout is this descriptor (e.g. a pipe's write end)
  // instead of the file `out`.
  int stdout_fd = -1;
};
pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& out,
            const std::filesystem::path& err, const SpawnOptions& options);
// Waits up to `timeout` for `pid`; the exit code (-N: signal N), or nullopt.
// With `cpu_seconds`, the child's own CPU time (user + system) once it exited.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout,
                           double* cpu_seconds = nullptr);

// An exit status as WaitFor() reports it: "0", "signal 11 (Segmentation
// fault)"; none: it did not exit in time (and was killed).
std::string ExitText(std::optional<int> rc);

// A field of /proc/PID/status in kB ("VmRSS", "VmHWM"); -1 if unreadable.
std::int64_t ProcStatusKb(pid_t pid, const std::string& field);
// Resets the peak RSS (VmHWM) of `pid` to its current RSS (/proc/PID/clear_refs).
bool ResetPeakRss(pid_t pid);

// The status code of `GET path` on 127.0.0.1:port (Connection: close), or -1.
int HttpGetStatus(std::uint16_t port, const std::string& path);

// 1234567 -> "1,234,567".
std::string Thousands(std::uint64_t n);

struct Credentials {
  std::string api_key;
  std::string api_secret;
};

// `bin partner add BENCH --db DB_URL --json`, output in dir/partner.{out,err}.
Credentials AddPartner(const std::string& bin, const std::filesystem::path& dir,
                       const std::string& db_url);

// A fresh work directory under $TMPDIR (removed on destruction unless `keep`),
// or `dir` as given (created if missing, never removed).
class WorkDir {
 public:
  WorkDir(const std::string& dir, bool keep);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool remove_ = false;
};

// ================================================================ the server

// `bin serve --listen 127.0.0.1:0 --db DB_URL EXTRA...`, its output in
// dir/NAME.{out,err}; the port is read from its first stdout line.
class Server {
 public:
  Server(const std::string& bin, const std::filesystem::path& dir, const std::string& db_url,
         const std::vector<std::string>& extra, const std::string& name = "server");
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& first_line() const { return first_line_; }
  std::string stderr_text() const { return ReadFile(err_); }

  // SIGTERM, then waits (graceful stop: in-flight requests finish, store closed).
  std::optional<int> Terminate(std::chrono::seconds timeout);
  void Kill();

 private:
  std::filesystem::path out_;
  std::filesystem::path err_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string first_line_;
};

// ================================================================ the client

// One keep-alive connection to 127.0.0.1:port, synchronous Beast.
class Connection {
 public:
  Connection(std::uint16_t port, Credentials creds);

  // A signed POST; the status code, or -1 on a transport error (`error` says
  // which). `latency` covers the write and the read, not the signing.
  int Post(const std::string& target, std::string_view body, std::string& response_body,
           std::string& error, Clock::duration& latency);

 private:
  void Reconnect(boost::beast::error_code& ec);
  void Close();

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string host_;
  Credentials creds_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  boost::beast::flat_buffer buffer_;
};

// ================================================================ runs

struct RunResult {
  std::string name;
  int connections = 0;
  std::size_t attempted = 0;
  std::size_t ok = 0;
  std::size_t errors = 0;
  double seconds = 0;
  double rps = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
  bool stopped_by_time = false;
  // CPU time per successful request, in microseconds: the server processes
  // (/proc, 10 ms ticks) and this load generator (getrusage).
  double server_cpu_us = 0;
  double client_cpu_us = 0;
  std::map<std::string, int> error_counts;  // "status 500: {...}" or "read: ..." -> how many
};

// CPU seconds (user + system) used so far by `pid` (from /proc); with
// `children`, plus its exited and reaped children's.
double ProcessCpuSeconds(pid_t pid, bool children = false);
// CPU seconds used so far by `pid` and its running children (one level:
// nginx's master and its worker), from /proc.
double ProcessTreeCpuSeconds(pid_t pid);
double SelfCpuSeconds();

// One request of a run: item `i` on `conn`; true on success, else `error` says why.
using RequestFn = std::function<bool(Connection& conn, std::size_t i, Clock::duration& latency,
                                     std::string& error)>;

// Runs `connections` threads, each with its own connection, over `items` (each
// taken exactly once) until they are exhausted or `limit_s` has passed. Thread
// t connects to ports[t % ports.size()] (round-robin, as a load balancer
// would); the server CPU is the sum over `server_pids`.
RunResult RunLoad(const std::string& name, int connections, std::size_t items, double limit_s,
                  const std::vector<std::uint16_t>& ports, const std::vector<pid_t>& server_pids,
                  const Credentials& creds, const RequestFn& one);

// Creates up to `count` quote packages (POST quotes/ with kQuoteBody, 201)
// through RunLoad; `ids` gets the ids of the packages created, in request order.
RunResult CreatePackages(const std::string& name, int connections, std::size_t count,
                         double limit_s, const std::vector<std::uint16_t>& ports,
                         const std::vector<pid_t>& server_pids, const Credentials& creds,
                         std::vector<std::string>& ids);

// Opts out each of `ids` at most once (POST bookings/{id}/opt_out, 204)
// through RunLoad; tried[i] and acked[i] (204) are set per id.
RunResult OptOutPackages(const std::string& name, int connections, std::span<const std::string> ids,
                         double limit_s, const std::vector<std::uint16_t>& ports,
                         const std::vector<pid_t>& server_pids, const Credentials& creds,
                         std::span<char> tried, std::span<char> acked);

// "  NAME  N conn  ok / sent in s  req/s  p50 ... cpu/req ..." and the errors.
void PrintRun(const RunResult& r);
boost::json::object RunJson(const RunResult& r);

// Writes `doc` to `path` (creating its directory); says so on stderr if it cannot.
void WriteJsonFile(const std::string& path, const boost::json::object& doc);

// Calls `on_fire` (which should not return) if Stop() has not been called
// within `limit_s` of construction: a server that stops answering would
// otherwise block a client read forever.
class Watchdog {
 public:
  Watchdog(double limit_s, std::function<void()> on_fire);
  ~Watchdog();
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// ================================================================ exactness

// What the ledger holds, read by the caller from its backend.
struct LedgerCounts {
  std::map<std::string, std::int64_t> opted_out;  // package id -> kind='opted_out' rows
  std::int64_t offered_rows = 0;                  // kind='offered' rows
  std::string error;                              // non-empty: could not read
};

// The SQLite file at `db_path`, opened read-only.
LedgerCounts ReadSqliteLedger(const std::filesystem::path& db_path);

struct DurabilityResult {
  bool ok = false;
  std::size_t acknowledged = 0;     // 204s counted
  std::int64_t opted_out_rows = 0;  // all kind='opted_out' rows
  std::size_t acked_with_one_row = 0;
  std::size_t acked_missing = 0;      // 204 but no row: a lost write
  std::size_t acked_duplicated = 0;   // 204 and more than one row
  std::size_t unacked_committed = 0;  // failed on the client side, committed anyway
  std::size_t unknown_packages = 0;   // rows for packages never opted out here
  std::int64_t offered_rows = 0;      // kind='offered': one per created package
  std::string error;
};

// Exactly one opted_out row per package acknowledged with a 204, and no other
// row (`attempted` tells a write that committed without its 204 from a stray one).
DurabilityResult CheckOptOuts(const LedgerCounts& ledger, const std::set<std::string>& acked,
                              const std::set<std::string>& attempted);
boost::json::object DurabilityJson(const DurabilityResult& d);

}  // namespace offerledger::bench
