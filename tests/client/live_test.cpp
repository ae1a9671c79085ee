// The SDK against the real offerledger binary: every call.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "client/client.h"
#include "client/outbox.h"
#include "integration/harness.h"

namespace offerledger::client {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class Live : public ::testing::Test {
 protected:
  void SetUp() override {
    creds_ = env_.AddPartner("DEMO");
    server_ = env_.StartServer();
    ASSERT_NE(server_, nullptr);
  }
  Config Cfg() {
    Config c;
    c.base_url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/xcover/";
    c.partner_code = creds_.partner;
    c.api_key = creds_.key;
    c.api_secret = creds_.secret;
    c.outbox_path = (env_.dir() / "outbox.db").string();
    return c;
  }
  itest::Env env_;
  itest::Credentials creds_;
  std::unique_ptr<itest::ServerProcess> server_;
};

TEST_F(Live, EveryCall) {
  Client c(Cfg());
  const json::value quote_body = json::parse(itest::CassetteQuoteBody());
  json::value pkg = c.CreateQuote(quote_body);
  const std::string id(pkg.at("id").as_string());
  EXPECT_EQ(pkg.at("status").as_string(), "RECEIVED");
  EXPECT_EQ(c.GetQuote(id).at("id").as_string(), id);

  c.OptOut(id);
  EXPECT_EQ(c.GetQuote(id).at("status").as_string(), "OPTED_OUT");
  c.OptOut(id);  // idempotent

  // Book a fresh package.
  json::value pkg2 = c.CreateQuote(quote_body);
  const std::string id2(pkg2.at("id").as_string());
  const json::value booking = json::parse(itest::BookingBodyFor(pkg2.as_object()));
  json::value booked = c.CreateBooking(id2, booking);
  EXPECT_EQ(booked.at("status").as_string(), "CONFIRMED");
  EXPECT_EQ(c.GetBooking(id2).at("id").as_string(), id2);
  json::value list = c.ListBookings(10);
  EXPECT_GE(list.at("count").to_number<int>(), 1);

  json::value instant = c.InstantBooking(json::parse(itest::CassetteInstantBookingBody()));
  EXPECT_EQ(instant.at("status").as_string(), "CONFIRMED");

  json::value preview = c.CancelBooking(id2, json::parse(R"({"preview": true})"));
  EXPECT_TRUE(preview.is_object());

  // Opting out a booked package: typed 422.
  try {
    c.OptOut(id2);
    ADD_FAILURE() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 422);
    EXPECT_EQ(e.type(), "validation_error");
    EXPECT_EQ(e.attempts(), 1);
  }
  try {
    c.GetQuote("ZZZZZ-ZZZZZ-INS");
    ADD_FAILURE() << "no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

TEST_F(Live, EveryAlgorithmAndHeaderListIsAccepted) {
  for (Algorithm alg : {Algorithm::kHmacSha256, Algorithm::kHmacSha384, Algorithm::kHmacSha512}) {
    for (const auto& headers : std::vector<std::vector<std::string>>{
             {"(request-target)", "date"}, {"date"}, {"date", "(request-target)", "x-api-key"}}) {
      Config cfg = Cfg();
      cfg.algorithm = alg;
      cfg.signed_headers = headers;
      Client c(cfg);
      const std::string id(
          c.CreateQuote(json::parse(itest::CassetteQuoteBody())).at("id").as_string());
      EXPECT_NO_THROW(c.OptOut(id));
    }
  }
}

TEST_F(Live, DurableOptOutIsDelivered) {
  Client c(Cfg());
  const std::string id(c.CreateQuote(json::parse(itest::CassetteQuoteBody())).at("id").as_string());
  c.OptOut(id, Delivery::Durable);
  EXPECT_TRUE(c.WaitForOutbox(10s));
  EXPECT_EQ(c.GetQuote(id).at("status").as_string(), "OPTED_OUT");
  EXPECT_EQ(c.outbox().Counts().delivered, 1);
}

}  // namespace
}  // namespace offerledger::client
