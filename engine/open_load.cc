// EngineImpl: opening the data directory and loading it into memory.
#include <capnp/message.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <tuple>

#include "engine_impl.h"
#include "stored_value.h"

namespace crm::engine::internal {

EngineImpl::~EngineImpl() {
  // Joined without backup_mu_: the backup thread takes it as it finishes.
  std::thread backup;
  {
    MutexLock lock(backup_mu_);
    backup = std::move(backup_thread_);
  }
  if (backup.joinable()) backup.join();
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.NotifyAll();
  if (writer_.joinable()) writer_.join();
  if (env_ != nullptr) mdb_env_close(env_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

Status EngineImpl::OpenEnvironment() {
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    return Status::Unavailable("cannot create data directory " + options_.data_dir + ": " +
                               ec.message());
  }
  std::string lock_path = options_.data_dir + "/crm.lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return Status::Unavailable("cannot open " + lock_path + ": " + std::strerror(errno));
  }
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::InUse("data directory " + options_.data_dir +
                         " is in use by another process; stop it first");
  }
  int rc = mdb_env_create(&env_);
  if (rc != 0) return LmdbError(rc, "mdb_env_create");
  mdb_env_set_maxdbs(env_, kDbiCount + 8);
  mdb_env_set_mapsize(env_, options_.initial_map_bytes);
  unsigned flags = MDB_NOTLS | (options_.no_sync ? MDB_NOSYNC : 0);
  rc = mdb_env_open(env_, options_.data_dir.c_str(), flags, 0644);
  if (rc != 0) return LmdbError(rc, "opening LMDB in " + options_.data_dir);
  return Status::Ok();
}

Status EngineImpl::ReadOrCreateMeta() {
  int rc = 0;
  Txn txn(env_, nullptr, 0, &rc);
  if (rc != 0) return LmdbError(rc, "begin startup transaction");
  for (int i = 0; i < kDbiCount; ++i) {
    rc = mdb_dbi_open(txn.get(), kDbiNames[i], MDB_CREATE, &dbis_[i]);
    if (rc != 0) return LmdbError(rc, std::string("opening database ") + kDbiNames[i]);
  }
  MDB_val key = MetaKey();
  MDB_val value;
  rc = mdb_get(txn.get(), dbis_[kMeta], &key, &value);
  if (rc == MDB_NOTFOUND) {
    rc = PutMeta(txn.get(), dbis_[kMeta], committed_);
    if (rc == 0) rc = txn.Commit();
    return rc == 0 ? Status::Ok() : LmdbError(rc, "writing the meta record");
  }
  if (rc != 0) return LmdbError(rc, "reading the meta record");
  MetaRecord meta;
  if (Status s = DecodeMeta(value, &meta); !s.ok()) {
    return Status::Unavailable("the meta record is corrupt: " + s.message());
  }
  if (meta.schema_version > kSchemaVersion) {
    return Status::Unavailable(
        "data directory " + options_.data_dir + " was written by schema version " +
        std::to_string(meta.schema_version) + "; this build reads versions up to " +
        std::to_string(kSchemaVersion) + ": open it with a newer crm");
  }
  committed_ = meta.counters;
  if (committed_.audit_sequence > 0) {
    AuditEntry last;
    Status s = ReadAudit(txn.get(), committed_.audit_sequence, &last);
    if (!s.ok()) return Status::Unavailable("reading the audit log: " + s.message());
    last_batch_now_ = last.time;
  }
  // Commit even though nothing changed: DBI handles opened in an aborted
  // transaction are closed with it.
  rc = txn.Commit();
  if (rc != 0) return LmdbError(rc, "committing the startup transaction");
  return IndexAuditLog(meta.audit_indexed_through);
}

