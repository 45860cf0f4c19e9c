// A small book of business for the value and report tests of the protocol
// and client suites, and field-by-field comparisons of every report.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/engine/value.h"
#include "engine/engine_test_base.h"

namespace crm::testing {

inline constexpr engine::Micros kDay = int64_t{86400} * 1000000;

// Creates `customers` customers owned in turn by `owners`, with purchases of
// growing size through 2025, opportunities at every stage from two sources
// and campaigns, contracts (one active and ending soon, unpaid), rated
// interactions, a complaint and an overdue task. Returns the customer ids.
inline std::vector<engine::Id> SeedBook(engine::Engine& engine, const std::vector<engine::Id>& owners,
                                        int customers = 12) {
  std::vector<engine::Id> ids;
  auto create = [&](engine::Record record) {
    engine::Result<engine::Id> id = engine.Create(engine::Actor{}, std::move(record));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : engine::Id{0};
  };
  for (int i = 0; i < customers; ++i) {
    engine::Customer c = Organization("Firm " + std::to_string(i), {Mobile(7000 + i)});
    c.industry = i % 3 == 0 ? "retail" : (i % 3 == 1 ? "energy" : "finance");
    c.region.country = "CN";
    c.size_band = static_cast<engine::SizeBand>(1 + i % 5);
    c.owner = owners.empty() ? 0 : owners[i % owners.size()];
    c.team = "east";
    const engine::Id id = create(c);
    ids.push_back(id);
    // Purchases: customer i buys (i + 1)^2 times 1,000.00 spread over 2025;
    // the first few bought more in 2024 (falling revenue).
    for (int k = 0; k <= i % 4; ++k) {
      engine::Transaction t = TransactionOf(id, kTestNow - (30 + 60 * k + i) * kDay,
                                            int64_t{100000} * (i + 1) * (i + 1));
      t.margin_minor_units = t.amount.minor_units / 4;
      create(t);
    }
    if (i < 3) create(TransactionOf(id, kTestNow - 500 * kDay, int64_t{50000000}));
    engine::Interaction call = InteractionOf(id, kTestNow - (10 + 20 * i) * kDay);
    call.satisfaction = static_cast<uint8_t>(1 + i % 5);
    if (i % 5 == 0) call.complaint = engine::ComplaintState::kOpen;
    call.agent = c.owner;
    create(call);
    engine::Opportunity o;
    o.customer = id;
    o.name = "deal " + std::to_string(i);
    o.stage = static_cast<engine::Stage>(i % 6);
    o.amount = engine::Money{int64_t{2000000} * (i + 1), engine::Currency("CNY")};
    o.probability = static_cast<uint8_t>(10 + 7 * (i % 6));
    o.owner = c.owner;
    o.source = i % 2 ? "web" : "referral";
    o.campaign = i % 3 ? "spring" : "";
    create(o);
    if (i % 4 == 0) {
      engine::Contract k;
      k.customer = id;
      k.number = "K-" + std::to_string(i);
      k.amount = engine::Money{int64_t{5000000} * (i + 1), engine::Currency("CNY")};
      k.status = i % 8 == 0 ? engine::ContractStatus::kActive : engine::ContractStatus::kFulfilled;
      k.signed_at = kTestNow - 300 * kDay;
      k.start_at = kTestNow - 300 * kDay;
      k.end_at = kTestNow + (i == 0 ? 10 : -20) * kDay;
      k.paid_minor_units = k.amount.minor_units / 2;
      create(k);
    }
    if (i % 6 == 1) {
      engine::Task task;
      task.customer = id;
      task.assignee = c.owner;
      task.title = "call back";
      task.due_at = kTestNow - 3 * kDay;
      create(task);
    }
  }
  return ids;
}

#define CRM_EXPECT_SAME(a, b, field) EXPECT_EQ((a).field, (b).field) << #field

inline void ExpectSameCutoffs(const engine::Cutoffs& a, const engine::Cutoffs& b) {
  CRM_EXPECT_SAME(a, b, pareto_current);
  CRM_EXPECT_SAME(a, b, high_potential);
  CRM_EXPECT_SAME(a, b, class_high);
  CRM_EXPECT_SAME(a, b, class_mid);
  CRM_EXPECT_SAME(a, b, customers);
  CRM_EXPECT_SAME(a, b, total_current);
}

inline void ExpectSame(const engine::ParetoReport& a, const engine::ParetoReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  CRM_EXPECT_SAME(a, b, customers);
  CRM_EXPECT_SAME(a, b, total);
  CRM_EXPECT_SAME(a, b, top10);
  CRM_EXPECT_SAME(a, b, top20);
  CRM_EXPECT_SAME(a, b, top50);
  CRM_EXPECT_SAME(a, b, customers_for_80);
  ASSERT_EQ(a.curve.size(), b.curve.size());
  for (size_t i = 0; i < a.curve.size(); ++i) {
    CRM_EXPECT_SAME(a.curve[i], b.curve[i], customers);
    CRM_EXPECT_SAME(a.curve[i], b.curve[i], value);
  }
}

inline void ExpectSame(const engine::TierReport& a, const engine::TierReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  CRM_EXPECT_SAME(a, b, config_version);
  ExpectSameCutoffs(a.cutoffs, b.cutoffs);
  CRM_EXPECT_SAME(a, b, tiers);
  CRM_EXPECT_SAME(a, b, tier_value);
  CRM_EXPECT_SAME(a, b, value_classes);
  CRM_EXPECT_SAME(a, b, has_baseline);
  CRM_EXPECT_SAME(a, b, baseline_at);
  CRM_EXPECT_SAME(a, b, movements);
}

inline void ExpectSame(const engine::GroupReport& a, const engine::GroupReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  CRM_EXPECT_SAME(a, b, dimension);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], key);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], customers);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], revenue);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], profit);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], pipeline);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], current_value);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], potential_value);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], key_customers);
  }
}

