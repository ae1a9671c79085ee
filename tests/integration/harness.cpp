#include "integration/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "auth/http_date.h"
#include "auth/signer.h"
#include "common/time.h"
#include "integration/cassette.h"
#include "support/pg_schema.h"

extern char** environ;

namespace itest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ContainsI(std::string_view haystack, std::string_view needle) {
  return ToLower(haystack).find(ToLower(needle)) != std::string::npos;
}

// ================================================================ processes

namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

int DecodeWaitStatus(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return -WTERMSIG(st);
  return -1000;
}

// Reads what is available on `fd` into `out` within `timeout_ms`; false at EOF.
bool ReadSome(int fd, std::string& out, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  const int n = ::poll(&p, 1, timeout_ms);
  if (n <= 0) return true;
  char buf[4096];
  const ssize_t got = ::read(fd, buf, sizeof buf);
  if (got <= 0) return false;
  out.append(buf, static_cast<std::size_t>(got));
  return true;
}

}  // namespace

CommandResult RunOfferledger(const std::vector<std::string>& args) {
  CommandResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.err = "pipe failed";
    return result;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<std::string> full{OFFERLEDGER_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  auto argv = Argv(full);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, full[0].c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "posix_spawn failed: " + std::to_string(rc);
    return result;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  bool out_open = true;
  bool err_open = true;
  while ((out_open || err_open) && Clock::now() < deadline) {
    pollfd p[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                   {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    if (::poll(p, 2, 100) <= 0) continue;
    char buf[4096];
    if (out_open && (p[0].revents & (POLLIN | POLLHUP))) {
      const ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
      if (n <= 0)
        out_open = false;
      else
        result.out.append(buf, static_cast<std::size_t>(n));
    }
    if (err_open && (p[1].revents & (POLLIN | POLLHUP))) {
      const ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
      if (n <= 0)
        err_open = false;
      else
        result.err.append(buf, static_cast<std::size_t>(n));
    }
  }
  if (out_open || err_open) ::kill(pid, SIGKILL);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  result.exit_code = DecodeWaitStatus(st);
  return result;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/offerledger-itest-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::string& db_url,
                                                    const std::vector<std::string>& extra_args,
                                                    const std::filesystem::path& stderr_path) {
  std::unique_ptr<ServerProcess> sp(new ServerProcess());
  sp->stderr_path_ = stderr_path;
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return nullptr;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> full{OFFERLEDGER_BINARY, "serve", "--listen",
                                "127.0.0.1:0",      "--db",  db_url};
  full.insert(full.end(), extra_args.begin(), extra_args.end());
  auto argv = Argv(full);
  const int rc = ::posix_spawn(&sp->pid_, full[0].c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    sp->pid_ = -1;
    ADD_FAILURE() << "posix_spawn " << OFFERLEDGER_BINARY << " failed: " << rc;
    return nullptr;
  }
  sp->out_fd_ = out_pipe[0];

  // The first stdout line names the port.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (sp->stdout_.find('\n') == std::string::npos && Clock::now() < deadline) {
    if (!ReadSome(sp->out_fd_, sp->stdout_, 50)) break;
  }
  const std::size_t nl = sp->stdout_.find('\n');
  if (nl == std::string::npos) {
    ADD_FAILURE() << "offerledger serve printed no first line within 10 s; stdout: " << sp->stdout_
                  << "\nstderr: " << sp->stderr_text();
    return nullptr;
  }
  sp->first_line_ = sp->stdout_.substr(0, nl);
  // "listening on https://" with --tls-cert: the port is known, but /healthz
  // below is plain HTTP, so a TLS server is taken as ready once it listens.
  const bool https = sp->first_line_.find("listening on https://") != std::string::npos;
  const std::string marker = https ? "listening on https://" : "listening on http://";
  const std::size_t at = sp->first_line_.find(marker);
  if (at == std::string::npos) {
    ADD_FAILURE() << "unexpected first line: " << sp->first_line_;
    return nullptr;
  }
  const std::size_t start = at + marker.size();
  const std::size_t end = sp->first_line_.find_first_of(" /", start);
  const std::string hostport = sp->first_line_.substr(start, end - start);
  const std::size_t colon = hostport.rfind(':');
  sp->port_ = static_cast<std::uint16_t>(std::atoi(hostport.c_str() + colon + 1));
  if (colon == std::string::npos || sp->port_ == 0) {
    ADD_FAILURE() << "no port in first line: " << sp->first_line_;
    return nullptr;
  }

  if (https) return sp;
  // Ready when /healthz answers 200.
  while (Clock::now() < deadline) {
    int st = 0;
    if (::waitpid(sp->pid_, &st, WNOHANG) == sp->pid_) {
      sp->pid_ = -1;
      ADD_FAILURE() << "offerledger serve exited early (" << DecodeWaitStatus(st)
                    << "): " << sp->stderr_text();
      return nullptr;
    }
    const HttpReply r = SendRaw(sp->port_, RawRequest{"GET", "/healthz", std::nullopt, {}});
    if (r.status == 200) return sp;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "GET /healthz did not answer 200 within 10 s; stderr: " << sp->stderr_text();
  return nullptr;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (::testing::Test::HasFailure()) {
    const std::string err = stderr_text();
    if (!err.empty()) std::cerr << "---- offerledger serve stderr ----\n" << err << "----\n";
  }
}

void ServerProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

void ServerProcess::DrainStdout(int timeout_ms) {
  if (out_fd_ < 0) return;
  if (!ReadSome(out_fd_, stdout_, timeout_ms)) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
}

std::optional<int> ServerProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      while (out_fd_ >= 0) DrainStdout(100);
      return DecodeWaitStatus(st);
    }
    if (Clock::now() >= deadline) return std::nullopt;
    DrainStdout(10);
    if (out_fd_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::optional<int> ServerProcess::Terminate() {
  Signal(SIGTERM);
  return Wait(std::chrono::seconds(20));
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

std::string ServerProcess::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ================================================================ HTTP

std::optional<std::string> HttpReply::Header(std::string_view name) const {
  const std::string want = ToLower(name);
  for (const auto& [k, v] : headers) {
    if (ToLower(k) == want) return v;
  }
  return std::nullopt;
}

json::value HttpReply::Json() const {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    ADD_FAILURE() << "response body is not JSON (" << ec.message() << "): " << Describe();
    return nullptr;
  }
  return v;
}

std::string HttpReply::Describe() const {
  if (status == 0) return "transport error: " + error;
  return std::to_string(status) + " " + body.substr(0, 2000);
}

namespace {

HttpReply FromBeast(const http::response<http::string_body>& res) {
  HttpReply out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), f.value());
  return out;
}

}  // namespace

HttpReply SendRaw(std::uint16_t port, const RawRequest& req) {
  HttpReply out;
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(15));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> r;
    r.version(11);
    r.method_string(req.method);
    r.target(req.target);
    bool has_host = false;
    for (const auto& [k, v] : req.headers) {
      if (ToLower(k) == "host") has_host = true;
      r.insert(k, v);
    }
    if (!has_host) r.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    r.keep_alive(false);
    if (req.body) {
      r.body() = *req.body;
      r.content_length(req.body->size());
    } else if (req.method == "POST" || req.method == "PATCH" || req.method == "PUT") {
      r.content_length(0);
    }
    http::write(stream, r);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    out = FromBeast(parser.get());
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

struct RawConnection::Impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
};