Status EngineImpl::IndexAuditLog(uint64_t indexed_through) {
  // Entries a build without the audit indexes wrote: indexed in chunks, each
  // its own transaction that grows the map when it fills. Indexing an entry
  // twice (after a crash half-way) writes the same keys again.
  constexpr uint64_t kChunk = 100'000;
  const uint64_t last = committed_.audit_sequence;
  for (uint64_t start = indexed_through + 1; start <= last; start += kChunk) {
    const uint64_t end = std::min(last, start + kChunk - 1);
    Status unreadable;
    Status s = WriteSmall("indexing the audit log", [&](MDB_txn* txn) -> int {
      try {
        for (uint64_t seq = start; seq <= end; ++seq) {
          AuditEntry entry;
          unreadable = ReadAudit(txn, seq, &entry);
          if (!unreadable.ok()) return MDB_CORRUPTED;
          PutAuditIndexes(txn, dbis_, entry);
        }
        if (end == last) WriteMeta(txn, committed_);  // records the log as indexed
      } catch (const LmdbFailure& failure) {
        return failure.rc;
      }
      return 0;
    });
    if (!unreadable.ok())
      return Status::Unavailable("indexing the audit log: " + unreadable.message());
    CRM_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

template <typename T>
Status EngineImpl::LoadTable(MDB_txn* txn, Dbi dbi) {
  int rc = 0;
  Cursor cursor(txn, dbis_[dbi], &rc);
  if (rc != 0) return LmdbError(rc, "opening a cursor");
  std::vector<capnp::word> scratch;
  MDB_val key, value;
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    T record;
    Status s = DecodeValue(value, scratch, &record);
    if (!s.ok()) {
      return Status::Unavailable(std::string("data directory is corrupt: a record in ") +
                                 kDbiNames[dbi] + " does not decode: " + s.message());
    }
    store_.Put(std::move(record));
  }
  if (rc != MDB_NOTFOUND) return LmdbError(rc, std::string("reading ") + kDbiNames[dbi]);
  return Status::Ok();
}

// Histories decoded but not yet in the store: one vector per customer id,
// each sorted by (time, id).
struct DecodedHistories {
  std::vector<std::vector<Interaction>> interactions;
  std::vector<std::vector<Transaction>> transactions;
};

template <typename T>
Status EngineImpl::DecodeHistory(MDB_txn* txn, Dbi dbi, Id last_customer,
                                 std::vector<std::vector<T>>* out) const {
  int rc = 0;
  Cursor cursor(txn, dbis_[dbi], &rc);
  if (rc != 0) return LmdbError(rc, "opening a cursor");
  auto corrupt = [&](const std::string& what) {
    return Status::Unavailable(std::string("data directory is corrupt: ") + kDbiNames[dbi] + ": " +
                               what);
  };
  std::vector<capnp::word> scratch;
  MDB_val key, value;
  // Pass 1 reads only each record's customer, so that pass 2 can allocate
  // every customer's vector once, at its exact size: no regrowth, no slack,
  // far fewer fresh pages to fault in.
  std::vector<uint32_t> counts(last_customer + 1);
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    Status s = ReadValue<SchemaOf<T>>(value, scratch, [&](typename SchemaOf<T>::Reader r) {
      Id customer = r.getCustomer();
      if (customer == 0 || customer > last_customer) {
        return Status::Internal("a record names customer " + std::to_string(customer) +
                                ", beyond the last id handed out");
      }
      ++counts[customer];
      return Status::Ok();
    });
    if (!s.ok()) return corrupt(s.message());
  }
  if (rc != MDB_NOTFOUND) return LmdbError(rc, std::string("reading ") + kDbiNames[dbi]);
  out->resize(last_customer + 1);
  for (Id c = 1; c <= last_customer; ++c) {
    if (counts[c] > 0) (*out)[c].reserve(counts[c]);
  }
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    Status s = ReadValue<SchemaOf<T>>(value, scratch, [&](typename SchemaOf<T>::Reader r) {
      Id customer = r.getCustomer();
      if (customer == 0 || customer > last_customer) {
        return Status::Internal("the history changed while loading");
      }
      return Decode(r, &(*out)[customer].emplace_back());
    });
    if (!s.ok()) return corrupt(s.message());
  }
  if (rc != MDB_NOTFOUND) return LmdbError(rc, std::string("reading ") + kDbiNames[dbi]);
  // Id order is nearly always time order (records are written as they
  // happen); sort the customers for which it is not.
  for (auto& records : *out) {
    auto by_time = [](const T& a, const T& b) {
      return std::tie(a.time, a.id) < std::tie(b.time, b.id);
    };
    if (!std::is_sorted(records.begin(), records.end(), by_time)) {
      std::sort(records.begin(), records.end(), by_time);
    }
  }
  return Status::Ok();
}

