// Renewals over HTTP (issue 9): quote_for_renewal, confirm, and the renewal
// opt-out -- which must behave exactly like the offer opt-out (CONTRACT.md,
// "Opt-out"): 204 without payload, idempotent, durable, 422 naming the
// state, 404 across partners.
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

// One gadget_protection quote: the default catalog's renewable product.
const char* kGadgetQuote = R"({"request": [{"policy_type": "gadget_protection",
    "policy_type_version": 1, "device_value": 599, "device_type": "phone",
    "cover_start_date": "2030-01-01T00:00:00Z"}],
  "currency": "GBP", "customer_country": "GB", "customer_language": "en"})";

class Renewals : public ServerTest {
 protected:
  // A CONFIRMED booking of the renewable product; returns its id.
  std::string BookGadget() {
    const json::object pkg = c().CreateQuote(kGadgetQuote);
    const json::object booked = c().Book(pkg);
    EXPECT_EQ(Str(booked, {"status"}), "CONFIRMED");
    return Str(booked, {"id"});
  }
  // A CONFIRMED booking of a product that does not renew.
  std::string BookEventCover() { return Str(c().Book(c().CreateQuote()), {"id"}); }

  HttpReply QuoteForRenewal(const std::string& id, const Client* as = nullptr,
                            const SignOptions& opts = {}) const {
    const Client& cl = as != nullptr ? *as : c();
    return cl.Send("PATCH", cl.Path("renewals/" + id + "/quote_for_renewal/"), std::nullopt, opts);
  }
  HttpReply Confirm(const std::string& id, const std::string& renewal_id,
                    const SignOptions& opts = {}) const {
    return c().Send("POST", c().Path("renewals/" + id + "/confirm/" + renewal_id + "/"), "{}",
                    opts);
  }
  HttpReply RenewalOptOut(const std::string& id, std::optional<std::string> body = "{}",
                          const Client* as = nullptr) const {
    const Client& cl = as != nullptr ? *as : c();
    return cl.Post("renewals/" + id + "/opt_out/", std::move(body));
  }

  int CountEvents(const std::string& package, const std::string& kind) {
    const auto rows = env_.Query("SELECT count(*) FROM events WHERE package_id = '" + package +
                                 "' AND kind = '" + kind + "'");
    return rows.empty() ? -1 : std::stoi(rows[0][0]);
  }

  void ExpectUnprocessableNaming(const HttpReply& r, const std::string& status) {
    EXPECT_EQ(r.status, 422) << r.Describe();
    const json::value v = r.Json();
    EXPECT_EQ(Str(v, {"type"}), "validation_error") << r.Describe();
    EXPECT_EQ(Str(v, {"errors", "status"}), status) << r.Describe();
  }
};

TEST_F(Renewals, RenewableQuotesSayIsRenewable) {
  const json::object pkg = c().CreateQuote(kGadgetQuote);
  EXPECT_EQ(pkg.at("quotes").at("0").at("is_renewable"), json::value(true));
  const json::object event = c().CreateQuote();
  EXPECT_EQ(event.at("quotes").at("0").at("is_renewable"), json::value(false));
}

TEST_F(Renewals, QuoteForRenewalOffersTheNextPeriodOnce) {
  const std::string id = BookGadget();
  const json::value booking = c().Get("bookings/" + id).Json();
  const HttpReply r = QuoteForRenewal(id);
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value v = r.Json();
  const std::string renewal_id = Str(v, {"renewal_id"});
  EXPECT_EQ(renewal_id.size(), 21u) << renewal_id;
  EXPECT_EQ(renewal_id.substr(17), "-RNW");
  EXPECT_EQ(Str(v, {"id"}), id);
  EXPECT_EQ(Str(v, {"status"}), "CONFIRMED");
  const json::value& q = v.at("quotes").at(0);
  EXPECT_EQ(Str(q, {"status"}), "RECEIVED");
  // The next period starts where the booked one ends.
  EXPECT_EQ(Str(q, {"policy_start_date"}), Str(booking.at("quotes").at(0), {"policy_end_date"}));
  EXPECT_NE(Str(q, {"id"}), Str(booking.at("quotes").at(0), {"id"}));
  EXPECT_EQ(q.at("is_renewable"), json::value(true));
  EXPECT_EQ(CountEvents(id, "renewal_offered"), 1);

  // Asked again: the same pending renewal, no second offer counted.
  const HttpReply again = QuoteForRenewal(id);
  ASSERT_EQ(again.status, 200) << again.Describe();
  EXPECT_EQ(Str(again.Json(), {"renewal_id"}), renewal_id);
  EXPECT_EQ(CountEvents(id, "renewal_offered"), 1);
}

