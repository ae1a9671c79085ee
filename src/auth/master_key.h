// The master key that seals API secrets (secret_box.h): from a key file
// (--master-key-file) or the OFFERLEDGER_MASTER_KEY environment variable.
// Either holds 32 random bytes written as 64 hex digits (what
// `openssl rand -hex 32` prints) or as Base64 (`openssl rand -base64 32`);
// surrounding whitespace is ignored. No message ever contains the key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/secret_box.h"
#include "common/result.h"

namespace offerledger {

inline constexpr const char* kMasterKeyEnv = "OFFERLEDGER_MASTER_KEY";

// The key from its text form (hex or Base64 of exactly 32 bytes); Invalid
// with a message saying what was expected otherwise.
Result<SecretBox> ParseMasterKey(std::string_view text);

// The key in file `path`. Refuses (Invalid) a file that group or others may
// read or write, with a message that says `chmod 600 PATH`.
Result<SecretBox> LoadMasterKeyFile(const std::string& path);

// The key from `key_file` when not empty, else from $OFFERLEDGER_MASTER_KEY
// when set and not empty, else nullopt (secrets are kept in plain text).
Result<std::optional<SecretBox>> LoadMasterKey(const std::string& key_file);

}  // namespace offerledger
