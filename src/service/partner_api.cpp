#include "service/partner_api.h"

#include <boost/json/parse.hpp>

#include "api/request_decoder.h"
#include "domain/ids.h"
#include "domain/instalments.h"
#include "service/ledger_writes.h"
#include "service/webhook_events.h"

namespace offerledger {

namespace json = boost::json;

namespace {

Status PackageNotFound(std::string_view id) {
  return Status::NotFound("Quote package " + std::string(id) + " not found.");
}

std::vector<LedgerEvent> EventsFor(EventKind kind, const QuotePackage& pkg,
                                   const std::vector<const Quote*>& quotes, Micros now) {
  std::vector<LedgerEvent> out;
  out.reserve(quotes.size());
  for (const Quote* q : quotes) out.push_back(MakeEvent(kind, pkg, *q, now));
  return out;
}

// A new quote for a priced request: a fresh id, offered now.
Quote NewQuote(const PricedQuote& p, Micros now) {
  Quote q;
  q.id = NewUuid();
  p.FillQuote(q);
  q.created_at = now;
  q.updated_at = now;
  return q;
}

Status MergeFieldErrors(std::vector<FieldError>& into, const Status& st) {
  if (st.code() != StatusCode::kInvalid) return st;
  for (const auto& f : st.fields()) into.push_back(f);
  if (st.fields().empty()) into.push_back({"non_field_errors", st.message()});
  return Status::Ok();
}

}  // namespace

PartnerApi::PartnerApi(Store& store, std::shared_ptr<const Catalog> catalog, PartnerApiOptions opts)
    : store_(store), catalog_(std::move(catalog)), opts_(std::move(opts)) {}

ApiReply PartnerApi::ErrorReply(const Status& status) {
  return {HttpStatusFor(status.code()), RenderError(status), false};
}

Status PartnerApi::WriteUnit(const RequestContext& ctx, const Work& work, WriteTxn& tx,
                             WriteOutcome& out) {
  out.have_reply = false;  // a retried unit of work starts afresh
  if (!ctx.idempotency_key.empty()) {
    auto found = tx.FindReply(ctx.partner, ctx.idempotency_key, ctx.now - opts_.idempotency_window);
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      const IdempotentReply& prior = **found;
      if (prior.fingerprint != ctx.fingerprint) {
        return Status::Conflict("This idempotency key was already used with a different request.");
      }
      out.reply = {prior.status, prior.body, true};
      out.have_reply = true;
      return Status::Ok();
    }
  }
  auto result = work(tx);
  if (!result.ok()) return result.status();
  out.reply = std::move(*result);
  out.have_reply = true;
  if (!ctx.idempotency_key.empty() && out.reply.status >= 200 && out.reply.status < 300) {
    return tx.SaveReply(ctx.partner, ctx.idempotency_key,
                        {ctx.fingerprint, out.reply.status, out.reply.body, ctx.now});
  }
  return Status::Ok();
}

ApiReply PartnerApi::Finish(const Status& committed, WriteOutcome& out) {
  if (!committed.ok()) return ErrorReply(committed);
  if (!out.have_reply) return ErrorReply(Status::Internal("The write finished without a reply."));
  return std::move(out.reply);
}

ApiReply PartnerApi::RunWrite(const RequestContext& ctx, const Work& work) {
  WriteOutcome out;
  const Status st = store_.Write([&](WriteTxn& tx) { return WriteUnit(ctx, work, tx, out); });
  return Finish(st, out);
}

void PartnerApi::RunWriteAsync(const RequestContext& ctx, Work work, ReplyFn reply) {
  // Everything the unit of work needs lives here until the store answers.
  struct State {
    RequestContext ctx;
    Work work;
    WriteOutcome out;
  };
  auto state = std::make_shared<State>(State{ctx, std::move(work), {}});
  store_.WriteAsync(
      [this, state](WriteTxn& tx) { return WriteUnit(state->ctx, state->work, tx, state->out); },
      [state, reply = std::move(reply)](Status st) { reply(Finish(st, state->out)); });
}

Result<QuotePackage> PartnerApi::LoadForUpdate(WriteTxn& tx, const RequestContext& ctx,
                                               std::string_view package_id) {
  if (!IsPackageId(package_id)) return PackageNotFound(package_id);
  auto loaded = tx.LoadPackage(ctx.partner, package_id);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return PackageNotFound(package_id);
  return std::move(**loaded);
}

