// EmailSender with a scripted Mailer, on every Store backend: accepted
// emails are delivered once; failures are retried after a doubling backoff
// and dead once the retries are spent; recorded ones are never sent. And
// the SMTP message SmtpMailer builds.
#include "service/email_sender.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "service/smtp_mailer.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

// A day ahead of the clock: the sender times its outcomes by the later of
// the clock and the `now` it is given, so the test's times are the ones used.
const Micros kT0 = NowMicros() + 24 * 3600 * kMicrosPerSecond;

// Answers each send with the next scripted error ("" accepts), "" when none is left.
class ScriptedMailer : public Mailer {
 public:
  std::string Send(const Email& email) override {
    std::lock_guard lock(mu);
    sent.push_back(email);
    if (script.empty()) return "";
    std::string e = script.front();
    script.pop_front();
    return e;
  }
  std::mutex mu;
  std::deque<std::string> script;
  std::vector<Email> sent;
};

class EmailSenderTest : public BackendTest {
 protected:
  void Put(const std::string& id, EmailStatus status = EmailStatus::kPending) {
    Email e;
    e.id = id;
    e.partner = "AAA";
    e.booking_id = "BGNJF-49BDW-INS";
    e.event = "BOOKING_CREATED";
    e.recipient = "jason@example.test";
    e.subject = "s " + id;
    e.body = "b";
    e.created_at = kT0;
    e.next_attempt_at = kT0;
    e.status = status;
    Status s = store_->Write([&](WriteTxn& tx) { return tx.EnqueueEmail(e); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Email Get(const std::string& id) {
    auto all = store_->ListEmails({});
    EXPECT_TRUE(all.ok());
    for (const Email& e : *all) {
      if (e.id == id) return e;
    }
    ADD_FAILURE() << "no email " << id;
    return {};
  }
};

TEST_P(EmailSenderTest, DeliversRetriesWithBackoffThenDies) {
  Put("ok");
  Put("flaky");
  Put("never");
  Put("kept", EmailStatus::kRecorded);
  ScriptedMailer mailer;
  // Oldest first, in insertion order: ok accepted, flaky and never fail.
  mailer.script = {"", "SMTP: 451", "SMTP: 550"};
  EmailSenderOptions o;
  o.retries = 1;
  o.backoff = 10 * kMicrosPerSecond;
  EmailSender sender(*store_, mailer, o);

  auto n = sender.RunOnce(kT0);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 3) << "the recorded one is not sent";
  EXPECT_EQ(Get("ok").status, EmailStatus::kDelivered);
  const Email flaky = Get("flaky");
  EXPECT_EQ(flaky.status, EmailStatus::kPending);
  EXPECT_EQ(flaky.attempts, 1);
  EXPECT_EQ(flaky.last_error, "SMTP: 451");
  EXPECT_GE(flaky.next_attempt_at, kT0 + 10 * kMicrosPerSecond);

  n = sender.RunOnce(kT0 + 5 * kMicrosPerSecond);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0) << "not due before the backoff";
  mailer.script = {"", "SMTP: 550 again"};  // flaky now accepted, never fails again
  n = sender.RunOnce(kT0 + 3600 * kMicrosPerSecond);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(Get("flaky").status, EmailStatus::kDelivered);
  const Email never = Get("never");
  EXPECT_EQ(never.status, EmailStatus::kDead) << "one retry allowed";
  EXPECT_EQ(never.attempts, 2);
  EXPECT_EQ(Get("kept").status, EmailStatus::kRecorded);
  EXPECT_EQ(mailer.sent.size(), 5u);
  n = sender.RunOnce(kT0 + 100 * 3600 * kMicrosPerSecond);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0) << "delivered and dead ones are not sent again";
}

TEST(EmailSenderBackoff, DoublesUpToTheMaximum) {
  EmailSenderOptions o;
  o.backoff = 10;
  o.max_backoff = 50;
  EXPECT_EQ(EmailSender::BackoffAfter(1, o), 10);
  EXPECT_EQ(EmailSender::BackoffAfter(2, o), 20);
  EXPECT_EQ(EmailSender::BackoffAfter(3, o), 40);
  EXPECT_EQ(EmailSender::BackoffAfter(4, o), 50);
  EXPECT_EQ(EmailSender::BackoffAfter(40, o), 50);
}

TEST(SmtpMessage, HeadersAndCrlfBody) {
  Email e;
  e.id = "0b8e0d8e-3f0c-4f7e-9a55-0a3c7f8f61d2";
  e.recipient = "jason@example.test";
  e.subject = "Your booking BGNJF-49BDW-INS";
  e.event = "BOOKING_CREATED";
  e.booking_id = "BGNJF-49BDW-INS";
  e.body =
      "Dear Jason,\n\n.total: \xC2\xA3"
      "2.01";
  const std::string m = BuildSmtpMessage(e, "offers@insurer.test", "Fri, 27 Nov 2026 01:02:03 GMT");
  EXPECT_NE(m.find("Date: Fri, 27 Nov 2026 01:02:03 GMT\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("From: offers@insurer.test\r\nTo: jason@example.test\r\n"), std::string::npos);
  EXPECT_NE(m.find("Subject: Your booking BGNJF-49BDW-INS\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <0b8e0d8e-3f0c-4f7e-9a55-0a3c7f8f61d2@offerledger>\r\n"),
            std::string::npos);
  EXPECT_NE(m.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  const std::string body = m.substr(m.find("\r\n\r\n") + 4);
  EXPECT_EQ(body,
            "Dear Jason,\r\n\r\n.total: \xC2\xA3"
            "2.01\r\n");

  e.subject = "R\xC3\xA9servation\r\nBcc: evil@example.test";
  const std::string encoded = BuildSmtpMessage(e, "offers@insurer.test", "d");
  EXPECT_EQ(encoded.find("\r\nBcc:"), std::string::npos) << "no header injection";
  EXPECT_NE(encoded.find("Subject: =?UTF-8?B?"), std::string::npos) << encoded;
}

TEST(SmtpOptions, RefusesWhatCannotWork) {
  SmtpOptions o;
  o.url = "smtp://127.0.0.1:2525";
  o.from = "offers@insurer.test";
  EXPECT_TRUE(CheckSmtpOptions(o).ok());
  o.url = "smtps://mail.example:465";
  EXPECT_TRUE(CheckSmtpOptions(o).ok());
  o.url = "http://mail.example";
  EXPECT_EQ(CheckSmtpOptions(o).code(), StatusCode::kInvalid);
  o.url = "smtp://user:secret@mail.example";
  const Status creds = CheckSmtpOptions(o);
  EXPECT_EQ(creds.code(), StatusCode::kInvalid);
  EXPECT_EQ(creds.message().find("secret"), std::string::npos) << creds.message();
  o.url = "smtp://mail.example";
  o.from = "Offers <offers@insurer.test>";
  EXPECT_EQ(CheckSmtpOptions(o).code(), StatusCode::kInvalid);
}

OL_BACKENDS(EmailSenderTest);

}  // namespace
}  // namespace offerledger