TEST_F(Renewals, ConfirmMakesTheOldPolicyRenewedAndTheNewPeriodConfirmed) {
  const std::string id = BookGadget();
  const HttpReply offered = QuoteForRenewal(id);
  ASSERT_EQ(offered.status, 200) << offered.Describe();
  const std::string renewal_id = Str(offered.Json(), {"renewal_id"});
  const std::string next_start = Str(offered.Json().at("quotes").at(0), {"policy_start_date"});

  EXPECT_EQ(Confirm(id, "AAAAA-BBBBB-CCCCC-RNW").status, 404);
  const HttpReply r = Confirm(id, renewal_id);
  ASSERT_EQ(r.status, 201) << r.Describe();
  const json::value next = r.Json();
  const std::string next_id = Str(next, {"id"});
  EXPECT_NE(next_id, id);
  EXPECT_EQ(Str(next, {"status"}), "CONFIRMED");
  EXPECT_EQ(Str(next.at("quotes").at(0), {"status"}), "CONFIRMED");
  EXPECT_EQ(Str(next.at("quotes").at(0), {"policy_start_date"}), next_start);

  const json::value old = c().Get("bookings/" + id).Json();
  EXPECT_EQ(Str(old, {"status"}), "RENEWED");
  EXPECT_EQ(Str(old.at("quotes").at(0), {"status"}), "RENEWED");
  EXPECT_EQ(Str(c().Get("bookings/" + next_id).Json(), {"status"}), "CONFIRMED");
  EXPECT_EQ(CountEvents(next_id, "renewed"), 1);

  // Already renewed: 422 naming RENEWED for each renewal route.
  ExpectUnprocessableNaming(Confirm(id, renewal_id), "RENEWED");
  ExpectUnprocessableNaming(QuoteForRenewal(id), "RENEWED");
  ExpectUnprocessableNaming(RenewalOptOut(id), "RENEWED");
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 0);
  // The new period renews in turn.
  EXPECT_EQ(QuoteForRenewal(next_id).status, 200);
}

// next_renewal (null in every XCover cassette, whose products do not renew):
// the end of the current period, as policy_end_date, while a renewal can
// still come; null once renewed, declined, or for a product that does not renew.
TEST_F(Renewals, NextRenewalIsTheEndOfTheCurrentPeriod) {
  const std::string id = BookGadget();
  const json::value booking = c().Get("bookings/" + id).Json();
  const json::value& q = booking.at("quotes").at(0);
  EXPECT_EQ(Str(q, {"next_renewal"}), Str(q, {"policy_end_date"}));
  EXPECT_FALSE(Str(q, {"next_renewal"}).empty());
  // A quote not booked yet has none; neither has a product that does not renew.
  EXPECT_TRUE(c().CreateQuote(kGadgetQuote).at("quotes").at("0").at("next_renewal").is_null());
  const std::string event = BookEventCover();
  EXPECT_TRUE(c().Get("bookings/" + event).Json().at("quotes").at(0).at("next_renewal").is_null());

  // Renewed: the old booking has none, the new period ends a period later.
  const HttpReply offered = QuoteForRenewal(id);
  ASSERT_EQ(offered.status, 200) << offered.Describe();
  const HttpReply renewed = Confirm(id, Str(offered.Json(), {"renewal_id"}));
  ASSERT_EQ(renewed.status, 201) << renewed.Describe();
  const json::value renewed_booking = renewed.Json();
  const json::value& next = renewed_booking.at("quotes").at(0);
  EXPECT_EQ(Str(next, {"next_renewal"}), Str(next, {"policy_end_date"}));
  EXPECT_NE(Str(next, {"next_renewal"}), Str(q, {"next_renewal"}));
  EXPECT_TRUE(c().Get("bookings/" + id).Json().at("quotes").at(0).at("next_renewal").is_null());

  // Declined: no renewal is coming.
  const std::string declined = BookGadget();
  ASSERT_EQ(RenewalOptOut(declined).status, 204);
  EXPECT_TRUE(
      c().Get("bookings/" + declined).Json().at("quotes").at(0).at("next_renewal").is_null());
}

