// Webhooks against the real binary (docs/webhooks.md): a test listener that
// verifies each signature with its own HMAC (webhook_listener.h) receives
// BOOKING_CREATED, BOOKING_UPDATED and BOOKING_CANCELLED with the booking as
// GET renders it;
// partners without a webhook or not subscribed get none, and never another
// partner's; a listener that is down makes the webhook retry and die, and
// `webhooks retry` sends it again once the listener is up; a server
// SIGKILLed with webhooks pending delivers them after its restart.
#include <csignal>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "integration/webhook_listener.h"

namespace itest {
namespace {

namespace json = boost::json;

class Webhooks : public ::testing::Test {
 protected:
  // `partner set-webhook` for `code` to `listener`.
  void SetWebhook(const std::string& code, const WebhookListener& listener, const std::string& key,
                  const std::string& secret, const std::string& events) {
    const CommandResult r =
        RunOfferledger({"partner", "set-webhook", code, "--url", listener.url(), "--key", key,
                        "--secret", secret, "--events", events, "--db", env_.db_url()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << "the secret is never printed";
  }

  // `webhooks list --json [ARGS]`.
  json::array List(const std::vector<std::string>& args = {}) {
    std::vector<std::string> cmd = {"webhooks", "list", "--json", "--db", env_.db_url()};
    cmd.insert(cmd.end(), args.begin(), args.end());
    const CommandResult r = RunOfferledger(cmd);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    if (ec || !v.is_array()) {
      ADD_FAILURE() << "not a JSON array: " << r.out;
      return {};
    }
    return v.as_array();
  }

  // Waits until `webhooks list --status STATUS` shows `n` (true) or gives up after a minute.
  bool WaitForStatus(const std::string& status, std::size_t n) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < limit) {
      if (List({"--status", status}).size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static json::object BodyOf(const ReceivedWebhook& w) {
    boost::system::error_code ec;
    json::value v = json::parse(w.body, ec);
    EXPECT_FALSE(ec) << w.body;
    return v.is_object() ? v.as_object() : json::object{};
  }

  Env env_;
};

TEST_F(Webhooks, CreatedAndCancelledArriveSignedWithTheBookingAndOnlyForTheirPartner) {
  WebhookListener a_listener("a-hook-key", "a hook secret");
  WebhookListener b_listener("b-hook-key", "b hook secret");
  ASSERT_NE(a_listener.Start(), 0);
  ASSERT_NE(b_listener.Start(), 0);
  const Credentials a = env_.AddPartner("WHA");
  const Credentials b = env_.AddPartner("WHB");
  const Credentials none = env_.AddPartner("WHC");
  SetWebhook("WHA", a_listener, "a-hook-key", "a hook secret", "BOOKING_CREATED,BOOKING_CANCELLED");
  SetWebhook("WHB", b_listener, "b-hook-key", "b hook secret", "BOOKING_CREATED");

  // `partner list` shows the webhook without its secret.
  const CommandResult listed = RunOfferledger({"partner", "list", "--json", "--db", env_.db_url()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(a_listener.url()), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("a hook secret"), std::string::npos);
  EXPECT_EQ(listed.out.find("b hook secret"), std::string::npos);

  auto server = env_.StartServer({"--webhook-backoff", "0.2"});
  ASSERT_NE(server, nullptr);
  Client ca(server->port(), a), cb(server->port(), b), cn(server->port(), none);

  const std::string a_id = Str(ca.InstantBooking(), {"id"});
  ASSERT_TRUE(a_listener.WaitFor(1)) << server->stderr_text();
  const HttpReply a_got = ca.Get("bookings/" + a_id);
  ASSERT_EQ(a_got.status, 200) << a_got.Describe();

  const std::string b_id = Str(cb.InstantBooking(), {"id"});
  const std::string n_id = Str(cn.InstantBooking(), {"id"});
  ASSERT_EQ(cb.Post("bookings/" + b_id + "/cancel", "{}").status, 200);
  ASSERT_EQ(cn.Post("bookings/" + n_id + "/cancel", "{}").status, 200);
  const HttpReply a_cancel = ca.Post("bookings/" + a_id + "/cancel", "{}");
  ASSERT_EQ(a_cancel.status, 200) << a_cancel.Describe();
  ASSERT_TRUE(a_listener.WaitFor(2)) << server->stderr_text();
  ASSERT_TRUE(b_listener.WaitFor(1)) << server->stderr_text();
  const HttpReply a_after = ca.Get("bookings/" + a_id);

  // Every webhook queued (the store's view) is delivered; none more.
  ASSERT_TRUE(WaitForStatus("delivered", 3));
  EXPECT_EQ(List().size(), 3u) << "WHC has no webhook, WHB no BOOKING_CANCELLED";
  EXPECT_TRUE(List({"--partner", "WHC"}).empty());
  EXPECT_EQ(List({"--partner", "WHB"}).size(), 1u);

  const auto got_a = a_listener.received();
  ASSERT_EQ(got_a.size(), 2u);
  const json::object created = BodyOf(got_a[0]);
  const json::object cancelled = BodyOf(got_a[1]);
  EXPECT_EQ(Str(created, {"event"}), "BOOKING_CREATED");
  EXPECT_EQ(created.at("payload"), a_got.Json()) << "the booking exactly as GET renders it";
  EXPECT_EQ(Str(cancelled, {"event"}), "BOOKING_CANCELLED");
  EXPECT_EQ(cancelled.at("payload"), a_after.Json());
  EXPECT_EQ(Str(cancelled, {"payload", "status"}), "CANCELLED");
  for (const auto& w : got_a) {
    EXPECT_TRUE(w.signature_ok) << w.Header("authorization") << " / " << w.Header("date");
    EXPECT_EQ(w.method, "POST");
    EXPECT_EQ(w.target, "/hooks");
    EXPECT_EQ(w.Header("content-type"), "application/json");
    EXPECT_FALSE(w.Header("x-webhook-id").empty());
    EXPECT_EQ(Str(BodyOf(w), {"payload", "id"}), a_id) << "only WHA's own bookings";
  }
  EXPECT_NE(got_a[0].Header("x-webhook-id"), got_a[1].Header("x-webhook-id"));

  const auto got_b = b_listener.received();
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_TRUE(got_b[0].signature_ok);
  EXPECT_EQ(Str(BodyOf(got_b[0]), {"event"}), "BOOKING_CREATED");
  EXPECT_EQ(Str(BodyOf(got_b[0]), {"payload", "id"}), b_id);
  server->Terminate();
}

// BOOKING_UPDATED: a policyholder change (PATCH bookings/{id}/) and a
// payment confirmation each send the booking as it is after the change; a
// refused change (422) sends nothing.
TEST_F(Webhooks, ModificationAndPaymentConfirmationSendBookingUpdated) {
  WebhookListener listener("u-hook-key", "u hook secret");
  ASSERT_NE(listener.Start(), 0);
  const Credentials u = env_.AddPartner("WHU");
  SetWebhook("WHU", listener, "u-hook-key", "u hook secret", "BOOKING_UPDATED");
  auto server = env_.StartServer({"--webhook-backoff", "0.2"});
  ASSERT_NE(server, nullptr);
  Client cu(server->port(), u);

  const std::string id = Str(cu.InstantBooking(), {"id"});  // BOOKING_CREATED: not subscribed
  const HttpReply refused = cu.Send("PATCH", cu.Path("bookings/" + id + "/"),
                                    R"({"policyholder": {"phone": "0506022279"}})");
  ASSERT_EQ(refused.status, 422) << refused.Describe();
  const HttpReply changed = cu.Send("PATCH", cu.Path("bookings/" + id + "/"),
                                    R"({"policyholder": {"phone": "+380506022279"}})");
  ASSERT_EQ(changed.status, 200) << changed.Describe();
  ASSERT_TRUE(listener.WaitFor(1)) << server->stderr_text();
  const HttpReply after_change = cu.Get("bookings/" + id);
  ASSERT_EQ(after_change.status, 200);

  // A booking that waits for its payment, then the payment confirmation.
  const json::object pkg = cu.CreateQuote();
  const std::string pending_id = Str(pkg, {"id"});
  json::value body = json::parse(BookingBodyFor(pkg));
  body.as_object()["require_payment_confirmation"] = true;
  ASSERT_EQ(cu.Post("bookings/" + pending_id, json::serialize(body)).status, 200);
  const HttpReply confirmed =
      cu.Send("PUT", cu.Path("bookings/" + pending_id + "/confirm"), std::string("{}"));
  ASSERT_EQ(confirmed.status, 201) << confirmed.Describe();
  ASSERT_TRUE(listener.WaitFor(2)) << server->stderr_text();
  const HttpReply after_confirm = cu.Get("bookings/" + pending_id);

  const auto got = listener.received();
  ASSERT_EQ(got.size(), 2u) << "only BOOKING_UPDATED, and nothing for the refused change";
  EXPECT_EQ(Str(BodyOf(got[0]), {"event"}), "BOOKING_UPDATED");
  EXPECT_EQ(BodyOf(got[0]).at("payload"), after_change.Json());
  EXPECT_EQ(Str(BodyOf(got[0]), {"payload", "policyholder", "phone"}), "+380506022279");
  EXPECT_EQ(Str(BodyOf(got[1]), {"event"}), "BOOKING_UPDATED");
  EXPECT_EQ(BodyOf(got[1]).at("payload"), after_confirm.Json());
  EXPECT_EQ(Str(BodyOf(got[1]), {"payload", "status"}), "CONFIRMED");
  for (const auto& w : got) EXPECT_TRUE(w.signature_ok);
  server->Terminate();
}

TEST_F(Webhooks, SetWebhookRefusesBadInputAndRemoveStopsNewOnes) {
  env_.AddPartner("WHE");
  auto set = [&](const std::string& url, const std::string& events) {
    return RunOfferledger({"partner", "set-webhook", "WHE", "--url", url, "--key", "k", "--secret",
                           "s3cret", "--events", events, "--db", env_.db_url()});
  };
  const CommandResult unknown = set("http://127.0.0.1:9/h", "BOOKING_CREATED,BOOKED");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("'BOOKED'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("RENEWAL_EXPIRED"), std::string::npos) << "lists the events";
  const CommandResult bad_url = set("ftp://example.com/h", "BOOKING_CREATED");
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.err.find("--url"), std::string::npos) << bad_url.err;
  const CommandResult no_partner =
      RunOfferledger({"partner", "set-webhook", "NOPE", "--url", "http://127.0.0.1:9/h", "--key",
                      "k", "--secret", "s", "--events", "BOOKING_CREATED", "--db", env_.db_url()});
  EXPECT_EQ(no_partner.exit_code, 1) << no_partner.err;

  ASSERT_EQ(set("http://127.0.0.1:9/h", "BOOKING_CREATED, RENEWAL_DUE").exit_code, 0);
  CommandResult listed = RunOfferledger({"partner", "list", "--db", env_.db_url()});
  EXPECT_NE(listed.out.find("BOOKING_CREATED,RENEWAL_DUE"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("s3cret"), std::string::npos);
  const CommandResult removed =
      RunOfferledger({"partner", "remove-webhook", "WHE", "--db", env_.db_url()});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  listed = RunOfferledger({"partner", "list", "--db", env_.db_url()});
  EXPECT_EQ(listed.out.find("http://127.0.0.1:9/h"), std::string::npos) << listed.out;
}

TEST_F(Webhooks, ListenerDownRetriesThenDiesAndRetryDeliversIt) {
  WebhookListener listener("hook-key", "hook secret");
  const std::uint16_t port = listener.Start();
  ASSERT_NE(port, 0);
  const Credentials a = env_.AddPartner("WHD");
  SetWebhook("WHD", listener, "hook-key", "hook secret", "BOOKING_CREATED");
  listener.Stop();  // down: connections are refused

  auto server = env_.StartServer({"--webhook-retries", "2", "--webhook-backoff", "0.1"});
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  const std::string id = Str(c.InstantBooking(), {"id"});
  ASSERT_TRUE(WaitForStatus("dead", 1)) << server->stderr_text();
  const json::array dead = List({"--status", "dead"});
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(Num(dead[0], {"attempts"}), 3) << "the first attempt and 2 retries";
  EXPECT_FALSE(Str(dead[0], {"last_error"}).empty());
  EXPECT_TRUE(listener.received().empty());
  const std::string webhook_id = Str(dead[0], {"id"});

  const CommandResult bad = RunOfferledger({"webhooks", "retry", "--db", env_.db_url()});
  EXPECT_EQ(bad.exit_code, 2) << "neither an ID nor --all-dead";
  ASSERT_EQ(listener.Start(port), port);
  const CommandResult retry =
      RunOfferledger({"webhooks", "retry", webhook_id, "--db", env_.db_url()});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  ASSERT_TRUE(listener.WaitFor(1)) << server->stderr_text();
  ASSERT_TRUE(WaitForStatus("delivered", 1));
  const auto got = listener.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].signature_ok);
  EXPECT_EQ(got[0].Header("x-webhook-id"), webhook_id) << "the same delivery id";
  EXPECT_EQ(Str(BodyOf(got[0]), {"payload", "id"}), id);
  const CommandResult again =
      RunOfferledger({"webhooks", "retry", webhook_id, "--db", env_.db_url()});
  EXPECT_EQ(again.exit_code, 2) << "a delivered webhook is not retried: " << again.err;
  server->Terminate();
}

TEST_F(Webhooks, ASigkilledServerDeliversItsPendingWebhooksAfterRestart) {
  WebhookListener listener("hook-key", "hook secret");
  const std::uint16_t port = listener.Start();
  ASSERT_NE(port, 0);
  const Credentials a = env_.AddPartner("WHK");
  SetWebhook("WHK", listener, "hook-key", "hook secret", "BOOKING_CREATED,BOOKING_CANCELLED");
  listener.Stop();

  auto server = env_.StartServer(
      {"--webhook-retries", "100", "--webhook-backoff", "0.2", "--webhook-timeout", "0.5"});
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  std::set<std::string> booked;
  for (int i = 0; i < 4; ++i) booked.insert(Str(c.InstantBooking(), {"id"}));
  const std::string cancelled = *booked.begin();
  ASSERT_EQ(c.Post("bookings/" + cancelled + "/cancel", "{}").status, 200);
  // Every answer above came after its commit, so each webhook is queued.
  EXPECT_EQ(List({"--status", "pending"}).size(), 5u);
  server->Kill();

  ASSERT_EQ(listener.Start(port), port);
  auto restarted = env_.StartServer({"--webhook-backoff", "0.2"});
  ASSERT_NE(restarted, nullptr);
  ASSERT_TRUE(WaitForStatus("delivered", 5)) << restarted->stderr_text();
  EXPECT_TRUE(List({"--status", "pending"}).empty());
  std::set<std::string> created_ids, delivery_ids;
  int cancellations = 0;
  for (const auto& w : listener.received()) {
    EXPECT_TRUE(w.signature_ok);
    delivery_ids.insert(w.Header("x-webhook-id"));
    const json::object body = BodyOf(w);
    if (Str(body, {"event"}) == "BOOKING_CREATED") created_ids.insert(Str(body, {"payload", "id"}));
    if (Str(body, {"event"}) == "BOOKING_CANCELLED") {
      ++cancellations;
      EXPECT_EQ(Str(body, {"payload", "id"}), cancelled);
    }
  }
  EXPECT_EQ(created_ids, booked) << "none lost";
  EXPECT_EQ(cancellations, 1);
  EXPECT_EQ(delivery_ids.size(), 5u) << "at least once, each under its own delivery id";
  restarted->Terminate();
}

}  // namespace
}  // namespace itest
