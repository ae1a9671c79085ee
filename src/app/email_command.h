// `offerledger emails list|retry` (docs/emails.md): the email outbox.
#pragma once

#include <CLI/CLI.hpp>

namespace offerledger {

void RegisterEmailsCommand(CLI::App& app);

}  // namespace offerledger