TEST_F(Renewals, ConfirmWithAnIdempotencyKeyRenewsOnce) {
  const std::string id = BookGadget();
  const std::string renewal_id = Str(QuoteForRenewal(id).Json(), {"renewal_id"});
  SignOptions opts;
  opts.idempotency_key = "6f1c1f0e-8d7e-4a53-9d55-0c8a3c2f4b10";
  const HttpReply first = Confirm(id, renewal_id, opts);
  ASSERT_EQ(first.status, 201) << first.Describe();
  const HttpReply replay = Confirm(id, renewal_id, opts);
  EXPECT_EQ(replay.status, 201) << replay.Describe();
  EXPECT_EQ(replay.body, first.body);
  const auto rows = env_.Query("SELECT count(*) FROM events WHERE kind = 'renewed'");
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0][0], "1");
}

TEST_F(Renewals, OptOutAnswers204WithoutPayloadAndRecordsOnce) {
  const std::string id = BookGadget();
  for (std::optional<std::string> body :
       {std::optional<std::string>{}, std::optional<std::string>{"{}"},
        std::optional<std::string>{"null"}}) {
    const HttpReply r = RenewalOptOut(id, body);
    EXPECT_EQ(r.status, 204) << r.Describe();
    EXPECT_EQ(r.body, "");
  }
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 1);  // the repeats recorded nothing
  EXPECT_EQ(Str(c().Get("bookings/" + id).Json(), {"status"}), "CONFIRMED");
  // A body that is not an object (nor null) is refused like the offer opt-out's.
  EXPECT_EQ(RenewalOptOut(id, "[1]").status, 400);
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 1);
}

TEST_F(Renewals, OptOutDeclinesThePendingRenewal) {
  const std::string id = BookGadget();
  const std::string renewal_id = Str(QuoteForRenewal(id).Json(), {"renewal_id"});
  ASSERT_EQ(RenewalOptOut(id).status, 204);
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 1);
  EXPECT_EQ(Confirm(id, renewal_id).status, 404);  // declined: nothing left to confirm
}

TEST_F(Renewals, NotRenewableAnswers422NamingTheState) {
  const std::string event_booking = BookEventCover();
  for (const HttpReply& r : {RenewalOptOut(event_booking), QuoteForRenewal(event_booking)}) {
    ExpectUnprocessableNaming(r, "CONFIRMED");
    EXPECT_NE(r.body.find("renewable"), std::string::npos) << r.body;
  }
  EXPECT_EQ(CountEvents(event_booking, "renewal_opted_out"), 0);
  // Not booked yet: nothing to renew.
  const std::string offered = Str(c().CreateQuote(kGadgetQuote), {"id"});
  ExpectUnprocessableNaming(RenewalOptOut(offered), "RECEIVED");
}

TEST_F(Renewals, AnotherPartnersBookingAnswers404) {
  const std::string id = BookGadget();
  const Credentials b = env_.AddPartner("OTHER");
  ASSERT_FALSE(b.key.empty());
  const Client b_client(port(), b);
  for (const HttpReply& r : {RenewalOptOut(id, "{}", &b_client), QuoteForRenewal(id, &b_client)}) {
    EXPECT_EQ(r.status, 404) << r.Describe();
    EXPECT_EQ(r.body.find(a_.partner), std::string::npos) << r.body;
  }
  EXPECT_EQ(RenewalOptOut("AAAAA-BBBBB-INS").status, 404);
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 0);
  EXPECT_EQ(CountEvents(id, "renewal_offered"), 0);
}

TEST_F(Renewals, BothPrefixesWithAndWithoutTrailingSlash) {
  for (const char* prefix : {"/x", "/xcover"}) {
    for (const char* slash : {"", "/"}) {
      const Client client(port(), a_, prefix);
      const std::string id = BookGadget();
      const HttpReply r = client.Post("renewals/" + id + "/opt_out" + slash, "{}");
      EXPECT_EQ(r.status, 204) << prefix << slash << ": " << r.Describe();
      EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 1) << prefix << slash;
    }
  }
}

TEST_F(Renewals, OptOutSurvivesSigkillRightAfterThe204) {
  const std::string id = BookGadget();
  ASSERT_EQ(RenewalOptOut(id).status, 204);
  server_->Kill();  // no graceful shutdown
  server_ = env_.StartServer();
  ASSERT_NE(server_, nullptr);
  client_ = std::make_unique<Client>(server_->port(), a_);
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 1);
  // Still opted out: a repeat is a 204 that records nothing.
  EXPECT_EQ(RenewalOptOut(id).status, 204);
  EXPECT_EQ(CountEvents(id, "renewal_opted_out"), 1);
}

}  // namespace
}  // namespace itest
