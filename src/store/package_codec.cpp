#include "store/package_codec.h"

#include "domain/json_writer.h"

#include <boost/json.hpp>

#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace offerledger {

namespace json = boost::json;

namespace {

// ----------------------------------------------------------------- encoding
//
// Written straight into one string with JsonWriter: the same members in the
// same order as the document always had (a json::object built and then
// serialised, before), without building the tree first. Encoding runs on the
// SQLite writer thread for every change to a package, where it was ~9% of the
// writer's CPU per opt-out (issue 7 profile, bench/README.md).

void EncodeQuote(JsonWriter& w, const Quote& q) {
  w.BeginObject();
  w.Key("id").String(q.id);
  w.Key("policy_type").String(q.policy_type);
  w.Key("policy_type_version").Int(q.policy_type_version);
  w.Key("policy_name").String(q.policy_name);
  w.Key("policy_code").String(q.policy_code);
  w.Key("policy_version_id").String(q.policy_version_id);
  w.Key("policy_group").String(q.policy_group);
  w.Key("fields_json").String(q.fields_json);
  w.Key("policy_start").Int(q.policy_start);
  w.Key("policy_end").Int(q.policy_end);
  w.Key("status").String(QuoteStatusName(q.status));
  w.Key("premium").Int(q.premium);
  w.Key("taxes").BeginArray();
  for (const TaxLine& t : q.taxes) {
    w.BeginObject();
    w.Key("code").String(t.code);
    w.Key("amount").Int(t.amount);
    w.EndObject();
  }
  w.EndArray();
  w.Key("price").Int(q.price);
  w.Key("cover_amount").Int(q.cover_amount);
  w.Key("price_multiplier_nanos").Int(q.price_multiplier_nanos);
  w.Key("content").BeginObject();
  w.Key("title").String(q.content.title);
  w.Key("description").String(q.content.description);
  w.Key("optout_msg").String(q.content.optout_msg);
  w.Key("disclaimer").String(q.content.disclaimer);
  w.EndObject();
  w.Key("created_at").Int(q.created_at);
  w.Key("updated_at").Int(q.updated_at);
  w.Key("confirmed_at").OptInt(q.confirmed_at);
  w.Key("cancelled_at").OptInt(q.cancelled_at);
  w.Key("refund").Int(q.refund);
  w.Key("renewable").Bool(q.renewable);
  w.Key("instalment_plans").BeginArray();
  for (const InstalmentPlan& p : q.instalment_plans) {
    w.BeginObject();
    w.Key("name").String(p.name);
    w.Key("label").String(p.label);
    w.Key("instalments").Int(p.instalments);
    w.Key("period_months").Int(p.period_months);
    w.EndObject();
  }
  w.EndArray();
  w.Key("instalment_plan").String(q.instalment_plan);
  w.Key("instalment_payments").BeginArray();
  for (const InstalmentPayment& p : q.instalment_payments) {
    w.BeginObject();
    w.Key("number").Int(p.number);
    w.Key("status").String(p.status);
    w.Key("attempted_at").Int(p.attempted_at);
    w.Key("failures").Int(p.failures);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void EncodeQuotes(JsonWriter& w, const std::vector<Quote>& quotes) {
  w.BeginArray();
  for (const Quote& q : quotes) EncodeQuote(w, q);
  w.EndArray();
}

// ----------------------------------------------------------------- decoding

// Reads the members of one JSON object into C++ fields, remembering the first
// problem (with its path) in `*error`; later reads after an error are no-ops.
class Fields {
 public:
  Fields(const json::object& obj, std::string where, std::string* error)
      : obj_(obj), next_(obj.begin()), where_(std::move(where)), error_(error) {}

  void Str(std::string_view key, std::string& out) {
    const json::value* v = Find(key);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(key, "a string");
    out.assign(v->get_string().data(), v->get_string().size());
  }
  void OptStr(std::string_view key, std::optional<std::string>& out) {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return out.reset();
    if (!v->is_string()) return Fail(key, "a string or null");
    out.emplace(v->get_string().data(), v->get_string().size());
  }
  void Int(std::string_view key, std::int64_t& out) {
    const json::value* v = Find(key);
    if (v == nullptr) return;
    if (auto n = AsInt(*v)) {
      out = *n;
    } else {
      Fail(key, "an integer");
    }
  }
  void Int(std::string_view key, int& out) {
    std::int64_t n = out;
    Int(key, n);
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
      return Fail(key, "a 32-bit integer");
    }
    out = static_cast<int>(n);
  }
  void OptInt(std::string_view key, std::optional<std::int64_t>& out) {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return out.reset();
    if (auto n = AsInt(*v)) {
      out = *n;
    } else {
      Fail(key, "an integer or null");
    }
  }
  template <typename E, typename Parser>
  void Enum(std::string_view key, E& out, Parser parse) {
    const json::value* v = Find(key);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(key, "a status name");
    auto e = parse(std::string_view(v->get_string()));
    if (!e) return Fail(key, "a known status name");
    out = *e;
  }
  // nullptr when absent or null (or on error).
  const json::object* Object(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) {
      Fail(key, "an object");
      return nullptr;
    }
    return &v->get_object();
  }
  const json::array* Array(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_array()) {
      Fail(key, "an array");
      return nullptr;
    }
    return &v->get_array();
  }
  void Bool(std::string_view key, bool& out) {
    const json::value* v = Find(key);
    if (v == nullptr) return;
    if (!v->is_bool()) return Fail(key, "true or false");
    out = v->get_bool();
  }
  void Require(std::string_view key) {
    if (*error_ == "" && obj_.if_contains(key) == nullptr) {
      *error_ = Path(key) + " is missing";
    }
  }
  std::string Path(std::string_view key) const {
    return where_.empty() ? std::string(key) : where_ + "." + std::string(key);
  }
  bool ok() const { return error_->empty(); }

