// `offerledger client update | instant-book | cancel` against the real
// binary (plain HTTP; tls_test.cpp has the same CLI over HTTPS).
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"

namespace offerledger::client {
namespace {

namespace json = boost::json;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    creds_ = env_.AddPartner("DEMO");
    server_ = env_.StartServer();
    ASSERT_NE(server_, nullptr);
  }

  // `offerledger client ARGS... --base-url ... --partner ... ...`.
  itest::CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), "client");
    for (const std::string& s : {std::string("--base-url"),
                                 "http://127.0.0.1:" + std::to_string(server_->port()) + "/xcover/",
                                 std::string("--partner"), creds_.partner, std::string("--api-key"),
                                 creds_.key, std::string("--api-secret"), creds_.secret}) {
      args.push_back(s);
    }
    return itest::RunOfferledger(args);
  }

  // Runs and parses stdout as JSON (a gtest failure when it exits non-zero).
  json::value RunJson(const std::vector<std::string>& args) {
    const itest::CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r.out;
    return v;
  }

  std::string File(const std::string& name, const std::string& content) {
    const auto path = env_.dir() / name;
    std::ofstream(path) << content;
    return path.string();
  }

  std::string Status(const std::string& id) { return itest::Str(RunJson({"get", id}), {"status"}); }

  std::string InstantBook() {
    const json::value booked =
        RunJson({"instant-book", File("instant.json", itest::CassetteInstantBookingBody())});
    EXPECT_EQ(itest::Str(booked, {"status"}), "CONFIRMED") << json::serialize(booked);
    return itest::Str(booked, {"id"});
  }

  itest::Env env_;
  itest::Credentials creds_;
  std::unique_ptr<itest::ServerProcess> server_;
};

TEST_F(Cli, UpdateQuote) {
  const json::value pkg = RunJson({"quote", File("quote.json", itest::CassetteQuoteBody())});
  const std::string id = itest::Str(pkg, {"id"});
  ASSERT_FALSE(id.empty());
  const json::value updated =
      RunJson({"update", id, File("update.json", R"({"partner_transaction_id": "cli-upd-7"})")});
  EXPECT_EQ(itest::Str(updated, {"id"}), id);
  EXPECT_EQ(itest::Str(updated, {"partner_transaction_id"}), "cli-upd-7");
  EXPECT_EQ(itest::Str(RunJson({"get", id}), {"partner_transaction_id"}), "cli-upd-7");

  // A field the API does not know: the server's 422, as a JSON error, exit 1.
  const itest::CommandResult bad = Run({"update", id, File("bad.json", R"({"colour": "red"})")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("\"status\":422"), std::string::npos) << bad.err;
  // Not JSON at all: refused locally, exit 2.
  const itest::CommandResult garbage = Run({"update", id, File("garbage.json", "{nope")});
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_NE(garbage.err.find("is not JSON"), std::string::npos) << garbage.err;
}

TEST_F(Cli, InstantBookThenPreviewAndConfirmCancellation) {
  const std::string id = InstantBook();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Status(id), "CONFIRMED");

  const json::value preview = RunJson({"cancel", id, "--preview"});
  const std::string cancellation = itest::Str(preview, {"cancellation_id"});
  ASSERT_FALSE(cancellation.empty()) << json::serialize(preview);
  EXPECT_EQ(Status(id), "CONFIRMED");  // a preview changes nothing

  const json::value confirmed = RunJson({"cancel", id, "--confirm", cancellation});
  EXPECT_EQ(itest::Str(confirmed, {"id"}), id);
  EXPECT_EQ(Status(id), "CANCELLED");

  // --preview and --confirm exclude each other.
  EXPECT_NE(Run({"cancel", id, "--preview", "--confirm", cancellation}).exit_code, 0);
}

TEST_F(Cli, CancelAtOnce) {
  const std::string id = InstantBook();
  ASSERT_FALSE(id.empty());
  RunJson({"cancel", id});
  EXPECT_EQ(Status(id), "CANCELLED");
  // Cancelling again: the server's 422 naming the state.
  const itest::CommandResult again = Run({"cancel", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("\"status\":422"), std::string::npos) << again.err;
}

// True when a JSON value (after ':', ',' or '[') is a number written with an
// exponent. Only value positions count: random ids such as "58JFV-0XOE0-INS"
// contain "E0" as text and made a plain find("E0") fail one run in a few hundred.
bool HasExponentNumber(const std::string& text) {
  static const std::regex kExponentNumber(R"([:,\[]\s*-?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9])");
  return std::regex_search(text, kExponentNumber);
}

// Prices print as the server sent them (2.01), in compact and --pretty
// output alike, not in Boost.JSON's exponent form (2.01E0).
TEST_F(Cli, PricesPrintInPlainDecimal) {
  // The detector itself: exponent numbers found, ids and dates not.
  ASSERT_TRUE(HasExponentNumber(R"({"price":2.01E0})"));
  ASSERT_TRUE(HasExponentNumber("[\n  1e-2]"));
  ASSERT_FALSE(HasExponentNumber(R"({"id":"58JFV-0XOE0-INS","at":"2026-11-27T00:22:24Z"})"));
  const json::value pkg = RunJson({"quote", File("quote.json", itest::CassetteQuoteBody())});
  const std::string id = itest::Str(pkg, {"id"});
  ASSERT_FALSE(id.empty());
  const itest::CommandResult compact = Run({"get", id});
  ASSERT_EQ(compact.exit_code, 0) << compact.err;
  EXPECT_NE(compact.out.find("\"total_price\":2.01,"), std::string::npos) << compact.out;
  EXPECT_FALSE(HasExponentNumber(compact.out)) << compact.out;
  const itest::CommandResult pretty = Run({"get", id, "--pretty"});
  ASSERT_EQ(pretty.exit_code, 0) << pretty.err;
  EXPECT_NE(pretty.out.find("\"total_price\": 2.01,"), std::string::npos) << pretty.out;
  EXPECT_FALSE(HasExponentNumber(pretty.out)) << pretty.out;
  boost::system::error_code ec;
  const json::value reparsed = json::parse(pretty.out, ec);
  ASSERT_FALSE(ec) << pretty.out;
  EXPECT_EQ(reparsed, json::parse(compact.out));
}

}  // namespace
}  // namespace offerledger::client
