// The webhook subcommands (docs/webhooks.md): `partner set-webhook` and
// `partner remove-webhook`, `webhooks list` and `webhooks retry`, and the
// webhook line of `partner list`.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

#include "domain/json_writer.h"
#include "store/store.h"

namespace offerledger {

void AddPartnerWebhookCommands(CLI::App* partner);
void RegisterWebhooksCommand(CLI::App& app);

// `partner list`: the partner's webhook (never its secret), as a "webhook"
// member (null when none) or an indented line (nothing when none).
Status WriteWebhookJson(Store& store, const std::string& partner, JsonWriter& w);
Status PrintWebhookLine(Store& store, const std::string& partner, std::ostream& out);

}  // namespace offerledger
