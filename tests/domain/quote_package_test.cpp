#include "domain/quote_package.h"

#include <gtest/gtest.h>

namespace offerledger {
namespace {

constexpr Micros kT0 = 1'633'000'000LL * kMicrosPerSecond;  // 2021-09-30

Quote MakeQuote(std::string id, MinorUnits premium, MinorUnits tax) {
  Quote q;
  q.id = std::move(id);
  q.policy_type = "event_ticket_protection";
  q.policy_type_version = 1;
  q.policy_code = "MECG0001";
  q.premium = premium;
  q.taxes = {{"Admin. fee", tax}};
  q.price = premium + tax;
  q.created_at = kT0;
  q.updated_at = kT0;
  q.policy_start = kT0 + kMicrosPerDay;
  q.policy_end = kT0 + 31 * kMicrosPerDay;
  return q;
}

QuotePackage MakePackage() {
  QuotePackage p;
  p.id = "PYWUR-TAPHT-INS";
  p.partner = "LLODT";
  p.currency = "GBP";
  p.customer_country = "GB";
  p.created_at = kT0;
  p.updated_at = kT0;
  p.quotes = {MakeQuote("q-a", 90, 111), MakeQuote("q-b", 200, 100), MakeQuote("q-c", 50, 10)};
  return p;
}

TEST(StatusNames, RoundTrip) {
  for (auto s : {PackageStatus::kReceived, PackageStatus::kOptedOut, PackageStatus::kConfirmed,
                 PackageStatus::kCancelled}) {
    EXPECT_EQ(ParsePackageStatus(PackageStatusName(s)), s);
  }
  EXPECT_EQ(PackageStatusName(PackageStatus::kOptedOut), "OPTED_OUT");
  EXPECT_EQ(ParsePackageStatus("opted_out"), std::nullopt);
  EXPECT_EQ(ParseQuoteStatus("CONFIRMED"), QuoteStatus::kConfirmed);
  EXPECT_EQ(EventKindName(EventKind::kNotSelected), "not_selected");
  EXPECT_EQ(ParseEventKind("opted_out"), EventKind::kOptedOut);
}

TEST(Totals, SkipCancelledQuotes) {
  QuotePackage p = MakePackage();
  EXPECT_EQ(p.total_price(), 201 + 300 + 60);
  EXPECT_EQ(p.total_premium(), 340);
  EXPECT_EQ(p.total_tax(), 221);
  p.quotes[1].status = QuoteStatus::kCancelled;
  EXPECT_EQ(p.total_price(), 261);
  ASSERT_NE(p.FindQuote("q-c"), nullptr);
  EXPECT_EQ(p.FindQuote("q-z"), nullptr);
}

TEST(OptOut, RecordsOneEventPerQuoteWithThePricesOfTheMoment) {
  QuotePackage p = MakePackage();
  auto events = ApplyOptOut(p, kT0 + 5);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(p.status, PackageStatus::kOptedOut);
  EXPECT_EQ(p.updated_at, kT0 + 5);
  ASSERT_EQ(events->size(), 3u);
  const LedgerEvent& e = (*events)[0];
  EXPECT_EQ(e.kind, EventKind::kOptedOut);
  EXPECT_EQ(e.partner, "LLODT");
  EXPECT_EQ(e.package_id, "PYWUR-TAPHT-INS");
  EXPECT_EQ(e.quote_id, "q-a");
  EXPECT_EQ(e.price, 201);
  EXPECT_EQ(e.premium, 90);
  EXPECT_EQ(e.tax, 111);
  EXPECT_EQ(e.currency, "GBP");
  EXPECT_EQ(e.customer_country, "GB");
  EXPECT_EQ(e.at, kT0 + 5);
  // The quotes keep their own status.
  for (const auto& q : p.quotes) EXPECT_EQ(q.status, QuoteStatus::kReceived);
}

TEST(OptOut, IsIdempotent) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyOptOut(p, kT0 + 5).ok());
  auto again = ApplyOptOut(p, kT0 + 9);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(p.status, PackageStatus::kOptedOut);
  EXPECT_EQ(p.updated_at, kT0 + 5);  // nothing changed
}

TEST(OptOut, RefusedAfterBookingNamingTheStatus) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a"}, "{}", kT0 + 1).ok());
  auto r = ApplyOptOut(p, kT0 + 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  EXPECT_NE(r.status().message().find("CONFIRMED"), std::string::npos) << r.status().message();
  EXPECT_EQ(p.status, PackageStatus::kConfirmed);
}

