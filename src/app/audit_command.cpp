#include "app/audit_command.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "domain/json_writer.h"
#include "store/store.h"

namespace offerledger {

std::string AdminActor(std::string_view via) {
  std::string user;
  const uid_t uid = geteuid();
  if (const passwd* pw = getpwuid(uid); pw != nullptr && pw->pw_name != nullptr) {
    user = pw->pw_name;
  } else if (const char* env = std::getenv("USER"); env != nullptr && *env != '\0') {
    user = env;
  } else {
    user = "uid " + std::to_string(uid);
  }
  return user + " via " + std::string(via);
}

namespace {

struct AuditOptions {
  std::string db = kDefaultDb;
  std::string partner;
  std::string action;
  std::int64_t limit = 100;
  bool json = false;
};

[[noreturn]] void Fail(const Status& s) {
  std::cerr << "offerledger audit list: " << s.message() << "\n";
  throw CLI::RuntimeError(s.code() == StatusCode::kInvalid ? 2 : 1);
}

}  // namespace

void RegisterAuditCommand(CLI::App& app) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* audit = app.add_subcommand(
      "audit",
      "The audit log of admin actions (partner and key changes), written with each change");
  audit->require_subcommand(1);

  CLI::App* list = audit->add_subcommand(
      "list",
      "List admin actions, newest first: when, who (OS user and command), what, on which "
      "partner and public key id, and details (never a secret)");
  list->add_option("--partner", o->partner, "Only actions on this partner");
  list->add_option("--action", o->action,
                   "Only this action: partner.add, key.add, key.revoke, partner.set_limits, "
                   "partner.set_auth, partner.set_webhook, partner.remove_webhook, "
                   "partner.seal_secrets");
  list->add_option("--limit", o->limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  list->add_flag("--json", o->json, "Print a JSON array");
  AddDbOption(list, o->db);
  list->callback([o] {
    auto store = OpenStore(o->db);
    if (!store.ok()) Fail(store.status());
    AuditFilter filter;
    if (!o->partner.empty()) filter.partner = o->partner;
    if (!o->action.empty()) filter.action = o->action;
    filter.limit = o->limit;
    auto entries = (*store)->ListAudit(filter);
    if (!entries.ok()) Fail(entries.status());
    if (o->json) {
      JsonWriter w;
      w.BeginArray();
      for (const AuditEntry& e : *entries) {
        w.BeginObject();
        w.Key("seq").Int(e.seq);
        w.Key("at").String(FormatIsoMicros(e.at));
        w.Key("actor").String(e.actor);
        w.Key("action").String(e.action);
        w.Key("partner").String(e.partner);
        w.Key("api_key").String(e.key);
        w.Key("detail").Raw(e.detail.empty() ? "{}" : e.detail);
        w.EndObject();
      }
      w.EndArray();
      std::cout << w.str() << std::endl;
      return;
    }
    for (const AuditEntry& e : *entries) {
      std::cout << FormatIsoMicros(e.at) << "  " << e.actor << "  " << e.action << "  "
                << (e.partner.empty() ? "-" : e.partner) << "  " << (e.key.empty() ? "-" : e.key)
                << "  " << e.detail << "\n";
    }
    if (entries->empty()) std::cout << "no admin actions recorded\n";
  });
}

}  // namespace offerledger
