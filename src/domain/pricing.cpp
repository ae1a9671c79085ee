// Catalog::PriceQuote and Catalog::RepriceQuote: one quote request validated
// against its product's fields (every problem collected, XCover wording) and
// priced exactly: insured value -> premium (rate, multiplier, min/max) ->
// fees and taxes -> price.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <system_error>
#include <utility>

#include <boost/json.hpp>

#include "domain/catalog.h"

namespace offerledger {

namespace json = boost::json;

namespace {

__extension__ typedef __int128 Int128;

constexpr std::size_t kMaxErrors = 100;                      // per quote request
constexpr std::int64_t kMaxAmountMajor = 1'000'000'000'000;  // 1e12: larger amounts are absurd
constexpr std::size_t kMaxPathKeyBytes = 64;
constexpr std::string_view kValidationMessage = "An API error occurred.";

constexpr std::string_view kUnexpected = "Unexpected field";
constexpr std::string_view kRequired = "This field is required.";
constexpr std::string_view kNotNull = "This field may not be null.";

std::int64_t Pow10(int e) {
  std::int64_t p = 1;
  for (int i = 0; i < e; ++i) p *= 10;
  return p;
}

std::string Join(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out = base;
  out += '.';
  out += key;
  return out;
}

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }

// The shortest decimal that reads back as `d`, without an exponent for
// everyday magnitudes ("100000", not "1e+05").
std::string Shortest(double d) {
  char buf[64];
  const auto r = std::fabs(d) < 1e15
                     ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                     : std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// UTF-8 well-formedness (no overlongs, surrogates or code points past
// U+10FFFF), control characters (C0, DEL, C1) and the length in characters.
struct TextCheck {
  bool valid = true;
  bool control = false;
  std::size_t chars = 0;
};
TextCheck CheckText(std::string_view s) {
  TextCheck out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) out.control = true;
      ++i;
      ++out.chars;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      out.valid = false;
      return out;
    }
    if (i + len > s.size()) {
      out.valid = false;
      return out;
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) {
        out.valid = false;
        return out;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.valid = false;
      return out;
    }
    if (cp >= 0x80 && cp <= 0x9F) out.control = true;
    i += len;
    ++out.chars;
  }
  return out;
}

// A partner-chosen key as it may appear in an error path: printable ASCII
// stand-ins for anything that would make the error body itself invalid.
std::string SafeKey(std::string_view key) {
  const TextCheck t = CheckText(key);
  if (t.valid && !t.control && key.size() <= kMaxPathKeyBytes) return std::string(key);
  std::string out;
  for (char ch : key.substr(0, kMaxPathKeyBytes)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c >= 0x20 && c < 0x7f) ? ch : '?';
  }
  if (key.size() > kMaxPathKeyBytes) out += "...";
  return out;
}

bool IsDecimalSyntax(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == int_start) return false;
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac_start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == frac_start) return false;
  }
  return i == s.size();
}

