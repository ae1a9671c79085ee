// `offerledger partner ...`: partners and their API keys.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/audit_command.h"
#include "app/command_errors.h"
#include "app/commands.h"
#include "app/webhook_command.h"
#include "auth/master_key.h"
#include "domain/json_writer.h"
#include "service/partner_admin.h"
#include "service/secret_sealing.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct PartnerOptions {
  std::string db = kDefaultDb;
  std::string code;
  std::string name;
  std::string api_key;
  bool json = false;
  std::string quote_rps;  // "" not given; else a number or "unlimited"
  std::string other_rps;
  std::string master_key_file;         // "" not given: $OFFERLEDGER_MASTER_KEY, else none
  std::string require_request_target;  // "on" or "off"
};

// `what` is the subcommand of `partner` ("add", "list", ...).
[[noreturn]] void Fail(const std::string& what, const Status& s) {
  FailCommand("partner " + what, s);
}

std::unique_ptr<Store> Open(const std::string& what, const std::string& db) {
  return OpenStoreOrFail("partner " + what, db);
}

void PrintCredentials(const NewCredentials& c, bool json) {
  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("partner").String(c.partner);
    w.Key("api_key").String(c.api_key);
    w.Key("api_secret").String(c.api_secret);
    w.EndObject();
    std::cout << w.str() << std::endl;
    return;
  }
  std::cout << "partner:    " << c.partner << "\n"
            << "api key:    " << c.api_key << "\n"
            << "api secret: " << c.api_secret << "\n"
            << "The secret is shown only now: store it safely." << std::endl;
}

void AddDb(CLI::App* cmd, PartnerOptions& o) { AddDbOption(cmd, o.db); }

// The master key, if one is configured; a bad one ends the command.
std::optional<SecretBox> MasterKey(const std::string& what, const PartnerOptions& o) {
  auto box = LoadMasterKey(o.master_key_file);
  if (!box.ok()) Fail(what, box.status());
  return std::move(*box);
}

// Before a new secret is stored: the store's secrets and the configured
// master key must agree (no plain secret added to an encrypted store, no
// secret sealed with another key than the others').
void CheckSecrets(const std::string& what, Store& store, const std::optional<SecretBox>& box) {
  auto census = CheckStoredSecrets(store, box ? &*box : nullptr, /*seal_plain=*/false);
  if (!census.ok()) Fail(what, census.status());
}

void AddLimits(CLI::App* cmd, PartnerOptions& o) {
  cmd->add_option("--quote-rps", o.quote_rps,
                  "Create-quote and create-booking (incl. instant booking) requests per second: "
                  "N, 0 for the server's --default-quote-rps, or 'unlimited'");
  cmd->add_option("--other-rps", o.other_rps,
                  "Every other partner request per second: N, 0 for the server's "
                  "--default-other-rps, or 'unlimited'");
}

// The limit given for one class; nullopt when the option was not given.
std::optional<std::int64_t> ParseLimit(const std::string& what, const std::string& flag,
                                       const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto v = PartnerAdmin::ParseRps(text);
  if (!v.ok()) Fail(what, Status::Invalid(flag + ": " + v.status().message()));
  return *v;
}

std::string DescribeLimit(std::int64_t rps) {
  if (rps < 0) return "unlimited";
  if (rps == 0) return "server default";
  return std::to_string(rps) + "/s";
}

}  // namespace