RawConnection::RawConnection(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  impl_->stream.expires_after(std::chrono::seconds(10));
  impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  impl_->connected = !ec;
}

RawConnection::~RawConnection() {
  beast::error_code ec;
  impl_->stream.socket().close(ec);
}

bool RawConnection::connected() const { return impl_->connected; }

bool RawConnection::Write(std::string_view bytes) {
  beast::error_code ec;
  impl_->stream.expires_after(std::chrono::seconds(10));
  asio::write(impl_->stream, asio::buffer(bytes.data(), bytes.size()), ec);
  return !ec;
}

HttpReply RawConnection::ReadReply(std::chrono::milliseconds timeout) {
  HttpReply out;
  beast::error_code ec;
  impl_->stream.expires_after(timeout);
  http::response_parser<http::string_body> parser;
  http::read(impl_->stream, impl_->buffer, parser, ec);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  return FromBeast(parser.get());
}

bool ConnectRefused(std::uint16_t port) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  beast::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return ec == asio::error::connection_refused;
}

// ================================================================ signing

std::string HttpDate(std::chrono::seconds offset) {
  return offerledger::FormatHttpDate(offerledger::NowMicros() +
                                     offset.count() * offerledger::kMicrosPerSecond);
}

std::string Client::Path(std::string_view rest) const {
  return prefix_ + "/partners/" + creds_.partner + "/" + std::string(rest);
}

RawRequest Client::Build(std::string method, std::string target, std::optional<std::string> body,
                         const SignOptions& opts) const {
  RawRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (r.body && !opts.content_type.empty())
    r.headers.emplace_back("Content-Type", opts.content_type);
  if (opts.send_date) r.headers.emplace_back(opts.date_header_name, opts.date.value_or(HttpDate()));
  if (opts.send_api_key)
    r.headers.emplace_back("X-Api-Key", opts.api_key_value.value_or(creds_.key));
  if (opts.idempotency_key) r.headers.emplace_back("x-idempotency-key", *opts.idempotency_key);
  for (const auto& h : opts.extra_headers) r.headers.push_back(h);
  const offerledger::HeaderLookup lookup =
      [&r](std::string_view lower) -> std::optional<std::string_view> {
    for (const auto& [k, v] : r.headers) {
      if (ToLower(k) == lower) return std::string_view(v);
    }
    return std::nullopt;
  };
  const std::string auth =
      offerledger::BuildAuthorization(creds_.key, opts.secret_override.value_or(creds_.secret),
                                      opts.alg, opts.signed_headers, r.method, r.target, lookup);
  EXPECT_FALSE(auth.empty()) << "BuildAuthorization failed";
  r.headers.emplace_back("Authorization", auth);
  return r;
}

