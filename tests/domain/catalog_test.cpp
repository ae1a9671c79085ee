// Catalog loading and validation: the default catalog, and each kind of
// broken catalog reported with its JSON path.
#include "domain/catalog.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace offerledger {
namespace {

namespace json = boost::json;

const char* kDefaultCatalog = OFFERLEDGER_SOURCE_DIR "/catalog/default.json";

// A small valid catalog that the tests break one way at a time.
json::value BaseDoc() {
  return json::parse(R"({
    "default_currency": "GBP",
    "products": [{
      "policy_type": "widget_cover", "version": 1, "name": "Widget Cover", "code": "WDGT0001",
      "version_id": "0b9c8d4e-1111-4222-8333-944455556666", "group": "retail",
      "fields": {
        "start": {"type": "datetime", "required": true},
        "end": {"type": "datetime", "required": true},
        "count": {"type": "integer", "required": true, "minimum": 0},
        "note": {"type": "string"},
        "items": {"type": "array", "required": true,
                  "items": {"value": {"type": "money", "required": true}}}
      },
      "cover_period": {"start_field": "start", "end_field": "end"},
      "insured_value": {"paths": ["items[].value"], "multiplier_field": "count"},
      "premium_rate": "0.01",
      "currencies": {"GBP": {"min_premium": "1.00", "max_premium": "10.00",
                             "fees": [{"code": "Admin. fee", "amount": "0.50"}]}},
      "taxes": {"GB": [{"code": "IPT", "rate": "0.12"}]},
      "content": {"title": "Widget Cover for {note}"},
      "pricing": "optimize",
      "multiplier_grid": ["0.9", "1", "1.1"]
    }]
  })");
}

json::object& Product0(json::value& doc) { return doc.at("products").at(0).as_object(); }

std::vector<FieldError> ProblemsOf(const json::value& doc) {
  auto r = Catalog::Parse(json::serialize(doc));
  if (r.ok()) {
    ADD_FAILURE() << "the catalog was accepted";
    return {};
  }
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  return r.status().fields();
}

std::string Dump(const std::vector<FieldError>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n  " + p.path + ": " + p.message;
  return out;
}

// Expects a problem at exactly `path` whose message contains `needle`.
void ExpectProblem(const json::value& doc, const std::string& path, const std::string& needle) {
  const auto problems = ProblemsOf(doc);
  for (const auto& p : problems) {
    if (p.path == path && p.message.find(needle) != std::string::npos) return;
  }
  ADD_FAILURE() << "no problem \"" << needle << "\" at " << path << "; got:" << Dump(problems);
}

