// Scale-out on PostgreSQL: quote and opt-out throughput of 1, 2 and 4
// `offerledger serve` processes sharing one PostgreSQL database, against one
// process on SQLite measured in the same run (the reference).
//
//   1. starts a private PostgreSQL (scripts/pg-test-server.sh start DIR) with
//      PG_TEST_FSYNC=on: durable, comparable with SQLite's synchronous=FULL
//      (the test server's default is fsync=off). It is stopped at the end, on
//      any failure and on Ctrl-C;
//   2. for each configuration -- SQLite with one process, then PostgreSQL with
//      each --processes count, on a fresh database each --: `partner add`, the
//      servers, then two measured phases, each with the same total number of
//      client connections (--connections) spread round-robin over the
//      servers' ports, as a load balancer would:
//        quotes    POST quotes/ (201: the package is committed), bounded by
//                  --packages and --run-seconds;
//        opt-outs  POST bookings/{id}/opt_out (204) of the packages just
//                  created, each exactly once (every 204 is a real write);
//      then SIGTERM to every server (each must exit 0), and the exactness
//      check in the database: exactly one kind='opted_out' row per 204 and no
//      other, one kind='offered' row per 201;
//   3. one table: rates, latency, and the ratio to the SQLite figure.
//
// Exit status: 0 when every request succeeded, every server stopped cleanly
// and every exactness check passed; 1 otherwise (CLI11's codes for bad
// arguments). It only connects to 127.0.0.1.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "load_support.h"
#include "store/postgres/pg_conn.h"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
namespace ob = offerledger::bench;
using ob::Clock;
using ob::Die;
using ob::RunResult;

struct Options {
  std::string bin = OFFERLEDGER_BINARY;
  std::string pg_script = OFFERLEDGER_SOURCE_DIR "/scripts/pg-test-server.sh";
  std::vector<int> processes{1, 2, 4};
  int connections = 32;
  std::size_t packages = 10000;  // at most, per phase and configuration
  double run_seconds = 10;       // time limit of each measured phase
  int pool_size = 0;             // 0: the server's default
  int server_threads = 0;        // 0: the server's default
  std::vector<std::string> pg_settings;
  std::string json_out;
  std::string dir;
  bool keep = false;
};

// ================================================================ PostgreSQL

// The private server of scripts/pg-test-server.sh; Stop() (also from Die())
// stops it and removes its directory.
class PgServer {
 public:
  PgServer(std::string script, fs::path state, fs::path logs)
      : script_(std::move(script)), state_(std::move(state)), logs_(std::move(logs)) {}

  // Starts it durable (fsync=on unless a --pg-setting says otherwise) with
  // `options` ("-c k=v ...") added; returns its URL.
  std::string Start(const std::string& fsync, const std::string& options) {
    ::setenv("PG_TEST_FSYNC", fsync.c_str(), 1);
    ::setenv("PG_TEST_OPTIONS", options.c_str(), 1);
    started_ = true;
    const pid_t pid = ob::Spawn({"/bin/bash", script_, "start", state_.string()},
                                logs_ / "pg-start.out", logs_ / "pg-start.err");
    starting_ = pid;
    const auto rc = ob::WaitFor(pid, std::chrono::seconds(120));
    if (!rc) Die("PostgreSQL did not start within 120 s");
    starting_ = -1;
    if (*rc != 0) {
      Die("`" + script_ + " start` exited with " + std::to_string(*rc) + ": " +
          ob::ReadFile(logs_ / "pg-start.err"));
    }
    std::string url = ob::ReadFile(state_ / "url");
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
    if (url.empty()) Die("no URL in " + (state_ / "url").string());
    return url;
  }

  // The postmaster's pid (first line of its postmaster.pid), or -1.
  pid_t postmaster() const {
    std::istringstream in(ob::ReadFile(state_ / "data" / "postmaster.pid"));
    long pid = -1;
    in >> pid;
    return static_cast<pid_t>(pid);
  }

