// EngineImpl: LMDB persistence, the group-committing writer, and queries.
//
// Concurrency model: one writer thread owns every LMDB write transaction.
// Callers of Write() queue their ops and wait. The writer takes everything
// queued (up to Options::max_batch ops), validates each op against the
// committed store plus what the batch staged before it, writes it to one LMDB
// transaction, commits (fsync unless no_sync), and only then applies the
// batch to memory under a short exclusive lock and wakes the callers. Readers
// take a shared lock (writer-preferring, so a stream of readers cannot starve
// the publish step) and never touch LMDB. A batch that hits MDB_MAP_FULL is
// aborted, the map grows, and the whole batch is redone.
//
// Threads: callers (any thread), the writer thread (writer_), a backup
// thread (backup_thread_, one at a time) and, during Load, one decoding
// thread that touches only LMDB and its own vectors.
//
// Locks, in the order they are taken (a thread holding one may take only
// those below it):
//   1. backup_mu_  guards backup_running_ and backup_thread_. Held briefly to
//      start a backup (joining the previous, finished backup thread) and by
//      the backup thread to mark itself done; nothing else is taken under it.
//   2. map_mu_     LMDB read transactions hold it shared (queries of the audit
//      log, scoring history and tier snapshots; Load; a backup's copy); the
//      writer holds it exclusive only in GrowMap, while it has no transaction
//      open. The writer's own transactions do not take it: the writer is the
//      one thread that resizes the map.
//   3. lock_       the writer-preferring RwLock over store_, value_ and
//      published_audit_sequence_. Readers hold it shared; the writer holds it
//      exclusive to publish a batch or swap in a value model, and shared to
//      build a model. Load takes it exclusive under map_mu_ (shared).
//   4. queue_mu_   guards queue_ and stopping_; a leaf: held only to push or
//      take work, never across LMDB or a callback.
// No callback runs with a lock held: callers may queue more work from one.
//
// The writer thread is the only one that mutates store_ and value_, so it
// reads them without lock_ (see WriterStore, WriterValue); it alone touches
// the members marked "writer thread" below, which no mutex can express.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "analytics.h"
#include "crm/engine/backup.h"
#include "crm/engine/codec.h"
#include "crm/engine/engine.h"
#include "crm/engine/thread_annotations.h"
#include "format.h"
#include "lmdb_env.h"
#include "staging.h"
#include "store.h"
#include "value_model.h"

namespace crm::engine::internal {

// Microseconds from `started` to now.
uint64_t MicrosSince(std::chrono::steady_clock::time_point started);
// The system clock, in microseconds since 1970.
Micros SystemNow();
// "customer 12".
std::string Describe(EntityKind kind, Id id);

// The customer a record belongs to; 0 for customers and users.
template <typename T>
Id CustomerOf(const T& r) {
  if constexpr (std::is_same_v<T, Customer> || std::is_same_v<T, User>) {
    return 0;
  } else {
    return r.customer;
  }
}

// What a committed op does to memory: put `record` (replacing `old`, if any)
// or remove `old`.
struct Effect {
  std::optional<Record> record;
  std::optional<Record> old;
};

// Thrown inside a batch when LMDB itself fails; ends the batch.
struct LmdbFailure {
  int rc;
  std::string what;
};

// ---- units of work queued for the writer

// A caller's Write() or DryRun().
struct WriteUnit {
  Actor actor;
  std::vector<WriteOp> ops;
  bool atomic = false;
  bool dry_run = false;  // validate only: rolled back whatever happens
  // Per op: the outcome of checking and normalizing its fields, done by the
  // caller's thread in Enqueue so that the writer spends its time on what
  // needs the store (references, unique keys) and on LMDB.
  std::vector<Status> fields;
  std::vector<WriteResult> results;
  WriteCallback done;
};

// A permission denial to write to the audit log.
struct DenialUnit {
  Actor actor;
  Denial denial;
  Status status;
  std::function<void(Status)> done;
};

// A handover: the writer builds its ops from the staged state, then applies
// them all or none.
struct HandoverUnit {
  Actor actor;
  HandoverSpec spec;
  std::string note;  // the message of every audit entry it writes
  std::vector<WriteOp> ops;
  std::vector<WriteResult> results;
  HandoverResult result;
  Status status;
  std::function<void(Result<HandoverResult>)> done;
};

// A function run on the writer thread between batches (OnWriter); runs alone.
struct WriterTask {
  std::function<void()> run;
};

using Pending = std::variant<WriteUnit, DenialUnit, HandoverUnit, WriterTask>;

// ---- the context ops are applied in

// What one attempt at a batch has done so far: the counters it advanced, the
// records it staged, and the effects to publish once it commits. Lives on the
// writer's stack; a batch redone after MDB_MAP_FULL starts a fresh one.
struct Batch {
  Batch(Micros now, const Counters& committed, const Store& store,
        std::vector<Effect> effects_buffer)
      : now(now), counters(committed), staging(store), effects(std::move(effects_buffer)) {}

