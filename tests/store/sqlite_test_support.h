// Helpers for the store tests: a fresh temporary directory per test, sample
// packages and events, and a raw SQLite connection for looking under the hood.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "domain/ids.h"
#include "domain/quote_package.h"
#include "store/sqlite/sqlite_store.h"

namespace offerledger::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "offerledger-store-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter++) + "-" +
                       (info != nullptr ? std::string(info->name()) : std::string("x"));
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline Quote MakeQuote(Micros now, MinorUnits premium) {
  Quote q;
  q.id = NewUuid();
  q.policy_type = "event_ticket_protection";
  q.policy_type_version = 1;
  q.policy_name = "Ticket Protection";
  q.policy_code = "ETP-GB-1";
  q.policy_version_id = NewUuid();
  q.policy_group = "event";
  q.fields_json = R"({"number_of_tickets":2,"tickets":[{"price":100}]})";
  q.policy_start = now;
  q.policy_end = now + 30 * kMicrosPerDay;
  q.premium = premium;
  q.taxes = {{"IPT", premium / 10}};
  q.price = premium + premium / 10;
  q.cover_amount = 20000;
  q.content = {"Ticket protection", "Covers your tickets", "No thanks", "Terms apply"};
  q.created_at = now;
  q.updated_at = now;
  return q;
}

inline QuotePackage MakePackage(const std::string& partner, Micros now = 1'700'000'000'000'000,
                                int quotes = 1) {
  QuotePackage p;
  p.id = NewPackageId();
  p.partner = partner;
  p.security_token = NewSecurityToken();
  p.currency = "GBP";
  p.customer_country = "GB";
  p.customer_region = "London";
  p.customer_language = "en";
  p.created_at = now;
  p.updated_at = now;
  for (int i = 0; i < quotes; ++i) p.quotes.push_back(MakeQuote(now, 100 + i));
  return p;
}

inline LedgerEvent MakeTestEvent(EventKind kind, const std::string& partner,
                                 const std::string& package_id, Micros at) {
  LedgerEvent e;
  e.kind = kind;
  e.at = at;
  e.partner = partner;
  e.package_id = package_id;
  e.quote_id = NewUuid();
  e.policy_type = "event_ticket_protection";
  e.policy_type_version = 1;
  e.policy_code = "ETP-GB-1";
  e.price = 201;
  e.premium = 183;
  e.tax = 18;
  e.amount = kind == EventKind::kCancelled ? 201 : 0;
  e.currency = "GBP";
  e.customer_country = "GB";
  e.price_multiplier_nanos = 1'100'000'000;
  e.data_json = R"({"note":"x"})";
  return e;
}

