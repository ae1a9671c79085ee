#include "auth/master_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// The same 32 bytes in Base64.
const std::string kB64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// Seals with one key and opens with the other: equal only if both are the
// same 32 bytes.
bool SameKey(const SecretBox& a, const SecretBox& b) {
  auto sealed = a.Seal("x", "id");
  return sealed.ok() && b.Open(*sealed, "id").ok();
}

TEST(MasterKey, HexAndBase64AreTheSameKey) {
  auto hex = ParseMasterKey(kHex);
  auto b64 = ParseMasterKey(kB64);
  auto upper = ParseMasterKey(
      "  " + std::string("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F") +
      "\n");
  ASSERT_TRUE(hex.ok()) << hex.status().ToString();
  ASSERT_TRUE(b64.ok()) << b64.status().ToString();
  ASSERT_TRUE(upper.ok()) << upper.status().ToString();
  EXPECT_TRUE(SameKey(*hex, *b64));
  EXPECT_TRUE(SameKey(*hex, *upper));
  EXPECT_FALSE(SameKey(*hex, *ParseMasterKey(std::string(64, 'f'))));
}

TEST(MasterKey, BadTextIsRefusedClearly) {
  const std::vector<std::string> bads = {"",
                                         kHex.substr(2),
                                         kHex + "00",
                                         std::string(63, 'a') + "g",
                                         kB64.substr(0, 43) + "!",
                                         "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
                                         "hunter2"};
  for (const std::string& bad : bads) {
    auto key = ParseMasterKey(bad);
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_NE(key.status().message().find("64 hex digits"), std::string::npos);
    if (!bad.empty()) {
      EXPECT_EQ(key.status().message().find(bad), std::string::npos);
    }
  }
}

class MasterKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ol-master-key-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "offerledger.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(path_) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(MasterKeyFile, PrivateFileLoads) {
  Write(kHex + "\n", 0600);
  auto key = LoadMasterKeyFile(path_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(SameKey(*key, *ParseMasterKey(kHex)));
  Write(kB64 + "\n", 0400);
  EXPECT_TRUE(LoadMasterKeyFile(path_).ok());
}

TEST_F(MasterKeyFile, ReadableByOthersIsRefusedWithChmodAdvice) {
  for (const mode_t mode : {0644, 0640, 0604, 0660, 0606}) {
    Write(kHex, mode);
    auto key = LoadMasterKeyFile(path_);
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_NE(key.status().message().find("chmod 600 " + path_), std::string::npos)
        << key.status().message();
    EXPECT_EQ(key.status().message().find(kHex), std::string::npos);
  }
}

TEST_F(MasterKeyFile, MissingOrBadFileSaysWhich) {
  auto missing = LoadMasterKeyFile(path_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(path_), std::string::npos);
  Write("not a key", 0600);
  auto bad = LoadMasterKeyFile(path_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path_), std::string::npos);
  EXPECT_NE(bad.status().message().find("64 hex digits"), std::string::npos);
}

TEST_F(MasterKeyFile, FileWinsOverEnvironment) {
  Write(kHex, 0600);
  ::setenv(kMasterKeyEnv, std::string(64, 'f').c_str(), 1);
  auto from_file = LoadMasterKey(path_);
  auto from_env = LoadMasterKey("");
  ::unsetenv(kMasterKeyEnv);
  auto none = LoadMasterKey("");
  ASSERT_TRUE(from_file.ok() && from_file->has_value());
  ASSERT_TRUE(from_env.ok() && from_env->has_value());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(SameKey(**from_file, *ParseMasterKey(kHex)));
  EXPECT_TRUE(SameKey(**from_env, *ParseMasterKey(std::string(64, 'f'))));
  ::setenv(kMasterKeyEnv, "short", 1);
  auto bad_env = LoadMasterKey("");
  ::unsetenv(kMasterKeyEnv);
  ASSERT_FALSE(bad_env.ok());
  EXPECT_NE(bad_env.status().message().find(kMasterKeyEnv), std::string::npos);
}

}  // namespace
}  // namespace offerledger