// A money amount from JSON: an integer, a decimal number or a decimal string,
// in minor units at `exponent`. Never silently rounds a real fraction away.
struct Amount {
  std::optional<MinorUnits> minor;
  std::string_view error;
};
Amount AmountFromJson(const json::value& v, int exponent) {
  constexpr std::string_view kNegative = "Ensure this value is greater than or equal to 0.";
  constexpr std::string_view kTooLarge = "Amount is too large.";
  constexpr std::string_view kDecimals = "Too many decimal places.";
  const std::int64_t scale = Pow10(exponent);
  switch (v.kind()) {
    case json::kind::int64: {
      const std::int64_t i = v.get_int64();
      if (i < 0) return {std::nullopt, kNegative};
      if (i > kMaxAmountMajor) return {std::nullopt, kTooLarge};
      return {i * scale, {}};
    }
    case json::kind::uint64: {
      // Parsed JSON holds non-negative integers as int64; a uint64 comes from
      // a value built in code, or one above INT64_MAX.
      const std::uint64_t u = v.get_uint64();
      if (u > static_cast<std::uint64_t>(kMaxAmountMajor)) return {std::nullopt, kTooLarge};
      return {static_cast<std::int64_t>(u) * scale, {}};
    }
    case json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) return {std::nullopt, "Expected number."};
      if (d < 0) return {std::nullopt, kNegative};
      if (d > static_cast<double>(kMaxAmountMajor)) return {std::nullopt, kTooLarge};
      // The shortest decimal that reads back as `d` is what the sender wrote
      // (up to 15 significant digits, which covers every amount <= 1e12 with
      // two decimals): exact when it fits the currency.
      char buf[400];
      const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
      if (r.ec == std::errc()) {
        if (auto exact = ParseDecimal(std::string_view(buf, r.ptr - buf), exponent)) {
          return {*exact, {}};
        }
      }
      // Binary floating-point noise from the sender (0.1 + 0.2 is sent as
      // 0.30000000000000004): accept within 1e-9 of a representable amount.
      const long double scaled = static_cast<long double>(d) * scale;
      const long long n = std::llround(scaled);
      if (std::fabs(static_cast<long double>(d) - static_cast<long double>(n) / scale) <= 1e-9L) {
        return {static_cast<MinorUnits>(n), {}};
      }
      return {std::nullopt, kDecimals};
    }
    case json::kind::string: {
      const std::string_view s = View(v.get_string());
      if (!IsDecimalSyntax(s)) return {std::nullopt, "Expected number."};
      auto parsed = ParseDecimal(s, exponent);
      if (!parsed) {
        const std::size_t dot = s.find('.');
        if (dot != std::string_view::npos &&
            s.find_last_not_of('0') > dot + static_cast<std::size_t>(exponent)) {
          return {std::nullopt, kDecimals};
        }
        return {std::nullopt, s[0] == '-' ? kNegative : kTooLarge};
      }
      if (*parsed < 0) return {std::nullopt, kNegative};
      if (*parsed > kMaxAmountMajor * scale) return {std::nullopt, kTooLarge};
      return {*parsed, {}};
    }
    default:
      return {std::nullopt, "Expected number."};
  }
}

// Money as it is kept in fields_json: the exact amount as a JSON number
// (an integer when whole; otherwise the nearest double, whose shortest form
// is the exact decimal).
json::value NormalizedAmount(MinorUnits minor, int exponent) {
  const std::int64_t scale = Pow10(exponent);
  if (minor % scale == 0) return json::value(minor / scale);
  return json::value(static_cast<double>(minor) / static_cast<double>(scale));
}

// Where a field is in the request ("request.0.tickets"), for its errors.
// Built only when there is one: most requests have none, and building it
// for every field was a string allocation per field.
struct FieldPath {
  const std::string& parent;
  std::string_view key;
  std::string str() const { return Join(parent, key); }
};

class Validator {
 public:
  explicit Validator(int exponent, std::vector<FieldError>& errors)
      : exponent_(exponent), errors_(errors) {}

  void Add(std::string path, std::string_view message) {
    if (errors_.size() < kMaxErrors) errors_.push_back({std::move(path), std::string(message)});
  }

  // Validates the members of `obj` against `specs` (ignoring the keys in
  // `skip`) and returns them normalized; nulls of nullable fields are dropped.
  json::object Members(const json::object& obj, const std::vector<FieldSpec>& specs,
                       const std::string& path, std::initializer_list<std::string_view> skip) {
    json::object out;
    out.reserve(obj.size());
    for (const auto& kv : obj) {
      const std::string_view key(kv.key().data(), kv.key().size());
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      const auto spec = std::find_if(specs.begin(), specs.end(),
                                     [&](const FieldSpec& f) { return f.name == key; });
      if (spec == specs.end()) {
        Add(Join(path, SafeKey(key)), kUnexpected);
        continue;
      }
      const FieldPath fpath{path, key};
      if (kv.value().is_null()) {
        if (!spec->nullable) Add(fpath.str(), kNotNull);
        continue;
      }
      if (auto v = Value(kv.value(), *spec, fpath)) out[key] = std::move(*v);
    }
    for (const auto& spec : specs) {
      if (spec.required && !obj.contains(spec.name)) Add(Join(path, spec.name), kRequired);
    }
    return out;
  }

