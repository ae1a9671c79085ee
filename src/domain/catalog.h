// Catalog: the products offerledger sells and how each is priced. Loaded
// from a JSON file (format: docs/catalog.md; default: catalog/default.json).
// A Catalog is immutable after loading and safe to share between threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "common/result.h"
#include "common/time.h"
#include "domain/conversion.h"
#include "domain/email_template.h"
#include "domain/money.h"
#include "domain/quote_package.h"

namespace offerledger {

// The type of one request field of a product.
enum class FieldType {
  kString,    // JSON string
  kInteger,   // JSON integer
  kNumber,    // JSON number (integer or decimal)
  kMoney,     // JSON number or decimal string, an amount in the package currency
  kBoolean,   // JSON true/false
  kDateTime,  // RFC 3339 string
  kDate,      // YYYY-MM-DD string
  kCountry,   // ISO 3166-1 alpha-2 string, upper-case
  kArray,     // JSON array of objects, each validated by `items`
};

// The names used in catalog files: "string", "integer", "number", "money",
// "boolean", "datetime", "date", "country", "array".
std::string_view FieldTypeName(FieldType t);
std::optional<FieldType> ParseFieldType(std::string_view name);

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;
  bool nullable = false;          // JSON null accepted (treated as absent)
  std::optional<double> minimum;  // numbers: inclusive bounds
  std::optional<double> maximum;
  std::size_t max_length = 1000;  // strings (in characters); arrays: max items
  std::vector<FieldSpec> items;   // kArray: the fields of each element
  // (For kArray, `minimum`/`maximum` bound the number of items.)

  const FieldSpec* FindItem(std::string_view item_name) const;
};

// Per-currency price limits and fixed fees of a product.
struct CurrencyTerms {
  MinorUnits min_premium = 0;
  MinorUnits max_premium = 0;  // 0 = no maximum
  std::vector<TaxLine> fees;   // fixed fees added on top ("Admin. fee")
};

struct TaxRule {
  std::string code;  // "IPT"
  Rate rate;         // on the premium
};

struct Product {
  std::string policy_type;  // "event_ticket_protection"
  int version = 1;
  std::string name;        // "Missed Event Cover (Generic)"
  std::string code;        // "MECG0001"
  std::string version_id;  // UUID of this product version
  std::string group;       // "event"
  std::vector<FieldSpec> fields;
  // Where the cover period comes from: names of date-time fields, or a fixed
  // duration in days from the start.
  std::string start_field;
  std::string end_field;
  int duration_days = 0;
  // The insured value: the sum of these money paths ("tickets[].price",
  // "parcel_value"), optionally multiplied by an integer field.
  std::vector<std::string> insured_value_paths;
  std::string insured_value_multiplier_field;
  Rate premium_rate;                                             // premium = insured value * rate
  std::map<std::string, CurrencyTerms> currencies;               // the currencies it can be sold in
  std::map<std::string, std::vector<TaxRule>> taxes_by_country;  // "GB" -> IPT 12%
  // Texts; "{field}" placeholders are replaced by the request's values.
  QuoteContent content;
  // Renewable products (a monthly cover) may be renewed by the partner for
  // another period of `renewal_period_days` days, at the catalog price of the
  // day (quote_for_renewal); 0 when not renewable.
  bool renewable = false;
  int renewal_period_days = 0;
  // The instalment plans a booking may choose (docs/catalog.md).
  std::vector<InstalmentPlan> instalment_plans;
  // Booking emails of this product, by event (docs/catalog.md "Email
  // templates"); an event it leaves out uses the catalog-wide template.
  std::map<std::string, EmailTemplate, std::less<>> email_templates;
  // Price optimisation (used by the optimizer): "fixed" or "optimize", and
  // the multiplier grid it may choose from.
  std::string pricing = "fixed";
  std::vector<Rate> multiplier_grid;  // strictly ascending, every entry > 0
  // The dimensions the optimizer learns separately ("optimizer_context"):
  // a subset of kOptimizerDimensions, in that order. The product (its
  // policy_type) is always one: each product has its own grid.
  std::vector<std::string> optimizer_context = {"partner", "policy_type", "customer_country"};
  bool ContextHas(std::string_view dimension) const;

  const FieldSpec* FindField(std::string_view field_name) const;
  const CurrencyTerms* FindTerms(std::string_view currency_code) const;
};

// The dimensions an optimizer context may use. Never personal data.
inline constexpr std::string_view kOptimizerDimensions[] = {"partner", "policy_type",
                                                            "customer_country"};

