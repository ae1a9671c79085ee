#include "api/response_renderer.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "api/json_writer.h"
#include "domain/money.h"

namespace offerledger {

namespace {

const Currency& CurrencyOf(const QuotePackage& pkg) {
  static const Currency kFallback{"XXX", 2, ""};
  const Currency* c = FindCurrency(pkg.currency);
  return c != nullptr ? *c : kFallback;
}

void MoneyPair(JsonWriter& w, std::string_view key, MinorUnits amount, const Currency& c) {
  w.Key(key).Money(amount, c.exponent);
  w.Key(key, "_formatted").String(FormatMoney(amount, c));
}

void OptTime(JsonWriter& w, std::string_view key, const std::optional<Micros>& t) {
  w.Key(key);
  if (t) {
    w.String(FormatIsoMicros(*t));
  } else {
    w.Null();
  }
}

// "9 13:14:46": days, then hours:minutes:seconds of the cover period (what
// printf's "%lld %02lld:%02lld:%02lld" wrote, without printf's cost).
std::string Duration(Micros start, Micros end) {
  const std::int64_t secs = end > start ? (end - start) / kMicrosPerSecond : 0;
  char buf[40];
  char* p = std::to_chars(buf, buf + 20, secs / 86400).ptr;
  const auto two_digits = [&p](char before, std::int64_t v) {  // v < 100
    *p++ = before;
    *p++ = static_cast<char>('0' + v / 10);
    *p++ = static_cast<char>('0' + v % 10);
  };
  two_digits(' ', (secs / 3600) % 24);
  two_digits(':', (secs / 60) % 60);
  two_digits(':', secs % 60);
  return std::string(buf, p);
}

std::string PdsUrl(const QuotePackage& pkg, const RenderOptions& o) {
  return o.public_url + "/pds/" + pkg.id;
}

void WritePolicy(JsonWriter& w, const Quote& q) {
  w.Key("policy").BeginObject();
  w.Key("policy_type").String(q.policy_type);
  w.Key("policy_type_group_name").String(q.policy_group);
  w.Key("policy_name").String(q.policy_name);
  w.Key("policy_code").String(q.policy_code);
  w.Key("policy_version").String(q.policy_version_id);
  w.Key("category").String(q.policy_type);
  w.Key("content").BeginObject();
  w.Key("title").String(q.content.title);
  w.Key("header").Null();
  w.Key("description").String(q.content.description);
  w.Key("optout_msg").String(q.content.optout_msg);
  w.Key("disclaimer").String(q.content.disclaimer);
  w.Key("disclaimer_html").String(q.content.disclaimer);
  w.Key("inclusions").BeginArray();
  w.EndArray();
  w.Key("exclusions").BeginArray();
  w.EndArray();
  w.Key("payment_disclaimer").Null();
  w.Key("in_path_disclaimer").Null();
  w.EndObject();
  w.Key("underwriter").BeginObject();
  w.Key("disclaimer").String("This plan is arranged by offerledger");
  w.Key("name").String("offerledger");
  w.EndObject();
  w.Key("claim_selector_id").String("");
  w.EndObject();
}

void WriteTax(JsonWriter& w, const Quote& q, const Currency& c) {
  w.Key("tax").BeginObject();
  MoneyPair(w, "total_tax", q.total_tax(), c);
  MoneyPair(w, "total_amount_without_tax", q.premium, c);
  w.Key("taxes").BeginArray();
  for (const auto& t : q.taxes) {
    w.BeginObject();
    w.Key("tax_amount").Money(t.amount, c.exponent);
    w.Key("tax_code").String(t.code);
    w.Key("tax_amount_formatted").String(FormatMoney(t.amount, c));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteQuote(JsonWriter& w, const QuotePackage& pkg, const Quote& q, const RenderOptions& o) {
  const Currency& c = CurrencyOf(pkg);
  w.BeginObject();
  w.Key("id").String(q.id);
  w.Key("policy_start_date").String(FormatIsoOffset(q.policy_start));
  w.Key("policy_end_date").String(FormatIsoOffset(q.policy_end));
  w.Key("status").String(QuoteStatusName(q.status));
  MoneyPair(w, "price", q.price, c);
  WritePolicy(w, q);
  w.Key("insured").BeginArray();  // named insured persons: none recorded yet
  w.EndArray();
  WriteTax(w, q, c);
  w.Key("duration").String(Duration(q.policy_start, q.policy_end));
  w.Key("benefits").BeginArray();
  w.EndArray();
  w.Key("commission").BeginObject();
  MoneyPair(w, "partner_commission", 0, c);
  MoneyPair(w, "surcharge_commission", 0, c);
  MoneyPair(w, "total_commission", 0, c);
  w.EndObject();
  w.Key("created_at").String(FormatIsoMicros(q.created_at));
  OptTime(w, "confirmed_at", q.confirmed_at);
  w.Key("updated_at").String(FormatIsoMicros(q.updated_at));
  OptTime(w, "cancelled_at", q.cancelled_at);
  w.Key("is_renewable").Bool(q.renewable);
  w.Key("is_pricebeat_enabled").Null();
  MoneyPair(w, "cover_amount", q.cover_amount, c);
  w.Key("pds_url").String(PdsUrl(pkg, o) + "?policy_type=" + q.policy_type + "_v" +
                          std::to_string(q.policy_type_version));
  w.Key("attachments").BeginArray();
  w.EndArray();
  w.Key("files").BeginArray();
  w.EndArray();
  w.Key("extra_fields").BeginObject();
  w.EndObject();
  w.Key("surcharge").BeginObject();
  w.Key("total_amount").Null();
  w.Key("total_amount_formatted").Null();
  w.Key("surcharges").Null();
  w.EndObject();
  MoneyPair(w, "discount_price", q.price, c);
  MoneyPair(w, "discount_amount", 0, c);
  w.Key("instalment_plans").BeginArray();
  w.EndArray();
  w.Key("next_renewal").Null();
  w.Key("can_be_cancelled").Bool(q.status == QuoteStatus::kConfirmed);
  w.EndObject();
}

void WritePackageHead(JsonWriter& w, const QuotePackage& pkg, const RenderOptions& o) {
  const Currency& c = CurrencyOf(pkg);
  w.Key("id").String(pkg.id);
  w.Key("status").String(PackageStatusName(pkg.status));
  w.Key("currency").String(pkg.currency);
  MoneyPair(w, "total_price", pkg.total_price(), c);
  w.Key("partner_transaction_id").OptString(pkg.partner_transaction_id);
  w.Key("created_at").String(FormatIsoMicros(pkg.created_at));
  w.Key("updated_at").String(FormatIsoMicros(pkg.updated_at));
  w.Key("pds_url").String(PdsUrl(pkg, o));
  w.Key("security_token").String(pkg.security_token);
}

void WriteCoi(JsonWriter& w, const QuotePackage& pkg, const RenderOptions& o) {
  w.Key("coi").BeginObject();
  w.Key("url").String(o.public_url + "/coi/" + pkg.id + "?security_token=" + pkg.security_token);
  w.Key("pdf").String(o.public_url + "/coi/" + pkg.id + ".pdf?security_token=" +
                      pkg.security_token);
  w.EndObject();
}

void WritePolicyholder(JsonWriter& w, const QuotePackage& pkg) {
  w.Key("policyholder");
  if (pkg.policyholder_json.empty()) {
    w.Null();
  } else {
    w.Raw(pkg.policyholder_json);
  }
}

// The partner as bookings show it. XCover adds its branding (logo, URLs,
// e-mail templates); offerledger has none of those to show.
void WritePartner(JsonWriter& w, const Partner& partner) {
  std::string slug = partner.code;
  for (char& c : slug) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  w.Key("partner").BeginObject();
  w.Key("id").String(partner.code);
  w.Key("slug").String(slug);
  w.Key("name").String(partner.name);
  w.Key("title").String(partner.name);
  w.Key("attributes").BeginObject();
  w.EndObject();
  w.EndObject();
}

void WriteBookingBody(JsonWriter& w, const QuotePackage& pkg, const Partner& partner,
                      const RenderOptions& o) {
  const Currency& c = CurrencyOf(pkg);
  w.BeginObject();
  WritePackageHead(w, pkg, o);
  w.Key("quotes").BeginArray();
  for (const auto& q : pkg.quotes) WriteQuote(w, pkg, q, o);
  w.EndArray();
  WriteCoi(w, pkg, o);
  w.Key("account_url").String(o.public_url + "/account?id=" + pkg.id);
  WritePolicyholder(w, pkg);
  MoneyPair(w, "total_tax", pkg.total_tax(), c);
  MoneyPair(w, "total_premium", pkg.total_premium(), c);
  WritePartner(w, partner);
  w.Key("customer_language").String(pkg.customer_language);
  w.EndObject();
}

}  // namespace

std::string RenderQuotePackage(const QuotePackage& pkg, const RenderOptions& o) {
  const Currency& c = CurrencyOf(pkg);
  JsonWriter w;
  w.BeginObject();
  WritePackageHead(w, pkg, o);
  w.Key("quotes").BeginObject();
  for (std::size_t i = 0; i < pkg.quotes.size(); ++i) {
    w.Key(std::to_string(i));
    WriteQuote(w, pkg, pkg.quotes[i], o);
  }
  w.EndObject();
  w.Key("bundle_code").Null();
  MoneyPair(w, "bundle_price", pkg.total_price(), c);
  w.Key("bundle_content").BeginObject();
  w.EndObject();
  w.Key("bundle_discount_percent").Money(0, 1);
  MoneyPair(w, "bundle_discount_amount", 0, c);
  w.Key("errors").BeginObject();
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string RenderBooking(const QuotePackage& pkg, const Partner& partner,
                          const RenderOptions& o) {
  JsonWriter w;
  WriteBookingBody(w, pkg, partner, o);
  return w.Take();
}

std::string RenderCancellation(const QuotePackage& pkg, const Partner& partner,
                               const CancellationView& view, const RenderOptions& o) {
  const Currency& c = CurrencyOf(pkg);
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(pkg.id);
  w.Key("status").String("CANCELLED");
  MinorUnits refund_total = 0;
  w.Key("quotes").BeginArray();
  for (std::size_t i = 0; i < pkg.quotes.size(); ++i) {
    const Quote& q = pkg.quotes[i];
    const MinorUnits refund = i < view.refunds.size() ? view.refunds[i] : q.refund;
    refund_total += refund;
    w.BeginObject();
    w.Key("id").String(q.id);
    w.Key("policy_start_date").String(FormatIsoOffset(q.policy_start));
    w.Key("policy_end_date").String(FormatIsoOffset(q.policy_end));
    OptTime(w, "policy_cancellation_date", q.cancelled_at);
    OptTime(w, "policy_coolingoff_date",
            q.confirmed_at ? std::optional<Micros>(*q.confirmed_at + kCoolingOffPeriod)
                           : std::nullopt);
    w.Key("status").String("CANCELLED");
    w.Key("price").Money(q.price, c.exponent);
    w.Key("refund_value").Money(refund, c.exponent);
    w.Key("adjustment_fee").Money(q.price - refund, c.exponent);
    WritePolicy(w, q);
    w.Key("insured").Null();
    w.Key("created_at").String(FormatIsoMicros(q.created_at));
    OptTime(w, "confirmed_at", q.confirmed_at);
    w.Key("updated_at").String(FormatIsoMicros(q.updated_at));
    OptTime(w, "cancelled_at", q.cancelled_at);
    w.Key("commission").Null();
    w.EndObject();
  }
  w.EndArray();
  WritePolicyholder(w, pkg);
  w.Key("pds_url").String(PdsUrl(pkg, o));
  WriteCoi(w, pkg, o);
  w.Key("created_at").String(FormatIsoMicros(pkg.created_at));
  w.Key("updated_at").String(FormatIsoMicros(pkg.updated_at));
  MoneyPair(w, "total_price", 0, c);
  MoneyPair(w, "total_refund", refund_total, c);
  MoneyPair(w, "total_tax", 0, c);
  MoneyPair(w, "total_premium", 0, c);
  w.Key("currency").String(pkg.currency);
  w.Key("cancellation_id");
  if (view.cancellation_id.empty()) {
    w.Null();
  } else {
    w.String(view.cancellation_id);
  }
  OptTime(w, "confirm_before",
          view.cancellation_id.empty() ? std::nullopt : std::optional<Micros>(view.confirm_before));
  WritePartner(w, partner);
  w.EndObject();
  return w.Take();
}

std::string RenderBookingList(const BookingPage& page, const Partner& partner, std::int64_t limit,
                              std::int64_t offset, std::string_view list_url,
                              const RenderOptions& o) {
  JsonWriter w;
  w.BeginObject();
  w.Key("count").Int(page.count);
  w.Key("next");
  if (offset + limit < page.count) {
    w.String(std::string(list_url) + "?limit=" + std::to_string(limit) +
             "&offset=" + std::to_string(offset + limit));
  } else {
    w.Null();
  }
  w.Key("previous");
  if (offset > 0) {
    const std::int64_t prev = offset - limit;
    std::string url = std::string(list_url) + "?limit=" + std::to_string(limit);
    if (prev > 0) url += "&offset=" + std::to_string(prev);
    w.String(url);
  } else {
    w.Null();
  }
  w.Key("results").BeginArray();
  for (const auto& pkg : page.results) WriteBookingBody(w, pkg, partner, o);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kBadRequest: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kConflict: return 409;
    case StatusCode::kInvalid: return 422;
    case StatusCode::kRateLimited: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string RenderError(const Status& status) {
  std::string_view type = "server_error";
  switch (status.code()) {
    case StatusCode::kBadRequest: type = "bad_request"; break;
    case StatusCode::kUnauthenticated: type = "authentication_error"; break;
    case StatusCode::kNotFound: type = "not_found"; break;
    case StatusCode::kConflict: type = "conflict"; break;
    case StatusCode::kInvalid: type = "validation_error"; break;
    case StatusCode::kRateLimited: type = "rate_limited"; break;
    case StatusCode::kUnavailable: type = "service_unavailable"; break;
    default: break;
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String(type);
  w.Key("message").String(status.message());
  w.Key("errors").BeginObject();
  // One member per path: a JSON object must not repeat a key, so several
  // problems with one field are joined into one message.
  std::vector<std::pair<std::string_view, std::string>> merged;
  for (const auto& f : status.fields()) {
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const auto& m) { return m.first == f.path; });
    if (it == merged.end()) {
      merged.emplace_back(f.path, f.message);
    } else {
      it->second += " " + f.message;
    }
  }
  for (const auto& [path, message] : merged) w.Key(path).String(message);
  w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace offerledger
