#include "domain/email_template.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/time.h"
#include "domain/money.h"

namespace offerledger {

namespace json = boost::json;

namespace {

// One "{{name}}" found in a text: where it starts and ends, and its name.
struct Placeholder {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the closing "}}"
  std::string_view name;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The next placeholder at or after `from`; nullopt when there is none, and
// `error` set when a "{{" is not closed.
std::optional<Placeholder> NextPlaceholder(std::string_view text, std::size_t from,
                                           std::string* error) {
  const std::size_t open = text.find("{{", from);
  if (open == std::string_view::npos) return std::nullopt;
  const std::size_t close = text.find("}}", open + 2);
  if (close == std::string_view::npos) {
    if (error != nullptr) *error = "\"{{\" at offset " + std::to_string(open) + " is not closed";
    return std::nullopt;
  }
  return Placeholder{open, close + 2, Trim(text.substr(open + 2, close - open - 2))};
}

std::string Known() {
  std::string out;
  for (std::string_view n : EmailPlaceholderNames()) {
    out += out.empty() ? "" : ", ";
    out += n;
  }
  return out;
}

std::string JoinStatuses(std::initializer_list<PackageStatus> statuses) {
  std::string out;
  std::size_t i = 0;
  for (PackageStatus s : statuses) {
    if (i > 0) out += i + 1 == statuses.size() ? " or " : ", ";
    out += PackageStatusName(s);
    ++i;
  }
  return out;
}

std::string Member(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->get_string());
}

const Quote* FirstLiveQuote(const QuotePackage& pkg) {
  for (const Quote& q : pkg.quotes) {
    if (q.status != QuoteStatus::kReceived) return &q;
  }
  return pkg.quotes.empty() ? nullptr : &pkg.quotes.front();
}

std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\r', ' ');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

const std::vector<std::string_view>& EmailEventNames() {
  static const std::vector<std::string_view> kNames = {kEmailBookingCreated, kEmailBookingUpdated,
                                                       kEmailBookingCancelled};
  return kNames;
}

bool IsEmailEvent(std::string_view name) {
  const auto& names = EmailEventNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string EmailEventList() {
  std::string out;
  for (std::string_view n : EmailEventNames()) {
    out += out.empty() ? "" : ", ";
    out += n;
  }
  return out;
}

const std::vector<std::string_view>& EmailPlaceholderNames() {
  static const std::vector<std::string_view> kNames = {
      "policyholder.first_name",
      "policyholder.last_name",
      "policyholder.email",
      "booking.id",
      "booking.status",
      "booking.currency",
      "booking.total_price",
      "price",
      "partner.code",
      "partner.name",
      "quote.policy_type",
      "quote.policy_name",
      "quote.policy_code",
      "quote.policy_start_date",
      "quote.policy_end_date",
      "quote.price",
  };
  return kNames;
}

std::optional<std::string> CheckEmailText(std::string_view text) {
  const auto& known = EmailPlaceholderNames();
  std::size_t from = 0;
  for (;;) {
    std::string error;
    auto p = NextPlaceholder(text, from, &error);
    if (!error.empty()) return error;
    if (!p) return std::nullopt;
    if (p->name.empty()) return "empty placeholder \"{{}}\"";
    if (std::find(known.begin(), known.end(), p->name) == known.end()) {
      return "unknown placeholder \"{{" + std::string(p->name) + "}}\"; the placeholders are " +
             Known();
    }
    from = p->end;
  }
}

std::string RenderEmailText(std::string_view text, const EmailValues& values) {
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t from = 0;
  for (;;) {
    auto p = NextPlaceholder(text, from, nullptr);
    if (!p) break;
    out.append(text.substr(from, p->begin - from));
    if (auto it = values.find(p->name); it != values.end()) out += it->second;
    from = p->end;
  }
  out.append(text.substr(from));
  return out;
}

const EmailTemplate& DefaultEmailTemplate(std::string_view event) {
  static const EmailTemplate kCreated{
      "Your {{quote.policy_name}} booking {{booking.id}}",
      "Dear {{policyholder.first_name}} {{policyholder.last_name}},\n\n"
      "Thank you for your booking {{booking.id}} with {{partner.name}}: {{quote.policy_name}}, "
      "from {{quote.policy_start_date}} to {{quote.policy_end_date}}, for {{price}}.\n"};
  static const EmailTemplate kUpdated{
      "Your booking {{booking.id}} was updated",
      "Dear {{policyholder.first_name}} {{policyholder.last_name}},\n\n"
      "Your booking {{booking.id}} ({{quote.policy_name}}) was updated. It now costs "
      "{{price}}.\n"};
  static const EmailTemplate kCancelled{
      "Your booking {{booking.id}} is cancelled",
      "Dear {{policyholder.first_name}} {{policyholder.last_name}},\n\n"
      "Your booking {{booking.id}} ({{quote.policy_name}}) is cancelled.\n"};
  if (event == kEmailBookingUpdated) return kUpdated;
  if (event == kEmailBookingCancelled) return kCancelled;
  return kCreated;
}

Status CheckEmailEvent(const QuotePackage& pkg, std::string_view event) {
  if (!IsEmailEvent(event)) {
    return Status::Invalid(
        "Unknown email event " + std::string(event) + "; the events are " + EmailEventList() + ".",
        {{"event", "Unknown email event."}});
  }
  if (!pkg.booked_at) {
    return Status::Invalid("Quote package " + pkg.id + " is " +
                               std::string(PackageStatusName(pkg.status)) +
                               ": emails can be only triggered for bookings.",
                           {{"status", std::string(PackageStatusName(pkg.status))}});
  }
  bool fits = false;
  std::string wanted;
  if (event == kEmailBookingCancelled) {
    fits = pkg.status == PackageStatus::kCancelled;
    wanted = JoinStatuses({PackageStatus::kCancelled});
  } else {
    fits = pkg.status == PackageStatus::kConfirmed || pkg.status == PackageStatus::kPendingPayment;
    wanted = JoinStatuses({PackageStatus::kConfirmed, PackageStatus::kPendingPayment});
  }
  if (!fits) {
    return Status::Invalid(
        std::string(event) + " email can be only triggered for " + wanted + " bookings.",
        {{"status", std::string(PackageStatusName(pkg.status))}});
  }
  return Status::Ok();
}

EmailValues BookingEmailValues(const QuotePackage& pkg, std::string_view partner_code,
                               std::string_view partner_name) {
  EmailValues v;
  json::object holder;
  if (!pkg.policyholder_json.empty()) {
    boost::system::error_code ec;
    json::value parsed = json::parse(pkg.policyholder_json, ec);
    if (!ec && parsed.is_object()) holder = std::move(parsed.get_object());
  }
  v["policyholder.first_name"] = Member(holder, "first_name");
  v["policyholder.last_name"] = Member(holder, "last_name");
  v["policyholder.email"] = Member(holder, "email");
  v["booking.id"] = pkg.id;
  v["booking.status"] = std::string(PackageStatusName(pkg.status));
  v["booking.currency"] = pkg.currency;
  v["partner.code"] = std::string(partner_code);
  v["partner.name"] = std::string(partner_name);
  const Currency* currency = FindCurrency(pkg.currency);
  const int exponent = currency != nullptr ? currency->exponent : 2;
  auto money = [&](MinorUnits amount) {
    return currency != nullptr ? FormatMoney(amount, *currency)
                               : FormatDecimal(amount, exponent) + " " + pkg.currency;
  };
  MinorUnits total = 0;
  for (const Quote& q : pkg.quotes) {
    if (q.status != QuoteStatus::kReceived) total += q.price;
  }
  v["booking.total_price"] = FormatDecimal(total, exponent);
  v["price"] = money(total);
  if (const Quote* q = FirstLiveQuote(pkg)) {
    v["quote.policy_type"] = q->policy_type;
    v["quote.policy_name"] = q->policy_name;
    v["quote.policy_code"] = q->policy_code;
    v["quote.policy_start_date"] = FormatDate(q->policy_start);
    v["quote.policy_end_date"] = FormatDate(q->policy_end);
    v["quote.price"] = money(q->price);
  }
  return v;
}

Result<RenderedEmail> RenderBookingEmail(const QuotePackage& pkg, const EmailTemplate& tmpl,
                                         std::string_view partner_code,
                                         std::string_view partner_name) {
  const EmailValues values = BookingEmailValues(pkg, partner_code, partner_name);
  RenderedEmail email;
  email.recipient = values.at("policyholder.email");
  if (email.recipient.empty()) {
    return Status::Invalid("Booking " + pkg.id + " has no policyholder email to send to.",
                           {{"policyholder.email", "This field is required."}});
  }
  email.subject = OneLine(RenderEmailText(tmpl.subject, values));
  email.body = RenderEmailText(tmpl.body, values);
  return email;
}

}  // namespace offerledger
