// An outbox table as each backend's generic outbox code sees it
// (sqlite/sqlite_outbox.h, postgres/postgres_outbox.h). The email outbox and
// the webhook queue keep their rows the same way: written with the change
// that caused them, claimed by a sender under a lease, finished with an
// attempt's outcome, listed and retried. Their schema gives both the same
// bookkeeping columns (seq, partner, status, attempts, next_attempt_at,
// lease_until, claim, last_error, delivered_at); a kind brings its payload
// columns, its row type and which rows `retry ID` may take.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"

namespace offerledger {

struct OutboxTable {
  std::string_view name;  // the table: "emails"
  std::string_view noun;  // one row, as errors name it: "email"
  // The columns the kind's row reader reads, in its order: plain names,
  // comma-separated (the backends count them and use them unqualified).
  std::string_view columns;
  // Whether `retry ID` may make row `id`, now `status`, pending again: Ok,
  // or the Invalid error that says why not. (Retrying every dead row takes
  // dead ones only, whatever the kind.)
  Status (*check_retry)(std::string_view id, std::string_view status);

  // The errors both backends give, worded here once (the CLI prints them).
  // Conflict "<noun> ID is no longer held by this sender": a finish whose
  // claim was lost (the lease ran out and another sender took the row).
  Status LostClaim(std::string_view id) const;
  // NotFound "no <noun> ID".
  Status NoSuchRow(std::string_view id) const;
};

// An attempt's outcome (EmailOutcome, WebhookOutcome) as it is stored.
struct OutboxOutcome {
  std::string_view id;
  std::string_view claim;
  std::string_view status;
  std::int64_t attempts = 0;
  Micros next_attempt_at = 0;
  std::string_view last_error;
  std::optional<Micros> delivered_at;  // set once delivered
};

// A list filter (EmailFilter, WebhookFilter) as it is stored.
struct OutboxFilter {
  std::optional<std::string> partner;
  std::optional<std::string_view> status;
  std::int64_t limit = 100;  // newest first; 0 or less: all
};

}  // namespace offerledger
