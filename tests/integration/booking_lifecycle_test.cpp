// The booking lifecycle after the booking itself (issue 9, docs/api.md
// "Payment confirmation" and "Modifications"): PENDING_PAYMENT and PUT
// .../confirm, PATCH bookings/{id}/, quote_for_update and confirm_update,
// their ledger events and what conversion reports make of them.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/cassette.h"
#include "integration/fixture.h"

namespace itest {
namespace {

namespace json = boost::json;

class BookingLifecycle : public ServerTest {
 protected:
  HttpReply Put(const std::string& rest, std::optional<std::string> body) const {
    return c().Send("PUT", c().Path(rest), std::move(body));
  }
  HttpReply Patch(const std::string& rest, std::optional<std::string> body) const {
    return c().Send("PATCH", c().Path(rest), std::move(body));
  }

  // Books every quote of `package` asking for payment confirmation.
  HttpReply BookPendingPayment(const json::object& package) const {
    json::value body = json::parse(BookingBodyFor(package));
    body.as_object()["require_payment_confirmation"] = true;
    return c().Post("bookings/" + Str(package, {"id"}), json::serialize(body));
  }

  // How many ledger events of `kind` package `id` has.
  long long Events(const std::string& id, const std::string& kind) const {
    const auto rows = env_.Query("SELECT count(*) FROM events WHERE package_id = '" + id +
                                 "' AND kind = '" + kind + "'");
    return rows.empty() ? -1 : std::stoll(rows[0][0]);
  }

  // The single row of `offerledger report conversion` for this database.
  json::object ReportRow() const {
    const CommandResult r = RunOfferledger({"report", "conversion", "--db", env_.db_url(),
                                            "--format", "json", "--decision-window-days", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const json::value v = json::parse(r.out);
    if (!v.is_array() || v.as_array().size() != 1) {
      ADD_FAILURE() << "expected one row: " << r.out;
      return {};
    }
    return v.as_array()[0].as_object();
  }

  void ExpectReportVerifies() const {
    const CommandResult verify = RunOfferledger({"report", "verify", "--db", env_.db_url()});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_NE(verify.out.find("all equal"), std::string::npos) << verify.out;
  }
};

// ------------------------------------------------------------ payment confirmation

TEST_F(BookingLifecycle, PaymentConfirmationTurnsPendingPaymentIntoConfirmed) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  const HttpReply booked = BookPendingPayment(pkg);
  ASSERT_EQ(booked.status, 200) << booked.Describe();
  EXPECT_EQ(Str(booked.Json(), {"status"}), "PENDING_PAYMENT");
  EXPECT_EQ(Str(booked.Json(), {"quotes", "0", "status"}), "PENDING_PAYMENT");
  EXPECT_TRUE(booked.Json().at("quotes").at(0).at("confirmed_at").is_null());
  // A booking, visible as one, but not a sale yet.
  const HttpReply got = c().Get("bookings/" + id);
  ASSERT_EQ(got.status, 200) << got.Describe();
  EXPECT_EQ(Str(got.Json(), {"status"}), "PENDING_PAYMENT");
  EXPECT_EQ(Events(id, "payment_pending"), 1);
  EXPECT_EQ(Events(id, "booked"), 0);

  const HttpReply confirmed = Put("bookings/" + id + "/confirm", "{}");
  ASSERT_EQ(confirmed.status, 201) << confirmed.Describe();
  EXPECT_EQ(Str(confirmed.Json(), {"status"}), "CONFIRMED");
  EXPECT_EQ(Str(confirmed.Json(), {"quotes", "0", "status"}), "CONFIRMED");
  EXPECT_FALSE(Str(confirmed.Json(), {"quotes", "0", "confirmed_at"}).empty());
  EXPECT_EQ(Events(id, "booked"), 1);
  EXPECT_EQ(Str(c().Get("bookings/" + id).Json(), {"status"}), "CONFIRMED");

  // Confirming again is refused, naming the status; so is confirming a
  // booking that never waited for payment, or a mere quote.
  const HttpReply again = Put("bookings/" + id + "/confirm", std::nullopt);
  EXPECT_EQ(again.status, 422) << again.Describe();
  EXPECT_EQ(Str(again.Json(), {"errors", "status"}), "CONFIRMED");
  const std::string instant = Str(c().InstantBooking(), {"id"});
  EXPECT_EQ(Put("bookings/" + instant + "/confirm", "{}").status, 422);
  const std::string quote = Str(c().CreateQuote(), {"id"});
  const HttpReply received = Put("bookings/" + quote + "/confirm", "{}");
  EXPECT_EQ(received.status, 422) << received.Describe();
  EXPECT_EQ(Str(received.Json(), {"errors", "status"}), "RECEIVED");
  EXPECT_EQ(Events(id, "booked"), 1);
}

TEST_F(BookingLifecycle, PendingPaymentCannotBeOptedOutCancelledOrBookedAgain) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(BookPendingPayment(pkg).status, 200);
  const HttpReply opt_out = c().Post("bookings/" + id + "/opt_out", std::nullopt);
  EXPECT_EQ(opt_out.status, 422) << opt_out.Describe();
  EXPECT_EQ(Str(opt_out.Json(), {"errors", "status"}), "PENDING_PAYMENT");
  const HttpReply cancel = c().Post("bookings/" + id + "/cancel", "{}");
  EXPECT_EQ(cancel.status, 422) << cancel.Describe();
  EXPECT_EQ(Str(cancel.Json(), {"errors", "status"}), "PENDING_PAYMENT");
  EXPECT_EQ(c().Post("bookings/" + id, BookingBodyFor(pkg)).status, 422);
  EXPECT_EQ(Events(id, "opted_out"), 0);
  EXPECT_EQ(Events(id, "cancelled"), 0);
  EXPECT_EQ(Str(c().Get("bookings/" + id).Json(), {"status"}), "PENDING_PAYMENT");
}

TEST_F(BookingLifecycle, ConversionCountsAPendingPaymentBookingOnlyOnceConfirmed) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(BookPendingPayment(pkg).status, 200);
  json::object row = ReportRow();
  EXPECT_EQ(Num(row, {"quotes_offered"}), 1);
  EXPECT_EQ(Num(row, {"booked"}), 0);
  // Still an open offer: pending, or no answer once its decision window passed.
  EXPECT_EQ(Num(row, {"pending"}) + Num(row, {"no_answer"}), 1);
  ExpectReportVerifies();

