// The price optimizer live (docs/optimizer-live.md): the real binary with
// `serve --pricing optimize`, a simulated customer population with a known
// demand curve that books or opts out of every parcel_protection quote over
// signed HTTP, then: the revenue beats what fixed (catalog) pricing would
// have earned in expectation, GET /admin/v1/optimizer shows the best arm near
// the revenue-maximising multiplier, `offerledger optimizer show` agrees, and
// the arms survive a restart.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "integration/harness.h"

namespace itest {
namespace {

namespace json = boost::json;

constexpr const char* kToken = "optimizer-live-admin-token";
constexpr int kOffers = 1500;
constexpr int kThreads = 4;
const std::vector<double> kGrid = {0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4};

// The population: P(book | m) = 0.6 / (1 + exp(8 (m - 1.6))). Revenue per
// offer m·P(m) peaks at 1.3 (0.715) against 0.595 at the catalog price.
double TakeUp(double m) { return 0.6 / (1 + std::exp(8 * (m - 1.6))); }
double BestMultiplier() {
  double best = kGrid[0];
  for (double m : kGrid) {
    if (m * TakeUp(m) > best * TakeUp(best)) best = m;
  }
  return best;
}

// A parcel worth 100.00 GBP to a GB customer: premium 1.50 × m, IPT 12%.
constexpr const char* kParcelQuote = R"({"request": [{"policy_type": "parcel_protection",
  "policy_type_version": 1, "parcel_value": 100, "shipping_date": "2030-01-08T12:00:00Z",
  "destination_country": "FR"}], "currency": "GBP", "customer_country": "GB"})";
double TotalAt(double m) {
  const double premium = std::round(150 * m) / 100;
  return premium + std::round(premium * 12) / 100;
}
// The multiplier a quote was priced at, recovered from its total price.
double MultiplierOf(double total) {
  double best = kGrid[0];
  for (double m : kGrid) {
    if (std::abs(TotalAt(m) - total) < std::abs(TotalAt(best) - total)) best = m;
  }
  return best;
}