Status PartnerApi::PriceInto(QuotePackage& pkg, const std::vector<json::object>& requests,
                             Micros now, std::size_t index_base) {
  std::vector<FieldError> errors;
  const PricingContext pricing{pkg.currency, pkg.customer_country, now, Rate{Rate::kOne}};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string prefix = "request." + std::to_string(index_base + i);
    auto priced = catalog_->PriceQuote(requests[i], pricing, prefix);
    if (!priced.ok()) {
      if (Status s = MergeFieldErrors(errors, priced.status()); !s.ok()) return s;
      continue;
    }
    if (opts_.chooser != nullptr && priced->product != nullptr &&
        opts_.chooser->Optimizes(*priced->product)) {
      PricingContext chosen = pricing;
      chosen.multiplier =
          opts_.chooser->Choose(*priced->product, pkg.partner, pkg.customer_country, now);
      if (chosen.multiplier != pricing.multiplier) {
        auto repriced = catalog_->PriceQuote(requests[i], chosen, prefix);
        if (!repriced.ok()) return repriced.status();
        priced = std::move(repriced);
      }
    }
    pkg.quotes.push_back(NewQuote(*priced, now));
  }
  if (!errors.empty()) return Status::Invalid("An API error occurred.", std::move(errors));
  return Status::Ok();
}

Result<QuotePackage> PartnerApi::NewPackage(const RequestContext& ctx, const json::value& body,
                                            bool instant, std::string* policyholder_json) {
  auto req = DecodeCreatePackage(body, instant);
  if (!req.ok()) return req.status();
  QuotePackage pkg;
  pkg.id = NewPackageId();
  pkg.partner = ctx.partner;
  pkg.security_token = NewSecurityToken();
  pkg.currency = req->currency.empty() ? catalog_->default_currency() : req->currency;
  if (FindCurrency(pkg.currency) == nullptr) {
    return Status::Invalid("An API error occurred.",
                           {{"currency", "Unsupported currency " + pkg.currency + "."}});
  }
  pkg.customer_country = req->customer_country;
  if (pkg.customer_country.empty() && instant) {
    const json::value ph = json::parse(req->policyholder_json);
    if (const auto* c = ph.get_object().if_contains("country"); c && c->is_string()) {
      pkg.customer_country = std::string(c->get_string());
    }
  }
  pkg.customer_region = req->customer_region;
  pkg.customer_language = req->customer_language;
  pkg.partner_transaction_id = req->partner_transaction_id;
  pkg.created_at = ctx.now;
  pkg.updated_at = ctx.now;
  if (Status s = PriceInto(pkg, req->quote_requests, ctx.now, 0); !s.ok()) return s;
  if (policyholder_json != nullptr) *policyholder_json = std::move(req->policyholder_json);
  return pkg;
}

Result<Partner> PartnerApi::PartnerOf(const RequestContext& ctx) {
  auto partner = store_.GetPartner(ctx.partner);
  if (!partner.ok()) return partner.status();
  return partner->value_or(Partner{ctx.partner, ctx.partner, 0, 0, 0});
}

Status PartnerApi::QueueBookingWebhook(WriteTxn& tx, std::string_view event,
                                       const QuotePackage& pkg, const Partner& partner,
                                       Micros now) {
  return QueueWebhook(tx, pkg.partner, event, now,
                      [&] { return RenderBooking(pkg, partner, opts_.render); });
}

PartnerApi::Work PartnerApi::CreateQuoteWork(const RequestContext& ctx, QuotePackage pkg) {
  std::vector<const Quote*> all;
  for (const auto& q : pkg.quotes) all.push_back(&q);
  std::vector<LedgerEvent> events = EventsFor(EventKind::kOffered, pkg, all, ctx.now);
  std::string body = RenderQuotePackage(pkg, opts_.render);
  // Copies inside: a retried unit of work must start from the same package.
  return [this, pkg = std::move(pkg), events = std::move(events),
          body = std::move(body)](WriteTxn& tx) -> Result<ApiReply> {
    if (Status s = tx.InsertPackage(pkg); !s.ok()) return s;
    if (Status s = AppendEvents(tx, *catalog_, events); !s.ok()) return s;
    return ApiReply{201, body};
  };
}