TEST(CatalogLoad, DefaultCatalogLoads) {
  auto c = Catalog::LoadFile(kDefaultCatalog);
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Catalog& cat = **c;
  EXPECT_EQ(cat.default_currency(), "GBP");
  ASSERT_GE(cat.products().size(), 3u);
  const Product* etp = cat.Find("event_ticket_protection", 1);
  ASSERT_NE(etp, nullptr);
  EXPECT_EQ(etp->name, "Missed Event Cover (Generic)");
  EXPECT_EQ(etp->code, "MECG0001");
  EXPECT_EQ(etp->version_id, "5d24e2d1-a341-4b8b-9917-82878470a9c3");
  EXPECT_EQ(etp->group, "event");
  EXPECT_EQ(etp->start_field, "policy_start_date");
  EXPECT_EQ(etp->end_field, "event_datetime");
  EXPECT_EQ(etp->insured_value_paths, std::vector<std::string>{"tickets[].price"});
  EXPECT_EQ(etp->premium_rate, *ParseRate("0.009"));
  for (const char* cur : {"GBP", "EUR", "USD", "AUD"}) {
    EXPECT_NE(etp->FindTerms(cur), nullptr) << cur;
  }
  ASSERT_EQ(etp->taxes_by_country.at("AU").size(), 1u);
  EXPECT_EQ(etp->taxes_by_country.at("AU")[0].code, "GST");
  EXPECT_EQ(etp->taxes_by_country.at("AU")[0].rate, *ParseRate("0.10"));
  EXPECT_EQ(etp->multiplier_grid.size(), 7u);
  // The fields of the recorded request, with their types.
  const std::vector<std::pair<std::string, FieldType>> expected = {
      {"policy_start_date", FieldType::kDateTime}, {"event_datetime", FieldType::kDateTime},
      {"event_name", FieldType::kString},          {"event_location", FieldType::kString},
      {"number_of_tickets", FieldType::kInteger},  {"tickets", FieldType::kArray},
      {"resale_ticket", FieldType::kBoolean},      {"event_country", FieldType::kCountry}};
  ASSERT_EQ(etp->fields.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(etp->fields[i].name, expected[i].first);
    EXPECT_EQ(etp->fields[i].type, expected[i].second) << expected[i].first;
  }
  EXPECT_TRUE(etp->FindField("policy_start_date")->required);
  EXPECT_FALSE(etp->FindField("event_location")->required);
  EXPECT_EQ(etp->FindField("tickets")->FindItem("price")->type, FieldType::kMoney);

  const Product* travel = cat.FindLatest("travel_insurance");
  ASSERT_NE(travel, nullptr);
  EXPECT_EQ(travel->insured_value_paths, std::vector<std::string>{"trip_cost"});
  const Product* parcel = cat.FindLatest("parcel_protection");
  ASSERT_NE(parcel, nullptr);
  EXPECT_EQ(parcel->duration_days, 30);
  EXPECT_EQ(parcel->premium_rate, *ParseRate("0.015"));
  int optimized = 0;
  for (const auto& p : cat.products()) {
    EXPECT_FALSE(p.multiplier_grid.empty()) << p.policy_type;
    if (p.pricing == "optimize") ++optimized;
  }
  EXPECT_GE(optimized, 1);
  EXPECT_EQ(etp->pricing, "fixed");  // the recorded prices must stay put
  EXPECT_FALSE(etp->renewable);

  // The renewable product: a monthly cover renewed 30 days at a time.
  const Product* gadget = cat.FindLatest("gadget_protection");
  ASSERT_NE(gadget, nullptr);
  EXPECT_TRUE(gadget->renewable);
  EXPECT_EQ(gadget->renewal_period_days, 30);
  EXPECT_EQ(gadget->duration_days, 30);
}

TEST(CatalogLoad, BaseDocIsValid) {
  auto c = Catalog::Parse(json::serialize(BaseDoc()));
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Product& p = (*c)->products().at(0);
  EXPECT_EQ(p.insured_value_multiplier_field, "count");
  EXPECT_EQ(p.currencies.at("GBP").min_premium, 100);
  EXPECT_EQ(p.currencies.at("GBP").max_premium, 1000);
  EXPECT_EQ(p.currencies.at("GBP").fees, (std::vector<TaxLine>{{"Admin. fee", 50}}));
  EXPECT_EQ(p.multiplier_grid,
            (std::vector<Rate>{Rate{900'000'000}, Rate{Rate::kOne}, Rate{1'100'000'000}}));
}

TEST(CatalogLoad, MissingFileIsAnError) {
  auto c = Catalog::LoadFile("/nonexistent/catalog.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/catalog.json"), std::string::npos);
}

TEST(CatalogLoad, SyntaxErrorsNameTheLine) {
  auto c = Catalog::Parse("{\n  \"products\": [\n    {,}\n  ]\n}");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("line 3"), std::string::npos) << c.status().message();
}

TEST(CatalogLoad, CommentsAndTrailingCommasAreAllowed) {
  std::string text = json::serialize(BaseDoc());
  text.insert(1, "/* the test catalog */ ");
  text.insert(text.size() - 1, ", // trailing\n");
  auto c = Catalog::Parse(text);
  EXPECT_TRUE(c.ok()) << c.status().message();
}

TEST(CatalogValidation, InstalmentPlans) {
  json::value doc = BaseDoc();
  Product0(doc)["instalment_plans"] = json::parse(
      R"([{"name": "1year-monthly", "instalments": 12, "period_months": 1},
          {"name": "1year-quarterly", "label": "Quarterly", "instalments": 4, "period_months": 3}])");
  auto ok = Catalog::Parse(json::serialize(doc));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const Product& p = (*ok)->products().at(0);
  ASSERT_EQ(p.instalment_plans.size(), 2u);
  EXPECT_EQ(p.instalment_plans[0].label, "1year-monthly");  // defaults to the name
  EXPECT_EQ(p.instalment_plans[1].label, "Quarterly");
  EXPECT_EQ(p.instalment_plans[1].instalments, 4);
  EXPECT_EQ(p.instalment_plans[1].period_months, 3);

  Product0(doc)["instalment_plans"] = json::parse(
      R"([{"name": "a", "instalments": 1, "period_months": 1},
          {"name": "a", "instalments": 12, "period_months": 13, "colour": "red"},
          {"instalments": 2, "period_months": 1}, 7])");
  ExpectProblem(doc, "products[0].instalment_plans[0].instalments", "2..120");
  ExpectProblem(doc, "products[0].instalment_plans[1].period_months", "1..12");
  ExpectProblem(doc, "products[0].instalment_plans[1].name", "duplicate");
  ExpectProblem(doc, "products[0].instalment_plans[1].colour", "unknown key");
  ExpectProblem(doc, "products[0].instalment_plans[2].name", "required");
  ExpectProblem(doc, "products[0].instalment_plans[3]", "expected an object");
}

