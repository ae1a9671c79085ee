// What both backends share about email rows: the outbox table they live in
// and the stored form of an attempt's outcome and of a list filter. (Status
// names are declared in store/store.h.)
#pragma once

#include "store/outbox_table.h"
#include "store/store.h"

namespace offerledger {

// "emails": `retry ID` takes a dead or a recorded email.
extern const OutboxTable kEmailOutbox;

OutboxOutcome StoredOutcome(const EmailOutcome& outcome);
OutboxFilter StoredFilter(const EmailFilter& filter);

}  // namespace offerledger
