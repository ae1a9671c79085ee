// The audit log of admin actions on both store backends: each action
// leaves exactly one row, with the right fields, in the change's own
// transaction; a refused action leaves none; no secret is ever in it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/secret_box.h"
#include "service/partner_admin.h"
#include "service/secret_sealing.h"
#include "store/store_backends.h"

namespace offerledger {
namespace {

using testing::BackendTest;

constexpr const char* kActor = "tester via test";

class AdminAudit : public BackendTest {
 protected:
  std::vector<AuditEntry> All() {
    auto rows = store_->ListAudit(AuditFilter{std::nullopt, std::nullopt, 0});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<AuditEntry>{};
  }
  // Every column of every row, checked for each secret the test handed out.
  void ExpectNoSecretIn(const std::vector<std::string>& secrets) {
    for (const AuditEntry& e : All()) {
      for (const std::string& secret : secrets) {
        ASSERT_FALSE(secret.empty());
        for (const std::string* col : {&e.actor, &e.action, &e.partner, &e.key, &e.detail}) {
          EXPECT_EQ(col->find(secret), std::string::npos) << e.action << ": " << *col;
        }
      }
    }
  }
};

TEST_P(AdminAudit, EachActionLeavesOneRowWithItsFields) {
  PartnerAdmin admin(*store_, nullptr, kActor);
  const Micros before = NowMicros();
  auto created = admin.AddPartner("ACME", "Acme Ltd", 5, 0);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto rows = All();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "partner.add");
  EXPECT_EQ(rows[0].actor, kActor);
  EXPECT_EQ(rows[0].partner, "ACME");
  EXPECT_EQ(rows[0].key, created->api_key);
  EXPECT_GE(rows[0].at, before);
  EXPECT_LE(rows[0].at, NowMicros());
  EXPECT_EQ(rows[0].detail, R"({"name":"Acme Ltd","quote_rps":5,"other_rps":0})");

  auto second = admin.AddKey("ACME");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(admin.SetLimits("ACME", std::nullopt, 7).ok());
  ASSERT_TRUE(admin.SetAuth("ACME", true).ok());
  ASSERT_TRUE(admin.RevokeKey(created->api_key).ok());

  rows = All();
  ASSERT_EQ(rows.size(), 5u);
  // Newest first, seqs increasing with time.
  EXPECT_EQ(rows[0].action, "key.revoke");
  EXPECT_EQ(rows[0].key, created->api_key);
  EXPECT_EQ(rows[0].partner, "ACME");
  EXPECT_EQ(rows[1].action, "partner.set_auth");
  EXPECT_EQ(rows[1].detail, R"({"require_request_target":true})");
  EXPECT_EQ(rows[1].key, "");
  EXPECT_EQ(rows[2].action, "partner.set_limits");
  EXPECT_EQ(rows[2].detail, R"({"quote_rps":5,"other_rps":7})");
  EXPECT_EQ(rows[3].action, "key.add");
  EXPECT_EQ(rows[3].key, second->api_key);
  EXPECT_EQ(rows[4].action, "partner.add");
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    EXPECT_GT(rows[i].seq, rows[i + 1].seq);
    EXPECT_GE(rows[i].at, rows[i + 1].at);
    EXPECT_EQ(rows[i].actor, kActor);
  }

  // Filters and limit.
  auto revokes = store_->ListAudit(AuditFilter{std::nullopt, "key.revoke", 100});
  ASSERT_TRUE(revokes.ok());
  ASSERT_EQ(revokes->size(), 1u);
  ASSERT_TRUE(admin.AddPartner("OTHER", "").ok());
  auto acme = store_->ListAudit(AuditFilter{"ACME", std::nullopt, 2});
  ASSERT_TRUE(acme.ok());
  ASSERT_EQ(acme->size(), 2u);
  EXPECT_EQ((*acme)[0].action, "key.revoke");
  EXPECT_EQ(All().size(), 6u);
  ExpectNoSecretIn({created->api_secret, second->api_secret});
}

