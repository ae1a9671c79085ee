// Catalog::Parse and Catalog::LoadFile: the catalog file (docs/catalog.md)
// into validated Products. Every problem is collected, each with its JSON
// path ("products[1].taxes.GB[0].rate: not a decimal"), so that an operator
// fixes a broken catalog in one pass.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include "domain/catalog.h"
#include "domain/ids.h"

namespace offerledger {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxCatalogBytes = 16 * 1024 * 1024;
constexpr int kMaxDurationDays = 3660;
constexpr std::size_t kMaxFieldNameLength = 64;
constexpr std::int64_t kMaxMultiplier = 10 * Rate::kOne;
// Price band edges are checked at 9 decimal places, up to 1,000,000 major units.
constexpr int kBandScale = 9;
constexpr std::int64_t kMaxBandEdge = std::int64_t{1'000'000} * 1'000'000'000;

json::parse_options CatalogParseOptions() {
  json::parse_options opts;
  opts.allow_comments = true;         // a hand-edited file: `//` and `/* */` notes are welcome
  opts.allow_trailing_commas = true;  // ...and so is a trailing comma
  opts.max_depth = 32;
  return opts;
}

std::string Join(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out = base;
  out += '.';
  out += key;
  return out;
}
std::string Index(const std::string& base, std::size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

// A first pass over the text with Boost.JSON's SAX parser: finds syntax
// errors with their line and column, and duplicate object keys (which the
// DOM parser silently collapses: the last one wins).
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  std::vector<FieldError> problems;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) {
    stack_.push_back({true, 0, {}, NextPath(), {}});
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) { return Close(); }
  bool on_object_begin(json::error_code&) {
    stack_.push_back({false, 0, {}, NextPath(), {}});
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) { return Close(); }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return Done(); }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    Frame& top = stack_.back();
    top.key = std::move(key_);
    key_.clear();
    if (!top.keys.insert(top.key).second) {
      problems.push_back({Join(top.path, top.key), "duplicate key"});
    }
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return Done(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return Done(); }
  bool on_double(double, json::string_view, json::error_code&) { return Done(); }
  bool on_bool(bool, json::error_code&) { return Done(); }
  bool on_null(json::error_code&) { return Done(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    bool is_array;
    std::size_t index;
    std::set<std::string> keys;
    std::string path;
    std::string key;
  };
  std::string NextPath() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    return top.is_array ? Index(top.path, top.index) : Join(top.path, top.key);
  }
  bool Done() {
    if (!stack_.empty() && stack_.back().is_array) ++stack_.back().index;
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return Done();
  }
  std::vector<Frame> stack_;
  std::string key_;
};

std::string LineColumn(std::string_view text, std::size_t offset) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// Reads one product (or the whole document) and records what is wrong.
class Loader {
 public:
  std::vector<FieldError> problems;

  void Add(std::string path, std::string message) {
    problems.push_back({std::move(path), std::move(message)});
  }

