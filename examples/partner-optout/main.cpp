// Opts a quote package out durably: the opt-out is committed to the local
// outbox before this returns, then delivered with retries (also after a
// restart of this program). Config from XC_BASE_URL, XC_PARTNER_CODE,
// XC_AUTH_API_KEY, XC_AUTH_API_SECRET (and XC_OUTBOX; XC_CA_FILE for an
// https server whose certificate comes from a private CA).
#include <iostream>

#include "client/client.h"
#include "client/outbox.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: partner_optout QUOTE_PACKAGE_ID\n";
    return 2;
  }
  namespace xc = offerledger::client;
  xc::Client client(xc::ConfigFromEnv());
  client.OptOut(argv[1], xc::Delivery::Durable);  // safe on disk from here on
  std::cout << "queued " << argv[1] << "\n";
  // Give the background sender a moment; what is left is sent on the next run
  // or by `offerledger client outbox flush`.
  const bool sent = client.WaitForOutbox(std::chrono::seconds(30));
  std::cout << (sent ? "delivered" : "still pending, will retry") << "\n";
  return 0;
}