HttpReply Client::Send(std::string method, std::string target, std::optional<std::string> body,
                       const SignOptions& opts) const {
  return SendRaw(port_, Build(std::move(method), std::move(target), std::move(body), opts));
}

boost::json::object Client::CreateQuote(const std::string& body) const {
  const HttpReply r = Post("quotes/", body);
  EXPECT_EQ(r.status, 201) << "POST quotes/: " << r.Describe();
  json::value v = r.Json();
  return v.is_object() ? v.get_object() : json::object{};
}

boost::json::object Client::CreateQuote() const { return CreateQuote(CassetteQuoteBody()); }

boost::json::object Client::InstantBooking(const std::string& body) const {
  const HttpReply r = Post("instant_booking/", body);
  EXPECT_EQ(r.status, 200) << "POST instant_booking/: " << r.Describe();
  json::value v = r.Json();
  return v.is_object() ? v.get_object() : json::object{};
}

boost::json::object Client::InstantBooking() const {
  return InstantBooking(CassetteInstantBookingBody());
}

boost::json::object Client::Book(const boost::json::object& package) const {
  const std::string id = Str(package, {"id"});
  const HttpReply r = Post("bookings/" + id + "/", BookingBodyFor(package));
  EXPECT_EQ(r.status, 200) << "POST bookings/" << id << "/: " << r.Describe();
  json::value v = r.Json();
  return v.is_object() ? v.get_object() : json::object{};
}

boost::json::object Client::GetQuote(std::string_view id) const {
  const HttpReply r = Get("quotes/" + std::string(id) + "/");
  EXPECT_EQ(r.status, 200) << "GET quotes/" << id << "/: " << r.Describe();
  json::value v = r.Json();
  return v.is_object() ? v.get_object() : json::object{};
}

// ================================================================ environment

struct Env::PgSchema {
  explicit PgSchema(const std::string& base) : schema(base) {}
  offerledger::testing::PgSchema schema;
};

namespace {

Backend BackendFromEnvironment() {
  const char* v = std::getenv("OFFERLEDGER_ITEST_BACKEND");
  const std::string name = v != nullptr ? v : "";
  if (name.empty() || name == "sqlite") return Backend::kSqlite;
  if (name == "postgres") return Backend::kPostgres;
  ADD_FAILURE() << "OFFERLEDGER_ITEST_BACKEND=" << name << ": use sqlite or postgres";
  return Backend::kSqlite;
}

}  // namespace

Env::Env()
    : backend_(BackendFromEnvironment()),
      db_url_("sqlite:" + (dir_.path() / "offerledger.db").string()) {
  if (backend_ != Backend::kPostgres) return;
  const std::string base = offerledger::testing::TestPgUrl();
  if (base.empty()) {
    ADD_FAILURE() << "OFFERLEDGER_ITEST_BACKEND=postgres but no PostgreSQL test server: set "
                     "OFFERLEDGER_TEST_PG_URL or run through ctest (fixture pg_server_start)";
    return;  // the test goes on against SQLite, already failed
  }
  schema_ = std::make_unique<PgSchema>(base);
  db_url_ = schema_->schema.url();
  // PgSchema does not report a failed CREATE SCHEMA; the search path shows it.
  const auto rows = Query("SELECT current_schema()");
  EXPECT_TRUE(!rows.empty() && rows[0][0] == schema_->schema.name())
      << "the schema " << schema_->schema.name() << " was not created in the test server";
}

Env::~Env() = default;

std::vector<std::vector<std::string>> Env::Query(const std::string& sql) const {
  if (!schema_) return QueryDb(db_file(), sql);
  std::vector<std::vector<std::string>> rows;
  PGconn* c = PQconnectdb(db_url_.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    // The URL is not printed: it could carry a password.
    ADD_FAILURE() << "cannot connect to the PostgreSQL test schema " << schema_->schema.name()
                  << ": " << PQerrorMessage(c);
    PQfinish(c);
    return rows;
  }
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "PostgreSQL refuses `" << sql << "`: " << PQresultErrorMessage(r);
  } else {
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < PQnfields(r); ++j) {
        row.emplace_back(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
      }
      rows.push_back(std::move(row));
    }
  }
  PQclear(r);
  PQfinish(c);
  return rows;
}