TEST(CatalogValidation, RenewalPeriod) {
  json::value doc = BaseDoc();
  EXPECT_FALSE(Catalog::Parse(json::serialize(doc)).value()->products().at(0).renewable);
  Product0(doc)["renewable"] = true;
  Product0(doc)["renewal_period_days"] = 30;
  auto ok = Catalog::Parse(json::serialize(doc));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)->products().at(0).renewable);
  EXPECT_EQ((*ok)->products().at(0).renewal_period_days, 30);

  Product0(doc)["renewal_period_days"] = 0;
  ExpectProblem(doc, "products[0].renewal_period_days", "1..3660");
  Product0(doc)["renewal_period_days"] = 3661;
  ExpectProblem(doc, "products[0].renewal_period_days", "1..3660");
  Product0(doc)["renewal_period_days"] = "30";
  ExpectProblem(doc, "products[0].renewal_period_days", "expected an integer");
  Product0(doc).erase("renewal_period_days");
  ExpectProblem(doc, "products[0].renewal_period_days", "required");
  Product0(doc)["renewable"] = false;
  Product0(doc)["renewal_period_days"] = 30;
  ExpectProblem(doc, "products[0].renewal_period_days", "only for renewable products");
  Product0(doc)["renewable"] = "yes";
  ExpectProblem(doc, "products[0].renewable", "true or false");
}

TEST(CatalogValidation, RateNotADecimal) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/taxes/GB/0/rate") = "12%";
  ExpectProblem(doc, "products[0].taxes.GB[0].rate", "not a decimal");
  doc.at_pointer("/products/0/taxes/GB/0/rate") = 0.12;  // a number, not a string
  ExpectProblem(doc, "products[0].taxes.GB[0].rate", "decimal string");
  doc.at_pointer("/products/0/taxes/GB/0/rate") = "1.5";
  ExpectProblem(doc, "products[0].taxes.GB[0].rate", "above 1");
}

TEST(CatalogValidation, UnknownKeysAtEveryLevel) {
  json::value doc = BaseDoc();
  doc.as_object()["extra"] = 1;
  Product0(doc)["colour"] = "red";
  doc.at_pointer("/products/0/fields/note").as_object()["pattern"] = ".*";
  doc.at_pointer("/products/0/currencies/GBP").as_object()["min"] = "1";
  const auto problems = ProblemsOf(doc);
  EXPECT_EQ(problems.size(), 4u) << Dump(problems);
  ExpectProblem(doc, "extra", "unknown key");
  ExpectProblem(doc, "products[0].colour", "unknown key");
  ExpectProblem(doc, "products[0].fields.note.pattern", "unknown key");
  ExpectProblem(doc, "products[0].currencies.GBP.min", "unknown key");
}

TEST(CatalogValidation, DuplicateProductAndVersionId) {
  json::value doc = BaseDoc();
  doc.at("products").as_array().push_back(doc.at("products").at(0));
  ExpectProblem(doc, "products[1].version", "duplicate product widget_cover v1 (also products[0])");
  ExpectProblem(doc, "products[1].version_id", "duplicate version_id");
  // Another version of the same product is fine (with its own version id).
  doc.at_pointer("/products/1/version") = 2;
  doc.at_pointer("/products/1/version_id") = "0b9c8d4e-1111-4222-8333-944455550000";
  auto c = Catalog::Parse(json::serialize(doc));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->FindLatest("widget_cover")->version, 2);
  EXPECT_EQ((*c)->Find("widget_cover", 1)->version, 1);
  EXPECT_EQ((*c)->Find("widget_cover", 3), nullptr);
}

