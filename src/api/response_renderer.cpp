#include "api/response_renderer.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "domain/instalments.h"
#include "domain/json_writer.h"
#include "domain/money.h"

namespace offerledger {

namespace json = boost::json;

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

// `price_diff`: set for the answers of quote_for_update and confirm_update.
void WriteQuote(JsonWriter& w, const QuotePackage& pkg, const Quote& q, const RenderOptions& o,
                std::optional<MinorUnits> price_diff = std::nullopt) {
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
  for (const auto& p : q.instalment_plans) {
    w.BeginObject();
    w.Key("name").String(p.name);
    w.Key("label").String(p.label);
    w.Key("amount").Money(q.price, c.exponent);
    w.EndObject();
  }
  w.EndArray();
  w.Key("instalment_plan")
      .OptString(q.instalment_plan.empty() ? std::nullopt
                                           : std::optional<std::string>(q.instalment_plan));
  // When the current period ends and the renewal falls due (as
  // policy_end_date); null when nothing is to renew.
  const std::optional<Micros> next_renewal = NextRenewal(pkg, q);
  if (next_renewal) {
    w.Key("next_renewal").String(FormatIsoOffset(*next_renewal));
  } else {
    w.Key("next_renewal").Null();
  }
  w.Key("can_be_cancelled").Bool(q.status == QuoteStatus::kConfirmed);
  if (price_diff) MoneyPair(w, "price_diff", *price_diff, c);
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
  w.Key("pdf").String(o.public_url + "/coi/" + pkg.id +
                      ".pdf?security_token=" + pkg.security_token);
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
                      const RenderOptions& o, const UpdateView* update = nullptr) {
  const Currency& c = CurrencyOf(pkg);
  w.BeginObject();
  WritePackageHead(w, pkg, o);
  w.Key("quotes").BeginArray();
  for (std::size_t i = 0; i < pkg.quotes.size(); ++i) {
    std::optional<MinorUnits> diff;
    if (update != nullptr) {
      diff = i < update->price_diffs.size() ? update->price_diffs[i] : 0;
    }
    WriteQuote(w, pkg, pkg.quotes[i], o, diff);
  }
  w.EndArray();
  WriteCoi(w, pkg, o);
  w.Key("account_url").String(o.public_url + "/account?id=" + pkg.id);
  WritePolicyholder(w, pkg);
  MoneyPair(w, "total_tax", pkg.total_tax(), c);
  MoneyPair(w, "total_premium", pkg.total_premium(), c);
  if (update != nullptr) {
    MoneyPair(w, "total_price_diff", update->total_price_diff, c);
    if (!update->update_id.empty()) w.Key("update_id").String(update->update_id);
  }
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

std::string RenderBooking(const QuotePackage& pkg, const Partner& partner, const RenderOptions& o) {
  JsonWriter w;
  WriteBookingBody(w, pkg, partner, o);
  return w.Take();
}

std::string RenderBookingUpdate(const QuotePackage& pkg, const Partner& partner,
                                const UpdateView& update, const RenderOptions& o) {
  JsonWriter w;
  WriteBookingBody(w, pkg, partner, o, &update);
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
    OptTime(
        w, "policy_coolingoff_date",
        q.confirmed_at ? std::optional<Micros>(*q.confirmed_at + kCoolingOffPeriod) : std::nullopt);
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

namespace {
void WriteInstalment(JsonWriter& w, const Quote& q, const Instalment& in, const Currency& c) {
  w.BeginObject();
  w.Key("id").String(in.id);
  w.Key("number").Int(in.number);
  w.Key("quote").String(q.id);
  w.Key("period_start_date").String(FormatIsoOffset(in.period_start));
  w.Key("period_end_date").String(FormatIsoOffset(in.period_end));
  w.Key("status").String(in.status);
  w.Key("commission").Money(0, 1);
  w.Key("total_amount").Money(in.amount, c.exponent);
  w.Key("tax").BeginObject();
  w.Key("taxes").BeginArray();
  MinorUnits tax = 0;
  for (const auto& t : in.taxes) {
    tax += t.amount;
    w.BeginObject();
    w.Key("tax_code").String(t.code);
    w.Key("tax_label").String(t.code);
    w.Key("tax_amount").String(FormatDecimal(t.amount, c.exponent));
    w.Key("tax_amount_formatted").String(FormatMoney(t.amount, c));
    w.EndObject();
  }
  w.EndArray();
  w.Key("total_tax").String(FormatDecimal(tax, c.exponent));
  w.Key("total_tax_formatted").String(FormatMoney(tax, c));
  w.Key("total_amount_without_tax").String(FormatDecimal(in.premium, c.exponent));
  w.Key("total_amount_without_tax_formatted").String(FormatMoney(in.premium, c));
  w.EndObject();
  w.Key("surcharges").BeginObject();
  w.EndObject();
  w.Key("payment_failures");
  if (in.failures > 0) {
    w.Int(in.failures);
  } else {
    w.Null();
  }
  w.EndObject();
}
}  // namespace

std::string RenderInstalments(const QuotePackage& pkg) {
  const Currency& c = CurrencyOf(pkg);
  JsonWriter w;
  w.BeginObject();
  w.Key("quotes").BeginArray();
  for (const auto& q : pkg.quotes) {
    const std::vector<Instalment> schedule = InstalmentSchedule(q);
    if (schedule.empty()) continue;
    MinorUnits paid = 0, due = 0;
    const Instalment* next = nullptr;
    std::optional<Micros> paid_until;
    for (const auto& in : schedule) {
      if (in.status == "PAID") {
        paid += in.amount;
        paid_until = in.period_end;
      } else {
        due += in.amount;
        if (next == nullptr) next = &in;
      }
    }
    w.BeginObject();
    w.Key("id").String(q.id);
    w.Key("next_payment");
    if (next != nullptr) {
      WriteInstalment(w, q, *next, c);
    } else {
      w.Null();
    }
    OptTime(w, "paid_until", paid_until);
    w.Key("payment_schedule").BeginArray();
    for (const auto& in : schedule) WriteInstalment(w, q, in, c);
    w.EndArray();
    w.Key("total_amount_paid").Money(paid, c.exponent);
    w.Key("total_amount_due").Money(due, c.exponent);
    w.EndObject();
  }
  w.EndArray();
  w.Key("currency").String(pkg.currency);
  w.EndObject();
  return w.Take();
}

namespace {
std::string_view ErrorType(StatusCode code) {
  switch (code) {
    case StatusCode::kBadRequest:
      return "bad_request";
    case StatusCode::kUnauthenticated:
      return "authentication_error";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kInvalid:
      return "validation_error";
    case StatusCode::kRateLimited:
      return "rate_limited";
    case StatusCode::kUnavailable:
      return "service_unavailable";
    default:
      return "server_error";
  }
}
}  // namespace

std::string RenderNestedError(const Status& status) {
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String(ErrorType(status.code()));
  w.Key("message").String(status.message());
  // Group the dotted paths into a tree; each leaf is the list of messages.
  json::object errors;
  for (const auto& f : status.fields()) {
    json::object* node = &errors;
    std::string_view path = f.path;
    while (true) {
      const std::size_t dot = path.find('.');
      const std::string key(path.substr(0, dot));
      if (dot == std::string_view::npos) {
        json::value& leaf = (*node)[key];
        if (!leaf.is_array()) leaf = json::array();
        leaf.get_array().emplace_back(f.message);
        break;
      }
      json::value& child = (*node)[key];
      if (!child.is_object()) child = json::object();
      node = &child.get_object();
      path.remove_prefix(dot + 1);
    }
  }
  w.Key("errors").Raw(json::serialize(errors));
  w.EndObject();
  return w.Take();
}

std::string RenderListError(const Status& status) {
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String(ErrorType(status.code()));
  w.Key("message").String("An API error occurred.");
  w.Key("errors").BeginArray();
  w.String(status.message());
  w.EndArray();
  w.EndObject();
  return w.Take();
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kBadRequest:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kInvalid:
      return 422;
    case StatusCode::kRateLimited:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string RenderRenewalQuote(const QuotePackage& pkg, const PendingRenewal& renewal,
                               const RenderOptions& o) {
  const Currency& c = CurrencyOf(pkg);
  MinorUnits total = 0;
  for (const Quote& q : renewal.quotes) total += q.price;
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String(pkg.id);
  w.Key("status").String(PackageStatusName(pkg.status));
  w.Key("renewal_id").String(renewal.id);
  w.Key("currency").String(pkg.currency);
  MoneyPair(w, "total_price", total, c);
  w.Key("quotes").BeginArray();
  for (const Quote& q : renewal.quotes) WriteQuote(w, pkg, q, o);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string RenderError(const Status& status) {
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String(ErrorType(status.code()));
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
