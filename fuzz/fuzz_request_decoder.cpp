// Fuzzes the JSON request decoders: the body parser, then every decoder on
// whatever parses. Invariant: a decoded policyholder is canonical JSON that
// decodes again to the same text (parse -> canonicalise -> parse round trip).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/request_decoder.h"

namespace {

void CheckPolicyholderRoundTrip(const std::string& canonical) {
  auto v = offerledger::ParseJsonBody(canonical);
  if (!v.ok()) std::abort();
  auto again = offerledger::DecodePolicyholder(v.value(), "policyholder");
  if (!again.ok() || again.value() != canonical) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = offerledger::ParseJsonBody(body);
  if (!parsed.ok()) return 0;
  const boost::json::value& v = parsed.value();

  for (bool instant : {false, true}) {
    auto create = offerledger::DecodeCreatePackage(v, instant);
    if (create.ok() && instant) CheckPolicyholderRoundTrip(create.value().policyholder_json);
  }
  (void)offerledger::DecodeUpdatePackage(v);
  (void)offerledger::DecodeAddQuotes(v);
  (void)offerledger::DecodeQuoteIds(v);
  auto booking = offerledger::DecodeBooking(v);
  if (booking.ok()) CheckPolicyholderRoundTrip(booking.value().policyholder_json);
  (void)offerledger::DecodeCancel(v);
  (void)offerledger::CheckEmptyPayload(v);
  (void)offerledger::DecodeBookingModification(v);
  (void)offerledger::DecodeQuoteForUpdate(v);
  (void)offerledger::DecodeInstalmentReports(v, 1'900'000'000'000'000);
  (void)offerledger::DecodeEmailEvent(v);
  auto holder = offerledger::DecodePolicyholder(v, "policyholder");
  if (holder.ok()) CheckPolicyholderRoundTrip(holder.value());
  return 0;
}
