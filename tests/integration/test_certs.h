// Certificates for the TLS tests, made at test time with the `openssl`
// command line in the test's temp dir: a private CA, a server certificate it
// signs for 127.0.0.1 and localhost (subjectAltName), and a second one it
// signs for another name only (for host-name mismatch). EC P-256 keys, so
// that generating them takes milliseconds. Header-only: both test_integration
// and test_client use it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace itest {

struct TestPki {
  std::filesystem::path ca_cert;      // trust anchor (PEM)
  std::filesystem::path server_cert;  // for 127.0.0.1 and localhost
  std::filesystem::path server_key;
  std::filesystem::path other_cert;  // for other.invalid only
  std::filesystem::path other_key;
  bool ok = false;  // false: generation failed (a gtest failure says why)
};

namespace detail {

inline bool RunOpenssl(const std::filesystem::path& dir, const std::string& args) {
  const std::filesystem::path log = dir / "openssl.log";
  const std::string cmd = "openssl " + args + " >>'" + log.string() + "' 2>&1";
  if (std::system(cmd.c_str()) == 0) return true;
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ADD_FAILURE() << "failed: " << cmd << "\n" << text;
  return false;
}

// A key and a certificate for `san`, signed by the CA in `dir`.
inline bool MakeLeaf(const std::filesystem::path& dir, const std::string& name,
                     const std::string& cn, const std::string& san) {
  const std::string d = "'" + dir.string() + "/";
  {
    std::ofstream ext(dir / (name + ".ext"));
    ext << "subjectAltName=" << san << "\n"
        << "basicConstraints=critical,CA:FALSE\n"
        << "keyUsage=critical,digitalSignature\n"
        << "extendedKeyUsage=serverAuth\n";
  }
  return RunOpenssl(
             dir, "req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
                      name + ".key' -out " + d + name + ".csr' -subj '/CN=" + cn + "'") &&
         RunOpenssl(dir, "x509 -req -in " + d + name + ".csr' -CA " + d + "ca.pem' -CAkey " + d +
                             "ca.key' -CAcreateserial -days 2 -sha256 -extfile " + d + name +
                             ".ext' -out " + d + name + ".pem'");
}

}  // namespace detail

inline TestPki MakeTestPki(const std::filesystem::path& dir) {
  TestPki pki;
  pki.ca_cert = dir / "ca.pem";
  pki.server_cert = dir / "server.pem";
  pki.server_key = dir / "server.key";
  pki.other_cert = dir / "other.pem";
  pki.other_key = dir / "other.key";
  const std::string d = "'" + dir.string() + "/";
  pki.ok = detail::RunOpenssl(
               dir,
               "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
               "-sha256 -keyout " +
                   d + "ca.key' -out " + d +
                   "ca.pem' -subj '/CN=offerledger test CA' "
                   "-addext 'basicConstraints=critical,CA:TRUE' "
                   "-addext 'keyUsage=critical,keyCertSign,cRLSign'") &&
           detail::MakeLeaf(dir, "server", "localhost", "IP:127.0.0.1,DNS:localhost") &&
           detail::MakeLeaf(dir, "other", "other.invalid", "DNS:other.invalid");
  return pki;
}

}  // namespace itest
