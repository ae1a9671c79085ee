// SmtpMailer: delivers outbox emails to the SMTP server of `serve
// --smtp-url` through libcurl (docs/emails.md): MAIL FROM the configured
// sender, RCPT TO the policyholder, DATA a plain-text UTF-8 message.
// smtp:// is plain (STARTTLS when the server offers it), smtps:// is TLS from
// the start; certificates are verified.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "service/email_sender.h"

namespace offerledger {

struct SmtpOptions {
  std::string url;   // smtp://host:port or smtps://host:port, no user or password in it
  std::string from;  // the envelope sender and the From header, "offers@insurer.example"
  std::string user;  // "" = no authentication
  std::string password;
  std::chrono::milliseconds timeout{30'000};  // one whole send: connect, dialogue, data
};

// Invalid, saying what is wrong, unless `o` can be used: an smtp:// or
// smtps:// URL without credentials or spaces, a plain address in `from`.
Status CheckSmtpOptions(const SmtpOptions& o);

// The message as sent (headers, blank line, body), with CRLF line ends.
// `date` is the Date header's value. Non-ASCII subjects are RFC 2047 encoded.
std::string BuildSmtpMessage(const Email& email, const std::string& from, const std::string& date);

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpOptions options);
  std::string Send(const Email& email) override;

 private:
  const SmtpOptions options_;
};

}  // namespace offerledger
