#include "ledger_check.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <sqlite3.h>
#include <boost/json.hpp>

#include "load_support.h"

namespace offerledger::bench {

namespace json = boost::json;
namespace fs = std::filesystem;

Ledger ReadLedger(const fs::path& db_path, Micros since) {
  Ledger l;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    l.error = "cannot open " + db_path.string() + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return l;
  }
  auto query = [&](const char* sql, auto&& bind, auto&& row) {
    if (!l.error.empty()) return;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
      l.error = std::string("`") + sql + "`: " + sqlite3_errmsg(db);
      return;
    }
    bind(st);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    if (rc != SQLITE_DONE) l.error = std::string("`") + sql + "`: " + sqlite3_errmsg(db);
    sqlite3_finalize(st);
  };
  auto text = [](sqlite3_stmt* st, int i) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
  };
  auto none = [](sqlite3_stmt*) {};
  query(
      "SELECT package_id, kind, COUNT(*) FROM events WHERE kind IN ('opted_out', 'booked') "
      "GROUP BY package_id, kind",
      none, [&](sqlite3_stmt* st) {
        auto& m = text(st, 1) == "opted_out" ? l.opted_out : l.booked;
        m[text(st, 0)] = sqlite3_column_int64(st, 2);
      });
  query("SELECT COUNT(*) FROM events WHERE kind = 'offered'", none,
        [&](sqlite3_stmt* st) { l.offered = sqlite3_column_int64(st, 0); });
  query("SELECT COUNT(*) FROM packages", none,
        [&](sqlite3_stmt* st) { l.packages = sqlite3_column_int64(st, 0); });
  query(
      "SELECT id, created_at FROM packages WHERE created_at >= ?1",
      [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, since); },
      [&](sqlite3_stmt* st) {
        l.new_packages.emplace_back(text(st, 0), sqlite3_column_int64(st, 1));
      });
  sqlite3_close(db);
  return l;
}

