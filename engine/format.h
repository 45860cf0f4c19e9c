// The on-disk format: crm's LMDB databases, their keys, and the meta record.
// The engine (open, writer, queries), backup, verify and the tests read the
// layout from here and nowhere else.
//
// One LMDB environment (DIR/data.mdb) holds these named databases:
//
//   id  name             key                                   value
//   0   meta             "meta" (4 bytes)                      schema::Meta
//   1   customers        customer id                           schema::Customer
//   2   contacts         contact id                            schema::Contact
//   3   interactions     interaction id                        schema::Interaction
//   4   transactions     transaction id                        schema::Transaction
//   5   opportunities    opportunity id                        schema::Opportunity
//   6   contracts        contract id                           schema::Contract
//   7   tasks            task id                               schema::Task
//   8   users            user id                               schema::User
//   9   audit            sequence                              schema::AuditEntry
//   10  scoring          config version                        schema::ScoringConfig
//   11  tier_snapshots   as-of time (micros since 1970)        tier snapshot (below)
//   12  audit_by_record  (entity kind, record id, sequence)    empty
//   13  audit_by_user    (user id, sequence)                   empty
//
// Every id, sequence, version, time and kind in a key is a big-endian u64, so
// byte order is numeric order and a key of several parts sorts by its first
// part, then the next. Values are flat Cap'n Proto messages (records.capnp).
// Histories are keyed by id, not by customer: new records are appended at the
// end of the tree, so a batch of writes for many customers dirties one or two
// leaf pages instead of one per customer; per-customer order lives in memory
// (rebuilt at load). The audit indexes hold one key per audit entry (the
// by-record index only for entries about a record) and let a query read one
// record's or one user's entries without scanning the log.
//
// A tier snapshot is an 8-byte header, the u32 kSnapshotMagic then the u32
// customer count (both in host order, little-endian on every supported
// machine), then one byte per customer id from 0: the customer's tier.
//
// The meta record holds the schema version, the last id handed out per
// entity kind (indexed by EntityKind, index 0 unused), the last audit
// sequence, and the sequence through which the audit indexes are complete.
#pragma once

#include <lmdb.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::engine::internal {

// Database ids: the index of each database in kDbiNames. The record tables
// sit at their EntityKind's value.
enum Dbi : int {
  kMeta = 0,
  kCustomers,
  kContacts,
  kInteractions,
  kTransactions,
  kOpportunities,
  kContracts,
  kTasks,
  kUsers,
  kAudit,
  kScoring,
  kTierSnapshots,
  kAuditByRecord,
  kAuditByUser,
  kDbiCount
};

inline constexpr const char* kDbiNames[kDbiCount] = {
    "meta",          "customers",      "contacts",        "interactions", "transactions",
    "opportunities", "contracts",      "tasks",           "users",        "audit",
    "scoring",       "tier_snapshots", "audit_by_record", "audit_by_user"};

// The databases a backup manifest counts and verify walks: meta, the eight
// record tables and the audit log (ids 0 to kBackupDbiCount - 1). The rest
// are derived (audit indexes) or advisory (scoring, tier snapshots).
inline constexpr int kBackupDbiCount = kAudit + 1;

// The table of records of `kind`.
inline constexpr Dbi DbiFor(EntityKind kind) { return static_cast<Dbi>(static_cast<int>(kind)); }

// ---- keys

inline void PutBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline uint64_t GetBigEndian(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// A key of up to three big-endian u64 parts, built in place (no allocation).
struct Key {
  std::array<char, 24> bytes{};
  size_t size = 0;
  void Add(uint64_t v) {
    PutBigEndian(v, bytes.data() + size);
    size += 8;
  }
  MDB_val val() { return MDB_val{size, bytes.data()}; }
};

// The key of a record (by its id), an audit entry (by its sequence), a
// scoring config (by its version) or a tier snapshot (by its as-of time).
inline Key IdKey(uint64_t id) {
  Key k;
  k.Add(id);
  return k;
}

// The audit_by_record key of entry `sequence` about record (entity, record).
inline Key AuditRecordKey(EntityKind entity, Id record, uint64_t sequence) {
  Key k;
  k.Add(static_cast<uint64_t>(entity));
  k.Add(record);
  k.Add(sequence);
  return k;
}

// The audit_by_user key of entry `sequence` written by `user`.
inline Key AuditUserKey(Id user, uint64_t sequence) {
  Key k;
  k.Add(user);
  k.Add(sequence);
  return k;
}

// ---- tier snapshots

inline constexpr uint32_t kSnapshotMagic = 0x52454954;  // "TIER"
inline constexpr size_t kSnapshotHeader = 8;

// ---- the meta record

// The key of the one record in the meta database.
inline MDB_val MetaKey() { return MDB_val{4, const_cast<char*>("meta")}; }

// Id counters and the audit sequence, as the meta record stores them.
struct Counters {
  std::array<uint64_t, kEntityKindCount + 1> last_ids{};
  uint64_t audit_sequence = 0;
};

// The meta record, decoded.
struct MetaRecord {
  uint32_t schema_version = 0;
  Counters counters;  // last ids beyond what the record lists are 0
  uint64_t audit_indexed_through = 0;
};

// Decodes a meta record value. A value that does not decode is Internal.
// Checks nothing about the schema version: each caller has its own policy.
Status DecodeMeta(const MDB_val& value, MetaRecord* out);

// Reads and decodes the meta record in `txn` (`dbi`: the meta database); an
// absent record is an LMDB error like any other.
Status ReadMeta(MDB_txn* txn, MDB_dbi dbi, MetaRecord* out);

// Writes the meta record of `counters` at the current schema version, with
// the audit indexes complete through counters.audit_sequence. Returns the
// LMDB code.
int PutMeta(MDB_txn* txn, MDB_dbi dbi, const Counters& counters);

}  // namespace crm::engine::internal
