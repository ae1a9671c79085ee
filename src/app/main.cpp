// offerledger: an XCover-compatible insurance offer service.
// `offerledger --help` lists the subcommands; each has its own --help.
#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/audit_command.h"
#include "app/email_command.h"
#include "app/webhook_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "offerledger: quotes, bookings and opt-outs for insurance sold through partners,\n"
      "speaking the XCover partner API, on a durable ledger."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "offerledger 0.1.0");
  offerledger::RegisterServeCommand(app);
  offerledger::RegisterPartnerCommand(app);
  offerledger::RegisterReportCommand(app);
  offerledger::RegisterSimulateCommand(app);
  offerledger::RegisterOptimizerCommand(app);
  offerledger::RegisterClientCommand(app);
  offerledger::RegisterMigrateCommands(app);
  offerledger::RegisterWebhooksCommand(app);
  offerledger::RegisterAuditCommand(app);
  offerledger::RegisterEmailsCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
