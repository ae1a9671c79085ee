// PartnerApi's renewal routes: quote_for_renewal, confirm, and the renewal
// opt-out. The state machine is domain/quote_package.h's; this file prices
// the next period and runs each change as one durable unit of work, like
// the other writes of partner_api.cpp.
#include <tuple>

#include <boost/json/object.hpp>

#include "domain/ids.h"
#include "service/ledger_writes.h"
#include "service/partner_api.h"
#include "service/webhook_events.h"

namespace offerledger {

namespace {

Status BookingNotFound(std::string_view id) {
  return Status::NotFound("Booking " + std::string(id) + " not found.");
}

}  // namespace

Result<PendingRenewal> PartnerApi::PriceRenewal(const QuotePackage& pkg, Micros now) const {
  PendingRenewal renewal;
  renewal.id = NewRenewalId();
  const boost::json::object no_changes;
  for (const Quote& q : pkg.quotes) {
    if (!q.renewable || q.status != QuoteStatus::kConfirmed) continue;
    const Product* product = catalog_->Find(q.policy_type, q.policy_type_version);
    if (product == nullptr || !product->renewable) {
      return Status::Invalid(
          "Quote package " + pkg.id + " holds " + q.policy_type +
              ", which the catalog no longer renews.",
          {{"status", std::string(PackageStatusName(pkg.status))}, {"renewable", "false"}});
    }
    // The renewal price is the catalog price of the day, at the multiplier
    // the policy was sold at; the next period follows the current one.
    const PricingContext pricing{pkg.currency, pkg.customer_country, now,
                                 Rate{q.price_multiplier_nanos}};
    auto priced = catalog_->RepriceQuote(q, no_changes, pricing, "quotes");
    if (!priced.ok()) return priced.status();
    Quote next = q;
    priced->FillQuote(next);
    next.id = NewUuid();
    std::tie(next.policy_start, next.policy_end) =
        NextRenewalPeriod(q, product->renewal_period_days);
    next.instalment_payments.clear();
    renewal.quotes.push_back(std::move(next));
  }
  return renewal;
}

ApiReply PartnerApi::QuoteForRenewal(const RequestContext& ctx, std::string_view package_id) {
  if (!IsPackageId(package_id)) return ErrorReply(BookingNotFound(package_id));
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    if (Status s = CheckRenewable(*pkg); !s.ok()) return s;
    if (!pkg->pending_renewal) {
      auto renewal = PriceRenewal(*pkg, ctx.now);
      if (!renewal.ok()) return renewal.status();
      auto events = ApplyRenewalQuote(*pkg, std::move(*renewal), ctx.now);
      if (!events.ok()) return events.status();
      if (Status s = SaveChange(tx, *catalog_, *pkg, std::move(*events)); !s.ok()) {
        return s;
      }
    }
    return ApiReply{200, RenderRenewalQuote(*pkg, *pkg->pending_renewal, opts_.render)};
  });
}

ApiReply PartnerApi::ConfirmRenewal(const RequestContext& ctx, std::string_view package_id,
                                    std::string_view renewal_id) {
  if (!IsPackageId(package_id)) return ErrorReply(BookingNotFound(package_id));
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    auto out = ApplyRenewal(*pkg, renewal_id, NewPackageId(), NewSecurityToken(), ctx.now);
    if (!out.ok()) return out.status();
    if (Status s = tx.InsertPackage(out->next); !s.ok()) return s;
    if (Status s = SaveChange(tx, *catalog_, *pkg, std::move(out->events)); !s.ok()) {
      return s;
    }
    if (Status s = QueueBookingWebhook(tx, kRenewalCreated, out->next, *partner, ctx.now);
        !s.ok()) {
      return s;
    }
    return ApiReply{201, RenderBooking(out->next, *partner, opts_.render)};
  });
}

ApiReply PartnerApi::RenewalOptOut(const RequestContext& ctx, std::string_view package_id) {
  if (!IsPackageId(package_id)) return ErrorReply(BookingNotFound(package_id));
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    auto events = ApplyRenewalOptOut(*pkg, ctx.now);
    if (!events.ok()) return events.status();
    if (!events->empty()) {  // an idempotent repeat records nothing
      if (Status s = SaveChange(tx, *catalog_, *pkg, std::move(*events)); !s.ok()) {
        return s;
      }
    }
    return ApiReply{204, ""};
  });
}

}  // namespace offerledger
