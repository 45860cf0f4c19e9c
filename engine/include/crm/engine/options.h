// What Engine::Open() takes: the data directory and how the engine runs
// (durability, batching, map size, clock, value model refresh), and the
// schema version this build writes.
//
// Contract: Options is plain data, copied into the engine at Open(); changing
// a copy afterwards has no effect on an open engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "crm/engine/model.h"

namespace crm::engine {

// The on-disk schema version this build writes. A data directory whose meta
// record holds a newer version is refused at Open().
inline constexpr uint32_t kSchemaVersion = 1;

struct Options {
  // Directory holding the LMDB environment; created if missing.
  std::string data_dir;
  // Region used to read phone numbers written without a country code.
  std::string default_region = "CN";
  // false: fsync on every commit (nothing acknowledged is lost on power loss).
  // true: skip fsync (MDB_NOSYNC); a crash of the machine may lose the last
  // acknowledged commits, a crash of the process loses nothing. Opt-in only.
  bool no_sync = false;
  // Initial LMDB map size; the map grows on its own when full.
  uint64_t initial_map_bytes = uint64_t{1} << 30;
  // Most mutations committed in one LMDB transaction.
  size_t max_batch = 4096;
  // Clock for created/updated times; nullptr = the system clock. Tests pin it.
  Micros (*clock)() = nullptr;
  // The value model's windows end at its as-of time. Every value_refresh the
  // writer moves it to now and rescores every customer, so windowed factors
  // age with time; 0 = only on Reage(). Also the clock decides "now".
  Micros value_refresh = int64_t{3600} * 1000000;
  // Threads for a full rescore (re-ageing, config changes, load).
  int value_threads = 2;
};

}  // namespace crm::engine
