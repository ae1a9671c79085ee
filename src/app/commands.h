// The subcommands of the offerledger binary. Each Register* adds its
// subcommand and options to the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace offerledger {

void RegisterServeCommand(CLI::App& app);
void RegisterPartnerCommand(CLI::App& app);
void RegisterReportCommand(CLI::App& app);
void RegisterSimulateCommand(CLI::App& app);
void RegisterOptimizerCommand(CLI::App& app);
void RegisterClientCommand(CLI::App& app);
void RegisterMigrateCommands(CLI::App& app);  // migrate, migrate-data

// Default database URL for every subcommand that takes --db, when
// $OFFERLEDGER_DB is not set.
inline constexpr const char* kDefaultDb = "sqlite:./offerledger.db";

// Adds --db to `cmd`, bound to `db`, with the help every subcommand shares:
// sqlite:PATH or postgresql://..., default $OFFERLEDGER_DB when set (--db
// wins), else kDefaultDb. `what` starts the help ("Database URL" if empty).
CLI::Option* AddDbOption(CLI::App* cmd, std::string& db, const std::string& what = "");

// Adds --master-key-file to `cmd`, bound to `path` (empty: not given; then
// $OFFERLEDGER_MASTER_KEY, see auth/master_key.h).
CLI::Option* AddMasterKeyOption(CLI::App* cmd, std::string& path);

}  // namespace offerledger