 private:
  void Bounds(double v, const FieldSpec& spec, const FieldPath& path) {
    if (spec.minimum && v < *spec.minimum) {
      Add(path.str(),
          "Ensure this value is greater than or equal to " + Shortest(*spec.minimum) + ".");
    } else if (spec.maximum && v > *spec.maximum) {
      Add(path.str(),
          "Ensure this value is less than or equal to " + Shortest(*spec.maximum) + ".");
    }
  }

  std::optional<json::value> Value(const json::value& v, const FieldSpec& spec,
                                   const FieldPath& path) {
    switch (spec.type) {
      case FieldType::kString: {
        if (!v.is_string()) return Fail(path, "Expected string.");
        const std::string_view s = View(v.get_string());
        const TextCheck t = CheckText(s);
        if (!t.valid) return Fail(path, "Invalid UTF-8.");
        if (t.control) return Fail(path, "Control characters are not allowed.");
        if (t.chars > spec.max_length) {
          return Fail(path, "Ensure this field has no more than " +
                                std::to_string(spec.max_length) + " characters.");
        }
        if (spec.required && s.find_first_not_of(' ') == std::string_view::npos) {
          return Fail(path, "This field may not be blank.");
        }
        return v;
      }
      case FieldType::kInteger: {
        std::int64_t i = 0;
        if (v.is_int64()) {
          i = v.get_int64();
        } else if (v.is_uint64()) {
          if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) {
            return Fail(path, "Integer is too large.");
          }
          i = static_cast<std::int64_t>(v.get_uint64());
        } else if (v.is_double() && std::trunc(v.get_double()) == v.get_double() &&
                   std::fabs(v.get_double()) < 9e15) {
          i = static_cast<std::int64_t>(v.get_double());  // 2.0, 1e2: integral
        } else {
          return Fail(path, "Expected integer.");
        }
        const std::size_t before = errors_.size();
        Bounds(static_cast<double>(i), spec, path);
        if (errors_.size() != before) return std::nullopt;
        return json::value(i);
      }
      case FieldType::kNumber: {
        double d = 0;
        if (v.is_int64()) {
          d = static_cast<double>(v.get_int64());
        } else if (v.is_uint64()) {
          d = static_cast<double>(v.get_uint64());
        } else if (v.is_double()) {
          d = v.get_double();
        } else {
          return Fail(path, "Expected number.");
        }
        const std::size_t before = errors_.size();
        Bounds(d, spec, path);
        if (errors_.size() != before) return std::nullopt;
        return v;
      }
      case FieldType::kMoney: {
        const Amount a = AmountFromJson(v, exponent_);
        if (!a.minor) return Fail(path, a.error);
        const std::size_t before = errors_.size();
        Bounds(static_cast<double>(*a.minor) / static_cast<double>(Pow10(exponent_)), spec, path);
        if (errors_.size() != before) return std::nullopt;
        return NormalizedAmount(*a.minor, exponent_);
      }
      case FieldType::kBoolean:
        if (!v.is_bool()) return Fail(path, "Expected boolean.");
        return v;
      case FieldType::kDateTime:
        if (!v.is_string()) return Fail(path, "Expected string.");
        if (!ParseIso8601(View(v.get_string()))) {
          return Fail(path, "Invalid date-time: expected ISO 8601, e.g. 2021-10-01T00:29:29Z.");
        }
        return v;
      case FieldType::kDate:
        if (!v.is_string()) return Fail(path, "Expected string.");
        if (v.get_string().size() != 10 || !ParseIso8601(View(v.get_string()))) {
          return Fail(path, "Invalid date: expected YYYY-MM-DD.");
        }
        return v;
      case FieldType::kCountry: {
        if (!v.is_string()) return Fail(path, "Expected string.");
        const std::string_view s = View(v.get_string());
        if (s.size() != 2 ||
            !std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
          return Fail(path, "Expected a two-letter upper-case country code (ISO 3166-1 alpha-2).");
        }
        return v;
      }
      case FieldType::kArray: {
        if (!v.is_array()) return Fail(path, "Expected array.");
        const json::array& arr = v.get_array();
        const double n = static_cast<double>(arr.size());
        if (spec.minimum && n < *spec.minimum) {
          const double n_min = std::ceil(*spec.minimum);
          return Fail(path, "Ensure this field has at least " + Shortest(n_min) +
                                (n_min == 1 ? " item." : " items."));
        }
        std::size_t max_items = spec.max_length;
        if (spec.maximum) {
          max_items = std::min(max_items, static_cast<std::size_t>(std::max(0.0, *spec.maximum)));
        }
        if (arr.size() > max_items) {
          return Fail(
              path, "Ensure this field has no more than " + std::to_string(max_items) + " items.");
        }
        json::array out;
        out.reserve(arr.size());
        const std::string array_path = path.str();
        for (std::size_t i = 0; i < arr.size(); ++i) {
          const std::string ipath = Join(array_path, std::to_string(i));
          if (!arr[i].is_object()) {
            Add(ipath, "Expected object.");
            continue;
          }
          out.push_back(Members(arr[i].get_object(), spec.items, ipath, {}));
        }
        return json::value(std::move(out));
      }
    }
    return Fail(path, "Unsupported field type.");
  }

  std::nullopt_t Fail(const FieldPath& path, std::string_view message) {
    Add(path.str(), message);
    return std::nullopt;
  }

  int exponent_;
  std::vector<FieldError>& errors_;
};

