// http_bench's durability check (bench/ledger_check.h): the ledger against
// the 2xx wrk counted, with rows beyond them allowed only up to the requests
// never answered.
#include "ledger_check.h"

#include <string_view>

#include <gtest/gtest.h>

namespace offerledger::bench {
namespace {

// Whether the check failed saying `why`.
bool FailedWith(const LedgerCheck& c, std::string_view why) {
  if (c.ok) return false;
  for (const auto& line : c.lines) {
    if (line.find("FAILED") != std::string::npos && line.find(why) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Three preloaded packages; opt-outs sent for A, B and C; two 204s, one
// request never answered (in flight when wrk stopped).
struct Preloaded {
  Ledger ledger;
  Expected expected;
  Preloaded() {
    ledger.opted_out = {{"A", 1}, {"B", 1}};
    ledger.offered = 3;
    ledger.packages = 3;
    expected.seeded = 3;
    expected.optout_sent = {"A", "B", "C"};
    expected.optout_204 = 2;
    expected.optout_unanswered = 1;
  }
};

TEST(LedgerCheck, OneRowPer204Passes) {
  Preloaded p;
  const LedgerCheck c = CheckLedger(p.ledger, p.expected);
  EXPECT_TRUE(c.ok) << c.lines.back();
}

TEST(LedgerCheck, ARowFromARequestNeverAnsweredPasses) {
  Preloaded p;
  p.ledger.opted_out["C"] = 1;  // committed, its answer lost when wrk stopped
  EXPECT_TRUE(CheckLedger(p.ledger, p.expected).ok);
}

TEST(LedgerCheck, A204WithoutItsRowFails) {
  Preloaded p;
  p.ledger.opted_out.erase("B");
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "answered 204 have no row"));
}

TEST(LedgerCheck, RowsBeyondTheUnansweredFail) {
  Preloaded p;
  p.ledger.opted_out["C"] = 1;
  p.expected.optout_unanswered = 0;
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "beyond the requests never answered"));
}

TEST(LedgerCheck, ARowForAPackageNeverSentFails) {
  Preloaded p;
  p.ledger.opted_out["Z"] = 1;
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "never sent an opt-out"));
}

TEST(LedgerCheck, TwoRowsForOnePackageFail) {
  Preloaded p;
  p.ledger.opted_out["A"] = 2;  // 3 rows for 2 204s and 1 unanswered: only the package tells
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "more than one row"));
}

TEST(LedgerCheck, AMissingOfferedRowFails) {
  Preloaded p;
  p.ledger.offered = 2;
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "offered row each"));
}

// A checkout run from t=100: two 201s, one 204, one 200, one request never answered.
struct Checkout : Preloaded {
  Checkout() {
    Expected::Window w;
    w.scenario = "checkout";
    w.from = 100;
    w.n201 = 2;
    w.n204 = 1;
    w.n200 = 1;
    w.unanswered = 1;
    w.sends_optouts = w.sends_bookings = true;
    expected.windows.push_back(w);
    ledger.new_packages = {{"N1", 150}, {"N2", 160}};
    ledger.opted_out["N1"] = 1;
    ledger.booked["N2"] = 1;
    ledger.offered = ledger.packages = 5;
  }
};

TEST(LedgerCheck, CheckoutWithARowPer2xxPasses) {
  Checkout p;
  const LedgerCheck c = CheckLedger(p.ledger, p.expected);
  EXPECT_TRUE(c.ok) << c.lines.back();
}

TEST(LedgerCheck, CheckoutPackageBothOptedOutAndBookedFails) {
  Checkout p;
  p.ledger.booked["N1"] = 1;
  p.ledger.booked.erase("N2");
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "both opted out and booked"));
}

TEST(LedgerCheck, CheckoutWritesBeyondTheUnansweredFail) {
  Checkout p;
  // A third package and a second booking: two writes beyond the 2xx, one unanswered.
  p.ledger.new_packages.emplace_back("N3", 170);
  p.ledger.booked["N3"] = 1;
  p.ledger.offered = p.ledger.packages = 6;
  EXPECT_TRUE(
      FailedWith(CheckLedger(p.ledger, p.expected), "more than the requests never answered"));
}

TEST(LedgerCheck, CreateQuoteRunWithAnOptOutRowFails) {
  Checkout p;
  p.expected.windows[0].scenario = "create_quote";
  p.expected.windows[0].n204 = p.expected.windows[0].n200 = 0;
  p.expected.windows[0].unanswered = 2;
  p.expected.windows[0].sends_optouts = p.expected.windows[0].sends_bookings = false;
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "yet no opt-out sent"));
}

TEST(LedgerCheck, APackageCreatedBeforeAnyRunFails) {
  Checkout p;
  p.ledger.new_packages[0].second = 50;  // over HTTP, but before the checkout began
  EXPECT_TRUE(FailedWith(CheckLedger(p.ledger, p.expected), "outside any run"));
}

}  // namespace
}  // namespace offerledger::bench