TEST(CatalogValidation, DuplicateJsonKeysAreReported) {
  // The DOM keeps only the last of two equal keys; the loader says so.
  std::string text = json::serialize(BaseDoc());
  const std::string needle = "\"premium_rate\":\"0.01\"";
  const auto at = text.find(needle);
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"premium_rate\":\"0.5\",");
  auto c = Catalog::Parse(text);
  ASSERT_FALSE(c.ok());
  ASSERT_EQ(c.status().fields().size(), 1u) << Dump(c.status().fields());
  EXPECT_EQ(c.status().fields()[0].path, "products[0].premium_rate");
  EXPECT_EQ(c.status().fields()[0].message, "duplicate key");
}

TEST(CatalogValidation, UnknownCurrencies) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/currencies").as_object()["XYZ"] = json::object{};
  doc.as_object()["default_currency"] = "ABC";
  ExpectProblem(doc, "products[0].currencies.XYZ", "unknown currency");
  ExpectProblem(doc, "default_currency", "unknown currency");
}

TEST(CatalogValidation, BadFieldTypesAndBounds) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/fields/note/type") = "text";
  ExpectProblem(doc, "products[0].fields.note.type", "unknown type \"text\"");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields/note").as_object()["minimum"] = 1;
  ExpectProblem(doc, "products[0].fields.note.minimum", "only integer, number, money and array");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields/count").as_object()["maximum"] = -1;
  ExpectProblem(doc, "products[0].fields.count.minimum", "greater than maximum");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields/items").as_object().erase("items");
  ExpectProblem(doc, "products[0].fields.items.items", "required for an array field");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields/note").as_object()["required"] = "yes";
  ExpectProblem(doc, "products[0].fields.note.required", "expected true or false");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields").as_object()["Bad-Name"] = json::object{{"type", "string"}};
  ExpectProblem(doc, "products[0].fields.Bad-Name", "lower-case letters");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields").as_object()["policy_type"] =
      json::object{{"type", "string"}};
  ExpectProblem(doc, "products[0].fields.policy_type", "reserved name");
}

TEST(CatalogValidation, CoverPeriodFieldsMustBeDateTimes) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/cover_period/start_field") = "note";
  ExpectProblem(doc, "products[0].cover_period.start_field", "not a datetime or date field");
  doc = BaseDoc();
  doc.at_pointer("/products/0/cover_period/end_field") = "nowhere";
  ExpectProblem(doc, "products[0].cover_period.end_field", "not a field of this product");
  doc = BaseDoc();
  doc.at_pointer("/products/0/cover_period").as_object()["duration_days"] = 30;
  ExpectProblem(doc, "products[0].cover_period", "exactly one of end_field and duration_days");
  doc = BaseDoc();
  doc.at_pointer("/products/0/cover_period").as_object().erase("end_field");
  doc.at_pointer("/products/0/cover_period").as_object()["duration_days"] = 0;
  ExpectProblem(doc, "products[0].cover_period.duration_days", "expected from 1 to");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields/end").as_object()["required"] = false;
  ExpectProblem(doc, "products[0].cover_period.end_field", "must be a required field");
}

TEST(CatalogValidation, InsuredValuePathsMustNameMoneyFields) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/insured_value/paths") =
      json::array{"count", "items.value", "items[].missing", "nope"};
  ExpectProblem(doc, "products[0].insured_value.paths[0]", "\"count\" does not name a money field");
  ExpectProblem(doc, "products[0].insured_value.paths[1]", "does not name a money field");
  ExpectProblem(doc, "products[0].insured_value.paths[2]", "does not name a money field");
  ExpectProblem(doc, "products[0].insured_value.paths[3]", "does not name a money field");
  doc = BaseDoc();
  doc.at_pointer("/products/0/insured_value/multiplier_field") = "note";
  ExpectProblem(doc, "products[0].insured_value.multiplier_field", "not an integer field");
  doc = BaseDoc();
  doc.at_pointer("/products/0/fields/count").as_object().erase("minimum");
  ExpectProblem(doc, "products[0].insured_value.multiplier_field", "minimum of 0");
}