// Adds the amounts at `path` ("tickets[].price") of a validated object.
void SumAmounts(const json::object& obj, std::string_view path, int exponent, Int128& sum) {
  const std::size_t dot = path.find('.');
  std::string_view seg = path.substr(0, dot);
  if (seg.size() > 2 && seg.substr(seg.size() - 2) == "[]") seg.remove_suffix(2);
  const auto it = obj.find(seg);
  if (it == obj.end() || it->value().is_null()) return;
  if (dot == std::string_view::npos) {
    sum += AmountFromJson(it->value(), exponent).minor.value_or(0);
    return;
  }
  if (!it->value().is_array()) return;
  for (const auto& e : it->value().get_array()) {
    if (e.is_object()) SumAmounts(e.get_object(), path.substr(dot + 1), exponent, sum);
  }
}

// The text a {placeholder} stands for.
std::string PlaceholderValue(const Product& product, const json::object& fields,
                             std::string_view name, const Currency& currency) {
  const auto it = fields.find(name);
  if (it == fields.end()) return "";
  const json::value& v = it->value();
  const FieldSpec* spec = product.FindField(name);
  if (spec != nullptr && spec->type == FieldType::kMoney) {
    const Amount a = AmountFromJson(v, currency.exponent);
    return a.minor ? FormatMoney(*a.minor, currency) : "";  // "£100.00"
  }
  switch (v.kind()) {
    case json::kind::string:
      return std::string(View(v.get_string()));
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return Shortest(v.get_double());
    case json::kind::bool_:
      return v.get_bool() ? "yes" : "no";
    default:
      return "";
  }
}