ApiReply PartnerApi::CreateQuote(const RequestContext& ctx, const json::value& body) {
  // Validation and pricing happen before the unit of work: they need no lock.
  auto pkg = NewPackage(ctx, body, /*instant=*/false, nullptr);
  if (!pkg.ok()) return ErrorReply(pkg.status());
  return RunWrite(ctx, CreateQuoteWork(ctx, std::move(*pkg)));
}

void PartnerApi::CreateQuoteAsync(const RequestContext& ctx, const json::value& body,
                                  ReplyFn reply) {
  auto pkg = NewPackage(ctx, body, /*instant=*/false, nullptr);
  if (!pkg.ok()) return reply(ErrorReply(pkg.status()));
  RunWriteAsync(ctx, CreateQuoteWork(ctx, std::move(*pkg)), std::move(reply));
}

ApiReply PartnerApi::GetQuote(const RequestContext& ctx, std::string_view package_id) {
  if (!IsPackageId(package_id)) return ErrorReply(PackageNotFound(package_id));
  auto pkg = store_.GetPackage(ctx.partner, package_id);
  if (!pkg.ok()) return ErrorReply(pkg.status());
  if (!pkg->has_value()) return ErrorReply(PackageNotFound(package_id));
  return {200, RenderQuotePackage(**pkg, opts_.render)};
}

ApiReply PartnerApi::UpdateQuote(const RequestContext& ctx, std::string_view package_id,
                                 const json::value& body) {
  auto req = DecodeUpdatePackage(body);
  if (!req.ok()) return ErrorReply(req.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (Status s = CheckModifiable(*pkg); !s.ok()) return s;
    std::vector<FieldError> errors;
    bool reprice_all = false;
    if (req->currency && *req->currency != pkg->currency) {
      if (FindCurrency(*req->currency) == nullptr) {
        errors.push_back({"currency", "Unsupported currency " + *req->currency + "."});
      }
      pkg->currency = *req->currency;
      reprice_all = true;
    }
    if (req->customer_country && *req->customer_country != pkg->customer_country) {
      pkg->customer_country = *req->customer_country;
      reprice_all = true;
    }
    if (req->partner_transaction_id) pkg->partner_transaction_id = req->partner_transaction_id;
    // Which quotes change, and with which fields.
    std::vector<json::object> updates(pkg->quotes.size());
    std::vector<bool> touched(pkg->quotes.size(), reprice_all);
    // Errors name the request entry that caused them ("request.N"); a quote
    // re-priced only because the currency or country changed is "quotes.K".
    std::vector<std::string> error_prefix(pkg->quotes.size());
    for (std::size_t k = 0; k < pkg->quotes.size(); ++k) {
      error_prefix[k] = "quotes." + std::to_string(k);
    }
    for (std::size_t i = 0; i < req->updates.size(); ++i) {
      const auto& u = req->updates[i];
      std::size_t idx = pkg->quotes.size();
      for (std::size_t k = 0; k < pkg->quotes.size(); ++k) {
        if (pkg->quotes[k].id == u.quote_id) idx = k;
      }
      if (idx == pkg->quotes.size()) {
        errors.push_back(
            {"request." + std::to_string(i) + ".quote_id", "Unknown quote id " + u.quote_id + "."});
        continue;
      }
      for (const auto& kv : u.fields) updates[idx][kv.key()] = kv.value();
      touched[idx] = true;
      error_prefix[idx] = "request." + std::to_string(i);
    }
    if (!errors.empty()) return Status::Invalid("An API error occurred.", std::move(errors));
    const PricingContext pricing{pkg->currency, pkg->customer_country, ctx.now, Rate{Rate::kOne}};
    std::vector<const Quote*> changed;
    for (std::size_t k = 0; k < pkg->quotes.size(); ++k) {
      if (!touched[k]) continue;
      Quote& q = pkg->quotes[k];
      PricingContext qctx = pricing;
      qctx.multiplier = Rate{q.price_multiplier_nanos};
      if (opts_.chooser != nullptr) {
        if (const Product* p = catalog_->Find(q.policy_type, q.policy_type_version)) {
          qctx.multiplier = opts_.chooser->Keep(*p, qctx.multiplier);
        }
      }
      auto priced = catalog_->RepriceQuote(q, updates[k], qctx, error_prefix[k]);
      if (!priced.ok()) {
        if (Status s = MergeFieldErrors(errors, priced.status()); !s.ok()) return s;
        continue;
      }
      priced->FillQuote(q);
      q.updated_at = ctx.now;
      changed.push_back(&q);
    }
    if (!errors.empty()) return Status::Invalid("An API error occurred.", std::move(errors));
    pkg->updated_at = ctx.now;
    if (Status s = SaveChange(tx, *catalog_, *pkg,
                              EventsFor(EventKind::kRepriced, *pkg, changed, ctx.now));
        !s.ok())
      return s;
    return ApiReply{200, RenderQuotePackage(*pkg, opts_.render)};
  });
}