TEST(OptOut, RefusedAfterCancellationNamingTheStatus) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a"}, "{}", kT0 + 1).ok());
  ASSERT_TRUE(ApplyCancellation(p, kT0 + 2).ok());
  auto r = ApplyOptOut(p, kT0 + 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  EXPECT_NE(r.status().message().find("CANCELLED"), std::string::npos) << r.status().message();
}

TEST(Booking, KeepsSelectedInOriginalOrderAndDropsTheRest) {
  QuotePackage p = MakePackage();
  auto events = ApplyBooking(p, {"q-c", "q-a"}, R"({"first_name":"Ann"})", kT0 + 10);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(p.status, PackageStatus::kConfirmed);
  ASSERT_EQ(p.quotes.size(), 2u);
  EXPECT_EQ(p.quotes[0].id, "q-a");
  EXPECT_EQ(p.quotes[1].id, "q-c");
  for (const auto& q : p.quotes) {
    EXPECT_EQ(q.status, QuoteStatus::kConfirmed);
    EXPECT_EQ(q.confirmed_at, kT0 + 10);
  }
  EXPECT_EQ(p.booked_at, kT0 + 10);
  EXPECT_EQ(p.policyholder_json, R"({"first_name":"Ann"})");
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].kind, EventKind::kBooked);
  EXPECT_EQ((*events)[0].quote_id, "q-a");
  EXPECT_EQ((*events)[1].kind, EventKind::kNotSelected);
  EXPECT_EQ((*events)[1].quote_id, "q-b");
  EXPECT_EQ((*events)[1].price, 300);
  EXPECT_EQ((*events)[2].kind, EventKind::kBooked);
  EXPECT_EQ((*events)[2].quote_id, "q-c");
  EXPECT_EQ(p.total_price(), 201 + 60);
}

TEST(Booking, AllowedFromOptedOut) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyOptOut(p, kT0 + 1).ok());
  auto events = ApplyBooking(p, {"q-b"}, "{}", kT0 + 2);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(p.status, PackageStatus::kConfirmed);
  EXPECT_EQ(events->size(), 3u);
}

TEST(Booking, RefusedTwiceNamingTheStatus) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a"}, "{}", kT0 + 1).ok());
  auto r = ApplyBooking(p, {"q-a"}, "{}", kT0 + 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  EXPECT_NE(r.status().message().find("CONFIRMED"), std::string::npos);
  ASSERT_FALSE(r.status().fields().empty());
  EXPECT_EQ(r.status().fields()[0].message, "CONFIRMED");
}

TEST(Booking, ValidatesTheSelectionWithoutChangingAnything) {
  QuotePackage p = MakePackage();
  auto none = ApplyBooking(p, {}, "{}", kT0 + 1);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().fields().at(0).path, "quotes");
  auto unknown = ApplyBooking(p, {"q-a", "nope"}, "{}", kT0 + 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().fields().at(0).path, "quotes.1.id");
  auto twice = ApplyBooking(p, {"q-a", "q-a"}, "{}", kT0 + 1);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().fields().at(0).path, "quotes.1.id");
  EXPECT_EQ(p.status, PackageStatus::kReceived);
  EXPECT_EQ(p.quotes.size(), 3u);
  for (const auto& q : p.quotes) EXPECT_EQ(q.status, QuoteStatus::kReceived);
}

TEST(Cancellation, OnlyConfirmedPackages) {
  QuotePackage p = MakePackage();
  auto r = ApplyCancellation(p, kT0 + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("RECEIVED"), std::string::npos);
  ASSERT_TRUE(ApplyBooking(p, {"q-a", "q-b"}, "{}", kT0 + 1).ok());
  p.pending_cancellation = PendingCancellation{"u7Thv-d6C5P-8FAQW-CCL", kT0, kT0 + 1};
  auto events = ApplyCancellation(p, kT0 + 2);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(p.status, PackageStatus::kCancelled);
  EXPECT_FALSE(p.pending_cancellation.has_value());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, EventKind::kCancelled);
  EXPECT_EQ((*events)[0].amount, 201);  // cooling-off: full refund
  EXPECT_EQ((*events)[0].data_json, R"({"within_cooling_off":true})");
  EXPECT_EQ(p.quotes[1].refund, 300);
  EXPECT_EQ(p.total_price(), 0);
  auto again = ApplyCancellation(p, kT0 + 3);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("CANCELLED"), std::string::npos);
}

