#include "api/request_decoder.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/time.h"
#include "domain/email_template.h"

namespace offerledger {

namespace json = boost::json;

namespace {

constexpr std::string_view kUnexpected = "Unexpected field";
constexpr std::string_view kRequired = "This field is required.";

Status Invalid(std::vector<FieldError> errors) {
  return Status::Invalid("An API error occurred.", std::move(errors));
}

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Reads an optional string member; records an error for a wrong type.
std::optional<std::string> OptString(const json::object& o, std::string_view key,
                                     const std::string& path, std::vector<FieldError>& errors,
                                     std::size_t max_len = 200) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    errors.push_back({path, "Expected a string."});
    return std::nullopt;
  }
  const json::string& s = v->get_string();
  if (s.size() > max_len) {
    errors.push_back(
        {path, "Ensure this field has no more than " + std::to_string(max_len) + " characters."});
    return std::nullopt;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      errors.push_back({path, "Control characters are not allowed."});
      return std::nullopt;
    }
  }
  return std::string(s);
}

void CheckKeys(const json::object& o, std::initializer_list<std::string_view> allowed,
               const std::string& prefix, std::vector<FieldError>& errors) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) == allowed.end()) {
      errors.push_back({prefix + std::string(kv.key()), std::string(kUnexpected)});
    }
  }
}

bool IsCountry(std::string_view s) {
  return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1]));
}

bool IsCurrencyCode(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isupper(static_cast<unsigned char>(c));
         });
}

const json::object* RequireObject(const json::value& body, std::vector<FieldError>& errors) {
  if (!body.is_object()) {
    errors.push_back({"non_field_errors", "Expected a JSON object."});
    return nullptr;
  }
  return &body.get_object();
}

// "request": [objects], each kept whole for the catalog.
std::vector<json::object> QuoteRequests(const json::object& o, std::vector<FieldError>& errors) {
  std::vector<json::object> out;
  const json::value* r = o.if_contains("request");
  if (r == nullptr || r->is_null()) {
    errors.push_back({"request", std::string(kRequired)});
    return out;
  }
  if (!r->is_array() || r->get_array().empty()) {
    errors.push_back({"request", "Expected a non-empty list of quote requests."});
    return out;
  }
  if (r->get_array().size() > 20) {
    errors.push_back({"request", "No more than 20 quote requests per package."});
    return out;
  }
  std::size_t i = 0;
  for (const auto& item : r->get_array()) {
    if (!item.is_object()) {
      errors.push_back({"request." + std::to_string(i), "Expected an object."});
    } else {
      out.push_back(item.get_object());
    }
    ++i;
  }
  return out;
}

}  // namespace

Result<json::value> ParseJsonBody(std::string_view body) {
  if (body.empty()) return json::value(nullptr);
  if (!IsValidUtf8(body)) return Status::BadRequest("The request body is not valid UTF-8.");
  json::parse_options opts;
  opts.max_depth = 64;
  json::error_code ec;
  json::value v = json::parse(body, ec, json::storage_ptr(), opts);
  if (ec) return Status::BadRequest("Malformed JSON body: " + ec.message() + ".");
  return v;
}

Result<std::string> DecodePolicyholder(const json::value& v, const std::string& path) {
  std::vector<FieldError> errors;
  if (!v.is_object()) return Invalid({{path, "Expected an object."}});
  const json::object& o = v.get_object();
  const std::string p = path + ".";
  CheckKeys(o,
            {"first_name", "middle_name", "last_name", "email", "phone", "country", "age",
             "address1", "address2", "city", "postcode", "region", "secondary_email", "birth_date",
             "company", "allow_updates", "language"},
            p, errors);
  json::object out;
  for (std::string_view key : {"first_name", "middle_name", "last_name", "email", "phone",
                               "country", "address1", "address2", "city", "postcode", "region",
                               "secondary_email", "birth_date", "company", "language"}) {
    auto s = OptString(o, key, p + std::string(key), errors);
    out[key] = s ? json::value(*s) : json::value(nullptr);
  }
  for (std::string_view key : {"first_name", "last_name", "email"}) {
    // Only a missing or empty member is "required"; a wrong type already has its error.
    const json::value* given = o.if_contains(key);
    if (given == nullptr || given->is_null() ||
        (given->is_string() && given->get_string().empty())) {
      errors.push_back({p + std::string(key), std::string(kRequired)});
    }
  }
  if (out["email"].is_string()) {
    const json::string& e = out["email"].get_string();
    const auto at = std::find(e.begin(), e.end(), '@');
    if (!e.empty() && (at == e.begin() || at == e.end() || at + 1 == e.end())) {
      errors.push_back({p + "email", "Enter a valid email address."});
    }
  }
  if (out["country"].is_string() && !IsCountry(out["country"].get_string())) {
    errors.push_back({p + "country", "Expected an ISO 3166-1 alpha-2 country code."});
  }
  if (out["phone"].is_string() && !out["phone"].get_string().empty() &&
      out["phone"].get_string()[0] != '+') {
    errors.push_back({p + "phone", "Phone number must be in international format (+...)."});
  }
  if (out["birth_date"].is_string() && !ParseIso8601(out["birth_date"].get_string())) {
    errors.push_back({p + "birth_date", "Expected a date (YYYY-MM-DD)."});
  }
  const json::value* age = o.if_contains("age");
  if (age == nullptr || age->is_null()) {
    out["age"] = nullptr;
  } else if (age->is_int64() && age->get_int64() >= 0 && age->get_int64() <= 130) {
    out["age"] = age->get_int64();
  } else if (age->is_uint64() && age->get_uint64() <= 130) {
    out["age"] = static_cast<std::int64_t>(age->get_uint64());
  } else {
    errors.push_back({p + "age", "Expected a whole number of years between 0 and 130."});
  }
  const json::value* allow = o.if_contains("allow_updates");
  if (allow != nullptr && !allow->is_null() && !allow->is_bool()) {
    errors.push_back({p + "allow_updates", "Expected true or false."});
  }
  out["allow_updates"] = allow != nullptr && allow->is_bool() && allow->get_bool();
  if (!errors.empty()) return Invalid(std::move(errors));
  return json::serialize(out);
}