namespace {

Credentials ParseCredentials(const CommandResult& r, const std::string& what) {
  Credentials c;
  EXPECT_EQ(r.exit_code, 0) << what << " failed: " << r.err << r.out;
  if (r.exit_code != 0) return c;
  boost::system::error_code ec;
  const json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << what << " printed no JSON: " << r.out;
  if (ec || !v.is_object()) return c;
  c.partner = Str(v, {"partner"});
  c.key = Str(v, {"api_key"});
  c.secret = Str(v, {"api_secret"});
  EXPECT_FALSE(c.key.empty()) << r.out;
  EXPECT_FALSE(c.secret.empty()) << r.out;
  return c;
}

}  // namespace

Credentials Env::AddPartner(const std::string& code) {
  return ParseCredentials(RunOfferledger({"partner", "add", code, "--db", db_url_, "--json"}),
                          "partner add " + code);
}

Credentials Env::AddKey(const std::string& code) {
  return ParseCredentials(RunOfferledger({"partner", "add-key", code, "--db", db_url_, "--json"}),
                          "partner add-key " + code);
}

int Env::RevokeKey(const std::string& key) {
  const CommandResult r = RunOfferledger({"partner", "revoke-key", key, "--db", db_url_});
  EXPECT_EQ(r.exit_code, 0) << "partner revoke-key: " << r.err << r.out;
  return r.exit_code;
}

std::unique_ptr<ServerProcess> Env::StartServer(const std::vector<std::string>& extra_args) {
  const auto err = dir() / ("serve-" + std::to_string(++servers_started_) + ".stderr");
  return ServerProcess::Start(db_url_, extra_args, err);
}

// ================================================================ fixture data

const std::string& CassetteQuoteBody() {
  static const std::string body = *LoadCassette("test_opt_out").at(0).request.body;
  return body;
}

const std::string& CassetteInstantBookingBody() {
  static const std::string body = *LoadCassette("test_instant_booking").at(0).request.body;
  return body;
}

std::string BookingBodyFor(const boost::json::object& package) {
  json::array quotes;
  if (const json::value* q = package.if_contains("quotes")) {
    auto add = [&](const json::value& quote) {
      if (quote.is_object() && quote.get_object().contains("id")) {
        quotes.push_back(json::object{{"id", quote.get_object().at("id")}});
      }
    };
    if (q->is_object()) {
      for (const auto& kv : q->get_object()) add(kv.value());
    } else if (q->is_array()) {
      for (const auto& x : q->get_array()) add(x);
    }
  }
  json::object body{{"quotes", quotes},
                    {"policyholder",
                     {{"first_name", "Mark"},
                      {"last_name", "Mcintosh"},
                      {"age", 30},
                      {"email", "mark.mcintosh@test-xcover.com"},
                      {"country", "GB"},
                      {"region", nullptr},
                      {"company", "Barrera Ltd"}}}};
  return json::serialize(body);
}

namespace {

const json::value* Walk(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (std::string_view seg : path) {
    if (cur->is_object()) {
      cur = cur->get_object().if_contains(seg);
    } else if (cur->is_array() && !seg.empty() &&
               seg.find_first_not_of("0123456789") == std::string_view::npos) {
      const std::size_t i = std::stoul(std::string(seg));
      cur = i < cur->get_array().size() ? &cur->get_array()[i] : nullptr;
    } else {
      cur = nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

}  // namespace

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* x = Walk(v, path);
  return x != nullptr && x->is_string() ? std::string(x->get_string()) : std::string();
}

double Num(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* x = Walk(v, path);
  if (x == nullptr) return std::nan("");
  if (x->is_double()) return x->get_double();
  if (x->is_int64()) return static_cast<double>(x->get_int64());
  if (x->is_uint64()) return static_cast<double>(x->get_uint64());
  return std::nan("");
}

bool Has(const json::value& v, std::initializer_list<std::string_view> path) {
  return Walk(v, path) != nullptr;
}

std::vector<std::vector<std::string>> QueryDb(const std::filesystem::path& db,
                                              const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* conn = nullptr;
  if (sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db << ": " << (conn ? sqlite3_errmsg(conn) : "?");
    sqlite3_close(conn);
    return rows;
  }
  sqlite3_busy_timeout(conn, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(conn, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "SQLite refuses `" << sql << "`: " << sqlite3_errmsg(conn);
    sqlite3_close(conn);
    return rows;
  }
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      row.emplace_back(t != nullptr ? reinterpret_cast<const char*>(t) : "NULL");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) ADD_FAILURE() << "`" << sql << "` failed: " << sqlite3_errmsg(conn);
  sqlite3_finalize(st);
  sqlite3_close(conn);
  return rows;
}

}  // namespace itest
