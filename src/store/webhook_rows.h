// What both backends share about webhook rows: the outbox table they live
// in, the stored form of an attempt's outcome, of a list filter and of a
// subscription's event list. (Status names are declared in store/store.h.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/outbox_table.h"
#include "store/store.h"

namespace offerledger {

// "webhooks": `retry ID` takes a dead webhook only.
extern const OutboxTable kWebhookOutbox;

OutboxOutcome StoredOutcome(const WebhookOutcome& outcome);
OutboxFilter StoredFilter(const WebhookFilter& filter);

// Events are stored as ",A,B," so "does it subscribe to E" is a substring
// test for ",E," in SQL on either backend.
std::string JoinWebhookEvents(const std::vector<std::string>& events);
std::vector<std::string> SplitWebhookEvents(std::string_view stored);

}  // namespace offerledger