TEST(CatalogValidation, CurrencyTerms) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/currencies/GBP/min_premium") = "20.00";
  ExpectProblem(doc, "products[0].currencies.GBP.min_premium",
                "min_premium 20.00 is greater than max_premium 10.00");
  doc = BaseDoc();
  doc.at_pointer("/products/0/currencies/GBP/fees/0/amount") = "0.505";
  ExpectProblem(doc, "products[0].currencies.GBP.fees[0].amount", "at most 2 decimal places");
  doc = BaseDoc();
  doc.at_pointer("/products/0/currencies/GBP/fees/0/amount") = "-1.00";
  ExpectProblem(doc, "products[0].currencies.GBP.fees[0].amount", "must not be negative");
  doc = BaseDoc();
  doc.at_pointer("/products/0/currencies/GBP/max_premium") = 10;
  ExpectProblem(doc, "products[0].currencies.GBP.max_premium", "decimal string");
  doc = BaseDoc();
  doc.at_pointer("/products/0/currencies").as_object().clear();
  ExpectProblem(doc, "products[0].currencies", "at least one currency");
}

TEST(CatalogValidation, TaxCountriesAndCodes) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/taxes").as_object()["gb"] = json::array{};
  ExpectProblem(doc, "products[0].taxes.gb", "two-letter upper-case country code");
  doc = BaseDoc();
  doc.at_pointer("/products/0/taxes/GB")
      .as_array()
      .push_back(json::object{{"code", "IPT"}, {"rate", "0.01"}});
  ExpectProblem(doc, "products[0].taxes.GB[1].code", "duplicate tax code");
}

TEST(CatalogValidation, ContentPlaceholdersMustNameFields) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/content/title") = "Cover for {nothing}";
  ExpectProblem(doc, "products[0].content.title", "placeholder {nothing} is not a field");
  doc.at_pointer("/products/0/content/title") = "Cover for {note";
  ExpectProblem(doc, "products[0].content.title", "unbalanced");
  doc.at_pointer("/products/0/content/title") = "Literal {{braces}} for {note}";
  EXPECT_TRUE(Catalog::Parse(json::serialize(doc)).ok());
}

TEST(CatalogValidation, PricingAndGrid) {
  json::value doc = BaseDoc();
  doc.at_pointer("/products/0/pricing") = "dynamic";
  ExpectProblem(doc, "products[0].pricing", "expected \"fixed\" or \"optimize\"");
  doc = BaseDoc();
  doc.at_pointer("/products/0/multiplier_grid") = json::array{"1.0", "0.9"};
  ExpectProblem(doc, "products[0].multiplier_grid[1]", "strictly ascending");
  doc = BaseDoc();
  doc.at_pointer("/products/0/multiplier_grid") = json::array{"0", "1"};
  ExpectProblem(doc, "products[0].multiplier_grid[0]", "greater than 0");
  doc.at_pointer("/products/0/multiplier_grid") = json::array{"1", "10.5"};
  ExpectProblem(doc, "products[0].multiplier_grid[1]", "at most 10");
  doc = BaseDoc();
  doc.at_pointer("/products/0/premium_rate") = "1.01";
  ExpectProblem(doc, "products[0].premium_rate", "above 1");
  doc = BaseDoc();
  Product0(doc).erase("multiplier_grid");
  ExpectProblem(doc, "products[0].multiplier_grid", "required (non-empty) when pricing");
}

TEST(CatalogValidation, RequiredProductKeysAndVersionId) {
  json::value doc = BaseDoc();
  Product0(doc).erase("name");
  Product0(doc).erase("premium_rate");
  Product0(doc)["version_id"] = "not-a-uuid";
  Product0(doc)["version"] = 0;
  const auto problems = ProblemsOf(doc);
  ExpectProblem(doc, "products[0].name", "required");
  ExpectProblem(doc, "products[0].premium_rate", "required");
  ExpectProblem(doc, "products[0].version_id", "not a UUID");
  ExpectProblem(doc, "products[0].version", "positive integer");
}

