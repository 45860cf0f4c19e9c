// Server statistics: request counts, errors, rates and latency percentiles
// per kind of request, plus the figures of the store and the process, and
// their Prometheus text form.
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
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crm/engine/engine.h"

namespace crm::protocol {

// The kinds of request counted apart.
enum class OpKind : uint8_t {
  kHello,
  kCard,
  kHistory,
  kGet,
  kList,
  kWrite,
  kAuditLog,
  kCounts,
  kCreateUser,
  kListUsers,
  kHandover,
  kStats,
  kOther,  // unreadable or unknown requests
  kValue,
  kScoring,
  kSetScoring,
  kReport,
  kScan,
  kBackup,
  kDryRun,
};
inline constexpr size_t kOpKindCount = 20;
std::string_view OpName(OpKind op);

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
  RequestStats();
  ~RequestStats();
  RequestStats(const RequestStats&) = delete;
  RequestStats& operator=(const RequestStats&) = delete;

  // Counts one answered request of kind `op` that took `nanos`.
  void Record(OpKind op, uint64_t nanos, bool error);
  // Takes a sample of the totals for the rates; call about once a second.
  void Tick();
  // Per kind with at least one request, in OpKind order.
  std::vector<OpStats> Snapshot() const;
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
    std::array<Op, kOpKindCount> ops;
  };
  Shard& ShardForThisThread();

  const uint64_t instance_;  // distinguishes instances in the thread-local cache
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::thread::id, std::unique_ptr<Shard>>> shards_;  // guarded by mu_
  // (time, requests per kind) samples of the last minute; guarded by mu_.
  std::deque<std::pair<std::chrono::steady_clock::time_point,
                       std::array<uint64_t, kOpKindCount>>> samples_;
};

// Prometheus text exposition format (version 0.0.4) of `snapshot`.
std::string ToPrometheus(const StatsSnapshot& snapshot);

// Resident memory of this process in bytes (0 if unknown). O(1).
uint64_t ResidentBytes();

}  // namespace crm::protocol