  // Flags keys of `obj` not in `allowed`.
  void CheckKeys(const json::object& obj, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : obj) {
      const std::string_view k(kv.key().data(), kv.key().size());
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        Add(Join(path, k), "unknown key");
      }
    }
  }

  const json::value* Get(const json::object& obj, std::string_view key, const std::string& path,
                         bool required) {
    const auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) Add(Join(path, key), "required");
      return nullptr;
    }
    return &it->value();
  }

  std::optional<std::string> String(const json::object& obj, std::string_view key,
                                    const std::string& path, bool required, bool non_empty = true) {
    const json::value* v = Get(obj, key, path, required);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      Add(Join(path, key), "expected a string");
      return std::nullopt;
    }
    std::string s(v->get_string().data(), v->get_string().size());
    if (non_empty && s.empty()) {
      Add(Join(path, key), "must not be empty");
      return std::nullopt;
    }
    return s;
  }

  std::optional<bool> Bool(const json::object& obj, std::string_view key, const std::string& path) {
    const json::value* v = Get(obj, key, path, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_bool()) {
      Add(Join(path, key), "expected true or false");
      return std::nullopt;
    }
    return v->get_bool();
  }

  std::optional<std::int64_t> Integer(const json::object& obj, std::string_view key,
                                      const std::string& path, bool required) {
    const json::value* v = Get(obj, key, path, required);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    Add(Join(path, key), "expected an integer");
    return std::nullopt;
  }

  std::optional<double> Number(const json::object& obj, std::string_view key,
                               const std::string& path) {
    const json::value* v = Get(obj, key, path, false);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    if (v->is_double()) return v->get_double();
    Add(Join(path, key), "expected a number");
    return std::nullopt;
  }

  const json::object* Object(const json::object& obj, std::string_view key, const std::string& path,
                             bool required) {
    const json::value* v = Get(obj, key, path, required);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
      Add(Join(path, key), "expected an object");
      return nullptr;
    }
    return &v->get_object();
  }

  const json::array* Array(const json::object& obj, std::string_view key, const std::string& path,
                           bool required) {
    const json::value* v = Get(obj, key, path, required);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Add(Join(path, key), "expected an array");
      return nullptr;
    }
    return &v->get_array();
  }

  // A decimal string ("0.009") as a Rate.
  std::optional<Rate> RateAt(const json::value& v, const std::string& path) {
    if (!v.is_string()) {
      Add(path, "expected a decimal string such as \"0.12\"");
      return std::nullopt;
    }
    const std::string_view s(v.get_string().data(), v.get_string().size());
    auto r = ParseRate(s);
    if (!r) Add(path, "not a decimal (a non-negative rate with at most 9 decimal places)");
    return r;
  }

  // A decimal string amount in `currency`.
  std::optional<MinorUnits> AmountAt(const json::value& v, const std::string& path,
                                     const Currency& currency) {
    if (!v.is_string()) {
      Add(path, "expected a decimal string such as \"1.00\"");
      return std::nullopt;
    }
    const std::string_view s(v.get_string().data(), v.get_string().size());
    auto a = ParseDecimal(s, currency.exponent);
    if (!a) {
      Add(path, "not a decimal amount in " + std::string(currency.code) + " (at most " +
                    std::to_string(currency.exponent) + " decimal places)");
      return std::nullopt;
    }
    if (*a < 0) {
      Add(path, "must not be negative");
      return std::nullopt;
    }
    return a;
  }

  static bool IsFieldName(std::string_view s) {
    if (s.empty() || s.size() > kMaxFieldNameLength || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
  }
  static bool IsCountryCode(std::string_view s) {
    return s.size() == 2 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  }

  // "fields" / "items": name -> spec.
  std::vector<FieldSpec> Fields(const json::object& obj, const std::string& path, int depth) {
    std::vector<FieldSpec> out;
    if (obj.empty()) Add(path, "must name at least one field");
    for (const auto& kv : obj) {
      const std::string name(kv.key().data(), kv.key().size());
      const std::string fpath = Join(path, name);
      if (!IsFieldName(name)) {
        Add(fpath, "field names are lower-case letters, digits and '_', starting with a letter");
      } else if (depth == 0 &&
                 (name == "policy_type" || name == "policy_type_version" || name == "quote_id")) {
        Add(fpath, "reserved name");
      }
      if (!kv.value().is_object()) {
        Add(fpath, "expected an object");
        continue;
      }
      out.push_back(Field(name, kv.value().get_object(), fpath, depth));
    }
    return out;
  }

  FieldSpec Field(const std::string& name, const json::object& obj, const std::string& path,
                  int depth) {
    CheckKeys(obj, path,
              {"type", "required", "nullable", "minimum", "maximum", "max_length", "items"});
    FieldSpec f;
    f.name = name;
    if (auto t = String(obj, "type", path, true)) {
      if (auto ft = ParseFieldType(*t)) {
        f.type = *ft;
      } else {
        Add(Join(path, "type"),
            "unknown type \"" + *t +
                "\" (string, integer, number, money, boolean, datetime, date, country, array)");
      }
    }
    f.required = Bool(obj, "required", path).value_or(false);
    f.nullable = Bool(obj, "nullable", path).value_or(false);
    if (f.required && f.nullable)
      Add(Join(path, "nullable"), "a required field cannot be nullable");
    const bool numeric = f.type == FieldType::kInteger || f.type == FieldType::kNumber ||
                         f.type == FieldType::kMoney || f.type == FieldType::kArray;
    f.minimum = Number(obj, "minimum", path);
    f.maximum = Number(obj, "maximum", path);
    if (!numeric && (f.minimum || f.maximum)) {
      Add(Join(path, f.minimum ? "minimum" : "maximum"),
          "only integer, number, money and array fields have bounds");
    }
    if (f.minimum && f.maximum && *f.minimum > *f.maximum) {
      Add(Join(path, "minimum"), "greater than maximum");
    }
    if (f.type == FieldType::kMoney && f.minimum && *f.minimum < 0) {
      Add(Join(path, "minimum"), "money amounts are never negative");
    }
    if (f.type == FieldType::kArray && f.minimum && *f.minimum < 0) {
      Add(Join(path, "minimum"), "an item count cannot be negative");
    }
    if (const json::value* ml = Get(obj, "max_length", path, false)) {
      if (f.type != FieldType::kString && f.type != FieldType::kArray) {
        Add(Join(path, "max_length"), "only string and array fields have a max_length");
      } else if (!ml->is_int64() || ml->get_int64() < 1 || ml->get_int64() > 1'000'000) {
        Add(Join(path, "max_length"), "expected an integer from 1 to 1000000");
      } else {
        f.max_length = static_cast<std::size_t>(ml->get_int64());
      }
    }
    const json::value* items = Get(obj, "items", path, false);
    if (f.type == FieldType::kArray) {
      if (items == nullptr) {
        Add(Join(path, "items"), "required for an array field");
      } else if (!items->is_object()) {
        Add(Join(path, "items"), "expected an object of fields");
      } else if (depth >= 3) {
        Add(Join(path, "items"), "arrays nest at most 3 deep");
      } else {
        f.items = Fields(items->get_object(), Join(path, "items"), depth + 1);
      }
    } else if (items != nullptr) {
      Add(Join(path, "items"), "only array fields have items");
    }
    return f;
  }

  void CoverPeriod(Product& p, const json::object& obj, const std::string& path) {
    CheckKeys(obj, path, {"start_field", "end_field", "duration_days"});
    auto check_date_field = [&](const std::string& name, std::string_view key) -> const FieldSpec* {
      const FieldSpec* f = p.FindField(name);
      if (f == nullptr) {
        Add(Join(path, key), "\"" + name + "\" is not a field of this product");
      } else if (f->type != FieldType::kDateTime && f->type != FieldType::kDate) {
        Add(Join(path, key), "\"" + name + "\" is not a datetime or date field");
        return nullptr;
      }
      return f;
    };
    if (auto s = String(obj, "start_field", path, true)) {
      p.start_field = *s;
      check_date_field(*s, "start_field");
    }
    const bool has_end = obj.contains("end_field");
    const bool has_duration = obj.contains("duration_days");
    if (has_end == has_duration) {
      Add(path, "needs exactly one of end_field and duration_days");
    }
    if (auto e = String(obj, "end_field", path, false)) {
      p.end_field = *e;
      const FieldSpec* f = check_date_field(*e, "end_field");
      if (f != nullptr && !f->required) {
        Add(Join(path, "end_field"), "\"" + *e + "\" must be a required field");
      }
      if (*e == p.start_field) Add(Join(path, "end_field"), "same as start_field");
    }
    if (auto d = Integer(obj, "duration_days", path, false)) {
      if (*d < 1 || *d > kMaxDurationDays) {
        Add(Join(path, "duration_days"),
            "expected from 1 to " + std::to_string(kMaxDurationDays) + " days");
      } else {
        p.duration_days = static_cast<int>(*d);
      }
    }
  }

  // "tickets[].price": array fields with [] down to a money field.
  bool IsMoneyPath(const Product& p, std::string_view path) {
    const std::vector<FieldSpec>* fields = &p.fields;
    while (true) {
      const std::size_t dot = path.find('.');
      std::string_view seg = path.substr(0, dot);
      const bool is_array = seg.size() > 2 && seg.substr(seg.size() - 2) == "[]";
      if (is_array) seg.remove_suffix(2);
      const auto it = std::find_if(fields->begin(), fields->end(),
                                   [&](const FieldSpec& f) { return f.name == seg; });
      if (it == fields->end()) return false;
      if (dot == std::string_view::npos) return !is_array && it->type == FieldType::kMoney;
      if (!is_array || it->type != FieldType::kArray) return false;
      fields = &it->items;
      path.remove_prefix(dot + 1);
    }
  }

  void InsuredValue(Product& p, const json::object& obj, const std::string& path) {
    CheckKeys(obj, path, {"paths", "multiplier_field"});
    if (const json::array* paths = Array(obj, "paths", path, true)) {
      if (paths->empty()) Add(Join(path, "paths"), "must name at least one money field");
      for (std::size_t i = 0; i < paths->size(); ++i) {
        const std::string ipath = Index(Join(path, "paths"), i);
        const json::value& v = (*paths)[i];
        if (!v.is_string()) {
          Add(ipath, "expected a string such as \"tickets[].price\"");
          continue;
        }
        std::string s(v.get_string().data(), v.get_string().size());
        if (!IsMoneyPath(p, s)) {
          Add(ipath, "\"" + s + "\" does not name a money field");
        } else if (std::find(p.insured_value_paths.begin(), p.insured_value_paths.end(), s) !=
                   p.insured_value_paths.end()) {
          Add(ipath, "\"" + s + "\" is listed twice");
        } else {
          p.insured_value_paths.push_back(std::move(s));
        }
      }
    }
    if (auto m = String(obj, "multiplier_field", path, false)) {
      const FieldSpec* f = p.FindField(*m);
      if (f == nullptr || f->type != FieldType::kInteger) {
        Add(Join(path, "multiplier_field"), "\"" + *m + "\" is not an integer field");
      } else if (!f->minimum || *f->minimum < 0) {
        Add(Join(path, "multiplier_field"),
            "\"" + *m + "\" needs a minimum of 0 or more (a multiplier is never negative)");
      } else {
        p.insured_value_multiplier_field = *m;
      }
    }
  }

  void Currencies(Product& p, const json::object& obj, const std::string& path) {
    if (obj.empty()) Add(path, "must offer at least one currency");
    for (const auto& kv : obj) {
      const std::string code(kv.key().data(), kv.key().size());
      const std::string cpath = Join(path, code);
      const Currency* currency = FindCurrency(code);
      if (currency == nullptr) {
        Add(cpath, "unknown currency");
        continue;
      }
      if (!kv.value().is_object()) {
        Add(cpath, "expected an object");
        continue;
      }
      const json::object& t = kv.value().get_object();
      CheckKeys(t, cpath, {"min_premium", "max_premium", "fees"});
      CurrencyTerms terms;
      bool ok = true;
      if (const json::value* v = Get(t, "min_premium", cpath, false)) {
        auto a = AmountAt(*v, Join(cpath, "min_premium"), *currency);
        ok = ok && a.has_value();
        terms.min_premium = a.value_or(0);
      }
      if (const json::value* v = Get(t, "max_premium", cpath, false)) {
        auto a = AmountAt(*v, Join(cpath, "max_premium"), *currency);
        ok = ok && a.has_value();
        terms.max_premium = a.value_or(0);
      }
      if (ok && terms.max_premium > 0 && terms.min_premium > terms.max_premium) {
        Add(Join(cpath, "min_premium"), "min_premium " +
                                            FormatDecimal(terms.min_premium, currency->exponent) +
                                            " is greater than max_premium " +
                                            FormatDecimal(terms.max_premium, currency->exponent));
      }
      if (const json::array* fees = Array(t, "fees", cpath, false)) {
        std::set<std::string> codes;
        for (std::size_t i = 0; i < fees->size(); ++i) {
          const std::string fpath = Index(Join(cpath, "fees"), i);
          if (!(*fees)[i].is_object()) {
            Add(fpath, "expected an object {\"code\", \"amount\"}");
            continue;
          }
          const json::object& fee = (*fees)[i].get_object();
          CheckKeys(fee, fpath, {"code", "amount"});
          TaxLine line;
          if (auto c = String(fee, "code", fpath, true)) {
            line.code = *c;
            if (!codes.insert(*c).second) Add(Join(fpath, "code"), "duplicate fee code");
          }
          if (const json::value* a = Get(fee, "amount", fpath, true)) {
            line.amount = AmountAt(*a, Join(fpath, "amount"), *currency).value_or(0);
          }
          terms.fees.push_back(std::move(line));
        }
      }
      p.currencies.emplace(code, std::move(terms));
    }
  }

  void Taxes(Product& p, const json::object& obj, const std::string& path) {
    for (const auto& kv : obj) {
      const std::string country(kv.key().data(), kv.key().size());
      const std::string cpath = Join(path, country);
      if (!IsCountryCode(country)) {
        Add(cpath, "expected a two-letter upper-case country code (ISO 3166-1 alpha-2)");
      }
      if (!kv.value().is_array()) {
        Add(cpath, "expected an array of {\"code\", \"rate\"}");
        continue;
      }
      std::vector<TaxRule> rules;
      std::set<std::string> codes;
      const json::array& arr = kv.value().get_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string rpath = Index(cpath, i);
        if (!arr[i].is_object()) {
          Add(rpath, "expected an object {\"code\", \"rate\"}");
          continue;
        }
        const json::object& r = arr[i].get_object();
        CheckKeys(r, rpath, {"code", "rate"});
        TaxRule rule;
        if (auto c = String(r, "code", rpath, true)) {
          rule.code = *c;
          if (!codes.insert(*c).second) Add(Join(rpath, "code"), "duplicate tax code");
        }
        if (const json::value* v = Get(r, "rate", rpath, true)) {
          if (auto rate = RateAt(*v, Join(rpath, "rate"))) {
            if (rate->nanos > Rate::kOne) Add(Join(rpath, "rate"), "a tax rate above 1 (100%)");
            rule.rate = *rate;
          }
        }
        rules.push_back(std::move(rule));
      }
      p.taxes_by_country.emplace(country, std::move(rules));
    }
  }

  void Content(Product& p, const json::object& obj, const std::string& path) {
    CheckKeys(obj, path, {"title", "description", "optout_msg", "disclaimer"});
    auto text = [&](std::string_view key, std::string& out, bool required) {
      auto s = String(obj, key, path, required, required);
      if (!s) return;
      out = *s;
      const auto names = TemplatePlaceholders(*s);
      if (!names) {
        Add(Join(path, key), "unbalanced { } (write {{ and }} for literal braces)");
        return;
      }
      for (const auto& n : *names) {
        if (p.FindField(n) == nullptr) {
          Add(Join(path, key), "placeholder {" + n + "} is not a field of this product");
        }
      }
    };
    text("title", p.content.title, true);
    text("description", p.content.description, false);
    text("optout_msg", p.content.optout_msg, false);
    text("disclaimer", p.content.disclaimer, false);
  }

  void Grid(Product& p, const json::array& arr, const std::string& path) {
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string gpath = Index(path, i);
      auto r = RateAt(arr[i], gpath);
      if (!r) continue;
      if (r->nanos == 0 || r->nanos > kMaxMultiplier) {
        Add(gpath, "a multiplier must be greater than 0 and at most 10");
        continue;
      }
      if (!p.multiplier_grid.empty() && r->nanos <= p.multiplier_grid.back().nanos) {
        Add(gpath, "the grid must be strictly ascending");
        continue;
      }
      p.multiplier_grid.push_back(*r);
    }
  }

  // The optimizer's context dimensions: names from kOptimizerDimensions, each
  // at most once; kept in the canonical order, policy_type always included.
  void OptimizerContext(Product& p, const json::array& arr, const std::string& path) {
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string dpath = Index(path, i);
      if (!arr[i].is_string()) {
        Add(dpath, "expected one of \"partner\", \"policy_type\", \"customer_country\"");
        continue;
      }
      const std::string name(arr[i].get_string().data(), arr[i].get_string().size());
      bool known = false;
      for (std::string_view d : kOptimizerDimensions) known = known || d == name;
      if (!known) {
        Add(dpath, "unknown dimension '" + name +
                       "': only \"partner\", \"policy_type\" and \"customer_country\" "
                       "(never personal data)");
        continue;
      }
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
        Add(dpath, "'" + name + "' is listed twice");
        continue;
      }
      seen.push_back(name);
    }
    p.optimizer_context.clear();
    for (std::string_view d : kOptimizerDimensions) {
      if (d == "policy_type" || std::find(seen.begin(), seen.end(), d) != seen.end()) {
        p.optimizer_context.emplace_back(d);
      }
    }
  }

  // One list of price band edges: decimal strings in major units, strictly
  // ascending, each > 0 and at most kMaxBandEdge. Returns the edges at
  // `exponent` (nullopt entries dropped) and records the problems; with
  // `exponent` < 0 only the form is checked (the "default" list).
  std::vector<MinorUnits> BandEdges(const json::value& v, const std::string& path, int exponent,
                                    std::vector<std::string>* texts) {
    std::vector<MinorUnits> edges;
    if (!v.is_array()) {
      Add(path, "expected an array of decimal strings such as [\"5\", \"10\"]");
      return edges;
    }
    const json::array& arr = v.get_array();
    MinorUnits last = 0;
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const std::string epath = Index(path, i);
      if (!arr[i].is_string()) {
        Add(epath, "expected a decimal string such as \"5\"");
        continue;
      }
      const std::string text(arr[i].get_string().data(), arr[i].get_string().size());
      // Checked at the finest scale first: the form, the sign, the bound, the order.
      const std::optional<MinorUnits> fine = ParseDecimal(text, kBandScale);
      if (!fine) {
        Add(epath,
            "not a decimal amount (at most " + std::to_string(kBandScale) + " decimal places)");
        continue;
      }
      if (*fine <= 0 || *fine > kMaxBandEdge) {
        Add(epath, "a band edge must be greater than 0 and at most 1000000");
        continue;
      }
      if (*fine <= last) {
        Add(epath, "band edges must be strictly ascending");
        continue;
      }
      last = *fine;
      if (texts != nullptr) texts->push_back(text);
      if (exponent < 0) continue;
      const std::optional<MinorUnits> minor = ParseDecimal(text, exponent);
      if (!minor) {
        Add(epath, "more decimal places than the currency has (" + std::to_string(exponent) + ")");
        continue;
      }
      edges.push_back(*minor);
    }
    return edges;
  }

  // "instalment_plans": [{"name": "1year-monthly", "label": "1Year-Monthly",
  //                        "instalments": 12, "period_months": 1}]
  void InstalmentPlans(Product& p, const json::array& plans, const std::string& path) {
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const std::string ipath = Index(path, i);
      if (!plans[i].is_object()) {
        Add(ipath, "expected an object");
        continue;
      }
      const json::object& o = plans[i].get_object();
      CheckKeys(o, ipath, {"name", "label", "instalments", "period_months"});
      InstalmentPlan plan;
      plan.name = String(o, "name", ipath, true).value_or("");
      plan.label = String(o, "label", ipath, false).value_or(plan.name);
      if (auto n = Integer(o, "instalments", ipath, true)) {
        if (*n < 2 || *n > 120) {
          Add(Join(ipath, "instalments"), "expected 2..120 instalments");
        } else {
          plan.instalments = static_cast<int>(*n);
        }
      }
      if (auto m = Integer(o, "period_months", ipath, true)) {
        if (*m < 1 || *m > 12) {
          Add(Join(ipath, "period_months"), "expected 1..12 months");
        } else {
          plan.period_months = static_cast<int>(*m);
        }
      }
      for (const auto& other : p.instalment_plans) {
        if (!plan.name.empty() && other.name == plan.name) {
          Add(Join(ipath, "name"), "duplicate plan name " + plan.name);
        }
      }
      p.instalment_plans.push_back(std::move(plan));
    }
  }

  // "email_templates": {"<EVENT>": {"subject": "...", "body": "..."}, ...}.
  // Unknown events and placeholders are refused, naming the known ones.
  std::map<std::string, EmailTemplate, std::less<>> EmailTemplates(const json::object& obj,
                                                                   const std::string& path) {
    std::map<std::string, EmailTemplate, std::less<>> out;
    for (const auto& kv : obj) {
      const std::string event(kv.key().data(), kv.key().size());
      const std::string epath = Join(path, event);
      if (!IsEmailEvent(event)) {
        Add(epath, "unknown email event; the events are " + EmailEventList());
        continue;
      }
      if (!kv.value().is_object()) {
        Add(epath, "expected an object {\"subject\", \"body\"}");
        continue;
      }
      const json::object& t = kv.value().get_object();
      CheckKeys(t, epath, {"subject", "body"});
      EmailTemplate tmpl;
      tmpl.subject = String(t, "subject", epath, true).value_or("");
      tmpl.body = String(t, "body", epath, true).value_or("");
      if (tmpl.subject.find('\n') != std::string::npos) {
        Add(Join(epath, "subject"), "one line: no line breaks in a subject");
      }
      if (auto problem = CheckEmailText(tmpl.subject)) Add(Join(epath, "subject"), *problem);
      if (auto problem = CheckEmailText(tmpl.body)) Add(Join(epath, "body"), *problem);
      out.emplace(event, std::move(tmpl));
    }
    return out;
  }

  Product ProductAt(const json::object& obj, const std::string& path) {
    CheckKeys(obj, path,
              {"policy_type", "version", "name", "code", "version_id", "group", "fields",
               "cover_period", "insured_value", "premium_rate", "currencies", "taxes", "content",
               "renewable", "renewal_period_days", "pricing", "multiplier_grid",
               "optimizer_context", "instalment_plans", "email_templates"});
    Product p;
    if (auto s = String(obj, "policy_type", path, true)) {
      p.policy_type = *s;
      if (!IsFieldName(*s)) {
        Add(Join(path, "policy_type"),
            "lower-case letters, digits and '_', starting with a letter");
      }
    }
    if (auto v = Integer(obj, "version", path, true)) {
      if (*v < 1 || *v > 1'000'000) {
        Add(Join(path, "version"), "expected a positive integer");
      } else {
        p.version = static_cast<int>(*v);
      }
    }
    p.name = String(obj, "name", path, true).value_or("");
    p.code = String(obj, "code", path, true).value_or("");
    if (auto s = String(obj, "version_id", path, true)) {
      p.version_id = *s;
      if (!IsUuid(*s)) Add(Join(path, "version_id"), "not a UUID");
    }
    p.group = String(obj, "group", path, true).value_or("");
    if (const json::object* f = Object(obj, "fields", path, true)) {
      p.fields = Fields(*f, Join(path, "fields"), 0);
    }
    if (const json::object* c = Object(obj, "cover_period", path, true)) {
      CoverPeriod(p, *c, Join(path, "cover_period"));
    }
    if (const json::object* iv = Object(obj, "insured_value", path, true)) {
      InsuredValue(p, *iv, Join(path, "insured_value"));
    }
    if (const json::value* r = Get(obj, "premium_rate", path, true)) {
      p.premium_rate = RateAt(*r, Join(path, "premium_rate")).value_or(Rate{});
      if (p.premium_rate.nanos > Rate::kOne) {
        Add(Join(path, "premium_rate"), "a premium rate above 1 (100% of the insured value)");
      }
    }
    if (const json::object* c = Object(obj, "currencies", path, true)) {
      Currencies(p, *c, Join(path, "currencies"));
    }
    if (const json::object* t = Object(obj, "taxes", path, false)) {
      Taxes(p, *t, Join(path, "taxes"));
    }
    if (const json::object* c = Object(obj, "content", path, true)) {
      Content(p, *c, Join(path, "content"));
    }
    p.renewable = Bool(obj, "renewable", path).value_or(false);
    // A renewal needs to know how long the next period is; a period on a
    // product that cannot renew is a mistake worth reporting, not ignoring.
    if (auto days = Integer(obj, "renewal_period_days", path, p.renewable)) {
      if (!p.renewable) {
        Add(Join(path, "renewal_period_days"), "only for renewable products (renewable: true)");
      } else if (*days < 1 || *days > 3660) {
        Add(Join(path, "renewal_period_days"), "expected 1..3660 days");
      } else {
        p.renewal_period_days = static_cast<int>(*days);
      }
    }
    if (auto s = String(obj, "pricing", path, false)) {
      if (*s != "fixed" && *s != "optimize") {
        Add(Join(path, "pricing"), "expected \"fixed\" or \"optimize\"");
      } else {
        p.pricing = *s;
      }
    }
    if (const json::array* g = Array(obj, "multiplier_grid", path, false)) {
      Grid(p, *g, Join(path, "multiplier_grid"));
    }
    if (const json::array* d = Array(obj, "optimizer_context", path, false)) {
      OptimizerContext(p, *d, Join(path, "optimizer_context"));
    }
    if (const json::array* plans = Array(obj, "instalment_plans", path, false)) {
      InstalmentPlans(p, *plans, Join(path, "instalment_plans"));
    }
    if (const json::object* t = Object(obj, "email_templates", path, false)) {
      p.email_templates = EmailTemplates(*t, Join(path, "email_templates"));
    }
    if (p.pricing == "optimize" && p.multiplier_grid.empty()) {
      Add(Join(path, "multiplier_grid"), "required (non-empty) when pricing is \"optimize\"");
    }
    return p;
  }
};

