#include "client/config.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace offerledger::client {
namespace {

TEST(JoinUrl, LikePythonUrljoin) {
  EXPECT_EQ(JoinUrl("https://api.xcover.com/xcover/", "partners/LLODT/quotes/"),
            "https://api.xcover.com/xcover/partners/LLODT/quotes/");
  EXPECT_EQ(JoinUrl("https://api.xcover.com/xcover", "partners/X/"),
            "https://api.xcover.com/partners/X/");
  EXPECT_EQ(JoinUrl("http://127.0.0.1:8080", "partners/X/"), "http://127.0.0.1:8080/partners/X/");
  EXPECT_EQ(JoinUrl("http://h/a/b/", "/partners/X"), "http://h/partners/X");
  EXPECT_EQ(JoinUrl("http://h/a/", "http://o/p"), "http://o/p");
}

TEST(ParseUrl, SchemesHostsPorts) {
  Url u = ParseUrl("https://api.xcover.com/xcover/partners/X/?limit=5");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "api.xcover.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/xcover/partners/X/?limit=5");
  u = ParseUrl("http://127.0.0.1:8081");
  EXPECT_EQ(u.port, 8081);
  EXPECT_EQ(u.target, "/");
  u = ParseUrl("http://[::1]:9000/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_THROW(ParseUrl("ftp://h/"), std::invalid_argument);
  EXPECT_THROW(ParseUrl("h/p"), std::invalid_argument);
  EXPECT_THROW(ParseUrl("http://h:99999/"), std::invalid_argument);
}

TEST(Config, FromEnvUsesOfficialVariables) {
  ::setenv("XC_BASE_URL", "http://127.0.0.1:1/xcover/", 1);
  ::setenv("XC_PARTNER_CODE", "DEMO", 1);
  ::setenv("XC_AUTH_API_KEY", "k", 1);
  ::setenv("XC_AUTH_API_SECRET", "s", 1);
  ::setenv("XC_AUTH_ALGORITHM", "hmac-sha256", 1);
  ::setenv("XC_AUTH_HEADERS", "(request-target) Date x-api-key", 1);
  ::setenv("XC_OUTBOX", "/tmp/x/outbox.db", 1);
  const Config c = ConfigFromEnv();
  EXPECT_EQ(c.base_url, "http://127.0.0.1:1/xcover/");
  EXPECT_EQ(c.partner_code, "DEMO");
  EXPECT_EQ(c.api_key, "k");
  EXPECT_EQ(c.api_secret, "s");
  EXPECT_EQ(c.algorithm, Algorithm::kHmacSha256);
  EXPECT_EQ(c.signed_headers, (std::vector<std::string>{"(request-target)", "date", "x-api-key"}));
  EXPECT_EQ(c.outbox_path, "/tmp/x/outbox.db");
  EXPECT_EQ(c.timeout, std::chrono::seconds(10));
  EXPECT_TRUE(c.verify_tls);
  ::setenv("XC_AUTH_ALGORITHM", "md5", 1);
  EXPECT_THROW(ConfigFromEnv(), std::invalid_argument);
  for (const char* v : {"XC_BASE_URL", "XC_PARTNER_CODE", "XC_AUTH_API_KEY", "XC_AUTH_API_SECRET",
                        "XC_AUTH_ALGORITHM", "XC_AUTH_HEADERS", "XC_OUTBOX"})
    ::unsetenv(v);
}

TEST(Config, DefaultOutboxUnderStateDir) {
  ::unsetenv("XC_OUTBOX");
  ::setenv("XDG_STATE_HOME", "/st", 1);
  EXPECT_EQ(DefaultOutboxPath(), "/st/offerledger/outbox.db");
  ::unsetenv("XDG_STATE_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DefaultOutboxPath(), "/home/u/.local/state/offerledger/outbox.db");
}

}  // namespace
}  // namespace offerledger::client