  ASSERT_EQ(Put("bookings/" + id + "/confirm", "{}").status, 201);
  row = ReportRow();
  EXPECT_EQ(Num(row, {"booked"}), 1);
  EXPECT_EQ(Num(row, {"pending"}) + Num(row, {"no_answer"}), 0);
  EXPECT_DOUBLE_EQ(Num(row, {"gross_written_premium"}), 2.01);
  ExpectReportVerifies();
}

TEST_F(BookingLifecycle, ConfirmIsScopedToThePartnerAndTakesNoPayload) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(BookPendingPayment(pkg).status, 200);
  const Credentials other = env_.AddPartner("OTHER");
  const Client b(port(), other);
  // Another partner's key on its own path: the package is not there.
  const HttpReply cross = b.Send("PUT", b.Path("bookings/" + id + "/confirm"), "{}");
  EXPECT_EQ(cross.status, 404) << cross.Describe();
  const HttpReply patch =
      b.Send("PATCH", b.Path("bookings/" + id), R"({"policyholder":{"phone":"+44"}})");
  EXPECT_EQ(patch.status, 404) << patch.Describe();
  EXPECT_EQ(Put("bookings/" + id + "/confirm", "[1]").status, 400);
  EXPECT_EQ(Put("bookings/NOPE0-NOPE0-INS/confirm", "{}").status, 404);
  // Both prefixes serve it.
  const Client x(port(), a_, "/x");
  const HttpReply ok = x.Send("PUT", x.Path("bookings/" + id + "/confirm/"), std::nullopt);
  EXPECT_EQ(ok.status, 201) << ok.Describe();
  EXPECT_EQ(Str(c().Get("bookings/" + id).Json(), {"status"}), "CONFIRMED");
}

