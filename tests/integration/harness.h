// Integration test harness: starts the real `offerledger` binary in a fresh
// temp directory on a free port, runs its CLI, and talks HTTP to it with
// requests signed by the project's own signer (src/auth/signer.h).
//
// Beast and Asio stay in harness.cpp; tests only see these plain types.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "auth/hmac.h"

namespace itest {

using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------- processes

struct CommandResult {
  int exit_code = -1;  // -N when killed by signal N
  std::string out;
  std::string err;
};

// Runs `offerledger ARGS...` to completion (timeout 30 s).
CommandResult RunOfferledger(const std::vector<std::string>& args);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A running `offerledger serve`. The destructor SIGKILLs it if still running.
class ServerProcess {
 public:
  // Spawns `offerledger serve --listen 127.0.0.1:0 --db DB EXTRA...`, reads
  // the port from the first stdout line (10 s), then waits for /healthz 200.
  // `stderr_path` receives the server's stderr. Returns nullptr (and adds a
  // gtest failure saying why) when the server does not come up.
  static std::unique_ptr<ServerProcess> Start(const std::string& db_url,
                                              const std::vector<std::string>& extra_args,
                                              const std::filesystem::path& stderr_path);
  ~ServerProcess();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& first_line() const { return first_line_; }

  // Sends `sig` without waiting.
  void Signal(int sig);
  // Waits for the process to exit (up to `timeout`); returns the exit code,
  // -N if killed by signal N, or nullopt on timeout. Also drains stdout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM then Wait(20 s).
  std::optional<int> Terminate();
  // SIGKILL then reap.
  void Kill();
  bool running() const { return pid_ > 0; }
  // Everything the process wrote to stdout (complete after Wait()).
  const std::string& stdout_text() const { return stdout_; }
  std::string stderr_text() const;

 private:
  ServerProcess() = default;
  void DrainStdout(int timeout_ms);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string first_line_;
  std::string stdout_;
  std::filesystem::path stderr_path_;
};

// ---------------------------------------------------------------- HTTP

struct HttpReply {
  int status = 0;  // 0: transport failure, see `error`
  std::string error;
  std::string body;
  Headers headers;

