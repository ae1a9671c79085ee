#include "auth/hmac_key_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace offerledger {
namespace {

constexpr std::string_view kMsg =
    "(request-target): post /x/partners/LLODT/bookings/PYWUR-TAPHT-INS/opt_out\n"
    "date: Thu, 04 Nov 2021 18:07:11 GMT";

// The cache's MAC, or "" on error.
std::string CachedMac(HmacKeyCache& cache, std::string_view key, std::string_view secret,
                      Algorithm alg = Algorithm::kHmacSha512, std::string_view msg = kMsg) {
  MacBytes mac;
  const Status s = cache.Compute(key, secret, alg, msg, mac);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok() ? std::string(mac.view()) : std::string();
}

// prefix + n. (Not "K" + std::to_string(n): GCC 12 warns about that, wrongly.)
std::string Numbered(std::string_view prefix, std::size_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

std::string OneShot(std::string_view secret, Algorithm alg = Algorithm::kHmacSha512,
                    std::string_view msg = kMsg) {
  return HmacDigest(alg, secret, msg).value();
}

TEST(HmacKeyCacheTest, SameMacAsOneShotAndOneEntryPerKey) {
  HmacKeyCache cache;
  EXPECT_EQ(CachedMac(cache, "K", "secret"), OneShot("secret"));
  EXPECT_EQ(CachedMac(cache, "K", "secret"), OneShot("secret"));
  EXPECT_EQ(CachedMac(cache, "K", "secret", Algorithm::kHmacSha512, "other"),
            OneShot("secret", Algorithm::kHmacSha512, "other"));
  EXPECT_EQ(cache.size(), 1u);
}

// A rotated secret: the key's cached context was made from the old one and
// must not be used, neither for the new secret nor, afterwards, the old one.
TEST(HmacKeyCacheTest, ChangedSecretIsNeverServedFromCache) {
  HmacKeyCache cache;
  ASSERT_EQ(CachedMac(cache, "K", "old-secret"), OneShot("old-secret"));
  EXPECT_EQ(CachedMac(cache, "K", "new-secret"), OneShot("new-secret"));
  EXPECT_NE(OneShot("new-secret"), OneShot("old-secret"));
  EXPECT_EQ(CachedMac(cache, "K", "new-secret"), OneShot("new-secret"));
  // Same length, one byte apart.
  EXPECT_EQ(CachedMac(cache, "K", "new-secreT"), OneShot("new-secreT"));
  EXPECT_EQ(CachedMac(cache, "K", "old-secret"), OneShot("old-secret"));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(HmacKeyCacheTest, ChangedAlgorithmGetsItsOwnContext) {
  HmacKeyCache cache;
  EXPECT_EQ(CachedMac(cache, "K", "s", Algorithm::kHmacSha512), OneShot("s"));
  EXPECT_EQ(CachedMac(cache, "K", "s", Algorithm::kHmacSha256),
            OneShot("s", Algorithm::kHmacSha256));
  EXPECT_EQ(CachedMac(cache, "K", "s", Algorithm::kHmacSha512), OneShot("s"));
}

TEST(HmacKeyCacheTest, KeysWithTheSameSecretStayApart) {
  HmacKeyCache cache;
  EXPECT_EQ(CachedMac(cache, "A", "a-secret"), OneShot("a-secret"));
  EXPECT_EQ(CachedMac(cache, "B", "b-secret"), OneShot("b-secret"));
  EXPECT_EQ(CachedMac(cache, "A", "a-secret"), OneShot("a-secret"));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(HmacKeyCacheTest, ForgetDropsTheKey) {
  HmacKeyCache cache;
  CachedMac(cache, "A", "a-secret");
  CachedMac(cache, "B", "b-secret");
  cache.Forget("A");
  EXPECT_EQ(cache.size(), 1u);
  cache.Forget("A");        // already gone: nothing happens
  cache.Forget("UNKNOWN");  // never there
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(CachedMac(cache, "A", "a-secret"), OneShot("a-secret"));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(HmacKeyCacheTest, BoundedSize) {
  HmacKeyCache cache(3);
  for (std::size_t i = 0; i < 20; ++i) {
    const std::string key = Numbered("K", i);
    const std::string secret = Numbered("secret-", i);
    EXPECT_EQ(CachedMac(cache, key, secret), OneShot(secret)) << key;
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.size(), 3u);
}

// Threads verifying with the same and with other keys at once, while one
// key's secret flips back and forth: every MAC is the one-shot MAC of the
// secret passed in. (Also run under ASan+UBSan.)
TEST(HmacKeyCacheTest, ConcurrentUse) {
  HmacKeyCache cache(2);  // smaller than the keys in use: evictions race too
  const std::vector<std::string> secrets = {"s0", "s1", "s2", "rotated-a", "rotated-b"};
  std::vector<std::string> expected;
  for (const std::string& s : secrets) expected.push_back(OneShot(s));

  constexpr int kThreads = 6;
  constexpr int kRounds = 400;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::size_t which = static_cast<std::size_t>((t + i) % 4);
        const std::string key = Numbered("K", which);
        if (which == 3) which = 3 + static_cast<std::size_t>(i % 2);  // K3 rotates
        MacBytes mac;
        if (!cache.Compute(key, secrets[which], Algorithm::kHmacSha512, kMsg, mac).ok() ||
            mac.view() != expected[which]) {
          ++wrong;
        }
        if (i % 50 == 0) cache.Forget(key);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 2u);
}

// The opener (decryption of a sealed secret) runs once per key and stored
// secret, not per request; the MAC is that of the opened secret.
TEST(HmacKeyCache, OpensTheStoredSecretOncePerKey) {
  HmacKeyCache cache;
  int opened = 0;
  const SecretOpener open = [&opened](std::string_view key,
                                      std::string_view stored) -> Result<std::string> {
    ++opened;
    return std::string(key) + "/" + std::string(stored) + "-plain";
  };
  MacBytes direct;
  ASSERT_TRUE(cache.Compute("other", "K1/sealed-1-plain", Algorithm::kHmacSha512, kMsg, direct).ok());
  for (int i = 0; i < 5; ++i) {
    MacBytes mac;
    ASSERT_TRUE(cache.Compute("K1", "sealed-1", Algorithm::kHmacSha512, kMsg, mac, open).ok());
    EXPECT_EQ(mac.view(), direct.view());
  }
  EXPECT_EQ(opened, 1);
  MacBytes mac;
  ASSERT_TRUE(cache.Compute("K1", "sealed-2", Algorithm::kHmacSha512, kMsg, mac, open).ok());
  EXPECT_EQ(opened, 2);  // another stored secret (rotated): opened again
  EXPECT_NE(mac.view(), direct.view());
}

TEST(HmacKeyCache, OpenerErrorIsReturnedAndNothingCached) {
  HmacKeyCache cache;
  const SecretOpener fail = [](std::string_view, std::string_view) -> Result<std::string> {
    return Status::Internal("cannot open");
  };
  MacBytes mac;
  const Status s = cache.Compute("K1", "sealed", Algorithm::kHmacSha512, kMsg, mac, fail);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace offerledger
