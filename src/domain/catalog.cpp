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

// A JSON string literal exactly as boost::json::serialize writes one, which
// canonical JSON used before (stored documents must stay byte-identical):
// '"', '\\' and the C0 controls escaped (\b \t \n \f \r, the others as
// \u00xx), every other byte as it is. Written in place: serialize() built a
// std::string per string and per key.
void AppendQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t run = i;
    while (i < s.size() && static_cast<unsigned char>(s[i]) >= 0x20 && s[i] != '"' &&
           s[i] != '\\') {
      ++i;
    }
    out.append(s.data() + run, i - run);
    if (i == s.size()) break;
    const char c = s[i++];
    out += '\\';
    switch (c) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\b':
        out += 'b';
        break;
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\f':
        out += 'f';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out += "u00";
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 15];
    }
  }
  out += '"';
}

template <typename Int>
void AppendInt(std::string& out, Int v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void AppendCanonical(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      AppendInt(out, v.get_int64());
      return;
    case boost::json::kind::uint64:
      AppendInt(out, v.get_uint64());
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
      AppendQuoted(out, std::string_view(v.get_string().data(), v.get_string().size()));
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
        AppendQuoted(out, kv->key());
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
    q.renewable = product->renewable;
    q.instalment_plans = product->instalment_plans;
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

const EmailTemplate& Catalog::EmailTemplateFor(std::string_view policy_type, int version,
                                              std::string_view event) const {
  if (const Product* p = Find(policy_type, version)) {
    if (auto it = p->email_templates.find(event); it != p->email_templates.end()) {
      return it->second;
    }
  }
  if (auto it = email_templates_.find(event); it != email_templates_.end()) return it->second;
  return DefaultEmailTemplate(event);
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
  std::size_t i = 0;
  while (i < text.size()) {
    // The text up to the next brace, in one append.
    const auto brace = std::find_if(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(),
                                    [](char c) { return c == '{' || c == '}'; });
    const auto next = static_cast<std::size_t>(brace - text.begin());
    out.append(text.substr(i, next - i));
    if (next == text.size()) break;
    i = next;
    const char c = text[i];
    if (i + 1 < text.size() && text[i + 1] == c) {  // "{{" or "}}"
      out += c;
      i += 2;
      continue;
    }
    if (c == '{') {
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {  // unbalanced: the loader refuses these
        out.append(text.substr(i));
        break;
      }
      out += value_of(text.substr(i + 1, close - i - 1));
      i = close + 1;
      continue;
    }
    out += c;  // a lone '}'
    ++i;
  }
  return out;
}

std::string CanonicalJson(const boost::json::value& v) {
  std::string out;
  AppendCanonical(v, out);
  return out;
}

}  // namespace offerledger
