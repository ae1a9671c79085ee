#include "http/tls_context.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace offerledger {

namespace ssl = boost::asio::ssl;

namespace {

// The oldest queued OpenSSL error as a reason sentence; clears the queue.
std::string OpenSslReason() {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(first);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(first);
}

// Says why `path` cannot be read, before OpenSSL gets a chance to say
// something vaguer.
Status CheckReadable(const char* flag, const std::string& path) {
  if (path.empty()) return Status::Invalid(std::string(flag) + " is empty");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return Status::Invalid(std::string("cannot read ") + flag + " " + path + ": " +
                           std::strerror(errno));
  }
  std::fclose(f);
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  if (Status s = CheckReadable("--tls-cert", cert_file); !s.ok()) return s;
  if (Status s = CheckReadable("--tls-key", key_file); !s.ok()) return s;

  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();
  // TLS 1.3 with OpenSSL's default suites; TLS 1.2 only with forward-secret
  // AEAD suites. Older protocols, compression and renegotiation are off.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1) {
    return Status::Internal("cannot set the TLS 1.2 cipher list: " + OpenSslReason());
  }
  // An encrypted key would otherwise make OpenSSL prompt on the terminal;
  // an empty pass phrase makes it fail with a reason instead.
  ctx->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); });

  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return Status::Invalid("--tls-cert " + cert_file +
                           " is not a usable PEM certificate (chain): " + OpenSslReason());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL checks the key against the certificate already loaded.
    const int reason = ERR_GET_REASON(ERR_peek_last_error());
    if (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH) {
      ERR_clear_error();
      return Status::Invalid("--tls-key " + key_file +
                             " does not match the certificate in --tls-cert " + cert_file);
    }
    return Status::Invalid("--tls-key " + key_file +
                           " is not a usable PEM private key: " + OpenSslReason() +
                           " (an encrypted key must be decrypted first: openssl pkey -in KEY "
                           "-out PLAIN_KEY)");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Status::Invalid("--tls-key " + key_file +
                           " does not match the certificate in --tls-cert " + cert_file);
  }
  return ctx;
}

}  // namespace offerledger
