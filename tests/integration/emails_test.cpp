// Booking emails against the real binary (docs/emails.md): POST
// bookings/{id}/send_email answers 202 once the email is in the outbox with
// its email_requested ledger event; an event that does not fit the booking,
// a quote that is not booked and unknown events are 422s in XCover's shape
// and record nothing; another partner's booking is a 404. Without
// --smtp-url the email is recorded, not sent; with it, a tiny SMTP server
// (smtp_listener.h) receives it rendered from the catalog's template, also
// when it was down at first (retried, then delivered). A SIGKILL loses no
// email: what was pending is delivered, once each, by the restarted server,
// and a recorded one is still there.
#include <map>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"
#include "integration/smtp_listener.h"

namespace itest {
namespace {

namespace json = boost::json;

class Emails : public ::testing::Test {
 protected:
  // `emails list --json [ARGS]`.
  json::array List(const std::vector<std::string>& args = {}) {
    std::vector<std::string> cmd = {"emails", "list", "--json", "--db", env_.db_url()};
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

  // Waits until `emails list --status STATUS` shows `n` or more (true), a minute at most.
  bool WaitForStatus(const std::string& status, std::size_t n) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < limit) {
      if (List({"--status", status}).size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string RequestedEvents() {
    const auto rows = env_.Query("SELECT count(*) FROM events WHERE kind = 'email_requested'");
    return rows.empty() || rows[0].empty() ? "?" : rows[0][0];
  }

  Env env_;
};

TEST_F(Emails, WithoutSmtpTheEmailIsRecordedWithItsLedgerEvent) {
  const Credentials a = env_.AddPartner("EMA");
  auto server = env_.StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  const std::string id = Str(c.InstantBooking(), {"id"});

  const HttpReply sent = c.Post("bookings/" + id + "/send_email", "{}");
  EXPECT_EQ(sent.status, 202) << sent.Describe();
  EXPECT_TRUE(sent.body.empty()) << sent.body;
  const json::array listed = List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(Str(listed[0], {"status"}), "recorded");
  EXPECT_EQ(Str(listed[0], {"partner"}), "EMA");
  EXPECT_EQ(Str(listed[0], {"booking_id"}), id);
  EXPECT_EQ(Str(listed[0], {"event"}), "BOOKING_CREATED") << "the default event";
  EXPECT_EQ(Str(listed[0], {"recipient"}), "melanie.martinez@test-xcover.com");
  // The default catalog's ticket-cover confirmation, rendered.
  EXPECT_EQ(Str(listed[0], {"subject"}), "Your tickets are protected: booking " + id);
  const std::string body = Str(listed[0], {"body"});
  EXPECT_EQ(body.find("Dear Melanie,\n"), 0u) << body;
  EXPECT_NE(body.find("Booking: " + id), std::string::npos) << body;
  EXPECT_NE(body.find("Missed Event Cover (Generic) (MECG0001)"), std::string::npos) << body;
  EXPECT_EQ(body.find("{{"), std::string::npos) << body;
  EXPECT_EQ(RequestedEvents(), "1");

  // The text listing shows it too; recorded ones are never sent, even later.
  const CommandResult text = RunOfferledger({"emails", "list", "--db", env_.db_url()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("recorded"), std::string::npos) << text.out;

  // `emails retry` queues a recorded email (a server with --smtp-url would
  // send it); a pending one is not retried again.
  const std::string email_id = Str(listed[0], {"id"});
  const CommandResult retry = RunOfferledger({"emails", "retry", email_id, "--db", env_.db_url()});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_EQ(List({"--status", "pending"}).size(), 1u);
  const CommandResult again = RunOfferledger({"emails", "retry", email_id, "--db", env_.db_url()});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  const CommandResult neither = RunOfferledger({"emails", "retry", "--db", env_.db_url()});
  EXPECT_EQ(neither.exit_code, 2) << "neither an ID nor --all-dead";
  server->Terminate();
}

TEST_F(Emails, RefusalsAre422sInXCoversShapeAndRecordNothing) {
  const Credentials a = env_.AddPartner("EMB");
  const Credentials b = env_.AddPartner("EMC");
  auto server = env_.StartServer();
  ASSERT_NE(server, nullptr);
  Client ca(server->port(), a), cb(server->port(), b);
  const std::string booked = Str(ca.InstantBooking(), {"id"});
  const std::string quoted = Str(ca.CreateQuote(), {"id"});

  const HttpReply wrong =
      ca.Post("bookings/" + booked + "/send_email", R"({"event": "BOOKING_CANCELLED"})");
  EXPECT_EQ(wrong.status, 422) << wrong.Describe();
  EXPECT_EQ(
      wrong.body,
      R"({"type":"validation_error","message":"An API error occurred.","errors":["BOOKING_CANCELLED email can be only triggered for CANCELLED bookings."]})");

  const HttpReply unknown =
      ca.Post("bookings/" + booked + "/send_email", R"({"event": "POLICY_EXPIRED"})");
  EXPECT_EQ(unknown.status, 422) << unknown.Describe();
  EXPECT_NE(unknown.body.find("BOOKING_CREATED, BOOKING_UPDATED, BOOKING_CANCELLED"),
            std::string::npos)
      << unknown.body;
  const HttpReply not_string = ca.Post("bookings/" + booked + "/send_email", R"({"event": 7})");
  EXPECT_EQ(not_string.status, 422) << not_string.Describe();
  const HttpReply extra = ca.Post("bookings/" + booked + "/send_email", R"({"to": "x@y.z"})");
  EXPECT_EQ(extra.status, 422) << extra.Describe();
  const HttpReply array = ca.Post("bookings/" + booked + "/send_email", "[]");
  EXPECT_EQ(array.status, 400) << array.Describe();

  const HttpReply not_booked = ca.Post("bookings/" + quoted + "/send_email", "{}");
  EXPECT_EQ(not_booked.status, 422) << not_booked.Describe();
  EXPECT_NE(not_booked.body.find("is RECEIVED"), std::string::npos) << not_booked.body;

  const HttpReply cross = cb.Post("bookings/" + booked + "/send_email", "{}");
  EXPECT_EQ(cross.status, 404) << "another partner's booking: " << cross.Describe();
  const HttpReply missing = ca.Post("bookings/AAAAA-BBBBB-INS/send_email", "{}");
  EXPECT_EQ(missing.status, 404) << missing.Describe();
  EXPECT_TRUE(List().empty()) << "a refusal records no email";
  EXPECT_EQ(RequestedEvents(), "0");

  // A cancelled booking takes BOOKING_CANCELLED, and the idempotency key
  // replays the answer without a second email.
  ASSERT_EQ(ca.Post("bookings/" + booked + "/cancel", "{}").status, 200);
  SignOptions once;
  once.idempotency_key = "email-once-1";
  const std::string target = ca.Path("bookings/" + booked + "/send_email");
  const std::string body = R"({"event": "BOOKING_CANCELLED"})";
  const HttpReply first = ca.Send("POST", target, body, once);
  EXPECT_EQ(first.status, 202) << first.Describe();
  const HttpReply replay = ca.Send("POST", target, body, once);
  EXPECT_EQ(replay.status, 202) << replay.Describe();
  EXPECT_EQ(replay.Header("Idempotent-Replayed").value_or(""), "true");
  const json::array listed = List({"--partner", "EMB"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(Str(listed[0], {"event"}), "BOOKING_CANCELLED");
  EXPECT_NE(Str(listed[0], {"subject"}).find("is cancelled"), std::string::npos);
  EXPECT_TRUE(List({"--partner", "EMC"}).empty());
  EXPECT_EQ(RequestedEvents(), "1");
  server->Terminate();
}

TEST_F(Emails, DeliveredToTheSmtpServerRenderedFromTheCatalog) {
  SmtpListener smtp;
  ASSERT_NE(smtp.Start(), 0);
  const Credentials a = env_.AddPartner("EMD");
  auto server = env_.StartServer(
      {"--smtp-url", smtp.url(), "--smtp-from", "offers@insurer.test", "--email-backoff", "0.2"});
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  const std::string id = Str(c.InstantBooking(), {"id"});
  const HttpReply sent =
      c.Post("bookings/" + id + "/send_email", R"({"event": "BOOKING_UPDATED"})");
  ASSERT_EQ(sent.status, 202) << sent.Describe();
  ASSERT_TRUE(smtp.WaitFor(1)) << server->stderr_text();
  ASSERT_TRUE(WaitForStatus("delivered", 1)) << server->stderr_text();

  const auto got = smtp.received();
  ASSERT_EQ(got.size(), 1u);
  const ReceivedMail& m = got[0];
  EXPECT_EQ(m.mail_from, "offers@insurer.test");
  ASSERT_EQ(m.rcpt_to.size(), 1u);
  EXPECT_EQ(m.rcpt_to[0], "melanie.martinez@test-xcover.com");
  EXPECT_EQ(m.Header("to"), "melanie.martinez@test-xcover.com");
  EXPECT_EQ(m.Header("from"), "offers@insurer.test");
  // The default catalog's catalog-wide BOOKING_UPDATED template.
  EXPECT_EQ(m.Header("subject"), "Your booking " + id + " was updated");
  EXPECT_EQ(m.Header("content-type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(m.body.find("Dear Melanie Martinez,\r\n\r\nYour booking " + id +
                        " (Missed Event Cover (Generic)) was changed at your request."),
            0u)
      << m.body;
  EXPECT_NE(m.body.find("Total: \xC2\xA3"), std::string::npos) << "the price in pounds: " << m.body;
  const json::array delivered = List({"--status", "delivered"});
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(Num(delivered[0], {"attempts"}), 1);
  EXPECT_EQ(m.Header("message-id"), "<" + Str(delivered[0], {"id"}) + "@offerledger>");
  server->Terminate();
}

TEST_F(Emails, SmtpServerDownRetriesThenDeliversWhenItIsUp) {
  SmtpListener smtp;
  const std::uint16_t port = smtp.Start();
  ASSERT_NE(port, 0);
  smtp.Stop();  // down: connections are refused
  const Credentials a = env_.AddPartner("EME");
  auto server =
      env_.StartServer({"--smtp-url", smtp.url(), "--smtp-from", "offers@insurer.test",
                        "--email-retries", "100", "--email-backoff", "0.2", "--smtp-timeout", "2"});
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  const std::string id = Str(c.InstantBooking(), {"id"});
  ASSERT_EQ(c.Post("bookings/" + id + "/send_email", std::nullopt).status, 202);

  // Failed attempts: still pending, the error recorded.
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  json::array pending;
  while (std::chrono::steady_clock::now() < limit) {
    pending = List({"--status", "pending"});
    if (pending.size() == 1 && Num(pending[0], {"attempts"}) >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(pending.size(), 1u) << server->stderr_text();
  EXPECT_GE(Num(pending[0], {"attempts"}), 2) << server->stderr_text();
  EXPECT_NE(Str(pending[0], {"last_error"}).find("SMTP"), std::string::npos)
      << Str(pending[0], {"last_error"});
  EXPECT_NE(server->stderr_text().find("attempt 1 failed"), std::string::npos);
  EXPECT_EQ(server->stderr_text().find("melanie.martinez"), std::string::npos)
      << "the recipient is not logged";

  ASSERT_EQ(smtp.Start(port), port);
  ASSERT_TRUE(smtp.WaitFor(1)) << server->stderr_text();
  ASSERT_TRUE(WaitForStatus("delivered", 1)) << server->stderr_text();
  const auto got = smtp.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].rcpt_to.at(0), "melanie.martinez@test-xcover.com");
  EXPECT_EQ(got[0].Header("subject"), "Your tickets are protected: booking " + id);
  server->Terminate();
}

TEST_F(Emails, ServeRefusesUnusableSmtpSettingsWithoutShowingThePassword) {
  const auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> cmd = {"serve", "--listen", "127.0.0.1:0", "--db", env_.db_url()};
    cmd.insert(cmd.end(), args.begin(), args.end());
    return RunOfferledger(cmd);
  };
  const CommandResult http = run({"--smtp-url", "http://127.0.0.1:25", "--smtp-from", "a@b.c"});
  EXPECT_EQ(http.exit_code, 2) << http.err;
  EXPECT_NE(http.err.find("--smtp-url"), std::string::npos) << http.err;
  const CommandResult creds =
      run({"--smtp-url", "smtp://user:hunter2@127.0.0.1:25", "--smtp-from", "a@b.c"});
  EXPECT_EQ(creds.exit_code, 2) << creds.err;
  EXPECT_EQ(creds.err.find("hunter2"), std::string::npos) << creds.err;
  const CommandResult no_from = run({"--smtp-url", "smtp://127.0.0.1:25"});
  EXPECT_EQ(no_from.exit_code, 2) << no_from.err;
  EXPECT_NE(no_from.err.find("--smtp-from"), std::string::npos) << no_from.err;
  const CommandResult orphan = run({"--smtp-from", "a@b.c"});
  EXPECT_EQ(orphan.exit_code, 2) << orphan.err;
}

// The email is committed with the request (docs/emails.md, "At least once"):
// a server SIGKILLed while the SMTP server is down leaves its emails pending,
// and the server restarted on the same database delivers each of them. No
// SMTP server accepted any before the kill, so each arrives exactly once.
TEST_F(Emails, EmailsSurviveAKillWhileTheSmtpServerIsDown) {
  SmtpListener smtp;
  const std::uint16_t port = smtp.Start();
  ASSERT_NE(port, 0);
  smtp.Stop();  // down: connections are refused
  const Credentials a = env_.AddPartner("EMK");
  // A short send timeout keeps the lease a killed sender may hold short
  // (8 x (timeout + 1 s)): the restarted server waits for it to run out.
  const std::vector<std::string> smtp_args = {
      "--smtp-url", smtp.url(),        "--smtp-from", "offers@insurer.test", "--email-retries",
      "100",        "--email-backoff", "0.2",         "--smtp-timeout",      "0.5"};
  auto server = env_.StartServer(smtp_args);
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  std::set<std::string> booked;
  for (int i = 0; i < 5; ++i) {
    const std::string id = Str(c.InstantBooking(), {"id"});
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(c.Post("bookings/" + id + "/send_email", "{}").status, 202);
    booked.insert(id);
  }
  ASSERT_EQ(booked.size(), 5u);

  // Every 202 came after its commit: five emails, all pending, none
  // delivered. Wait until the sender has failed at each (the kill then hits
  // emails with an attempt and a backoff recorded).
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  json::array before;
  while (std::chrono::steady_clock::now() < limit) {
    before = List();
    bool all_tried = before.size() == 5;
    for (const auto& e : before) all_tried = all_tried && Num(e, {"attempts"}) >= 1;
    if (all_tried) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(before.size(), 5u) << server->stderr_text();
  std::map<std::string, std::string> booking_of;  // email id -> booking
  for (const auto& e : before) {
    EXPECT_EQ(Str(e, {"status"}), "pending");
    EXPECT_GE(Num(e, {"attempts"}), 1) << server->stderr_text();
    booking_of[Str(e, {"id"})] = Str(e, {"booking_id"});
  }
  ASSERT_EQ(booking_of.size(), 5u) << "five emails, each with its own id";
  std::set<std::string> listed_bookings;
  for (const auto& [email, booking] : booking_of) listed_bookings.insert(booking);
  EXPECT_EQ(listed_bookings, booked) << "one email per booking";
  EXPECT_TRUE(List({"--status", "delivered"}).empty());
  EXPECT_EQ(RequestedEvents(), "5");

  server->Kill();
  EXPECT_FALSE(server->running());
  EXPECT_EQ(List({"--status", "pending"}).size(), 5u) << "the kill loses none";

  ASSERT_EQ(smtp.Start(port), port);
  auto restarted = env_.StartServer(smtp_args);
  ASSERT_NE(restarted, nullptr);
  ASSERT_TRUE(smtp.WaitFor(5)) << restarted->stderr_text();
  ASSERT_TRUE(WaitForStatus("delivered", 5)) << restarted->stderr_text();
  // Stop the sender, then the listener (it finishes the connection it
  // serves): nothing more can arrive, so the count below is final.
  restarted->Terminate();
  smtp.Stop();

  const json::array delivered = List({"--status", "delivered"});
  EXPECT_EQ(delivered.size(), 5u);
  for (const auto& e : delivered) EXPECT_GE(Num(e, {"attempts"}), 2) << "the failed ones count";
  EXPECT_TRUE(List({"--status", "pending"}).empty());
  EXPECT_TRUE(List({"--status", "dead"}).empty());

  const auto got = smtp.received();
  EXPECT_EQ(got.size(), 5u) << "each email exactly once";
  std::map<std::string, int> times;  // email id -> messages received
  for (const ReceivedMail& m : got) {
    ASSERT_EQ(m.rcpt_to.size(), 1u);
    EXPECT_EQ(m.rcpt_to[0], "melanie.martinez@test-xcover.com");
    const std::string message_id = m.Header("message-id");
    ASSERT_GT(message_id.size(), std::string("<@offerledger>").size()) << message_id;
    const std::string email = message_id.substr(1, message_id.find('@') - 1);
    ++times[email];
    ASSERT_EQ(booking_of.count(email), 1u) << "an email of the killed server: " << message_id;
    const std::string& booking = booking_of[email];
    EXPECT_EQ(m.Header("x-offerledger-booking"), booking);
    EXPECT_EQ(m.Header("subject"), "Your tickets are protected: booking " + booking);
  }
  EXPECT_EQ(times.size(), 5u) << "none lost";
  for (const auto& [email, n] : times) EXPECT_EQ(n, 1) << "email " << email << " duplicated";
}

// SIGKILL right after the 202, without --smtp-url: the restarted server's
// database still has the email, recorded, with its ledger event.
TEST_F(Emails, ARecordedEmailSurvivesAKillRightAfterThe202) {
  const Credentials a = env_.AddPartner("EML");
  auto server = env_.StartServer();
  ASSERT_NE(server, nullptr);
  Client c(server->port(), a);
  const std::string id = Str(c.InstantBooking(), {"id"});
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(c.Post("bookings/" + id + "/send_email", R"({"event": "BOOKING_UPDATED"})").status,
            202);
  server->Kill();

  auto restarted = env_.StartServer();
  ASSERT_NE(restarted, nullptr);
  const json::array listed = List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(Str(listed[0], {"status"}), "recorded");
  EXPECT_EQ(Str(listed[0], {"booking_id"}), id);
  EXPECT_EQ(Str(listed[0], {"event"}), "BOOKING_UPDATED");
  EXPECT_EQ(Str(listed[0], {"recipient"}), "melanie.martinez@test-xcover.com");
  EXPECT_EQ(Str(listed[0], {"subject"}), "Your booking " + id + " was updated");
  EXPECT_EQ(RequestedEvents(), "1");
  restarted->Terminate();
}

}  // namespace
}  // namespace itest
