// EngineImpl: the audit log, its indexes, and the queries that read them.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>

#include "engine_impl.h"
#include "stored_value.h"

namespace crm::engine::internal {

void EngineImpl::PutAudit(Batch& batch, MDB_txn* txn, AuditEntry entry) {
  entry.sequence = ++batch.counters.audit_sequence;
  entry.time = batch.now;
  int rc = PutEncoded(txn, dbis_[kAudit], IdKey(entry.sequence).val(), entry, MDB_APPEND);
  if (rc != 0) throw LmdbFailure{rc, "writing the audit log"};
  PutAuditIndexes(txn, dbis_, entry);
}

void EngineImpl::PutAuditIndexes(MDB_txn* txn, const MDB_dbi* dbis, const AuditEntry& entry) {
  MDB_val empty{0, nullptr};
  int rc = 0;
  if (entry.record != 0) {
    Key key = AuditRecordKey(entry.entity, entry.record, entry.sequence);
    MDB_val k = key.val();
    rc = mdb_put(txn, dbis[kAuditByRecord], &k, &empty, 0);
    if (rc != 0) throw LmdbFailure{rc, "writing the audit index by record"};
  }
  Key key = AuditUserKey(entry.user, entry.sequence);
  MDB_val k = key.val();
  rc = mdb_put(txn, dbis[kAuditByUser], &k, &empty, 0);
  if (rc != 0) throw LmdbFailure{rc, "writing the audit index by user"};
}

Status EngineImpl::ReadAudit(MDB_txn* txn, uint64_t sequence, AuditEntry* out) const {
  Key key = IdKey(sequence);
  MDB_val k = key.val();
  MDB_val value;
  int rc = mdb_get(txn, dbis_[kAudit], &k, &value);
  if (rc == MDB_NOTFOUND) {
    return Status::Internal("audit entry " + std::to_string(sequence) + " is missing");
  }
  if (rc != 0) return LmdbError(rc, "reading the audit log");
  std::vector<capnp::word> scratch;
  return DecodeValue(value, scratch, out);
}

void EngineImpl::WriteMeta(MDB_txn* txn, const Counters& counters) {
  int rc = PutMeta(txn, dbis_[kMeta], counters);
  if (rc != 0) throw LmdbFailure{rc, "writing the meta record"};
}

Result<std::vector<AuditEntry>> EngineImpl::AuditLog(uint64_t after, uint32_t limit) const {
  if (limit == 0 || limit > 10000) {
    return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
  }
  // Nothing follows the largest sequence (and after + 1 would wrap to 0).
  if (after == UINT64_MAX) return std::vector<AuditEntry>();
  SharedLock map_lock(map_mu_);
  int rc = 0;
  Txn txn(env_, nullptr, MDB_RDONLY, &rc);
  if (rc != 0) return LmdbError(rc, "begin read transaction");
  Cursor cursor(txn.get(), dbis_[kAudit], &rc);
  if (rc != 0) return LmdbError(rc, "opening the audit log");
  Key start = IdKey(after + 1);
  MDB_val key = start.val();
  MDB_val value;
  std::vector<AuditEntry> out;
  std::vector<capnp::word> scratch;
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
       rc == 0 && out.size() < limit; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    AuditEntry entry;
    CRM_RETURN_IF_ERROR(DecodeValue(value, scratch, &entry));
    out.push_back(entry);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "reading the audit log");
  return out;
}

Result<AuditPage> EngineImpl::QueryAudit(const AuditQuery& query) const {
  if (query.limit == 0 || query.limit > 10000) {
    return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
  }
  if (query.record == 0 && query.entity != EntityKind::kCustomer &&
      static_cast<int>(query.entity) > kEntityKindCount) {
    return Status::InvalidArgument("unknown entity kind", "entity");
  }
  AuditPage page;
  if (query.after == UINT64_MAX || (query.to != 0 && query.from >= query.to)) return page;
  SharedLock map_lock(map_mu_);
  int rc = 0;
  Txn txn(env_, nullptr, MDB_RDONLY, &rc);
  if (rc != 0) return LmdbError(rc, "begin read transaction");

  // The first sequence worth reading: after the cursor, and (times never
  // decrease along the sequence) at the first entry at or after `from`.
  uint64_t start = query.after + 1;
  if (query.from != 0) {
    Cursor last(txn.get(), dbis_[kAudit], &rc);
    if (rc != 0) return LmdbError(rc, "opening the audit log");
    MDB_val key, value;
    rc = mdb_cursor_get(last.get(), &key, &value, MDB_LAST);
    if (rc == MDB_NOTFOUND) return page;
    if (rc != 0) return LmdbError(rc, "reading the audit log");
    uint64_t lo = start, hi = GetBigEndian(static_cast<const char*>(key.mv_data)) + 1;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      AuditEntry probe;
      CRM_RETURN_IF_ERROR(ReadAudit(txn.get(), mid, &probe));
      if (probe.time < query.from) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    start = lo;
  }

  auto matches = [&](const AuditEntry& e) {
    if (query.record != 0 && (e.entity != query.entity || e.record != query.record)) return false;
    if (query.user && e.user != *query.user) return false;
    return e.time >= query.from;
  };
  // Visits candidate sequences in order; stops at the limit or past `to`.
  bool full = false;
  auto take = [&](uint64_t sequence, bool* stop) -> Status {
    AuditEntry entry;
    CRM_RETURN_IF_ERROR(ReadAudit(txn.get(), sequence, &entry));
    if (query.to != 0 && entry.time >= query.to) {
      *stop = true;
      return Status::Ok();
    }
    if (!matches(entry)) return Status::Ok();
    page.entries.push_back(std::move(entry));
    if (page.entries.size() == query.limit) {
      full = true;
      *stop = true;
    }
    return Status::Ok();
  };

  bool by_index = query.record != 0 || query.user.has_value();
  Dbi dbi = query.record != 0 ? kAuditByRecord : query.user ? kAuditByUser : kAudit;
  Key prefix;
  if (query.record != 0) {
    prefix.Add(static_cast<uint64_t>(query.entity));
    prefix.Add(query.record);
  } else if (query.user) {
    prefix.Add(*query.user);
  }
  Key first = prefix;
  first.Add(start);
  Cursor cursor(txn.get(), dbis_[dbi], &rc);
  if (rc != 0) return LmdbError(rc, "opening the audit log");
  MDB_val key = first.val();
  MDB_val value;
  bool stop = false;
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE); rc == 0 && !stop;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    if (key.mv_size != prefix.size + 8 ||
        std::memcmp(key.mv_data, prefix.bytes.data(), prefix.size) != 0) {
      break;  // past this record's or user's entries
    }
    uint64_t sequence = GetBigEndian(static_cast<const char*>(key.mv_data) + prefix.size);
    if (by_index) {
      CRM_RETURN_IF_ERROR(take(sequence, &stop));
    } else {
      AuditEntry entry;
      std::vector<capnp::word> scratch;
      CRM_RETURN_IF_ERROR(DecodeValue(value, scratch, &entry));
      if (query.to != 0 && entry.time >= query.to) break;
      if (!matches(entry)) continue;
      page.entries.push_back(std::move(entry));
      if (page.entries.size() == query.limit) {
        full = true;
        stop = true;
      }
    }
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "reading the audit log");
  if (full) page.next_cursor = page.entries.back().sequence;
  return page;
}

}  // namespace crm::engine::internal