  void Stop() {
    if (!started_ || stopped_.exchange(true)) return;
    // Interrupted while starting: end the start script first.
    if (const pid_t pid = starting_.exchange(-1); pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    const pid_t pid = ob::Spawn({"/bin/bash", script_, "stop", state_.string()},
                                logs_ / "pg-stop.out", logs_ / "pg-stop.err");
    if (!ob::WaitFor(pid, std::chrono::seconds(60))) {
      std::fprintf(stderr, "scale_load: `%s stop %s` did not finish within 60 s\n", script_.c_str(),
                   state_.c_str());
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

 private:
  std::string script_;
  fs::path state_;
  fs::path logs_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<pid_t> starting_{-1};  // the start script, while it runs
};

// The parent pid of `pid` (field 4 of /proc/PID/stat), or -1.
pid_t ParentPid(pid_t pid) {
  const std::string text = ob::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string state;
  long ppid = -1;
  fields >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

// CPU seconds used so far by PostgreSQL: the postmaster, its live children
// (backends, WAL writer, checkpointer ...) and its exited ones.
double PgCpuSeconds(pid_t postmaster) {
  if (postmaster <= 0) return 0;
  double sum = ob::ProcessCpuSeconds(postmaster, /*children=*/true);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (ParentPid(pid) == postmaster) sum += ob::ProcessCpuSeconds(pid);
  }
  return sum;
}

std::unique_ptr<offerledger::pg::Connection> ConnectPg(const std::string& url) {
  auto c = offerledger::pg::Connection::Open(url);
  if (!c.ok()) Die("cannot connect to PostgreSQL: " + c.status().ToString());
  return std::move(c).value();
}

// `base` (postgresql://user@host:port/db) with another database name.
std::string WithDatabase(const std::string& base, const std::string& db) {
  const std::size_t scheme = base.find("://");
  const std::size_t slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return base + "/" + db;
  return base.substr(0, slash + 1) + db;
}

ob::LedgerCounts ReadPgLedger(const std::string& url) {
  ob::LedgerCounts c;
  auto conn = offerledger::pg::Connection::Open(url);
  if (!conn.ok()) {
    c.error = "cannot connect: " + conn.status().ToString();
    return c;
  }
  auto opted = (*conn)->Query(
      "SELECT package_id, COUNT(*) FROM events WHERE kind = 'opted_out' GROUP BY package_id");
  if (!opted.ok()) {
    c.error = opted.status().ToString();
    return c;
  }
  for (int i = 0; i < opted->size(); ++i) c.opted_out[opted->Text(i, 0)] = opted->Int(i, 1);
  auto offered = (*conn)->Query("SELECT COUNT(*) FROM events WHERE kind = 'offered'");
  if (!offered.ok()) {
    c.error = offered.status().ToString();
    return c;
  }
  c.offered_rows = offered->Int(0, 0);
  return c;
}

// ================================================================ one configuration

struct ConfigResult {
  std::string config;  // "sqlite" or "postgresql"
  int processes = 0;
  std::string db;  // the URL, without secrets (there are none: trust auth)
  std::vector<std::string> server_lines;
  RunResult quotes;
  RunResult optouts;
  double pg_cpu_us_per_quote = 0;
  double pg_cpu_us_per_optout = 0;
  std::vector<std::optional<int>> server_exits;
  ob::DurabilityResult exact;
  bool offered_ok = false;  // one 'offered' row per 201
  bool pass = false;
};

// A config's CLI-visible label: "sqlite" / "postgresql".
ConfigResult RunConfig(const Options& o, const std::string& config, int processes,
                       const std::string& db_url, const fs::path& dir,
                       const std::vector<std::string>& server_extra, pid_t postmaster,
                       const std::function<ob::LedgerCounts()>& read_ledger) {
  ConfigResult r;
  r.config = config;
  r.processes = processes;
  r.db = db_url;
  fs::create_directories(dir);
  std::printf("%s, %d process%s (%s):\n", config.c_str(), processes, processes == 1 ? "" : "es",
              db_url.c_str());
  const ob::Credentials creds = ob::AddPartner(o.bin, dir, db_url);
  std::vector<std::unique_ptr<ob::Server>> servers;
  std::vector<std::uint16_t> ports;
  std::vector<pid_t> pids;
  for (int i = 0; i < processes; ++i) {
    servers.push_back(std::make_unique<ob::Server>(o.bin, dir, db_url, server_extra,
                                                   "server" + std::to_string(i + 1)));
    ports.push_back(servers.back()->port());
    pids.push_back(servers.back()->pid());
    r.server_lines.push_back(servers.back()->first_line());
    std::printf("  %s\n", servers.back()->first_line().c_str());
  }
  std::fflush(stdout);

  // ---- quotes: each creates a package, the opt-outs' material
  std::vector<std::string> pool;
  double pg0 = PgCpuSeconds(postmaster);
  r.quotes = ob::CreatePackages("quotes (POST quotes/)", o.connections, o.packages, o.run_seconds,
                                ports, pids, creds, pool);
  double pg1 = PgCpuSeconds(postmaster);
  if (postmaster > 0 && r.quotes.ok > 0) {
    r.pg_cpu_us_per_quote = (pg1 - pg0) / static_cast<double>(r.quotes.ok) * 1e6;
  }
  ob::PrintRun(r.quotes);

  // ---- opt-outs: every package exactly once
  std::vector<char> acked(pool.size(), 0);
  std::vector<char> tried(pool.size(), 0);
  pg0 = PgCpuSeconds(postmaster);
  r.optouts = ob::OptOutPackages("opt-out (POST opt_out)", o.connections, pool, o.run_seconds,
                                 ports, pids, creds, tried, acked);
  pg1 = PgCpuSeconds(postmaster);
  if (postmaster > 0 && r.optouts.ok > 0) {
    r.pg_cpu_us_per_optout = (pg1 - pg0) / static_cast<double>(r.optouts.ok) * 1e6;
  }
  ob::PrintRun(r.optouts);

  // ---- stop every server (each must exit 0), then read the database
  for (auto& s : servers) ::kill(s->pid(), SIGTERM);
  bool clean = true;
  for (auto& s : servers) {
    auto rc = s->Terminate(std::chrono::seconds(20));
    if (!rc) {
      s->Kill();
      std::printf("  FAILED: server pid %d did not stop within 20 s of SIGTERM (killed)\n",
                  static_cast<int>(s->pid()));
    } else if (*rc != 0) {
      std::printf("  FAILED: a server exited with %d on SIGTERM; its stderr:\n%s\n", *rc,
                  s->stderr_text().c_str());
    }
    clean = clean && rc && *rc == 0;
    r.server_exits.push_back(rc);
  }
  std::set<std::string> acked_ids, tried_ids;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (acked[i] != 0) acked_ids.insert(pool[i]);
    if (tried[i] != 0) tried_ids.insert(pool[i]);
  }
  r.exact = ob::CheckOptOuts(read_ledger(), acked_ids, tried_ids);
  r.offered_ok = r.exact.error.empty() &&
                 r.exact.offered_rows == static_cast<std::int64_t>(r.quotes.ok) &&
                 r.quotes.errors == 0;
  if (!r.exact.error.empty()) {
    std::printf("  exactness FAILED: %s\n", r.exact.error.c_str());
  } else {
    std::printf(
        "  exactness %s: %zu opt-outs answered 204, %lld kind='opted_out' rows; %zu with exactly "
        "one row, %zu missing, %zu duplicated, %zu committed without a 204, %zu unexpected; "
        "%lld 'offered' rows for %zu quotes answered 201 (%s)\n",
        r.exact.ok ? "OK" : "FAILED", r.exact.acknowledged,
        static_cast<long long>(r.exact.opted_out_rows), r.exact.acked_with_one_row,
        r.exact.acked_missing, r.exact.acked_duplicated, r.exact.unacked_committed,
        r.exact.unknown_packages, static_cast<long long>(r.exact.offered_rows), r.quotes.ok,
        r.offered_ok ? "OK" : "FAILED");
  }
  r.pass = clean && r.exact.ok && r.offered_ok && r.quotes.errors == 0 && r.optouts.errors == 0 &&
           r.quotes.ok > 0 && r.optouts.ok > 0;
  std::fflush(stdout);
  return r;
}

// ================================================================ output

std::string Ratio(double v, double ref) {
  if (ref <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", v / ref);
  return buf;
}

void PrintTable(const std::vector<ConfigResult>& rs, const std::string& header) {
  const double q_ref = rs.front().quotes.rps;
  const double o_ref = rs.front().optouts.rps;
  std::printf("\n%s\n\n", header.c_str());
  std::printf("%-11s %5s %10s %16s %8s %11s %16s %8s  %s\n", "config", "procs", "quotes/s",
              "p50/p99 ms", "x SQLite", "opt-outs/s", "p50/p99 ms", "x SQLite", "exact");
  for (const auto& r : rs) {
    char q_lat[40], o_lat[40];
    std::snprintf(q_lat, sizeof q_lat, "%.2f/%.2f", r.quotes.p50_ms, r.quotes.p99_ms);
    std::snprintf(o_lat, sizeof o_lat, "%.2f/%.2f", r.optouts.p50_ms, r.optouts.p99_ms);
    std::printf("%-11s %5d %10.1f %16s %8s %11.1f %16s %8s  %s\n", r.config.c_str(), r.processes,
                r.quotes.rps, q_lat, Ratio(r.quotes.rps, q_ref).c_str(), r.optouts.rps, o_lat,
                Ratio(r.optouts.rps, o_ref).c_str(), r.pass ? "OK" : "FAILED");
  }
  std::printf(
      "\nCPU per request, us (servers / PostgreSQL / load generator): where the shared cores "
      "went\n");
  std::printf("%-11s %5s %26s %26s\n", "config", "procs", "quote", "opt-out");
  for (const auto& r : rs) {
    char q[64], o[64];
    std::snprintf(q, sizeof q, "%.0f / %.0f / %.0f", r.quotes.server_cpu_us, r.pg_cpu_us_per_quote,
                  r.quotes.client_cpu_us);
    std::snprintf(o, sizeof o, "%.0f / %.0f / %.0f", r.optouts.server_cpu_us,
                  r.pg_cpu_us_per_optout, r.optouts.client_cpu_us);
    std::printf("%-11s %5d %26s %26s\n", r.config.c_str(), r.processes, q, o);
  }
  std::fflush(stdout);
}

json::object ConfigJson(const ConfigResult& r, const ConfigResult& ref) {
  json::object o;
  o["config"] = r.config;
  o["processes"] = r.processes;
  o["db"] = r.db;
  json::array lines;
  for (const auto& l : r.server_lines) lines.emplace_back(l);
  o["servers"] = std::move(lines);
  o["quotes"] = ob::RunJson(r.quotes);
  o["optouts"] = ob::RunJson(r.optouts);
  o["quotes_ratio_to_sqlite"] = ref.quotes.rps > 0 ? r.quotes.rps / ref.quotes.rps : 0;
  o["optouts_ratio_to_sqlite"] = ref.optouts.rps > 0 ? r.optouts.rps / ref.optouts.rps : 0;
  o["postgres_cpu_us_per_quote"] = r.pg_cpu_us_per_quote;
  o["postgres_cpu_us_per_optout"] = r.pg_cpu_us_per_optout;
  json::array exits;
  for (const auto& e : r.server_exits) exits.push_back(e ? json::value(*e) : json::value(nullptr));
  o["server_exits"] = std::move(exits);
  json::object x = ob::DurabilityJson(r.exact);
  x["offered_rows_match_201s"] = r.offered_ok;
  o["exactness"] = std::move(x);
  o["pass"] = r.pass;
  return o;
}

// ================================================================ setup

// Whether `bin serve --help` lists `flag` (options other helpers may add).
bool ServeHasFlag(const std::string& bin, const fs::path& dir, const std::string& flag) {
  const pid_t pid =
      ob::Spawn({bin, "serve", "--help"}, dir / "serve-help.out", dir / "serve-help.err");
  const auto rc = ob::WaitFor(pid, std::chrono::seconds(10));
  if (!rc) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    Die("`offerledger serve --help` did not finish within 10 s");
  }
  return ob::ReadFile(dir / "serve-help.out").find(flag) != std::string::npos;
}

// Checks a --pg-setting: NAME=VALUE, passed to postgres as -c NAME=VALUE (no
// spaces or quotes: pg_ctl hands the options to a shell).
bool ValidSetting(const std::string& s) {
  const std::size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(s[i]);
    const bool name_ok = std::isalnum(ch) || ch == '_' || ch == '.';
    const bool value_ok = name_ok || ch == '-' || ch == '+' || ch == ':' || ch == '/' || ch == ',';
    if (i < eq ? !name_ok : (i > eq && !value_ok)) return false;
  }
  return true;
}

std::atomic<bool> g_interrupted{false};

// Ctrl-C, SIGTERM, SIGHUP: blocked in every thread, waited for by one, which
// stops the servers and PostgreSQL (Die) instead of leaving them running.
void HandleInterruptsWithDie() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) {
      g_interrupted = true;
      const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
      Die(std::string("interrupted (") + name + "): stopping the servers and PostgreSQL");
    }
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "Scale-out benchmark: quote and opt-out throughput of 1, 2 and 4 `offerledger serve` "
      "processes sharing one private PostgreSQL (started durable, fsync=on, and stopped at the "
      "end), against one process on SQLite measured in the same run; then an exactness check "
      "of every opt-out in the database. Prints one table; everything runs on this machine "
      "and shares its cores."};
  app.add_option("--bin", o.bin, "The offerledger binary")->capture_default_str();
  app.add_option("--pg-script", o.pg_script,
                 "The script that starts and stops the private PostgreSQL")
      ->capture_default_str();
  app.add_option("--processes", o.processes,
                 "Server process counts on PostgreSQL, one configuration each (after the SQLite "
                 "reference with one process), each on a fresh database")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--connections", o.connections,
                 "Client connections in total (the same in every configuration), spread "
                 "round-robin over the processes' ports")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--packages", o.packages,
                 "At most this many quotes per configuration, then an opt-out of each package "
                 "created (distinct packages)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--run-seconds", o.run_seconds,
                 "Time limit of each measured phase (quotes, opt-outs) of each configuration")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--pool-size", o.pool_size,
                 "PostgreSQL connections per server process, passed as --db-pool-size when "
                 "`offerledger serve --help` lists that flag (0: the server's default)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--server-threads", o.server_threads,
                 "Pass --threads N to every `offerledger serve` (0: its default, 4 per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--pg-setting", o.pg_settings,
                 "NAME=VALUE: an extra PostgreSQL setting (postgres -c), repeatable, e.g. "
                 "synchronous_commit=off or fsync=off; shown in the table header")
      ->check([](const std::string& s) {
        return ValidSetting(s) ? std::string()
                               : "expected NAME=VALUE (letters, digits, _ . - + : / ,): " + s;
      });
  app.add_option("--json", o.json_out, "Also write the results to this JSON file");
  app.add_option("--dir", o.dir,
                 "Work directory, new or empty, kept (default: a fresh one under $TMPDIR, "
                 "removed)");
  app.add_flag("--keep", o.keep, "Keep the work directory (databases, server logs)");
  CLI11_PARSE(app, argc, argv);

  ob::SetProgramName("scale_load");
  ::signal(SIGPIPE, SIG_IGN);
  HandleInterruptsWithDie();
  if (!fs::exists(o.bin)) Die("no server binary at " + o.bin + " (see --bin)");
  if (!fs::exists(o.pg_script)) Die("no script at " + o.pg_script + " (see --pg-script)");

  if (std::error_code ec; !o.dir.empty() && fs::exists(o.dir) && !fs::is_empty(o.dir, ec)) {
    Die("--dir " + o.dir + " is not empty (it would hold a previous run's databases)");
  }
  const ob::WorkDir work(o.dir, o.keep);
  const fs::path& dir = work.path();
  // As root the script runs PostgreSQL as an unprivileged user, which must be
  // able to reach its directory under ours (mkdtemp makes it 0700).
  fs::permissions(dir, fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);

  // ---- the private PostgreSQL, durable
  std::string fsync = "on";
  std::string pg_options;
  for (const auto& s : o.pg_settings) {
    if (s.rfind("fsync=", 0) == 0) {
      fsync = s.substr(6);
      if (fsync != "on" && fsync != "off") Die("--pg-setting fsync= takes on or off");
      continue;  // the script's own switch
    }
    pg_options += (pg_options.empty() ? "" : " ") + std::string("-c ") + s;
  }
  PgServer pg(o.pg_script, dir / "pg", dir);
  const bool remove_on_interrupt = o.dir.empty() && !o.keep;
  ob::SetAtDie([&pg, &dir, remove_on_interrupt] {
    pg.Stop();
    std::error_code ec;
    if (g_interrupted && remove_on_interrupt) {
      if (fs::remove_all(dir, ec); ec) {
        std::fprintf(stderr, "scale_load: cannot remove %s: %s\n", dir.c_str(),
                     ec.message().c_str());
      }
    } else {
      std::fprintf(stderr, "scale_load: work directory (server logs) left in %s\n", dir.c_str());
    }
  });
  const auto pg_t0 = Clock::now();
  const std::string base_url = pg.Start(fsync, pg_options);
  const pid_t postmaster = pg.postmaster();
  // The settings that decide durability and speed, as the server reports them.
  std::string settings;
  std::string version;
  {
    auto conn = ConnectPg(base_url);
    std::vector<std::string> names{"fsync",           "synchronous_commit", "full_page_writes",
                                   "wal_sync_method", "shared_buffers",     "max_connections"};
    for (const auto& s : o.pg_settings) {
      const std::string name = s.substr(0, s.find('='));
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    for (const auto& name : names) {
      auto rows = conn->Query("SELECT current_setting($1)", offerledger::pg::Params().Add(name));
      if (!rows.ok()) Die("SHOW " + name + ": " + rows.status().ToString());
      settings += (settings.empty() ? "" : " ") + name + "=" + rows->Text(0, 0);
      if (name == "fsync" && rows->Text(0, 0) != fsync) {
        Die("PostgreSQL runs with fsync=" + rows->Text(0, 0) + ", not " + fsync + " (does " +
            o.pg_script + " know PG_TEST_FSYNC?)");
      }
    }
    auto v = conn->Query("SHOW server_version");
    if (v.ok()) version = v->Text(0, 0);
  }

  const unsigned cores = std::thread::hardware_concurrency();
  const bool has_pool_flag = ServeHasFlag(o.bin, dir, "--db-pool-size");
  std::vector<std::string> common_extra;
  if (o.server_threads > 0) common_extra = {"--threads", std::to_string(o.server_threads)};
  std::vector<std::string> pg_extra = common_extra;
  std::string pool_note = "the server's default";
  if (o.pool_size > 0) {
    if (has_pool_flag) {
      pg_extra.insert(pg_extra.end(), {"--db-pool-size", std::to_string(o.pool_size)});
      pool_note = std::to_string(o.pool_size) + " per process (--db-pool-size)";
    } else {
      pool_note = "the server's default (--pool-size " + std::to_string(o.pool_size) +
                  " ignored: `serve --help` lists no --db-pool-size)";
    }
  }
  char limits[160];
  std::snprintf(limits, sizeof limits, "each phase at most %zu requests or %.0f s", o.packages,
                o.run_seconds);
  const std::string header =
      "scale-out: " + std::to_string(cores) +
      " cores shared by PostgreSQL, every server process and this load generator\n"
      "  PostgreSQL " +
      version + " (private, started in " +
      std::to_string(static_cast<int>(ob::Seconds(Clock::now() - pg_t0) * 1000)) +
      " ms): " + settings +
      "\n  SQLite: journal_mode=WAL synchronous=FULL (the server's own settings)\n"
      "  " +
      std::to_string(o.connections) +
      " client connections in total, round-robin over the processes' ports; " + limits +
      "\n  server threads: " +
      (o.server_threads > 0 ? std::to_string(o.server_threads) : std::string("default")) +
      " per process; PostgreSQL pool: " + pool_note;
  std::printf("%s\n\n", header.c_str());
  std::fflush(stdout);

  // A watchdog: a server that stops answering would block a client read
  // forever; Die() kills every server and stops PostgreSQL.
  const double hard_limit_s =
      static_cast<double>(o.processes.size() + 1) * (2 * o.run_seconds + 60) + 30;
  ob::Watchdog watchdog(hard_limit_s, [hard_limit_s] {
    Die("no progress within " + std::to_string(static_cast<int>(hard_limit_s)) +
        " s; killing the servers");
  });

  // ---- the configurations
  std::vector<ConfigResult> results;
  const fs::path sqlite_dir = dir / "sqlite";
  const fs::path sqlite_db = sqlite_dir / "bench.db";
  results.push_back(RunConfig(o, "sqlite", 1, "sqlite:" + sqlite_db.string(), sqlite_dir,
                              common_extra, -1, [&] { return ob::ReadSqliteLedger(sqlite_db); }));
  {
    auto admin = ConnectPg(base_url);
    for (std::size_t k = 0; k < o.processes.size(); ++k) {
      const int n = o.processes[k];
      const std::string db = "bench_" + std::to_string(k + 1) + "_p" + std::to_string(n);
      if (auto st = admin->Exec("CREATE DATABASE " + db); !st.ok()) {
        Die("CREATE DATABASE " + db + ": " + st.ToString());
      }
      const std::string url = WithDatabase(base_url, db);
      results.push_back(RunConfig(o, "postgresql", n, url, dir / db, pg_extra, postmaster,
                                  [url] { return ReadPgLedger(url); }));
    }
  }
  watchdog.Stop();
  pg.Stop();

  PrintTable(results, header);
  bool pass = true;
  for (const auto& r : results) pass = pass && r.pass;

  if (!o.json_out.empty()) {
    json::object out;
    out["binary"] = o.bin;
    out["cores"] = cores;
    out["note"] = "PostgreSQL, every server process and the load generator share the cores";
    out["postgres_version"] = version;
    out["postgres_settings"] = settings;
    out["sqlite_settings"] = "journal_mode=WAL synchronous=FULL";
    out["connections"] = o.connections;
    out["packages_limit"] = o.packages;
    out["run_seconds"] = o.run_seconds;
    out["server_threads_option"] = o.server_threads;
    out["pool_size_option"] = o.pool_size;
    out["pool_size_flag_supported"] = has_pool_flag;
    json::array cs;
    for (const auto& r : results) cs.push_back(ConfigJson(r, results.front()));
    out["configs"] = std::move(cs);
    out["pass"] = pass;
    ob::WriteJsonFile(o.json_out, out);
  }

  if (o.keep) std::printf("work directory kept: %s\n", dir.c_str());
  if (!pass)
    std::printf("FAILED: see the lines above (failed requests, unclean stops or exactness)\n");
  ob::WaitIfDying();  // an interrupt's clean-up uses `pg` and `work`
  return pass ? 0 : 1;
}
