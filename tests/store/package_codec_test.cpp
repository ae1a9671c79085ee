#include "store/package_codec.h"

#include <gtest/gtest.h>

#include <limits>

#include "store/sqlite_test_support.h"

namespace offerledger {
namespace {

using testing::ExpectSamePackage;

// Every field set to a non-default value, every optional present.
QuotePackage FullPackage() {
  QuotePackage p;
  p.id = "PYWUR-TAPHT-INS";
  p.partner = "LLODT";
  p.security_token = "iH1w8-bSWnL-xd6SC-8icSM";
  p.status = PackageStatus::kCancelled;
  p.currency = "JPY";
  p.customer_country = "JP";
  p.customer_region = "Tōkyō \"23 wards\"\n\\ \t";
  p.customer_language = "ja";
  p.partner_transaction_id = "tx-42 ☃";
  p.created_at = 1'633'069'769'123'456;
  p.updated_at = 1'633'069'999'000'001;
  p.booked_at = 1'633'069'800'000'000;
  p.policyholder_json = R"({ "first_name": "Ann",  "age": 42, "email": "a@b.c" })";
  p.pending_cancellation =
      PendingCancellation{"u7Thv-d6C5P-8FAQW-CCL", 1'633'070'000'000'000, 1'633'156'400'000'000};
  for (int i = 0; i < 2; ++i) {
    Quote q;
    q.id = i == 0 ? "0b4f3c6e-5a7d-4e8b-9c1d-2e3f4a5b6c7d" : "1b4f3c6e-5a7d-4e8b-9c1d-2e3f4a5b6c7d";
    q.policy_type = "event_ticket_protection";
    q.policy_type_version = 3 + i;
    q.policy_name = "Ticket Protection";
    q.policy_code = "ETP-JP-" + std::to_string(i);
    q.policy_version_id = "9e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    q.policy_group = "event";
    q.fields_json = R"({"tickets":[{"price":100.5}],"event_name":"K-On! \u00e9"})";
    q.policy_start = 1'633'132'800'000'000;
    q.policy_end = 1'635'811'200'000'000;
    q.status = i == 0 ? QuoteStatus::kCancelled : QuoteStatus::kConfirmed;
    q.premium = 183 + i;
    q.taxes = {{"IPT", 18}, {"Admin. fee", 5}};
    q.price = 206 + i;
    q.cover_amount = std::numeric_limits<std::int64_t>::max();
    q.price_multiplier_nanos = 1'234'567'891;
    q.content = {"Title", "Description with \"quotes\"", "Opt-out message", "Disclaimer"};
    q.created_at = 1'633'069'769'123'456;
    q.updated_at = 1'633'069'769'999'999;
    q.confirmed_at = 1'633'069'800'000'000;
    q.cancelled_at = 1'633'070'100'000'000;
    q.refund = -7;  // any value must survive, even a nonsensical one
    p.quotes.push_back(q);
  }
  Quote repriced = p.quotes[1];
  repriced.price = 1079;
  repriced.premium = 874;
  repriced.fields_json = R"({"tickets":[{"price":100500}]})";
  p.pending_update = PendingUpdate{
      "joaiJ-Cao42-o9ulM-UPD", 1'633'070'000'000'000, 1'633'156'400'000'000, {repriced}};
  return p;
}

TEST(PackageCodec, FullyPopulatedPackageRoundTrips) {
  QuotePackage p = FullPackage();
  std::string doc = EncodePackage(p);
  auto back = DecodePackage(doc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSamePackage(p, *back);
  // Encoding is deterministic: a decoded package encodes to the same document.
  EXPECT_EQ(EncodePackage(*back), doc);
}

TEST(PackageCodec, EmptyOptionalsRoundTripAsAbsent) {
  QuotePackage p = FullPackage();
  p.partner_transaction_id.reset();
  p.booked_at.reset();
  p.pending_cancellation.reset();
  p.pending_update.reset();
  p.policyholder_json.clear();
  p.quotes[0].confirmed_at.reset();
  p.quotes[0].cancelled_at.reset();
  p.quotes[1].taxes.clear();
  auto back = DecodePackage(EncodePackage(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSamePackage(p, *back);
  EXPECT_FALSE(back->partner_transaction_id.has_value());
  EXPECT_FALSE(back->pending_cancellation.has_value());
  EXPECT_FALSE(back->pending_update.has_value());
}

TEST(PackageCodec, EmptyStringTransactionIdIsNotNull) {
  QuotePackage p = FullPackage();
  p.partner_transaction_id = "";
  auto back = DecodePackage(EncodePackage(p));
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->partner_transaction_id.has_value());
  EXPECT_EQ(*back->partner_transaction_id, "");
}

TEST(PackageCodec, EveryStatusRoundTrips) {
  for (PackageStatus s :
       {PackageStatus::kReceived, PackageStatus::kOptedOut, PackageStatus::kPendingPayment,
        PackageStatus::kConfirmed, PackageStatus::kCancelled}) {
    QuotePackage p = FullPackage();
    p.status = s;
    auto back = DecodePackage(EncodePackage(p));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->status, s);
  }
  for (QuoteStatus s : {QuoteStatus::kReceived, QuoteStatus::kPendingPayment,
                        QuoteStatus::kConfirmed, QuoteStatus::kCancelled}) {
    QuotePackage p = FullPackage();
    p.quotes[1].status = s;
    auto back = DecodePackage(EncodePackage(p));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->quotes[1].status, s);
  }
}

TEST(PackageCodec, RejectsCorruptDocuments) {
  struct Case {
    const char* doc;
    const char* mentions;
  };
  const Case cases[] = {
      {"", "not JSON"},
      {"{", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"v":1,"partner":"P","status":"RECEIVED"})", "id is missing"},
      {R"({"v":1,"id":"X","status":"RECEIVED"})", "partner is missing"},
      {R"({"v":1,"id":"X","partner":"P"})", "status is missing"},
      {R"({"v":1,"id":"X","partner":"P","status":"LOST"})", "status"},
      {R"({"v":1,"id":7,"partner":"P","status":"RECEIVED"})", "id is not a string"},
      {R"({"v":1,"id":"X","partner":"P","status":"RECEIVED","created_at":1.5})", "created_at"},
      {R"({"v":1,"id":"X","partner":"P","status":"RECEIVED","quotes":[{"price":"2.01"}]})",
       "quotes[0].price"},
      {R"({"v":1,"id":"X","partner":"P","status":"RECEIVED","quotes":[{"taxes":[{"amount":null}]}]})",
       "quotes[0].taxes[0].amount"},
      {R"({"v":1,"id":"X","partner":"P","status":"RECEIVED","quotes":[{"policy_type_version":9999999999}]})",
       "policy_type_version"},
      {R"({"v":1,"id":"X","partner":"P","status":"RECEIVED","booked_at":18446744073709551615})",
       "booked_at"},
      {R"({"v":99,"id":"X","partner":"P","status":"RECEIVED"})", "newer"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.doc);
    auto r = DecodePackage(c.doc);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInternal);
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos) << r.status().message();
  }
}

TEST(PackageCodec, IgnoresUnknownMembersAndDefaultsAbsentOnes) {
  // A document written before a field existed, with a member added after.
  auto r = DecodePackage(R"({"v":1,"id":"X","partner":"P","status":"OPTED_OUT","future":{"a":1},)"
                         R"("quotes":[{"id":"q","premium":5}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "X");
  EXPECT_EQ(r->status, PackageStatus::kOptedOut);
  EXPECT_FALSE(r->booked_at.has_value());
  ASSERT_EQ(r->quotes.size(), 1u);
  EXPECT_EQ(r->quotes[0].premium, 5);
  EXPECT_EQ(r->quotes[0].price_multiplier_nanos, 1'000'000'000);  // the struct's default
}

}  // namespace
}  // namespace offerledger