void RegisterPartnerCommand(CLI::App& app) {
  auto o = std::make_shared<PartnerOptions>();
  CLI::App* partner = app.add_subcommand("partner", "Manage partners and their API keys");
  partner->require_subcommand(1);

  CLI::App* add = partner->add_subcommand(
      "add", "Create a partner and its first API key (creates the database if needed)");
  add->add_option("CODE", o->code, "Partner code, e.g. LLODT")->required();
  add->add_option("--name", o->name, "Display name (default: the code)");
  add->add_flag("--json", o->json, "Print {\"partner\", \"api_key\", \"api_secret\"} as JSON");
  AddLimits(add, *o);
  AddDb(add, *o);
  AddMasterKeyOption(add, o->master_key_file);
  add->callback([o] {
    const auto quote = ParseLimit("add", "--quote-rps", o->quote_rps);
    const auto other = ParseLimit("add", "--other-rps", o->other_rps);
    const auto box = MasterKey("add", *o);
    auto store = Open("add", o->db);
    CheckSecrets("add", *store, box);
    auto creds = PartnerAdmin(*store, box ? &*box : nullptr, AdminActor("cli"))
                     .AddPartner(o->code, o->name, quote.value_or(0), other.value_or(0));
    if (!creds.ok()) Fail("add", creds.status());
    PrintCredentials(*creds, o->json);
  });

  CLI::App* list = partner->add_subcommand("list", "List partners and their keys (no secrets)");
  list->add_flag("--json", o->json, "Print JSON");
  AddDb(list, *o);
  list->callback([o] {
    auto store = Open("list", o->db);
    auto partners = PartnerAdmin(*store).List();
    if (!partners.ok()) Fail("list", partners.status());
    JsonWriter w;
    w.BeginArray();
    for (const auto& p : *partners) {
      auto keys = store->ListKeys(p.code);
      if (!keys.ok()) Fail("list", keys.status());
      if (o->json) {
        w.BeginObject();
        w.Key("partner").String(p.code);
        w.Key("name").String(p.name);
        w.Key("created_at").String(FormatIsoMicros(p.created_at));
        w.Key("quote_rps").Int(p.quote_rps);
        w.Key("other_rps").Int(p.other_rps);
        w.Key("require_request_target").Bool(p.require_request_target);
        w.Key("keys").BeginArray();
        for (const auto& k : *keys) {
          w.BeginObject();
          w.Key("api_key").String(k.key);
          w.Key("created_at").String(FormatIsoMicros(k.created_at));
          w.Key("revoked_at");
          if (k.revoked_at) {
            w.String(FormatIsoMicros(*k.revoked_at));
          } else {
            w.Null();
          }
          w.EndObject();
        }
        w.EndArray();
        if (Status s = WriteWebhookJson(*store, p.code, w); !s.ok()) Fail("list", s);
        w.EndObject();
        continue;
      }
      std::cout << p.code << "  " << p.name << "  (created " << FormatIsoMicros(p.created_at)
                << "; limits: quote " << DescribeLimit(p.quote_rps) << ", other "
                << DescribeLimit(p.other_rps) << "; signatures: "
                << (p.require_request_target ? "(request-target) required" : "date suffices")
                << ")\n";
      for (const auto& k : *keys) {
        std::cout << "    " << k.key << "  "
                  << (k.revoked_at ? "revoked " + FormatIsoMicros(*k.revoked_at) : "active")
                  << "\n";
      }
      if (Status s = PrintWebhookLine(*store, p.code, std::cout); !s.ok()) Fail("list", s);
    }
    w.EndArray();
    if (o->json) std::cout << w.str() << std::endl;
    if (!o->json && partners->empty())
      std::cout << "no partners yet: offerledger partner add CODE\n";
  });

  CLI::App* set_limits = partner->add_subcommand(
      "set-limits",
      "Change a partner's rate limits; running servers apply them within their "
      "--rate-limit-refresh-ms");
  set_limits->add_option("CODE", o->code, "Partner code")->required();
  AddLimits(set_limits, *o);
  AddDb(set_limits, *o);
  set_limits->callback([o] {
    const auto quote = ParseLimit("set-limits", "--quote-rps", o->quote_rps);
    const auto other = ParseLimit("set-limits", "--other-rps", o->other_rps);
    if (!quote && !other) {
      Fail("set-limits", Status::Invalid("give --quote-rps, --other-rps or both"));
    }
    auto store = Open("set-limits", o->db);
    PartnerAdmin admin(*store, nullptr, AdminActor("cli"));
    if (Status s = admin.SetLimits(o->code, quote, other); !s.ok()) Fail("set-limits", s);
    auto p = store->GetPartner(o->code);
    if (!p.ok() || !p->has_value()) {
      Fail("set-limits", p.ok() ? Status::NotFound(o->code) : p.status());
    }
    std::cout << o->code << ": quote " << DescribeLimit((*p)->quote_rps) << ", other "
              << DescribeLimit((*p)->other_rps) << std::endl;
  });

  CLI::App* add_key = partner->add_subcommand(
      "add-key", "Create another API key for a partner (rotate keys without downtime)");
  add_key->add_option("CODE", o->code, "Partner code")->required();
  add_key->add_flag("--json", o->json, "Print JSON");
  AddDb(add_key, *o);
  AddMasterKeyOption(add_key, o->master_key_file);
  add_key->callback([o] {
    const auto box = MasterKey("add-key", *o);
    auto store = Open("add-key", o->db);
    CheckSecrets("add-key", *store, box);
    auto creds = PartnerAdmin(*store, box ? &*box : nullptr, AdminActor("cli")).AddKey(o->code);
    if (!creds.ok()) Fail("add-key", creds.status());
    PrintCredentials(*creds, o->json);
  });

  CLI::App* revoke = partner->add_subcommand(
      "revoke-key", "Revoke an API key: requests signed with it are refused from now on");
  revoke->add_option("API_KEY", o->api_key, "The key to revoke")->required();
  AddDb(revoke, *o);
  revoke->callback([o] {
    auto store = Open("revoke-key", o->db);
    if (Status s = PartnerAdmin(*store, nullptr, AdminActor("cli")).RevokeKey(o->api_key);
        !s.ok()) {
      Fail("revoke-key", s);
    }
    std::cout << "revoked " << o->api_key << std::endl;
  });

  CLI::App* set_auth = partner->add_subcommand(
      "set-auth",
      "Change how a partner's requests must be signed (docs/api.md \"Replay\"); running servers "
      "apply it to the next request");
  set_auth->add_option("CODE", o->code, "Partner code")->required();
  set_auth
      ->add_option("--require-request-target", o->require_request_target,
                   "on: refuse (401) signatures whose headers list lacks \"(request-target)\", "
                   "so a captured signature cannot be replayed on another path or method within "
                   "the Date window; off (the default for new partners): a date-only signature, "
                   "as XCover clients send, is enough")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  AddDb(set_auth, *o);
  set_auth->callback([o] {
    const bool on = o->require_request_target == "on";
    auto store = Open("set-auth", o->db);
    if (Status s = PartnerAdmin(*store, nullptr, AdminActor("cli")).SetAuth(o->code, on); !s.ok()) {
      Fail("set-auth", s);
    }
    std::cout << o->code << ": "
              << (on ? "signatures must include (request-target)" : "date-only signatures accepted")
              << std::endl;
  });

  AddPartnerWebhookCommands(partner);

  CLI::App* seal = partner->add_subcommand(
      "seal-secrets",
      "Encrypt the API secrets still stored in plain text with the master key (serve does the "
      "same at start when it has a master key); checks that the encrypted ones open with it");
  AddDb(seal, *o);
  AddMasterKeyOption(seal, o->master_key_file);
  seal->callback([o] {
    const auto box = MasterKey("seal-secrets", *o);
    if (!box) {
      Fail("seal-secrets", Status::Invalid(std::string("no master key: give --master-key-file "
                                                       "PATH or set $") +
                                           kMasterKeyEnv));
    }
    auto store = Open("seal-secrets", o->db);
    auto census = CheckStoredSecrets(*store, &*box, /*seal_plain=*/true, AdminActor("cli"));
    if (!census.ok()) Fail("seal-secrets", census.status());
    std::cout << "sealed " << census->newly_sealed << " plain-text API secret"
              << (census->newly_sealed == 1 ? "" : "s") << "; " << census->sealed
              << " encrypted in all" << std::endl;
  });
}

}  // namespace offerledger
