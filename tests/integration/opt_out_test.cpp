// Opt-out over HTTP: the operation offerledger exists for (CONTRACT.md,
// "Opt-out"; reference/opt-out.md).
#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

class OptOut : public ServerTest {
 protected:
  std::string NewPackage() {
    const json::object pkg = c().CreateQuote();
    const std::string id = Str(pkg, {"id"});
    EXPECT_FALSE(id.empty());
    return id;
  }

  HttpReply OptOutCall(const std::string& id, std::optional<std::string> body) {
    return c().Post("bookings/" + id + "/opt_out", std::move(body));
  }

  // Events of `kind` recorded for `package` in the ledger.
  int CountEvents(const std::string& package, const std::string& kind) {
    const auto rows = env_.Query("SELECT count(*) FROM events WHERE package_id = '" + package +
                                 "' AND kind = '" + kind + "'");
    return rows.empty() ? -1 : std::stoi(rows[0][0]);
  }

  void ExpectUnprocessableNaming(const HttpReply& r, const std::string& status) {
    EXPECT_EQ(r.status, 422) << r.Describe();
    const json::value v = r.Json();
    EXPECT_EQ(Str(v, {"type"}), "validation_error") << r.Describe();
    EXPECT_TRUE(Has(v, {"message"})) << r.Describe();
    EXPECT_EQ(Str(v, {"errors", "status"}), status) << r.Describe();
  }

  void ExpectNotFound(const HttpReply& r) {
    EXPECT_EQ(r.status, 404) << r.Describe();
    const json::value v = r.Json();
    EXPECT_FALSE(Str(v, {"type"}).empty()) << r.Describe();
    EXPECT_TRUE(Has(v, {"message"})) << r.Describe();
    EXPECT_TRUE(Has(v, {"errors"})) << r.Describe();
  }
};

TEST_F(OptOut, NoBodyAnswers204WithEmptyBody) {
  const std::string id = NewPackage();
  const HttpReply r = OptOutCall(id, std::nullopt);
  EXPECT_EQ(r.status, 204) << r.Describe();
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "OPTED_OUT");
}

TEST_F(OptOut, EmptyObjectBodyAnswers204) {
  const std::string id = NewPackage();
  const HttpReply r = OptOutCall(id, "{}");
  EXPECT_EQ(r.status, 204) << r.Describe();
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "OPTED_OUT");
}

TEST_F(OptOut, NullBodyAnswers204) {
  const std::string id = NewPackage();
  const HttpReply r = OptOutCall(id, "null");
  EXPECT_EQ(r.status, 204) << r.Describe();
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "OPTED_OUT");
}

TEST_F(OptOut, PackageShowsOptedOutWhileQuotesKeepTheirStatus) {
  // test_opt_out.yaml: package OPTED_OUT, its quote still RECEIVED.
  const std::string id = NewPackage();
  ASSERT_EQ(OptOutCall(id, "{}").status, 204);
  const json::object pkg = c().GetQuote(id);
  EXPECT_EQ(Str(pkg, {"status"}), "OPTED_OUT");
  EXPECT_EQ(Str(pkg, {"quotes", "0", "status"}), "RECEIVED") << json::serialize(pkg);
  EXPECT_DOUBLE_EQ(Num(pkg, {"total_price"}), 2.01);
  EXPECT_EQ(CountEvents(id, "opted_out"), 1);
}

TEST_F(OptOut, RepeatIsIdempotentAndRecordsNothingNew) {
  const std::string id = NewPackage();
  ASSERT_EQ(OptOutCall(id, "{}").status, 204);
  const HttpReply again = OptOutCall(id, "{}");
  EXPECT_EQ(again.status, 204) << again.Describe();
  EXPECT_EQ(again.body, "");
  const HttpReply third = OptOutCall(id, std::nullopt);
  EXPECT_EQ(third.status, 204) << third.Describe();
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "OPTED_OUT");
  // One quote in the package: exactly one opted_out event, however many retries.
  EXPECT_EQ(CountEvents(id, "opted_out"), 1);
}

TEST_F(OptOut, AfterBookingAnswers422NamingConfirmed) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(Str(c().Book(pkg), {"status"}), "CONFIRMED");
  const HttpReply r = OptOutCall(id, "{}");
  ExpectUnprocessableNaming(r, "CONFIRMED");
  EXPECT_NE(r.body.find("CONFIRMED"), std::string::npos) << r.body;
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "CONFIRMED");
  EXPECT_EQ(CountEvents(id, "opted_out"), 0);
}

TEST_F(OptOut, AfterCancelAnswers422NamingCancelled) {
  const json::object booked = c().InstantBooking();
  const std::string id = Str(booked, {"id"});
  const HttpReply cancel = c().Post("bookings/" + id + "/cancel", "{}");
  ASSERT_EQ(cancel.status, 200) << cancel.Describe();
  const HttpReply r = OptOutCall(id, "{}");
  ExpectUnprocessableNaming(r, "CANCELLED");
  EXPECT_EQ(CountEvents(id, "opted_out"), 0);
}

TEST_F(OptOut, UnknownPackageAnswers404) {
  NewPackage();  // the partner has data; this id is just not one of it
  ExpectNotFound(OptOutCall("AAAAA-BBBBB-INS", "{}"));
  ExpectNotFound(OptOutCall("ZZZZZ-99999-INS", std::nullopt));
}

