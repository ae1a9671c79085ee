// Email status names (store/store.h), shared by both backends.
#include "store/store.h"

namespace offerledger {

std::string_view EmailStatusName(EmailStatus s) {
  switch (s) {
    case EmailStatus::kRecorded:
      return "recorded";
    case EmailStatus::kPending:
      return "pending";
    case EmailStatus::kDelivered:
      return "delivered";
    case EmailStatus::kDead:
      return "dead";
  }
  return "pending";
}

std::optional<EmailStatus> ParseEmailStatus(std::string_view name) {
  if (name == "recorded") return EmailStatus::kRecorded;
  if (name == "pending") return EmailStatus::kPending;
  if (name == "delivered") return EmailStatus::kDelivered;
  if (name == "dead") return EmailStatus::kDead;
  return std::nullopt;
}

}  // namespace offerledger
