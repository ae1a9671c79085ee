#include "store/postgres/pg_conn.h"

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <utility>
#include <vector>

namespace offerledger::pg {

std::string RedactUrl(const std::string& url) {
  static const std::regex kUserinfo(R"(^(postgres(?:ql)?://[^:/@]*):[^@]*@)");
  std::string out = std::regex_replace(url, kUserinfo, "$1:***@");
  static const std::regex kPasswordParam(R"((password=)[^&\s]*)");
  return std::regex_replace(out, kPasswordParam, "$1***");
}

namespace {
// Process-wide: every pool of the process reports to the same stderr.
std::atomic<bool> g_unavailable{false};
}  // namespace

void NoteUnavailable(std::string_view detail) {
  if (!g_unavailable.exchange(true)) {
    std::cerr << "offerledger: PostgreSQL unavailable, requests answer 503 until it is back: "
              << detail << std::endl;
  }
}

void NoteAvailable() {
  // A load first: this runs after every statement, and the flag is rarely set.
  if (g_unavailable.load(std::memory_order_relaxed) && g_unavailable.exchange(false)) {
    std::cerr << "offerledger: PostgreSQL reachable again" << std::endl;
  }
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  // Defaults for a database across a network: give up a connect attempt after
  // 5 s and notice a silently vanished server within about a minute (TCP
  // keepalives) -- otherwise a request waits for the OS's TCP timeout, minutes,
  // instead of answering 503. They come before the URL, which libpq expands in
  // place, so a URL that sets any of them wins; PGCONNECT_TIMEOUT, when set,
  // is left to apply.
  std::vector<const char*> keys;
  std::vector<const char*> values;
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    keys.push_back("connect_timeout");
    values.push_back("5");
  }
  for (const auto& [k, v] :
       {std::pair{"keepalives", "1"}, std::pair{"keepalives_idle", "30"},
        std::pair{"keepalives_interval", "10"}, std::pair{"keepalives_count", "3"}}) {
    keys.push_back(k);
    values.push_back(v);
  }
  keys.push_back("dbname");
  values.push_back(url.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (c == nullptr) return Status::Unavailable("PostgreSQL: out of memory connecting");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    return Status::Unavailable("cannot connect to PostgreSQL at " + RedactUrl(url) + ": " + msg);
  }
  PGresult* r = PQexec(c, "SET client_min_messages = warning");
  PQclear(r);
  NoteAvailable();
  return std::unique_ptr<Connection>(new Connection(c));
}

Connection::~Connection() {
  if (c_ != nullptr) PQfinish(c_);
}

bool Connection::Broken() const { return PQstatus(c_) != CONNECTION_OK; }

bool Connection::Alive() {
  // Twice: the first read may return the server's last message (e.g. FATAL
  // terminating connection), the second then meets the end of the stream.
  for (int i = 0; i < 2; ++i) {
    if (PQstatus(c_) != CONNECTION_OK || PQconsumeInput(c_) == 0) return false;
  }
  return PQstatus(c_) == CONNECTION_OK;
}

bool Connection::InTransaction() const {
  const auto s = PQtransactionStatus(c_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

Status Connection::Error(PGresult* r, std::string_view sql) {
  std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state != nullptr ? state : "";
  transient_ = Broken() || code == "40001" || code == "40P01" || code.rfind("08", 0) == 0 ||
               code == "57P01" || code == "57P02" || code == "57P03";
  // Unavailable statuses reach partners as 503s: the message says no more
  // than kUnavailableMessage; libpq's text goes to stderr.
  if (Broken() || code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0) {
    NoteUnavailable("connection lost: " + msg);
    return Status::Unavailable(std::string(kUnavailableMessage));
  }
  // Retried by Transact; a read that meets one answers 503 with the same
  // words as any other unavailable database (libpq's text names tables).
  if (transient_) return Status::Unavailable(std::string(kUnavailableMessage));
  if (code == "23505") return Status::Conflict("PostgreSQL: " + msg);
  if (code == "25006") {  // read_only_sql_transaction
    read_only_ = true;
    NoteUnavailable("the database is read-only: " + msg);
    return Status::Unavailable(std::string(kReadOnlyMessage));
  }
  if (code == "53100" || code == "53200" || code == "53300") {
    NoteUnavailable(msg);
    return Status::Unavailable(std::string(kUnavailableMessage));
  }
  return Status::Internal("PostgreSQL error " + code + " in '" + std::string(sql.substr(0, 80)) +
                          "': " + msg);
}

Result<Rows> Connection::Query(const std::string& sql, const Params& params) {
  transient_ = false;
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "ol" + std::to_string(prepared_.size());
    PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), params.size(), nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      Status s = Error(r, sql);
      PQclear(r);
      return s;
    }
    PQclear(r);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  const auto values = params.Pointers();
  PGresult* r =
      PQexecPrepared(c_, it->second.c_str(), params.size(), values.data(), nullptr, nullptr, 0);
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status s = Error(r, sql);
    PQclear(r);
    if (Broken()) prepared_.clear();
    return s;
  }
  NoteAvailable();
  return Rows(r);
}

Status Connection::Exec(const std::string& sql) {
  transient_ = false;
  PGresult* r = PQexec(c_, sql.c_str());
  const auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status s = Error(r, sql);
    PQclear(r);
    return s;
  }
  PQclear(r);
  NoteAvailable();
  return Status::Ok();
}

}  // namespace offerledger::pg
