// Conversion reports end to end (docs/metrics.md): a scripted mix of offers
// over the partner API, then the same numbers from the CLI on the same
// database, the admin route (bearer token) and the partner route (signed,
// own data only).
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"

namespace itest {
namespace {

namespace json = boost::json;

constexpr const char* kToken = "s3cret-admin-token-for-tests";
constexpr const char* kAdminPath = "/admin/v1/reports/conversion";

// Sets (or, with nullptr, removes) OFFERLEDGER_ADMIN_TOKEN for the servers
// this test starts, and restores the previous value afterwards.
class ScopedAdminToken {
 public:
  explicit ScopedAdminToken(const char* value) {
    if (const char* old = std::getenv("OFFERLEDGER_ADMIN_TOKEN")) old_ = old;
    if (value) {
      ::setenv("OFFERLEDGER_ADMIN_TOKEN", value, 1);
    } else {
      ::unsetenv("OFFERLEDGER_ADMIN_TOKEN");
    }
  }
  ~ScopedAdminToken() {
    if (old_) {
      ::setenv("OFFERLEDGER_ADMIN_TOKEN", old_->c_str(), 1);
    } else {
      ::unsetenv("OFFERLEDGER_ADMIN_TOKEN");
    }
  }

 private:
  std::optional<std::string> old_;
};

HttpReply AdminGet(std::uint16_t port, const std::string& query,
                   std::optional<std::string> token = std::string(kToken)) {
  RawRequest r;
  r.target = std::string(kAdminPath) + query;
  if (token) r.headers.emplace_back("Authorization", "Bearer " + *token);
  return SendRaw(port, r);
}

// The single row of a JSON report, or a failure.
json::object OnlyRow(const std::string& body) {
  json::value v;
  try {
    v = json::parse(body);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << body;
    return {};
  }
  if (!v.is_array() || v.as_array().size() != 1 || !v.as_array()[0].is_object()) {
    ADD_FAILURE() << "expected one row: " << body;
    return {};
  }
  return v.as_array()[0].as_object();
}

void ExpectScriptedMix(const json::object& row, const std::string& where) {
  SCOPED_TRACE(where);
  auto n = [&](const char* name) { return Num(row, {name}); };
  EXPECT_EQ(Str(row, {"currency"}), "GBP");
  EXPECT_EQ(n("packages_offered"), 100);
  EXPECT_EQ(n("quotes_offered"), 100);
  EXPECT_EQ(n("booked"), 35);
  EXPECT_EQ(n("opted_out"), 45);
  EXPECT_EQ(n("not_selected"), 0);
  EXPECT_EQ(n("opt_out_events"), 50);
  EXPECT_EQ(n("no_answer"), 20);
  EXPECT_EQ(n("pending"), 0);
  EXPECT_EQ(n("cancelled"), 3);
  EXPECT_EQ(n("cancelled_cooling_off"), 3);
  EXPECT_DOUBLE_EQ(n("take_up_rate"), 0.35);
  EXPECT_DOUBLE_EQ(n("coverage"), 0.80);
  EXPECT_DOUBLE_EQ(n("conversion_answered"), 0.4375);
  for (const char* rate : {"take_up_rate", "coverage", "conversion_answered"}) {
    const double low = n((std::string(rate) + "_low").c_str());
    const double high = n((std::string(rate) + "_high").c_str());
    EXPECT_LT(low, n(rate)) << rate;
    EXPECT_GT(high, n(rate)) << rate;
  }
  // Wilson 95% bounds of 35/100, 80/100 and 35/80 to 4 decimals.
  EXPECT_DOUBLE_EQ(n("take_up_rate_low"), 0.2636);
  EXPECT_DOUBLE_EQ(n("take_up_rate_high"), 0.4475);
  EXPECT_DOUBLE_EQ(n("coverage_low"), 0.7112);
  EXPECT_DOUBLE_EQ(n("coverage_high"), 0.8666);
  EXPECT_DOUBLE_EQ(n("conversion_answered_low"), 0.3341);
  EXPECT_DOUBLE_EQ(n("conversion_answered_high"), 0.5466);
  EXPECT_GT(n("gross_written_premium"), 0);
  EXPECT_NEAR(n("average_premium"), n("gross_written_premium") / 35, 0.005);
  EXPECT_GT(n("premium_refunded"), 0);
}

class ReportConversion : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--decision-window-days", "0"});
    server_ = env_.StartServer(extra);
    ASSERT_NE(server_, nullptr);
  }

