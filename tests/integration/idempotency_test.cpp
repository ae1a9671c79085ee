// Idempotency keys (CONTRACT.md, "Idempotency keys"): the official client
// sends a fresh x-idempotency-key UUID on every POST/PUT/PATCH.
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

class Idempotency : public ServerTest {
 protected:
  HttpReply PostWithKey(const std::string& rest, const std::string& body, const std::string& key) {
    SignOptions opts;
    opts.idempotency_key = key;
    return c().Send("POST", c().Path(rest), body, opts);
  }

  int PackagesInDb() {
    const auto rows = env_.Query("SELECT count(*) FROM packages");
    return rows.empty() ? -1 : std::stoi(rows[0][0]);
  }
};

TEST_F(Idempotency, SameKeySameBodyReplaysTheFirstReply) {
  const std::string key = "b4770b89-e6e3-4934-8c57-b39bdbb81e78";
  const HttpReply first = PostWithKey("quotes/", CassetteQuoteBody(), key);
  ASSERT_EQ(first.status, 201) << first.Describe();
  EXPECT_FALSE(first.Header("Idempotent-Replayed").has_value());
  const HttpReply second = PostWithKey("quotes/", CassetteQuoteBody(), key);
  EXPECT_EQ(second.status, 201) << second.Describe();
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.Header("Idempotent-Replayed").value_or(""), "true");
  // No second package: the same id, and one package in the store.
  EXPECT_EQ(Str(second.Json(), {"id"}), Str(first.Json(), {"id"}));
  EXPECT_EQ(PackagesInDb(), 1);
}

TEST_F(Idempotency, SameKeyDifferentBodyAnswers409) {
  const std::string key = "618f49d2-d3f6-4aea-bac2-51241c8f43e6";
  const HttpReply first = PostWithKey("quotes/", CassetteQuoteBody(), key);
  ASSERT_EQ(first.status, 201) << first.Describe();
  json::value other = json::parse(CassetteQuoteBody());
  other.as_object()["partner_transaction_id"] = "order-42";
  const HttpReply conflict = PostWithKey("quotes/", json::serialize(other), key);
  EXPECT_EQ(conflict.status, 409) << conflict.Describe();
  EXPECT_TRUE(Has(conflict.Json(), {"type"})) << conflict.body;
  EXPECT_TRUE(Has(conflict.Json(), {"message"})) << conflict.body;
  EXPECT_EQ(PackagesInDb(), 1);
}

TEST_F(Idempotency, DifferentKeysMakeTwoPackages) {
  const HttpReply a = PostWithKey("quotes/", CassetteQuoteBody(), "key-one-0001");
  const HttpReply b = PostWithKey("quotes/", CassetteQuoteBody(), "key-two-0002");
  ASSERT_EQ(a.status, 201) << a.Describe();
  ASSERT_EQ(b.status, 201) << b.Describe();
  EXPECT_NE(Str(a.Json(), {"id"}), Str(b.Json(), {"id"}));
  EXPECT_FALSE(b.Header("Idempotent-Replayed").has_value());
  EXPECT_EQ(PackagesInDb(), 2);
}

TEST_F(Idempotency, InstantBookingReplayBooksOnce) {
  const std::string key = "6b1c3c1e-1f0e-4f53-9a0e-1d2f3a4b5c6d";
  const HttpReply first = PostWithKey("instant_booking/", CassetteInstantBookingBody(), key);
  ASSERT_EQ(first.status, 200) << first.Describe();
  const HttpReply second = PostWithKey("instant_booking/", CassetteInstantBookingBody(), key);
  EXPECT_EQ(second.status, 200) << second.Describe();
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.Header("Idempotent-Replayed").value_or(""), "true");
  const HttpReply list = c().Get("bookings/?limit=10&offset=0");
  ASSERT_EQ(list.status, 200) << list.Describe();
  EXPECT_EQ(Num(list.Json(), {"count"}), 1) << list.body.substr(0, 300);
}

TEST_F(Idempotency, OptOutReplayWithKey) {
  const std::string id = Str(c().CreateQuote(), {"id"});
  const std::string key = "c0ffee00-0000-4000-8000-000000000001";
  const HttpReply first = PostWithKey("bookings/" + id + "/opt_out", "{}", key);
  EXPECT_EQ(first.status, 204) << first.Describe();
  const HttpReply second = PostWithKey("bookings/" + id + "/opt_out", "{}", key);
  EXPECT_EQ(second.status, 204) << second.Describe();
  EXPECT_EQ(second.body, "");
  const auto rows = env_.Query(
      "SELECT count(*) FROM events WHERE kind = 'opted_out' AND package_id = '" + id + "'");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0][0], "1");
}

}  // namespace
}  // namespace itest
