#include "store/package_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include <boost/json.hpp>

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

// The document is written by hand (JsonWriter), not by Boost.JSON: it must
// still be the same document, member for member and in the same order, that
// the earlier json::object encoder wrote -- which is what Boost.JSON's own
// serialisation of the parsed text gives back. Controls, quotes, backslashes
// and non-ASCII text included; a package with every renewal member too.
TEST(PackageCodec, DocumentIsCanonicalJsonInTheStoredOrder) {
  QuotePackage p = FullPackage();
  p.quotes[0].instalment_plans = {{"monthly", "Monthly \x01", 12, 1}};
  p.quotes[0].instalment_plan = "monthly";
  p.quotes[0].instalment_payments = {{1, "paid", 1'633'069'900'000'000, 0}};
  p.quotes[0].renewable = true;
  p.pending_renewal = PendingRenewal{"R3NEW-0000-0000-RNW", 1'633'070'000'000'001, {p.quotes[1]}};
  p.renewal_opted_out_at = 5;
  p.renewed_from = "FROM0-00000-INS";
  p.renewed_to = "TO000-00000-INS";
  p.renewal_due_sent_for = 6;
  p.renewal_expired_at = 7;
  for (const QuotePackage& pkg : {FullPackage(), p}) {
    const std::string doc = EncodePackage(pkg);
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(doc, ec);
    ASSERT_FALSE(ec) << ec.message() << "\n" << doc;
    EXPECT_EQ(boost::json::serialize(parsed), doc);
    const boost::json::object& o = parsed.as_object();
    std::vector<std::string> keys;
    for (const auto& kv : o) keys.emplace_back(kv.key());
    std::vector<std::string> want = {"v",
                                     "id",
                                     "partner",
                                     "security_token",
                                     "status",
                                     "currency",
                                     "customer_country",
                                     "customer_region",
                                     "customer_language",
                                     "partner_transaction_id",
                                     "created_at",
                                     "updated_at",
                                     "booked_at",
                                     "quotes",
                                     "policyholder_json",
                                     "pending_cancellation",
                                     "pending_update"};
    if (pkg.pending_renewal) {
      for (const char* k : {"pending_renewal", "renewal_opted_out_at", "renewed_from", "renewed_to",
                            "renewal_due_sent_for", "renewal_expired_at"}) {
        want.emplace_back(k);
      }
    }
    EXPECT_EQ(keys, want);
    std::vector<std::string> quote_keys;
    for (const auto& kv : o.at("quotes").as_array()[0].as_object()) {
      quote_keys.emplace_back(kv.key());
    }
    EXPECT_EQ(quote_keys, (std::vector<std::string>{"id",
                                                    "policy_type",
                                                    "policy_type_version",
                                                    "policy_name",
                                                    "policy_code",
                                                    "policy_version_id",
                                                    "policy_group",
                                                    "fields_json",
                                                    "policy_start",
                                                    "policy_end",
                                                    "status",
                                                    "premium",
                                                    "taxes",
                                                    "price",
                                                    "cover_amount",
                                                    "price_multiplier_nanos",
                                                    "content",
                                                    "created_at",
                                                    "updated_at",
                                                    "confirmed_at",
                                                    "cancelled_at",
                                                    "refund",
                                                    "renewable",
                                                    "instalment_plans",
                                                    "instalment_plan",
                                                    "instalment_payments"}));
    EXPECT_EQ(o.at("quotes").as_array().size(), pkg.quotes.size());
  }
  const std::string doc = EncodePackage(p);
  EXPECT_NE(doc.find(R"("renewal_expired_at":7})"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("label":"Monthly \u0001")"), std::string::npos) << doc;
  auto back = DecodePackage(doc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodePackage(*back), doc);
}

// U+2028 and U+2029 are escaped (as in every body the API writes); they
// decode back to the same characters.
TEST(PackageCodec, LineSeparatorsAreEscapedAndDecodeBack) {
  QuotePackage p = FullPackage();
  p.customer_region = "a\u2028b\u2029c";
  const std::string doc = EncodePackage(p);
  EXPECT_NE(doc.find(R"("customer_region":"a\u2028b\u2029c")"), std::string::npos) << doc;
  auto back = DecodePackage(doc);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->customer_region, p.customer_region);
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