  // 100 offers of one quote each: 30 booked, 50 opted out (5 of them booked
  // later), 20 never answered; 3 of the first bookings cancelled at once
  // (inside the cooling-off period).
  void ScriptedMix(const Client& c) {
    std::vector<json::object> packages;
    for (int i = 0; i < 100; ++i) {
      packages.push_back(c.CreateQuote());
      ASSERT_FALSE(Str(packages.back(), {"id"}).empty());
    }
    for (int i = 0; i < 30; ++i) c.Book(packages[i]);
    for (int i = 30; i < 80; ++i) {
      const HttpReply r = c.Post("bookings/" + Str(packages[i], {"id"}) + "/opt_out", std::nullopt);
      ASSERT_EQ(r.status, 204) << r.Describe();
    }
    for (int i = 30; i < 35; ++i) c.Book(packages[i]);
    for (int i = 0; i < 3; ++i) {
      const HttpReply r = c.Post("bookings/" + Str(packages[i], {"id"}) + "/cancel", "{}");
      ASSERT_EQ(r.status, 200) << r.Describe();
    }
  }

  CommandResult Cli(std::vector<std::string> args) {
    std::vector<std::string> full = {"report", "conversion", "--db", env_.db_url()};
    full.insert(full.end(), args.begin(), args.end());
    return RunOfferledger(full);
  }

