// The operation table: one operation per request arm, the stats names and
// order that `stats` and the metrics endpoint have always shown, and the
// role rules.
#include <capnp/schema.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ops/operation.h"

namespace crm::protocol::internal {
namespace {

using engine::Role;

TEST(OperationTableTest, EveryArmHasExactlyOneOperation) {
  const OperationTable& table = OperationTable::Get();
  auto arms = capnp::Schema::from<wire::Request>().getUnionFields();
  ASSERT_GT(arms.size(), 0u);
  for (auto field : arms) {
    const auto arm = static_cast<wire::Request::Which>(field.getProto().getDiscriminantValue());
    const Operation* op = table.Find(arm);
    ASSERT_NE(op, nullptr) << field.getProto().getName().cStr();
    EXPECT_EQ(op->arm, arm);
    EXPECT_NE(op->run, nullptr);
    EXPECT_FALSE(op->name.empty());
  }
}

TEST(OperationTableTest, UnknownArmsAreCountedAsOther) {
  const OperationTable& table = OperationTable::Get();
  const auto unknown = static_cast<wire::Request::Which>(OperationTable::kMaxArms - 1);
  EXPECT_EQ(table.Find(unknown), nullptr);
  EXPECT_EQ(table.SlotOf(unknown), table.OtherSlot());
  const auto beyond = static_cast<wire::Request::Which>(1000);
  EXPECT_EQ(table.Find(beyond), nullptr);
  EXPECT_EQ(table.SlotOf(beyond), table.OtherSlot());
  EXPECT_EQ(table.SlotNames()[table.OtherSlot()], "other");
}

TEST(OperationTableTest, StatsNamesKeepTheirOrder) {
  const std::vector<std::string_view> expected = {
      "hello",  "card",        "history",    "get",      "list",    "write",
      "audit_log", "counts",   "create_user", "list_users", "handover", "stats",
      "other",  "value",       "scoring",    "set_scoring", "report", "scan",
      "backup", "dry_run"};
  const std::vector<std::string_view>& names = OperationTable::Get().SlotNames();
  ASSERT_GE(names.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(names[i], expected[i]) << i;
}

TEST(OperationTableTest, EachArmHasItsOwnSlotNamedAfterIt) {
  const OperationTable& table = OperationTable::Get();
  std::vector<bool> used(table.SlotNames().size());
  for (auto field : capnp::Schema::from<wire::Request>().getUnionFields()) {
    const auto arm = static_cast<wire::Request::Which>(field.getProto().getDiscriminantValue());
    const size_t slot = table.SlotOf(arm);
    ASSERT_LT(slot, used.size());
    EXPECT_FALSE(used[slot]);
    used[slot] = true;
    EXPECT_EQ(table.SlotNames()[slot], table.Find(arm)->name);
  }
}

TEST(OperationTableTest, RoleRules) {
  const OperationTable& table = OperationTable::Get();
  auto rule = [&](wire::Request::Which arm) { return table.Find(arm)->rule; };
  for (Role role : {Role::kAdmin, Role::kManager, Role::kAgent}) {
    EXPECT_TRUE(rule(wire::Request::CARD).Allows(role));
    EXPECT_TRUE(rule(wire::Request::WRITE).Allows(role));
    EXPECT_TRUE(rule(wire::Request::VALUE).Allows(role));
    EXPECT_TRUE(rule(wire::Request::SCORING).Allows(role));
  }
  for (auto arm : {wire::Request::CREATE_USER, wire::Request::SET_SCORING, wire::Request::SCAN,
                   wire::Request::BACKUP}) {
    EXPECT_TRUE(rule(arm).Allows(Role::kAdmin));
    EXPECT_FALSE(rule(arm).Allows(Role::kManager));
    EXPECT_FALSE(rule(arm).Allows(Role::kAgent));
  }
  for (auto arm : {wire::Request::LIST_USERS, wire::Request::STATS, wire::Request::REPORT}) {
    EXPECT_TRUE(rule(arm).Allows(Role::kAdmin));
    EXPECT_TRUE(rule(arm).Allows(Role::kManager));
    EXPECT_FALSE(rule(arm).Allows(Role::kAgent));
  }
  EXPECT_EQ(std::string(rule(wire::Request::CREATE_USER).permission), "manage_users");
  EXPECT_EQ(std::string(rule(wire::Request::SCAN).permission), "export_records");
  EXPECT_EQ(std::string(rule(wire::Request::REPORT).requirement), "the admin or manager role");
}

TEST(RequestStatsTest, CountsBySlotUnderTheGivenNames) {
  RequestStats stats({"first", "second", "third"});
  stats.Record(2, 1000, false);
  stats.Record(2, 3000, true);
  stats.Record(0, 500, false);
  std::vector<OpStats> ops = stats.Snapshot();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].name, "first");
  EXPECT_EQ(ops[0].requests, 1u);
  EXPECT_EQ(ops[1].name, "third");
  EXPECT_EQ(ops[1].requests, 2u);
  EXPECT_EQ(ops[1].errors, 1u);
}

}  // namespace
}  // namespace crm::protocol::internal