 private:
  // The members are read in the order EncodePackage writes them, so the one
  // after the last found is almost always the one asked for: one comparison
  // instead of a look-up (which was a quarter of DecodePackage's time). A
  // document in another order, or without the member, falls back to find().
  const json::value* Find(std::string_view key) {
    if (!error_->empty()) return nullptr;
    if (next_ != obj_.end() && next_->key() == key) return &(next_++)->value();
    const auto it = obj_.find(key);
    if (it == obj_.end()) return nullptr;
    next_ = std::next(it);
    return &it->value();
  }
  static std::optional<std::int64_t> AsInt(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() &&
        v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(v.get_uint64());
    }
    return std::nullopt;
  }
  void Fail(std::string_view key, std::string_view expected) {
    if (error_->empty()) *error_ = Path(key) + " is not " + std::string(expected);
  }

  const json::object& obj_;
  json::object::const_iterator next_;  // where the next member is expected
  std::string where_;
  std::string* error_;
};

Quote DecodeQuote(const json::object& obj, const std::string& where, std::string* error) {
  Quote q;
  Fields f(obj, where, error);
  f.Str("id", q.id);
  f.Str("policy_type", q.policy_type);
  f.Int("policy_type_version", q.policy_type_version);
  f.Str("policy_name", q.policy_name);
  f.Str("policy_code", q.policy_code);
  f.Str("policy_version_id", q.policy_version_id);
  f.Str("policy_group", q.policy_group);
  f.Str("fields_json", q.fields_json);
  f.Int("policy_start", q.policy_start);
  f.Int("policy_end", q.policy_end);
  f.Enum("status", q.status, ParseQuoteStatus);
  f.Int("premium", q.premium);
  if (const json::array* taxes = f.Array("taxes")) {
    for (std::size_t i = 0; i < taxes->size() && f.ok(); ++i) {
      std::string path = f.Path("taxes") + "[" + std::to_string(i) + "]";
      const json::value& v = (*taxes)[i];
      if (!v.is_object()) {
        *error = path + " is not an object";
        break;
      }
      TaxLine line;
      Fields t(v.get_object(), path, error);
      t.Str("code", line.code);
      t.Int("amount", line.amount);
      q.taxes.push_back(std::move(line));
    }
  }
  f.Int("price", q.price);
  f.Int("cover_amount", q.cover_amount);
  f.Int("price_multiplier_nanos", q.price_multiplier_nanos);
  if (const json::object* content = f.Object("content")) {
    Fields c(*content, f.Path("content"), error);
    c.Str("title", q.content.title);
    c.Str("description", q.content.description);
    c.Str("optout_msg", q.content.optout_msg);
    c.Str("disclaimer", q.content.disclaimer);
  }
  f.Int("created_at", q.created_at);
  f.Int("updated_at", q.updated_at);
  f.OptInt("confirmed_at", q.confirmed_at);
  f.OptInt("cancelled_at", q.cancelled_at);
  f.Int("refund", q.refund);
  f.Bool("renewable", q.renewable);
  if (const json::array* plans = f.Array("instalment_plans")) {
    for (std::size_t i = 0; i < plans->size() && f.ok(); ++i) {
      std::string path = f.Path("instalment_plans") + "[" + std::to_string(i) + "]";
      if (!(*plans)[i].is_object()) {
        *error = path + " is not an object";
        break;
      }
      InstalmentPlan plan;
      Fields p((*plans)[i].get_object(), path, error);
      p.Str("name", plan.name);
      p.Str("label", plan.label);
      p.Int("instalments", plan.instalments);
      p.Int("period_months", plan.period_months);
      q.instalment_plans.push_back(std::move(plan));
    }
  }
  f.Str("instalment_plan", q.instalment_plan);
  if (const json::array* payments = f.Array("instalment_payments")) {
    for (std::size_t i = 0; i < payments->size() && f.ok(); ++i) {
      std::string path = f.Path("instalment_payments") + "[" + std::to_string(i) + "]";
      if (!(*payments)[i].is_object()) {
        *error = path + " is not an object";
        break;
      }
      InstalmentPayment pay;
      Fields p((*payments)[i].get_object(), path, error);
      p.Int("number", pay.number);
      p.Str("status", pay.status);
      p.Int("attempted_at", pay.attempted_at);
      p.Int("failures", pay.failures);
      q.instalment_payments.push_back(std::move(pay));
    }
  }
  return q;
}

}  // namespace

