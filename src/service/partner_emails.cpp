// PartnerApi's send_email route (docs/emails.md): the email is rendered from
// the catalog's template and written to the outbox in the same unit of work
// as its email_requested ledger event, so the 202 means it is durable; the
// background sender (service/email_sender.h) delivers it later, or it stays
// `recorded` when no SMTP server is configured.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/request_decoder.h"
#include "api/response_renderer.h"
#include "domain/email_template.h"
#include "domain/ids.h"
#include "service/ledger_writes.h"
#include "service/partner_api.h"

namespace offerledger {

namespace json = boost::json;

namespace {

// send_email answers its validation errors as XCover does:
// {"type": "validation_error", "message": "An API error occurred.", "errors": ["..."]}.
ApiReply ListError(const Status& s) { return {HttpStatusFor(s.code()), RenderListError(s), false}; }

}  // namespace

ApiReply PartnerApi::SendEmail(const RequestContext& ctx, std::string_view package_id,
                               const json::value& body) {
  auto event = DecodeEmailEvent(body);
  if (!event.ok()) {
    return event.status().code() == StatusCode::kInvalid ? ListError(event.status())
                                                         : ErrorReply(event.status());
  }
  if (!IsPackageId(package_id)) {
    return ErrorReply(Status::NotFound("Booking " + std::string(package_id) + " not found."));
  }
  auto partner = PartnerOf(ctx);
  if (!partner.ok()) return ErrorReply(partner.status());
  return RunWrite(ctx, [&](WriteTxn& tx) -> Result<ApiReply> {
    auto pkg = LoadForUpdate(tx, ctx, package_id);
    if (!pkg.ok()) return pkg.status();
    // Nothing written on a refusal: the 422 is not remembered for idempotency.
    if (Status s = CheckEmailEvent(*pkg, *event); !s.ok()) return ListError(s);
    const Quote* first = nullptr;
    for (const Quote& q : pkg->quotes) {
      if (first == nullptr && q.status != QuoteStatus::kReceived) first = &q;
    }
    if (first == nullptr) {
      return Status::Internal("Booking " + pkg->id + " has no booked quote.");
    }
    const EmailTemplate& tmpl =
        catalog_->EmailTemplateFor(first->policy_type, first->policy_type_version, *event);
    auto rendered = RenderBookingEmail(*pkg, tmpl, partner->code, partner->name);
    if (!rendered.ok()) return ListError(rendered.status());

    Email email;
    email.id = NewUuid();
    email.partner = ctx.partner;
    email.booking_id = pkg->id;
    email.event = *event;
    email.recipient = std::move(rendered->recipient);
    email.subject = std::move(rendered->subject);
    email.body = std::move(rendered->body);
    email.created_at = ctx.now;
    email.status = opts_.send_emails ? EmailStatus::kPending : EmailStatus::kRecorded;
    email.next_attempt_at = ctx.now;
    if (Status s = tx.EnqueueEmail(email); !s.ok()) return s;

    LedgerEvent e = MakeEvent(EventKind::kEmailRequested, *pkg, *first, ctx.now);
    json::object data;
    data["email_id"] = email.id;
    data["event"] = email.event;
    e.data_json = json::serialize(data);
    if (Status s = AppendEvents(tx, *catalog_, {std::move(e)}); !s.ok()) return s;
    return ApiReply{202, ""};
  });
}

}  // namespace offerledger