TEST(Refund, FullInsideCoolingOffOrBeforeCoverStarts) {
  Quote q = MakeQuote("q", 3000, 100);
  q.policy_start = kT0 + 20 * kMicrosPerDay;
  q.policy_end = kT0 + 50 * kMicrosPerDay;
  q.confirmed_at = kT0;
  EXPECT_EQ(RefundFor(q, kT0 + 13 * kMicrosPerDay), 3100);  // cooling-off
  EXPECT_EQ(RefundFor(q, kT0 + 15 * kMicrosPerDay), 3100);  // cover not started
}

TEST(Refund, ProRataPremiumAfterwardsAndNothingAfterTheEnd) {
  Quote q = MakeQuote("q", 3000, 100);
  q.confirmed_at = kT0;
  q.policy_start = kT0;
  q.policy_end = kT0 + 30 * kMicrosPerDay;
  // Day 14 (cooling-off just over): 16 of 30 days unused -> 1600 of 3000 premium.
  EXPECT_EQ(RefundFor(q, kT0 + 14 * kMicrosPerDay), 1600);
  // Day 20: a third unused.
  EXPECT_EQ(RefundFor(q, kT0 + 20 * kMicrosPerDay), 1000);
  EXPECT_EQ(RefundFor(q, kT0 + 30 * kMicrosPerDay), 0);
  EXPECT_EQ(RefundFor(q, kT0 + 40 * kMicrosPerDay), 0);
  // Rounded half away from zero: 1 of 3 parts of 100 -> 33.33 -> 33; 2 of 3 -> 66.67 -> 67.
  q.premium = 100;
  q.policy_end = kT0 + 42 * kMicrosPerDay;
  EXPECT_EQ(RefundFor(q, kT0 + 28 * kMicrosPerDay), 33);
  EXPECT_EQ(RefundFor(q, kT0 + 14 * kMicrosPerDay), 67);
}

TEST(Modifiable, OnlyReceived) {
  QuotePackage p = MakePackage();
  EXPECT_TRUE(CheckModifiable(p).ok());
  ASSERT_TRUE(ApplyOptOut(p, kT0 + 1).ok());
  const Status s = CheckModifiable(p);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_NE(s.message().find("OPTED_OUT"), std::string::npos);
}


// ------------------------------------------------- payment confirmation (issue 9)

TEST(PaymentPending, BookingWaitsForPaymentAndRecordsNoSale) {
  QuotePackage p = MakePackage();
  auto events = ApplyBooking(p, {"q-b"}, R"({"first_name":"A"})", kT0 + 10, true);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(p.status, PackageStatus::kPendingPayment);
  ASSERT_EQ(p.quotes.size(), 1u);
  EXPECT_EQ(p.quotes[0].status, QuoteStatus::kPendingPayment);
  EXPECT_FALSE(p.quotes[0].confirmed_at.has_value());
  EXPECT_EQ(p.booked_at, kT0 + 10);
  ASSERT_EQ(events->size(), 3u);
  int pending = 0;
  for (const auto& e : *events) {
    EXPECT_NE(e.kind, EventKind::kBooked);
    if (e.kind == EventKind::kPaymentPending) {
      ++pending;
      EXPECT_EQ(e.quote_id, "q-b");
    }
  }
  EXPECT_EQ(pending, 1);
  EXPECT_EQ(PackageStatusName(p.status), "PENDING_PAYMENT");
  EXPECT_EQ(QuoteStatusName(p.quotes[0].status), "PENDING_PAYMENT");
  EXPECT_EQ(ParseEventKind("payment_pending"), EventKind::kPaymentPending);
  EXPECT_EQ(ParseEventKind("modified"), EventKind::kModified);
}

TEST(PaymentPending, RefusesOptOutCancelAndSecondBooking) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a"}, "{}", kT0, true).ok());
  auto opt = ApplyOptOut(p, kT0 + 1);
  ASSERT_FALSE(opt.ok());
  EXPECT_EQ(opt.status().code(), StatusCode::kInvalid);
  EXPECT_NE(opt.status().message().find("PENDING_PAYMENT"), std::string::npos);
  EXPECT_FALSE(ApplyCancellation(p, kT0 + 1).ok());
  EXPECT_FALSE(ApplyBooking(p, {"q-a"}, "{}", kT0 + 1).ok());
  EXPECT_EQ(p.status, PackageStatus::kPendingPayment);
}

