#include "auth/master_key.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/status_macros.h"

namespace offerledger {
namespace {

std::string_view Trim(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Wipes a string holding key material when it goes out of scope.
struct Wiped {
  std::string s;
  ~Wiped() { OPENSSL_cleanse(s.data(), s.size()); }
};

}  // namespace

Result<SecretBox> ParseMasterKey(std::string_view text) {
  text = Trim(text);
  Wiped bytes;
  if (text.size() == 2 * SecretBox::kKeySize) {
    bytes.s.reserve(SecretBox::kKeySize);
    for (std::size_t i = 0; i < text.size(); i += 2) {
      const int hi = HexDigit(text[i]);
      const int lo = HexDigit(text[i + 1]);
      if (hi < 0 || lo < 0) {
        bytes.s.clear();
        break;
      }
      bytes.s.push_back(static_cast<char>(hi * 16 + lo));
    }
  } else if (text.size() == 44 && text.ends_with("=") && !text.ends_with("==")) {
    // Base64 of 32 bytes: 43 characters and one '='.
    bool alphabet = true;
    for (const char c : text.substr(0, 43)) {
      alphabet = alphabet && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '+' || c == '/');
    }
    if (alphabet) {
      bytes.s.assign(33, '\0');
      const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.s.data()),
                                    reinterpret_cast<const unsigned char*>(text.data()), 44);
      bytes.s.resize(n == 33 ? SecretBox::kKeySize : 0);
    }
  }
  if (bytes.s.size() != SecretBox::kKeySize) {
    return Status::Invalid(
        "the master key must be 32 random bytes written as 64 hex digits (openssl rand -hex 32) "
        "or as Base64 (openssl rand -base64 32)");
  }
  return SecretBox::FromKey(bytes.s);
}

Result<SecretBox> LoadMasterKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Invalid("cannot read the master key file " + path);
  }
  if (!S_ISREG(st.st_mode))
    return Status::Invalid("the master key file " + path + " is not a file");
  if ((st.st_mode & 077) != 0) {
    return Status::Invalid("the master key file " + path +
                           " may be read or written by group or others; make it private: chmod "
                           "600 " +
                           path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read the master key file " + path);
  std::ostringstream content;
  content << in.rdbuf();
  Wiped text{content.str()};
  Result<SecretBox> box = ParseMasterKey(text.s);
  if (!box.ok()) return Status::Invalid("master key file " + path + ": " + box.status().message());
  return box;
}

Result<std::optional<SecretBox>> LoadMasterKey(const std::string& key_file) {
  if (!key_file.empty()) {
    OL_ASSIGN_OR_RETURN(SecretBox box, LoadMasterKeyFile(key_file));
    return std::optional<SecretBox>(std::move(box));
  }
  const char* env = std::getenv(kMasterKeyEnv);
  if (env == nullptr || Trim(env).empty()) return std::optional<SecretBox>();
  Result<SecretBox> box = ParseMasterKey(env);
  if (!box.ok())
    return Status::Invalid(std::string("$") + kMasterKeyEnv + ": " + box.status().message());
  return std::optional<SecretBox>(std::move(*box));
}

}  // namespace offerledger
