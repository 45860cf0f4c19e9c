// Backups: the manifest that makes a backup checkable, verification of a
// backup or a data directory, and restore of a backup into a new directory.
//
// A backup (Engine::Backup) is one LMDB file, a consistent copy of the store:
//   directory form:  DIR/data.mdb and DIR/MANIFEST
//   single file:     FILE and FILE.manifest
// The manifest is text, one fact per line:
//   crm-backup 1
//   schema_version 1
//   audit_sequence 1234
//   count customers 1000          (one line per record kind, and audit)
//   file data.mdb 4243456 xxh3-64 8c1f0e9a2b3c4d5e
// The file line gives the LMDB file's name (relative to the manifest), its
// size in bytes and its XXH3-64 in hex.
//
// Thread-safety: every function here may run from any thread; each opens
// what it reads itself (read-only) and shares nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/engine/status.h"

namespace crm::engine {

// The manifest file name of a backup directory.
inline constexpr char kManifestName[] = "MANIFEST";

// Writes the manifest of the LMDB copy at `path` (a backup directory, or with
// single_file the file itself): reads its meta record and record counts,
// hashes the file, writes the manifest (to a temporary name, synced, then
// renamed). Returns what it wrote. O(file size).
Result<BackupInfo> WriteBackupManifest(const std::string& path, bool single_file);

struct VerifyOptions {
  // Only compare the file with the manifest (size and XXH3-64); skip
  // opening LMDB and walking the records.
  bool checksums_only = false;
  // Problems kept in the report (all are counted).
  size_t max_problems = 100;
  // Region for reading phones that were stored without a country code (a
  // valid store has none: phones are E.164).
  std::string default_region = "CN";
};

struct VerifyReport {
  std::string path;
  std::string what;  // "backup directory", "backup file" or "data directory"
  bool manifest_present = false;
  bool manifest_ok = false;   // present, readable, and the file matches it
  bool records_checked = false;
  uint32_t schema_version = 0;
  uint64_t audit_sequence = 0;  // from the meta record (or the manifest)
  StoreCounts counts;           // records found (audit_entries: audit table rows)
  uint64_t problem_count = 0;
  std::vector<std::string> problems;  // the first VerifyOptions::max_problems

  bool ok() const { return problem_count == 0; }
  // A human-readable report, one fact per line, ending with "OK" or
  // "CORRUPTED: N problems".
  std::string ToText() const;
};

// Verifies a backup directory, a single-file backup, or a data directory
// (stopped, or held by a running crmd: the walk is one read-only LMDB read
// transaction, which LMDB allows next to a writer in another process).
// Checks, in order: the manifest when there is one (the file's size and
// XXH3-64; a mismatch stops there, as a damaged LMDB file is not safe to
// walk); the meta record (schema version, id counters); every record decodes,
// sits under its own id, passes field validation and is stored normalized;
// indexes rebuild (no phone or email held twice across customers and
// contacts, no external ref twice); references resolve (every child's
// customer, contacts and opportunities of the same customer, users named as
// owner / agent / assignee, relation targets, contacts only at
// organizations); no id beyond the meta record's counters; the audit log is
// gap-free from 1 to the meta record's sequence. Never fails: what is wrong
// is in the report. O(records).
VerifyReport Verify(const std::string& path, const VerifyOptions& options = {});

// Restores the backup at `backup` (directory or single file) into
// `data_dir`, which must not exist or be empty: refuses a backup without a
// manifest or whose file does not match it (InvalidArgument), copies the
// LMDB file (synced, then renamed into place as DIR/data.mdb), and returns
// the full Verify() of the restored directory.
Result<VerifyReport> Restore(const std::string& backup, const std::string& data_dir,
                             const VerifyOptions& options = {});

}  // namespace crm::engine
