// Server statistics: request counts, errors, rates and latency percentiles
// per kind of request, plus the figures of the store and the process, and
// their Prometheus text form. The kinds are slots named by their user: the
// handler has one per operation (named in protocol/ops/) and "other" for
// unreadable or unknown requests.
//
// RequestStats::Record() is lock-free: each recording thread (io threads,
// the engine's writer thread for writes) owns a shard of plain counters and
// latency histograms that only it writes; readers merge the shards. A
// histogram has log-linear buckets (8 per power of two), so a percentile is
// exact within 12.5%.
//
// Thread-safety: Record() and Snapshot() may be called from any thread at
// any time; Tick() from one thread at a time.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/engine/thread_annotations.h"

namespace crm::protocol {

struct OpStats {
  std::string name;
  uint64_t requests = 0;
  uint64_t errors = 0;
  double rate_per_second = 0;  // over the last minute, or since start if younger
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  double sum_us = 0;  // of every latency, for averages
};

// Everything `stats` reports.
struct StatsSnapshot {
  int64_t uptime_micros = 0;
  uint64_t connections = 0;
  uint64_t connections_total = 0;
  engine::StoreCounts counts;
  uint64_t resident_bytes = 0;  // the process's RSS (/proc/self/statm)
  // Engine::Memory().total(), refreshed at most once a minute (it walks every
  // record); its age in microseconds.
  uint64_t store_bytes = 0;
  int64_t store_bytes_age_micros = 0;
  engine::StorageStats storage;
  engine::WriterStats writer;
  std::vector<OpStats> ops;  // kinds with at least one request
};

class RequestStats {
 public:
  // One slot per name, listed by Snapshot() in this order. `names` must
  // outlive the RequestStats (the operation table's names are static).
  explicit RequestStats(std::vector<std::string_view> names);
  ~RequestStats();
  RequestStats(const RequestStats&) = delete;
  RequestStats& operator=(const RequestStats&) = delete;

  // Counts one answered request of slot `slot` (below the number of names)
  // that took `nanos`.
  void Record(size_t slot, uint64_t nanos, bool error);
  // Takes a sample of the totals for the rates; call about once a second.
  void Tick() CRM_EXCLUDES(mu_);
  // Per slot with at least one request, in slot order.
  std::vector<OpStats> Snapshot() const CRM_EXCLUDES(mu_);
  // Time since construction.
  int64_t UptimeMicros() const;

  // Histogram buckets: values below 16 ns have one bucket each, then 8 per
  // power of two up to 2^64 ns.
  static constexpr size_t kBuckets = 16 + 60 * 8;
  static size_t BucketOf(uint64_t nanos);
  // The largest value a bucket holds.
  static uint64_t BucketUpper(size_t bucket);

 private:
  struct Op {
    std::atomic<uint64_t> requests{0}, errors{0}, max{0}, sum{0};
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
  };
  struct Shard {
    explicit Shard(size_t slots) : ops(std::make_unique<Op[]>(slots)) {}
    std::unique_ptr<Op[]> ops;  // one per slot
  };
  Shard& ShardForThisThread() CRM_EXCLUDES(mu_);

  const std::vector<std::string_view> names_;  // by slot
  const uint64_t instance_;  // distinguishes instances in the thread-local cache
  const std::chrono::steady_clock::time_point start_;
  mutable Mutex mu_;
  std::vector<std::pair<std::thread::id, std::unique_ptr<Shard>>> shards_ CRM_GUARDED_BY(mu_);
  // (time, requests per slot) samples of the last minute.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::vector<uint64_t>>> samples_
      CRM_GUARDED_BY(mu_);
};

// Prometheus text exposition format (version 0.0.4) of `snapshot`.
std::string ToPrometheus(const StatsSnapshot& snapshot);

// Resident memory of this process in bytes (0 if unknown). O(1).
uint64_t ResidentBytes();

}  // namespace crm::protocol