Result<CreatePackageRequest> DecodeCreatePackage(const json::value& body, bool instant_booking) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  if (instant_booking) {
    CheckKeys(*o,
              {"request", "currency", "customer_country", "customer_region", "customer_language",
               "partner_transaction_id", "policyholder", "partner_metadata"},
              "", errors);
  } else {
    CheckKeys(*o,
              {"request", "currency", "customer_country", "customer_region", "customer_language",
               "partner_transaction_id", "partner_metadata"},
              "", errors);
  }
  CreatePackageRequest req;
  req.currency = OptString(*o, "currency", "currency", errors).value_or("");
  if (!req.currency.empty() && !IsCurrencyCode(req.currency)) {
    errors.push_back({"currency", "Expected an ISO 4217 currency code."});
  }
  req.customer_country = OptString(*o, "customer_country", "customer_country", errors).value_or("");
  if (!req.customer_country.empty() && !IsCountry(req.customer_country)) {
    errors.push_back({"customer_country", "Expected an ISO 3166-1 alpha-2 country code."});
  }
  req.customer_region = OptString(*o, "customer_region", "customer_region", errors).value_or("");
  req.customer_language =
      OptString(*o, "customer_language", "customer_language", errors, 16).value_or("");
  req.partner_transaction_id =
      OptString(*o, "partner_transaction_id", "partner_transaction_id", errors);
  req.quote_requests = QuoteRequests(*o, errors);
  if (instant_booking) {
    const json::value* ph = o->if_contains("policyholder");
    if (ph == nullptr || ph->is_null()) {
      errors.push_back({"policyholder", std::string(kRequired)});
    } else {
      auto decoded = DecodePolicyholder(*ph, "policyholder");
      if (!decoded.ok()) {
        for (const auto& f : decoded.status().fields()) errors.push_back(f);
      } else {
        req.policyholder_json = *decoded;
      }
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return req;
}

Result<UpdatePackageRequest> DecodeUpdatePackage(const json::value& body) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"request", "currency", "customer_country", "partner_transaction_id"}, "", errors);
  UpdatePackageRequest req;
  req.currency = OptString(*o, "currency", "currency", errors);
  if (req.currency && !IsCurrencyCode(*req.currency)) {
    errors.push_back({"currency", "Expected an ISO 4217 currency code."});
  }
  req.customer_country = OptString(*o, "customer_country", "customer_country", errors);
  if (req.customer_country && !IsCountry(*req.customer_country)) {
    errors.push_back({"customer_country", "Expected an ISO 3166-1 alpha-2 country code."});
  }
  req.partner_transaction_id =
      OptString(*o, "partner_transaction_id", "partner_transaction_id", errors);
  if (const json::value* r = o->if_contains("request"); r != nullptr && !r->is_null()) {
    if (!r->is_array()) {
      errors.push_back({"request", "Expected a list."});
    } else {
      std::size_t i = 0;
      for (const auto& item : r->get_array()) {
        const std::string path = "request." + std::to_string(i++);
        if (!item.is_object()) {
          errors.push_back({path, "Expected an object."});
          continue;
        }
        QuoteUpdate u;
        u.fields = item.get_object();
        const json::value* id = u.fields.if_contains("quote_id");
        if (id == nullptr || !id->is_string()) {
          errors.push_back({path + ".quote_id", std::string(kRequired)});
          continue;
        }
        u.quote_id = std::string(id->get_string());
        u.fields.erase("quote_id");
        req.updates.push_back(std::move(u));
      }
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return req;
}

Result<std::vector<json::object>> DecodeAddQuotes(const json::value& body) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"request"}, "", errors);
  auto requests = QuoteRequests(*o, errors);
  if (!errors.empty()) return Invalid(std::move(errors));
  return requests;
}

