// --db, the same option in every subcommand that opens the database.
#include <cstdlib>

#include "app/commands.h"

namespace offerledger {

CLI::Option* AddDbOption(CLI::App* cmd, std::string& db, const std::string& what) {
  // The variable is read here, as the starting value, rather than with
  // CLI11's envname(): CLI11 also applies an envname to the subcommands that
  // were not chosen, and subcommands that share one variable (partner add /
  // list / ..., report verify / rebuild-rollups) would then get the
  // variable's value over the --db that was given.
  const char* env = std::getenv("OFFERLEDGER_DB");
  const bool from_env = env != nullptr && *env != '\0';
  db = from_env ? env : kDefaultDb;
  // --help names the variable, never its value (which may hold a password).
  return cmd
      ->add_option("--db", db,
                   (what.empty() ? std::string("Database URL") : what) +
                       ": sqlite:PATH (a file) or "
                       "postgresql://[USER[:PASSWORD]@][HOST][:PORT][/DBNAME][?PARAM=VALUE&...] "
                       "(libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ... fill in what "
                       "the URL leaves out, so postgresql:// alone works). Default: "
                       "$OFFERLEDGER_DB when set, else " +
                       std::string(kDefaultDb))
      ->default_str(from_env ? "$OFFERLEDGER_DB" : kDefaultDb);
}

}  // namespace offerledger
