// The subcommands of the offerledger binary. Each Register* adds its
// subcommand and options to the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

namespace offerledger {

void RegisterServeCommand(CLI::App& app);
void RegisterPartnerCommand(CLI::App& app);
void RegisterReportCommand(CLI::App& app);
void RegisterSimulateCommand(CLI::App& app);
void RegisterOptimizerCommand(CLI::App& app);
void RegisterClientCommand(CLI::App& app);

// Default database URL for every subcommand that takes --db.
inline constexpr const char* kDefaultDb = "sqlite:./offerledger.db";

}  // namespace offerledger