Status EngineImpl::DecodeHistories(DecodedHistories* out) const {
  int rc = 0;
  Txn txn(env_, nullptr, MDB_RDONLY, &rc);
  if (rc != 0) return LmdbError(rc, "begin load transaction");
  Id last_customer = committed_.last_ids[static_cast<size_t>(EntityKind::kCustomer)];
  CRM_RETURN_IF_ERROR(DecodeHistory(txn.get(), kInteractions, last_customer, &out->interactions));
  return DecodeHistory(txn.get(), kTransactions, last_customer, &out->transactions);
}

Status EngineImpl::LoadTables() {
  int rc = 0;
  Txn txn(env_, nullptr, MDB_RDONLY, &rc);
  if (rc != 0) return LmdbError(rc, "begin load transaction");
  CRM_RETURN_IF_ERROR(LoadTable<User>(txn.get(), kUsers));
  CRM_RETURN_IF_ERROR(LoadTable<Customer>(txn.get(), kCustomers));
  CRM_RETURN_IF_ERROR(LoadTable<Contact>(txn.get(), kContacts));
  CRM_RETURN_IF_ERROR(LoadTable<Opportunity>(txn.get(), kOpportunities));
  CRM_RETURN_IF_ERROR(LoadTable<Contract>(txn.get(), kContracts));
  return LoadTable<Task>(txn.get(), kTasks);
}

// Start-up load on two threads: a helper decodes every history (most of the
// data) into per-customer vectors while this thread loads the other tables;
// the decoded vectors are then moved into the store whole. The helper touches
// only LMDB and its own vectors, never the store.
Status EngineImpl::Load() {
  SharedLock map_lock(map_mu_);
  ExclusiveLock lock(lock_);
  MDB_stat stat;
  {
    int rc = 0;
    Txn txn(env_, nullptr, MDB_RDONLY, &rc);
    if (rc != 0) return LmdbError(rc, "begin load transaction");
    if (mdb_stat(txn.get(), dbis_[kCustomers], &stat) == 0) store_.Reserve(stat.ms_entries);
  }
  DecodedHistories histories;
  Status history_status;
  std::thread helper([&] { history_status = DecodeHistories(&histories); });

  Status s = LoadTables();
  helper.join();
  CRM_RETURN_IF_ERROR(s);
  CRM_RETURN_IF_ERROR(history_status);
  for (Id c = 0; c < histories.interactions.size(); ++c) {
    if (!histories.interactions[c].empty()) {
      store_.AdoptHistory(c, std::move(histories.interactions[c]));
    }
  }
  for (Id c = 0; c < histories.transactions.size(); ++c) {
    if (!histories.transactions[c].empty()) {
      store_.AdoptHistory(c, std::move(histories.transactions[c]));
    }
  }
  published_audit_sequence_ = committed_.audit_sequence;
  ScoringConfig config;
  {
    int rc = 0;
    Txn txn(env_, nullptr, MDB_RDONLY, &rc);
    if (rc != 0) return LmdbError(rc, "begin load transaction");
    CRM_RETURN_IF_ERROR(LoadScoring(txn.get(), &config));
  }
  value_ = ValueModel::Build(store_, config, Now(), true, options_.value_threads);
  return Status::Ok();
}

Status EngineImpl::OpenAndLoad() {
  CRM_RETURN_IF_ERROR(OpenEnvironment());
  CRM_RETURN_IF_ERROR(ReadOrCreateMeta());
  CRM_RETURN_IF_ERROR(Load());
  CRM_RETURN_IF_ERROR(SnapshotTiers(false));
  writer_ = std::thread([this] { WriterLoop(); });
  return Status::Ok();
}

}  // namespace crm::engine::internal