ApiReply PartnerApi::AddQuotes(const RequestContext& ctx, std::string_view package_id,
                               const json::value& body) {
  auto requests = DecodeAddQuotes(body);
  if (!requests.ok()) return ErrorReply(requests.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (Status s = CheckModifiable(*pkg); !s.ok()) return s;
    const std::size_t before = pkg->quotes.size();
    if (Status s = PriceInto(*pkg, *requests, ctx.now, 0); !s.ok()) return s;
    pkg->updated_at = ctx.now;
    std::vector<const Quote*> added;
    for (std::size_t k = before; k < pkg->quotes.size(); ++k) added.push_back(&pkg->quotes[k]);
    if (Status s =
            SaveChange(tx, *catalog_, *pkg, EventsFor(EventKind::kOffered, *pkg, added, ctx.now));
        !s.ok())
      return s;
    return ApiReply{201, RenderQuotePackage(*pkg, opts_.render)};
  });
}

ApiReply PartnerApi::DeleteQuotes(const RequestContext& ctx, std::string_view package_id,
                                  const json::value& body) {
  auto ids = DecodeQuoteIds(body);
  if (!ids.ok()) return ErrorReply(ids.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (Status s = CheckModifiable(*pkg); !s.ok()) return s;
    std::vector<FieldError> errors;
    std::vector<Quote> removed;
    for (std::size_t i = 0; i < ids->size(); ++i) {
      const std::string& id = (*ids)[i];
      auto it = std::find_if(pkg->quotes.begin(), pkg->quotes.end(),
                             [&](const Quote& q) { return q.id == id; });
      if (it == pkg->quotes.end()) {
        errors.push_back({"quotes." + std::to_string(i) + ".id", "Unknown quote id " + id + "."});
        continue;
      }
      removed.push_back(std::move(*it));
      pkg->quotes.erase(it);
    }
    if (errors.empty() && pkg->quotes.empty()) {
      errors.push_back(
          {"quotes", "A quote package must keep at least one quote; opt out instead."});
    }
    if (!errors.empty()) return Status::Invalid("An API error occurred.", std::move(errors));
    pkg->updated_at = ctx.now;
    std::vector<const Quote*> gone;
    gone.reserve(removed.size());
    for (const auto& q : removed) gone.push_back(&q);
    if (Status s =
            SaveChange(tx, *catalog_, *pkg, EventsFor(EventKind::kWithdrawn, *pkg, gone, ctx.now));
        !s.ok())
      return s;
    return ApiReply{200, RenderQuotePackage(*pkg, opts_.render)};
  });
}

PartnerApi::Work PartnerApi::OptOutWork(const RequestContext& ctx, std::string package_id) {
  return [this, ctx, package_id = std::move(package_id)](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    auto events = ApplyOptOut(*pkg, ctx.now);
    if (!events.ok()) return events.status();
    if (!events->empty()) {  // an idempotent repeat records nothing
      if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    }
    return ApiReply{204, ""};
  };
}

ApiReply PartnerApi::OptOut(const RequestContext& ctx, std::string_view package_id) {
  return RunWrite(ctx, OptOutWork(ctx, std::string(package_id)));
}

void PartnerApi::OptOutAsync(const RequestContext& ctx, std::string_view package_id,
                             ReplyFn reply) {
  RunWriteAsync(ctx, OptOutWork(ctx, std::string(package_id)), std::move(reply));
}