// Validates `request` (product fields, plus "policy_type"/"policy_type_version"
// which are skipped) for `product` and prices it; problems go to `errors`.
Result<PricedQuote> PriceProduct(const Catalog& catalog, const Product& product,
                                 const json::object& request, const PricingContext& ctx,
                                 const std::string& prefix, std::vector<FieldError>& errors) {
  if (ctx.multiplier.nanos <= 0) {
    return Status::Internal("The price multiplier must be greater than 0.");
  }
  const std::string currency_code =
      ctx.currency.empty() ? catalog.default_currency() : ctx.currency;
  const Currency* currency = FindCurrency(currency_code);
  const CurrencyTerms* terms = product.FindTerms(currency_code);
  if (currency == nullptr) {
    errors.push_back({"currency", "Unsupported currency " + SafeKey(currency_code) + "."});
  } else if (terms == nullptr) {
    errors.push_back({"currency", product.name + " is not offered in " + currency_code + "."});
  }
  const int exponent = currency != nullptr ? currency->exponent : 2;

  Validator validator(exponent, errors);
  json::object fields =
      validator.Members(request, product.fields, prefix, {"policy_type", "policy_type_version"});
  if (!errors.empty()) return Status::Invalid(std::string(kValidationMessage), std::move(errors));

  PricedQuote out;
  out.product = &product;
  out.currency = currency_code;
  out.multiplier = ctx.multiplier;

  // The cover period.
  out.policy_start = ctx.now;
  if (const auto it = fields.find(product.start_field); it != fields.end()) {
    out.policy_start = ParseIso8601(View(it->value().get_string())).value_or(ctx.now);
  }
  if (!product.end_field.empty()) {
    const auto it = fields.find(product.end_field);
    out.policy_end = it != fields.end()
                         ? ParseIso8601(View(it->value().get_string())).value_or(out.policy_start)
                         : out.policy_start;
    if (out.policy_end <= out.policy_start) {
      errors.push_back(
          {Join(prefix, product.end_field),
           "Must be after " +
               (fields.contains(product.start_field) ? product.start_field
                                                     : std::string("the start of cover")) +
               "."});
    }
  } else {
    out.policy_end = out.policy_start + product.duration_days * kMicrosPerDay;
  }

  // The insured value.
  const Int128 max_amount = static_cast<Int128>(kMaxAmountMajor) * Pow10(exponent);
  Int128 insured = 0;
  for (const auto& path : product.insured_value_paths) SumAmounts(fields, path, exponent, insured);
  if (!product.insured_value_multiplier_field.empty()) {
    const auto it = fields.find(product.insured_value_multiplier_field);
    if (it != fields.end() && it->value().is_int64()) {
      insured = insured > max_amount ? insured : insured * it->value().get_int64();
    }
  }
  if (insured > max_amount) {
    const std::string& first = product.insured_value_paths.empty()
                                   ? product.policy_type
                                   : product.insured_value_paths.front();
    errors.push_back(
        {Join(prefix, first.substr(0, first.find('['))), "The insured value is too large."});
  }
  if (!errors.empty()) return Status::Invalid(std::string(kValidationMessage), std::move(errors));
  out.cover_amount = static_cast<MinorUnits>(insured);

  // Premium, clamped to the currency's limits; fees; taxes of the customer's country.
  MinorUnits premium = ApplyRate(out.cover_amount, product.premium_rate);
  premium = ApplyRate(premium, ctx.multiplier);
  premium = std::max(premium, terms->min_premium);
  if (terms->max_premium > 0) premium = std::min(premium, terms->max_premium);
  out.premium = premium;
  out.taxes = terms->fees;
  if (const auto it = product.taxes_by_country.find(ctx.customer_country);
      it != product.taxes_by_country.end()) {
    for (const auto& rule : it->second)
      out.taxes.push_back({rule.code, ApplyRate(premium, rule.rate)});
  }
  out.price = premium;
  for (const auto& line : out.taxes) out.price += line.amount;

  // Texts and the canonical fields.
  const auto value_of = [&](std::string_view name) {
    return PlaceholderValue(product, fields, name, *currency);
  };
  // std::ref: the std::function parameter wraps a reference, not a heap copy.
  out.content.title = RenderTemplate(product.content.title, std::ref(value_of));
  out.content.description = RenderTemplate(product.content.description, std::ref(value_of));
  out.content.optout_msg = RenderTemplate(product.content.optout_msg, std::ref(value_of));
  out.content.disclaimer = RenderTemplate(product.content.disclaimer, std::ref(value_of));
  out.fields_json = CanonicalJson(fields);
  return out;
}

}  // namespace