TEST_P(AdminAudit, RefusedActionsLeaveNoRow) {
  PartnerAdmin admin(*store_, nullptr, kActor);
  ASSERT_TRUE(admin.AddPartner("ACME", "").ok());
  ASSERT_EQ(All().size(), 1u);
  EXPECT_EQ(admin.RevokeKey("no-such-key").code(), StatusCode::kNotFound);
  EXPECT_EQ(admin.AddPartner("ACME", "").status().code(), StatusCode::kConflict);
  EXPECT_EQ(admin.AddKey("NOPE").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(admin.SetLimits("NOPE", 1, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(admin.SetAuth("NOPE", true).code(), StatusCode::kNotFound);
  // Store level: the change fails inside the transaction, so its audit row
  // (given) is rolled back with it.
  const AuditEntry audit{0, NowMicros(), kActor, "key.revoke", "ACME", "no-such-key", "{}"};
  EXPECT_EQ(store_->RevokeKey("no-such-key", NowMicros(), &audit).code(), StatusCode::kNotFound);
  const AuditEntry limits{0, NowMicros(), kActor, "partner.set_limits", "NOPE", "", "{}"};
  EXPECT_EQ(store_->SetPartnerLimits("NOPE", 1, 1, &limits).code(), StatusCode::kNotFound);
  const AuditEntry removal{0, NowMicros(), kActor, "partner.remove_webhook", "ACME", "", "{}"};
  auto removed = store_->RemoveWebhookConfig("ACME", &removal);
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(*removed);
  auto rows = All();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].action, "partner.add");
}

TEST_P(AdminAudit, WebhookAndSealingRowsHoldNoSecret) {
  const std::string webhook_secret = "whsec-very-secret-value-123";
  ASSERT_TRUE(PartnerAdmin(*store_, nullptr, kActor).AddPartner("ACME", "").ok());
  auto plain = PartnerAdmin(*store_, nullptr, kActor).AddKey("ACME");
  ASSERT_TRUE(plain.ok());

  const std::string master(SecretBox::kKeySize, 'k');
  auto box = SecretBox::FromKey(master);
  ASSERT_TRUE(box.ok());
  auto census = CheckStoredSecrets(*store_, &*box, /*seal_plain=*/true, kActor);
  ASSERT_TRUE(census.ok()) << census.status().ToString();
  EXPECT_EQ(census->newly_sealed, 2);
  auto sealed = store_->ListAudit(AuditFilter{std::nullopt, "partner.seal_secrets", 0});
  ASSERT_TRUE(sealed.ok());
  ASSERT_EQ(sealed->size(), 2u);
  for (const AuditEntry& e : *sealed) {
    EXPECT_EQ(e.partner, "ACME");
    EXPECT_FALSE(e.key.empty());
  }

  WebhookConfig config{"ACME",         "https://hooks.example/x", "hookkey",
                       webhook_secret, {"BOOKING_CREATED"},       NowMicros()};
  const AuditEntry set{0,
                       NowMicros(),
                       kActor,
                       "partner.set_webhook",
                       "ACME",
                       "",
                       R"({"url":"https://hooks.example/x"})"};
  ASSERT_TRUE(store_->SetWebhookConfig(config, &set).ok());
  const AuditEntry removal{0, NowMicros(), kActor, "partner.remove_webhook", "ACME", "", "{}"};
  auto removed = store_->RemoveWebhookConfig("ACME", &removal);
  ASSERT_TRUE(removed.ok() && *removed);
  auto rows = All();
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].action, "partner.remove_webhook");
  EXPECT_EQ(rows[1].action, "partner.set_webhook");
  ExpectNoSecretIn({webhook_secret, plain->api_secret, master});
}

TEST_P(AdminAudit, PartnerAuthFlagIsStoredAndReadWithTheKey) {
  PartnerAdmin admin(*store_, nullptr, kActor);
  auto created = admin.AddPartner("ACME", "");
  ASSERT_TRUE(created.ok());
  auto key = store_->FindKey(created->api_key);
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_FALSE((*key)->require_request_target);
  ASSERT_TRUE(admin.SetAuth("ACME", true).ok());
  key = store_->FindKey(created->api_key);
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_TRUE((*key)->require_request_target);
  auto p = store_->GetPartner("ACME");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_TRUE((*p)->require_request_target);
  ASSERT_TRUE(admin.SetAuth("ACME", false).ok());
  auto all = store_->ListPartners();
  ASSERT_TRUE(all.ok() && all->size() == 1u);
  EXPECT_FALSE((*all)[0].require_request_target);
}

OL_BACKENDS(AdminAudit);

}  // namespace
}  // namespace offerledger
