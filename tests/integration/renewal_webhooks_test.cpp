// RENEWAL_DUE and RENEWAL_EXPIRED against the real binary (docs/webhooks.md):
// the server's renewal sweep queues them, the sender delivers them to a
// listener that checks each signature with its own HMAC
// (webhook_listener.h), and neither is sent again by later sweeps nor after
// a restart.
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "integration/webhook_listener.h"

namespace itest {
namespace {

namespace json = boost::json;

// A gadget_protection quote (renewable, 30-day periods) whose cover starts
// at `start`.
std::string GadgetQuote(const std::string& start) {
  return R"({"request": [{"policy_type": "gadget_protection", "policy_type_version": 1,
    "device_value": 599, "device_type": "phone", "cover_start_date": ")" +
         start + R"("}], "currency": "GBP", "customer_country": "GB",
    "customer_language": "en"})";
}

json::object BodyOf(const ReceivedWebhook& w) {
  boost::system::error_code ec;
  json::value v = json::parse(w.body, ec);
  EXPECT_FALSE(ec) << w.body;
  return v.is_object() ? v.as_object() : json::object{};
}

TEST(RenewalWebhooks, DueAndExpiredArriveSignedOnceEvenAcrossARestart) {
  Env env;
  WebhookListener listener("renewal-hook-key", "renewal hook secret");
  ASSERT_NE(listener.Start(), 0);
  const Credentials a = env.AddPartner("RNWL");
  const CommandResult set =
      RunOfferledger({"partner", "set-webhook", "RNWL", "--url", listener.url(), "--key",
                      "renewal-hook-key", "--secret", "renewal hook secret", "--events",
                      "RENEWAL_DUE,RENEWAL_EXPIRED", "--db", env.db_url()});
  ASSERT_EQ(set.exit_code, 0) << set.err;

  // A sweep every 0.2 s; every period ending within ten years is due.
  const std::vector<std::string> args = {"--renewal-sweep-interval", "0.2",
                                         "--renewal-notice-days",    "3650",
                                         "--webhook-backoff",        "0.2"};
  auto server = env.StartServer(args);
  ASSERT_NE(server, nullptr);
  const Client c(server->port(), a);
  // Cover from 2030: falls due now. Cover from 2020: its period ended long ago.
  const std::string due_id =
      Str(c.Book(c.CreateQuote(GadgetQuote("2030-01-01T00:00:00Z"))), {"id"});
  const std::string ended_id =
      Str(c.Book(c.CreateQuote(GadgetQuote("2020-01-01T00:00:00Z"))), {"id"});
  ASSERT_FALSE(due_id.empty());
  ASSERT_FALSE(ended_id.empty());
  ASSERT_TRUE(listener.WaitFor(2)) << server->stderr_text();

  const auto got = listener.received();
  ASSERT_EQ(got.size(), 2u);
  std::map<std::string, json::object> by_event;
  for (const ReceivedWebhook& w : got) {
    EXPECT_TRUE(w.signature_ok) << w.Header("authorization") << " / " << w.Header("date");
    EXPECT_EQ(w.Header("x-api-key"), "renewal-hook-key");
    const json::object body = BodyOf(w);
    EXPECT_EQ(w.Header("x-webhook-event"), Str(body, {"event"}));
    by_event[Str(body, {"event"})] = body;
  }
  ASSERT_EQ(by_event.count("RENEWAL_DUE"), 1u);
  ASSERT_EQ(by_event.count("RENEWAL_EXPIRED"), 1u);
  // The payload is the booking as GET renders it.
  const json::object& due = by_event["RENEWAL_DUE"];
  EXPECT_EQ(Str(due, {"payload", "id"}), due_id);
  EXPECT_EQ(due.at("payload"), c.Get("bookings/" + due_id).Json());
  const json::value& due_quote = due.at("payload").at("quotes").at(0);
  EXPECT_EQ(Str(due_quote, {"next_renewal"}), Str(due_quote, {"policy_end_date"}));
  const json::object& expired = by_event["RENEWAL_EXPIRED"];
  EXPECT_EQ(Str(expired, {"payload", "id"}), ended_id);
  EXPECT_EQ(expired.at("payload"), c.Get("bookings/" + ended_id).Json());
  EXPECT_TRUE(expired.at("payload").at("quotes").at(0).at("next_renewal").is_null());
  EXPECT_EQ(Str(expired, {"payload", "status"}), "CONFIRMED");

  // An expired booking can no longer be renewed.
  const HttpReply renew =
      c.Send("PATCH", c.Path("renewals/" + ended_id + "/quote_for_renewal/"), std::nullopt);
  EXPECT_EQ(renew.status, 422) << renew.Describe();
  EXPECT_EQ(Str(renew.Json(), {"errors", "renewal"}), "EXPIRED") << renew.Describe();

  // Later sweeps, and a restarted server's, send nothing again.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ASSERT_TRUE(server->Terminate().has_value());
  server = env.StartServer(args);
  ASSERT_NE(server, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(listener.received().size(), 2u) << server->stderr_text();
  const CommandResult list = RunOfferledger({"webhooks", "list", "--json", "--db", env.db_url()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(json::parse(list.out).as_array().size(), 2u) << list.out;
}

TEST(RenewalWebhooks, ASweepIntervalOfZeroSweepsNothing) {
  Env env;
  WebhookListener listener("k", "s");
  ASSERT_NE(listener.Start(), 0);
  const Credentials a = env.AddPartner("RNWZ");
  ASSERT_EQ(RunOfferledger({"partner", "set-webhook", "RNWZ", "--url", listener.url(), "--key", "k",
                            "--secret", "s", "--events", "RENEWAL_DUE,RENEWAL_EXPIRED", "--db",
                            env.db_url()})
                .exit_code,
            0);
  auto server = env.StartServer({"--renewal-sweep-interval", "0", "--renewal-notice-days", "3650"});
  ASSERT_NE(server, nullptr);
  const Client c(server->port(), a);
  ASSERT_FALSE(Str(c.Book(c.CreateQuote(GadgetQuote("2030-01-01T00:00:00Z"))), {"id"}).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_TRUE(listener.received().empty());
}

TEST(RenewalWebhooks, HelpNamesTheOptions) {
  const CommandResult help = RunOfferledger({"serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--renewal-sweep-interval"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--renewal-notice-days"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace itest
