#include "loadgen/histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace crm::loadgen {
namespace {

TEST(HistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Quantile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (int v = 1; v <= 63; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 63u);
  EXPECT_EQ(h.Quantile(0.0), 1u);
  EXPECT_EQ(h.Quantile(0.5), 32u);
  EXPECT_EQ(h.Quantile(1.0), 63u);
  EXPECT_EQ(h.max(), 63u);
}

TEST(HistogramTest, LargeValuesWithinTheBucketResolution) {
  for (uint64_t v : {100ull, 1'000ull, 12'345ull, 987'654ull, 60'000'000'000ull}) {
    Histogram h;
    h.Record(static_cast<int64_t>(v));
    h.Record(1);  // a smaller value below, so the quantile is not the max
    const uint64_t q = h.Quantile(1.0);
    EXPECT_GE(q, v) << v;  // never lower than measured
    EXPECT_LE(static_cast<double>(q), static_cast<double>(v) * (1 + 1.0 / 64)) << v;
  }
}

TEST(HistogramTest, PercentilesOfAUniformRun) {
  Histogram h;
  for (int64_t v = 1; v <= 100'000; ++v) h.Record(v * 1000);  // 1 us .. 100 ms
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.5)), 50e6, 50e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.99)), 99e6, 99e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.Quantile(0.999)), 99.9e6, 99.9e6 / 64);
  EXPECT_EQ(h.max(), 100'000'000u);
}

TEST(HistogramTest, MergeAddsCountsAndKeepsTheMax) {
  Histogram a, b;
  for (int i = 0; i < 90; ++i) a.Record(10);
  for (int i = 0; i < 10; ++i) b.Record(5'000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_EQ(a.Quantile(0.9), 10u);
  EXPECT_GE(a.Quantile(0.95), 5'000u);
  EXPECT_EQ(a.max(), 5'000u);
}

TEST(HistogramTest, NonPositiveValuesCountAsOneNanosecond) {
  Histogram h;
  h.Record(0);
  h.Record(-5);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.Quantile(1.0), 1u);
}

}  // namespace
}  // namespace crm::loadgen