  Env env_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ReportConversion, ScriptedMixGivesTheSameNumbersFromCliAdminAndPartnerRoutes) {
  const Credentials a = env_.AddPartner("LLODT");
  ScopedAdminToken token(kToken);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const Client c(server_->port(), a);
  ASSERT_NO_FATAL_FAILURE(ScriptedMix(c));

  const CommandResult cli = Cli({"--format", "json", "--decision-window-days", "0"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  ExpectScriptedMix(OnlyRow(cli.out), "CLI");

  const HttpReply admin = AdminGet(server_->port(), "");
  ASSERT_EQ(admin.status, 200) << admin.Describe();
  EXPECT_EQ(admin.Header("content-type").value_or(""), "application/json");
  ExpectScriptedMix(OnlyRow(admin.body), "admin route");

  const HttpReply partner = c.Get("reports/conversion");
  ASSERT_EQ(partner.status, 200) << partner.Describe();
  ExpectScriptedMix(OnlyRow(partner.body), "partner route");

  // Under /x too, with a query (signed over the path without the query).
  const Client x(server_->port(), a, "/x");
  const HttpReply grouped = x.Get("reports/conversion/?group=partner,policy_type&by=day");
  ASSERT_EQ(grouped.status, 200) << grouped.Describe();
  const json::object row = OnlyRow(grouped.body);
  EXPECT_EQ(Str(row, {"partner"}), "LLODT");
  EXPECT_FALSE(Str(row, {"policy_type"}).empty());
  EXPECT_EQ(Str(row, {"period"}).size(), 10u);
  EXPECT_EQ(Num(row, {"booked"}), 35);

  // CSV from the admin route: a header row and one data row.
  const HttpReply csv = AdminGet(server_->port(), "?format=csv&group=partner");
  ASSERT_EQ(csv.status, 200) << csv.Describe();
  EXPECT_EQ(csv.Header("content-type").value_or("").substr(0, 8), "text/csv");
  EXPECT_EQ(csv.body.substr(0, 39), "partner,currency,packages_offered,quote");
  EXPECT_NE(csv.body.find("\r\nLLODT,GBP,100,100,35,45,0,50,20,0,3,3,0.3500,"), std::string::npos)
      << csv.body;

  // The CLI table and CSV agree.
  const CommandResult table = Cli({"--decision-window-days", "0"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("0.3500 [0.2636, 0.4475]"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("0.4375 [0.3341, 0.5466]"), std::string::npos) << table.out;

  // With the default 7-day window today's unanswered offers are still pending.
  const CommandResult week = Cli({"--format", "json"});
  ASSERT_EQ(week.exit_code, 0) << week.err;
  const json::object w = OnlyRow(week.out);
  EXPECT_EQ(Num(w, {"no_answer"}), 0);
  EXPECT_EQ(Num(w, {"pending"}), 20);
}

TEST_F(ReportConversion, AdminRouteNeedsTheBearerToken) {
  ScopedAdminToken token(kToken);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const HttpReply none = AdminGet(server_->port(), "", std::nullopt);
  EXPECT_EQ(none.status, 401) << none.Describe();
  EXPECT_EQ(Str(none.Json(), {"type"}), "authentication_error");
  EXPECT_TRUE(none.Header("www-authenticate").has_value());
  const HttpReply wrong = AdminGet(server_->port(), "", std::string("not-the-token"));
  EXPECT_EQ(wrong.status, 401) << wrong.Describe();
  const HttpReply prefix = AdminGet(server_->port(), "", std::string(kToken).substr(0, 10));
  EXPECT_EQ(prefix.status, 401) << prefix.Describe();
  RawRequest basic;
  basic.target = kAdminPath;
  basic.headers.emplace_back("Authorization", std::string("Basic ") + kToken);
  EXPECT_EQ(SendRaw(server_->port(), basic).status, 401);
  // Unknown admin paths say nothing without the token either.
  RawRequest other;
  other.target = "/admin/v1/partners";
  EXPECT_EQ(SendRaw(server_->port(), other).status, 401);

  const HttpReply ok = AdminGet(server_->port(), "");
  EXPECT_EQ(ok.status, 200) << ok.Describe();
  EXPECT_EQ(ok.body, "[]");
  const HttpReply post = [&] {
    RawRequest r;
    r.method = "POST";
    r.target = kAdminPath;
    r.body = "";
    r.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
    return SendRaw(server_->port(), r);
  }();
  EXPECT_EQ(post.status, 405) << post.Describe();
  EXPECT_EQ(post.Header("allow").value_or(""), "GET");

  // The token never reaches the server's output.
  EXPECT_EQ(server_->Terminate(), 0);
  EXPECT_EQ(server_->stdout_text().find(kToken), std::string::npos);
  EXPECT_EQ(server_->stderr_text().find(kToken), std::string::npos);
}

TEST_F(ReportConversion, AdminRoutesAnswer404WithoutAConfiguredToken) {
  ScopedAdminToken token(nullptr);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(AdminGet(server_->port(), "", std::nullopt).status, 404);
  const HttpReply r = AdminGet(server_->port(), "");
  EXPECT_EQ(r.status, 404) << r.Describe();
  EXPECT_EQ(Str(r.Json(), {"type"}), "not_found");
}

TEST_F(ReportConversion, AdminTokenFromFile) {
  ScopedAdminToken token(nullptr);
  const auto file = env_.dir() / "admin-token";
  std::ofstream(file) << "file-token-123\n";
  ASSERT_NO_FATAL_FAILURE(StartServer({"--admin-token-file", file.string()}));
  EXPECT_EQ(AdminGet(server_->port(), "", std::string("file-token-123")).status, 200);
  EXPECT_EQ(AdminGet(server_->port(), "", std::string(kToken)).status, 401);
}

TEST_F(ReportConversion, APartnerSeesOnlyItsOwnData) {
  const Credentials a = env_.AddPartner("LLODT");
  const Credentials b = env_.AddPartner("OTHER");
  ScopedAdminToken token(kToken);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const Client ca(server_->port(), a);
  const Client cb(server_->port(), b);
  for (int i = 0; i < 3; ++i) ca.CreateQuote();
  ca.Book(ca.CreateQuote());
  cb.CreateQuote();

  // B's key on A's path: the same 404 as everywhere.
  const HttpReply cross = cb.Send("GET", "/xcover/partners/LLODT/reports/conversion", std::nullopt);
  EXPECT_EQ(cross.status, 404) << cross.Describe();
  EXPECT_EQ(cross.body.find("\"booked\""), std::string::npos);

  // B's own report, even grouped by partner, holds B's single offer only.
  const HttpReply own = cb.Get("reports/conversion?group=partner");
  ASSERT_EQ(own.status, 200) << own.Describe();
  const json::object row = OnlyRow(own.body);
  EXPECT_EQ(Str(row, {"partner"}), "OTHER");
  EXPECT_EQ(Num(row, {"quotes_offered"}), 1);
  EXPECT_EQ(Num(row, {"booked"}), 0);
  EXPECT_EQ(own.body.find("LLODT"), std::string::npos);

  const HttpReply mine = ca.Get("reports/conversion");
  ASSERT_EQ(mine.status, 200) << mine.Describe();
  EXPECT_EQ(Num(OnlyRow(mine.body), {"quotes_offered"}), 4);
  EXPECT_EQ(Num(OnlyRow(mine.body), {"booked"}), 1);

  // The admin sees both.
  const HttpReply all = AdminGet(server_->port(), "?group=partner");
  ASSERT_EQ(all.status, 200) << all.Describe();
  const json::value v = all.Json();
  ASSERT_TRUE(v.is_array()) << all.body;
  ASSERT_EQ(v.as_array().size(), 2u) << all.body;
  EXPECT_EQ(Str(v.as_array()[0], {"partner"}), "LLODT");
  EXPECT_EQ(Str(v.as_array()[1], {"partner"}), "OTHER");

  // Unsigned: 401 like every partner route.
  RawRequest unsigned_req;
  unsigned_req.target = "/xcover/partners/OTHER/reports/conversion";
  EXPECT_EQ(SendRaw(server_->port(), unsigned_req).status, 401);
}

TEST_F(ReportConversion, BadParametersAreClearErrors) {
  const Credentials a = env_.AddPartner("LLODT");
  ScopedAdminToken token(kToken);
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const Client c(server_->port(), a);

  const HttpReply by = c.Get("reports/conversion?by=year");
  EXPECT_EQ(by.status, 422) << by.Describe();
  EXPECT_TRUE(Has(by.Json(), {"errors", "by"})) << by.body;
  const HttpReply from = AdminGet(server_->port(), "?from=2024-02-30");
  EXPECT_EQ(from.status, 422) << from.Describe();
  EXPECT_TRUE(Has(from.Json(), {"errors", "from"})) << from.body;
  const HttpReply unknown = AdminGet(server_->port(), "?grup=partner");
  EXPECT_EQ(unknown.status, 422) << unknown.Describe();
  EXPECT_TRUE(Has(unknown.Json(), {"errors", "grup"})) << unknown.body;
  const HttpReply encoded = AdminGet(server_->port(), "?group=partner%2Ccountry&format=json");
  EXPECT_EQ(encoded.status, 200) << encoded.Describe();

  const CommandResult bad_date = Cli({"--from", "2024-13-01"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.err.find("--from"), std::string::npos) << bad_date.err;
  const CommandResult bad_dim = Cli({"--group", "partner,product"});
  EXPECT_EQ(bad_dim.exit_code, 2);
  EXPECT_NE(bad_dim.err.find("product"), std::string::npos) << bad_dim.err;
  const CommandResult bad_by = Cli({"--by", "quarter"});
  EXPECT_EQ(bad_by.exit_code, 2);
  const CommandResult bad_format = Cli({"--format", "xml"});
  EXPECT_EQ(bad_format.exit_code, 2);

  // An empty range is an empty report, with its header.
  const CommandResult csv = Cli({"--format", "csv", "--from", "2020-01-01", "--to", "2020-01-31"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, 26), "currency,packages_offered,");
  EXPECT_EQ(csv.out.find("\r\n"), csv.out.size() - 2);
  const CommandResult empty_json =
      Cli({"--format", "json", "--from", "2020-01-01", "--to", "2020-01-31"});
  EXPECT_EQ(empty_json.out, "[]\n");

  const CommandResult missing = RunOfferledger(
      {"report", "conversion", "--db", "sqlite:" + (env_.dir() / "nope.db").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(env_.dir() / "nope.db"));

  const CommandResult help = RunOfferledger({"report", "conversion", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* measure : {"take_up_rate", "coverage", "conversion_answered", "no_answer",
                              "cancelled_cooling_off", "gross_written_premium"}) {
    EXPECT_NE(help.out.find(measure), std::string::npos) << measure;
  }
}

}  // namespace
}  // namespace itest