LedgerCheck CheckLedger(const Ledger& l, const Expected& e) {
  LedgerCheck c;
  if (!l.error.empty()) {
    c.Fail(l.error);
    return c;
  }
  std::map<std::string, std::size_t> window_of;  // new package -> index in e.windows
  std::vector<std::uint64_t> created(e.windows.size(), 0);
  for (const auto& [id, at] : l.new_packages) {
    std::optional<std::size_t> w;
    for (std::size_t i = 0; i < e.windows.size(); ++i) {
      if (at >= e.windows[i].from) w = i;
    }
    if (!w) {
      c.Fail("package " + id + " was created over HTTP outside any run that creates packages");
      continue;
    }
    window_of[id] = *w;
    ++created[*w];
  }
  // Opt-outs and bookings of seeded packages, then of each window's packages.
  std::uint64_t seeded_rows = 0, duplicated = 0, stray = 0, both = 0;
  std::vector<std::uint64_t> optouts(e.windows.size(), 0), bookings(e.windows.size(), 0);
  for (const auto& [id, n] : l.opted_out) {
    if (n != 1) ++duplicated;
    if (auto it = window_of.find(id); it != window_of.end()) {
      optouts[it->second] += static_cast<std::uint64_t>(n);
      if (l.booked.count(id) != 0) ++both;
    } else if (e.optout_sent.count(id) != 0) {
      seeded_rows += static_cast<std::uint64_t>(n);
    } else {
      ++stray;
    }
  }
  std::uint64_t stray_bookings = 0;
  for (const auto& [id, n] : l.booked) {
    if (n != 1) ++duplicated;
    if (auto it = window_of.find(id); it != window_of.end()) {
      bookings[it->second] += static_cast<std::uint64_t>(n);
    } else {
      ++stray_bookings;
    }
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "preloaded packages: %s opt-outs answered 204 -> %s opted_out rows (%s sent, %s "
                "never answered)",
                Thousands(e.optout_204).c_str(), Thousands(seeded_rows).c_str(),
                Thousands(e.optout_sent.size()).c_str(), Thousands(e.optout_unanswered).c_str());
  c.lines.push_back(buf);
  if (seeded_rows < e.optout_204) {
    c.Fail(std::to_string(e.optout_204 - seeded_rows) + " opt-outs answered 204 have no row");
  }
  if (seeded_rows > e.optout_204 + e.optout_unanswered) {
    c.Fail(std::to_string(seeded_rows - e.optout_204) +
           " opted_out rows more than 204s, beyond the requests never answered");
  }
  if (duplicated != 0)
    c.Fail(std::to_string(duplicated) + " packages with more than one row of a kind");
  if (stray != 0)
    c.Fail(std::to_string(stray) + " opted_out rows for packages never sent an opt-out");
  if (stray_bookings != 0) {
    c.Fail(std::to_string(stray_bookings) + " booked rows for packages never sent a booking");
  }
  if (both != 0) c.Fail(std::to_string(both) + " packages both opted out and booked");
  json::array windows;
  std::uint64_t http_created = 0;
  for (std::size_t i = 0; i < e.windows.size(); ++i) {
    const auto& w = e.windows[i];
    http_created += created[i];
    std::snprintf(buf, sizeof buf,
                  "%s: %s 201s -> %s packages; %s 204s -> %s opted_out rows; %s 200s -> %s "
                  "booked rows (%s never answered)",
                  w.scenario.c_str(), Thousands(w.n201).c_str(), Thousands(created[i]).c_str(),
                  Thousands(w.n204).c_str(), Thousands(optouts[i]).c_str(),
                  Thousands(w.n200).c_str(), Thousands(bookings[i]).c_str(),
                  Thousands(w.unanswered).c_str());
    c.lines.push_back(buf);
    if (created[i] < w.n201) c.Fail(w.scenario + ": fewer packages than 201s");
    if (optouts[i] < w.n204) c.Fail(w.scenario + ": fewer opted_out rows than 204s");
    if (bookings[i] < w.n200) c.Fail(w.scenario + ": fewer booked rows than 200s");
    if (!w.sends_optouts && optouts[i] != 0)
      c.Fail(w.scenario + ": opted_out rows, yet no opt-out sent");
    if (!w.sends_bookings && bookings[i] != 0)
      c.Fail(w.scenario + ": booked rows, yet no booking sent");
    const std::uint64_t extra = (created[i] - std::min(created[i], w.n201)) +
                                (optouts[i] - std::min(optouts[i], w.n204)) +
                                (bookings[i] - std::min(bookings[i], w.n200));
    if (extra > w.unanswered) {
      c.Fail(w.scenario + ": " + std::to_string(extra) +
             " writes beyond the 2xx counted, more than the requests never answered");
    }
    windows.push_back(json::object{{"scenario", w.scenario},
                                   {"201", w.n201},
                                   {"packages", created[i]},
                                   {"204", w.n204},
                                   {"opted_out_rows", optouts[i]},
                                   {"200", w.n200},
                                   {"booked_rows", bookings[i]},
                                   {"unanswered", w.unanswered}});
  }
  const auto expected_offered = static_cast<std::int64_t>(e.seeded + http_created);
  std::snprintf(buf, sizeof buf, "offered rows %s for %s seeded + %s created packages",
                Thousands(static_cast<std::uint64_t>(l.offered)).c_str(),
                Thousands(e.seeded).c_str(), Thousands(http_created).c_str());
  c.lines.push_back(buf);
  if (l.offered != expected_offered || l.packages != expected_offered) {
    c.Fail("expected " + std::to_string(expected_offered) +
           " packages with one offered row each, " + "found " + std::to_string(l.packages) +
           " packages and " + std::to_string(l.offered) + " offered rows");
  }
  c.detail = json::object{{"ok", c.ok},
                          {"seeded_204", e.optout_204},
                          {"seeded_opted_out_rows", seeded_rows},
                          {"seeded_optouts_sent", e.optout_sent.size()},
                          {"seeded_unanswered", e.optout_unanswered},
                          {"duplicated", duplicated},
                          {"stray_opted_out", stray},
                          {"stray_booked", stray_bookings},
                          {"opted_out_and_booked", both},
                          {"offered_rows", l.offered},
                          {"packages", l.packages},
                          {"http_runs", windows}};
  return c;
}

}  // namespace offerledger::bench