class ScopedAdminToken {
 public:
  ScopedAdminToken() {
    if (const char* old = std::getenv("OFFERLEDGER_ADMIN_TOKEN")) old_ = old;
    ::setenv("OFFERLEDGER_ADMIN_TOKEN", kToken, 1);
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

json::object Optimizer(std::uint16_t port) {
  RawRequest r;
  r.target = "/admin/v1/optimizer";
  r.headers.emplace_back("Authorization", "Bearer " + std::string(kToken));
  const HttpReply reply = SendRaw(port, r);
  EXPECT_EQ(reply.status, 200) << reply.Describe();
  json::value v = reply.Json();
  return v.is_object() ? v.as_object() : json::object{};
}

// The one parcel_protection context of the view.
json::object ParcelContext(const json::object& view) {
  const json::array& contexts = view.at("contexts").as_array();
  for (const json::value& c : contexts) {
    if (Str(c, {"policy_type"}) == "parcel_protection") return c.as_object();
  }
  ADD_FAILURE() << "no parcel_protection context: " << json::serialize(view);
  return {};
}

TEST(OptimizerLiveTest, ServerLearnsTheRevenueMaximisingPriceOverHttp) {
  ScopedAdminToken token;
  Env env;
  const Credentials creds = env.AddPartner("SHOP");
  // The whole run takes a second or two: the arms are re-read every 20 ms
  // (the default, 1 s, would let the policy see them only once or twice).
  auto server = env.StartServer({"--pricing", "optimize", "--optimizer-refresh-ms", "20"});
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->first_line().find("pricing optimize"), std::string::npos)
      << server->first_line();
  const Client client(server->port(), creds);

  std::atomic<int> next{0};
  std::mutex mu;
  double revenue = 0;
  int booked = 0;
  std::vector<int> offered_at(kGrid.size(), 0);
  std::vector<int> late_offered_at(kGrid.size(), 0);  // the last third
  auto customer = [&](int seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = next++; i < kOffers; i = next++) {
      const json::object pkg = client.CreateQuote(kParcelQuote);
      const double total = Num(pkg, {"total_price"});
      if (std::isnan(total)) continue;
      const double m = MultiplierOf(total);
      const std::size_t arm = std::find(kGrid.begin(), kGrid.end(), m) - kGrid.begin();
      const bool books = u(rng) < TakeUp(m);
      if (books) {
        client.Book(pkg);
      } else {
        const HttpReply r = client.Post("bookings/" + Str(pkg, {"id"}) + "/opt_out", std::nullopt);
        EXPECT_EQ(r.status, 204) << r.Describe();
      }
      std::lock_guard<std::mutex> lock(mu);
      ++offered_at[arm];
      if (i >= 2 * kOffers / 3) ++late_offered_at[arm];
      if (books) {
        revenue += total;
        ++booked;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(customer, 1000 + t);
  for (auto& t : threads) t.join();
  ASSERT_FALSE(::testing::Test::HasFailure());

  const double fixed_expected = kOffers * TakeUp(1.0) * TotalAt(1.0);
  std::string spread;
  for (std::size_t a = 0; a < kGrid.size(); ++a) {
    spread += " " + std::to_string(kGrid[a]).substr(0, 3) + ":" + std::to_string(offered_at[a]) +
              "/" + std::to_string(late_offered_at[a]);
  }
  std::cout << "[ optimizer live ] " << kOffers << " offers, " << booked << " booked, revenue "
            << revenue << " GBP vs fixed pricing " << fixed_expected
            << " GBP expected; offers per multiplier (all/last third):" << spread << std::endl;
  // It earns about 1.2 x in practice (the optimum is 1.2 x); 5% is the bar.
  EXPECT_GT(revenue, 1.05 * fixed_expected) << "the optimizer must beat the catalog price";

  // The prices visibly moved: in the last third most offers are at the
  // best multiplier or a neighbour (typically 80-100%).
  const double best = BestMultiplier();
  ASSERT_DOUBLE_EQ(best, 1.3);
  int near_best = 0;
  int late = 0;
  for (std::size_t a = 0; a < kGrid.size(); ++a) {
    late += late_offered_at[a];
    if (std::abs(kGrid[a] - best) < 0.11) near_best += late_offered_at[a];
  }
  EXPECT_GT(near_best, late / 2) << spread;

  // The admin view: every offer counted, the best arm near 1.3.
  const json::object view = Optimizer(server->port());
  EXPECT_EQ(Str(view, {"pricing"}), "optimize");
  EXPECT_EQ(Str(view, {"policy"}), "thompson");
  const json::object ctx = ParcelContext(view);
  EXPECT_EQ(Str(ctx, {"context"}),
            "partner=SHOP,policy_type=parcel_protection,customer_country=GB");
  EXPECT_EQ(Num(ctx, {"offers"}), kOffers);
  EXPECT_NEAR(Num(ctx, {"best_multiplier"}), best, 0.11) << json::serialize(ctx);
  double successes = 0;
  for (const json::value& a : ctx.at("arms").as_array()) successes += Num(a, {"successes"});
  EXPECT_EQ(successes, booked);

  // Restart: the arms live in the store.
  ASSERT_EQ(server->Terminate(), std::optional<int>(0));
  server = env.StartServer({"--pricing", "optimize"});
  ASSERT_NE(server, nullptr);
  const json::object again = ParcelContext(Optimizer(server->port()));
  EXPECT_EQ(json::serialize(again.at("arms")), json::serialize(ctx.at("arms")));

  // The CLI reads the same database.
  const CommandResult show = RunOfferledger(
      {"optimizer", "show", "--db", env.db_url(), "--pricing", "optimize", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  const json::value cli = json::parse(show.out);
  EXPECT_EQ(json::serialize(ParcelContext(cli.as_object()).at("arms")),
            json::serialize(ctx.at("arms")));

  // The kill switch: --pricing fixed offers the catalog price at once.
  ASSERT_EQ(server->Terminate(), std::optional<int>(0));
  server = env.StartServer({"--pricing", "fixed"});
  ASSERT_NE(server, nullptr);
  const Client fixed(server->port(), creds);
  for (int i = 0; i < 10; ++i) {
    EXPECT_DOUBLE_EQ(Num(fixed.CreateQuote(kParcelQuote), {"total_price"}), TotalAt(1.0));
  }
}

}  // namespace
}  // namespace itest