TEST(CatalogValidation, ReportsEveryProblemAtOnce) {
  json::value doc = BaseDoc();
  doc.at("products").as_array().push_back(doc.at("products").at(0));
  doc.at_pointer("/products/1/version") = 2;
  doc.at_pointer("/products/1/version_id") = "0b9c8d4e-1111-4222-8333-944455550000";
  doc.at_pointer("/products/0/taxes/GB/0/rate") = "x";
  doc.at_pointer("/products/1/taxes/GB/0/rate") = "y";
  doc.at_pointer("/products/1/currencies").as_object()["QQQ"] = json::object{};
  doc.at_pointer("/products/1/fields/note/type") = "blob";
  auto r = Catalog::Parse(json::serialize(doc));
  ASSERT_FALSE(r.ok());
  const auto& problems = r.status().fields();
  EXPECT_EQ(problems.size(), 4u) << Dump(problems);
  // The message lists them all, for the operator's terminal.
  EXPECT_NE(r.status().message().find("products[1].taxes.GB[0].rate: not a decimal"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("4 problems"), std::string::npos);
}

TEST(CatalogValidation, NotAnObject) {
  auto r = Catalog::Parse("[1, 2]");
  ASSERT_FALSE(r.ok());
  r = Catalog::Parse(R"({"products": []})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().fields().at(0).path, "products");
}

TEST(Templates, PlaceholdersAndRendering) {
  EXPECT_EQ(TemplatePlaceholders("Cover for {a} and {b_2}"),
            (std::vector<std::string>{"a", "b_2"}));
  EXPECT_EQ(TemplatePlaceholders("{{not}} one"), std::vector<std::string>{});
  EXPECT_EQ(TemplatePlaceholders("{}"), std::nullopt);
  EXPECT_EQ(TemplatePlaceholders("a } b"), std::nullopt);
  EXPECT_EQ(TemplatePlaceholders("{a{b}"), std::nullopt);
  const auto value_of = [](std::string_view n) { return n == "a" ? std::string("X") : ""; };
  EXPECT_EQ(RenderTemplate("[{a}] [{b}] {{a}}", value_of), "[X] [] {a}");
}

// RenderTemplate as it was (character by character), the reference for the
// one that copies runs.
std::string ReferenceRender(std::string_view text,
                            const std::function<std::string(std::string_view)>& value_of) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c == '{') {
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
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

TEST(Templates, RenderingEqualsTheCharacterByCharacterReference) {
  const auto value_of = [](std::string_view n) {
    std::string v = "<";
    v += n;
    v += '>';
    return v;
  };
  for (std::string_view t :
       {"", "plain", "{a}", "{a}{b}", "x{a}y{bb}z", "{{", "}}", "{{{a}}}", "}", "a}b", "{", "ab{",
        "ab{cd", "{}", "}{a}{", "{{a}", "{a}}", "£{price} – {{literal}} {x}!"}) {
    EXPECT_EQ(RenderTemplate(t, value_of), ReferenceRender(t, value_of)) << t;
  }
  std::mt19937 rng(5);
  const std::string_view alphabet = "ab{}{} ";
  for (int i = 0; i < 3000; ++i) {
    std::string t;
    for (int n = static_cast<int>(rng() % 12); n > 0; --n) t += alphabet[rng() % alphabet.size()];
    ASSERT_EQ(RenderTemplate(t, value_of), ReferenceRender(t, value_of)) << t;
  }
}

// Canonical JSON writes strings and keys itself now; byte for byte what
// boost::json::serialize wrote, stored fields_json depend on it.
TEST(CanonicalJson, StringsExactlyAsBoostJsonSerializes) {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
  for (const std::string& s : {every_byte, std::string("plain"), std::string(""),
                               std::string("\xE2\x80\xA8 \" \\ /"), std::string("a\0b", 3)}) {
    EXPECT_EQ(CanonicalJson(json::value(s)), json::serialize(json::value(s)));
    json::object o;
    o[s] = 1;
    EXPECT_EQ(CanonicalJson(o), json::serialize(o));
  }
  EXPECT_EQ(CanonicalJson(json::value(std::int64_t{-9223372036854775807 - 1})),
            "-9223372036854775808");
  EXPECT_EQ(CanonicalJson(json::value(std::uint64_t{18446744073709551615ULL})),
            "18446744073709551615");
}

TEST(CanonicalJson, SortsKeysRecursivelyAndKeepsNumbersShort) {
  const json::value v = json::parse(
      R"({"b": [ {"z": 1, "a": 100.5} ], "a": "\u00e9\"", "c": 0.1, "d": null, "e": true})");
  EXPECT_EQ(CanonicalJson(v), R"({"a":"é\"","b":[{"a":100.5,"z":1}],"c":0.1,"d":null,"e":true})");
  EXPECT_EQ(CanonicalJson(json::parse(R"({"x":1,"y":2})")),
            CanonicalJson(json::parse(R"({"y":2,"x":1})")));
}

}  // namespace
}  // namespace offerledger