inline void ExpectSame(const engine::PipelineReport& a, const engine::PipelineReport& b) {
  ASSERT_EQ(a.stages.size(), b.stages.size());
  for (size_t i = 0; i < a.stages.size(); ++i) {
    CRM_EXPECT_SAME(a.stages[i], b.stages[i], stage);
    CRM_EXPECT_SAME(a.stages[i], b.stages[i], count);
    CRM_EXPECT_SAME(a.stages[i], b.stages[i], amount);
    CRM_EXPECT_SAME(a.stages[i], b.stages[i], weighted);
    CRM_EXPECT_SAME(a.stages[i], b.stages[i], conversion);
  }
  CRM_EXPECT_SAME(a, b, open);
  CRM_EXPECT_SAME(a, b, open_amount);
  CRM_EXPECT_SAME(a, b, open_weighted);
  CRM_EXPECT_SAME(a, b, win_rate);
}

inline void ExpectSame(const engine::ContractReport& a, const engine::ContractReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  ASSERT_EQ(a.statuses.size(), b.statuses.size());
  for (size_t i = 0; i < a.statuses.size(); ++i) {
    CRM_EXPECT_SAME(a.statuses[i], b.statuses[i], status);
    CRM_EXPECT_SAME(a.statuses[i], b.statuses[i], count);
    CRM_EXPECT_SAME(a.statuses[i], b.statuses[i], amount);
    CRM_EXPECT_SAME(a.statuses[i], b.statuses[i], paid);
    CRM_EXPECT_SAME(a.statuses[i], b.statuses[i], outstanding);
  }
  CRM_EXPECT_SAME(a, b, expiring_days);
  CRM_EXPECT_SAME(a, b, expiring);
  CRM_EXPECT_SAME(a, b, expiring_amount);
  CRM_EXPECT_SAME(a, b, overdue_payment);
}

inline void ExpectSame(const engine::ChurnReport& a, const engine::ChurnReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  CRM_EXPECT_SAME(a, b, at_risk);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], customer);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], name);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], owner);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], last_activity);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], days_inactive);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], revenue);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], previous_revenue);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], current_value);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], tier);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], inactive);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], falling);
  }
}

inline void ExpectSame(const engine::SatisfactionReport& a, const engine::SatisfactionReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  CRM_EXPECT_SAME(a, b, rated);
  CRM_EXPECT_SAME(a, b, average);
  CRM_EXPECT_SAME(a, b, ratings);
  CRM_EXPECT_SAME(a, b, complaints);
  CRM_EXPECT_SAME(a, b, open);
  CRM_EXPECT_SAME(a, b, in_progress);
  CRM_EXPECT_SAME(a, b, resolved);
  CRM_EXPECT_SAME(a, b, customers_rated);
  CRM_EXPECT_SAME(a, b, customers_with_complaints);
}

inline void ExpectSame(const engine::ConversionReport& a, const engine::ConversionReport& b) {
  CRM_EXPECT_SAME(a, b, by_campaign);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], key);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], opportunities);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], won);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], lost);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], open);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], win_rate);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], won_amount);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], open_weighted);
  }
}

inline void ExpectSame(const engine::OwnerKpiReport& a, const engine::OwnerKpiReport& b) {
  CRM_EXPECT_SAME(a, b, as_of);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], owner);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], name);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], customers);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], key_customers);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], revenue);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], previous_revenue);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], growth);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], interactions);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], contacts_per_key_customer);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], open_complaints);
    CRM_EXPECT_SAME(a.rows[i], b.rows[i], overdue_tasks);
  }
}

#undef CRM_EXPECT_SAME

}  // namespace crm::testing
