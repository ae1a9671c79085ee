// Renewals of a CONFIRMED booking of renewable products: quote_for_renewal,
// confirm, and the renewal opt-out (recorded like the offer opt-out).
#include <algorithm>

#include <gtest/gtest.h>

#include "domain/quote_package.h"

namespace offerledger {
namespace {

constexpr Micros kT0 = 1'633'000'000LL * kMicrosPerSecond;  // 2021-09-30
constexpr Micros kLater = kT0 + 20 * kMicrosPerDay;

Quote MakeQuote(std::string id, bool renewable, MinorUnits premium, MinorUnits tax) {
  Quote q;
  q.id = std::move(id);
  q.policy_type = renewable ? "gadget_protection" : "event_ticket_protection";
  q.policy_type_version = 1;
  q.policy_code = renewable ? "GDGT0001" : "MECG0001";
  q.renewable = renewable;
  q.premium = premium;
  q.taxes = {{"IPT", tax}};
  q.price = premium + tax;
  q.created_at = kT0;
  q.updated_at = kT0;
  q.status = QuoteStatus::kConfirmed;
  q.confirmed_at = kT0;
  q.policy_start = kT0;
  q.policy_end = kT0 + 30 * kMicrosPerDay;
  return q;
}

// A booking of one renewable and one non-renewable quote.
QuotePackage Booked() {
  QuotePackage p;
  p.id = "PYWUR-TAPHT-INS";
  p.partner = "LLODT";
  p.security_token = "tok";
  p.status = PackageStatus::kConfirmed;
  p.currency = "GBP";
  p.customer_country = "GB";
  p.created_at = kT0;
  p.updated_at = kT0;
  p.booked_at = kT0;
  p.policyholder_json = R"({"first_name":"Edgar"})";
  p.quotes = {MakeQuote("q-gadget", true, 800, 96), MakeQuote("q-event", false, 90, 111)};
  return p;
}

// The renewal the service would price: the renewable quote, next period, new price.
PendingRenewal Priced(const QuotePackage& p, std::string id = "aaaaa-bbbbb-ccccc-RNW") {
  PendingRenewal r;
  r.id = std::move(id);
  Quote q = p.quotes[0];
  q.id = "q-gadget-2";
  std::tie(q.policy_start, q.policy_end) = NextRenewalPeriod(p.quotes[0], 30);
  q.premium = 850;
  q.taxes = {{"IPT", 102}};
  q.price = 952;
  r.quotes = {q};
  return r;
}

std::string StatusField(const Status& s) {
  for (const auto& f : s.fields()) {
    if (f.path == "status") return f.message;
  }
  return "";
}

TEST(Renewal, NamesRoundTrip) {
  EXPECT_EQ(PackageStatusName(PackageStatus::kRenewed), "RENEWED");
  EXPECT_EQ(ParsePackageStatus("RENEWED"), PackageStatus::kRenewed);
  EXPECT_EQ(ParseQuoteStatus("RENEWED"), QuoteStatus::kRenewed);
  for (auto k : {EventKind::kRenewalOffered, EventKind::kRenewed, EventKind::kRenewalOptedOut}) {
    EXPECT_EQ(ParseEventKind(EventKindName(k)), k);
  }
  EXPECT_EQ(EventKindName(EventKind::kRenewalOptedOut), "renewal_opted_out");
}

TEST(Renewal, NextPeriodStartsWhereTheLastEnds) {
  const Quote q = Booked().quotes[0];
  auto [start, end] = NextRenewalPeriod(q, 30);
  EXPECT_EQ(start, q.policy_end);
  EXPECT_EQ(end, q.policy_end + 30 * kMicrosPerDay);
}

TEST(Renewal, QuoteOffersTheNextPeriodOnce) {
  QuotePackage p = Booked();
  auto events = ApplyRenewalQuote(p, Priced(p), kLater);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  const LedgerEvent& e = (*events)[0];
  EXPECT_EQ(e.kind, EventKind::kRenewalOffered);
  EXPECT_EQ(e.quote_id, "q-gadget-2");
  EXPECT_EQ(e.price, 952);
  EXPECT_EQ(e.offered_at, kLater);  // the renewal offer's own cohort
  EXPECT_NE(e.data_json.find("\"renewal_of\":\"q-gadget\""), std::string::npos) << e.data_json;
  ASSERT_TRUE(p.pending_renewal);
  EXPECT_EQ(p.pending_renewal->quotes[0].status, QuoteStatus::kReceived);
  EXPECT_EQ(p.status, PackageStatus::kConfirmed);  // nothing renewed yet

  // Asked again: the pending renewal stands, and no second offer is counted.
  auto again = ApplyRenewalQuote(p, Priced(p, "zzzzz-zzzzz-zzzzz-RNW"), kLater + 1);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(p.pending_renewal->id, "aaaaa-bbbbb-ccccc-RNW");
}

TEST(Renewal, ConfirmRenewsIntoANewConfirmedPackage) {
  QuotePackage p = Booked();
  ASSERT_TRUE(ApplyRenewalQuote(p, Priced(p), kLater).ok());
  EXPECT_EQ(ApplyRenewal(p, "other-RNW", "NEXTT-PACKG-INS", "tok2", kLater).status().code(),
            StatusCode::kNotFound);
  auto out = ApplyRenewal(p, "aaaaa-bbbbb-ccccc-RNW", "NEXTT-PACKG-INS", "tok2", kLater + 5);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(p.status, PackageStatus::kRenewed);
  EXPECT_EQ(p.renewed_to, "NEXTT-PACKG-INS");
  EXPECT_EQ(p.quotes[0].status, QuoteStatus::kRenewed);
  EXPECT_EQ(p.quotes[1].status, QuoteStatus::kConfirmed);  // not renewable: untouched
  EXPECT_FALSE(p.pending_renewal);

  const QuotePackage& next = out->next;
  EXPECT_EQ(next.id, "NEXTT-PACKG-INS");
  EXPECT_EQ(next.partner, "LLODT");
  EXPECT_EQ(next.status, PackageStatus::kConfirmed);
  EXPECT_EQ(next.renewed_from, "PYWUR-TAPHT-INS");
  EXPECT_EQ(next.policyholder_json, p.policyholder_json);
  ASSERT_EQ(next.quotes.size(), 1u);
  EXPECT_EQ(next.quotes[0].status, QuoteStatus::kConfirmed);
  EXPECT_EQ(next.quotes[0].confirmed_at, kLater + 5);
  EXPECT_EQ(next.quotes[0].policy_start, p.quotes[0].policy_end);
  EXPECT_EQ(next.quotes[0].price, 952);
  ASSERT_EQ(out->events.size(), 1u);
  EXPECT_EQ(out->events[0].kind, EventKind::kRenewed);
  EXPECT_EQ(out->events[0].package_id, "NEXTT-PACKG-INS");
  EXPECT_EQ(out->events[0].offered_at, kLater);  // counted in the renewal offer's cohort

  // Already renewed: every renewal action names the state.
  auto twice = ApplyRenewal(p, "aaaaa-bbbbb-ccccc-RNW", "X", "Y", kLater + 6);
  ASSERT_EQ(twice.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(StatusField(twice.status()), "RENEWED");
  auto opt = ApplyRenewalOptOut(p, kLater + 6);
  ASSERT_EQ(opt.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(StatusField(opt.status()), "RENEWED");
  EXPECT_NE(opt.status().message().find("is RENEWED"), std::string::npos);
  EXPECT_EQ(ApplyRenewalQuote(p, Priced(p), kLater + 6).status().code(), StatusCode::kInvalid);

  // The new period is itself renewable.
  QuotePackage n = next;
  EXPECT_TRUE(CheckRenewable(n).ok());
}

TEST(Renewal, OptOutIsRecordedOnceLikeTheOfferOptOut) {
  QuotePackage p = Booked();
  auto first = ApplyRenewalOptOut(p, kLater);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 1u);  // the renewable quote only
  EXPECT_EQ((*first)[0].kind, EventKind::kRenewalOptedOut);
  EXPECT_EQ((*first)[0].quote_id, "q-gadget");
  EXPECT_EQ((*first)[0].price, 896);
  EXPECT_EQ(p.renewal_opted_out_at, kLater);
  EXPECT_EQ(p.status, PackageStatus::kConfirmed);  // the current period stays booked

  auto repeat = ApplyRenewalOptOut(p, kLater + 1);
  ASSERT_TRUE(repeat.ok());
  EXPECT_TRUE(repeat->empty());
  EXPECT_EQ(p.renewal_opted_out_at, kLater);
}

TEST(Renewal, OptOutDeclinesThePendingRenewalAtItsPrice) {
  QuotePackage p = Booked();
  ASSERT_TRUE(ApplyRenewalQuote(p, Priced(p), kLater).ok());
  auto out = ApplyRenewalOptOut(p, kLater + 1);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].quote_id, "q-gadget-2");
  EXPECT_EQ((*out)[0].price, 952);
  EXPECT_FALSE(p.pending_renewal);
  EXPECT_EQ(ApplyRenewal(p, "aaaaa-bbbbb-ccccc-RNW", "N", "T", kLater + 2).status().code(),
            StatusCode::kNotFound);