ApiReply PartnerApi::CreateBooking(const RequestContext& ctx, std::string_view package_id,
                                   const json::value& body) {
  auto req = DecodeBooking(body);
  if (!req.ok()) return ErrorReply(req.status());
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (req->partner_transaction_id) pkg->partner_transaction_id = req->partner_transaction_id;
    std::vector<FieldError> plan_errors;
    for (std::size_t i = 0; i < req->instalment_plans.size() && i < req->quote_ids.size(); ++i) {
      if (req->instalment_plans[i].empty()) continue;
      Quote* q = pkg->FindQuote(req->quote_ids[i]);
      if (q == nullptr) continue;  // ApplyBooking names it
      if (Status s = ChooseInstalmentPlan(*q, req->instalment_plans[i]); !s.ok()) {
        for (const auto& f : s.fields()) {
          plan_errors.push_back({"quotes." + std::to_string(i) + "." + f.path, f.message});
        }
      }
    }
    if (!plan_errors.empty()) {
      return Status::Invalid("An API error occurred.", std::move(plan_errors));
    }
    auto events = ApplyBooking(*pkg, req->quote_ids, req->policyholder_json, ctx.now,
                               req->require_payment_confirmation);
    if (!events.ok()) return events.status();
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingCreated, *pkg, *partner, ctx.now); !s.ok()) {
      return s;
    }
    return ApiReply{200, RenderBooking(*pkg, *partner, opts_.render)};
  });
}

ApiReply PartnerApi::InstantBooking(const RequestContext& ctx, const json::value& body) {
  std::string policyholder;
  auto pkg = NewPackage(ctx, body, /*instant=*/true, &policyholder);
  if (!pkg.ok()) return ErrorReply(pkg.status());
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    QuotePackage booked = *pkg;  // a retried unit of work must start from the priced package
    std::vector<const Quote*> all;
    for (const auto& q : booked.quotes) all.push_back(&q);
    std::vector<LedgerEvent> events = EventsFor(EventKind::kOffered, booked, all, ctx.now);
    std::vector<std::string> ids;
    for (const auto& q : booked.quotes) ids.push_back(q.id);
    auto booking = ApplyBooking(booked, ids, policyholder, ctx.now);
    if (!booking.ok()) return booking.status();
    events.insert(events.end(), booking->begin(), booking->end());
    if (Status s = tx.InsertPackage(booked); !s.ok()) return s;
    if (Status s = AppendEvents(tx, *catalog_, std::move(events)); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingCreated, booked, *partner, ctx.now); !s.ok()) {
      return s;
    }
    return ApiReply{200, RenderBooking(booked, *partner, opts_.render)};
  });
}

ApiReply PartnerApi::GetBooking(const RequestContext& ctx, std::string_view package_id) {
  if (!IsPackageId(package_id)) return ErrorReply(PackageNotFound(package_id));
  auto pkg = store_.GetPackage(ctx.partner, package_id);
  if (!pkg.ok()) return ErrorReply(pkg.status());
  if (!pkg->has_value() || !(*pkg)->booked_at) {
    return ErrorReply(Status::NotFound("Booking " + std::string(package_id) + " not found."));
  }
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return {200, RenderBooking(**pkg, *partner, opts_.render)};
}

ApiReply PartnerApi::ListBookings(const RequestContext& ctx, std::int64_t limit,
                                  std::int64_t offset, std::string_view list_url) {
  if (limit <= 0 || limit > opts_.max_list_limit || offset < 0) {
    return ErrorReply(Status::Invalid(
        "An API error occurred.",
        {{"limit",
          "limit must be 1.." + std::to_string(opts_.max_list_limit) + " and offset >= 0."}}));
  }
  auto page = store_.ListBookings(ctx.partner, limit, offset);
  if (!page.ok()) return ErrorReply(page.status());
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return {200, RenderBookingList(*page, *partner, limit, offset, list_url, opts_.render)};
}

