// PartnerApi: the XCover partner API use cases — quote, book, opt out,
// cancel — on top of the Store and the Catalog. Authentication has already
// happened: every call names the authenticated partner, and every look-up is
// scoped to it, so one partner can never reach another's package.
//
// Each write runs as one unit of work in the store: the idempotency check,
// the state change, its ledger events and the remembered reply commit
// together, durably, before the reply is returned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "api/response_renderer.h"
#include "domain/catalog.h"
#include "service/price_chooser.h"
#include "store/store.h"

namespace offerledger {

// What goes back to the partner: status, body (JSON or empty).
struct ApiReply {
  int status = 200;
  std::string body;
  bool replayed = false;  // answered from the idempotency store
};

struct RequestContext {
  std::string partner;
  Micros now = 0;
  // x-idempotency-key, empty if none; fingerprint identifies the request
  // (method, path, body) so a reused key with another body is caught.
  std::string idempotency_key;
  std::string fingerprint;
};

struct PartnerApiOptions {
  RenderOptions render;
  Micros idempotency_window = Micros{24} * 3600 * kMicrosPerSecond;
  std::int64_t max_list_limit = 100;
  // The price optimizer (docs/optimizer-live.md); null: every quote at its
  // catalog price (multiplier 1).
  std::shared_ptr<PriceChooser> chooser;
  // Emails (docs/emails.md): true when an SMTP server is configured and
  // send_email's emails are queued for the sender; false: written to the
  // outbox as `recorded`, never sent.
  bool send_emails = false;
};

class PartnerApi {
 public:
  PartnerApi(Store& store, std::shared_ptr<const Catalog> catalog, PartnerApiOptions opts);

  ApiReply CreateQuote(const RequestContext& ctx, const boost::json::value& body);
  // CreateQuote() without waiting for the commit, like OptOutAsync(): a
  // quote holds no server thread while its group commit is made durable.
  using ReplyFn = std::function<void(ApiReply)>;
  void CreateQuoteAsync(const RequestContext& ctx, const boost::json::value& body, ReplyFn reply);
  ApiReply GetQuote(const RequestContext& ctx, std::string_view package_id);
  ApiReply UpdateQuote(const RequestContext& ctx, std::string_view package_id,
                       const boost::json::value& body);
  ApiReply AddQuotes(const RequestContext& ctx, std::string_view package_id,
                     const boost::json::value& body);
  ApiReply DeleteQuotes(const RequestContext& ctx, std::string_view package_id,
                        const boost::json::value& body);
  ApiReply OptOut(const RequestContext& ctx, std::string_view package_id);
  // OptOut() without waiting for the commit: `reply` gets the same answer,
  // on the store's writer thread (Store::WriteAsync), so it must be quick.
  void OptOutAsync(const RequestContext& ctx, std::string_view package_id, ReplyFn reply);
  ApiReply CreateBooking(const RequestContext& ctx, std::string_view package_id,
                         const boost::json::value& body);
  ApiReply InstantBooking(const RequestContext& ctx, const boost::json::value& body);
  ApiReply GetBooking(const RequestContext& ctx, std::string_view package_id);
  // `list_url`: absolute URL of the list, for next/previous links.
  ApiReply ListBookings(const RequestContext& ctx, std::int64_t limit, std::int64_t offset,
                        std::string_view list_url);
  ApiReply Cancel(const RequestContext& ctx, std::string_view package_id,
                  const boost::json::value& body);
  ApiReply ConfirmCancellation(const RequestContext& ctx, std::string_view package_id,
                               std::string_view cancellation_id);
  // PUT bookings/{id}/confirm: the payment of a PENDING_PAYMENT booking went
  // through (201, CONFIRMED).
  ApiReply ConfirmPayment(const RequestContext& ctx, std::string_view package_id);
  // PATCH bookings/{id}/: policyholder changes, applied at once (200).
  ApiReply ModifyBooking(const RequestContext& ctx, std::string_view package_id,
                         const boost::json::value& body);
  // PATCH bookings/{id}/quote_for_update: re-prices without changing the
  // booking; the answer names an update_id (200).
  ApiReply QuoteForUpdate(const RequestContext& ctx, std::string_view package_id,
                          const boost::json::value& body);
  // GET bookings/{id}/instalments/: the schedules (200).
  ApiReply GetInstalments(const RequestContext& ctx, std::string_view package_id);
  // POST bookings/{id}/instalments/: payment attempts reported (204).
  ApiReply RecordInstalments(const RequestContext& ctx, std::string_view package_id,
                             const boost::json::value& body);
  // POST bookings/{id}/confirm_update/{update_id}/: applies it (201).
  ApiReply ConfirmUpdate(const RequestContext& ctx, std::string_view package_id,
                         std::string_view update_id);

