// `offerledger emails list|retry` (docs/emails.md).
#include "app/email_command.h"

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/commands.h"
#include "common/time.h"
#include "domain/json_writer.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct EmailOptions {
  std::string db = kDefaultDb;
  std::string partner;
  std::string status;
  std::int64_t limit = 50;
  bool json = false;
  std::string id;
  bool all_dead = false;
};

[[noreturn]] void Fail(const std::string& what, const Status& s) {
  std::cerr << "offerledger " << what << ": " << s.message() << "\n";
  throw CLI::RuntimeError(s.code() == StatusCode::kInvalid ? 2 : 1);
}

std::unique_ptr<Store> Open(const std::string& what, const std::string& db) {
  auto store = OpenStore(db);
  if (!store.ok()) Fail(what, store.status());
  return std::move(*store);
}

void PrintEmail(const Email& e, JsonWriter* json) {
  if (json != nullptr) {
    json->BeginObject();
    json->Key("id").String(e.id);
    json->Key("partner").String(e.partner);
    json->Key("booking_id").String(e.booking_id);
    json->Key("event").String(e.event);
    json->Key("status").String(EmailStatusName(e.status));
    json->Key("recipient").String(e.recipient);
    json->Key("subject").String(e.subject);
    json->Key("body").String(e.body);
    json->Key("attempts").Int(e.attempts);
    json->Key("created_at").String(FormatIsoMicros(e.created_at));
    json->Key("next_attempt_at");
    if (e.status == EmailStatus::kPending) {
      json->String(FormatIsoMicros(e.next_attempt_at));
    } else {
      json->Null();
    }
    json->Key("delivered_at");
    if (e.delivered_at) {
      json->String(FormatIsoMicros(*e.delivered_at));
    } else {
      json->Null();
    }
    json->Key("last_error").String(e.last_error);
    json->EndObject();
    return;
  }
  std::cout << e.id << "  " << e.partner << "  " << e.booking_id << "  " << e.event << "  "
            << EmailStatusName(e.status) << "  to " << e.recipient << "  \"" << e.subject
            << "\"  attempts " << e.attempts << "  created " << FormatIsoMicros(e.created_at);
  if (e.status == EmailStatus::kPending)
    std::cout << "  next " << FormatIsoMicros(e.next_attempt_at);
  if (e.delivered_at) std::cout << "  delivered " << FormatIsoMicros(*e.delivered_at);
  if (!e.last_error.empty()) std::cout << "  last error: " << e.last_error;
  std::cout << "\n";
}

}  // namespace

void RegisterEmailsCommand(CLI::App& app) {
  auto o = std::make_shared<EmailOptions>();
  CLI::App* emails = app.add_subcommand(
      "emails",
      "The booking emails partners asked for (send_email): list the outbox, retry dead ones");
  emails->require_subcommand(1);

  CLI::App* list = emails->add_subcommand(
      "list", "List emails, newest first: recipient and subject (--json adds the body)");
  list->add_option("--partner", o->partner, "Only this partner's");
  list->add_option("--status", o->status,
                   "Only recorded (no SMTP server was configured), pending (not sent yet), "
                   "delivered or dead (retries spent) ones")
      ->check(CLI::IsMember({"recorded", "pending", "delivered", "dead"}));
  list->add_option("--limit", o->limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  list->add_flag("--json", o->json, "Print a JSON array, bodies included");
  AddDbOption(list, o->db);
  list->callback([o] {
    auto store = Open("emails list", o->db);
    EmailFilter filter;
    if (!o->partner.empty()) filter.partner = o->partner;
    if (!o->status.empty()) filter.status = ParseEmailStatus(o->status);
    filter.limit = o->limit;
    auto emails = store->ListEmails(filter);
    if (!emails.ok()) Fail("emails list", emails.status());
    JsonWriter w;
    w.BeginArray();
    for (const auto& e : *emails) PrintEmail(e, o->json ? &w : nullptr);
    w.EndArray();
    if (o->json) {
      std::cout << w.str() << std::endl;
    } else if (emails->empty()) {
      std::cout << "no emails\n";
    }
  });

  CLI::App* retry = emails->add_subcommand(
      "retry",
      "Make a dead (or recorded) email pending again, with its attempts anew: a server "
      "running with --smtp-url sends it at once");
  retry->add_option("ID", o->id, "The email (its id, as `emails list` shows it)");
  retry->add_flag("--all-dead", o->all_dead, "Every dead email (of --partner if given)");
  retry->add_option("--partner", o->partner, "Only this partner's");
  AddDbOption(retry, o->db);
  retry->callback([o] {
    const std::string what = "emails retry";
    if (o->id.empty() == !o->all_dead) {
      Fail(what, Status::Invalid("give either an email ID or --all-dead"));
    }
    auto store = Open(what, o->db);
    std::optional<std::string> partner;
    if (!o->partner.empty()) partner = o->partner;
    auto n = store->RetryEmails(o->id, partner, NowMicros());
    if (!n.ok()) Fail(what, n.status());
    std::cout << "retrying " << *n << " email" << (*n == 1 ? "" : "s") << std::endl;
  });
}

}  // namespace offerledger
