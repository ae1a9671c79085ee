#include "domain/email_template.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "domain/catalog.h"

namespace offerledger {
namespace {

namespace json = boost::json;

const char* kDefaultCatalog = OFFERLEDGER_SOURCE_DIR "/catalog/default.json";

QuotePackage Booking(PackageStatus status) {
  QuotePackage pkg;
  pkg.id = "BGNJF-49BDW-INS";
  pkg.partner = "LLODT";
  pkg.currency = "GBP";
  pkg.status = status;
  pkg.booked_at = 1'637'952'993LL * kMicrosPerSecond;
  pkg.policyholder_json =
      R"({"first_name":"Jason","last_name":"Campbell","email":"jason.campbell@test-xcover.com"})";
  Quote q;
  q.id = "d6578e02-f939-4037-91d2-8be6711ed52b";
  q.policy_type = "event_ticket_protection";
  q.policy_type_version = 1;
  q.policy_name = "Missed Event Cover (Generic)";
  q.policy_code = "MECG0001";
  q.policy_start = *ParseIso8601("2021-11-23T09:29:17Z");
  q.policy_end = *ParseIso8601("2021-11-24T10:44:39Z");
  q.price = 201;
  q.status =
      status == PackageStatus::kCancelled ? QuoteStatus::kCancelled : QuoteStatus::kConfirmed;
  pkg.quotes.push_back(q);
  return pkg;
}

// The default catalog's text with `patch` applied to its JSON first.
Result<std::shared_ptr<const Catalog>> DefaultCatalogWith(
    const std::function<void(json::object&)>& patch) {
  std::ifstream in(kDefaultCatalog);
  std::stringstream text;
  text << in.rdbuf();
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  json::value doc = json::parse(text.str(), {}, opts);
  patch(doc.as_object());
  return Catalog::Parse(json::serialize(doc));
}

TEST(EmailText, RendersPlaceholdersWithSpacesAndLeavesOtherBracesAlone) {
  const EmailValues values = {{"booking.id", "BGNJF-49BDW-INS"}, {"price", "£2.01"}};
  EXPECT_EQ(
      RenderEmailText("Booking {{booking.id}} for {{ price }}: {not a placeholder} }", values),
      "Booking BGNJF-49BDW-INS for £2.01: {not a placeholder} }");
  EXPECT_EQ(RenderEmailText("no placeholders", values), "no placeholders");
  EXPECT_EQ(RenderEmailText("{{partner.name}}|", values), "|");  // known but without a value
}

TEST(EmailText, CheckNamesTheUnknownPlaceholderAndTheUnclosedOne) {
  EXPECT_EQ(CheckEmailText("Dear {{policyholder.first_name}}, {{ quote.policy_name }}"),
            std::nullopt);
  auto unknown = CheckEmailText("Dear {{policyholder.nickname}}");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_NE(unknown->find("unknown placeholder \"{{policyholder.nickname}}\""), std::string::npos)
      << *unknown;
  EXPECT_NE(unknown->find("policyholder.first_name"), std::string::npos) << *unknown;
  auto unclosed = CheckEmailText("Dear {{policyholder.first_name");
  ASSERT_TRUE(unclosed.has_value());
  EXPECT_NE(unclosed->find("not closed"), std::string::npos) << *unclosed;
  auto empty = CheckEmailText("{{ }}");
  ASSERT_TRUE(empty.has_value());
  EXPECT_NE(empty->find("empty placeholder"), std::string::npos) << *empty;
}

TEST(EmailEvent, FitsTheBookingStateAsXCoverSaysIt) {
  const QuotePackage confirmed = Booking(PackageStatus::kConfirmed);
  EXPECT_TRUE(CheckEmailEvent(confirmed, kEmailBookingCreated).ok());
  EXPECT_TRUE(CheckEmailEvent(confirmed, kEmailBookingUpdated).ok());
  const Status wrong = CheckEmailEvent(confirmed, kEmailBookingCancelled);
  EXPECT_EQ(wrong.code(), StatusCode::kInvalid);
  EXPECT_EQ(wrong.message(),
            "BOOKING_CANCELLED email can be only triggered for CANCELLED bookings.");

  const QuotePackage cancelled = Booking(PackageStatus::kCancelled);
  EXPECT_TRUE(CheckEmailEvent(cancelled, kEmailBookingCancelled).ok());
  EXPECT_EQ(CheckEmailEvent(cancelled, kEmailBookingCreated).message(),
            "BOOKING_CREATED email can be only triggered for CONFIRMED or PENDING_PAYMENT "
            "bookings.");

  QuotePackage quote = Booking(PackageStatus::kReceived);
  quote.booked_at.reset();
  const Status not_booked = CheckEmailEvent(quote, kEmailBookingCreated);
  EXPECT_EQ(not_booked.code(), StatusCode::kInvalid);
  EXPECT_NE(not_booked.message().find("is RECEIVED"), std::string::npos) << not_booked.message();

  const Status unknown = CheckEmailEvent(confirmed, "POLICY_EXPIRED");
  EXPECT_EQ(unknown.code(), StatusCode::kInvalid);
  EXPECT_NE(unknown.message().find("BOOKING_CANCELLED"), std::string::npos) << unknown.message();
}

TEST(BookingEmail, RendersThePolicyholderTheQuoteAndThePrice) {
  const QuotePackage pkg = Booking(PackageStatus::kConfirmed);
  const EmailTemplate t{"Booking {{booking.id}}\nfor {{policyholder.first_name}}",
                        "Dear {{policyholder.first_name}} {{policyholder.last_name}}: "
                        "{{quote.policy_name}} ({{quote.policy_code}}, {{quote.policy_type}}) "
                        "{{quote.policy_start_date}}..{{quote.policy_end_date}} {{price}} "
                        "{{booking.total_price}} {{booking.currency}} {{booking.status}} "
                        "{{partner.code}}/{{partner.name}} {{quote.price}}"};
  auto email = RenderBookingEmail(pkg, t, "LLODT", "Lloyd's Demo");
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_EQ(email->recipient, "jason.campbell@test-xcover.com");
  EXPECT_EQ(email->subject, "Booking BGNJF-49BDW-INS for Jason");  // one line
  EXPECT_EQ(email->body,
            "Dear Jason Campbell: Missed Event Cover (Generic) (MECG0001, event_ticket_protection) "
            "2021-11-23..2021-11-24 £2.01 2.01 GBP CONFIRMED LLODT/Lloyd's Demo £2.01");
}

TEST(BookingEmail, NeedsARecipient) {
  QuotePackage pkg = Booking(PackageStatus::kConfirmed);
  pkg.policyholder_json = R"({"first_name":"Jason"})";
  auto email = RenderBookingEmail(pkg, DefaultEmailTemplate(kEmailBookingCreated), "LLODT", "");
  EXPECT_EQ(email.status().code(), StatusCode::kInvalid);
}

TEST(CatalogEmailTemplates, DefaultCatalogHasTemplatesProductFirstThenCatalogWide) {
  auto catalog = Catalog::LoadFile(kDefaultCatalog);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  // The ticket cover has its own confirmation; its cancellation is catalog-wide.
  const EmailTemplate& created =
      (*catalog)->EmailTemplateFor("event_ticket_protection", 1, kEmailBookingCreated);
  EXPECT_NE(created.subject.find("tickets"), std::string::npos) << created.subject;
  const EmailTemplate& cancelled =
      (*catalog)->EmailTemplateFor("event_ticket_protection", 1, kEmailBookingCancelled);
  EXPECT_NE(cancelled.subject.find("cancelled"), std::string::npos) << cancelled.subject;
  const EmailTemplate& travel =
      (*catalog)->EmailTemplateFor("travel_insurance", 1, kEmailBookingCreated);
  EXPECT_NE(travel, created);
  EXPECT_NE(travel, DefaultEmailTemplate(kEmailBookingCreated));
  // Every template of the default catalog renders without a placeholder left over.
  for (std::string_view event : EmailEventNames()) {
    auto email = RenderBookingEmail(Booking(PackageStatus::kConfirmed),
                                    (*catalog)->EmailTemplateFor("gadget_protection", 1, event),
                                    "LLODT", "Demo");
    ASSERT_TRUE(email.ok());
    EXPECT_EQ(email->body.find("{{"), std::string::npos) << email->body;
  }
}

TEST(CatalogEmailTemplates, WithoutTemplatesTheBuiltInOnesApply) {
  auto catalog = DefaultCatalogWith([](json::object& root) {
    root.erase("email_templates");
    for (auto& p : root["products"].as_array()) p.as_object().erase("email_templates");
  });
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ((*catalog)->EmailTemplateFor("event_ticket_protection", 1, kEmailBookingUpdated),
            DefaultEmailTemplate(kEmailBookingUpdated));
}

TEST(CatalogEmailTemplates, LoaderRefusesUnknownEventsPlaceholdersAndKeys) {
  auto catalog = DefaultCatalogWith([](json::object& root) {
    json::object& t = root["email_templates"].as_object();
    t["POLICY_EXPIRED"] = {{"subject", "s"}, {"body", "b"}};
    t["BOOKING_UPDATED"] = {{"subject", "{{booking.idd}}"}, {"body", "b"}, {"html", "<p>"}};
    json::object& product = root["products"].as_array()[0].as_object();
    product["email_templates"] = {
        {"BOOKING_CANCELLED", {{"subject", "x\ny"}, {"body", "{{price"}}}};
  });
  ASSERT_FALSE(catalog.ok());
  const std::string m = catalog.status().message();
  EXPECT_NE(m.find("email_templates.POLICY_EXPIRED: unknown email event; the events are "
                   "BOOKING_CREATED, BOOKING_UPDATED, BOOKING_CANCELLED"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("email_templates.BOOKING_UPDATED.subject: unknown placeholder "
                   "\"{{booking.idd}}\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("email_templates.BOOKING_UPDATED.html: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("products[0].email_templates.BOOKING_CANCELLED.subject: one line"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("products[0].email_templates.BOOKING_CANCELLED.body: \"{{\" at offset 0 is "
                   "not closed"),
            std::string::npos)
      << m;
}

TEST(CatalogEmailTemplates, LoaderWantsSubjectAndBody) {
  auto catalog = DefaultCatalogWith([](json::object& root) {
    root["email_templates"].as_object()["BOOKING_CREATED"] = {{"subject", "s"}};
  });
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("email_templates.BOOKING_CREATED.body: required"),
            std::string::npos)
      << catalog.status().message();
}

}  // namespace
}  // namespace offerledger
