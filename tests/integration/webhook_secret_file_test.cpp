// `offerledger partner set-webhook ... --secret-file PATH` (and `-` for
// standard input): the listener's secret never on the command line; a file
// group or others may read is refused, as --master-key-file is.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/harness.h"

namespace itest {
namespace {

class WebhookSecretFile : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(env_.AddPartner("LLODT").key.empty()); }

  std::string WriteFile(const std::string& name, const std::string& content, mode_t mode) {
    const std::string path = (env_.dir() / name).string();
    std::ofstream(path, std::ios::binary) << content;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::vector<std::string> SetWebhook(std::vector<std::string> secret_args) const {
    std::vector<std::string> args = {
        "partner", "set-webhook", "LLODT", "--url", "http://127.0.0.1:9/hooks",
        "--key",   "listener-key"};
    args.insert(args.end(), secret_args.begin(), secret_args.end());
    args.insert(args.end(), {"--events", "BOOKING_CREATED", "--db", env_.db_url()});
    return args;
  }

  // The secret as stored (plain: no master key is configured here).
  std::string StoredSecret() const {
    const auto rows = env_.Query("SELECT secret FROM partner_webhooks WHERE partner = 'LLODT'");
    return rows.empty() ? "<none>" : rows[0][0];
  }

  Env env_;
};

TEST_F(WebhookSecretFile, ReadsThePrivateFileWithoutItsLineEnd) {
  const std::string path = WriteFile("listener.secret", "  s3cr3t-from-file\n", 0600);
  const CommandResult r = RunOfferledger(SetWebhook({"--secret-file", path}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(StoredSecret(), "s3cr3t-from-file");
  EXPECT_EQ(r.out.find("s3cr3t"), std::string::npos) << "never printed: " << r.out;
}

TEST_F(WebhookSecretFile, RefusesAFileGroupOrOthersMayRead) {
  for (mode_t mode : {0640, 0604, 0660}) {
    const std::string path = WriteFile("open.secret", "not-private\n", mode);
    const CommandResult r = RunOfferledger(SetWebhook({"--secret-file", path}));
    EXPECT_EQ(r.exit_code, 2) << std::oct << mode << "\n" << r.err;
    EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("not-private"), std::string::npos) << r.err;
  }
  EXPECT_EQ(StoredSecret(), "<none>");
}

TEST_F(WebhookSecretFile, RefusesMissingEmptyAndBothWays) {
  const CommandResult missing =
      RunOfferledger(SetWebhook({"--secret-file", (env_.dir() / "nope").string()}));
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("--secret-file"), std::string::npos) << missing.err;

  const std::string empty = WriteFile("empty.secret", " \n", 0600);
  const CommandResult blank = RunOfferledger(SetWebhook({"--secret-file", empty}));
  EXPECT_EQ(blank.exit_code, 2) << blank.err;
  EXPECT_NE(blank.err.find("holds no secret"), std::string::npos) << blank.err;

  const std::string path = WriteFile("ok.secret", "x\n", 0600);
  const CommandResult both = RunOfferledger(SetWebhook({"--secret", "y", "--secret-file", path}));
  EXPECT_NE(both.exit_code, 0) << both.out;

  const CommandResult none = RunOfferledger(SetWebhook({}));
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("--secret-file"), std::string::npos) << none.err;
  EXPECT_EQ(StoredSecret(), "<none>");
}

TEST_F(WebhookSecretFile, DashReadsStandardInput) {
  std::string command = "'" + std::string(OFFERLEDGER_BINARY) + "'";
  for (const std::string& a : SetWebhook({"--secret-file", "-"})) command += " '" + a + "'";
  command += " >/dev/null 2>&1";
  FILE* child = ::popen(command.c_str(), "w");
  ASSERT_NE(child, nullptr);
  std::fputs("piped-secret\n", child);
  const int status = ::pclose(child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(StoredSecret(), "piped-secret");
}

TEST_F(WebhookSecretFile, HelpExplainsIt) {
  const CommandResult help = RunOfferledger({"partner", "set-webhook", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--secret-file"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("chmod 600"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace itest
