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
#include "app/commands.h"
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
  std::string partner;  // webhooks list/retry --partner
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
  if (json != nullptr) {
    json->BeginObject();
    json->Key("id").String(w.id);
    json->Key("partner").String(w.partner);
    json->Key("event").String(w.event);
    json->Key("status").String(WebhookStatusName(w.status));
    json->Key("attempts").Int(w.attempts);
    json->Key("created_at").String(FormatIsoMicros(w.created_at));
    json->Key("next_attempt_at");
    if (w.status == WebhookStatus::kPending) {
      json->String(FormatIsoMicros(w.next_attempt_at));
    } else {
      json->Null();
    }
    json->Key("delivered_at");
    if (w.delivered_at) {
      json->String(FormatIsoMicros(*w.delivered_at));
    } else {
      json->Null();
    }
    json->Key("last_error").String(w.last_error);
    json->EndObject();
    return;
  }
  std::cout << w.id << "  " << w.partner << "  " << w.event << "  " << WebhookStatusName(w.status)
            << "  attempts " << w.attempts << "  created " << FormatIsoMicros(w.created_at);
  if (w.status == WebhookStatus::kPending) {
    std::cout << "  next " << FormatIsoMicros(w.next_attempt_at);
  }
  if (w.delivered_at) std::cout << "  delivered " << FormatIsoMicros(*w.delivered_at);
  if (!w.last_error.empty()) std::cout << "  last error: " << w.last_error;
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
    if (Status s = CheckUrl(o->url); !s.ok()) Fail(what, s);
    if (o->key.empty()) Fail(what, Status::Invalid("--key is empty"));
    if (!o->secret_file.empty()) {
      auto read = ReadSecretFile(o->secret_file);
      if (!read.ok()) Fail(what, read.status());
      o->secret = std::move(*read);
    } else if (o->secret.empty()) {
      Fail(what, Status::Invalid("give the listener's secret: --secret-file PATH (or - for "
                                 "standard input), or --secret"));
    }
    auto events = ParseWebhookEvents(o->events);
    if (!events.ok()) Fail(what, Status::Invalid("--events: " + events.status().message()));
    auto box = LoadMasterKey(o->master_key_file);
    if (!box.ok()) Fail(what, box.status());
    auto stored = SealWebhookSecret(box->has_value() ? &**box : nullptr, o->code, o->secret);
    if (!stored.ok()) Fail(what, stored.status());
    auto store = Open(what, o->db);
    WebhookConfig config{o->code, o->url, o->key, *stored, *events, NowMicros()};
    // The audit detail names the listener, never its secret.
    JsonWriter detail;
    detail.BeginObject();
    detail.Key("url").String(o->url);
    detail.Key("key").String(o->key);
    detail.Key("events").String(Joined(*events));
    detail.EndObject();
    const AuditEntry audit{
        0, config.updated_at, AdminActor("cli"), "partner.set_webhook", o->code, "", detail.str()};
    if (Status s = store->SetWebhookConfig(config, &audit); !s.ok()) Fail(what, s);
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
    auto store = Open("partner remove-webhook", o->db);
    const AuditEntry audit{0,       NowMicros(), AdminActor("cli"), "partner.remove_webhook",
                           o->code, "",          "{}"};
    auto removed = store->RemoveWebhookConfig(o->code, &audit);
    if (!removed.ok()) Fail("partner remove-webhook", removed.status());
    std::cout << o->code << (*removed ? ": webhook removed" : ": had no webhook") << std::endl;
  });
}

void RegisterWebhooksCommand(CLI::App& app) {
  auto o = std::make_shared<WebhookOptions>();
  CLI::App* webhooks = app.add_subcommand(
      "webhooks", "The webhooks sent to partners' listeners: list them, retry dead ones");
  webhooks->require_subcommand(1);

  CLI::App* list = webhooks->add_subcommand("list", "List webhooks, newest first (no bodies)");
  list->add_option("--partner", o->partner, "Only this partner's");
  list->add_option("--status", o->status,
                   "Only pending (not delivered yet), delivered or dead (retries spent) ones")
      ->check(CLI::IsMember({"pending", "delivered", "dead"}));
  list->add_option("--limit", o->limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  list->add_flag("--json", o->json, "Print a JSON array");
  AddDbOption(list, o->db);
  list->callback([o] {
    auto store = Open("webhooks list", o->db);
    WebhookFilter filter;
    if (!o->partner.empty()) filter.partner = o->partner;
    if (!o->status.empty()) filter.status = ParseWebhookStatus(o->status);
    filter.limit = o->limit;
    auto hooks = store->ListWebhooks(filter);
    if (!hooks.ok()) Fail("webhooks list", hooks.status());
    JsonWriter w;
    w.BeginArray();
    for (const auto& h : *hooks) PrintWebhook(h, o->json ? &w : nullptr);
    w.EndArray();
    if (o->json) {
      std::cout << w.str() << std::endl;
    } else if (hooks->empty()) {
      std::cout << "no webhooks\n";
    }
  });

  CLI::App* retry = webhooks->add_subcommand(
      "retry",
      "Make dead webhooks pending again, with their attempts anew: a running server sends "
      "them at once");
  retry->add_option("ID", o->id, "The webhook (its id, as `webhooks list` shows it)");
  retry->add_flag("--all-dead", o->all_dead, "Every dead webhook (of --partner if given)");
  retry->add_option("--partner", o->partner, "Only this partner's");
  AddDbOption(retry, o->db);
  retry->callback([o] {
    const std::string what = "webhooks retry";
    if (o->id.empty() == !o->all_dead) {
      Fail(what, Status::Invalid("give either a webhook ID or --all-dead"));
    }
    auto store = Open(what, o->db);
    std::optional<std::string> partner;
    if (!o->partner.empty()) partner = o->partner;
    auto n = store->RetryWebhooks(o->id, partner, NowMicros());
    if (!n.ok()) Fail(what, n.status());
    std::cout << "retrying " << *n << " webhook" << (*n == 1 ? "" : "s") << std::endl;
  });
}

}  // namespace offerledger