// Everything the pricing of one quote depends on besides the request.
struct PricingContext {
  std::string currency;
  std::string customer_country;  // taxes follow the customer's country
  Micros now = 0;                // the cover starts now when an optional start field is absent
  Rate multiplier{Rate::kOne};   // the optimizer's choice; 1 = catalog price (must be > 0)
};

// A quote request validated and priced: everything needed to fill a Quote.
struct PricedQuote {
  const Product* product = nullptr;
  std::string fields_json;  // the product fields (without policy_type/version), canonical JSON
  Micros policy_start = 0;
  Micros policy_end = 0;
  MinorUnits cover_amount = 0;  // the insured value
  MinorUnits premium = 0;
  std::vector<TaxLine> taxes;   // fixed fees first, then taxes on the premium
  MinorUnits price = 0;         // premium + taxes
  QuoteContent content;         // placeholders filled in
  std::string currency;         // the currency it was priced in
  Rate multiplier{Rate::kOne};  // the multiplier applied (PricingContext::multiplier)

  // Copies the product, fields, period, prices and content into `q` (its id,
  // status and timestamps are left alone).
  void FillQuote(Quote& q) const;
};

class Catalog {
 public:
  // Parses and validates a catalog document; every problem is reported with
  // its JSON path (e.g. "products[1].taxes.GB[0].rate").
  static Result<std::shared_ptr<const Catalog>> Parse(std::string_view json_text);
  static Result<std::shared_ptr<const Catalog>> LoadFile(const std::string& path);

  const std::vector<Product>& products() const { return products_; }
  const Product* Find(std::string_view policy_type, int version) const;
  // The highest version of `policy_type`, nullptr when there is none.
  const Product* FindLatest(std::string_view policy_type) const;
  const std::string& default_currency() const { return default_currency_; }

  // The price band edges for prices in `currency` (top-level "price_bands"
  // of the catalog file: the currency's own edges, else "default"'s, in the
  // currency's minor units). No edges (every price in band "0+") when the
  // catalog has no "price_bands".
  PriceBands PriceBandsFor(const std::string& currency) const;

  // The email template of `event` for a booking whose first quote is of
  // `policy_type` v`version`: the product's own, else the catalog-wide one
  // (top-level "email_templates"), else the built-in DefaultEmailTemplate.
  const EmailTemplate& EmailTemplateFor(std::string_view policy_type, int version,
                                        std::string_view event) const;

  // Validates one quote request of a package (an object holding
  // "policy_type", "policy_type_version" and the product's fields) and prices
  // it. Field errors are reported under `path_prefix` ("request.0"):
  // unknown fields "Unexpected field", missing ones "This field is required.",
  // wrong types "Expected <type>.". Unknown product or unsupported currency
  // are field errors too.
  // A missing "policy_type_version" means the latest version. An empty
  // ctx.currency means default_currency().
  Result<PricedQuote> PriceQuote(const boost::json::object& quote_request,
                                 const PricingContext& ctx, const std::string& path_prefix) const;

  // PATCH re-pricing: `update_fields` (top-level product fields) replace the
  // same keys of existing.fields_json, and the result is validated and priced
  // again as the same product and version. A "quote_id" key in the update is
  // ignored; "policy_type"/"policy_type_version" are refused unless they
  // repeat the existing values. A JSON null removes a nullable field.
  Result<PricedQuote> RepriceQuote(const Quote& existing, const boost::json::object& update_fields,
                                   const PricingContext& ctx, const std::string& path_prefix) const;

 private:
  std::vector<Product> products_;
  std::string default_currency_ = "GBP";
  // "price_bands": the edges of each currency listed, and of each other
  // currency the catalog sells in (from "default"), in minor units.
  std::map<std::string, PriceBands> price_bands_;
  std::vector<std::string> default_band_edges_;  // "default", as written (major units)
  std::map<std::string, EmailTemplate, std::less<>> email_templates_;  // catalog-wide, by event
};

// Content templates: "{field}" is replaced by the request's value of that
// top-level field; "{{" and "}}" are literal braces. TemplatePlaceholders
// lists the names used, or nullopt when a brace is unbalanced or a name empty.
std::optional<std::vector<std::string>> TemplatePlaceholders(std::string_view text);
std::string RenderTemplate(std::string_view text,
                           const std::function<std::string(std::string_view)>& value_of);

// Canonical JSON: no whitespace, object keys sorted bytewise (recursively),
// numbers in their shortest round-trip form. Equal values give equal text.
std::string CanonicalJson(const boost::json::value& v);

}  // namespace offerledger