TEST(PaymentPending, ConfirmationBooksEveryPendingQuoteOnce) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a", "q-c"}, "{}", kT0, true).ok());
  auto events = ApplyPaymentConfirmation(p, kT0 + 5);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(p.status, PackageStatus::kConfirmed);
  ASSERT_EQ(events->size(), 2u);
  for (const auto& e : *events) EXPECT_EQ(e.kind, EventKind::kBooked);
  for (const auto& q : p.quotes) {
    EXPECT_EQ(q.status, QuoteStatus::kConfirmed);
    EXPECT_EQ(q.confirmed_at, kT0 + 5);  // cooling-off runs from the payment
  }
  auto again = ApplyPaymentConfirmation(p, kT0 + 6);
  EXPECT_FALSE(again.ok());
  QuotePackage received = MakePackage();
  EXPECT_FALSE(ApplyPaymentConfirmation(received, kT0).ok());
  // Once confirmed it is an ordinary booking: it can be cancelled.
  EXPECT_TRUE(ApplyCancellation(p, kT0 + 7).ok());
}

// ------------------------------------------------------- modifications (issue 9)

TEST(Modification, PolicyholderChangeOnlyForBookings) {
  QuotePackage p = MakePackage();
  EXPECT_FALSE(ApplyPolicyholderChange(p, "{}", kT0).ok());  // RECEIVED
  ASSERT_TRUE(ApplyBooking(p, {"q-a", "q-b"}, R"({"phone":null})", kT0).ok());
  p.quotes[1].status = QuoteStatus::kCancelled;  // a cancelled quote records nothing
  auto events = ApplyPolicyholderChange(p, R"({"phone":"+44"})", kT0 + 3);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  EXPECT_EQ(p.policyholder_json, R"({"phone":"+44"})");
  EXPECT_EQ(p.updated_at, kT0 + 3);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, EventKind::kModified);
  EXPECT_EQ((*events)[0].amount, 0);
  EXPECT_EQ((*events)[0].price, 201);
}

TEST(Modification, ApplyUpdateReplacesPricesKeepsStateAndIsUsedUp) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a", "q-b"}, "{}", kT0).ok());
  Quote repriced = p.quotes[0];
  repriced.premium = 500;
  repriced.taxes = {{"Admin. fee", 120}};
  repriced.price = 620;
  repriced.status = QuoteStatus::kReceived;  // whatever the copy says, the booking's stays
  repriced.confirmed_at.reset();
  p.pending_update = PendingUpdate{"UPD1", kT0 + 1, kT0 + 1 + kUpdateQuoteValidity, {repriced}};

  EXPECT_EQ(ApplyUpdate(p, "OTHER", kT0 + 2).status().code(), StatusCode::kNotFound);
  auto events = ApplyUpdate(p, "UPD1", kT0 + 2);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  const LedgerEvent& e = (*events)[0];
  EXPECT_EQ(e.kind, EventKind::kModified);
  EXPECT_EQ(e.quote_id, "q-a");
  EXPECT_EQ(e.price, 620);
  EXPECT_EQ(e.premium, 500);
  EXPECT_EQ(e.amount, 620 - 201);
  EXPECT_NE(e.data_json.find(R"("premium_change":410)"), std::string::npos) << e.data_json;
  EXPECT_EQ(p.quotes[0].price, 620);
  EXPECT_EQ(p.quotes[0].status, QuoteStatus::kConfirmed);
  EXPECT_EQ(p.quotes[0].confirmed_at, kT0);
  EXPECT_EQ(p.quotes[1].price, 300);  // not part of the update
  EXPECT_FALSE(p.pending_update.has_value());
  EXPECT_EQ(ApplyUpdate(p, "UPD1", kT0 + 3).status().code(), StatusCode::kNotFound);
}

TEST(Modification, ExpiredOrStaleUpdatesAreRefused) {
  QuotePackage p = MakePackage();
  ASSERT_TRUE(ApplyBooking(p, {"q-a"}, "{}", kT0).ok());
  p.pending_update = PendingUpdate{"UPD1", kT0, kT0 + 10, {p.quotes[0]}};
  auto late = ApplyUpdate(p, "UPD1", kT0 + 11);
  EXPECT_EQ(late.status().code(), StatusCode::kInvalid);
  // A cancellation drops the pending update.
  ASSERT_TRUE(ApplyCancellation(p, kT0 + 1).ok());
  EXPECT_FALSE(p.pending_update.has_value());
}

}  // namespace
}  // namespace offerledger
