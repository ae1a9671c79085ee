// --master-key-file, the same option in every subcommand that reads or
// writes API secrets (serve, partner add / add-key / seal-secrets).
#include "app/commands.h"
#include "auth/master_key.h"

namespace offerledger {

CLI::Option* AddMasterKeyOption(CLI::App* cmd, std::string& path) {
  return cmd->add_option(
      "--master-key-file", path,
      std::string("File holding the master key that encrypts API secrets at rest: 32 random "
                  "bytes as 64 hex digits or Base64 (e.g. `openssl rand -hex 32`), mode 0600 "
                  "(a file others may read is refused). Default: $") +
          kMasterKeyEnv + " when set, else none (secrets are stored unencrypted)");
}

}  // namespace offerledger
