// The renewal state of a package survives its storage document, and a
// document without it (written before renewals) decodes to none.
#include <gtest/gtest.h>

#include "store/package_codec.h"

namespace offerledger {
namespace {

QuotePackage Renewable() {
  QuotePackage p;
  p.id = "PYWUR-TAPHT-INS";
  p.partner = "LLODT";
  p.status = PackageStatus::kConfirmed;
  p.currency = "GBP";
  Quote q;
  q.id = "8f0b6c1e-2d3a-4b5c-9d8e-7f6a5b4c3d2e";
  q.policy_type = "gadget_protection";
  q.renewable = true;
  q.status = QuoteStatus::kConfirmed;
  q.price = 896;
  p.quotes = {q};
  return p;
}

TEST(RenewalCodec, RoundTripsEveryRenewalField) {
  QuotePackage p = Renewable();
  PendingRenewal r;
  r.id = "b2XkP-7QmZr-Lw3Ns-RNW";
  r.created_at = 1'700'000'000'000'000;
  Quote next = p.quotes[0];
  next.id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  next.status = QuoteStatus::kReceived;
  next.price = 952;
  r.quotes = {next};
  p.pending_renewal = r;
  p.renewal_opted_out_at = 1'700'000'000'000'123;
  p.renewed_from = "AAAAA-BBBBB-INS";
  p.renewed_to = "CCCCC-DDDDD-INS";
  p.renewal_due_sent_for = 1'700'000'000'000'456;
  p.renewal_expired_at = 1'700'000'000'000'789;

  auto back = DecodePackage(EncodePackage(p));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->quotes.at(0).renewable);
  ASSERT_TRUE(back->pending_renewal);
  EXPECT_EQ(back->pending_renewal->id, r.id);
  EXPECT_EQ(back->pending_renewal->created_at, r.created_at);
  ASSERT_EQ(back->pending_renewal->quotes.size(), 1u);
  EXPECT_EQ(back->pending_renewal->quotes[0].id, next.id);
  EXPECT_EQ(back->pending_renewal->quotes[0].price, 952);
  EXPECT_EQ(back->pending_renewal->quotes[0].status, QuoteStatus::kReceived);
  EXPECT_EQ(back->renewal_opted_out_at, p.renewal_opted_out_at);
  EXPECT_EQ(back->renewed_from, "AAAAA-BBBBB-INS");
  EXPECT_EQ(back->renewed_to, "CCCCC-DDDDD-INS");
  EXPECT_EQ(back->renewal_due_sent_for, p.renewal_due_sent_for);
  EXPECT_EQ(back->renewal_expired_at, p.renewal_expired_at);
  EXPECT_EQ(EncodePackage(*back), EncodePackage(p));

  p.status = PackageStatus::kRenewed;
  auto renewed = DecodePackage(EncodePackage(p));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->status, PackageStatus::kRenewed);
}

TEST(RenewalCodec, DocumentsWithoutRenewalStateDecodeToNone) {
  const std::string doc = EncodePackage(Renewable());
  EXPECT_EQ(doc.find("renewal_opted_out_at"), std::string::npos);  // only written when set
  EXPECT_EQ(doc.find("pending_renewal"), std::string::npos);
  auto back = DecodePackage(doc);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->pending_renewal);
  EXPECT_FALSE(back->renewal_opted_out_at);
  EXPECT_TRUE(back->renewed_from.empty());
  EXPECT_FALSE(back->renewal_due_sent_for);
  EXPECT_FALSE(back->renewal_expired_at);
}

TEST(RenewalCodec, AWrongTypeIsACorruptDocument) {
  std::string doc = EncodePackage(Renewable());
  doc.insert(doc.size() - 1, R"(,"renewal_opted_out_at":"soon")");
  auto back = DecodePackage(doc);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("renewal_opted_out_at"), std::string::npos)
      << back.status().message();
}

}  // namespace
}  // namespace offerledger
