#include "optimizer/market.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "optimizer/simulator.h"

namespace offerledger {
namespace {

bool HasError(const Status& s, const std::string& path) {
  for (const FieldError& e : s.fields()) {
    if (e.path == path) return true;
  }
  return false;
}

TEST(MarketTest, ParsesAValidMarket) {
  auto m = ParseMarket(R"({"name":"t","grid":["0.9","1.0","1.1"],
    "contexts":[{"name":"a","weight":2,"base_premium":10,"demand":{"a":1,"b":2}}]})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->grid.size(), 3u);
  EXPECT_EQ(m->contexts[0].weight, 2);
  EXPECT_NEAR(m->contexts[0].demand.TakeUp(0.5), 0.5, 1e-12);
}

TEST(MarketTest, ValidationErrorsNameTheirPaths) {
  auto m = ParseMarket(R"({"currency":"XXX","grid":["1.1","1.0","abc"],
    "contexts":[{"name":"a","base_premium":-1,"demand":{"a":1}},
                {"weight":0,"base_premium":5,"demand":{"model":"probit","a":"x","b":-1}},
                3]})");
  ASSERT_FALSE(m.ok());
  const Status& s = m.status();
  for (const char* path :
       {"currency", "grid.1", "grid.2", "contexts.0.base_premium", "contexts.0.demand.b",
        "contexts.1.name", "contexts.1.weight", "contexts.1.demand.model", "contexts.1.demand.a",
        "contexts.1.demand.b", "contexts.2"}) {
    EXPECT_TRUE(HasError(s, path)) << path << " in " << s.ToString();
  }
}

TEST(MarketTest, MissingTopLevelFields) {
  auto m = ParseMarket("{}");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(HasError(m.status(), "grid"));
  EXPECT_TRUE(HasError(m.status(), "contexts"));
  EXPECT_FALSE(ParseMarket("{not json").ok());
}

TEST(MarketTest, ShippedMarketsLoadAndTheirOptimaDiffer) {
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(OFFERLEDGER_SOURCE_DIR) + "/markets")) {
    if (entry.path().extension() != ".json") continue;
    auto m = LoadMarketFile(entry.path().string());
    ASSERT_TRUE(m.ok()) << entry.path() << ": " << m.status().ToString();
    EXPECT_GE(m->contexts.size(), 3u);
    std::set<std::size_t> optima;
    for (const MarketContext& c : m->contexts) optima.insert(OracleArm(*m, c));
    EXPECT_GE(optima.size(), 3u) << entry.path();
  }
}

}  // namespace
}  // namespace offerledger