ApiReply PartnerApi::Cancel(const RequestContext& ctx, std::string_view package_id,
                            const json::value& body) {
  auto req = DecodeCancel(body);
  if (!req.ok()) return ErrorReply(req.status());
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  const Partner& who = *partner;
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (req->preview) {
      if (pkg->status != PackageStatus::kConfirmed) {
        return Status::Invalid("Quote package " + pkg->id + " is " +
                                   std::string(PackageStatusName(pkg->status)) +
                                   " and cannot be cancelled.",
                               {{"status", std::string(PackageStatusName(pkg->status))}});
      }
      CancellationView view;
      for (const auto& q : pkg->quotes) view.refunds.push_back(RefundFor(q, ctx.now));
      view.cancellation_id = NewCancellationId();
      view.confirm_before = ctx.now + kCancellationPreviewValidity;
      pkg->pending_cancellation =
          PendingCancellation{view.cancellation_id, ctx.now, view.confirm_before};
      if (Status s = tx.UpdatePackage(*pkg); !s.ok()) return s;
      return ApiReply{200, RenderCancellation(*pkg, who, view, opts_.render)};
    }
    auto events = ApplyCancellation(*pkg, ctx.now);
    if (!events.ok()) return events.status();
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingCancelled, *pkg, who, ctx.now); !s.ok()) {
      return s;
    }
    return ApiReply{200, RenderCancellation(*pkg, who, {}, opts_.render)};
  });
}

ApiReply PartnerApi::ConfirmCancellation(const RequestContext& ctx, std::string_view package_id,
                                         std::string_view cancellation_id) {
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  const Partner& who = *partner;
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    const auto& pending = pkg->pending_cancellation;
    if (!pending || pending->id != cancellation_id) {
      return Status::NotFound("Cancellation " + std::string(cancellation_id) + " not found.");
    }
    if (ctx.now > pending->confirm_before) {
      return Status::Invalid("This cancellation preview has expired; request a new one.",
                             {{"cancellation_id", "Expired."}});
    }
    auto events = ApplyCancellation(*pkg, ctx.now);
    if (!events.ok()) return events.status();
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingCancelled, *pkg, who, ctx.now); !s.ok()) {
      return s;
    }
    return ApiReply{200, RenderCancellation(*pkg, who, {}, opts_.render)};
  });
}

ApiReply PartnerApi::ConfirmPayment(const RequestContext& ctx, std::string_view package_id) {
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    auto events = ApplyPaymentConfirmation(*pkg, ctx.now);
    if (!events.ok()) return events.status();
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingUpdated, *pkg, *partner, ctx.now); !s.ok()) {
      return s;
    }
    return ApiReply{201, RenderBooking(*pkg, *partner, opts_.render)};
  });
}

ApiReply PartnerApi::ModifyBooking(const RequestContext& ctx, std::string_view package_id,
                                   const json::value& body) {
  // XCover answers this route's validation errors as a tree of message
  // lists ({"policyholder": {"phone": ["..."]}}); its clients read them so.
  auto req = DecodeBookingModification(body);
  if (!req.ok()) {
    return {HttpStatusFor(req.status().code()), RenderNestedError(req.status()), false};
  }
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (Status s = CheckBookingModifiable(*pkg); !s.ok()) return s;
    // The given members replace the booking's; the whole is validated again.
    json::object merged;
    if (!pkg->policyholder_json.empty()) {
      boost::system::error_code ec;
      json::value current = json::parse(pkg->policyholder_json, ec);
      if (ec || !current.is_object()) {
        return Status::Internal("The stored policyholder of " + pkg->id + " is not an object.");
      }
      merged = std::move(current.get_object());
    }
    for (const auto& kv : req->policyholder) merged[kv.key()] = kv.value();
    auto policyholder = DecodePolicyholder(merged, "policyholder");
    if (!policyholder.ok()) {
      // Nothing written: a 422 reply is not remembered for idempotency.
      return ApiReply{HttpStatusFor(policyholder.status().code()),
                      RenderNestedError(policyholder.status()), false};
    }
    if (req->partner_transaction_id) pkg->partner_transaction_id = req->partner_transaction_id;
    auto events = ApplyPolicyholderChange(*pkg, std::move(*policyholder), ctx.now);
    if (!events.ok()) return events.status();
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingUpdated, *pkg, *partner, ctx.now); !s.ok()) {
      return s;
    }
    // XCover answers every modification with the price differences: none here.
    UpdateView view;
    view.price_diffs.assign(pkg->quotes.size(), 0);
    return ApiReply{200, RenderBookingUpdate(*pkg, *partner, view, opts_.render)};
  });
}