TEST_F(BookingLifecycle, ConfirmWithAnIdempotencyKeyReplaysTheFirstAnswer) {
  const json::object pkg = c().CreateQuote();
  const std::string id = Str(pkg, {"id"});
  ASSERT_EQ(BookPendingPayment(pkg).status, 200);
  SignOptions opts;
  opts.extra_headers.emplace_back("x-idempotency-key", "confirm-1");
  const HttpReply first = c().Send("PUT", c().Path("bookings/" + id + "/confirm"), "{}", opts);
  ASSERT_EQ(first.status, 201) << first.Describe();
  const HttpReply second = c().Send("PUT", c().Path("bookings/" + id + "/confirm"), "{}", opts);
  EXPECT_EQ(second.status, 201) << second.Describe();
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.Header("idempotent-replayed").value_or(""), "true");
  EXPECT_EQ(Events(id, "booked"), 1);
}

// ------------------------------------------------------------ modifications

TEST_F(BookingLifecycle, PatchChangesThePolicyholderAndRecordsAModification) {
  const json::object booking = c().InstantBooking();
  const std::string id = Str(booking, {"id"});
  const HttpReply r =
      Patch("bookings/" + id + "/", R"({"policyholder": {"phone": "+380506022279"}})");
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"policyholder", "phone"}), "+380506022279");
  // The other members stay.
  EXPECT_EQ(Str(r.Json(), {"policyholder", "first_name"}),
            Str(booking, {"policyholder", "first_name"}));
  EXPECT_EQ(Str(r.Json(), {"status"}), "CONFIRMED");
  EXPECT_EQ(Num(r.Json(), {"total_price_diff"}), 0);
  EXPECT_EQ(Str(c().Get("bookings/" + id).Json(), {"policyholder", "phone"}), "+380506022279");
  EXPECT_EQ(Events(id, "modified"), 1);
  const auto rows =
      env_.Query("SELECT amount FROM events WHERE package_id = '" + id + "' AND kind = 'modified'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "0");  // no price change
  ExpectReportVerifies();
}

TEST_F(BookingLifecycle, PatchValidatesWithXcoverErrorShapeAndChangesNothing) {
  const json::object booking = c().InstantBooking();
  const std::string id = Str(booking, {"id"});
  const HttpReply bad =
      Patch("bookings/" + id, R"({"policyholder": {"phone": "invalid phone format"}})");
  ASSERT_EQ(bad.status, 422) << bad.Describe();
  const json::value v = bad.Json();
  EXPECT_EQ(Str(v, {"type"}), "validation_error");
  ASSERT_TRUE(v.at("errors").at("policyholder").at("phone").is_array()) << bad.body;
  EXPECT_NE(Str(v, {"errors", "policyholder", "phone", "0"}).find('+'), std::string::npos);
  // Unknown members and wrong types are refused the same way.
  const HttpReply unknown = Patch("bookings/" + id, R"({"policyholder": {"shoe_size": 42}})");
  EXPECT_EQ(unknown.status, 422) << unknown.Describe();
  EXPECT_TRUE(unknown.Json().at("errors").at("policyholder").at("shoe_size").is_array());
  const HttpReply email = Patch("bookings/" + id, R"({"policyholder": {"email": "nope"}})");
  EXPECT_EQ(email.status, 422) << email.Describe();
  EXPECT_EQ(Patch("bookings/" + id, R"({"colour": "red"})").status, 422);
  EXPECT_EQ(Patch("bookings/" + id, "{}").status, 422);
  EXPECT_EQ(Events(id, "modified"), 0);
  EXPECT_TRUE(c().Get("bookings/" + id).Json().at("policyholder").at("phone").is_null());
}

