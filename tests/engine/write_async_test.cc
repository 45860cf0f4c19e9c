// WriteAsync: callbacks run once, after the commit, with the same results
// Write() would give; callbacks may queue more writes; destroying the engine
// commits what was queued and runs every callback first.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <set>

#include "engine/engine_test_base.h"

namespace crm::engine {
namespace {

using crm::testing::InteractionOf;
using crm::testing::Mobile;
using crm::testing::Organization;

std::vector<WriteOp> CreateOp(Record record) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kCreate;
  ops[0].record = std::move(record);
  return ops;
}

TEST(WriteAsyncTest, CallbackSeesCommittedResultAndRecordIsReadable) {
  crm::testing::TempDir dir;
  auto engine = crm::testing::OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<WriteResult> got;
  bool done = false;
  Id visible_in_callback = 0;
  engine->WriteAsync(Actor{}, CreateOp(Organization("Async Co", {Mobile(1)})), true,
                     [&](std::vector<WriteResult> results) {
                       // The commit is published before the callback runs.
                       auto found = engine->FindCustomer(CardKey::ByPhone(Mobile(1)));
                       std::lock_guard lock(mu);
                       if (found.ok()) visible_in_callback = *found;
                       got = std::move(results);
                       done = true;
                       cv.notify_one();
                     });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done; }))
      << "the callback never ran";
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].status.ok()) << got[0].status.ToString();
  EXPECT_EQ(visible_in_callback, got[0].id);
  EXPECT_EQ(got[0].revision, 1u);
}

TEST(WriteAsyncTest, FailuresArriveAsResults) {
  crm::testing::TempDir dir;
  auto engine = crm::testing::OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  std::promise<std::vector<WriteResult>> promise;
  engine->WriteAsync(Actor{}, CreateOp(InteractionOf(/*customer=*/999, crm::testing::kTestNow)),
                     true, [&](std::vector<WriteResult> r) { promise.set_value(std::move(r)); });
  auto future = promise.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  auto results = future.get();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status.code(), Code::kNotFound);
  EXPECT_EQ(results[0].status.field(), "interaction.customer");
  EXPECT_EQ(engine->Counts().interactions, 0u);
}

TEST(WriteAsyncTest, CallbacksMayQueueMoreWrites) {
  crm::testing::TempDir dir;
  auto engine = crm::testing::OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  Result<Id> customer = engine->Create(Actor{}, Organization("Chain Co", {Mobile(2)}));
  ASSERT_TRUE(customer.ok());
  constexpr int kChains = 16, kPerChain = 50;
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
  std::set<Id> ids;
  std::function<void(int)> step = [&](int remaining) {
    engine->WriteAsync(Actor{}, CreateOp(InteractionOf(*customer, crm::testing::kTestNow)), true,
                       [&, remaining](std::vector<WriteResult> r) {
                         {
                           std::lock_guard lock(mu);
                           EXPECT_TRUE(r[0].status.ok());
                           ids.insert(r[0].id);
                         }
                         if (remaining > 1) {
                           step(remaining - 1);
                         } else {
                           std::lock_guard lock(mu);
                           ++finished;
                           cv.notify_one();
                         }
                       });
  };
  for (int c = 0; c < kChains; ++c) step(kPerChain);
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return finished == kChains; }))
      << finished << " of " << kChains << " chains finished";
  EXPECT_EQ(ids.size(), static_cast<size_t>(kChains * kPerChain));
  EXPECT_EQ(engine->Counts().interactions, static_cast<uint64_t>(kChains * kPerChain));
  // Many writers in flight share commits.
  WriterStats stats = engine->Writer();
  EXPECT_LT(stats.batches, stats.ops);
}

TEST(WriteAsyncTest, DestructionCommitsQueuedWritesAndRunsTheirCallbacks) {
  crm::testing::TempDir dir;
  std::atomic<int> callbacks{0};
  constexpr int kWrites = 200;
  {
    auto engine = crm::testing::OpenEngine(dir.path());
    ASSERT_NE(engine, nullptr);
    for (int i = 0; i < kWrites; ++i) {
      engine->WriteAsync(Actor{}, CreateOp(Organization("Queued " + std::to_string(i),
                                                        {Mobile(100 + i)})),
                         false, [&](std::vector<WriteResult> r) {
                           EXPECT_TRUE(r[0].status.ok());
                           ++callbacks;
                         });
    }
  }
  EXPECT_EQ(callbacks.load(), kWrites);
  auto reopened = crm::testing::OpenEngine(dir.path());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->Counts().customers, static_cast<uint64_t>(kWrites));
}

}  // namespace
}  // namespace crm::engine
