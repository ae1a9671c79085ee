#include "optimizer/market.h"

#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

namespace offerledger {

namespace json = boost::json;

double DemandCurve::TakeUp(double multiplier) const {
  return 1.0 / (1.0 + std::exp(-(a - b * multiplier)));
}

namespace {

struct Errors {
  std::vector<FieldError> list;
  void Add(std::string path, std::string message) {
    list.push_back({std::move(path), std::move(message)});
  }
};

// A finite number (integer or double) at obj[key]; records an error otherwise.
bool GetNumber(const json::object& obj, const std::string& path, const char* key, bool required,
               double& out, Errors& errors) {
  const json::value* v = obj.if_contains(key);
  const std::string p = path.empty() ? key : path + "." + key;
  if (v == nullptr) {
    if (required) errors.Add(p, "is required");
    return false;
  }
  if (v->is_double()) {
    out = v->get_double();
  } else if (v->is_int64()) {
    out = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    out = static_cast<double>(v->get_uint64());
  } else {
    errors.Add(p, "must be a number");
    return false;
  }
  if (!std::isfinite(out)) {
    errors.Add(p, "must be finite");
    return false;
  }
  return true;
}

bool GetString(const json::object& obj, const std::string& path, const char* key, bool required,
               std::string& out, Errors& errors) {
  const json::value* v = obj.if_contains(key);
  const std::string p = path.empty() ? key : path + "." + key;
  if (v == nullptr) {
    if (required) errors.Add(p, "is required");
    return false;
  }
  if (!v->is_string()) {
    errors.Add(p, "must be a string");
    return false;
  }
  out = std::string(v->get_string());
  return true;
}

}  // namespace

Result<Market> ParseMarket(std::string_view json_text) {
  boost::system::error_code ec;
  json::value root = json::parse(json_text, ec);
  if (ec) return Status::Invalid("market file is not valid JSON: " + ec.message());
  if (!root.is_object()) {
    return Status::Invalid("invalid market", {{"", "the market must be a JSON object"}});
  }
  const json::object& obj = root.get_object();
  Market m;
  Errors errors;
  GetString(obj, "", "name", false, m.name, errors);
  GetString(obj, "", "description", false, m.description, errors);
  if (GetString(obj, "", "currency", false, m.currency, errors) &&
      FindCurrency(m.currency) == nullptr) {
    errors.Add("currency", "unknown currency \"" + m.currency + "\"");
  }

  const json::value* grid = obj.if_contains("grid");
  if (grid == nullptr) {
    errors.Add("grid", "is required");
  } else if (!grid->is_array() || grid->get_array().empty()) {
    errors.Add("grid", "must be a non-empty array of multipliers (\"0.90\")");
  } else {
    const json::array& arr = grid->get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string p = "grid." + std::to_string(i);
      if (!arr[i].is_string()) {
        errors.Add(p, "must be a decimal string such as \"1.10\"");
        continue;
      }
      auto r = ParseRate(arr[i].get_string());
      if (!r || r->nanos <= 0) {
        errors.Add(p, "must be a positive decimal such as \"1.10\"");
        continue;
      }
      if (!m.grid.empty() && r->nanos <= m.grid.back().nanos) {
        errors.Add(p, "the grid must be strictly ascending");
      }
      m.grid.push_back(*r);
    }
  }

  const json::value* contexts = obj.if_contains("contexts");
  if (contexts == nullptr) {
    errors.Add("contexts", "is required");
  } else if (!contexts->is_array() || contexts->get_array().empty()) {
    errors.Add("contexts", "must be a non-empty array");
  } else {
    const json::array& arr = contexts->get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string p = "contexts." + std::to_string(i);
      if (!arr[i].is_object()) {
        errors.Add(p, "must be an object");
        continue;
      }
      const json::object& c = arr[i].get_object();
      MarketContext ctx;
      GetString(c, p, "name", true, ctx.name, errors);
      if (GetNumber(c, p, "weight", false, ctx.weight, errors) && ctx.weight <= 0) {
        errors.Add(p + ".weight", "must be greater than 0");
      }
      if (GetNumber(c, p, "base_premium", true, ctx.base_premium, errors) &&
          ctx.base_premium <= 0) {
        errors.Add(p + ".base_premium", "must be greater than 0");
      }
      const json::value* d = c.if_contains("demand");
      if (d == nullptr) {
        errors.Add(p + ".demand", "is required");
      } else if (!d->is_object()) {
        errors.Add(p + ".demand", "must be an object");
      } else {
        const json::object& dobj = d->get_object();
        const std::string dp = p + ".demand";
        std::string model = "logistic";
        GetString(dobj, dp, "model", false, model, errors);
        if (model != "logistic") errors.Add(dp + ".model", "must be \"logistic\"");
        GetNumber(dobj, dp, "a", true, ctx.demand.a, errors);
        if (GetNumber(dobj, dp, "b", true, ctx.demand.b, errors) && ctx.demand.b < 0) {
          errors.Add(dp + ".b", "must be 0 or more (take-up does not rise with the price)");
        }
      }
      m.contexts.push_back(std::move(ctx));
    }
  }
  if (!errors.list.empty()) return Status::Invalid("invalid market", std::move(errors.list));
  return m;
}

Result<Market> LoadMarketFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read market file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseMarket(ss.str());
}

}  // namespace offerledger
