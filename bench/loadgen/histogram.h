// A log-linear latency histogram in the manner of HdrHistogram: 64 linear
// sub-buckets per power of two, so every recorded value is kept within
// 1/64 (1.6%) of itself, from 1 ns to 2^40 ns (18 minutes), in 2.6k
// counters. Recording is two shifts and an increment; histograms of several
// threads merge by adding counters.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace crm::loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 6;  // 64 sub-buckets
  static constexpr int kMaxBits = 40;

  void Record(int64_t ns) {
    uint64_t v = ns < 1 ? 1 : static_cast<uint64_t>(ns);
    max_ = std::max(max_, v);
    v = std::min<uint64_t>(v, (uint64_t{1} << kMaxBits) - 1);
    ++counts_[Index(v)];
    ++total_;
  }

  void Merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }

  // The value at quantile q in [0, 1] (the upper edge of its bucket, so a
  // percentile is never reported lower than measured), in ns; 0 when empty.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }

 private:
  static constexpr size_t kBuckets = (kMaxBits - kSubBits + 1) << kSubBits;

  // Values below 64 map to themselves; above, the top 6 bits below the
  // leading one choose the sub-bucket of the value's power of two.
  static size_t Index(uint64_t v) {
    const int msb = 63 - std::countl_zero(v);
    if (msb < kSubBits) return static_cast<size_t>(v);
    const int shift = msb - kSubBits;
    const uint64_t sub = (v >> shift) & ((uint64_t{1} << kSubBits) - 1);
    return (static_cast<size_t>(shift + 1) << kSubBits) + sub;
  }
  static uint64_t UpperEdge(size_t i) {
    const size_t block = i >> kSubBits;
    const uint64_t sub = i & ((size_t{1} << kSubBits) - 1);
    if (block == 0) return sub;
    const int shift = static_cast<int>(block) - 1;
    return (((uint64_t{1} << kSubBits) | sub) << shift) + ((uint64_t{1} << shift) - 1);
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace crm::loadgen
