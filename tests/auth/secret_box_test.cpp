#include "auth/secret_box.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/hmac.h"

namespace offerledger {
namespace {

constexpr std::string_view kSecret = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyz";

SecretBox Box(char fill) { return *SecretBox::FromKey(std::string(SecretBox::kKeySize, fill)); }

TEST(SecretBox, RoundTrip) {
  const SecretBox box = Box('k');
  auto sealed = box.Seal(kSecret, "key-1");
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_TRUE(SecretBox::IsSealed(*sealed));
  EXPECT_TRUE(sealed->starts_with("olsec1:"));
  EXPECT_EQ(sealed->find(kSecret), std::string::npos);
  auto opened = box.Open(*sealed, "key-1");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, kSecret);
}

TEST(SecretBox, EmptySecretRoundTrips) {
  const SecretBox box = Box('k');
  auto sealed = box.Seal("", "key-1");
  ASSERT_TRUE(sealed.ok());
  auto opened = box.Open(*sealed, "key-1");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "");
}

TEST(SecretBox, FreshNoncePerSeal) {
  const SecretBox box = Box('k');
  EXPECT_NE(*box.Seal(kSecret, "key-1"), *box.Seal(kSecret, "key-1"));
}

TEST(SecretBox, TamperedTextDoesNotOpen) {
  const SecretBox box = Box('k');
  const std::string sealed = *box.Seal(kSecret, "key-1");
  // Change every Base64 character in turn (nonce, ciphertext, tag): each
  // change must be refused, never yield a changed secret.
  for (std::size_t i = SecretBox::kPrefix.size(); i < sealed.size(); ++i) {
    if (sealed[i] == '=') continue;
    std::string t = sealed;
    // Flip the top bit of the character's 6: the low ones of the last
    // character before '=' are padding that decoding ignores.
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    t[i] = kAlphabet[kAlphabet.find(t[i]) ^ 0x20];
    auto opened = box.Open(t, "key-1");
    ASSERT_FALSE(opened.ok()) << "position " << i;
    EXPECT_EQ(opened.status().message().find(kSecret), std::string::npos);
  }
}

TEST(SecretBox, WrongAadDoesNotOpen) {
  const SecretBox box = Box('k');
  const std::string sealed = *box.Seal(kSecret, "key-1");
  auto opened = box.Open(sealed, "key-2");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
}

TEST(SecretBox, WrongKeyDoesNotOpen) {
  const std::string sealed = *Box('k').Seal(kSecret, "key-1");
  auto opened = Box('j').Open(sealed, "key-1");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(opened.status().message().find(sealed), std::string::npos);
}

TEST(SecretBox, MalformedTextIsRefused) {
  const SecretBox box = Box('k');
  const std::vector<std::string> bads = {"plain-secret",        "olsec1:",
                                         "olsec1:!!!!",         "olsec1:QUJD",
                                         "olsec1:QUJDRA==QUJD", "olsec1:" + Base64Encode("short")};
  for (const std::string& bad : bads) {
    auto opened = box.Open(bad, "key-1");
    EXPECT_FALSE(opened.ok()) << bad;
  }
  EXPECT_FALSE(SecretBox::IsSealed("plain-secret"));
}

TEST(SecretBox, KeyMustBe32Bytes) {
  EXPECT_FALSE(SecretBox::FromKey(std::string(31, 'k')).ok());
  EXPECT_FALSE(SecretBox::FromKey(std::string(33, 'k')).ok());
  EXPECT_TRUE(SecretBox::FromKey(std::string(32, 'k')).ok());
}

}  // namespace
}  // namespace offerledger
