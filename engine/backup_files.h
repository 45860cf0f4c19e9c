// What backup, verify and restore share: where a backup keeps its files,
// the manifest, file hashes and syncs, LMDB opened read-only.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <string>

#include "crm/engine/engine.h"
#include "crm/engine/status.h"

namespace crm::engine::internal {

// XXH3-64 as 16 lowercase hex digits.
std::string Hex64(uint64_t v);

// XXH3-64 and size of a file, streamed in 1 MiB reads.
Status HashFile(const std::string& path, uint64_t* hash, uint64_t* size);

// fsync of a file or a directory.
Status SyncPath(const std::string& path, bool directory);

// Where a backup or data directory keeps its LMDB file and manifest.
struct Layout {
  std::string what;
  std::string data_file;
  std::string manifest;  // empty when the form has none
  bool single_file = false;
};

// The layout of a backup directory, a single-file backup or a data directory
// at `path`.
Layout LayoutOf(const std::string& path);

// An LMDB environment opened read-only on a backup or data directory.
class ReadOnlyEnv {
 public:
  ReadOnlyEnv() = default;
  ReadOnlyEnv(const ReadOnlyEnv&) = delete;
  ReadOnlyEnv& operator=(const ReadOnlyEnv&) = delete;
  ~ReadOnlyEnv() {
    if (env_ != nullptr) mdb_env_close(env_);
  }
  // A data directory that has a lock file is opened with locking (a running
  // crmd may be writing); a backup is opened without, and so left untouched.
  Status Open(const Layout& layout);
  MDB_env* get() const { return env_; }

 private:
  MDB_env* env_ = nullptr;
};

// The count of the records (or audit entries) in database `dbi` (format.h),
// one of customers to audit.
uint64_t& CountOf(StoreCounts& c, int dbi);

// A backup manifest (see crm/engine/backup.h).
struct Manifest {
  int version = 0;
  uint32_t schema_version = 0;
  uint64_t audit_sequence = 0;
  StoreCounts counts;
  std::string file;
  uint64_t size = 0;
  uint64_t xxh3 = 0;
};

// The text of the manifest of `info`, its LMDB file named `file_name`.
std::string ManifestText(const BackupInfo& info, uint32_t schema_version,
                         const std::string& file_name);

// Reads the manifest at `path`: NotFound when it cannot be read,
// InvalidArgument (naming the line) when it is not a valid manifest.
Status ParseManifest(const std::string& path, Manifest* out);

}  // namespace crm::engine::internal