std::string ProblemsMessage(const std::vector<FieldError>& problems) {
  std::string msg = "Invalid catalog (" + std::to_string(problems.size()) +
                    (problems.size() == 1 ? " problem)" : " problems)");
  for (const auto& p : problems) {
    msg += "\n  ";
    msg += p.path.empty() ? "(document)" : p.path;
    msg += ": ";
    msg += p.message;
  }
  return msg;
}

}  // namespace

Result<std::shared_ptr<const Catalog>> Catalog::Parse(std::string_view json_text) {
  const json::parse_options opts = CatalogParseOptions();
  // Pass 1: syntax (with a position) and duplicate keys.
  json::basic_parser<DuplicateKeyFinder> sax(opts);
  json::error_code ec;
  const std::size_t used = sax.write_some(false, json_text.data(), json_text.size(), ec);
  if (ec) {
    std::vector<FieldError> problems = {
        {"", "not valid JSON at " + LineColumn(json_text, used) + ": " + ec.message()}};
    std::string message = ProblemsMessage(problems);
    return Status::Invalid(std::move(message), std::move(problems));
  }
  Loader loader;
  loader.problems = std::move(sax.handler().problems);

  // Pass 2: the document itself.
  const json::value doc = json::parse(json::string_view(json_text.data(), json_text.size()), ec,
                                      json::storage_ptr(), opts);
  if (ec) {
    loader.Add("", "not valid JSON: " + ec.message());
    std::string message = ProblemsMessage(loader.problems);
    return Status::Invalid(std::move(message), std::move(loader.problems));
  }
  auto catalog = std::make_shared<Catalog>();
  if (!doc.is_object()) {
    loader.Add("", "the catalog must be a JSON object {\"default_currency\", \"products\"}");
  } else {
    const json::object& root = doc.get_object();
    loader.CheckKeys(root, "", {"default_currency", "products", "price_bands", "email_templates"});
    if (const json::object* t = loader.Object(root, "email_templates", "", false)) {
      catalog->email_templates_ = loader.EmailTemplates(*t, "email_templates");
    }
    if (auto dc = loader.String(root, "default_currency", "", false)) {
      if (FindCurrency(*dc) == nullptr) {
        loader.Add("default_currency", "unknown currency");
      } else {
        catalog->default_currency_ = *dc;
      }
    }
    if (const json::array* products = loader.Array(root, "products", "", true)) {
      if (products->empty()) loader.Add("products", "must list at least one product");
      std::map<std::pair<std::string, int>, std::size_t> seen;
      std::map<std::string, std::size_t> seen_version_ids;
      for (std::size_t i = 0; i < products->size(); ++i) {
        const std::string ppath = Index("products", i);
        if (!(*products)[i].is_object()) {
          loader.Add(ppath, "expected an object");
          continue;
        }
        Product p = loader.ProductAt((*products)[i].get_object(), ppath);
        if (!p.policy_type.empty()) {
          const auto [it, fresh] = seen.emplace(std::make_pair(p.policy_type, p.version), i);
          if (!fresh) {
            loader.Add(Join(ppath, "version"), "duplicate product " + p.policy_type + " v" +
                                                   std::to_string(p.version) + " (also products[" +
                                                   std::to_string(it->second) + "])");
          }
        }
        if (!p.version_id.empty()) {
          const auto [it, fresh] = seen_version_ids.emplace(p.version_id, i);
          if (!fresh) {
            loader.Add(Join(ppath, "version_id"),
                       "duplicate version_id (also products[" + std::to_string(it->second) + "])");
          }
        }
        catalog->products_.push_back(std::move(p));
      }
    }
    if (const json::object* bands = loader.Object(root, "price_bands", "", false)) {
      // The currencies whose edges come from "default": every other one the catalog sells in.
      std::set<std::string> sold_in = {catalog->default_currency_};
      for (const Product& p : catalog->products_) {
        for (const auto& [code, terms] : p.currencies) sold_in.insert(code);
      }
      bool has_default = false;
      bool default_ok = false;
      for (const auto& kv : *bands) {
        const std::string key(kv.key().data(), kv.key().size());
        const std::string bpath = Join("price_bands", key);
        if (key == "default") {
          has_default = true;
          const std::size_t before = loader.problems.size();
          loader.BandEdges(kv.value(), bpath, -1, &catalog->default_band_edges_);
          default_ok = loader.problems.size() == before;
          continue;
        }
        const Currency* c = FindCurrency(key);
        if (c == nullptr) {
          loader.Add(bpath, "unknown currency (expected \"default\" or an ISO 4217 code)");
          continue;
        }
        catalog->price_bands_[key].edges =
            loader.BandEdges(kv.value(), bpath, c->exponent, nullptr);
      }
      for (const std::string& code : sold_in) {
        const Currency* c = FindCurrency(code);
        if (c == nullptr || catalog->price_bands_.contains(code)) continue;
        if (!has_default) {
          loader.Add("price_bands.default",
                     "required: " + code + " is sold and has no price bands of its own");
          break;
        }
        if (!default_ok) break;
        // The default edges must be exact in this currency ("2.5" is not, in JPY).
        PriceBands& b = catalog->price_bands_[code];
        for (std::size_t i = 0; i < catalog->default_band_edges_.size(); ++i) {
          const auto edge = ParseDecimal(catalog->default_band_edges_[i], c->exponent);
          if (!edge) {
            loader.Add(Index("price_bands.default", i), "more decimal places than " + code +
                                                            " has (" + std::to_string(c->exponent) +
                                                            "): give " + code + " its own edges");
            continue;
          }
          b.edges.push_back(*edge);
        }
      }
    }
  }
  if (!loader.problems.empty()) {
    // (The message first: argument evaluation order is unspecified.)
    std::string message = ProblemsMessage(loader.problems);
    return Status::Invalid(std::move(message), std::move(loader.problems));
  }
  return std::shared_ptr<const Catalog>(std::move(catalog));
}

Result<std::shared_ptr<const Catalog>> Catalog::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("Cannot open the catalog file " + path + ".");
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxCatalogBytes) {
      return Status::Invalid("The catalog file " + path + " is larger than 16 MiB.");
    }
  }
  if (in.bad()) return Status::Internal("Cannot read the catalog file " + path + ".");
  auto parsed = Parse(text);
  if (!parsed.ok()) {
    return Status::Invalid(path + ": " + parsed.status().message(), parsed.status().fields());
  }
  return parsed;
}

}  // namespace offerledger
