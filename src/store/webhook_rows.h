// What both backends share about webhook rows: status names and the stored
// form of a subscription's event list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace offerledger {

// Events are stored as ",A,B," so "does it subscribe to E" is a substring
// test for ",E," in SQL on either backend.
std::string JoinWebhookEvents(const std::vector<std::string>& events);
std::vector<std::string> SplitWebhookEvents(std::string_view stored);

}  // namespace offerledger