Result<std::vector<std::string>> DecodeQuoteIds(const json::value& body) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"quotes"}, "", errors);
  std::vector<std::string> ids;
  const json::value* q = o->if_contains("quotes");
  if (q == nullptr || !q->is_array() || q->get_array().empty()) {
    errors.push_back({"quotes", "Expected a non-empty list of {\"id\": ...}."});
    return Invalid(std::move(errors));
  }
  std::size_t i = 0;
  for (const auto& item : q->get_array()) {
    const std::string path = "quotes." + std::to_string(i++);
    if (!item.is_object()) {
      errors.push_back({path, "Expected an object."});
      continue;
    }
    CheckKeys(item.get_object(), {"id", "insured"}, path + ".", errors);
    const json::value* id = item.get_object().if_contains("id");
    if (id == nullptr || !id->is_string()) {
      errors.push_back({path + ".id", std::string(kRequired)});
      continue;
    }
    ids.emplace_back(id->get_string());
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return ids;
}

Result<BookingRequest> DecodeBooking(const json::value& body) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o,
            {"quotes", "policyholder", "partner_transaction_id", "partner_metadata",
             "require_payment_confirmation"},
            "", errors);
  BookingRequest req;
  if (const json::value* r = o->if_contains("require_payment_confirmation");
      r != nullptr && !r->is_null()) {
    if (!r->is_bool()) {
      errors.push_back({"require_payment_confirmation", "Expected true or false."});
    } else {
      req.require_payment_confirmation = r->get_bool();
    }
  }
  json::object quotes_only;
  if (const json::value* q = o->if_contains("quotes")) {
    quotes_only["quotes"] = *q;
    // instalment_plan is a booking choice, not part of the quote id list.
    if (quotes_only["quotes"].is_array()) {
      std::size_t i = 0;
      for (json::value& item : quotes_only["quotes"].get_array()) {
        std::string plan;
        if (item.is_object()) {
          if (auto p = OptString(item.get_object(), "instalment_plan",
                                 "quotes." + std::to_string(i) + ".instalment_plan", errors)) {
            plan = *p;
          }
          item.get_object().erase("instalment_plan");
        }
        req.instalment_plans.push_back(std::move(plan));
        ++i;
      }
    }
  }
  auto ids = DecodeQuoteIds(quotes_only);
  if (!ids.ok()) {
    for (const auto& f : ids.status().fields()) errors.push_back(f);
  } else {
    req.quote_ids = std::move(*ids);
  }
  const json::value* ph = o->if_contains("policyholder");
  if (ph == nullptr || ph->is_null()) {
    errors.push_back({"policyholder", std::string(kRequired)});
  } else {
    auto decoded = DecodePolicyholder(*ph, "policyholder");
    if (!decoded.ok()) {
      for (const auto& f : decoded.status().fields()) errors.push_back(f);
    } else {
      req.policyholder_json = std::move(*decoded);
    }
  }
  req.partner_transaction_id =
      OptString(*o, "partner_transaction_id", "partner_transaction_id", errors);
  if (!errors.empty()) return Invalid(std::move(errors));
  return req;
}

Result<BookingModification> DecodeBookingModification(const json::value& body) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"policyholder", "partner_transaction_id"}, "", errors);
  BookingModification req;
  if (const json::value* ph = o->if_contains("policyholder"); ph != nullptr && !ph->is_null()) {
    if (!ph->is_object()) {
      errors.push_back({"policyholder", "Expected an object."});
    } else {
      req.policyholder = ph->get_object();
    }
  }
  req.partner_transaction_id =
      OptString(*o, "partner_transaction_id", "partner_transaction_id", errors);
  if (errors.empty() && req.policyholder.empty() && !req.partner_transaction_id) {
    errors.push_back({"policyholder", "Nothing to change: give the members to update."});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return req;
}

