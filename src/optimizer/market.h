// A synthetic market for the simulator (markets/*.json, docs/optimizer.md):
// the multiplier grid, and contexts with their traffic shares, base premiums
// and demand curves P(booked | multiplier).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/money.h"

namespace offerledger {

// Logistic demand: P(booked | m) = 1 / (1 + exp(-(a - b*m))).
struct DemandCurve {
  double a = 0;
  double b = 0;
  double TakeUp(double multiplier) const;
};

struct MarketContext {
  std::string name;
  double weight = 1;        // traffic share (normalised over the contexts)
  double base_premium = 1;  // premium at multiplier 1, in currency units
  DemandCurve demand;
};

struct Market {
  std::string name;
  std::string description;
  std::string currency = "GBP";
  std::vector<Rate> grid;  // ascending
  std::vector<MarketContext> contexts;
};

// Validation errors are Status::Invalid with one FieldError per problem,
// its path like "contexts.2.demand.b".
Result<Market> ParseMarket(std::string_view json_text);
Result<Market> LoadMarketFile(const std::string& path);

}  // namespace offerledger
