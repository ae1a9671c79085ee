// `offerledger partner ...`: partners and their API keys.
#include <iostream>
#include <memory>
#include <string>

#include "api/json_writer.h"
#include "app/commands.h"
#include "service/partner_admin.h"
#include "store/store.h"

namespace offerledger {

namespace {

struct PartnerOptions {
  std::string db = kDefaultDb;
  std::string code;
  std::string name;
  std::string api_key;
  bool json = false;
};

[[noreturn]] void Fail(const std::string& what, const Status& s) {
  std::cerr << "offerledger partner " << what << ": " << s.message() << "\n";
  throw CLI::RuntimeError(s.code() == StatusCode::kInvalid ? 2 : 1);
}

std::unique_ptr<Store> Open(const std::string& what, const std::string& db) {
  auto store = OpenStore(db);
  if (!store.ok()) Fail(what, store.status());
  return std::move(*store);
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

void AddDb(CLI::App* cmd, PartnerOptions& o) {
  cmd->add_option("--db", o.db, "Database URL: sqlite:PATH")->capture_default_str();
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
  AddDb(add, *o);
  add->callback([o] {
    auto store = Open("add", o->db);
    auto creds = PartnerAdmin(*store).AddPartner(o->code, o->name);
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
        w.EndObject();
        continue;
      }
      std::cout << p.code << "  " << p.name << "  (created " << FormatIsoMicros(p.created_at)
                << ")\n";
      for (const auto& k : *keys) {
        std::cout << "    " << k.key << "  "
                  << (k.revoked_at ? "revoked " + FormatIsoMicros(*k.revoked_at) : "active")
                  << "\n";
      }
    }
    w.EndArray();
    if (o->json) std::cout << w.str() << std::endl;
    if (!o->json && partners->empty()) std::cout << "no partners yet: offerledger partner add CODE\n";
  });

  CLI::App* add_key = partner->add_subcommand(
      "add-key", "Create another API key for a partner (rotate keys without downtime)");
  add_key->add_option("CODE", o->code, "Partner code")->required();
  add_key->add_flag("--json", o->json, "Print JSON");
  AddDb(add_key, *o);
  add_key->callback([o] {
    auto store = Open("add-key", o->db);
    auto creds = PartnerAdmin(*store).AddKey(o->code);
    if (!creds.ok()) Fail("add-key", creds.status());
    PrintCredentials(*creds, o->json);
  });

  CLI::App* revoke = partner->add_subcommand(
      "revoke-key", "Revoke an API key: requests signed with it are refused from now on");
  revoke->add_option("API_KEY", o->api_key, "The key to revoke")->required();
  AddDb(revoke, *o);
  revoke->callback([o] {
    auto store = Open("revoke-key", o->db);
    if (Status s = PartnerAdmin(*store).RevokeKey(o->api_key); !s.ok()) Fail("revoke-key", s);
    std::cout << "revoked " << o->api_key << std::endl;
  });
}

}  // namespace offerledger
