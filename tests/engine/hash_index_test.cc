// internal::HashIndex: the open-addressing multimap behind the phone, email and
// external-ref indexes. Checked directly and against std::unordered_multimap.
#include "hash_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace crm::engine::internal {
namespace {

// Every value stored under `key`, sorted.
std::vector<uint64_t> All(const HashIndex& index, uint64_t key) {
  std::vector<uint64_t> out;
  bool stopped = index.Find(key, [&](uint64_t v) {
    out.push_back(v);
    return false;
  });
  EXPECT_FALSE(stopped) << "Find reported a stop the callback never asked for";
  std::sort(out.begin(), out.end());
  return out;
}

using Values = std::vector<uint64_t>;

TEST(HashIndexTest, EmptyIndexFindsNothing) {
  HashIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(All(index, 42).empty());
  EXPECT_FALSE(index.Erase(42, 1));
  EXPECT_GT(index.MemoryBytes(), 0u);
}

TEST(HashIndexTest, InsertFindErase) {
  HashIndex index;
  index.Insert(8613800138000, 7);
  index.Insert(8613900139000, 9);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(All(index, 8613800138000), Values{7});
  EXPECT_EQ(All(index, 8613900139000), Values{9});
  EXPECT_TRUE(All(index, 8613700137000).empty());

  EXPECT_FALSE(index.Erase(8613800138000, 9)) << "right key, wrong value";
  EXPECT_TRUE(index.Erase(8613800138000, 7));
  EXPECT_FALSE(index.Erase(8613800138000, 7)) << "already erased";
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(All(index, 8613800138000).empty());
  EXPECT_EQ(All(index, 8613900139000), Values{9});
}

TEST(HashIndexTest, FindStopsWhenTheCallbackSaysSo) {
  HashIndex index;
  for (uint64_t v = 1; v <= 5; ++v) index.Insert(100, v);
  int calls = 0;
  uint64_t found = 0;
  EXPECT_TRUE(index.Find(100, [&](uint64_t v) {
    ++calls;
    if (v == 3) {
      found = v;
      return true;
    }
    return false;
  }));
  EXPECT_EQ(found, 3u);
  EXPECT_LE(calls, 5);
  EXPECT_FALSE(index.Find(100, [](uint64_t v) { return v == 99; }));
}

TEST(HashIndexTest, DuplicateKeysKeepEveryValue) {
  HashIndex index;
  index.Insert(5, 10);
  index.Insert(5, 11);
  index.Insert(5, 12);
  index.Insert(5, 11);  // an exact duplicate pair is kept too
  EXPECT_EQ(index.size(), 4u);
  EXPECT_EQ(All(index, 5), (Values{10, 11, 11, 12}));
  EXPECT_TRUE(index.Erase(5, 11));
  EXPECT_EQ(All(index, 5), (Values{10, 11, 12}));
  EXPECT_TRUE(index.Erase(5, 10));
  EXPECT_EQ(All(index, 5), (Values{11, 12}));
  EXPECT_TRUE(index.Erase(5, 11));
  EXPECT_TRUE(index.Erase(5, 12));
  EXPECT_FALSE(index.Erase(5, 11));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(All(index, 5).empty());
}

// Keys 0 and 1 are the empty and tombstone markers inside; they must still
// work as keys (they share the chains of 2 and 3, which callers tolerate
// because they verify candidates).
TEST(HashIndexTest, KeysZeroAndOneAreUsable) {
  HashIndex index;
  index.Insert(0, 100);
  index.Insert(1, 101);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(All(index, 0), Values{100});
  EXPECT_EQ(All(index, 1), Values{101});
  // Many keys around them, through several rehashes: 0 and 1 survive.
  for (uint64_t k = 4; k < 2000; ++k) index.Insert(k, k);
  EXPECT_EQ(All(index, 0), Values{100});
  EXPECT_EQ(All(index, 1), Values{101});
  EXPECT_TRUE(index.Erase(0, 100));
  EXPECT_TRUE(All(index, 0).empty());
  EXPECT_EQ(All(index, 1), Values{101});
  EXPECT_TRUE(index.Erase(1, 101));
  EXPECT_TRUE(All(index, 1).empty());
  EXPECT_EQ(index.size(), 1996u);

  // The documented aliasing: 0 shares 2's chain, 1 shares 3's; verified
  // candidates are therefore a superset, never a loss.
  index.Insert(0, 200);
  index.Insert(2, 202);
  EXPECT_EQ(All(index, 0), (Values{200, 202}));
  EXPECT_EQ(All(index, 2), (Values{200, 202}));
  EXPECT_TRUE(index.Erase(2, 202));
  EXPECT_EQ(All(index, 0), Values{200});
}

TEST(HashIndexTest, ExtremeKeys) {
  HashIndex index;
  const uint64_t keys[] = {UINT64_MAX, UINT64_MAX - 1, uint64_t{1} << 63, 2, 3};
  for (uint64_t k : keys) index.Insert(k, ~k);
  for (uint64_t k : keys) EXPECT_EQ(All(index, k), Values{~k}) << k;
}

TEST(HashIndexTest, GrowsThroughManyRehashes) {
  HashIndex index;
  const size_t initial_bytes = index.MemoryBytes();
  constexpr uint64_t kN = 200'000;
  // Sequential phone-like keys: the worst case for a weak hash.
  for (uint64_t i = 0; i < kN; ++i) index.Insert(8613800000000 + i, i);
  EXPECT_EQ(index.size(), kN);
  EXPECT_GE(index.MemoryBytes(), initial_bytes * 1024) << "grew through >= 10 doublings";
  // Load stays at or below 70%.
  EXPECT_GE(index.MemoryBytes() / 16 * 7, kN * 10 - 16);
  for (uint64_t i = 0; i < kN; ++i) {
    ASSERT_EQ(All(index, 8613800000000 + i), Values{i}) << i;
  }
  EXPECT_TRUE(All(index, 8613800000000 + kN).empty());
  for (uint64_t i = 0; i < kN; i += 2) ASSERT_TRUE(index.Erase(8613800000000 + i, i));
  EXPECT_EQ(index.size(), kN / 2);
  for (uint64_t i = 0; i < kN; ++i) {
    ASSERT_EQ(All(index, 8613800000000 + i).size(), i % 2) << i;
  }
}

// Erasing leaves tombstones; inserting after many erases must reuse them (or
// rehash in place) instead of growing without bound, and must not lose keys
// whose probe chains run through tombstones.
TEST(HashIndexTest, TombstonesAreReusedAndChainsSurvive) {
  HashIndex index;
  for (uint64_t k = 10; k < 50; ++k) index.Insert(k, k);  // 40 of 64 slots
  const size_t bytes = index.MemoryBytes();
  // Erasing and re-inserting the same key lands on its own tombstone: no
  // slot is consumed, so the table never rehashes.
  for (int round = 0; round < 10'000; ++round) {
    index.Insert(777, static_cast<uint64_t>(round));
    ASSERT_EQ(All(index, 777), Values{static_cast<uint64_t>(round)});
    ASSERT_TRUE(index.Erase(777, static_cast<uint64_t>(round)));
  }
  EXPECT_EQ(index.MemoryBytes(), bytes);
  // Churn over ever new keys fills slots with tombstones; rehashing must
  // clear them instead of growing without bound.
  for (int round = 0; round < 10'000; ++round) {
    uint64_t key = 1000 + static_cast<uint64_t>(round);
    index.Insert(key, 1);
    ASSERT_EQ(All(index, key), Values{1});
    ASSERT_TRUE(index.Erase(key, 1));
  }
  EXPECT_EQ(index.size(), 40u);
  EXPECT_LE(index.MemoryBytes(), bytes * 4) << "churn at constant size must stay bounded";
  for (uint64_t k = 10; k < 50; ++k) EXPECT_EQ(All(index, k), Values{k}) << k;

  // Erase every other key, then check the rest are still reachable through
  // chains that now contain tombstones, and that reinsertion works.
  const size_t before = index.MemoryBytes();
  for (uint64_t k = 10; k < 50; k += 2) ASSERT_TRUE(index.Erase(k, k));
  for (uint64_t k = 11; k < 50; k += 2) EXPECT_EQ(All(index, k), Values{k}) << k;
  for (uint64_t k = 10; k < 50; k += 2) EXPECT_TRUE(All(index, k).empty()) << k;
  for (uint64_t k = 10; k < 50; k += 2) index.Insert(k, k + 1);
  for (uint64_t k = 10; k < 50; ++k) {
    EXPECT_EQ(All(index, k), Values{k % 2 == 0 ? k + 1 : k}) << k;
  }
  EXPECT_EQ(index.size(), 40u);
  EXPECT_LE(index.MemoryBytes(), before * 2);
}

TEST(HashIndexTest, ReserveAvoidsRehashAndKeepsContents) {
  HashIndex index;
  for (uint64_t k = 2; k < 30; ++k) index.Insert(k, k * 3);
  index.Reserve(100'000);
  const size_t bytes = index.MemoryBytes();
  EXPECT_GE(bytes / 16 * 7, size_t{100'000} * 10 - 16);
  for (uint64_t k = 2; k < 30; ++k) EXPECT_EQ(All(index, k), Values{k * 3});
  for (uint64_t k = 100; k < 100'000 - 28 + 100; ++k) index.Insert(k, k);
  EXPECT_EQ(index.MemoryBytes(), bytes) << "no rehash up to the reserved size";
  index.Reserve(10);  // never shrinks
  EXPECT_EQ(index.MemoryBytes(), bytes);
  EXPECT_EQ(index.size(), 100'000u);
}

// Random inserts and erases over a small key space (many duplicates and long
// chains) compared with std::unordered_multimap after every step.
TEST(HashIndexTest, RandomOpsMatchAMultimapModel) {
  std::mt19937_64 rng(20240611);
  for (uint64_t key_space : {uint64_t{4}, uint64_t{50}, uint64_t{5000}}) {
    HashIndex index;
    std::unordered_multimap<uint64_t, uint64_t> model;
    // Keys start at 4: 0..3 alias by design (see KeysZeroAndOneAreUsable).
    auto random_key = [&] { return 4 + rng() % key_space; };
    for (int step = 0; step < 60'000; ++step) {
      uint64_t key = random_key();
      uint64_t value = rng() % 8;
      switch (rng() % 5) {
        case 0:
        case 1: {
          index.Insert(key, value);
          model.emplace(key, value);
          break;
        }
        case 2:
        case 3: {
          // Erase a pair that exists (when the key has one) or a random one.
          auto [lo, hi] = model.equal_range(key);
          if (lo != hi && rng() % 4 != 0) value = lo->second;
          bool in_model = false;
          for (auto it = lo; it != hi; ++it) {
            if (it->second == value) {
              model.erase(it);
              in_model = true;
              break;
            }
          }
          ASSERT_EQ(index.Erase(key, value), in_model) << "step " << step;
          break;
        }
        default: {
          Values expected;
          auto [lo, hi] = model.equal_range(key);
          for (auto it = lo; it != hi; ++it) expected.push_back(it->second);
          std::sort(expected.begin(), expected.end());
          ASSERT_EQ(All(index, key), expected) << "step " << step;
        }
      }
      ASSERT_EQ(index.size(), model.size());
    }
    for (uint64_t key = 4; key < 4 + key_space; ++key) {
      Values expected;
      auto [lo, hi] = model.equal_range(key);
      for (auto it = lo; it != hi; ++it) expected.push_back(it->second);
      std::sort(expected.begin(), expected.end());
      ASSERT_EQ(All(index, key), expected) << "key " << key;
    }
  }
}

}  // namespace
}  // namespace crm::engine::internal