  Micros now;  // the time of every record stamp and audit entry
  Counters counters;
  Staging staging;
  std::vector<Effect> effects;
};

// Whose op is applied and what was already checked of it.
struct OpContext {
  const Actor& actor;
  std::string_view note;  // the message of the audit entries the op writes
  // The field check of the op (see WriteUnit::fields), or nullptr for ops
  // built on the writer thread (a handover), which are checked there.
  const Status* fields;
};

// Histories decoded at load, before they enter the store (open_load.cc).
struct DecodedHistories;

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const Options& options) : options_(options), store_(options.default_region) {}
  ~EngineImpl() override;

  Status OpenAndLoad();

  void WriteAsync(const Actor& actor, std::vector<WriteOp> ops, bool atomic,
                  WriteCallback done) override {
    Enqueue(actor, std::move(ops), atomic, /*dry_run=*/false, std::move(done));
  }
  void DryRunAsync(const Actor& actor, std::vector<WriteOp> ops, bool atomic,
                   WriteCallback done) override {
    Enqueue(actor, std::move(ops), atomic, /*dry_run=*/true, std::move(done));
  }
  Result<std::vector<Record>> Scan(EntityKind kind, Id after, uint32_t limit) const override;
  void BackupAsync(const BackupOptions& options,
                   std::function<void(Result<BackupInfo>)> done) override;

  Status VisitCard(const CardKey& key, const CardOptions& options,
                   FunctionRef<void(const CardView&)> visit) const override {
    if (options.recent_interactions > 1000 || options.due_tasks > 1000) {
      return Status::InvalidArgument("card lists are limited to 1000 entries",
                                     "recent_interactions");
    }
    SharedLock lock(lock_);
    Result<Id> id = store_.Resolve(key);
    if (!id.ok()) return id.status();
    ValueSummary value = value_->Summary(*id);
    return store_.VisitCard(*id, options, &value, visit);
  }
  Result<Id> FindCustomer(const CardKey& key) const override {
    SharedLock lock(lock_);
    return store_.Resolve(key);
  }
  Result<HistoryPage> History(const HistoryQuery& query) const override {
    SharedLock lock(lock_);
    return store_.History(query);
  }
  Result<Customer> GetCustomer(Id id) const override { return Get<Customer>(id); }
  Result<Contact> GetContact(Id id) const override { return Get<Contact>(id); }
  Result<Interaction> GetInteraction(Id id) const override { return Get<Interaction>(id); }
  Result<Transaction> GetTransaction(Id id) const override { return Get<Transaction>(id); }
  Result<Opportunity> GetOpportunity(Id id) const override { return Get<Opportunity>(id); }
  Result<Contract> GetContract(Id id) const override { return Get<Contract>(id); }
  Result<Task> GetTask(Id id) const override { return Get<Task>(id); }
  Result<User> GetUser(Id id) const override { return Get<User>(id); }
  Result<std::vector<Contact>> ListContacts(Id customer) const override {
    return List<Contact>(customer);
  }
  Result<std::vector<Opportunity>> ListOpportunities(Id customer) const override {
    return List<Opportunity>(customer);
  }
  Result<std::vector<Contract>> ListContracts(Id customer) const override {
    return List<Contract>(customer);
  }
  Result<std::vector<Task>> ListTasks(Id customer) const override { return List<Task>(customer); }
  std::vector<User> ListUsers() const override {
    SharedLock lock(lock_);
    return store_.ListUsers();
  }
  Result<std::vector<AuditEntry>> AuditLog(uint64_t after, uint32_t limit) const override;

  Result<ValueSummary> Value(Id customer) const override {
    SharedLock lock(lock_);
    if (store_.Node(customer) == nullptr) {
      return Status::NotFound("no customer has id " + std::to_string(customer), "customer");
    }
    return value_->Summary(customer);
  }
  ScoringConfig Scoring() const override {
    SharedLock lock(lock_);
    return value_->config();
  }
  Result<std::vector<ScoringConfig>> ScoringHistory() const override;
  Result<ScoringConfig> SetScoring(const Actor& actor, ScoringConfig config) override;
  Status Reage(Micros as_of) override;
  Cutoffs CurrentCutoffs() const override {
    SharedLock lock(lock_);
    return value_->PublicCutoffs();
  }
  Result<ParetoReport> Pareto(const ParetoQuery& query) const override {
    if (query.points < 1 || query.points > 1000) {
      return Status::InvalidArgument("points must be between 1 and 1000", "points");
    }
    return WithModel(query.as_of,
                     [&](const Store&, const ValueModel& m) { return BuildPareto(m, query); });
  }
  Result<TierReport> Tiers(const TierQuery& query) const override;
  Result<GroupReport> Group(const GroupQuery& query) const override {
    return WithModel(query.as_of, [&](const Store& store, const ValueModel& m) {
      return BuildGroup(store, m, query.dimension);
    });
  }
  Result<PipelineReport> Pipeline() const override {
    SharedLock lock(lock_);
    return BuildPipeline(store_);
  }
  Result<ContractReport> Contracts(uint32_t expiring_days, Micros as_of) const override {
    if (expiring_days > 36500) {
      return Status::InvalidArgument("expiring_days must be at most 36500", "expiring_days");
    }
    SharedLock lock(lock_);
    return BuildContracts(store_, expiring_days, as_of != 0 ? as_of : value_->as_of());
  }
  Result<ChurnReport> Churn(const ChurnQuery& query) const override {
    if (query.limit < 1 || query.limit > 10000) {
      return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
    }
    if (!(query.revenue_drop >= 0 && query.revenue_drop <= 1)) {
      return Status::InvalidArgument("revenue_drop must be in [0, 1]", "revenue_drop");
    }
    return WithModel(query.as_of, [&](const Store& store, const ValueModel& m) {
      return BuildChurn(store, m, query);
    });
  }
  Result<SatisfactionReport> Satisfaction(Micros as_of) const override {
    return WithModel(as_of, [&](const Store& store, const ValueModel& m) {
      return BuildSatisfaction(store, m);
    });
  }
  Result<ConversionReport> Conversion(const ConversionQuery& query) const override {
    SharedLock lock(lock_);
    return BuildConversion(store_, query.by_campaign);
  }
  Result<OwnerKpiReport> OwnerKpis(Micros as_of) const override {
    return WithModel(
        as_of, [&](const Store& store, const ValueModel& m) { return BuildOwnerKpis(store, m); });
  }
  Result<AuditPage> QueryAudit(const AuditQuery& query) const override;
  void AuditDenialAsync(const Actor& actor, Denial denial,
                        std::function<void(Status)> done) override;
  void HandoverAsync(const Actor& actor, HandoverSpec spec,
                     std::function<void(Result<HandoverResult>)> done) override;
  uint64_t UserGeneration() const override {
    return user_generation_.load(std::memory_order_acquire);
  }
  StorageStats Storage() const override;
  WriterStats Writer() const override {
    return WriterStats{batches_.load(std::memory_order_relaxed),
                       batched_ops_.load(std::memory_order_relaxed),
                       commit_micros_.load(std::memory_order_relaxed),
                       map_growths_.load(std::memory_order_relaxed),
                       value_nanos_.load(std::memory_order_relaxed),
                       value_customers_.load(std::memory_order_relaxed),
                       last_rescore_micros_.load(std::memory_order_relaxed)};
  }
  MemoryUsage Memory() const override {
    SharedLock lock(lock_);
    MemoryUsage usage = store_.Memory();
    usage.value_model = value_->MemoryBytes();
    return usage;
  }
  StoreCounts Counts() const override {
    SharedLock lock(lock_);
    StoreCounts counts = store_.Counts();
    counts.audit_entries = published_audit_sequence_;
    return counts;
  }

 private:
  template <typename T>
  Result<T> Get(Id id) const {
    SharedLock lock(lock_);
    if (const T* r = store_.Find<T>(id)) return *r;
    return Status::NotFound("no " + Describe(EntityOf<T>, id), "id");
  }
  template <typename T>
  Result<std::vector<T>> List(Id customer) const {
    SharedLock lock(lock_);
    if (store_.Node(customer) == nullptr) {
      return Status::NotFound("no customer has id " + std::to_string(customer), "customer");
    }
    return store_.ListChildren<T>(customer);
  }

  Micros Now() const { return options_.clock ? options_.clock() : SystemNow(); }

  // The committed store and value model, for the writer thread (and Open,
  // before the writer starts): the one thread that mutates them may read
  // them without lock_. The analysis cannot know which thread calls.
  const Store& WriterStore() const CRM_NO_THREAD_SAFETY_ANALYSIS { return store_; }
  const ValueModel& WriterValue() const CRM_NO_THREAD_SAFETY_ANALYSIS { return *value_; }

  // Calls fn(store, model) under the shared lock with the live model
  // (as_of = 0), or with one built from scratch for windows ending at `as_of`.
  template <typename Fn>
  auto WithModel(Micros as_of, Fn&& fn) const
      -> decltype(fn(std::declval<const Store&>(), std::declval<const ValueModel&>())) {
    SharedLock lock(lock_);
    if (as_of == 0) return fn(store_, *value_);
    auto model = ValueModel::Build(store_, value_->config(), as_of, false, options_.value_threads);
    return fn(store_, *model);
  }
  // Calls fn(cursor) -> Status with a cursor on `dbi` in a short read
  // transaction (under the map lock).
  template <typename Fn>
  Status ReadScan(Dbi dbi, Fn&& fn) const CRM_EXCLUDES(map_mu_) {
    SharedLock map_lock(map_mu_);
    int rc = 0;
    Txn txn(env_, nullptr, MDB_RDONLY, &rc);
    if (rc != 0) return LmdbError(rc, "begin read transaction");
    Cursor cursor(txn.get(), dbis_[dbi], &rc);
    if (rc != 0) return LmdbError(rc, std::string("opening ") + kDbiNames[dbi]);
    return fn(cursor.get());
  }
  // Runs fn() on the writer thread between batches and returns its result.
  // Not from the writer thread itself.
  template <typename Fn>
  auto OnWriter(Fn&& fn) -> decltype(fn()) {
    using R = decltype(fn());
    std::promise<R> promise;
    std::future<R> future = promise.get_future();
    Enqueue(std::make_unique<Pending>(WriterTask{[&] { promise.set_value(fn()); }}));
    return future.get();
  }
  // One small write transaction on the writer thread (or in Open): fn(txn)
  // returns an LMDB code; MAP_FULL grows the map and runs it again.
  template <typename Fn>
  Status WriteSmall(const std::string& what, Fn&& fn) {
    for (;;) {
      int rc = 0;
      {
        Txn txn(env_, nullptr, 0, &rc);
        if (rc != 0) return LmdbError(rc, what);
        rc = fn(txn.get());
        if (rc == 0) rc = txn.Commit();
      }
      if (rc == MDB_MAP_FULL) {
        map_growths_.fetch_add(1, std::memory_order_relaxed);
        GrowMap();
        continue;
      }
      return rc == 0 ? Status::Ok() : LmdbError(rc, what);
    }
  }

  // ---- value model (engine_value.cc; writer thread, or Open before the
  // writer starts)
  Status LoadScoring(MDB_txn* txn, ScoringConfig* out) const;
  Status DoReage(Micros as_of);
  Result<ScoringConfig> DoSetScoring(const Actor& actor, ScoringConfig config);
  // Stores the tiers of every customer, keyed by the model's as-of time;
  // unless `force`, only when the latest snapshot is from another UTC day.
  Status SnapshotTiers(bool force);

  // ---- open and load (open_load.cc)
  Status OpenEnvironment();
  Status ReadOrCreateMeta();
  // Builds the audit indexes for the entries after `indexed_through`.
  Status IndexAuditLog(uint64_t indexed_through);
  template <typename T>
  Status LoadTable(MDB_txn* txn, Dbi dbi) CRM_REQUIRES(lock_);
  template <typename T>
  Status DecodeHistory(MDB_txn* txn, Dbi dbi, Id last_customer,
                       std::vector<std::vector<T>>* out) const;
  Status DecodeHistories(DecodedHistories* out) const;
  // Loads every table but the histories.
  Status LoadTables() CRM_REQUIRES(lock_);
  Status Load() CRM_EXCLUDES(map_mu_, lock_);

  // ---- the writer (writer.cc)
  void Enqueue(const Actor& actor, std::vector<WriteOp> ops, bool atomic, bool dry_run,
               WriteCallback done);
  void Enqueue(std::unique_ptr<Pending> pending) CRM_EXCLUDES(queue_mu_);
  void WriterLoop();
  // Waits (up to a second) for queued work; empty on timeout or when stopping.
  std::vector<std::unique_ptr<Pending>> TakeBatch(bool* stopping) CRM_EXCLUDES(queue_mu_);
  void ProcessBatch(std::vector<std::unique_ptr<Pending>>& units);
  void RunUnit(Batch& batch, MDB_txn* txn, WriteUnit& unit);
  void RunUnit(Batch& batch, MDB_txn* txn, DenialUnit& unit);
  void RunUnit(Batch& batch, MDB_txn* txn, HandoverUnit& unit);
  // Applies `ops` in `txn`, each on its own, or all or none with `atomic`,
  // or none with `dry_run`; appends one result per op to *results (after a
  // failed atomic unit, every op's result says why it was not applied).
  // Sets *failure (unless null) to the status of the first op that failed
  // (for an atomic unit, the cause); leaves it alone when every op succeeds.
  void RunOps(Batch& batch, MDB_txn* txn, const Actor& actor, std::string_view note,
              const std::vector<WriteOp>& ops, const std::vector<Status>& fields, bool atomic,
              bool dry_run, std::vector<WriteResult>* results, Status* failure);
  // Applies a committed batch to memory and makes it visible to readers.
  void Publish(Batch& batch) CRM_EXCLUDES(lock_);
  // Doubles the LMDB map; the writer thread, with no transaction open.
  void GrowMap() CRM_EXCLUDES(map_mu_);

  // ---- apply (apply.cc, checks.cc)
  WriteResult ApplyOp(Batch& batch, const OpContext& ctx, MDB_txn* txn, const WriteOp& op);
  template <typename T>
  WriteResult ApplyCreate(Batch& batch, const OpContext& ctx, MDB_txn* txn, T record);
  template <typename T>
  WriteResult ApplyUpdate(Batch& batch, const OpContext& ctx, MDB_txn* txn, T record);
  template <typename T>
  WriteResult ApplyImport(Batch& batch, const OpContext& ctx, MDB_txn* txn, T record, bool replace);
  WriteResult ApplyDelete(Batch& batch, const OpContext& ctx, MDB_txn* txn, EntityKind kind, Id id,
                          bool cascade, uint64_t revision);
  template <typename T>
  Status DeleteChecked(Batch& batch, const OpContext& ctx, MDB_txn* txn, const T& old,
                       bool cascade);
  // Validates and normalizes the fields of `record` (a T), then checks its
  // references and unique keys against the staged store.
  template <typename T>
  Status CheckRecord(const Staging& staging, const OpContext& ctx, Record& record) const;
  // Writes a change to LMDB and the staging, audits it, and records its
  // effect for Publish.
  void Emit(Batch& batch, const OpContext& ctx, MDB_txn* txn, std::optional<Record> record,
            std::optional<Record> old);
  // Builds the ops of a handover from the staged state; false (with
  // unit.status set) when the handover cannot be done.
  bool BuildHandover(const Batch& batch, HandoverUnit& unit) const;

  // ---- the audit log (audit_log.cc)
  // Assigns the entry its sequence and time, writes it and its index keys.
  void PutAudit(Batch& batch, MDB_txn* txn, AuditEntry entry);
  static void PutAuditIndexes(MDB_txn* txn, const MDB_dbi* dbis, const AuditEntry& entry);
  // Reads audit entry `sequence` in `txn`.
  Status ReadAudit(MDB_txn* txn, uint64_t sequence, AuditEntry* out) const;
  // Writes the meta record; throws LmdbFailure.
  void WriteMeta(MDB_txn* txn, const Counters& counters);

  // Appends the records of kind T with ids after `after` to *out, up to
  // `limit` in all (engine.cc).
  template <typename T>
  void ScanTable(Id after, uint32_t limit, std::vector<Record>* out) const
      CRM_REQUIRES_SHARED(lock_);
  // Copies the environment and writes the manifest; the backup thread
  // (backup.cc).
  Result<BackupInfo> RunBackup(const BackupOptions& options) CRM_EXCLUDES(map_mu_);

  const Options options_;

  // Set while opening, then read-only (any thread).
  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[kDbiCount] = {};
  int lock_fd_ = -1;

  Mutex backup_mu_ CRM_ACQUIRED_BEFORE(map_mu_);
  // One backup at a time, on its own thread (joined before LMDB closes).
  bool backup_running_ CRM_GUARDED_BY(backup_mu_) = false;
  std::thread backup_thread_ CRM_GUARDED_BY(backup_mu_);

  // Held shared by LMDB read transactions, exclusive while the map is resized.
  mutable SharedMutex map_mu_ CRM_ACQUIRED_BEFORE(lock_);

  mutable RwLock lock_ CRM_ACQUIRED_BEFORE(queue_mu_);
  Store store_ CRM_GUARDED_BY(lock_);
  std::unique_ptr<ValueModel> value_ CRM_GUARDED_BY(lock_);
  uint64_t published_audit_sequence_ CRM_GUARDED_BY(lock_) = 0;

  Mutex queue_mu_;
  CondVar queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_ CRM_GUARDED_BY(queue_mu_);
  bool stopping_ CRM_GUARDED_BY(queue_mu_) = false;
  std::thread writer_;

  // Written by the writer thread, read by anyone.
  std::atomic<uint64_t> batches_{0}, batched_ops_{0}, commit_micros_{0}, map_growths_{0},
      value_nanos_{0}, value_customers_{0}, last_rescore_micros_{0};
  std::atomic<uint64_t> user_generation_{0};

  // Writer thread (and Open, before the writer starts) only:
  // The counters as of the last commit.
  Counters committed_;
  // The time of the last batch: batch times never go back, so audit times
  // grow with the sequence even if the clock steps back.
  Micros last_batch_now_ = 0;
  // The effects vector of the last batch, kept for its capacity.
  std::vector<Effect> spare_effects_;
};

}  // namespace crm::engine::internal