  std::optional<std::string> Header(std::string_view name) const;  // case-insensitive
  // The body parsed as JSON; a gtest failure and null when it is not JSON.
  boost::json::value Json() const;
  // "STATUS BODY" for failure messages.
  std::string Describe() const;
};

struct RawRequest {
  std::string method = "GET";
  std::string target = "/";
  std::optional<std::string> body;  // nullopt: no body at all
  Headers headers;                  // sent as given (plus Host, Content-Length)
};

// One request on a fresh connection (Connection: close), 15 s timeout.
HttpReply SendRaw(std::uint16_t port, const RawRequest& req);

// A connection kept open across requests (for the graceful-stop test):
// writes raw bytes and reads one response at a time.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  bool connected() const;
  bool Write(std::string_view bytes);
  HttpReply ReadReply(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when a TCP connect to 127.0.0.1:port is refused right now.
bool ConnectRefused(std::uint16_t port);

// ---------------------------------------------------------------- signing

struct Credentials {
  std::string partner;
  std::string key;
  std::string secret;
};

struct SignOptions {
  offerledger::Algorithm alg = offerledger::Algorithm::kHmacSha512;
  std::vector<std::string> signed_headers = {"(request-target)", "date"};
  // The Date value to send and sign; default: now.
  std::optional<std::string> date;
  bool send_date = true;
  std::string date_header_name = "Date";
  // X-Api-Key: default the key itself; "" (empty optional) sends none.
  bool send_api_key = true;
  std::optional<std::string> api_key_value;
  // Sign with another secret (the keyId stays `creds.key`).
  std::optional<std::string> secret_override;
  std::optional<std::string> idempotency_key;
  std::string content_type = "application/json";
  Headers extra_headers;
};

// The IMF-fixdate for now + offset.
std::string HttpDate(std::chrono::seconds offset = std::chrono::seconds(0));

// A signed partner client.
class Client {
 public:
  Client(std::uint16_t port, Credentials creds, std::string prefix = "/xcover")
      : port_(port), creds_(std::move(creds)), prefix_(std::move(prefix)) {}

  const Credentials& creds() const { return creds_; }
  std::uint16_t port() const { return port_; }

  // prefix + "/partners/" + partner + "/" + rest
  std::string Path(std::string_view rest) const;

  // The raw request a signed call sends (tests can then tamper with it).
  RawRequest Build(std::string method, std::string target, std::optional<std::string> body,
                   const SignOptions& opts = {}) const;
  HttpReply Send(std::string method, std::string target, std::optional<std::string> body,
                 const SignOptions& opts = {}) const;

  HttpReply Get(std::string_view rest) const { return Send("GET", Path(rest), std::nullopt); }
  HttpReply Post(std::string_view rest, std::optional<std::string> body) const {
    return Send("POST", Path(rest), std::move(body));
  }

  // Helpers that assert success (gtest failures) and return the JSON body.
  boost::json::object CreateQuote(const std::string& body) const;     // 201
  boost::json::object CreateQuote() const;                            // the cassette body
  boost::json::object InstantBooking(const std::string& body) const;  // 200
  boost::json::object InstantBooking() const;                         // the cassette body
  // Books every quote of the package (200).
  boost::json::object Book(const boost::json::object& package) const;
  boost::json::object GetQuote(std::string_view id) const;  // 200

 private:
  std::uint16_t port_;
  Credentials creds_;
  std::string prefix_;
};

// ---------------------------------------------------------------- environment

// The database an Env gives its servers, chosen by the environment variable
// OFFERLEDGER_ITEST_BACKEND: unset or "sqlite" for a SQLite file in the temp
// dir, "postgres" for a fresh schema in the PostgreSQL test server (ctest
// registers the integration suite a second time that way, as pg.*).
enum class Backend { kSqlite, kPostgres };

// A temp dir, a database (see Backend), partners created with the CLI, and servers.
class Env {
 public:
  Env();
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const std::filesystem::path& dir() const { return dir_.path(); }
  Backend backend() const { return backend_; }
  bool postgres() const { return backend_ == Backend::kPostgres; }
  const std::string& db_url() const { return db_url_; }
  // The SQLite file (meaningful on the SQLite backend only).
  std::filesystem::path db_file() const { return dir_.path() / "offerledger.db"; }

  // Runs `sql` on this Env's database (SQLite: read-only from this process;
  // PostgreSQL: its schema, over libpq) and returns the rows, every column as
  // text ("NULL" for NULL). A gtest failure and no rows when the database
  // refuses. Keep to SQL both accept, or branch on postgres().
  std::vector<std::vector<std::string>> Query(const std::string& sql) const;

  // `offerledger partner add CODE --json`; a gtest failure when it fails.
  Credentials AddPartner(const std::string& code);
  // `offerledger partner add-key CODE --json`.
  Credentials AddKey(const std::string& code);
  // `offerledger partner revoke-key KEY`; returns the exit code.
  int RevokeKey(const std::string& key);

  // Starts a server on this db; asserts (returns nullptr on failure).
  std::unique_ptr<ServerProcess> StartServer(const std::vector<std::string>& extra_args = {});

 private:
  struct PgSchema;  // the PostgreSQL schema, dropped with the Env

  TempDir dir_;
  Backend backend_ = Backend::kSqlite;
  std::unique_ptr<PgSchema> schema_;
  std::string db_url_;
  int servers_started_ = 0;
};

// ---------------------------------------------------------------- fixtures data

// The request body of the first interaction of test_opt_out.yaml: one
// event_ticket_protection quote, GBP, customer_country GB.
const std::string& CassetteQuoteBody();
// The request body of test_instant_booking.yaml.
const std::string& CassetteInstantBookingBody();

// A booking body that selects every quote of `package` (a quote package JSON).
std::string BookingBodyFor(const boost::json::object& package);

// Small JSON helpers: obj["a"]["b"] as string / double, "" / NaN when absent.
std::string Str(const boost::json::value& v, std::initializer_list<std::string_view> path);
double Num(const boost::json::value& v, std::initializer_list<std::string_view> path);
bool Has(const boost::json::value& v, std::initializer_list<std::string_view> path);

// Runs `sql` on the SQLite file `db` (opened read-only, from this process)
// and returns the rows, every column as text ("NULL" for NULL). A gtest
// failure and no rows when SQLite refuses.
std::vector<std::vector<std::string>> QueryDb(const std::filesystem::path& db,
                                              const std::string& sql);

std::string ToLower(std::string_view s);
bool ContainsI(std::string_view haystack, std::string_view needle);

}  // namespace itest