TEST_F(BookingLifecycle, OnlyBookingsCanBeModified) {
  const std::string quote = Str(c().CreateQuote(), {"id"});
  const HttpReply r = Patch("bookings/" + quote, R"({"policyholder": {"phone": "+44"}})");
  EXPECT_EQ(r.status, 422) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"errors", "status"}), "RECEIVED");
  const std::string cancelled = Str(c().InstantBooking(), {"id"});
  ASSERT_EQ(c().Post("bookings/" + cancelled + "/cancel", "{}").status, 200);
  EXPECT_EQ(Patch("bookings/" + cancelled, R"({"policyholder": {"phone": "+44"}})").status, 422);
  const HttpReply update = Patch("bookings/" + cancelled + "/quote_for_update",
                                 R"({"quotes": [{"id": "x", "update_fields": {}}]})");
  EXPECT_EQ(update.status, 422) << update.Describe();
  // A booking awaiting payment may be corrected before it is paid.
  const json::object pkg = c().CreateQuote();
  ASSERT_EQ(BookPendingPayment(pkg).status, 200);
  EXPECT_EQ(Patch("bookings/" + Str(pkg, {"id"}), R"({"policyholder": {"phone": "+44"}})").status,
            200);
}

TEST_F(BookingLifecycle, QuoteForUpdateRepricesWithoutChangingTheBookingUntilConfirmed) {
  const json::object booking = c().InstantBooking();
  const std::string id = Str(booking, {"id"});
  const std::string quote_id = Str(booking, {"quotes", "0", "id"});
  const double old_price = Num(booking, {"total_price"});
  const std::string body = R"({"quotes": [{"id": ")" + quote_id +
                           R"(", "update_fields": {"tickets": [{"price": 100500}]}}]})";
  const HttpReply quoted = Patch("bookings/" + id + "/quote_for_update", body);
  ASSERT_EQ(quoted.status, 200) << quoted.Describe();
  const json::value q = quoted.Json();
  const std::string update_id = Str(q, {"update_id"});
  ASSERT_EQ(update_id.size(), 21u) << update_id;
  EXPECT_EQ(update_id.substr(17), "-UPD");
  const double new_price = Num(q, {"total_price"});
  EXPECT_GT(new_price, old_price);
  EXPECT_NEAR(Num(q, {"total_price_diff"}), new_price - old_price, 1e-9);
  EXPECT_NEAR(Num(q, {"quotes", "0", "price_diff"}), new_price - old_price, 1e-9);
  // The booking itself has not changed, and nothing is in the ledger yet.
  EXPECT_DOUBLE_EQ(Num(c().Get("bookings/" + id).Json(), {"total_price"}), old_price);
  EXPECT_EQ(Events(id, "modified"), 0);

  // An unknown update id is 404; the right one applies the quoted prices.
  EXPECT_EQ(c().Post("bookings/" + id + "/confirm_update/AAAAA-AAAAA-AAAAA-UPD/", "{}").status,
            404);
  const HttpReply applied = c().Post("bookings/" + id + "/confirm_update/" + update_id + "/", "{}");
  ASSERT_EQ(applied.status, 201) << applied.Describe();
  EXPECT_DOUBLE_EQ(Num(applied.Json(), {"total_price"}), new_price);
  EXPECT_NEAR(Num(applied.Json(), {"total_price_diff"}), new_price - old_price, 1e-9);
  EXPECT_FALSE(Has(applied.Json(), {"update_id"}));
  const json::value after = c().Get("bookings/" + id).Json();
  EXPECT_DOUBLE_EQ(Num(after, {"total_price"}), new_price);
  EXPECT_EQ(Str(after, {"status"}), "CONFIRMED");
  EXPECT_EQ(Str(after, {"quotes", "0", "id"}), quote_id);

  // One modification event, with the price change in minor units.
  const auto rows = env_.Query("SELECT amount, price FROM events WHERE package_id = '" + id +
                               "' AND kind = 'modified'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::stoll(rows[0][0]), std::llround((new_price - old_price) * 100));
  EXPECT_EQ(std::stoll(rows[0][1]), std::llround(new_price * 100));
  // The update is used up.
  EXPECT_EQ(c().Post("bookings/" + id + "/confirm_update/" + update_id, "{}").status, 404);
  // Conversion counts the booking at its new price; the roll-ups match a recount.
  const json::object row = ReportRow();
  EXPECT_EQ(Num(row, {"booked"}), 1);
  EXPECT_NEAR(Num(row, {"gross_written_premium"}), new_price, 1e-9);
  ExpectReportVerifies();
}

