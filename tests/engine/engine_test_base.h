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

}  // namespace crm::testing
