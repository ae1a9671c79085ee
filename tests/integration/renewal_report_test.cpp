// Renewal figures of the conversion report end to end (docs/metrics.md,
// "Renewals"): bookings of the renewable product renewed, declined after a
// renewal offer and declined without one, through the real binary; then the
// report's renewal columns from the CLI (JSON and CSV) and the partner route,
// and `report verify` over the renewal events.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

const char* kGadgetQuote = R"({"request": [{"policy_type": "gadget_protection",
    "policy_type_version": 1, "device_value": 599, "device_type": "phone",
    "cover_start_date": "2030-01-01T00:00:00Z"}],
  "currency": "GBP", "customer_country": "GB", "customer_language": "en"})";

class RenewalReport : public ServerTest {
 protected:
  std::string BookGadget() {
    const json::object booked = c().Book(c().CreateQuote(kGadgetQuote));
    EXPECT_EQ(Str(booked, {"status"}), "CONFIRMED");
    return Str(booked, {"id"});
  }
  std::string QuoteForRenewal(const std::string& id) {
    const HttpReply r =
        c().Send("PATCH", c().Path("renewals/" + id + "/quote_for_renewal/"), std::nullopt);
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.status == 200 ? Str(r.Json(), {"renewal_id"}) : "";
  }
  void OptOut(const std::string& id) {
    const HttpReply r = c().Post("renewals/" + id + "/opt_out/", "{}");
    EXPECT_EQ(r.status, 204) << r.Describe();
  }

  // The rows of a JSON report grouped by policy type, by product.
  static std::map<std::string, json::object> ByProduct(const std::string& body) {
    std::map<std::string, json::object> out;
    json::value v;
    try {
      v = json::parse(body);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << body;
      return out;
    }
    for (const json::value& row : v.as_array()) {
      out[Str(row, {"policy_type"})] = row.as_object();
    }
    return out;
  }

  // Three gadget bookings: one renewed, one declined after its renewal was
  // offered, one declined before any offer; one event booking (not renewable).
  void Script() {
    const std::string renewed = BookGadget();
    const std::string declined_offer = BookGadget();
    const std::string declined_early = BookGadget();
    c().Book(c().CreateQuote());

    const std::string renewal_id = QuoteForRenewal(renewed);
    const HttpReply confirmed =
        c().Post("renewals/" + renewed + "/confirm/" + renewal_id + "/", "{}");
    ASSERT_EQ(confirmed.status, 201) << confirmed.Describe();
    ASSERT_FALSE(QuoteForRenewal(declined_offer).empty());
    OptOut(declined_offer);
    OptOut(declined_offer);  // a repeat counts nothing
    OptOut(declined_early);
  }

  static void ExpectRenewalFigures(const std::map<std::string, json::object>& rows,
                                   const std::string& where) {
    SCOPED_TRACE(where);
    ASSERT_EQ(rows.count("gadget_protection"), 1u);
    const json::object& g = rows.at("gadget_protection");
    auto n = [&](const char* name) { return Num(g, {name}); };
    // The first offers, untouched by what happened to their renewals.
    EXPECT_EQ(n("quotes_offered"), 3);
    EXPECT_EQ(n("booked"), 3);
    EXPECT_EQ(n("opted_out"), 0);
    EXPECT_EQ(n("renewal_offers"), 2);
    EXPECT_EQ(n("renewals"), 1);
    EXPECT_EQ(n("renewal_opt_outs"), 2);
    EXPECT_DOUBLE_EQ(n("renewal_take_up_rate"), 0.5);
    // The Wilson 95% interval of 1 out of 2, to 4 decimals.
    EXPECT_DOUBLE_EQ(n("renewal_take_up_rate_low"), 0.0945);
    EXPECT_DOUBLE_EQ(n("renewal_take_up_rate_high"), 0.9055);

    ASSERT_EQ(rows.count("event_ticket_protection"), 1u);
    const json::object& e = rows.at("event_ticket_protection");
    EXPECT_EQ(Num(e, {"booked"}), 1);
    EXPECT_EQ(Num(e, {"renewal_offers"}), 0);
    EXPECT_EQ(Num(e, {"renewals"}), 0);
    EXPECT_EQ(Num(e, {"renewal_opt_outs"}), 0);
    EXPECT_TRUE(e.at("renewal_take_up_rate").is_null());
  }
};

TEST_F(RenewalReport, RenewalsRenewalOptOutsAndTakeUpInTheReport) {
  ASSERT_NO_FATAL_FAILURE(Script());

  const CommandResult cli = RunOfferledger({"report", "conversion", "--db", env_.db_url(),
                                            "--group", "policy_type", "--format", "json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  ExpectRenewalFigures(ByProduct(cli.out), "CLI");

  const HttpReply partner = c().Get("reports/conversion?group=policy_type");
  ASSERT_EQ(partner.status, 200) << partner.Describe();
  ExpectRenewalFigures(ByProduct(partner.body), "partner route");

  // CSV: the renewal columns come last, in this order.
  const CommandResult csv = RunOfferledger(
      {"report", "conversion", "--db", env_.db_url(), "--group", "policy_type", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::string header = csv.out.substr(0, csv.out.find("\r\n"));
  const std::string tail =
      ",premium_refunded,renewal_offers,renewals,renewal_opt_outs,renewal_take_up_rate,"
      "renewal_take_up_rate_low,renewal_take_up_rate_high";
  ASSERT_GE(header.size(), tail.size());
  EXPECT_EQ(header.substr(header.size() - tail.size()), tail) << header;
  EXPECT_NE(csv.out.find(",2,1,2,0.5000,0.0945,0.9055\r\n"), std::string::npos) << csv.out;

  // The roll-ups equal a recount of the events, renewal events included.
  const CommandResult verify = RunOfferledger({"report", "verify", "--db", env_.db_url()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("all equal"), std::string::npos) << verify.out;
}

}  // namespace
}  // namespace itest
