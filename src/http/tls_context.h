// Server-side TLS for HttpServer: an OpenSSL context from a PEM certificate
// chain and private key, TLS 1.2 and newer only. Kept apart from server.cpp
// so that `serve` can refuse bad files at start-up, before it opens the
// database.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/result.h"

namespace offerledger {

// Invalid, with a sentence naming the file and the problem, when a file is
// missing or unreadable, is not PEM of the right kind, the key is encrypted,
// or the key does not belong to the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace offerledger
