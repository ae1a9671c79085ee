#include "app/outbox_command.h"

#include <memory>

#include "app/command_errors.h"

namespace offerledger {

namespace {

struct OutboxRetryOptions {
  std::string db = kDefaultDb;
  std::string id;
  bool all_dead = false;
  std::string partner;
};

}  // namespace

CLI::App* AddOutboxListCommand(CLI::App* outbox, const OutboxListHelp& help, OutboxListOptions& o) {
  CLI::App* list = outbox->add_subcommand("list", help.command);
  list->add_option("--partner", o.partner, "Only this partner's");
  list->add_option("--status", o.status, help.status)->check(CLI::IsMember(help.statuses));
  list->add_option("--limit", o.limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000}));
  list->add_flag("--json", o.json, help.json);
  AddDbOption(list, o.db);
  return list;
}

void WriteOutboxDelivery(const OutboxDelivery& d, JsonWriter& json) {
  json.Key("attempts").Int(d.attempts);
  json.Key("created_at").String(FormatIsoMicros(d.created_at));
  json.Key("next_attempt_at");
  if (d.next_attempt_at) {
    json.String(FormatIsoMicros(*d.next_attempt_at));
  } else {
    json.Null();
  }
  json.Key("delivered_at");
  if (d.delivered_at) {
    json.String(FormatIsoMicros(*d.delivered_at));
  } else {
    json.Null();
  }
  json.Key("last_error").String(d.last_error);
}

void PrintOutboxDelivery(const OutboxDelivery& d, std::ostream& out) {
  out << "  attempts " << d.attempts << "  created " << FormatIsoMicros(d.created_at);
  if (d.next_attempt_at) out << "  next " << FormatIsoMicros(*d.next_attempt_at);
  if (d.delivered_at) out << "  delivered " << FormatIsoMicros(*d.delivered_at);
  if (!d.last_error.empty()) out << "  last error: " << d.last_error;
}

void AddOutboxRetryCommand(CLI::App* outbox, const OutboxNames& names, const std::string& help,
                           OutboxRetry retry) {
  auto o = std::make_shared<OutboxRetryOptions>();
  const std::string one(names.one);
  CLI::App* cmd = outbox->add_subcommand("retry", help);
  cmd->add_option("ID", o->id,
                  "The " + one + " (its id, as `" + std::string(names.many) + " list` shows it)");
  cmd->add_flag("--all-dead", o->all_dead, "Every dead " + one + " (of --partner if given)");
  cmd->add_option("--partner", o->partner, "Only this partner's");
  AddDbOption(cmd, o->db);
  cmd->callback([o, names, retry] {
    const std::string what = std::string(names.many) + " retry";
    if (o->id.empty() == !o->all_dead) {
      FailCommand(what,
                  Status::Invalid("give either " + std::string(names.a_one) + " ID or --all-dead"));
    }
    auto store = OpenStoreOrFail(what, o->db);
    std::optional<std::string> partner;
    if (!o->partner.empty()) partner = o->partner;
    auto n = ((*store).*retry)(o->id, partner, NowMicros());
    if (!n.ok()) FailCommand(what, n.status());
    std::cout << "retrying " << *n << " " << (*n == 1 ? names.one : names.many) << std::endl;
  });
}

}  // namespace offerledger