TEST_F(BookingLifecycle, QuoteForUpdateValidatesTheFieldsAndTheQuoteIds) {
  const json::object booking = c().InstantBooking();
  const std::string id = Str(booking, {"id"});
  const std::string quote_id = Str(booking, {"quotes", "0", "id"});
  const HttpReply unknown = Patch("bookings/" + id + "/quote_for_update",
                                  R"({"quotes": [{"id": "nope", "update_fields": {}}]})");
  EXPECT_EQ(unknown.status, 422) << unknown.Describe();
  EXPECT_TRUE(Has(unknown.Json(), {"errors", "quotes.0.id"})) << unknown.body;
  const HttpReply bad_price =
      Patch("bookings/" + id + "/quote_for_update",
            R"({"quotes": [{"id": ")" + quote_id +
                R"(", "update_fields": {"tickets": [{"price": "lots"}]}}]})");
  EXPECT_EQ(bad_price.status, 422) << bad_price.Describe();
  EXPECT_EQ(Patch("bookings/" + id + "/quote_for_update", R"({"quotes": []})").status, 422);
  EXPECT_EQ(Patch("bookings/" + id + "/quote_for_update", "{}").status, 422);
  EXPECT_EQ(Events(id, "modified"), 0);
}

TEST_F(BookingLifecycle, ANewerQuoteForUpdateReplacesTheOlderOne) {
  const json::object booking = c().InstantBooking();
  const std::string id = Str(booking, {"id"});
  const std::string quote_id = Str(booking, {"quotes", "0", "id"});
  auto quote = [&](int price) {
    const HttpReply r = Patch("bookings/" + id + "/quote_for_update",
                              R"({"quotes": [{"id": ")" + quote_id +
                                  R"(", "update_fields": {"tickets": [{"price": )" +
                                  std::to_string(price) + "}]}}]}");
    EXPECT_EQ(r.status, 200) << r.Describe();
    return Str(r.Json(), {"update_id"});
  };
  const std::string first = quote(500);
  const std::string second = quote(1000);
  EXPECT_NE(first, second);
  EXPECT_EQ(c().Post("bookings/" + id + "/confirm_update/" + first, "{}").status, 404);
  EXPECT_EQ(c().Post("bookings/" + id + "/confirm_update/" + second, "{}").status, 201);
  // A cancellation drops a pending update.
  const std::string third = quote(2000);
  ASSERT_EQ(c().Post("bookings/" + id + "/cancel", "{}").status, 200);
  EXPECT_EQ(c().Post("bookings/" + id + "/confirm_update/" + third, "{}").status, 404);
  EXPECT_EQ(Events(id, "modified"), 1);
  ExpectReportVerifies();
}

// ------------------------------------------------------------ the cassettes

TEST_F(BookingLifecycle, CassetteConfirmBookingFlow) {
  const auto flow = LoadCassette("test_confirm_booking");
  ASSERT_EQ(flow.size(), 3u);
  const HttpReply created = c().Post("quotes/", *flow[0].request.body);
  ASSERT_EQ(created.status, 201) << created.Describe();
  const std::string id = Str(created.Json(), {"id"});
  const std::string quote_id = Str(created.Json(), {"quotes", "0", "id"});
  json::value booking = json::parse(*flow[1].request.body);
  booking.as_object()["quotes"].as_array()[0].as_object()["id"] = quote_id;
  const HttpReply booked = c().Post("bookings/" + id + "/", json::serialize(booking));
  ASSERT_EQ(booked.status, 200) << booked.Describe();
  EXPECT_EQ(Str(booked.Json(), {"status"}), "PENDING_PAYMENT");
  const HttpReply confirmed = Put("bookings/" + id + "/confirm", *flow[2].request.body);
  EXPECT_EQ(confirmed.status, 201) << confirmed.Describe();
  EXPECT_EQ(Str(confirmed.Json(), {"status"}), "CONFIRMED");
}

}  // namespace
}  // namespace itest