// Compares every field of two packages (the structs have no operator==).
inline void ExpectSamePackage(const QuotePackage& a, const QuotePackage& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.partner, b.partner);
  EXPECT_EQ(a.security_token, b.security_token);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.currency, b.currency);
  EXPECT_EQ(a.customer_country, b.customer_country);
  EXPECT_EQ(a.customer_region, b.customer_region);
  EXPECT_EQ(a.customer_language, b.customer_language);
  EXPECT_EQ(a.partner_transaction_id, b.partner_transaction_id);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.booked_at, b.booked_at);
  EXPECT_EQ(a.policyholder_json, b.policyholder_json);
  ASSERT_EQ(a.pending_cancellation.has_value(), b.pending_cancellation.has_value());
  if (a.pending_cancellation) {
    EXPECT_EQ(a.pending_cancellation->id, b.pending_cancellation->id);
    EXPECT_EQ(a.pending_cancellation->created_at, b.pending_cancellation->created_at);
    EXPECT_EQ(a.pending_cancellation->confirm_before, b.pending_cancellation->confirm_before);
  }
  ASSERT_EQ(a.pending_update.has_value(), b.pending_update.has_value());
  if (a.pending_update) {
    EXPECT_EQ(a.pending_update->id, b.pending_update->id);
    EXPECT_EQ(a.pending_update->created_at, b.pending_update->created_at);
    EXPECT_EQ(a.pending_update->confirm_before, b.pending_update->confirm_before);
    ASSERT_EQ(a.pending_update->quotes.size(), b.pending_update->quotes.size());
    for (std::size_t i = 0; i < a.pending_update->quotes.size(); ++i) {
      EXPECT_EQ(a.pending_update->quotes[i].id, b.pending_update->quotes[i].id);
      EXPECT_EQ(a.pending_update->quotes[i].price, b.pending_update->quotes[i].price);
      EXPECT_EQ(a.pending_update->quotes[i].premium, b.pending_update->quotes[i].premium);
      EXPECT_EQ(a.pending_update->quotes[i].fields_json, b.pending_update->quotes[i].fields_json);
    }
  }
  ASSERT_EQ(a.quotes.size(), b.quotes.size());
  for (std::size_t i = 0; i < a.quotes.size(); ++i) {
    SCOPED_TRACE("quote " + std::to_string(i));
    const Quote& x = a.quotes[i];
    const Quote& y = b.quotes[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.policy_type, y.policy_type);
    EXPECT_EQ(x.policy_type_version, y.policy_type_version);
    EXPECT_EQ(x.policy_name, y.policy_name);
    EXPECT_EQ(x.policy_code, y.policy_code);
    EXPECT_EQ(x.policy_version_id, y.policy_version_id);
    EXPECT_EQ(x.policy_group, y.policy_group);
    EXPECT_EQ(x.fields_json, y.fields_json);
    EXPECT_EQ(x.policy_start, y.policy_start);
    EXPECT_EQ(x.policy_end, y.policy_end);
    EXPECT_EQ(x.status, y.status);
    EXPECT_EQ(x.premium, y.premium);
    EXPECT_EQ(x.taxes, y.taxes);
    EXPECT_EQ(x.price, y.price);
    EXPECT_EQ(x.cover_amount, y.cover_amount);
    EXPECT_EQ(x.price_multiplier_nanos, y.price_multiplier_nanos);
    EXPECT_EQ(x.content, y.content);
    EXPECT_EQ(x.created_at, y.created_at);
    EXPECT_EQ(x.updated_at, y.updated_at);
    EXPECT_EQ(x.confirmed_at, y.confirmed_at);
    EXPECT_EQ(x.cancelled_at, y.cancelled_at);
    EXPECT_EQ(x.refund, y.refund);
  }
}

inline void ExpectSameEvent(const LedgerEvent& a, const LedgerEvent& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.partner, b.partner);
  EXPECT_EQ(a.package_id, b.package_id);
  EXPECT_EQ(a.quote_id, b.quote_id);
  EXPECT_EQ(a.policy_type, b.policy_type);
  EXPECT_EQ(a.policy_type_version, b.policy_type_version);
  EXPECT_EQ(a.policy_code, b.policy_code);
  EXPECT_EQ(a.price, b.price);
  EXPECT_EQ(a.premium, b.premium);
  EXPECT_EQ(a.tax, b.tax);
  EXPECT_EQ(a.amount, b.amount);
  EXPECT_EQ(a.currency, b.currency);
  EXPECT_EQ(a.customer_country, b.customer_country);
  EXPECT_EQ(a.price_multiplier_nanos, b.price_multiplier_nanos);
  EXPECT_EQ(a.data_json, b.data_json);
}

// A plain SQLite connection to the store's file, to check what is on disk.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errstr(rc);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql`; returns the result code and fills `error` with the message.
  int Exec(const std::string& sql, std::string* error = nullptr) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (error != nullptr) *error = err != nullptr ? err : "";
    sqlite3_free(err);
    return rc;
  }
  // The first column of the first row as an integer (-1 when there is none).
  std::int64_t Int(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Waits (up to 10 s) until `cond` holds; returns whether it did.
template <typename Cond>
bool WaitFor(Cond cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Opens a store in `dir` or fails the test.
inline std::unique_ptr<SqliteStore> OpenTestStore(const TempDir& dir,
                                                  const std::string& name = "store.db") {
  auto store = SqliteStore::OpenSqlite(dir.File(name));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(*store);
}

}  // namespace offerledger::testing
