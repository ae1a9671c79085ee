// The durability check of http_bench: what the SQLite ledger holds after a
// clean stop, against what the wrk runs counted.
//
// Every 2xx is committed (synchronous=FULL) before it is sent, so each must
// have its row. wrk's response() does not say which request it answers (a
// thread multiplexes its connections), so the check is by count per kind,
// and exact per package where the package is known; rows beyond the 2xx
// counted can only come from requests wrk sent and never saw answered: it
// stops at its deadline without waiting for the requests in flight (at most
// one per connection), and the server still commits those.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "common/time.h"

namespace offerledger::bench {

// What the SQLite file holds, for the durability checks.
struct Ledger {
  std::map<std::string, std::int64_t> opted_out;             // package id -> kind='opted_out' rows
  std::map<std::string, std::int64_t> booked;                // package id -> kind='booked' rows
  std::vector<std::pair<std::string, Micros>> new_packages;  // created_at >= since
  std::int64_t offered = 0;
  std::int64_t packages = 0;
  std::string error;
};

// The ledger at `db_path` (opened read-only; the server must be stopped);
// new_packages are those created at or after `since`.
Ledger ReadLedger(const std::filesystem::path& db_path, Micros since);

// What the runs so far should have left in the ledger.
struct Expected {
  std::size_t seeded = 0;               // packages seeded (one offered event each)
  std::set<std::string> optout_sent;    // seeded packages an opt-out was sent for
  std::uint64_t optout_204 = 0;         // ... answered 204
  std::uint64_t optout_unanswered = 0;  // ... of the runs, never answered
  Micros http_since = 0;                // packages created from then on came over HTTP
  // A run that created packages over HTTP: those created from `from` on (until
  // the next such run) are its own.
  struct Window {
    std::string scenario;
    Micros from = 0;
    std::uint64_t n201 = 0, n204 = 0, n200 = 0, unanswered = 0;
    bool sends_optouts = false, sends_bookings = false;
  };
  std::vector<Window> windows;
};

struct LedgerCheck {
  bool ok = true;
  std::vector<std::string> lines;  // what was checked, for the output
  boost::json::object detail;
  void Fail(const std::string& why) {
    ok = false;
    lines.push_back("FAILED: " + why);
  }
};

// The ledger against what the runs counted. wrk's response() does not say
// which request a response answers, so the check is by count: every 204
// needs its row (rows >= 204s), and the only rows beyond the 204s can come
// from requests wrk abandoned in flight at its deadline (rows <= 204s +
// unanswered, at most one per connection); each package at most one
// opted_out row, and only packages an opt-out was sent to.
LedgerCheck CheckLedger(const Ledger& l, const Expected& e);

}  // namespace offerledger::bench