Result<PricedQuote> Catalog::PriceQuote(const json::object& quote_request,
                                        const PricingContext& ctx,
                                        const std::string& path_prefix) const {
  std::vector<FieldError> errors;
  // Error paths are built only for errors (not for every quote).
  const auto type_path = [&path_prefix] { return Join(path_prefix, "policy_type"); };
  const auto version_path = [&path_prefix] { return Join(path_prefix, "policy_type_version"); };
  const json::value* type = quote_request.if_contains("policy_type");
  const json::value* version = quote_request.if_contains("policy_type_version");
  std::optional<std::int64_t> wanted_version;
  if (version != nullptr && !version->is_null()) {
    if (version->is_int64()) {
      wanted_version = version->get_int64();
    } else {
      errors.push_back({version_path(), "Expected integer."});
    }
  }
  const Product* product = nullptr;
  if (type == nullptr || type->is_null()) {
    errors.push_back({type_path(), std::string(kRequired)});
  } else if (!type->is_string()) {
    errors.push_back({type_path(), "Expected string."});
  } else {
    const std::string_view name = View(type->get_string());
    const Product* latest = FindLatest(name);
    if (latest == nullptr) {
      errors.push_back({type_path(), "Unknown policy type " + SafeKey(name) + "."});
    } else if (wanted_version) {
      if (*wanted_version > 0 && *wanted_version <= latest->version) {
        product = Find(name, static_cast<int>(*wanted_version));
      }
      if (product == nullptr) {
        errors.push_back({type_path(), "Unknown version " + std::to_string(*wanted_version) +
                                           " of policy type " + std::string(name) + "."});
      }
    } else if (errors.empty()) {
      product = latest;
    }
  }
  if (product == nullptr || !errors.empty()) {
    return Status::Invalid(std::string(kValidationMessage), std::move(errors));
  }
  return PriceProduct(*this, *product, quote_request, ctx, path_prefix, errors);
}

Result<PricedQuote> Catalog::RepriceQuote(const Quote& existing, const json::object& update_fields,
                                          const PricingContext& ctx,
                                          const std::string& path_prefix) const {
  std::vector<FieldError> errors;
  const Product* product = Find(existing.policy_type, existing.policy_type_version);
  if (product == nullptr) {
    errors.push_back({Join(path_prefix, "policy_type"),
                      "Policy type " + existing.policy_type + " version " +
                          std::to_string(existing.policy_type_version) + " is no longer offered."});
    return Status::Invalid(std::string(kValidationMessage), std::move(errors));
  }
  json::error_code ec;
  json::value stored = json::parse(existing.fields_json.empty() ? "{}" : existing.fields_json, ec);
  if (ec || !stored.is_object()) {
    return Status::Internal("The stored fields of quote " + existing.id +
                            " are not a JSON object.");
  }
  json::object merged = std::move(stored.get_object());
  for (const auto& kv : update_fields) {
    const std::string_view key(kv.key().data(), kv.key().size());
    if (key == "quote_id") continue;
    if (key == "policy_type") {
      if (!(kv.value().is_string() && View(kv.value().get_string()) == existing.policy_type)) {
        errors.push_back({Join(path_prefix, key), "This field cannot be changed."});
      }
      continue;
    }
    if (key == "policy_type_version") {
      if (!(kv.value().is_int64() && kv.value().get_int64() == existing.policy_type_version)) {
        errors.push_back({Join(path_prefix, key), "This field cannot be changed."});
      }
      continue;
    }
    merged[key] = kv.value();
  }
  return PriceProduct(*this, *product, merged, ctx, path_prefix, errors);
}

}  // namespace offerledger
