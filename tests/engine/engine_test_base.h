// Record builders and an engine fixture shared by the engine's behaviour
// tests (index, history, validation, persistence).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crm/engine/engine.h"
#include "engine/test_util.h"

namespace crm::testing {

// A valid, distinct Chinese mobile number in E.164 for each n < 10^8.
inline std::string Mobile(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "+86138%08llu", static_cast<unsigned long long>(n));
  return buf;
}

inline engine::Customer Individual(std::string name, std::vector<std::string> phones = {},
                                   std::vector<std::string> emails = {}) {
  engine::Customer c;
  c.kind = engine::CustomerKind::kIndividual;
  c.name = std::move(name);
  c.phones = std::move(phones);
  c.emails = std::move(emails);
  return c;
}

inline engine::Customer Organization(std::string name, std::vector<std::string> phones = {},
                                     std::vector<std::string> emails = {}) {
  engine::Customer c = Individual(std::move(name), std::move(phones), std::move(emails));
  c.kind = engine::CustomerKind::kOrganization;
  return c;
}

inline engine::Contact ContactOf(engine::Id customer, std::string name,
                                 std::vector<std::string> phones = {},
                                 std::vector<std::string> emails = {}) {
  engine::Contact c;
  c.customer = customer;
  c.name = std::move(name);
  c.phones = std::move(phones);
  c.emails = std::move(emails);
  return c;
}

inline engine::Interaction InteractionOf(engine::Id customer, engine::Micros time,
                                         engine::Channel channel = engine::Channel::kCall) {
  engine::Interaction i;
  i.customer = customer;
  i.time = time;
  i.channel = channel;
  i.subject = "subject";
  return i;
}

inline engine::Transaction TransactionOf(engine::Id customer, engine::Micros time,
                                         int64_t minor_units = 100) {
  engine::Transaction t;
  t.customer = customer;
  t.time = time;
  t.amount = engine::Money{minor_units, engine::Currency("CNY")};
  return t;
}

inline engine::User UserNamed(std::string name) {
  engine::User u;
  u.name = std::move(name);
  return u;
}

inline engine::WriteOp CreateOp(engine::Record record) {
  engine::WriteOp op;
  op.kind = engine::WriteKind::kCreate;
  op.record = std::move(record);
  return op;
}

inline engine::WriteOp UpdateOp(engine::Record record) {
  engine::WriteOp op;
  op.kind = engine::WriteKind::kUpdate;
  op.record = std::move(record);
  return op;
}

inline engine::WriteOp DeleteOp(engine::EntityKind entity, engine::Id id, bool cascade = false) {
  engine::WriteOp op;
  op.kind = engine::WriteKind::kDelete;
  op.entity = entity;
  op.id = id;
  op.cascade = cascade;
  return op;
}

// The value of `r`; when it holds an error instead, fails the current test
// and returns T{} (never dereferences an empty Result).
template <typename T>
T Must(engine::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return T{};
  }
  return std::move(r).value();
}

// A fresh engine in a scratch directory for each test.
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    ASSERT_NE(engine_, nullptr);
  }

  // Closes the engine and opens it again on the same directory.
  void Reopen() {
    engine_.reset();
    engine_ = OpenEngine(dir_.path());
    ASSERT_NE(engine_, nullptr);
  }

  engine::Engine& db() { return *engine_; }

  // Creates `record`, failing the test (and returning 0) if it is refused.
  engine::Id MustCreate(engine::Record record) {
    engine::Result<engine::Id> id = engine_->Create(engine::Actor{}, std::move(record));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
};

// Every field of two value summaries is equal, factor by factor.
inline void ExpectSameValue(const engine::ValueSummary& a, const engine::ValueSummary& b) {
  EXPECT_EQ(a.scored, b.scored);
  EXPECT_EQ(a.current_value, b.current_value);
  EXPECT_EQ(a.potential_value, b.potential_value);
  EXPECT_EQ(a.tier, b.tier);
  EXPECT_EQ(a.value_class, b.value_class);
  EXPECT_EQ(a.high_current, b.high_current);
  EXPECT_EQ(a.high_potential, b.high_potential);
  EXPECT_EQ(a.current_rank, b.current_rank);
  EXPECT_EQ(a.customers, b.customers);
  EXPECT_EQ(a.as_of, b.as_of);
  EXPECT_EQ(a.config_version, b.config_version);
  for (int f = 0; f < engine::kFactorCount; ++f) {
    SCOPED_TRACE(std::string(engine::Name(static_cast<engine::Factor>(f))));
    EXPECT_EQ(a.factors[f].raw, b.factors[f].raw);
    EXPECT_EQ(a.factors[f].normalized, b.factors[f].normalized);
    EXPECT_EQ(a.factors[f].current, b.factors[f].current);
    EXPECT_EQ(a.factors[f].potential, b.factors[f].potential);
  }
}

// Every field of two cards (value, lists, related, counts) is equal.
inline void ExpectSameCard(const engine::CustomerCard& a, const engine::CustomerCard& b) {
  EXPECT_EQ(a.customer, b.customer);
  EXPECT_EQ(a.contacts, b.contacts);
  ExpectSameValue(a.value, b.value);
  EXPECT_EQ(a.recent_interactions, b.recent_interactions);
  EXPECT_EQ(a.open_opportunities, b.open_opportunities);
  EXPECT_EQ(a.active_contracts, b.active_contracts);
  EXPECT_EQ(a.open_complaints, b.open_complaints);
  EXPECT_EQ(a.due_tasks, b.due_tasks);
  ASSERT_EQ(a.related.size(), b.related.size());
  for (size_t i = 0; i < a.related.size(); ++i) {
    EXPECT_EQ(a.related[i].id, b.related[i].id);
    EXPECT_EQ(a.related[i].name, b.related[i].name);
    EXPECT_EQ(a.related[i].kind, b.related[i].kind);
    EXPECT_EQ(a.related[i].incoming, b.related[i].incoming);
  }
  EXPECT_EQ(a.interaction_count, b.interaction_count);
  EXPECT_EQ(a.transaction_count, b.transaction_count);
  EXPECT_EQ(a.last_interaction_at, b.last_interaction_at);
  EXPECT_EQ(a.last_transaction_at, b.last_transaction_at);
}

// The members named after the eight entity kinds (customers .. users) are
// equal: counts or tables of records, in anything that has all eight.
template <typename PerKind>
void ExpectSamePerKind(const PerKind& a, const PerKind& b) {
  EXPECT_EQ(a.customers, b.customers);
  EXPECT_EQ(a.contacts, b.contacts);
  EXPECT_EQ(a.interactions, b.interactions);
  EXPECT_EQ(a.transactions, b.transactions);
  EXPECT_EQ(a.opportunities, b.opportunities);
  EXPECT_EQ(a.contracts, b.contracts);
  EXPECT_EQ(a.tasks, b.tasks);
  EXPECT_EQ(a.users, b.users);
}

// Every count is equal.
inline void ExpectSameCounts(const engine::StoreCounts& a, const engine::StoreCounts& b) {
  ExpectSamePerKind(a, b);
  EXPECT_EQ(a.audit_entries, b.audit_entries);
}

}  // namespace crm::testing
