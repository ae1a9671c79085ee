// API secrets at rest on both store backends: the admin path stores them
// sealed, the database bytes never hold them, plain ones are upgraded, and
// a missing or wrong master key is refused without naming any secret.
#include "service/secret_sealing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/master_key.h"
#include "service/partner_admin.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

SecretBox Box(char fill) { return *SecretBox::FromKey(std::string(SecretBox::kKeySize, fill)); }

class SecretSealing : public BackendTest {
 protected:
  std::string StoredSecretOf(const std::string& key) {
    auto found = store_->FindKey(key);
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? (*found)->secret : std::string();
  }
  // Every byte of the SQLite database files (main file, WAL, ...), after
  // the store is closed.
  std::string SqliteBytes() {
    store_->Close();
    store_.reset();
    std::string all;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      all += s.str();
    }
    store_ = Reopen();
    return all;
  }
};

TEST_P(SecretSealing, AdminStoresSealedSecretsOnly) {
  const SecretBox box = Box('m');
  PartnerAdmin admin(*store_, &box);
  auto first = admin.AddPartner("LLODT", "Lodt");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = admin.AddKey("LLODT");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  for (const NewCredentials* c : {&*first, &*second}) {
    ASSERT_GE(c->api_secret.size(), 16u);
    const std::string stored = StoredSecretOf(c->api_key);
    EXPECT_TRUE(SecretBox::IsSealed(stored)) << "not sealed";
    EXPECT_EQ(stored.find(c->api_secret), std::string::npos);
    auto opened = box.Open(stored, c->api_key);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, c->api_secret);
    // Bound to its key id: the other key's row does not open it.
    const std::string& other = c == &*first ? second->api_key : first->api_key;
    EXPECT_FALSE(box.Open(stored, other).ok());
  }
  if (GetParam() == testing::Backend::kSqlite) {
    const std::string bytes = SqliteBytes();
    ASSERT_NE(bytes.find(first->api_key), std::string::npos);  // the files were read
    EXPECT_EQ(bytes.find(first->api_secret), std::string::npos);
    EXPECT_EQ(bytes.find(second->api_secret), std::string::npos);
  }
  auto census = CheckStoredSecrets(*store_, &box, /*seal_plain=*/false);
  ASSERT_TRUE(census.ok()) << census.status().ToString();
  EXPECT_EQ(census->sealed, 2);
  EXPECT_EQ(census->plain, 0);
}

TEST_P(SecretSealing, PlainSecretsAreSealedInPlaceOnce) {
  PartnerAdmin plain_admin(*store_);
  auto a = plain_admin.AddPartner("LLODT", "");
  auto b = plain_admin.AddPartner("OTHER", "");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(plain_admin.RevokeKey(b->api_key).ok());   // revoked keys are sealed too
  EXPECT_EQ(StoredSecretOf(a->api_key), a->api_secret);  // before: plain text

  auto none = CheckStoredSecrets(*store_, nullptr, /*seal_plain=*/true);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->plain, 2);
  EXPECT_EQ(none->sealed, 0);

  const SecretBox box = Box('m');
  auto looked = CheckStoredSecrets(*store_, &box, /*seal_plain=*/false);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->plain, 2);
  EXPECT_EQ(StoredSecretOf(a->api_key), a->api_secret);  // only looked

  auto sealed = CheckStoredSecrets(*store_, &box, /*seal_plain=*/true);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->newly_sealed, 2);
  EXPECT_EQ(sealed->sealed, 2);
  EXPECT_EQ(sealed->plain, 0);
  for (const NewCredentials* c : {&*a, &*b}) {
    const std::string stored = StoredSecretOf(c->api_key);
    EXPECT_TRUE(SecretBox::IsSealed(stored));
    EXPECT_EQ(*box.Open(stored, c->api_key), c->api_secret);
  }
  auto again = CheckStoredSecrets(*store_, &box, /*seal_plain=*/true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->newly_sealed, 0);
  EXPECT_EQ(again->sealed, 2);
}

TEST_P(SecretSealing, MissingOrWrongMasterKeyIsRefused) {
  const SecretBox box = Box('m');
  auto creds = PartnerAdmin(*store_, &box).AddPartner("LLODT", "");
  ASSERT_TRUE(creds.ok());

  auto none = CheckStoredSecrets(*store_, nullptr, /*seal_plain=*/true);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("OFFERLEDGER_MASTER_KEY"), std::string::npos);
  EXPECT_NE(none.status().message().find("--master-key-file"), std::string::npos);

  const SecretBox wrong = Box('w');
  auto bad = CheckStoredSecrets(*store_, &wrong, /*seal_plain=*/true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("master key"), std::string::npos);
  for (const Status& s : {none.status(), bad.status()}) {
    EXPECT_EQ(s.message().find(creds->api_secret), std::string::npos);
    EXPECT_EQ(s.message().find(StoredSecretOf(creds->api_key)), std::string::npos);
  }
}

TEST_P(SecretSealing, ReplaceKeySecretIsCompareAndSwap) {
  auto creds = PartnerAdmin(*store_).AddPartner("LLODT", "");
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(store_->ReplaceKeySecret(creds->api_key, "not-the-secret", "x").code(),
            StatusCode::kConflict);
  EXPECT_EQ(StoredSecretOf(creds->api_key), creds->api_secret);
  EXPECT_EQ(store_->ReplaceKeySecret("no-such-key", "a", "b").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ReplaceKeySecret(creds->api_key, creds->api_secret, "new").ok());
  EXPECT_EQ(StoredSecretOf(creds->api_key), "new");
}

OL_BACKENDS(SecretSealing);

TEST(SecretOpener, OpensSealedPassesPlainRefusesOthers) {
  const SecretBox box = Box('m');
  const std::string sealed = *box.Seal("the-secret", "K1");
  const SecretOpener open = MakeSecretOpener(&box);
  EXPECT_EQ(*open("K1", sealed), "the-secret");
  EXPECT_EQ(*open("K1", "plain-secret"), "plain-secret");
  auto wrong_id = open("K2", sealed);
  ASSERT_FALSE(wrong_id.ok());
  EXPECT_EQ(wrong_id.status().code(), StatusCode::kInternal);  // a server fault, not a 401
  auto no_key = MakeSecretOpener(nullptr)("K1", sealed);
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace offerledger
