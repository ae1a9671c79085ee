// `offerledger partner set-webhook|remove-webhook` and `offerledger
// webhooks list|retry` (docs/webhooks.md).
#include "app/webhook_command.h"

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "app/audit_command.h"
#include "app/command_errors.h"
#include "app/commands.h"
#include "app/outbox_command.h"
#include "auth/master_key.h"
#include "service/webhook_events.h"
#include "service/webhook_secret.h"

namespace offerledger {

namespace {

struct WebhookOptions {
  std::string db = kDefaultDb;
  std::string master_key_file;
  std::string code;
  std::string url;
  std::string key;
  std::string secret;
  std::string secret_file;  // set-webhook --secret-file PATH, "-" = stdin
  std::string events;
};

constexpr OutboxNames kWebhookNames{"webhook", "a webhook", "webhooks"};

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// The listener's secret from `path` ("-": standard input), surrounding
// whitespace removed. Like --master-key-file, a file group or others may
// read or write is refused: the secret would not be the partner's alone.
Result<std::string> ReadSecretFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::Invalid("--secret-file: cannot read " + path);
    }
    if (!S_ISREG(st.st_mode)) return Status::Invalid("--secret-file: " + path + " is not a file");
    if ((st.st_mode & 077) != 0) {
      return Status::Invalid("--secret-file: " + path +
                             " may be read or written by group or others; make it private: "
                             "chmod 600 " +
                             path);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::Invalid("--secret-file: cannot read " + path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return Status::Invalid(
        "--secret-file: " + (path == "-" ? std::string("standard input") : path) +
        " holds no secret");
  }
  const std::size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

Status CheckUrl(const std::string& url) {
  const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  if (!http || url.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::Invalid("--url wants the listener's absolute http:// or https:// URL, got '" +
                           url + "'");
  }
  return Status::Ok();
}

void PrintWebhook(const Webhook& w, JsonWriter* json) {
  const OutboxDelivery delivery = DeliveryOf(w, w.status == WebhookStatus::kPending);
  if (json != nullptr) {
    json->BeginObject();
    json->Key("id").String(w.id);
    json->Key("partner").String(w.partner);
    json->Key("event").String(w.event);
    json->Key("status").String(WebhookStatusName(w.status));
    WriteOutboxDelivery(delivery, *json);
    json->EndObject();
    return;
  }
  std::cout << w.id << "  " << w.partner << "  " << w.event << "  " << WebhookStatusName(w.status);
  PrintOutboxDelivery(delivery, std::cout);
  std::cout << "\n";
}

}  // namespace

Status WriteWebhookJson(Store& store, const std::string& partner, JsonWriter& w) {
  auto config = store.GetWebhookConfig(partner);
  if (!config.ok()) return config.status();
  w.Key("webhook");
  if (!config->has_value()) {
    w.Null();
    return Status::Ok();
  }
  w.BeginObject();
  w.Key("url").String((*config)->url);
  w.Key("key").String((*config)->key);
  w.Key("events").BeginArray();
  for (const auto& e : (*config)->events) w.String(e);
  w.EndArray();
  w.EndObject();
  return Status::Ok();
}

Status PrintWebhookLine(Store& store, const std::string& partner, std::ostream& out) {
  auto config = store.GetWebhookConfig(partner);
  if (!config.ok()) return config.status();
  if (config->has_value()) {
    out << "    webhook " << (*config)->url << "  key " << (*config)->key << "  events "
        << Joined((*config)->events) << "\n";
  }
  return Status::Ok();
}

void AddPartnerWebhookCommands(CLI::App* partner) {
  auto o = std::make_shared<WebhookOptions>();
  std::string events_help;
  for (std::string_view e : WebhookEventNames()) {
    events_help += (events_help.empty() ? "" : ", ") + std::string(e);
  }

  CLI::App* set = partner->add_subcommand(
      "set-webhook",
      "Send a partner's webhooks to its listener (replaces the one it had): each event it "
      "subscribes to is POSTed there, signed as XCover signs webhooks (docs/webhooks.md)");
  set->add_option("CODE", o->code, "Partner code")->required();
  set->add_option("--url", o->url, "The listener's URL, http:// or https://")->required();
  set->add_option("--key", o->key,
                  "The key the partner gave for its listener: sent as keyId and X-Api-Key")
      ->required();
  CLI::Option* secret =
      set->add_option("--secret", o->secret,
                      "The listener's HMAC secret (stored encrypted with the master key when one "
                      "is configured; never shown again). Visible to `ps` while the command "
                      "runs: prefer --secret-file");
  CLI::Option* secret_file =
      set->add_option("--secret-file", o->secret_file,
                      "Read the listener's secret from this file instead (surrounding whitespace "
                      "removed; refused when group or others may read it: chmod 600), or from "
                      "standard input with '-'");
  secret->excludes(secret_file);
  secret_file->excludes(secret);
  set->add_option("--events", o->events, "Comma-separated events to send: " + events_help)
      ->required();
  AddDbOption(set, o->db);
  AddMasterKeyOption(set, o->master_key_file);
  set->callback([o] {
    const std::string what = "partner set-webhook";
    if (Status s = CheckUrl(o->url); !s.ok()) FailCommand(what, s);
    if (o->key.empty()) FailCommand(what, Status::Invalid("--key is empty"));
    if (!o->secret_file.empty()) {
      auto read = ReadSecretFile(o->secret_file);
      if (!read.ok()) FailCommand(what, read.status());
      o->secret = std::move(*read);
    } else if (o->secret.empty()) {
      FailCommand(what, Status::Invalid("give the listener's secret: --secret-file PATH (or - for "
                                        "standard input), or --secret"));
    }
    auto events = ParseWebhookEvents(o->events);
    if (!events.ok()) FailCommand(what, Status::Invalid("--events: " + events.status().message()));
    auto box = LoadMasterKey(o->master_key_file);
    if (!box.ok()) FailCommand(what, box.status());
    auto stored = SealWebhookSecret(box->has_value() ? &**box : nullptr, o->code, o->secret);
    if (!stored.ok()) FailCommand(what, stored.status());
    auto store = OpenStoreOrFail(what, o->db);
    WebhookConfig config{o->code, o->url, o->key, *stored, *events, NowMicros()};
    // The audit detail names the listener, never its secret.
    JsonWriter detail;
    detail.BeginObject();
    detail.Key("url").String(o->url);
    detail.Key("key").String(o->key);
    detail.Key("events").String(Joined(*events));
    detail.EndObject();
    const AuditEntry audit{0,  config.updated_at, AdminActor("cli"), "partner.set_webhook", o->code,
                           "", detail.str()};
    if (Status s = store->SetWebhookConfig(config, &audit); !s.ok()) FailCommand(what, s);
    std::cout << o->code << ": webhooks to " << o->url << " (key " << o->key << ") for "
              << Joined(*events) << (box->has_value() ? "; secret stored encrypted" : "")
              << std::endl;
  });

  CLI::App* remove = partner->add_subcommand(
      "remove-webhook",
      "Stop sending a partner's webhooks: none is queued from now on; queued ones die at "
      "their next attempt (set a webhook again and `webhooks retry` them to send them)");
  remove->add_option("CODE", o->code, "Partner code")->required();
  AddDbOption(remove, o->db);
  remove->callback([o] {
    auto store = OpenStoreOrFail("partner remove-webhook", o->db);
    const AuditEntry audit{0,  NowMicros(), AdminActor("cli"), "partner.remove_webhook", o->code,
                           "", "{}"};
    auto removed = store->RemoveWebhookConfig(o->code, &audit);
    if (!removed.ok()) FailCommand("partner remove-webhook", removed.status());
    std::cout << o->code << (*removed ? ": webhook removed" : ": had no webhook") << std::endl;
  });
}

void RegisterWebhooksCommand(CLI::App& app) {
  CLI::App* webhooks = app.add_subcommand(
      "webhooks", "The webhooks sent to partners' listeners: list them, retry dead ones");
  webhooks->require_subcommand(1);

  auto o = std::make_shared<OutboxListOptions>();
  CLI::App* list = AddOutboxListCommand(
      webhooks,
      {"List webhooks, newest first (no bodies)",
       "Only pending (not delivered yet), delivered or dead (retries spent) ones",
       {"pending", "delivered", "dead"},
       "Print a JSON array"},
      *o);
  list->callback([o] {
    auto store = OpenStoreOrFail("webhooks list", o->db);
    WebhookFilter filter;
    if (!o->partner.empty()) filter.partner = o->partner;
    if (!o->status.empty()) filter.status = ParseWebhookStatus(o->status);
    filter.limit = o->limit;
    auto hooks = store->ListWebhooks(filter);
    if (!hooks.ok()) FailCommand("webhooks list", hooks.status());
    PrintOutboxList(*hooks, o->json, kWebhookNames, PrintWebhook);
  });

  AddOutboxRetryCommand(webhooks, kWebhookNames,
                        "Make dead webhooks pending again, with their attempts anew: a running "
                        "server sends them at once",
                        &Store::RetryWebhooks);
}

}  // namespace offerledger
