// What `emails list|retry` and `webhooks list|retry` share (docs/emails.md,
// docs/webhooks.md): both list an outbox and retry its dead rows with the
// same options, the same output around each row's own fields and the same
// exit codes. Each kind keeps its help texts and the fields of its rows.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "common/result.h"
#include "common/time.h"
#include "domain/json_writer.h"
#include "store/store.h"

namespace offerledger {

// How the commands name one kind of row. String literals: the commands'
// callbacks keep the views.
struct OutboxNames {
  std::string_view one;    // "email"
  std::string_view a_one;  // "an email", as in "give either an email ID or --all-dead"
  std::string_view many;   // "emails": also the command
};

struct OutboxListOptions {
  std::string db = kDefaultDb;
  std::string partner;
  std::string status;
  std::int64_t limit = 50;
  bool json = false;
};

// The help texts of `list` that differ by kind.
struct OutboxListHelp {
  std::string command;
  std::string status;                 // --status
  std::vector<std::string> statuses;  // what --status takes
  std::string json;                   // --json
};

// Adds `list` to `outbox` with --partner, --status, --limit, --json and --db,
// bound to `o`. The caller sets its callback.
CLI::App* AddOutboxListCommand(CLI::App* outbox, const OutboxListHelp& help, OutboxListOptions& o);

// Where a row stands in its delivery: what `list` shows of every kind of row
// after the kind's own fields.
struct OutboxDelivery {
  std::int64_t attempts = 0;
  Micros created_at = 0;
  std::optional<Micros> next_attempt_at;  // shown for pending rows only
  std::optional<Micros> delivered_at;
  std::string_view last_error;
};

template <typename Row>  // Email, Webhook
OutboxDelivery DeliveryOf(const Row& row, bool pending) {
  return {row.attempts, row.created_at,
          pending ? std::optional<Micros>(row.next_attempt_at) : std::nullopt, row.delivered_at,
          row.last_error};
}

// The members attempts, created_at, next_attempt_at, delivered_at (null when
// not set) and last_error.
void WriteOutboxDelivery(const OutboxDelivery& d, JsonWriter& json);
// "  attempts N  created T", then "  next T", "  delivered T" and
// "  last error: E" when set; no line end.
void PrintOutboxDelivery(const OutboxDelivery& d, std::ostream& out);

// What `list` prints: `rows` as a JSON array with `json`, else a line each
// (`print` writes a row to `json` if not null, else a line to std::cout),
// or "no <many>" when there are none.
template <typename Row>
void PrintOutboxList(const std::vector<Row>& rows, bool json, const OutboxNames& names,
                     void (*print)(const Row& row, JsonWriter* json)) {
  JsonWriter w;
  w.BeginArray();
  for (const Row& row : rows) print(row, json ? &w : nullptr);
  w.EndArray();
  if (json) {
    std::cout << w.str() << std::endl;
  } else if (rows.empty()) {
    std::cout << "no " << names.many << "\n";
  }
}

// Store::RetryEmails, Store::RetryWebhooks.
using OutboxRetry = Result<std::int64_t> (Store::*)(std::string_view id,
                                                    const std::optional<std::string>& partner,
                                                    Micros now);

// Adds `retry` to `outbox`: ID or --all-dead, --partner and --db; it makes
// the rows pending again with `retry` and prints how many.
void AddOutboxRetryCommand(CLI::App* outbox, const OutboxNames& names, const std::string& help,
                           OutboxRetry retry);

}  // namespace offerledger
