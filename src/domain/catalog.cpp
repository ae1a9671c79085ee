// Catalog look-ups and the small pieces shared by the loader and pricing:
// field type names, content templates, canonical JSON.
#include "domain/catalog.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include <boost/json.hpp>

namespace offerledger {

namespace {

constexpr std::array<std::pair<FieldType, std::string_view>, 9> kFieldTypeNames = {{
    {FieldType::kString, "string"},
    {FieldType::kInteger, "integer"},
    {FieldType::kNumber, "number"},
    {FieldType::kMoney, "money"},
    {FieldType::kBoolean, "boolean"},
    {FieldType::kDateTime, "datetime"},
    {FieldType::kDate, "date"},
    {FieldType::kCountry, "country"},
    {FieldType::kArray, "array"},
}};

void AppendCanonical(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case boost::json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN/inf; a parsed document never holds one
        return;
      }
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip
      out.append(buf, r.ptr);
      return;
    }
    case boost::json::kind::string:
      out += boost::json::serialize(v.get_string());
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        AppendCanonical(e, out);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      const auto& obj = v.get_object();
      std::vector<const boost::json::key_value_pair*> members;
      members.reserve(obj.size());
      for (const auto& kv : obj) members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (const auto* kv : members) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(kv->key()));
        out += ':';
        AppendCanonical(kv->value(), out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string_view FieldTypeName(FieldType t) {
  for (const auto& [k, v] : kFieldTypeNames) {
    if (k == t) return v;
  }
  return "unknown";
}

std::optional<FieldType> ParseFieldType(std::string_view name) {
  for (const auto& [k, v] : kFieldTypeNames) {
    if (v == name) return k;
  }
  return std::nullopt;
}

const FieldSpec* FieldSpec::FindItem(std::string_view item_name) const {
  for (const auto& f : items) {
    if (f.name == item_name) return &f;
  }
  return nullptr;
}

const FieldSpec* Product::FindField(std::string_view field_name) const {
  for (const auto& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

bool Product::ContextHas(std::string_view dimension) const {
  for (const std::string& d : optimizer_context) {
    if (d == dimension) return true;
  }
  return false;
}

const CurrencyTerms* Product::FindTerms(std::string_view currency_code) const {
  const auto it = currencies.find(std::string(currency_code));
  return it == currencies.end() ? nullptr : &it->second;
}

void PricedQuote::FillQuote(Quote& q) const {
  if (product != nullptr) {
    q.policy_type = product->policy_type;
    q.policy_type_version = product->version;
    q.policy_name = product->name;
    q.policy_code = product->code;
    q.policy_version_id = product->version_id;
    q.policy_group = product->group;
  }
  q.fields_json = fields_json;
  q.policy_start = policy_start;
  q.policy_end = policy_end;
  q.premium = premium;
  q.taxes = taxes;
  q.price = price;
  q.cover_amount = cover_amount;
  q.price_multiplier_nanos = multiplier.nanos;
  q.content = content;
}

const Product* Catalog::Find(std::string_view policy_type, int version) const {
  for (const auto& p : products_) {
    if (p.policy_type == policy_type && p.version == version) return &p;
  }
  return nullptr;
}

const Product* Catalog::FindLatest(std::string_view policy_type) const {
  const Product* best = nullptr;
  for (const auto& p : products_) {
    if (p.policy_type == policy_type && (best == nullptr || p.version > best->version)) best = &p;
  }
  return best;
}

PriceBands Catalog::PriceBandsFor(const std::string& currency) const {
  if (auto it = price_bands_.find(currency); it != price_bands_.end()) return it->second;
  // A currency the catalog does not sell in: the default edges at its
  // exponent, each rounded up to a whole minor unit (the loader checked that
  // they are exact in every currency the catalog sells in).
  const Currency* c = FindCurrency(currency);
  const int exponent = c != nullptr ? c->exponent : 2;
  constexpr int kFine = 9;
  std::int64_t scale = 1;
  for (int i = exponent; i < kFine; ++i) scale *= 10;
  PriceBands bands;
  for (const std::string& text : default_band_edges_) {
    const std::optional<MinorUnits> fine = ParseDecimal(text, kFine);
    if (!fine || *fine <= 0) continue;
    const MinorUnits edge = (*fine + scale - 1) / scale;
    if (bands.edges.empty() || edge > bands.edges.back()) bands.edges.push_back(edge);
  }
  return bands;
}

std::optional<std::vector<std::string>> TemplatePlaceholders(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{') {
      if (i + 1 < text.size() && text[i + 1] == '{') {
        ++i;
        continue;
      }
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      const std::string_view name = text.substr(i + 1, close - i - 1);
      if (name.empty() || name.find('{') != std::string_view::npos) return std::nullopt;
      names.emplace_back(name);
      i = close;
    } else if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        ++i;
        continue;
      }
      return std::nullopt;
    }
  }
  return names;
}

std::string RenderTemplate(std::string_view text,
                           const std::function<std::string(std::string_view)>& value_of) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '{') {
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {  // unbalanced: the loader refuses these
        out.append(text.substr(i));
        break;
      }
      out += value_of(text.substr(i + 1, close - i - 1));
      i = close;
      continue;
    }
    out += c;
  }
  return out;
}

std::string CanonicalJson(const boost::json::value& v) {
  std::string out;
  AppendCanonical(v, out);
  return out;
}

}  // namespace offerledger
