// The storage document of a QuotePackage: every field of the package, its
// quotes and its pending cancellation as one JSON object, so that a package is
// one row whatever its number of quotes, and Decode(Encode(p)) == p exactly.
//
// This is a storage format, not the API shape (api/ renders that). Times are
// integer microseconds, money integer minor units, statuses their names,
// absent optionals JSON null; the free-form JSON the package carries
// (policyholder, quote fields) is kept as strings, byte for byte. The document
// has a format version "v" (now 1). Decoding ignores unknown members and gives
// a member that is absent its default value, so fields added later do not
// break documents written before; a member of the wrong type, or a missing
// id/partner/status, is a corrupt document (kInternal).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "domain/quote_package.h"

namespace offerledger {

constexpr int kPackageDocVersion = 1;

std::string EncodePackage(const QuotePackage& pkg);
Result<QuotePackage> DecodePackage(std::string_view doc);

}  // namespace offerledger