ApiReply PartnerApi::QuoteForUpdate(const RequestContext& ctx, std::string_view package_id,
                                    const json::value& body) {
  auto updates = DecodeQuoteForUpdate(body);
  if (!updates.ok()) return ErrorReply(updates.status());
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (Status s = CheckBookingModifiable(*pkg); !s.ok()) return s;
    QuotePackage repriced = *pkg;  // what the booking would be: the answer
    UpdateView view;
    view.price_diffs.assign(repriced.quotes.size(), 0);
    PendingUpdate update{NewUpdateId(), ctx.now, ctx.now + kUpdateQuoteValidity, {}};
    std::vector<FieldError> errors;
    for (std::size_t i = 0; i < updates->size(); ++i) {
      const QuoteUpdate& u = (*updates)[i];
      const std::string path = "quotes." + std::to_string(i);
      std::size_t idx = repriced.quotes.size();
      for (std::size_t k = 0; k < repriced.quotes.size(); ++k) {
        if (repriced.quotes[k].id == u.quote_id) idx = k;
      }
      if (idx == repriced.quotes.size() || repriced.quotes[idx].status == QuoteStatus::kCancelled) {
        errors.push_back({path + ".id", "Unknown quote id " + u.quote_id + "."});
        continue;
      }
      Quote& q = repriced.quotes[idx];
      // A booked quote keeps the price multiplier it was sold at.
      const PricingContext pricing{repriced.currency, repriced.customer_country, ctx.now,
                                   Rate{q.price_multiplier_nanos}};
      auto priced = catalog_->RepriceQuote(q, u.fields, pricing, path + ".update_fields");
      if (!priced.ok()) {
        if (Status s = MergeFieldErrors(errors, priced.status()); !s.ok()) return s;
        continue;
      }
      const MinorUnits old_price = q.price;
      priced->FillQuote(q);
      q.updated_at = ctx.now;
      view.price_diffs[idx] = q.price - old_price;
      update.quotes.push_back(q);
    }
    if (!errors.empty()) return Status::Invalid("An API error occurred.", std::move(errors));
    for (MinorUnits d : view.price_diffs) view.total_price_diff += d;
    view.update_id = update.id;
    // Only the offer is remembered; the booking itself does not change.
    pkg->pending_update = std::move(update);
    if (Status s = tx.UpdatePackage(*pkg); !s.ok()) return s;
    return ApiReply{200, RenderBookingUpdate(repriced, *partner, view, opts_.render)};
  });
}

ApiReply PartnerApi::GetInstalments(const RequestContext& ctx, std::string_view package_id) {
  if (!IsPackageId(package_id)) return ErrorReply(PackageNotFound(package_id));
  auto pkg = store_.GetPackage(ctx.partner, package_id);
  if (!pkg.ok()) return ErrorReply(pkg.status());
  if (!pkg->has_value() || !(*pkg)->booked_at) {
    return ErrorReply(Status::NotFound("Booking " + std::string(package_id) + " not found."));
  }
  return {200, RenderInstalments(**pkg)};
}

ApiReply PartnerApi::RecordInstalments(const RequestContext& ctx, std::string_view package_id,
                                       const json::value& body) {
  auto reports = DecodeInstalmentReports(body, ctx.now);
  if (!reports.ok()) return ErrorReply(reports.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    auto events = ApplyInstalmentReports(*pkg, *reports, ctx.now);
    if (!events.ok()) return events.status();
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    return ApiReply{204, ""};
  });
}

ApiReply PartnerApi::ConfirmUpdate(const RequestContext& ctx, std::string_view package_id,
                                   std::string_view update_id) {
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    auto events = ApplyUpdate(*pkg, update_id, ctx.now);
    if (!events.ok()) return events.status();
    UpdateView view;
    view.price_diffs.assign(pkg->quotes.size(), 0);
    for (const LedgerEvent& e : *events) {
      for (std::size_t k = 0; k < pkg->quotes.size(); ++k) {
        if (pkg->quotes[k].id == e.quote_id) view.price_diffs[k] = e.amount;
      }
      view.total_price_diff += e.amount;
    }
    if (Status s = SaveChange(tx, *catalog_, *pkg, *events); !s.ok()) return s;
    if (Status s = QueueBookingWebhook(tx, kBookingUpdated, *pkg, *partner, ctx.now); !s.ok()) {
      return s;
    }
    return ApiReply{201, RenderBookingUpdate(*pkg, *partner, view, opts_.render)};
  });
}

}  // namespace offerledger
