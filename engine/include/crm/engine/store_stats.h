// What the Engine reports about itself: records per kind (StoreCounts),
// memory per kind (MemoryUsage), the writer's work (WriterStats), the LMDB
// file (StorageStats), and hot backups (BackupOptions, BackupInfo).
//
// Contract: plain data. The figures are snapshots of one moment; those of
// the writer count since Open().
#pragma once

#include <cstdint>
#include <string>

namespace crm::engine {

struct StoreCounts {
  uint64_t customers = 0, contacts = 0, interactions = 0, transactions = 0, opportunities = 0,
           contracts = 0, tasks = 0, users = 0, audit_entries = 0;
};

// Bytes the in-memory store holds per entity kind: record structs, the heap
// behind their strings and vectors, and per-customer lists; `indexes` is the
// hash indexes and id tables; `value_model` the value model's per-customer
// state. Malloc's own overhead is not counted.
struct MemoryUsage {
  uint64_t customers = 0, contacts = 0, interactions = 0, transactions = 0, opportunities = 0,
           contracts = 0, tasks = 0, users = 0, indexes = 0;
  uint64_t value_model = 0;  // factors, scores and rankings of every customer
  uint64_t total() const {
    return customers + contacts + interactions + transactions + opportunities + contracts + tasks +
           users + indexes + value_model;
  }
};

// What the writer has done since Open(): committed batches (LMDB
// transactions), the ops in them, the time from taking a batch to publishing
// it, how often the LMDB map had to grow, and the value model's share.
struct WriterStats {
  uint64_t batches = 0;
  uint64_t ops = 0;
  uint64_t busy_micros = 0;
  uint64_t map_growths = 0;
  // Time spent keeping the value model current while publishing batches, and
  // the customers it rescored (one per touched customer per batch).
  uint64_t value_nanos = 0;
  uint64_t value_customers = 0;
  // The last full rescore (config change or re-age): computing the new
  // scores and rankings beside the live ones, and swapping them in.
  uint64_t last_rescore_micros = 0;
};

// The LMDB environment on disk: the data file's size, the bytes of it in
// use (pages up to the last one written), and the map's current size.
struct StorageStats {
  uint64_t file_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t map_bytes = 0;
};

// A hot backup: a consistent copy of the LMDB environment as of one moment
// (one read transaction), taken while writes go on.
struct BackupOptions {
  // Target: a directory that does not exist or is empty (the copy goes to
  // PATH/data.mdb and the manifest to PATH/MANIFEST), or with single_file a
  // file that does not exist (manifest at PATH.manifest). On the engine's
  // machine.
  std::string path;
  bool single_file = false;
  // Leave out free pages (smaller, a little slower to write).
  bool compact = true;
};

// What a backup holds, as its manifest states it (see backup.h).
struct BackupInfo {
  std::string path;
  std::string data_file;      // the LMDB file written
  std::string manifest_file;  // the manifest written
  uint64_t bytes = 0;         // size of the LMDB file
  uint64_t xxh3 = 0;          // XXH3-64 of the LMDB file
  uint64_t audit_sequence = 0;
  StoreCounts counts;   // records in the copy; audit_entries as its audit table holds
  uint64_t micros = 0;  // how long the copy took
};

}  // namespace crm::engine
