#include "service/smtp_mailer.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include "auth/http_date.h"
#include "common/time.h"

namespace offerledger {

namespace {

// An address fit for an envelope and a header: no spaces, no line breaks,
// no angle brackets, one "@" with something on both sides.
bool PlainAddress(const std::string& a) {
  if (a.empty() || a.size() > 320) return false;
  if (a.find_first_of(" \t\r\n<>,;\"") != std::string::npos) return false;
  const std::size_t at = a.find('@');
  return at != std::string::npos && at > 0 && at + 1 < a.size() &&
         a.find('@', at + 1) == std::string::npos;
}

std::string Base64(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
    out += kChars[(n >> 6) & 63];
    out += kChars[n & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    const unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
    out += kChars[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string HeaderText(const std::string& text) {
  std::string one_line = text;
  std::replace(one_line.begin(), one_line.end(), '\r', ' ');
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  const bool ascii = std::all_of(one_line.begin(), one_line.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return one_line;
  return "=?UTF-8?B?" + Base64(one_line) + "?=";
}

// The body with every line ending CRLF, as SMTP requires.
std::string CrlfLines(const std::string& body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 2);
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t ReadChunk(char* buffer, std::size_t size, std::size_t nitems, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  const std::size_t room = size * nitems;
  const std::size_t n = std::min(room, up->data->size() - up->offset);
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Status CheckSmtpOptions(const SmtpOptions& o) {
  const bool scheme = o.url.rfind("smtp://", 0) == 0 || o.url.rfind("smtps://", 0) == 0;
  if (!scheme || o.url.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::Invalid("--smtp-url wants smtp://HOST:PORT or smtps://HOST:PORT");
  }
  const std::size_t host = o.url.find("://") + 3;
  const std::size_t end = o.url.find('/', host);
  if (o.url.substr(host, end == std::string::npos ? std::string::npos : end - host).find('@') !=
      std::string::npos) {
    return Status::Invalid(
        "--smtp-url must not hold a user or password: use --smtp-user and --smtp-password-file");
  }
  if (!PlainAddress(o.from)) {
    return Status::Invalid("--smtp-from wants the sender's address, like offers@insurer.example");
  }
  return Status::Ok();
}

std::string BuildSmtpMessage(const Email& email, const std::string& from, const std::string& date) {
  std::string m;
  m += "Date: " + date + "\r\n";
  m += "From: " + from + "\r\n";
  m += "To: " + email.recipient + "\r\n";
  m += "Subject: " + HeaderText(email.subject) + "\r\n";
  m += "Message-ID: <" + email.id + "@offerledger>\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "X-Offerledger-Event: " + HeaderText(email.event) + "\r\n";
  m += "X-Offerledger-Booking: " + HeaderText(email.booking_id) + "\r\n";
  m += "\r\n";
  m += CrlfLines(email.body);
  return m;
}

SmtpMailer::SmtpMailer(SmtpOptions options) : options_(std::move(options)) { GlobalInit(); }

std::string SmtpMailer::Send(const Email& email) {
  if (!PlainAddress(email.recipient)) return "the recipient is not a plain email address";
  const std::string message = BuildSmtpMessage(email, options_.from, FormatHttpDate(NowMicros()));
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return "libcurl could not start a transfer";
  const std::string mail_from = "<" + options_.from + ">";
  const std::string rcpt = "<" + email.recipient + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpts(
      curl_slist_append(nullptr, rcpt.c_str()), &curl_slist_free_all);
  Upload upload{&message, 0};
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadChunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // smtp://: STARTTLS when the server offers it; smtps:// is TLS anyway.
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  if (!options_.user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return "";
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  std::string why = error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc);
  if (code != 0) why += " (SMTP " + std::to_string(code) + ")";
  return "SMTP: " + why;
}

}  // namespace offerledger
