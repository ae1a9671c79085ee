// Identifiers handed to partners. All come from the CSPRNG: a package id
// must not let anyone guess another package's id.
#pragma once

#include <string>
#include <string_view>

namespace offerledger {

// "PYWUR-TAPHT-INS": two groups of five upper-case letters/digits, then -INS.
std::string NewPackageId();
bool IsPackageId(std::string_view s);
// RFC 4122 version 4 UUID, lower-case: quote ids.
std::string NewUuid();
bool IsUuid(std::string_view s);
// "iH1w8-bSWnL-xd6SC-8icSM": the package's security token.
std::string NewSecurityToken();
// "u7Thv-d6C5P-8FAQW-CCL": a cancellation preview id.
std::string NewCancellationId();
// A renewal offered by quote_for_renewal: "b2XkP-7QmZr-Lw3Ns-RNW".
std::string NewRenewalId();
// A booking update quoted by quote_for_update: "joaiJ-Cao42-o9ulM-UPD".
std::string NewUpdateId();
// API credentials: a key id (public) and a secret (shown once).
std::string NewApiKey();
std::string NewApiSecret();

}  // namespace offerledger
