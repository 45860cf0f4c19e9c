#include "crm/protocol/stats.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <utility>

namespace crm::protocol {

namespace {

std::atomic<uint64_t> next_instance{1};

// One thread's most recent shard, so Record() finds it without a lock.
struct ShardCache {
  uint64_t instance = 0;
  void* shard = nullptr;
};
thread_local ShardCache shard_cache;

// Adds `delta` to a counter that only this thread writes.
inline void Bump(std::atomic<uint64_t>& counter, uint64_t delta = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

}  // namespace

RequestStats::RequestStats(std::vector<std::string_view> names)
    : names_(std::move(names)),
      instance_(next_instance.fetch_add(1)), start_(std::chrono::steady_clock::now()) {}

RequestStats::~RequestStats() = default;

size_t RequestStats::BucketOf(uint64_t nanos) {
  if (nanos < 16) return static_cast<size_t>(nanos);
  const int e = 63 - std::countl_zero(nanos);  // >= 4
  const uint64_t sub = (nanos >> (e - 3)) & 7;
  return 16 + static_cast<size_t>(e - 4) * 8 + static_cast<size_t>(sub);
}

uint64_t RequestStats::BucketUpper(size_t bucket) {
  if (bucket < 16) return bucket;
  const int e = static_cast<int>((bucket - 16) / 8) + 4;
  const uint64_t sub = (bucket - 16) % 8;
  if (e == 63 && sub == 7) return UINT64_MAX;
  return ((8 + sub + 1) << (e - 3)) - 1;
}

RequestStats::Shard& RequestStats::ShardForThisThread() {
  if (shard_cache.instance == instance_) return *static_cast<Shard*>(shard_cache.shard);
  MutexLock lock(mu_);
  const auto me = std::this_thread::get_id();
  Shard* shard = nullptr;
  for (auto& [thread, s] : shards_) {
    if (thread == me) shard = s.get();
  }
  if (shard == nullptr) {
    shards_.emplace_back(me, std::make_unique<Shard>(names_.size()));
    shard = shards_.back().second.get();
  }
  shard_cache = {instance_, shard};
  return *shard;
}

void RequestStats::Record(size_t slot, uint64_t nanos, bool error) {
  Op& o = ShardForThisThread().ops[slot];
  Bump(o.requests);
  if (error) Bump(o.errors);
  Bump(o.sum, nanos);
  Bump(o.buckets[BucketOf(nanos)]);
  if (nanos > o.max.load(std::memory_order_relaxed)) {
    o.max.store(nanos, std::memory_order_relaxed);
  }
}

int64_t RequestStats::UptimeMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

void RequestStats::Tick() {
  const auto now = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  std::vector<uint64_t> totals(names_.size());
  for (const auto& [thread, shard] : shards_) {
    for (size_t k = 0; k < names_.size(); ++k) {
      totals[k] += shard->ops[k].requests.load(std::memory_order_relaxed);
    }
  }
  samples_.emplace_back(now, std::move(totals));
  while (samples_.size() > 2 && now - samples_[1].first >= std::chrono::seconds(60)) {
    samples_.pop_front();
  }
}

std::vector<OpStats> RequestStats::Snapshot() const {
  const auto now = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  std::vector<OpStats> out;
  for (size_t k = 0; k < names_.size(); ++k) {
    OpStats s;
    s.name = std::string(names_[k]);
    std::vector<uint64_t> buckets(kBuckets);
    uint64_t max = 0;
    for (const auto& [thread, shard] : shards_) {
      const Op& o = shard->ops[k];
      s.requests += o.requests.load(std::memory_order_relaxed);
      s.errors += o.errors.load(std::memory_order_relaxed);
      max = std::max(max, o.max.load(std::memory_order_relaxed));
      s.sum_us += static_cast<double>(o.sum.load(std::memory_order_relaxed)) / 1000.0;
      for (size_t b = 0; b < kBuckets; ++b) buckets[b] += o.buckets[b].load(std::memory_order_relaxed);
    }
    if (s.requests == 0) continue;
    uint64_t total = 0;
    for (uint64_t n : buckets) total += n;
    auto percentile = [&](double q) {
      const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * total)));
      uint64_t seen = 0;
      for (size_t b = 0; b < kBuckets; ++b) {
        seen += buckets[b];
        if (seen >= rank) return static_cast<double>(std::min(BucketUpper(b), max)) / 1000.0;
      }
      return static_cast<double>(max) / 1000.0;
    };
    s.p50_us = percentile(0.50);
    s.p90_us = percentile(0.90);
    s.p99_us = percentile(0.99);
    s.p999_us = percentile(0.999);
    s.max_us = static_cast<double>(max) / 1000.0;
    // The rate over the oldest sample of the last minute, else since start.
    double seconds = std::chrono::duration<double>(now - start_).count();
    uint64_t base = 0;
    if (!samples_.empty() && now - samples_.front().first >= std::chrono::seconds(1)) {
      seconds = std::chrono::duration<double>(now - samples_.front().first).count();
      base = samples_.front().second[k];
    }
    s.rate_per_second = seconds > 0 ? static_cast<double>(s.requests - base) / seconds : 0;
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

namespace {

void Metric(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void Value(std::string& out, const std::string& series, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  out += series;
  out += buf;
}

}  // namespace

std::string ToPrometheus(const StatsSnapshot& s) {
  std::string out;
  out.reserve(4096);
  Metric(out, "crm_uptime_seconds", "gauge", "Seconds since the server started.");
  Value(out, "crm_uptime_seconds", static_cast<double>(s.uptime_micros) / 1e6);
  Metric(out, "crm_connections", "gauge", "Client connections open now.");
  Value(out, "crm_connections", static_cast<double>(s.connections));
  Metric(out, "crm_connections_total", "counter", "Client connections accepted.");
  Value(out, "crm_connections_total", static_cast<double>(s.connections_total));
  Metric(out, "crm_records", "gauge", "Records in the store, per kind.");
  const std::pair<const char*, uint64_t> kinds[] = {
      {"customer", s.counts.customers},       {"contact", s.counts.contacts},
      {"interaction", s.counts.interactions}, {"transaction", s.counts.transactions},
      {"opportunity", s.counts.opportunities}, {"contract", s.counts.contracts},
      {"task", s.counts.tasks},               {"user", s.counts.users}};
  for (const auto& [kind, n] : kinds) {
    Value(out, std::string("crm_records{kind=\"") + kind + "\"}", static_cast<double>(n));
  }
  Metric(out, "crm_audit_entries", "gauge", "Entries in the audit log.");
  Value(out, "crm_audit_entries", static_cast<double>(s.counts.audit_entries));
  Metric(out, "crm_resident_memory_bytes", "gauge", "Resident memory of the server process.");
  Value(out, "crm_resident_memory_bytes", static_cast<double>(s.resident_bytes));
  Metric(out, "crm_store_memory_bytes", "gauge",
         "Bytes the in-memory store accounts for (refreshed at most once a minute).");
  Value(out, "crm_store_memory_bytes", static_cast<double>(s.store_bytes));
  Metric(out, "crm_lmdb_file_bytes", "gauge", "Size of the LMDB data file.");
  Value(out, "crm_lmdb_file_bytes", static_cast<double>(s.storage.file_bytes));
  Metric(out, "crm_lmdb_used_bytes", "gauge", "Bytes of the LMDB file in use.");
  Value(out, "crm_lmdb_used_bytes", static_cast<double>(s.storage.used_bytes));
  Metric(out, "crm_lmdb_map_bytes", "gauge", "Size of the LMDB memory map.");
  Value(out, "crm_lmdb_map_bytes", static_cast<double>(s.storage.map_bytes));
  Metric(out, "crm_writer_batches_total", "counter", "Write batches committed.");
  Value(out, "crm_writer_batches_total", static_cast<double>(s.writer.batches));
  Metric(out, "crm_writer_ops_total", "counter", "Write ops committed.");
  Value(out, "crm_writer_ops_total", static_cast<double>(s.writer.ops));
  Metric(out, "crm_requests_total", "counter", "Requests answered, per operation.");
  for (const OpStats& op : s.ops) {
    Value(out, "crm_requests_total{op=\"" + op.name + "\"}", static_cast<double>(op.requests));
  }
  Metric(out, "crm_request_errors_total", "counter",
         "Requests answered with an error, per operation.");
  for (const OpStats& op : s.ops) {
    Value(out, "crm_request_errors_total{op=\"" + op.name + "\"}", static_cast<double>(op.errors));
  }
  Metric(out, "crm_request_latency_seconds", "summary",
         "Time from a request's arrival to its response, per operation.");
  for (const OpStats& op : s.ops) {
    const std::pair<const char*, double> qs[] = {
        {"0.5", op.p50_us}, {"0.9", op.p90_us}, {"0.99", op.p99_us}, {"0.999", op.p999_us}};
    for (const auto& [q, v] : qs) {
      Value(out, "crm_request_latency_seconds{op=\"" + op.name + "\",quantile=\"" + q + "\"}",
            v / 1e6);
    }
    Value(out, "crm_request_latency_seconds_sum{op=\"" + op.name + "\"}", op.sum_us / 1e6);
    Value(out, "crm_request_latency_seconds_count{op=\"" + op.name + "\"}",
          static_cast<double>(op.requests));
  }
  Metric(out, "crm_request_latency_max_seconds", "gauge", "Slowest request, per operation.");
  for (const OpStats& op : s.ops) {
    Value(out, "crm_request_latency_max_seconds{op=\"" + op.name + "\"}", op.max_us / 1e6);
  }
  return out;
}

}  // namespace crm::protocol
