#include "store/outbox_table.h"

namespace offerledger {

Status OutboxTable::LostClaim(std::string_view id) const {
  return Status::Conflict(std::string(noun) + " " + std::string(id) +
                          " is no longer held by this sender");
}

Status OutboxTable::NoSuchRow(std::string_view id) const {
  return Status::NotFound("no " + std::string(noun) + " " + std::string(id));
}

}  // namespace offerledger
