#include "domain/ids.h"

#include <cctype>
#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

TEST(Ids, PackageIdFormat) {
  const std::regex re("^[A-Z0-9]{5}-[A-Z0-9]{5}-INS$");
  for (int i = 0; i < 200; ++i) {
    const std::string id = NewPackageId();
    EXPECT_TRUE(std::regex_match(id, re)) << id;
    EXPECT_TRUE(IsPackageId(id)) << id;
  }
}

TEST(Ids, IsPackageIdRejectsLookalikes) {
  EXPECT_TRUE(IsPackageId("PYWUR-TAPHT-INS"));
  EXPECT_TRUE(IsPackageId("33K6D-WBHLY-INS"));
  EXPECT_FALSE(IsPackageId("pywur-tapht-INS"));
  EXPECT_FALSE(IsPackageId("PYWUR-TAPHT-INX"));
  EXPECT_FALSE(IsPackageId("PYWURTTAPHT-INS"));
  EXPECT_FALSE(IsPackageId("PYWUR-TAPH-INS"));
  EXPECT_FALSE(IsPackageId("PYWUR-TAPHT-INS "));
  EXPECT_FALSE(IsPackageId(""));
  EXPECT_FALSE(IsPackageId("PYW_R-TAPHT-INS"));
}

TEST(Ids, UuidIsVersion4LowerCase) {
  const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 200; ++i) {
    const std::string id = NewUuid();
    EXPECT_TRUE(std::regex_match(id, re)) << id;
    EXPECT_TRUE(IsUuid(id)) << id;
  }
  EXPECT_TRUE(IsUuid("03c6a538-f9db-4426-b88c-0e30f6988b0d"));
  EXPECT_FALSE(IsUuid("03c6a538f9db-4426-b88c-0e30f6988b0d0"));
  EXPECT_FALSE(IsUuid("03c6a538-f9db-4426-b88c-0e30f6988b0"));
  EXPECT_FALSE(IsUuid("03c6a538-f9db-4426-b88c-0e30f6988b0g"));
  EXPECT_FALSE(IsUuid(""));
}

TEST(Ids, TokenFormats) {
  const std::regex token("^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$");
  const std::regex cancel("^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-CCL$");
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(std::regex_match(NewSecurityToken(), token));
    EXPECT_TRUE(std::regex_match(NewCancellationId(), cancel));
  }
  const std::string key = NewApiKey();
  EXPECT_EQ(key.rfind("ol_", 0), 0u);
  EXPECT_EQ(key.size(), 27u);
  const std::string secret = NewApiSecret();
  EXPECT_EQ(secret.size(), 48u);
  for (char c : secret) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
}

TEST(Ids, UniqueOverTenThousand) {
  std::set<std::string> packages, uuids, tokens, cancels, secrets;
  for (int i = 0; i < 10'000; ++i) {
    packages.insert(NewPackageId());
    uuids.insert(NewUuid());
    tokens.insert(NewSecurityToken());
    cancels.insert(NewCancellationId());
    secrets.insert(NewApiSecret());
  }
  // 36^10 package ids: a collision in 10k draws has odds ~1e-8.
  EXPECT_EQ(packages.size(), 10'000u);
  EXPECT_EQ(uuids.size(), 10'000u);
  EXPECT_EQ(tokens.size(), 10'000u);
  EXPECT_EQ(cancels.size(), 10'000u);
  EXPECT_EQ(secrets.size(), 10'000u);
}

TEST(Ids, PackageIdsUseTheWholeAlphabet) {
  // A biased or constant generator would leave characters out.
  std::set<char> seen;
  for (int i = 0; i < 2'000; ++i) {
    const std::string id = NewPackageId();
    for (std::size_t k = 0; k < 11; ++k) {
      if (k != 5) seen.insert(id[k]);
    }
  }
  EXPECT_EQ(seen.size(), 36u);
}

}  // namespace
}  // namespace offerledger