std::string EncodePackage(const QuotePackage& pkg) {
  JsonWriter w;
  w.BeginObject();
  w.Key("v").Int(kPackageDocVersion);
  w.Key("id").String(pkg.id);
  w.Key("partner").String(pkg.partner);
  w.Key("security_token").String(pkg.security_token);
  w.Key("status").String(PackageStatusName(pkg.status));
  w.Key("currency").String(pkg.currency);
  w.Key("customer_country").String(pkg.customer_country);
  w.Key("customer_region").String(pkg.customer_region);
  w.Key("customer_language").String(pkg.customer_language);
  w.Key("partner_transaction_id").OptString(pkg.partner_transaction_id);
  w.Key("created_at").Int(pkg.created_at);
  w.Key("updated_at").Int(pkg.updated_at);
  w.Key("booked_at").OptInt(pkg.booked_at);
  w.Key("quotes");
  EncodeQuotes(w, pkg.quotes);
  w.Key("policyholder_json").String(pkg.policyholder_json);
  w.Key("pending_cancellation");
  if (pkg.pending_cancellation) {
    const PendingCancellation& c = *pkg.pending_cancellation;
    w.BeginObject();
    w.Key("id").String(c.id);
    w.Key("created_at").Int(c.created_at);
    w.Key("confirm_before").Int(c.confirm_before);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("pending_update");
  if (pkg.pending_update) {
    const PendingUpdate& u = *pkg.pending_update;
    w.BeginObject();
    w.Key("id").String(u.id);
    w.Key("created_at").Int(u.created_at);
    w.Key("confirm_before").Int(u.confirm_before);
    w.Key("quotes");
    EncodeQuotes(w, u.quotes);
    w.EndObject();
  } else {
    w.Null();
  }
  // Renewal state, only when there is some: most documents have none.
  if (pkg.pending_renewal) {
    w.Key("pending_renewal").BeginObject();
    w.Key("id").String(pkg.pending_renewal->id);
    w.Key("created_at").Int(pkg.pending_renewal->created_at);
    w.Key("quotes");
    EncodeQuotes(w, pkg.pending_renewal->quotes);
    w.EndObject();
  }
  if (pkg.renewal_opted_out_at) w.Key("renewal_opted_out_at").Int(*pkg.renewal_opted_out_at);
  if (!pkg.renewed_from.empty()) w.Key("renewed_from").String(pkg.renewed_from);
  if (!pkg.renewed_to.empty()) w.Key("renewed_to").String(pkg.renewed_to);
  if (pkg.renewal_due_sent_for) w.Key("renewal_due_sent_for").Int(*pkg.renewal_due_sent_for);
  if (pkg.renewal_expired_at) w.Key("renewal_expired_at").Int(*pkg.renewal_expired_at);
  w.EndObject();
  return w.Take();
}

Result<QuotePackage> DecodePackage(std::string_view doc) {
  auto corrupt = [](const std::string& why) {
    return Status::Internal("corrupt quote package document: " + why);
  };
  // The parsed tree only lives while it is copied into the package: one
  // arena (a stack buffer, then blocks from the heap for big documents)
  // instead of a malloc per string, object and array of the tree. Decoding
  // runs on the SQLite writer thread for every write (the opt-out's
  // LoadPackage), where each microsecond is paid by the whole batch.
  unsigned char arena[16 * 1024];
  json::monotonic_resource mr(arena, sizeof arena);
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(doc.data(), doc.size()), ec, &mr);
  if (ec) return corrupt("not JSON (" + ec.message() + ")");
  if (!root.is_object()) return corrupt("not a JSON object");
  const json::object& obj = root.get_object();

  std::string error;
  Fields f(obj, "", &error);
  std::int64_t version = 0;
  f.Require("v");
  f.Int("v", version);
  if (error.empty() && version > kPackageDocVersion) {
    return corrupt("format version " + std::to_string(version) +
                   " is newer than this offerledger reads (" + std::to_string(kPackageDocVersion) +
                   ")");
  }
  f.Require("id");
  f.Require("partner");
  f.Require("status");

  QuotePackage pkg;
  f.Str("id", pkg.id);
  f.Str("partner", pkg.partner);
  f.Str("security_token", pkg.security_token);
  f.Enum("status", pkg.status, ParsePackageStatus);
  f.Str("currency", pkg.currency);
  f.Str("customer_country", pkg.customer_country);
  f.Str("customer_region", pkg.customer_region);
  f.Str("customer_language", pkg.customer_language);
  f.OptStr("partner_transaction_id", pkg.partner_transaction_id);
  f.Int("created_at", pkg.created_at);
  f.Int("updated_at", pkg.updated_at);
  f.OptInt("booked_at", pkg.booked_at);
  if (const json::array* quotes = f.Array("quotes")) {
    pkg.quotes.reserve(quotes->size());
    for (std::size_t i = 0; i < quotes->size() && error.empty(); ++i) {
      std::string path = "quotes[" + std::to_string(i) + "]";
      const json::value& v = (*quotes)[i];
      if (!v.is_object()) {
        error = path + " is not an object";
        break;
      }
      pkg.quotes.push_back(DecodeQuote(v.get_object(), path, &error));
    }
  }
  f.Str("policyholder_json", pkg.policyholder_json);
  if (const json::object* pending = f.Object("pending_cancellation")) {
    PendingCancellation c;
    Fields p(*pending, "pending_cancellation", &error);
    p.Str("id", c.id);
    p.Int("created_at", c.created_at);
    p.Int("confirm_before", c.confirm_before);
    pkg.pending_cancellation = std::move(c);
  }
  if (const json::object* pending = f.Object("pending_update")) {
    PendingUpdate u;
    Fields p(*pending, "pending_update", &error);
    p.Str("id", u.id);
    p.Int("created_at", u.created_at);
    p.Int("confirm_before", u.confirm_before);
    if (const json::array* quotes = p.Array("quotes")) {
      for (std::size_t i = 0; i < quotes->size() && error.empty(); ++i) {
        std::string path = "pending_update.quotes[" + std::to_string(i) + "]";
        const json::value& v = (*quotes)[i];
        if (!v.is_object()) {
          error = path + " is not an object";
          break;
        }
        u.quotes.push_back(DecodeQuote(v.get_object(), path, &error));
      }
    }
    pkg.pending_update = std::move(u);
  }
  if (const json::object* renewal = f.Object("pending_renewal")) {
    PendingRenewal r;
    Fields p(*renewal, "pending_renewal", &error);
    p.Str("id", r.id);
    p.Int("created_at", r.created_at);
    if (const json::array* quotes = p.Array("quotes")) {
      for (std::size_t i = 0; i < quotes->size() && error.empty(); ++i) {
        std::string path = "pending_renewal.quotes[" + std::to_string(i) + "]";
        if (!(*quotes)[i].is_object()) {
          error = path + " is not an object";
          break;
        }
        r.quotes.push_back(DecodeQuote((*quotes)[i].get_object(), path, &error));
      }
    }
    pkg.pending_renewal = std::move(r);
  }
  f.OptInt("renewal_opted_out_at", pkg.renewal_opted_out_at);
  f.Str("renewed_from", pkg.renewed_from);
  f.Str("renewed_to", pkg.renewed_to);
  f.OptInt("renewal_due_sent_for", pkg.renewal_due_sent_for);
  f.OptInt("renewal_expired_at", pkg.renewal_expired_at);
  if (!error.empty()) return corrupt(error);
  return pkg;
}

}  // namespace offerledger