  // The customer changes their mind: a new offer, which they may decline again.
  ASSERT_TRUE(ApplyRenewalQuote(p, Priced(p, "ddddd-eeeee-fffff-RNW"), kLater + 3).ok());
  EXPECT_FALSE(p.renewal_opted_out_at);
  auto declined_again = ApplyRenewalOptOut(p, kLater + 4);
  ASSERT_TRUE(declined_again.ok());
  EXPECT_EQ(declined_again->size(), 1u);
}

// next_renewal: the end of a confirmed renewable quote's period while the
// booking is CONFIRMED and the customer has not declined; nothing otherwise.
TEST(Renewal, NextRenewalIsTheEndOfTheCurrentPeriod) {
  QuotePackage p = Booked();
  EXPECT_EQ(NextRenewal(p, p.quotes[0]), kT0 + 30 * kMicrosPerDay);
  EXPECT_EQ(NextRenewal(p, p.quotes[1]), std::nullopt);  // not renewable

  QuotePackage offered = Booked();
  ASSERT_TRUE(ApplyRenewalQuote(offered, Priced(offered), kLater).ok());
  EXPECT_EQ(NextRenewal(offered, offered.quotes[0]), kT0 + 30 * kMicrosPerDay);
  // The renewal offered is not booked yet: no renewal of its own.
  EXPECT_EQ(NextRenewal(offered, offered.pending_renewal->quotes[0]), std::nullopt);
  auto out = ApplyRenewal(offered, "aaaaa-bbbbb-ccccc-RNW", "NEXTT-PACKG-INS", "t", kLater + 1);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(NextRenewal(offered, offered.quotes[0]), std::nullopt);  // RENEWED
  EXPECT_EQ(NextRenewal(out->next, out->next.quotes[0]), kT0 + 60 * kMicrosPerDay);

  QuotePackage declined = Booked();
  ASSERT_TRUE(ApplyRenewalOptOut(declined, kLater).ok());
  EXPECT_EQ(NextRenewal(declined, declined.quotes[0]), std::nullopt);

  QuotePackage cancelled = Booked();
  ASSERT_TRUE(ApplyCancellation(cancelled, kLater).ok());
  EXPECT_EQ(NextRenewal(cancelled, cancelled.quotes[0]), std::nullopt);

  QuotePackage quoted = Booked();
  quoted.status = PackageStatus::kReceived;
  quoted.quotes[0].status = QuoteStatus::kReceived;
  EXPECT_EQ(NextRenewal(quoted, quoted.quotes[0]), std::nullopt);
}

// The renewal sweep's rule: due once per period inside the notice window
// (unless declined), expired once when the period ended; then not renewable.
TEST(Renewal, SweepDueOncePerPeriodThenExpiredOnce) {
  const Micros end = kT0 + 30 * kMicrosPerDay;
  const Micros notice = 7 * kMicrosPerDay;
  QuotePackage p = Booked();
  EXPECT_EQ(RenewalPeriodEnd(p), end);
  EXPECT_EQ(RenewalDueAt(p), end);
  EXPECT_EQ(RenewalExpiresAt(p), end);
  EXPECT_EQ(ApplyRenewalSweep(p, end - notice - 1, notice), RenewalNotice::kNone);
  EXPECT_EQ(ApplyRenewalSweep(p, end - notice, notice), RenewalNotice::kDue);
  EXPECT_EQ(p.renewal_due_sent_for, end);
  EXPECT_EQ(RenewalDueAt(p), std::nullopt);  // sent for this period
  EXPECT_EQ(ApplyRenewalSweep(p, end - 1, notice), RenewalNotice::kNone);
  ASSERT_TRUE(ApplyRenewalQuote(p, Priced(p), end - 2).ok());
  EXPECT_EQ(ApplyRenewalSweep(p, end, notice), RenewalNotice::kExpired);
  EXPECT_EQ(p.renewal_expired_at, end);
  EXPECT_FALSE(p.pending_renewal);  // the offer lapsed with the period
  EXPECT_EQ(ApplyRenewalSweep(p, end + 1, notice), RenewalNotice::kNone);
  EXPECT_EQ(RenewalExpiresAt(p), std::nullopt);
  EXPECT_EQ(NextRenewal(p, p.quotes[0]), std::nullopt);
  const Status refused = CheckRenewable(p);
  ASSERT_EQ(refused.code(), StatusCode::kInvalid);
  EXPECT_EQ(StatusField(refused), "CONFIRMED");

  // Declined: never due, still expires. Renewed: neither (the next period is
  // another booking, with its own period end).
  QuotePackage declined = Booked();
  ASSERT_TRUE(ApplyRenewalOptOut(declined, kLater).ok());
  EXPECT_EQ(RenewalDueAt(declined), std::nullopt);
  EXPECT_EQ(ApplyRenewalSweep(declined, end - 1, notice), RenewalNotice::kNone);
  EXPECT_EQ(ApplyRenewalSweep(declined, end, notice), RenewalNotice::kExpired);
  QuotePackage renewed = Booked();
  ASSERT_TRUE(ApplyRenewalQuote(renewed, Priced(renewed), kLater).ok());
  auto next = ApplyRenewal(renewed, "aaaaa-bbbbb-ccccc-RNW", "NEXTT-PACKG-INS", "t", kLater + 1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(ApplyRenewalSweep(renewed, end + 1, notice), RenewalNotice::kNone);
  EXPECT_EQ(RenewalDueAt(next->next), end + 30 * kMicrosPerDay);
  // A found-late booking only expires (no RENEWAL_DUE after its end).
  QuotePackage late = Booked();
  EXPECT_EQ(ApplyRenewalSweep(late, end + kMicrosPerDay, notice), RenewalNotice::kExpired);
}

TEST(Renewal, RefusedUnlessAConfirmedRenewableBooking) {
  QuotePackage not_renewable = Booked();
  not_renewable.quotes.erase(not_renewable.quotes.begin());
  for (auto* apply : {+[](QuotePackage& p) { return ApplyRenewalOptOut(p, kLater).status(); },
                      +[](QuotePackage& p) {
                        PendingRenewal r;
                        r.id = "x";
                        r.quotes = {p.quotes[0]};
                        return ApplyRenewalQuote(p, r, kLater).status();
                      }}) {
    QuotePackage p = not_renewable;
    Status s = apply(p);
    ASSERT_EQ(s.code(), StatusCode::kInvalid);
    EXPECT_EQ(StatusField(s), "CONFIRMED");
    EXPECT_NE(s.message().find("no renewable policy"), std::string::npos) << s.message();
    EXPECT_FALSE(p.renewal_opted_out_at);
  }
  for (PackageStatus st : {PackageStatus::kReceived, PackageStatus::kOptedOut,
                           PackageStatus::kCancelled, PackageStatus::kRenewed}) {
    QuotePackage p = Booked();
    p.status = st;
    auto r = ApplyRenewalOptOut(p, kLater);
    ASSERT_EQ(r.status().code(), StatusCode::kInvalid);
    EXPECT_EQ(StatusField(r.status()), PackageStatusName(st));
  }
  // A cancelled booking drops its pending renewal.
  QuotePackage p = Booked();
  ASSERT_TRUE(ApplyRenewalQuote(p, Priced(p), kLater).ok());
  ASSERT_TRUE(ApplyCancellation(p, kLater + 1).ok());
  EXPECT_FALSE(p.pending_renewal);
}

}  // namespace
}  // namespace offerledger
