// `offerledger emails list|retry` (docs/emails.md).
#include "app/email_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "app/command_errors.h"
#include "app/commands.h"
#include "app/outbox_command.h"
#include "common/time.h"
#include "domain/json_writer.h"
#include "store/store.h"

namespace offerledger {

namespace {

constexpr OutboxNames kEmailNames{"email", "an email", "emails"};

void PrintEmail(const Email& e, JsonWriter* json) {
  const OutboxDelivery delivery = DeliveryOf(e, e.status == EmailStatus::kPending);
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
    WriteOutboxDelivery(delivery, *json);
    json->EndObject();
    return;
  }
  std::cout << e.id << "  " << e.partner << "  " << e.booking_id << "  " << e.event << "  "
            << EmailStatusName(e.status) << "  to " << e.recipient << "  \"" << e.subject << "\"";
  PrintOutboxDelivery(delivery, std::cout);
  std::cout << "\n";
}

}  // namespace

void RegisterEmailsCommand(CLI::App& app) {
  CLI::App* emails = app.add_subcommand(
      "emails",
      "The booking emails partners asked for (send_email): list the outbox, retry dead ones");
  emails->require_subcommand(1);

  auto o = std::make_shared<OutboxListOptions>();
  CLI::App* list = AddOutboxListCommand(
      emails,
      {"List emails, newest first: recipient and subject (--json adds the body)",
       "Only recorded (no SMTP server was configured), pending (not sent yet), delivered or dead "
       "(retries spent) ones",
       {"recorded", "pending", "delivered", "dead"},
       "Print a JSON array, bodies included"},
      *o);
  list->callback([o] {
    auto store = OpenStoreOrFail("emails list", o->db);
    EmailFilter filter;
    if (!o->partner.empty()) filter.partner = o->partner;
    if (!o->status.empty()) filter.status = ParseEmailStatus(o->status);
    filter.limit = o->limit;
    auto emails = store->ListEmails(filter);
    if (!emails.ok()) FailCommand("emails list", emails.status());
    PrintOutboxList(*emails, o->json, kEmailNames, PrintEmail);
  });

  AddOutboxRetryCommand(emails, kEmailNames,
                        "Make a dead (or recorded) email pending again, with its attempts anew: a "
                        "server running with --smtp-url sends it at once",
                        &Store::RetryEmails);
}

}  // namespace offerledger
