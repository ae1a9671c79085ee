// Instalments over HTTP (docs/api.md "Instalments"): a booking that chooses
// a catalog plan, its schedule, and reported payments.
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/cassette.h"
#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

class Instalments : public ServerTest {
 protected:
  // Books the cassette quote paying with `plan`.
  json::object BookWithPlan(const std::string& plan) const {
    const json::object pkg = c().CreateQuote();
    json::value body = json::parse(BookingBodyFor(pkg));
    body.as_object()["quotes"].as_array()[0].as_object()["instalment_plan"] = plan;
    const HttpReply r = c().Post("bookings/" + Str(pkg, {"id"}), json::serialize(body));
    EXPECT_EQ(r.status, 200) << r.Describe();
    return r.Json().as_object();
  }
  long long Events(const std::string& id, const std::string& kind) const {
    const auto rows = env_.Query("SELECT count(*) FROM events WHERE package_id = '" + id +
                                 "' AND kind = '" + kind + "'");
    return rows.empty() ? -1 : std::stoll(rows[0][0]);
  }
};

TEST_F(Instalments, QuotesOfferTheCatalogPlans) {
  const json::object pkg = c().CreateQuote();
  const json::value& plans = pkg.at("quotes").at("0").at("instalment_plans");
  ASSERT_TRUE(plans.is_array());
  ASSERT_EQ(plans.as_array().size(), 2u) << json::serialize(plans);
  EXPECT_EQ(Str(plans, {"0", "name"}), "1year-monthly");
  EXPECT_EQ(Str(plans, {"0", "label"}), "1Year-Monthly");
  EXPECT_EQ(Str(plans, {"1", "name"}), "1year-quarterly");
}

TEST_F(Instalments, MonthlyScheduleAddsUpToThePriceWithTheFirstPaid) {
  const json::object booking = BookWithPlan("1year-monthly");
  const std::string id = Str(booking, {"id"});
  const std::string quote_id = Str(booking, {"quotes", "0", "id"});
  EXPECT_EQ(Str(booking, {"quotes", "0", "instalment_plan"}), "1year-monthly");
  const HttpReply r = c().Get("bookings/" + id + "/instalments/");
  ASSERT_EQ(r.status, 200) << r.Describe();
  const json::value v = r.Json();
  EXPECT_EQ(Str(v, {"currency"}), "GBP");
  const json::value& q = v.at("quotes").at(0);
  EXPECT_EQ(Str(q, {"id"}), quote_id);
  const json::array& schedule = q.at("payment_schedule").as_array();
  ASSERT_EQ(schedule.size(), 12u);
  long long total = 0;
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    EXPECT_EQ(Num(schedule[i], {"number"}), static_cast<double>(i + 1));
    EXPECT_EQ(Str(schedule[i], {"status"}), i == 0 ? "PAID" : "UNPAID");
    EXPECT_EQ(Str(schedule[i], {"quote"}), quote_id);
    total += std::llround(Num(schedule[i], {"total_amount"}) * 100);
  }
  EXPECT_EQ(total, std::llround(Num(booking, {"total_price"}) * 100));
  // One calendar month apart.
  EXPECT_EQ(Str(schedule[0], {"period_start_date"}).substr(8, 2),
            Str(schedule[1], {"period_start_date"}).substr(8, 2));
  EXPECT_NE(Str(schedule[0], {"period_start_date"}).substr(5, 2),
            Str(schedule[1], {"period_start_date"}).substr(5, 2));
  EXPECT_EQ(Num(q, {"next_payment", "number"}), 2);
  EXPECT_NEAR(Num(q, {"total_amount_paid"}) + Num(q, {"total_amount_due"}),
              Num(booking, {"total_price"}), 1e-9);
}

TEST_F(Instalments, ReportedPaymentsMoveTheNextPaymentAndAreRecorded) {
  const json::object booking = BookWithPlan("1year-quarterly");
  const std::string id = Str(booking, {"id"});
  const std::string quote_id = Str(booking, {"quotes", "0", "id"});
  auto report = [&](int number, const std::string& status) {
    return c().Post(
        "bookings/" + id + "/instalments/",
        R"({"quotes": [{"id": ")" + quote_id +
            R"(", "payment_attempted_date": "2021-11-26T18:56:33Z", "payment_status": ")" + status +
            R"(", "instalment_number": )" + std::to_string(number) + "}]}");
  };
  const HttpReply failed = report(2, "FAILED");
  ASSERT_EQ(failed.status, 204) << failed.Describe();
  EXPECT_TRUE(failed.body.empty());
  json::value v = c().Get("bookings/" + id + "/instalments").Json();
  EXPECT_EQ(Str(v, {"quotes", "0", "payment_schedule", "1", "status"}), "FAILED");
  EXPECT_EQ(Num(v, {"quotes", "0", "payment_schedule", "1", "payment_failures"}), 1);
  EXPECT_EQ(Num(v, {"quotes", "0", "next_payment", "number"}), 2);
  ASSERT_EQ(report(2, "PAID").status, 204);
  v = c().Get("bookings/" + id + "/instalments").Json();
  EXPECT_EQ(Str(v, {"quotes", "0", "payment_schedule", "1", "status"}), "PAID");
  EXPECT_EQ(Num(v, {"quotes", "0", "next_payment", "number"}), 3);
  EXPECT_EQ(Events(id, "instalment"), 2);

  // Bad reports change nothing.
  EXPECT_EQ(report(5, "PAID").status, 422);   // a quarterly plan has 4
  EXPECT_EQ(report(3, "MAYBE").status, 422);  // PAID or FAILED
  EXPECT_EQ(c().Post("bookings/" + id + "/instalments/", R"({"quotes": []})").status, 422);
  EXPECT_EQ(Events(id, "instalment"), 2);
}

TEST_F(Instalments, PlansAreCheckedAndOnlyBookingsHaveSchedules) {
  const json::object pkg = c().CreateQuote();
  json::value body = json::parse(BookingBodyFor(pkg));
  body.as_object()["quotes"].as_array()[0].as_object()["instalment_plan"] = "weekly-forever";
  const HttpReply bad = c().Post("bookings/" + Str(pkg, {"id"}), json::serialize(body));
  EXPECT_EQ(bad.status, 422) << bad.Describe();
  EXPECT_TRUE(Has(bad.Json(), {"errors", "quotes.0.instalment_plan"})) << bad.body;
  // Still bookable: nothing was changed.
  EXPECT_EQ(c().Get("bookings/" + Str(pkg, {"id"}) + "/instalments").status, 404);
  // A booking paid at once lists no schedule; reports on it are refused.
  const json::object plain = c().InstantBooking();
  const HttpReply none = c().Get("bookings/" + Str(plain, {"id"}) + "/instalments");
  ASSERT_EQ(none.status, 200) << none.Describe();
  EXPECT_TRUE(none.Json().at("quotes").as_array().empty());
  const HttpReply refused =
      c().Post("bookings/" + Str(plain, {"id"}) + "/instalments",
               R"({"quotes": [{"id": ")" + Str(plain, {"quotes", "0", "id"}) +
                   R"(", "payment_status": "PAID", "instalment_number": 1}]})");
  EXPECT_EQ(refused.status, 422) << refused.Describe();
  // Another partner sees nothing.
  const json::object booking = BookWithPlan("1year-monthly");
  const Credentials other = env_.AddPartner("OTHER");
  const Client b(port(), other);
  EXPECT_EQ(b.Get("bookings/" + Str(booking, {"id"}) + "/instalments").status, 404);
}

}  // namespace
}  // namespace itest