  // Renewals (service/partner_renewals.cpp; the state machine is
  // domain/quote_package.h's). PATCH renewals/{id}/quote_for_renewal/: the
  // pending renewal of a CONFIRMED renewable booking, priced now, or the one
  // already pending (200, renewal_id and the renewed quotes).
  ApiReply QuoteForRenewal(const RequestContext& ctx, std::string_view package_id);
  // POST renewals/{id}/confirm/{renewal_id}/: the booking becomes RENEWED and
  // the next period a new CONFIRMED booking, which the answer shows (201).
  ApiReply ConfirmRenewal(const RequestContext& ctx, std::string_view package_id,
                          std::string_view renewal_id);
  // POST renewals/{id}/opt_out/: the renewal opt-out (204; idempotent).
  ApiReply RenewalOptOut(const RequestContext& ctx, std::string_view package_id);

  // POST bookings/{id}/send_email (service/partner_emails.cpp): renders the
  // catalog's template of `event` (default BOOKING_CREATED) for the booking
  // and writes it to the email outbox with an email_requested event (202).
  ApiReply SendEmail(const RequestContext& ctx, std::string_view package_id,
                     const boost::json::value& body);

  static ApiReply ErrorReply(const Status& status);

 private:
  using Work = std::function<Result<ApiReply>(WriteTxn&)>;
  // Runs `work` as one durable unit of work, honouring the idempotency key.
  ApiReply RunWrite(const RequestContext& ctx, const Work& work);
  // The same, answering through `reply` once the commit is durable.
  void RunWriteAsync(const RequestContext& ctx, Work work, ReplyFn reply);
  // What RunWrite and RunWriteAsync run inside the transaction, and how they
  // turn its outcome into the reply.
  struct WriteOutcome {
    ApiReply reply;
    bool have_reply = false;
  };
  Status WriteUnit(const RequestContext& ctx, const Work& work, WriteTxn& tx, WriteOutcome& out);
  static ApiReply Finish(const Status& committed, WriteOutcome& out);
  // The opt-out's unit of work (a copy of the id: it may outlive the request).
  Work OptOutWork(const RequestContext& ctx, std::string package_id);
  // The unit of work of a new, priced package: its events and its answer are
  // made before, off the store's writer thread, which is the serial part.
  Work CreateQuoteWork(const RequestContext& ctx, QuotePackage pkg);
  Result<QuotePackage> LoadForUpdate(WriteTxn& tx, const RequestContext& ctx,
                                     std::string_view package_id);
  // Prices `requests` into quotes appended to `pkg`; field errors under "request.N".
  // Optimized products are priced at the multiplier the chooser picks for the
  // offer's context, and the quote records it.
  Status PriceInto(QuotePackage& pkg, const std::vector<boost::json::object>& requests, Micros now,
                   std::size_t index_base);
  Result<QuotePackage> NewPackage(const RequestContext& ctx, const boost::json::value& body,
                                  bool instant, std::string* policyholder_json);

  // The partner as responses show it (bookings name their partner).
  Result<Partner> PartnerOf(const RequestContext& ctx);
  // The next period of `pkg`'s renewable quotes at today's catalog price.
  Result<PendingRenewal> PriceRenewal(const QuotePackage& pkg, Micros now) const;
  // Queues webhook `event` (service/webhook_events.h: kBookingCreated, ...)
  // carrying the booking as GET booking renders it, in this unit of work, if
  // the partner's webhook subscribes to it. Call it in a write's work after
  // the change is saved: it commits or rolls back with the change.
  Status QueueBookingWebhook(WriteTxn& tx, std::string_view event, const QuotePackage& pkg,
                             const Partner& partner, Micros now);

  Store& store_;
  std::shared_ptr<const Catalog> catalog_;
  PartnerApiOptions opts_;
};

}  // namespace offerledger