TEST_F(OptOut, MalformedIdAnswers404) {
  ExpectNotFound(OptOutCall("not-a-package", "{}"));
  ExpectNotFound(OptOutCall("PYWUR-TAPHT", "{}"));
  ExpectNotFound(OptOutCall("pywur-tapht-ins", "{}"));
  ExpectNotFound(OptOutCall(std::string(300, 'A'), "{}"));
}

TEST_F(OptOut, AnotherPartnersPackageAnswers404) {
  const std::string id = NewPackage();
  const Credentials b = env_.AddPartner("OTHER");  // while the server runs
  ASSERT_FALSE(b.key.empty());

  // B's key on A's path: the same answer as a package that does not exist.
  const Client b_on_a(port(), Credentials{a_.partner, b.key, b.secret});
  const HttpReply on_a_path = b_on_a.Post("bookings/" + id + "/opt_out", "{}");
  ExpectNotFound(on_a_path);
  // B's key on B's own path, naming A's package.
  const Client b_client(port(), b);
  const HttpReply on_b_path = b_client.Post("bookings/" + id + "/opt_out", "{}");
  ExpectNotFound(on_b_path);
  EXPECT_EQ(b_client.Get("quotes/" + id + "/").status, 404);
  // Indistinguishable from an id that exists nowhere.
  const HttpReply nowhere = b_client.Post("bookings/AAAAA-BBBBB-INS/opt_out", "{}");
  EXPECT_EQ(Str(on_b_path.Json(), {"type"}), Str(nowhere.Json(), {"type"}));
  EXPECT_EQ(on_b_path.body.find(a_.partner), std::string::npos) << on_b_path.body;

  // A's package is untouched.
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "RECEIVED");
  EXPECT_EQ(CountEvents(id, "opted_out"), 0);
}

TEST_F(OptOut, BothPrefixesWithAndWithoutTrailingSlash) {
  for (const char* prefix : {"/x", "/xcover"}) {
    for (const char* slash : {"", "/"}) {
      const Client client(port(), a_, prefix);
      const HttpReply created = client.Post("quotes/", CassetteQuoteBody());
      ASSERT_EQ(created.status, 201) << prefix << ": " << created.Describe();
      const std::string id = Str(created.Json(), {"id"});
      const HttpReply r = client.Post("bookings/" + id + "/opt_out" + slash, "{}");
      EXPECT_EQ(r.status, 204) << prefix << " slash='" << slash << "': " << r.Describe();
      EXPECT_EQ(r.body, "");
      const HttpReply got = client.Get("quotes/" + id + slash);
      EXPECT_EQ(got.status, 200) << got.Describe();
      EXPECT_EQ(Str(got.Json(), {"status"}), "OPTED_OUT") << prefix << slash;
    }
  }
}

TEST_F(OptOut, BookingAnOptedOutPackageIsAllowed) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(OptOutCall(id, "{}").status, 204);
  const HttpReply r = c().Post("bookings/" + id + "/", BookingBodyFor(pkg));
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"status"}), "CONFIRMED");
  EXPECT_EQ(Str(r.Json(), {"quotes", "0", "status"}), "CONFIRMED");
  EXPECT_EQ(Str(c().GetQuote(id), {"status"}), "CONFIRMED");
  const HttpReply booking = c().Get("bookings/" + id + "/");
  EXPECT_EQ(booking.status, 200) << booking.Describe();
  // The ledger keeps the earlier opt-out and adds the booking.
  EXPECT_EQ(CountEvents(id, "opted_out"), 1);
  EXPECT_EQ(CountEvents(id, "booked"), 1);
  // And once booked, no more opt-out.
  ExpectUnprocessableNaming(OptOutCall(id, "{}"), "CONFIRMED");
}

TEST_F(OptOut, OptOutRecordsEveryQuoteOfThePackage) {
  // Two quotes (test_delete_quotes' request): one opted_out event per quote,
  // carrying product and price as they were.
  const std::string body =
      R"({"request": [)" +
      [] {
        const json::value v = json::parse(CassetteQuoteBody());
        const std::string one = json::serialize(v.at("request").at(0));
        return one + ", " + one;
      }() +
      R"(], "currency": "GBP", "customer_country": "GB", "customer_region": "London", "customer_language": "en"})";
  const json::object pkg = c().CreateQuote(body);
  const std::string id = Str(pkg, {"id"});
  ASSERT_DOUBLE_EQ(Num(pkg, {"total_price"}), 4.02);
  ASSERT_EQ(OptOutCall(id, std::nullopt).status, 204);
  // Sorted here, not with ORDER BY: a PostgreSQL collation may order text differently.
  auto rows = env_.Query(
      "SELECT quote_id, policy_type, price, currency, partner FROM events "
      "WHERE kind = 'opted_out' AND package_id = '" +
      id + "'");
  std::sort(rows.begin(), rows.end());
  ASSERT_EQ(rows.size(), 2u);
  std::vector<std::string> quote_ids = {Str(pkg, {"quotes", "0", "id"}),
                                        Str(pkg, {"quotes", "1", "id"})};
  std::sort(quote_ids.begin(), quote_ids.end());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i][0], quote_ids[i]);
    EXPECT_EQ(rows[i][1], "event_ticket_protection");
    EXPECT_EQ(rows[i][2], "201");  // minor units
    EXPECT_EQ(rows[i][3], "GBP");
    EXPECT_EQ(rows[i][4], "LLODT");
  }
}

}  // namespace
}  // namespace itest