Result<std::vector<QuoteUpdate>> DecodeQuoteForUpdate(const json::value& body) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"quotes"}, "", errors);
  const json::value* q = o->if_contains("quotes");
  if (q == nullptr || !q->is_array() || q->get_array().empty()) {
    errors.push_back(
        {"quotes", "Expected a non-empty list of {\"id\": ..., \"update_fields\": {...}}."});
    return Invalid(std::move(errors));
  }
  std::vector<QuoteUpdate> out;
  std::size_t i = 0;
  for (const auto& item : q->get_array()) {
    const std::string path = "quotes." + std::to_string(i++);
    if (!item.is_object()) {
      errors.push_back({path, "Expected an object."});
      continue;
    }
    const json::object& e = item.get_object();
    CheckKeys(e, {"id", "update_fields"}, path + ".", errors);
    const json::value* id = e.if_contains("id");
    if (id == nullptr || !id->is_string()) {
      errors.push_back({path + ".id", std::string(kRequired)});
      continue;
    }
    const json::value* fields = e.if_contains("update_fields");
    if (fields == nullptr || !fields->is_object()) {
      errors.push_back({path + ".update_fields", "Expected an object of product fields."});
      continue;
    }
    for (const QuoteUpdate& seen : out) {
      if (seen.quote_id == id->get_string()) {
        errors.push_back({path + ".id", "Duplicate quote id."});
      }
    }
    out.push_back({std::string(id->get_string()), fields->get_object()});
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return out;
}

Result<std::vector<InstalmentReport>> DecodeInstalmentReports(const json::value& body, Micros now) {
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"quotes"}, "", errors);
  const json::value* q = o->if_contains("quotes");
  if (q == nullptr || !q->is_array() || q->get_array().empty()) {
    errors.push_back({"quotes", "Expected a non-empty list of payment reports."});
    return Invalid(std::move(errors));
  }
  std::vector<InstalmentReport> out;
  std::size_t i = 0;
  for (const auto& item : q->get_array()) {
    const std::string path = "quotes." + std::to_string(i++);
    if (!item.is_object()) {
      errors.push_back({path, "Expected an object."});
      continue;
    }
    const json::object& e = item.get_object();
    CheckKeys(e, {"id", "instalment_number", "payment_status", "payment_attempted_date"},
              path + ".", errors);
    InstalmentReport r;
    r.attempted_at = now;
    if (auto id = OptString(e, "id", path + ".id", errors)) {
      r.quote_id = *id;
    } else {
      errors.push_back({path + ".id", std::string(kRequired)});
    }
    const json::value* n = e.if_contains("instalment_number");
    if (n == nullptr || n->is_null()) {
      errors.push_back({path + ".instalment_number", std::string(kRequired)});
    } else if (n->is_int64() && n->get_int64() >= 1 && n->get_int64() <= 1000) {
      r.number = static_cast<int>(n->get_int64());
    } else {
      errors.push_back({path + ".instalment_number", "Expected a whole number from 1."});
    }
    if (auto s = OptString(e, "payment_status", path + ".payment_status", errors)) {
      if (*s != "PAID" && *s != "FAILED") {
        errors.push_back({path + ".payment_status", "Expected PAID or FAILED."});
      }
      r.status = *s;
    } else {
      errors.push_back({path + ".payment_status", std::string(kRequired)});
    }
    if (auto d = OptString(e, "payment_attempted_date", path + ".payment_attempted_date", errors)) {
      if (auto t = ParseIso8601(*d)) {
        r.attempted_at = *t;
      } else {
        errors.push_back({path + ".payment_attempted_date", "Expected an ISO 8601 date-time."});
      }
    }
    out.push_back(std::move(r));
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return out;
}

Result<CancelRequest> DecodeCancel(const json::value& body) {
  CancelRequest req;
  if (body.is_null()) return req;
  std::vector<FieldError> errors;
  const json::object* o = RequireObject(body, errors);
  if (o == nullptr) return Invalid(std::move(errors));
  CheckKeys(*o, {"preview", "reason", "quotes"}, "", errors);
  if (const json::value* p = o->if_contains("preview"); p != nullptr && !p->is_null()) {
    if (!p->is_bool()) {
      errors.push_back({"preview", "Expected true or false."});
    } else {
      req.preview = p->get_bool();
    }
  }
  if (!errors.empty()) return Invalid(std::move(errors));
  return req;
}

Status CheckEmptyPayload(const json::value& body) {
  if (body.is_null() || body.is_object()) return Status::Ok();
  return Status::BadRequest("This call takes no payload: send no body, {} or null.");
}

Result<std::string> DecodeEmailEvent(const boost::json::value& body) {
  std::string event(kEmailBookingCreated);
  if (body.is_null()) return event;
  if (!body.is_object()) {
    return Status::BadRequest("send_email takes no payload or a JSON object {\"event\": ...}.");
  }
  for (const auto& kv : body.get_object()) {
    const std::string key(kv.key().data(), kv.key().size());
    if (key != "event") {
      return Status::Invalid("Unexpected field " + key + ".", {{key, "Unexpected field"}});
    }
    if (kv.value().is_null()) continue;
    if (!kv.value().is_string()) {
      return Status::Invalid("event must be one of " + EmailEventList() + ".",
                             {{"event", "Expected a string."}});
    }
    event.assign(kv.value().get_string().data(), kv.value().get_string().size());
  }
  return event;
}

}  // namespace offerledger
