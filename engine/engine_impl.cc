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
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "crm/engine/backup.h"
#include "crm/engine/codec.h"
#include "crm/engine/engine.h"
#include "lmdb_env.h"
#include "staging.h"
#include "stored_value.h"
#include "store.h"
#include "validate.h"
#include "value_model.h"
#include "analytics.h"

namespace crm::engine {
namespace internal {

Status LmdbError(int rc, std::string_view what) {
  return Status::Internal(std::string(what) + ": " + mdb_strerror(rc));
}

namespace {

// A reader-writer lock that lets a waiting writer in ahead of new readers.
class RwLock {
 public:
  RwLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~RwLock() { pthread_rwlock_destroy(&lock_); }
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;
  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

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
  kAuditByRecord,  // (entity, record id, sequence) -> empty
  kAuditByUser,    // (user, sequence) -> empty
  kDbiCount
};
constexpr const char* kDbiNames[kDbiCount] = {"meta",          "customers", "contacts",
                                              "interactions",  "transactions", "opportunities",
                                              "contracts",     "tasks",     "users",
                                              "audit",         "scoring",   "tier_snapshots",
                                              "audit_by_record", "audit_by_user"};

Dbi DbiFor(EntityKind kind) { return static_cast<Dbi>(static_cast<int>(kind)); }

// Id counters and the audit sequence, as stored in the meta record.
struct Counters {
  std::array<uint64_t, kEntityKindCount + 1> last_ids{};
  uint64_t audit_sequence = 0;
};

// The LMDB key of a record: its id, whatever its kind (see lmdb_env.h).
Key KeyOfRecord(const Record& record) { return IdKey(IdOf(record)); }

kj::Array<capnp::word> EncodeRecord(const Record& record) {
  capnp::MallocMessageBuilder message(128);
  std::visit([&](const auto& r) { Encode(r, message.initRoot<SchemaOf<std::decay_t<decltype(r)>>>()); },
             record);
  return capnp::messageToFlatArray(message);
}

uint64_t MicrosSince(std::chrono::steady_clock::time_point started) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count());
}

Micros SystemNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Describe(EntityKind kind, Id id) {
  return std::string(Name(kind)) + " " + std::to_string(id);
}

// What a committed op does to memory: put `record` (replacing `old`, if any)
// or remove `old`.
struct Effect {
  std::optional<Record> record;
  std::optional<Record> old;
};

// One caller's Write() waiting for the writer, or one of the writer's other
// units of work: a denial to audit, or a handover (whose ops the writer
// builds itself).
struct Pending {
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
  std::function<void()> task;
  // The message of every audit entry the unit writes (empty for writes).
  std::string note;
  std::optional<Denial> denial;
  std::optional<HandoverSpec> handover;
  HandoverResult handover_result;
  // The unit's outcome as a whole (denials and handovers).
  Status status;
  // Set for denials and handovers: runs instead of `done`.
  std::function<void(Pending&)> finish;
};

// The field check of op i (see Pending::fields), or nullptr when the ops were
// built on the writer thread (a handover) and are checked there.
const Status* FieldsOf(const Pending& unit, size_t i) {
  return i < unit.fields.size() ? &unit.fields[i] : nullptr;
}

// A user record as the audit log keeps it: without its token hash.
Record ForAudit(Record record) {
  if (auto* user = std::get_if<User>(&record)) user->token_hash.clear();
  return record;
}

Key AuditRecordKey(EntityKind entity, Id record, uint64_t sequence) {
  Key k;
  k.Add(static_cast<uint64_t>(entity));
  k.Add(record);
  k.Add(sequence);
  return k;
}

Key AuditUserKey(Id user, uint64_t sequence) {
  Key k;
  k.Add(user);
  k.Add(sequence);
  return k;
}

// A tier snapshot in LMDB: a small header, then one byte per customer id.
constexpr uint32_t kSnapshotMagic = 0x52454954;  // "TIER"
constexpr size_t kSnapshotHeader = 8;

// Thrown inside a batch when LMDB itself fails; ends the batch.
struct LmdbFailure {
  int rc;
  std::string what;
};

}  // namespace

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const Options& options) : store_(options.default_region) {
    options_ = options;
  }
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
    std::shared_lock lock(lock_);
    Result<Id> id = store_.Resolve(key);
    if (!id.ok()) return id.status();
    ValueSummary value = value_->Summary(*id);
    return store_.VisitCard(*id, options, &value, visit);
  }
  Result<Id> FindCustomer(const CardKey& key) const override {
    std::shared_lock lock(lock_);
    return store_.Resolve(key);
  }
  Result<HistoryPage> History(const HistoryQuery& query) const override {
    std::shared_lock lock(lock_);
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
    std::shared_lock lock(lock_);
    return store_.ListUsers();
  }
  Result<std::vector<AuditEntry>> AuditLog(uint64_t after, uint32_t limit) const override;

  Result<ValueSummary> Value(Id customer) const override {
    std::shared_lock lock(lock_);
    if (store_.Node(customer) == nullptr) {
      return Status::NotFound("no customer has id " + std::to_string(customer), "customer");
    }
    return value_->Summary(customer);
  }
  ScoringConfig Scoring() const override {
    std::shared_lock lock(lock_);
    return value_->config();
  }
  Result<std::vector<ScoringConfig>> ScoringHistory() const override;
  Result<ScoringConfig> SetScoring(const Actor& actor, ScoringConfig config) override;
  Status Reage(Micros as_of) override;
  Cutoffs CurrentCutoffs() const override {
    std::shared_lock lock(lock_);
    return value_->PublicCutoffs();
  }
  Result<ParetoReport> Pareto(const ParetoQuery& query) const override {
    if (query.points < 1 || query.points > 1000) {
      return Status::InvalidArgument("points must be between 1 and 1000", "points");
    }
    return WithModel(query.as_of, [&](const ValueModel& m) { return BuildPareto(m, query); });
  }
  Result<TierReport> Tiers(const TierQuery& query) const override;
  Result<GroupReport> Group(const GroupQuery& query) const override {
    return WithModel(query.as_of, [&](const ValueModel& m) {
      return BuildGroup(store_, m, query.dimension);
    });
  }
  Result<PipelineReport> Pipeline() const override {
    std::shared_lock lock(lock_);
    return BuildPipeline(store_);
  }
  Result<ContractReport> Contracts(uint32_t expiring_days, Micros as_of) const override {
    if (expiring_days > 36500) {
      return Status::InvalidArgument("expiring_days must be at most 36500", "expiring_days");
    }
    std::shared_lock lock(lock_);
    return BuildContracts(store_, expiring_days, as_of != 0 ? as_of : value_->as_of());
  }
  Result<ChurnReport> Churn(const ChurnQuery& query) const override {
    if (query.limit < 1 || query.limit > 10000) {
      return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
    }
    if (!(query.revenue_drop >= 0 && query.revenue_drop <= 1)) {
      return Status::InvalidArgument("revenue_drop must be in [0, 1]", "revenue_drop");
    }
    return WithModel(query.as_of,
                     [&](const ValueModel& m) { return BuildChurn(store_, m, query); });
  }
  Result<SatisfactionReport> Satisfaction(Micros as_of) const override {
    return WithModel(as_of, [&](const ValueModel& m) { return BuildSatisfaction(store_, m); });
  }
  Result<ConversionReport> Conversion(const ConversionQuery& query) const override {
    std::shared_lock lock(lock_);
    return BuildConversion(store_, query.by_campaign);
  }
  Result<OwnerKpiReport> OwnerKpis(Micros as_of) const override {
    return WithModel(as_of, [&](const ValueModel& m) { return BuildOwnerKpis(store_, m); });
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
    std::shared_lock lock(lock_);
    MemoryUsage usage = store_.Memory();
    usage.value_model = value_->MemoryBytes();
    return usage;
  }
  StoreCounts Counts() const override {
    std::shared_lock lock(lock_);
    StoreCounts counts = store_.Counts();
    counts.audit_entries = published_audit_sequence_;
    return counts;
  }

 private:
  template <typename T>
  Result<T> Get(Id id) const {
    std::shared_lock lock(lock_);
    if (const T* r = store_.Find<T>(id)) return *r;
    return Status::NotFound("no " + Describe(EntityOf<T>, id), "id");
  }
  template <typename T>
  Result<std::vector<T>> List(Id customer) const {
    std::shared_lock lock(lock_);
    if (store_.Node(customer) == nullptr) {
      return Status::NotFound("no customer has id " + std::to_string(customer), "customer");
    }
    return store_.ListChildren<T>(customer);
  }

  Micros Now() const { return options_.clock ? options_.clock() : SystemNow(); }

  // Calls fn(model) under the shared lock with the live model (as_of = 0),
  // or with one built from scratch for windows ending at `as_of`.
  template <typename Fn>
  auto WithModel(Micros as_of, Fn&& fn) const -> decltype(fn(std::declval<const ValueModel&>())) {
    std::shared_lock lock(lock_);
    if (as_of == 0) return fn(*value_);
    auto model = ValueModel::Build(store_, value_->config(), as_of, false, options_.value_threads);
    return fn(*model);
  }
  // Calls fn(cursor) -> Status with a cursor on `dbi` in a short read
  // transaction (under the map lock).
  template <typename Fn>
  Status ReadScan(Dbi dbi, Fn&& fn) const;
  // Runs fn() on the writer thread between batches and returns its result.
  template <typename Fn>
  auto OnWriter(Fn&& fn) -> decltype(fn());
  // ---- value model (writer thread, or Open before the writer starts)
  Status LoadScoring(MDB_txn* txn, ScoringConfig* out) const;
  Status DoReage(Micros as_of);
  Result<ScoringConfig> DoSetScoring(const Actor& actor, ScoringConfig config);
  // Stores the tiers of every customer, keyed by the model's as-of time;
  // unless `force`, only when the latest snapshot is from another UTC day.
  Status SnapshotTiers(bool force);
  // One small write transaction: fn(txn) returns an LMDB code; MAP_FULL grows
  // the map and runs it again.
  template <typename Fn>
  Status WriteSmall(const std::string& what, Fn&& fn);
  void Enqueue(const Actor& actor, std::vector<WriteOp> ops, bool atomic, bool dry_run,
               WriteCallback done);
  template <typename T>
  void ScanTable(Id after, uint32_t limit, std::vector<Record>* out) const;
  Result<BackupInfo> RunBackup(const BackupOptions& options);

  // ---- open / load
  Status OpenEnvironment();
  Status ReadOrCreateMeta();
  // Builds the audit indexes for the entries after `indexed_through`.
  Status IndexAuditLog(uint64_t indexed_through);
  template <typename T>
  Status LoadTable(MDB_txn* txn, Dbi dbi);
  template <typename T>
  Status DecodeHistory(MDB_txn* txn, Dbi dbi, Id last_customer,
                       std::vector<std::vector<T>>* out) const;
  Status DecodeHistories(struct DecodedHistories* out) const;
  Status Load();

  // ---- writer
  void WriterLoop();
  // Waits (up to a second) for queued work; empty on timeout or when stopping.
  std::vector<std::unique_ptr<Pending>> TakeBatch(bool* stopping);
  void ProcessBatch(std::vector<std::unique_ptr<Pending>>& batch);
  void RunUnit(MDB_txn* txn, Pending& unit);
  WriteResult ApplyOp(MDB_txn* txn, const Actor& actor, WriteOp& op);
  template <typename T>
  WriteResult ApplyCreate(MDB_txn* txn, T record);
  template <typename T>
  WriteResult ApplyUpdate(MDB_txn* txn, T record);
  template <typename T>
  WriteResult ApplyImport(MDB_txn* txn, T record, bool replace);
  WriteResult ApplyDelete(MDB_txn* txn, EntityKind kind, Id id, bool cascade,
                          uint64_t revision);
  // Validates and normalizes the fields of `record` (a T), then checks its
  // references and unique keys against the staged store.
  template <typename T>
  Status CheckRecord(Record& record) const;
  template <typename T>
  Status CheckReferences(const T& record) const;
  Status CheckUniqueKeys(const Record& record) const;
  template <typename T>
  Status DeleteChecked(MDB_txn* txn, const T& old, bool cascade, Micros now);
  void Emit(MDB_txn* txn, std::optional<Record> record, std::optional<Record> old);
  // Assigns the entry its sequence and time, writes it and its index keys.
  void PutAudit(MDB_txn* txn, AuditEntry entry);
  static void PutAuditIndexes(MDB_txn* txn, const MDB_dbi* dbis, const AuditEntry& entry);
  // Builds the ops of a handover from the staged state; false (with
  // unit.status set) when the handover cannot be done.
  bool BuildHandover(Pending& unit);
  void Enqueue(std::unique_ptr<Pending> pending);
  // Reads audit entry `sequence` in `txn`.
  Status ReadAudit(MDB_txn* txn, uint64_t sequence, AuditEntry* out) const;
  void PutMeta(MDB_txn* txn, const Counters& counters);
  void Publish(std::vector<Effect>& effects);
  void GrowMap();

  // Guards store_, value_ and published_audit_sequence_.
  mutable RwLock lock_;
  Store store_;
  std::unique_ptr<ValueModel> value_;
  uint64_t published_audit_sequence_ = 0;

  MDB_env* env_ = nullptr;
  MDB_dbi dbis_[kDbiCount] = {};
  int lock_fd_ = -1;
  // Held shared by LMDB read transactions, exclusive while the map is resized.
  mutable std::shared_mutex map_mu_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;
  bool stopping_ = false;
  std::thread writer_;

  // Written by the writer thread, read by anyone.
  std::atomic<uint64_t> batches_{0}, batched_ops_{0}, commit_micros_{0}, map_growths_{0},
      value_nanos_{0}, value_customers_{0}, last_rescore_micros_{0};
  std::atomic<uint64_t> user_generation_{0};
  // The time of the last batch: batch times never go back, so audit times
  // grow with the sequence even if the clock steps back.
  Micros last_batch_now_ = 0;

  // Writer-thread state.
  Counters committed_;  // as of the last commit
  // Per batch:
  Counters counters_;
  std::unique_ptr<Staging> staging_;
  std::vector<Effect> effects_;
  Micros batch_now_ = 0;
  const Actor* actor_ = nullptr;
  // The field check of the op being applied (see Pending::fields); nullptr
  // for ops that did not come through Enqueue.
  const Status* fields_ = nullptr;

  // One backup at a time, on its own thread (joined before LMDB closes).
  std::mutex backup_mu_;
  bool backup_running_ = false;
  std::thread backup_thread_;
  const std::string* note_ = nullptr;
};

// ------------------------------------------------------------------- open

EngineImpl::~EngineImpl() {
  {
    std::lock_guard lock(backup_mu_);
    if (backup_thread_.joinable()) backup_thread_.join();
  }
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
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
  MDB_val key{4, const_cast<char*>("meta")};
  MDB_val value;
  rc = mdb_get(txn.get(), dbis_[kMeta], &key, &value);
  if (rc == MDB_NOTFOUND) {
    PutMeta(txn.get(), committed_);
    rc = txn.Commit();
    return rc == 0 ? Status::Ok() : LmdbError(rc, "writing the meta record");
  }
  if (rc != 0) return LmdbError(rc, "reading the meta record");
  uint64_t indexed_through = 0;
  std::vector<capnp::word> scratch(value.mv_size / sizeof(capnp::word) + 1);
  std::memcpy(scratch.data(), value.mv_data, value.mv_size);
  try {
    capnp::FlatArrayMessageReader reader(
        kj::ArrayPtr<const capnp::word>(scratch.data(), value.mv_size / sizeof(capnp::word)));
    auto meta = reader.getRoot<schema::Meta>();
    if (meta.getSchemaVersion() > kSchemaVersion) {
      return Status::Unavailable(
          "data directory " + options_.data_dir + " was written by schema version " +
          std::to_string(meta.getSchemaVersion()) + "; this build reads versions up to " +
          std::to_string(kSchemaVersion) + ": open it with a newer crm");
    }
    auto ids = meta.getLastIds();
    for (unsigned i = 0; i < ids.size() && i < committed_.last_ids.size(); ++i) {
      committed_.last_ids[i] = ids[i];
    }
    committed_.audit_sequence = meta.getLastAuditSequence();
    indexed_through = meta.getAuditIndexedThrough();
  } catch (const kj::Exception& e) {
    return Status::Unavailable(std::string("the meta record is corrupt: ") +
                               e.getDescription().cStr());
  }
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
  return IndexAuditLog(indexed_through);
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
        if (end == last) PutMeta(txn, committed_);  // records the log as indexed
      } catch (const LmdbFailure& failure) {
        return failure.rc;
      }
      return 0;
    });
    if (!unreadable.ok()) return Status::Unavailable("indexing the audit log: " + unreadable.message());
    CRM_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

void EngineImpl::PutMeta(MDB_txn* txn, const Counters& counters) {
  capnp::MallocMessageBuilder message(64);
  auto meta = message.initRoot<schema::Meta>();
  meta.setSchemaVersion(kSchemaVersion);
  auto ids = meta.initLastIds(static_cast<unsigned>(counters.last_ids.size()));
  for (unsigned i = 0; i < counters.last_ids.size(); ++i) ids.set(i, counters.last_ids[i]);
  meta.setLastAuditSequence(counters.audit_sequence);
  meta.setAuditIndexedThrough(counters.audit_sequence);
  auto words = capnp::messageToFlatArray(message);
  MDB_val key{4, const_cast<char*>("meta")};
  MDB_val value{words.asBytes().size(), words.asBytes().begin()};
  int rc = mdb_put(txn, dbis_[kMeta], &key, &value, 0);
  if (rc != 0) throw LmdbFailure{rc, "writing the meta record"};
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
    return Status::Unavailable(std::string("data directory is corrupt: ") + kDbiNames[dbi] +
                               ": " + what);
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

// Start-up load on two threads: a helper decodes every history (most of the
// data) into per-customer vectors while this thread loads the other tables;
// the decoded vectors are then moved into the store whole. The helper touches
// only LMDB and its own vectors, never the store.
Status EngineImpl::Load() {
  std::shared_lock map_lock(map_mu_);
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

  std::unique_lock lock(lock_);
  Status s = [&]() -> Status {
    int rc = 0;
    Txn txn(env_, nullptr, MDB_RDONLY, &rc);
    if (rc != 0) return LmdbError(rc, "begin load transaction");
    CRM_RETURN_IF_ERROR(LoadTable<User>(txn.get(), kUsers));
    CRM_RETURN_IF_ERROR(LoadTable<Customer>(txn.get(), kCustomers));
    CRM_RETURN_IF_ERROR(LoadTable<Contact>(txn.get(), kContacts));
    CRM_RETURN_IF_ERROR(LoadTable<Opportunity>(txn.get(), kOpportunities));
    CRM_RETURN_IF_ERROR(LoadTable<Contract>(txn.get(), kContracts));
    return LoadTable<Task>(txn.get(), kTasks);
  }();
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

// ------------------------------------------------------------------ writes

void EngineImpl::Enqueue(const Actor& actor, std::vector<WriteOp> ops, bool atomic,
                         bool dry_run, WriteCallback done) {
  if (ops.empty()) {
    done({});
    return;
  }
  auto pending = std::make_unique<Pending>();
  pending->actor = actor;
  pending->ops = std::move(ops);
  pending->atomic = atomic;
  pending->dry_run = dry_run;
  pending->fields.reserve(pending->ops.size());
  for (WriteOp& op : pending->ops) {
    bool has_record = op.kind == WriteKind::kCreate || op.kind == WriteKind::kUpdate ||
                      op.kind == WriteKind::kImport;
    pending->fields.push_back(has_record ? ValidateFields(op.record, options_.default_region)
                                         : Status::Ok());
  }
  pending->done = std::move(done);
  Enqueue(std::move(pending));
}

void EngineImpl::Enqueue(std::unique_ptr<Pending> pending) {
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(pending));
  }
  queue_cv_.notify_one();
}

void EngineImpl::AuditDenialAsync(const Actor& actor, Denial denial,
                                  std::function<void(Status)> done) {
  auto pending = std::make_unique<Pending>();
  pending->actor = actor;
  pending->denial = std::move(denial);
  pending->finish = [done = std::move(done)](Pending& unit) { done(unit.status); };
  Enqueue(std::move(pending));
}

void EngineImpl::HandoverAsync(const Actor& actor, HandoverSpec spec,
                               std::function<void(Result<HandoverResult>)> done) {
  auto pending = std::make_unique<Pending>();
  pending->actor = actor;
  pending->note = "handover of user " + std::to_string(spec.from);
  pending->handover = std::move(spec);
  pending->atomic = true;
  pending->finish = [done = std::move(done)](Pending& unit) {
    if (!unit.status.ok()) return done(unit.status);
    done(std::move(unit.handover_result));
  };
  Enqueue(std::move(pending));
}

std::vector<std::unique_ptr<Pending>> EngineImpl::TakeBatch(bool* stopping) {
  std::unique_lock lock(queue_mu_);
  queue_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); });
  *stopping = stopping_;
  std::vector<std::unique_ptr<Pending>> batch;
  if (!queue_.empty() && queue_.front()->task) {
    batch.push_back(std::move(queue_.front()));  // a task runs alone
    queue_.pop_front();
    return batch;
  }
  size_t ops = 0;
  while (!queue_.empty() && !queue_.front()->task &&
         (batch.empty() || ops + queue_.front()->ops.size() <= options_.max_batch)) {
    ops += queue_.front()->ops.size();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void EngineImpl::WriterLoop() {
  for (;;) {
    bool stopping = false;
    std::vector<std::unique_ptr<Pending>> batch = TakeBatch(&stopping);
    if (options_.value_refresh > 0 && Now() - value_->as_of() >= options_.value_refresh) {
      Status s = DoReage(Now());
      if (!s.ok()) std::fprintf(stderr, "crm: re-ageing the value model: %s\n", s.ToString().c_str());
    }
    if (batch.empty()) {
      if (stopping) return;
      continue;
    }
    if (batch.front()->task) {
      batch.front()->task();
      continue;
    }
    ProcessBatch(batch);
  }
}

void EngineImpl::ProcessBatch(std::vector<std::unique_ptr<Pending>>& batch) {
  batch_now_ = std::max(Now(), last_batch_now_);
  last_batch_now_ = batch_now_;
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    counters_ = committed_;
    staging_ = std::make_unique<Staging>(store_);
    effects_.clear();
    int rc = 0;
    std::string what;
    {
      Txn txn(env_, nullptr, 0, &rc);
      if (rc == 0) {
        try {
          for (auto& unit : batch) RunUnit(txn.get(), *unit);
          PutMeta(txn.get(), counters_);
          rc = txn.Commit();
          what = "committing a write batch";
        } catch (const LmdbFailure& failure) {
          rc = failure.rc;
          what = failure.what;
        }
      } else {
        what = "beginning a write transaction";
      }
    }
    if (rc == MDB_MAP_FULL) {
      map_growths_.fetch_add(1, std::memory_order_relaxed);
      GrowMap();
      for (auto& unit : batch) unit->results.clear();
      continue;
    }
    if (rc != 0) {
      Status failed = LmdbError(rc, what);
      for (auto& unit : batch) {
        unit->results.assign(unit->ops.size(), WriteResult{failed, 0, 0});
        unit->status = failed;
      }
    } else {
      Publish(effects_);
      committed_ = counters_;
      size_t ops = 0;
      for (auto& unit : batch) ops += unit->ops.size();
      batches_.fetch_add(1, std::memory_order_relaxed);
      batched_ops_.fetch_add(ops, std::memory_order_relaxed);
      commit_micros_.fetch_add(MicrosSince(started), std::memory_order_relaxed);
    }
    staging_.reset();
    effects_.clear();
    // Callbacks may queue further writes (the queue has its own lock).
    for (auto& unit : batch) {
      if (unit->finish) {
        unit->finish(*unit);
      } else {
        unit->done(std::move(unit->results));
      }
    }
    return;
  }
}

void EngineImpl::GrowMap() {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  size_t grown = info.me_mapsize * 2;
  std::unique_lock map_lock(map_mu_);
  mdb_env_set_mapsize(env_, grown);
}

void EngineImpl::Publish(std::vector<Effect>& effects) {
  std::unique_lock lock(lock_);
  std::chrono::nanoseconds in_value{0};
  bool users_changed = false;
  for (Effect& e : effects) {
    auto started = std::chrono::steady_clock::now();
    users_changed = users_changed || KindOf(e.record ? *e.record : *e.old) == EntityKind::kUser;
    if (e.record) {
      value_->OnPut(e.old ? &*e.old : nullptr, *e.record);
      in_value += std::chrono::steady_clock::now() - started;
      store_.Put(std::move(*e.record));
    } else {
      value_->OnRemove(*e.old);
      in_value += std::chrono::steady_clock::now() - started;
      store_.Remove(KindOf(*e.old), IdOf(*e.old));
    }
  }
  auto started = std::chrono::steady_clock::now();
  size_t rescored = value_->Finish(store_);
  in_value += std::chrono::steady_clock::now() - started;
  value_nanos_.fetch_add(static_cast<uint64_t>(in_value.count()), std::memory_order_relaxed);
  value_customers_.fetch_add(rescored, std::memory_order_relaxed);
  published_audit_sequence_ = counters_.audit_sequence;
  if (users_changed) user_generation_.fetch_add(1, std::memory_order_acq_rel);
}

void EngineImpl::RunUnit(MDB_txn* txn, Pending& unit) {
  actor_ = &unit.actor;
  note_ = &unit.note;
  unit.results.clear();
  unit.status = Status::Ok();
  if (unit.denial) {
    AuditEntry entry;
    entry.user = unit.actor.user;
    entry.kind = WriteKind::kDenied;
    entry.entity = unit.denial->entity;
    entry.record = unit.denial->record;
    entry.permission = unit.denial->permission;
    entry.message = unit.denial->message;
    PutAudit(txn, std::move(entry));
    return;
  }
  if (unit.handover && !BuildHandover(unit)) return;
  if (!unit.dry_run && (!unit.atomic || unit.ops.size() == 1)) {
    for (size_t i = 0; i < unit.ops.size(); ++i) {
      fields_ = FieldsOf(unit, i);
      unit.results.push_back(ApplyOp(txn, unit.actor, unit.ops[i]));
      if (unit.status.ok() && !unit.results.back().status.ok()) {
        unit.status = unit.results.back().status;
      }
    }
    fields_ = nullptr;
    return;
  }
  // All or nothing (or, for a dry run, always nothing): a nested LMDB
  // transaction and a staging mark to roll back to.
  size_t mark = staging_->Mark();
  size_t effects_mark = effects_.size();
  Counters counters_mark = counters_;
  int rc = 0;
  Txn child(env_, txn, 0, &rc);
  if (rc != 0) throw LmdbFailure{rc, "beginning a nested transaction"};
  size_t failed = unit.ops.size();
  for (size_t i = 0; i < unit.ops.size(); ++i) {
    fields_ = FieldsOf(unit, i);
    unit.results.push_back(ApplyOp(child.get(), unit.actor, unit.ops[i]));
    if (!unit.results.back().status.ok() && unit.atomic) {
      failed = i;
      break;
    }
  }
  fields_ = nullptr;
  if (failed == unit.ops.size() && !unit.dry_run) {
    rc = child.Commit();
    if (rc != 0) throw LmdbFailure{rc, "committing a nested transaction"};
    return;
  }
  if (failed < unit.ops.size()) unit.status = unit.results[failed].status;
  child.Abort();
  staging_->RollbackTo(mark);
  effects_.resize(effects_mark);
  counters_ = counters_mark;
  if (failed == unit.ops.size()) return;  // a dry run: each op's result stands
  Status cause = unit.results[failed].status;
  unit.results.resize(unit.ops.size());
  for (size_t i = 0; i < unit.ops.size(); ++i) {
    if (i == failed) continue;
    unit.results[i] = WriteResult{
        Status::Conflict("not applied: op " + std::to_string(failed) +
                         " of the atomic batch failed: " + cause.ToString()),
        0, 0};
  }
}

WriteResult EngineImpl::ApplyOp(MDB_txn* txn, const Actor& actor, WriteOp& op) {
  WriteResult result;
  // The record is copied, never moved out of `op`: a batch that hits
  // MDB_MAP_FULL is redone from the same ops after the map grows.
  switch (op.kind) {
    case WriteKind::kCreate:
      result = std::visit([&](const auto& r) { return ApplyCreate(txn, r); }, op.record);
      break;
    case WriteKind::kUpdate:
      result = std::visit([&](const auto& r) { return ApplyUpdate(txn, r); }, op.record);
      break;
    case WriteKind::kDelete:
      result = ApplyDelete(txn, op.entity, op.id, op.cascade, op.revision);
      break;
    case WriteKind::kImport:
      result = std::visit([&](const auto& r) { return ApplyImport(txn, r, op.replace); },
                          op.record);
      break;
    default:
      return WriteResult{Status::InvalidArgument("unknown write kind", "kind"), 0, 0};
  }
  (void)actor;  // audited per record changed, in Emit()
  return result;
}

namespace {

// Fields of T the server owns, set on create and kept on update.
template <typename T>
void StampCreate(T& r, Id id, Micros now) {
  r.id = id;
  r.revision = 1;
  r.created_at = now;
  r.updated_at = now;
  if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
    if (r.time == 0) r.time = now;
  }
  if constexpr (std::is_same_v<T, Task>) {
    if (r.done && r.done_at == 0) r.done_at = now;
    if (!r.done) r.done_at = 0;
  }
}

template <typename T>
Id CustomerOf(const T& r) {
  if constexpr (std::is_same_v<T, Customer> || std::is_same_v<T, User>) {
    return 0;
  } else {
    return r.customer;
  }
}

}  // namespace

template <typename T>
Status EngineImpl::CheckRecord(Record& record) const {
  if (fields_ != nullptr) {
    CRM_RETURN_IF_ERROR(*fields_);  // checked and normalized by Enqueue
  } else {
    CRM_RETURN_IF_ERROR(ValidateFields(record, options_.default_region));
  }
  CRM_RETURN_IF_ERROR(CheckReferences(std::get<T>(record)));
  return CheckUniqueKeys(record);
}

template <typename T>
WriteResult EngineImpl::ApplyCreate(MDB_txn* txn, T record) {
  std::string entity(Name(EntityOf<T>));
  if (record.id != 0) {
    return {Status::InvalidArgument("must be 0 on create: the server assigns ids", entity + ".id"),
            0, 0};
  }
  Record wrapped(std::move(record));
  if (Status s = CheckRecord<T>(wrapped); !s.ok()) return {std::move(s), 0, 0};
  Id id = ++counters_.last_ids[static_cast<size_t>(EntityOf<T>)];
  StampCreate(std::get<T>(wrapped), id, batch_now_);
  Emit(txn, std::move(wrapped), std::nullopt);
  return {Status::Ok(), id, 1};
}

template <typename T>
WriteResult EngineImpl::ApplyUpdate(MDB_txn* txn, T record) {
  std::string entity(Name(EntityOf<T>));
  const T* old = staging_->Find<T>(record.id);
  if (old == nullptr) {
    return {Status::NotFound("no " + Describe(EntityOf<T>, record.id), entity + ".id"), 0, 0};
  }
  if (record.revision != 0 && record.revision != old->revision) {
    return {Status::Conflict(Describe(EntityOf<T>, record.id) + " is at revision " +
                                 std::to_string(old->revision) + ", not " +
                                 std::to_string(record.revision) +
                                 ": it changed since you read it; read it again",
                             entity + ".revision"),
            0, 0};
  }
  if (CustomerOf(record) != CustomerOf(*old)) {
    return {Status::InvalidArgument("cannot move to another customer; delete and re-create it",
                                    entity + ".customer"),
            0, 0};
  }
  Record wrapped(std::move(record));
  if (Status s = CheckRecord<T>(wrapped); !s.ok()) return {std::move(s), 0, 0};
  T& r = std::get<T>(wrapped);
  r.revision = old->revision + 1;
  r.created_at = old->created_at;
  r.updated_at = batch_now_;
  if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
    if (r.time == 0) r.time = old->time;
  }
  if constexpr (std::is_same_v<T, Task>) {
    if (r.done && r.done_at == 0) r.done_at = old->done ? old->done_at : batch_now_;
    if (!r.done) r.done_at = 0;
  }
  Id id = r.id;
  uint64_t revision = r.revision;
  Emit(txn, std::move(wrapped), Record(*old));
  return {Status::Ok(), id, revision};
}

// Ids an import may use: at most this far beyond the largest id in use, so
// a stray id cannot make the dense tables allocate without bound.
constexpr Id kMaxImportIdLead = Id{1} << 26;

template <typename T>
WriteResult EngineImpl::ApplyImport(MDB_txn* txn, T record, bool replace) {
  std::string entity(Name(EntityOf<T>));
  Id& last_id = counters_.last_ids[static_cast<size_t>(EntityOf<T>)];
  if (record.id == 0) {
    return {Status::InvalidArgument("an imported record keeps its id, so it needs one",
                                    entity + ".id"),
            0, 0};
  }
  if (record.id > last_id + kMaxImportIdLead) {
    return {Status::InvalidArgument("id " + std::to_string(record.id) + " is more than " +
                                        std::to_string(kMaxImportIdLead) +
                                        " beyond the largest " + entity +
                                        " id in use; import records in id order",
                                    entity + ".id"),
            0, 0};
  }
  const T* old = staging_->Find<T>(record.id);
  if (old != nullptr && !replace) {
    return {Status::AlreadyExists(Describe(EntityOf<T>, record.id) + " already exists",
                                  entity + ".id", record.id),
            0, 0};
  }
  if (old != nullptr && CustomerOf(record) != CustomerOf(*old)) {
    return {Status::InvalidArgument("cannot move to another customer; delete and re-create it",
                                    entity + ".customer"),
            0, 0};
  }
  // A new record is checked as the create it is (id 0: it holds no keys and
  // has no children yet), then gets its id back.
  const Id id_given = record.id;
  if (old == nullptr) record.id = 0;
  Record wrapped(std::move(record));
  if (Status s = CheckRecord<T>(wrapped); !s.ok()) return {std::move(s), 0, 0};
  T& r = std::get<T>(wrapped);
  r.id = id_given;
  if (r.revision == 0) r.revision = 1;
  if (r.created_at == 0) r.created_at = batch_now_;
  if (r.updated_at == 0) r.updated_at = r.created_at;
  if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
    if (r.time == 0) r.time = batch_now_;
  }
  if constexpr (std::is_same_v<T, Task>) {
    if (r.done && r.done_at == 0) r.done_at = batch_now_;
    if (!r.done) r.done_at = 0;
  }
  last_id = std::max(last_id, r.id);
  Id id = r.id;
  uint64_t revision = r.revision;
  Emit(txn, std::move(wrapped), old ? std::optional<Record>(Record(*old)) : std::nullopt);
  return {Status::Ok(), id, revision};
}

template <typename T>
Status EngineImpl::CheckReferences(const T& r) const {
  std::string entity(Name(EntityOf<T>));
  auto user_exists = [&](Id user, const char* field) {
    if (user == 0 || staging_->Find<User>(user) != nullptr) return Status::Ok();
    return Status::NotFound("no user has id " + std::to_string(user), entity + "." + field);
  };
  const Customer* customer = nullptr;
  if constexpr (!std::is_same_v<T, Customer> && !std::is_same_v<T, User>) {
    if (r.customer != 0) {
      customer = staging_->Find<Customer>(r.customer);
      if (customer == nullptr) {
        return Status::NotFound("no customer has id " + std::to_string(r.customer),
                                entity + ".customer");
      }
    }
  }
  auto belongs = [&](const auto* found, Id id, const char* kind, const char* field) {
    if (id == 0) return Status::Ok();
    if (found == nullptr) {
      return Status::NotFound("no " + std::string(kind) + " has id " + std::to_string(id),
                              entity + "." + field);
    }
    if (found->customer != CustomerOf(r)) {
      return Status::InvalidArgument(std::string(kind) + " " + std::to_string(id) +
                                         " belongs to customer " +
                                         std::to_string(found->customer) + ", not " +
                                         std::to_string(CustomerOf(r)),
                                     entity + "." + field);
    }
    return Status::Ok();
  };
  if constexpr (std::is_same_v<T, Customer>) {
    CRM_RETURN_IF_ERROR(user_exists(r.owner, "owner"));
    for (size_t i = 0; i < r.relations.size(); ++i) {
      std::string field = "customer.relations[" + std::to_string(i) + "].customer";
      if (r.relations[i].customer == r.id) {
        return Status::InvalidArgument("a customer cannot relate to itself", field);
      }
      if (staging_->Find<Customer>(r.relations[i].customer) == nullptr) {
        return Status::NotFound("no customer has id " + std::to_string(r.relations[i].customer),
                                field);
      }
    }
    if (r.id != 0 && r.kind != CustomerKind::kOrganization &&
        !staging_->Children<Contact>(r.id).empty()) {
      return Status::InvalidArgument(
          "contacts belong to organizations; delete customer " + std::to_string(r.id) +
              "'s contacts before making it an individual",
          "customer.kind");
    }
  } else if constexpr (std::is_same_v<T, Contact>) {
    if (customer->kind != CustomerKind::kOrganization) {
      return Status::InvalidArgument("contacts belong to organizations; customer " +
                                         std::to_string(r.customer) + " is an individual",
                                     "contact.customer");
    }
  } else if constexpr (std::is_same_v<T, Interaction>) {
    CRM_RETURN_IF_ERROR(belongs(staging_->Find<Contact>(r.contact), r.contact, "contact", "contact"));
    CRM_RETURN_IF_ERROR(user_exists(r.agent, "agent"));
    CRM_RETURN_IF_ERROR(belongs(staging_->Find<Opportunity>(r.opportunity), r.opportunity,
                                "opportunity", "opportunity"));
  } else if constexpr (std::is_same_v<T, Opportunity>) {
    CRM_RETURN_IF_ERROR(user_exists(r.owner, "owner"));
  } else if constexpr (std::is_same_v<T, Contract>) {
    CRM_RETURN_IF_ERROR(belongs(staging_->Find<Opportunity>(r.opportunity), r.opportunity,
                                "opportunity", "opportunity"));
    CRM_RETURN_IF_ERROR(user_exists(r.owner, "owner"));
  } else if constexpr (std::is_same_v<T, Task>) {
    CRM_RETURN_IF_ERROR(user_exists(r.assignee, "assignee"));
  }
  return Status::Ok();
}

Status EngineImpl::CheckUniqueKeys(const Record& record) const {
  KeyOwner self;
  const std::vector<std::string>* phones = nullptr;
  const std::vector<std::string>* emails = nullptr;
  std::string entity;
  if (auto* c = std::get_if<Customer>(&record)) {
    self = {c->id, 0};
    phones = &c->phones;
    emails = &c->emails;
    entity = "customer";
    if (!c->external_ref.empty()) {
      Id owner = staging_->ExternalRefOwner(c->external_ref);
      if (owner != 0 && (c->id == 0 || owner != c->id)) {
        return Status::AlreadyExists(
            "external ref \"" + c->external_ref + "\" already belongs to customer " +
                std::to_string(owner),
            "customer.external_ref", owner);
      }
    }
  } else if (auto* c = std::get_if<Contact>(&record)) {
    self = {c->customer, c->id};
    phones = &c->phones;
    emails = &c->emails;
    entity = "contact";
  } else {
    return Status::Ok();
  }
  auto check = [&](const std::vector<std::string>& keys, bool phone) {
    for (size_t i = 0; i < keys.size(); ++i) {
      KeyOwner owner = phone ? staging_->PhoneOwner(keys[i]) : staging_->EmailOwner(keys[i]);
      if (owner.customer == 0) continue;
      // A key is the record's own only when this very record holds it: a new
      // contact (id 0) holds nothing, and a contact never shares a key with
      // its organization.
      bool is_self = entity == "customer"
                         ? self.customer != 0 && owner.contact == 0 &&
                               owner.customer == self.customer
                         : self.contact != 0 && owner.contact == self.contact;
      if (is_self) continue;
      std::string holder = owner.contact
                               ? "contact " + std::to_string(owner.contact) + " of customer " +
                                     std::to_string(owner.customer)
                               : "customer " + std::to_string(owner.customer);
      return Status::AlreadyExists(
          std::string(phone ? "phone " : "email ") + keys[i] + " already belongs to " + holder,
          entity + (phone ? ".phones[" : ".emails[") + std::to_string(i) + "]", owner.customer);
    }
    return Status::Ok();
  };
  CRM_RETURN_IF_ERROR(check(*phones, true));
  return check(*emails, false);
}

WriteResult EngineImpl::ApplyDelete(MDB_txn* txn, EntityKind kind, Id id, bool cascade,
                                    uint64_t expected_revision) {
  auto run = [&](const auto* old) -> WriteResult {
    if (old == nullptr) return {Status::NotFound("no " + Describe(kind, id), "id"), 0, 0};
    if (expected_revision != 0 && expected_revision != old->revision) {
      return {Status::Conflict(Describe(kind, id) + " is at revision " +
                                   std::to_string(old->revision) + ", not " +
                                   std::to_string(expected_revision) +
                                   ": it changed since you read it; read it again",
                               "revision"),
              0, 0};
    }
    uint64_t revision = old->revision;  // `old` dies with the delete
    Status s = DeleteChecked(txn, *old, cascade, batch_now_);
    if (!s.ok()) return {std::move(s), 0, 0};
    return {Status::Ok(), id, revision};
  };
  switch (kind) {
    case EntityKind::kCustomer: return run(staging_->Find<Customer>(id));
    case EntityKind::kContact: return run(staging_->Find<Contact>(id));
    case EntityKind::kInteraction: return run(staging_->Find<Interaction>(id));
    case EntityKind::kTransaction: return run(staging_->Find<Transaction>(id));
    case EntityKind::kOpportunity: return run(staging_->Find<Opportunity>(id));
    case EntityKind::kContract: return run(staging_->Find<Contract>(id));
    case EntityKind::kTask: return run(staging_->Find<Task>(id));
    case EntityKind::kUser: return run(staging_->Find<User>(id));
  }
  return {Status::InvalidArgument("unknown entity kind", "entity"), 0, 0};
}

template <typename T>
Status EngineImpl::DeleteChecked(MDB_txn* txn, const T& old, bool cascade, Micros now) {
  if constexpr (std::is_same_v<T, User>) {
    return Status::Conflict(
        "users are never deleted, so the history they wrote keeps its author: set active = "
        "false instead",
        "id");
  } else if constexpr (std::is_same_v<T, Contact> || std::is_same_v<T, Opportunity>) {
    // Refuse while history still points at it.
    size_t refs = 0;
    for (Id i : staging_->Children<Interaction>(old.customer)) {
      const Interaction* interaction = staging_->Find<Interaction>(i);
      if constexpr (std::is_same_v<T, Contact>) {
        refs += interaction->contact == old.id;
      } else {
        refs += interaction->opportunity == old.id;
      }
    }
    if constexpr (std::is_same_v<T, Opportunity>) {
      for (Id c : staging_->Children<Contract>(old.customer)) {
        refs += staging_->Find<Contract>(c)->opportunity == old.id;
      }
    }
    if (refs > 0) {
      return Status::Conflict(Describe(EntityOf<T>, old.id) + " is referenced by " +
                                  std::to_string(refs) +
                                  " interactions or contracts; unlink them first",
                              "id");
    }
  } else if constexpr (std::is_same_v<T, Customer>) {
    auto contacts = staging_->Children<Contact>(old.id);
    auto interactions = staging_->Children<Interaction>(old.id);
    auto transactions = staging_->Children<Transaction>(old.id);
    auto opportunities = staging_->Children<Opportunity>(old.id);
    auto contracts = staging_->Children<Contract>(old.id);
    auto tasks = staging_->Children<Task>(old.id);
    auto referrers = staging_->Referrers(old.id);
    size_t total = contacts.size() + interactions.size() + transactions.size() +
                   opportunities.size() + contracts.size() + tasks.size() + referrers.size();
    if (total > 0 && !cascade) {
      return Status::Conflict(
          "customer " + std::to_string(old.id) + " still has " + std::to_string(contacts.size()) +
              " contacts, " + std::to_string(interactions.size()) + " interactions, " +
              std::to_string(transactions.size()) + " transactions, " +
              std::to_string(opportunities.size()) + " opportunities, " +
              std::to_string(contracts.size()) + " contracts, " + std::to_string(tasks.size()) +
              " tasks and " + std::to_string(referrers.size()) +
              " related customers; delete with cascade to remove them too",
          "id");
    }
    auto remove_all = [&](const auto& ids, auto tag) {
      using C = decltype(tag);
      for (Id i : ids) Emit(txn, std::nullopt, Record(*staging_->Find<C>(i)));
    };
    remove_all(interactions, Interaction{});
    remove_all(transactions, Transaction{});
    remove_all(contracts, Contract{});
    remove_all(tasks, Task{});
    remove_all(opportunities, Opportunity{});
    remove_all(contacts, Contact{});
    for (Id r : referrers) {
      Customer other = *staging_->Find<Customer>(r);
      Record before(other);
      std::erase_if(other.relations, [&](const Relation& rel) { return rel.customer == old.id; });
      other.revision += 1;
      other.updated_at = now;
      Emit(txn, Record(std::move(other)), std::move(before));
    }
  }
  Emit(txn, std::nullopt, Record(old));
  return Status::Ok();
}

void EngineImpl::Emit(MDB_txn* txn, std::optional<Record> record, std::optional<Record> old) {
  const Record& any = record ? *record : *old;
  MDB_dbi dbi = dbis_[DbiFor(KindOf(any))];
  int rc = 0;
  if (old) {
    Key old_key = KeyOfRecord(*old);
    Key new_key = record ? KeyOfRecord(*record) : Key{};
    bool same_key = record && new_key.size == old_key.size && new_key.bytes == old_key.bytes;
    if (!same_key) {
      MDB_val k = old_key.val();
      rc = mdb_del(txn, dbi, &k, nullptr);
      if (rc != 0) throw LmdbFailure{rc, "deleting " + Describe(KindOf(any), IdOf(any))};
    }
  }
  if (record) {
    Key key = KeyOfRecord(*record);
    auto words = EncodeRecord(*record);
    MDB_val k = key.val();
    MDB_val v{words.asBytes().size(), words.asBytes().begin()};
    rc = mdb_put(txn, dbi, &k, &v, 0);
    if (rc != 0) throw LmdbFailure{rc, "writing " + Describe(KindOf(any), IdOf(any))};
    staging_->Put(*record, old ? &*old : nullptr);
  } else {
    staging_->Remove(*old);
  }
  AuditEntry entry;
  entry.user = actor_ != nullptr ? actor_->user : 0;
  entry.kind = !old ? WriteKind::kCreate : record ? WriteKind::kUpdate : WriteKind::kDelete;
  entry.entity = KindOf(any);
  entry.record = IdOf(any);
  if (old) entry.old_value = ForAudit(*old);
  if (record) entry.new_value = ForAudit(*record);
  if (note_ != nullptr) entry.message = *note_;
  PutAudit(txn, std::move(entry));
  effects_.push_back(Effect{std::move(record), std::move(old)});
}

void EngineImpl::PutAudit(MDB_txn* txn, AuditEntry entry) {
  entry.sequence = ++counters_.audit_sequence;
  entry.time = batch_now_;
  capnp::MallocMessageBuilder message(256);
  Encode(entry, message.initRoot<schema::AuditEntry>());
  auto words = capnp::messageToFlatArray(message);
  Key key = IdKey(entry.sequence);
  MDB_val k = key.val();
  MDB_val v{words.asBytes().size(), words.asBytes().begin()};
  int rc = mdb_put(txn, dbis_[kAudit], &k, &v, MDB_APPEND);
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

template <typename T>
void EngineImpl::ScanTable(Id after, uint32_t limit, std::vector<Record>* out) const {
  const Id end = store_.EndId<T>();
  for (Id id = after + 1; id < end && out->size() < limit; ++id) {
    if (const T* r = store_.Find<T>(id)) out->push_back(*r);
  }
}

Result<std::vector<Record>> EngineImpl::Scan(EntityKind kind, Id after, uint32_t limit) const {
  if (limit == 0 || limit > 100000) {
    return Status::InvalidArgument("limit must be between 1 and 100000", "limit");
  }
  std::vector<Record> out;
  if (after == UINT64_MAX) return out;
  out.reserve(std::min<uint32_t>(limit, 4096));
  std::shared_lock lock(lock_);
  switch (kind) {
    case EntityKind::kCustomer: ScanTable<Customer>(after, limit, &out); break;
    case EntityKind::kContact: ScanTable<Contact>(after, limit, &out); break;
    case EntityKind::kInteraction: ScanTable<Interaction>(after, limit, &out); break;
    case EntityKind::kTransaction: ScanTable<Transaction>(after, limit, &out); break;
    case EntityKind::kOpportunity: ScanTable<Opportunity>(after, limit, &out); break;
    case EntityKind::kContract: ScanTable<Contract>(after, limit, &out); break;
    case EntityKind::kTask: ScanTable<Task>(after, limit, &out); break;
    case EntityKind::kUser: ScanTable<User>(after, limit, &out); break;
    default: return Status::InvalidArgument("unknown entity kind", "entity");
  }
  return out;
}

// ------------------------------------------------------------------ backup

void EngineImpl::BackupAsync(const BackupOptions& options,
                             std::function<void(Result<BackupInfo>)> done) {
  std::unique_lock lock(backup_mu_);
  if (backup_running_) {
    lock.unlock();
    done(Status::Unavailable("a backup is already running; wait for it to finish"));
    return;
  }
  if (backup_thread_.joinable()) backup_thread_.join();  // the previous one, finished
  backup_running_ = true;
  backup_thread_ = std::thread([this, options, done = std::move(done)] {
    Result<BackupInfo> info = RunBackup(options);
    {
      std::lock_guard finished(backup_mu_);
      backup_running_ = false;
    }
    done(std::move(info));
  });
}

Result<BackupInfo> EngineImpl::RunBackup(const BackupOptions& options) {
  namespace fs = std::filesystem;
  auto started = std::chrono::steady_clock::now();
  if (options.path.empty()) return Status::InvalidArgument("a backup needs a target", "path");
  const unsigned flags = options.compact ? MDB_CP_COMPACT : 0;
  std::error_code ec;
  std::string data_file;
  int rc = 0;
  if (options.single_file) {
    data_file = options.path;
    int fd = open(data_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status::InvalidArgument("cannot create backup file " + data_file + ": " +
                                         std::strerror(errno) + " (it must not exist yet)",
                                     "path");
    }
    {
      std::shared_lock map_lock(map_mu_);
      rc = mdb_env_copyfd2(env_, fd, flags);
    }
    if (rc == 0 && fsync(fd) != 0) rc = errno;
    close(fd);
  } else {
    if (fs::exists(options.path, ec) && !fs::is_empty(options.path, ec)) {
      return Status::InvalidArgument(
          "backup directory " + options.path + " is not empty; choose a new one", "path");
    }
    fs::create_directories(options.path, ec);
    if (ec) {
      return Status::InvalidArgument(
          "cannot create backup directory " + options.path + ": " + ec.message(), "path");
    }
    data_file = options.path + "/data.mdb";
    {
      std::shared_lock map_lock(map_mu_);
      rc = mdb_env_copy2(env_, options.path.c_str(), flags);
    }
    if (rc == 0) {
      int fd = open(data_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || fsync(fd) != 0) rc = errno;
      if (fd >= 0) close(fd);
    }
  }
  if (rc != 0) {
    fs::remove(data_file, ec);
    return LmdbError(rc, "copying the LMDB environment to " + options.path);
  }
  Result<BackupInfo> info = WriteBackupManifest(options.path, options.single_file);
  if (info.ok()) {
    info->micros = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count());
  }
  return info;
}

Result<std::vector<AuditEntry>> EngineImpl::AuditLog(uint64_t after, uint32_t limit) const {
  if (limit == 0 || limit > 10000) {
    return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
  }
  // Nothing follows the largest sequence (and after + 1 would wrap to 0).
  if (after == UINT64_MAX) return std::vector<AuditEntry>();
  std::shared_lock map_lock(map_mu_);
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

// ------------------------------------------------------------ value model

template <typename Fn>
auto EngineImpl::OnWriter(Fn&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::promise<R> promise;
  std::future<R> future = promise.get_future();
  auto pending = std::make_unique<Pending>();
  pending->task = [&] { promise.set_value(fn()); };
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(pending));
  }
  queue_cv_.notify_one();
  return future.get();
}

template <typename Fn>
Status EngineImpl::WriteSmall(const std::string& what, Fn&& fn) {
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

Status EngineImpl::LoadScoring(MDB_txn* txn, ScoringConfig* out) const {
  *out = ScoringConfig::Default();
  int rc = 0;
  Cursor cursor(txn, dbis_[kScoring], &rc);
  if (rc != 0) return LmdbError(rc, "opening the scoring configs");
  MDB_val key, value;
  rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_LAST);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  if (rc != 0) return LmdbError(rc, "reading the scoring config");
  std::vector<capnp::word> scratch;
  Status s = DecodeValue(value, scratch, out);
  if (s.ok()) s = Validate(*out);
  if (!s.ok()) {
    return Status::Unavailable("data directory is corrupt: the stored scoring config is invalid: " +
                               s.message());
  }
  return Status::Ok();
}

template <typename Fn>
Status EngineImpl::ReadScan(Dbi dbi, Fn&& fn) const {
  std::shared_lock map_lock(map_mu_);
  int rc = 0;
  Txn txn(env_, nullptr, MDB_RDONLY, &rc);
  if (rc != 0) return LmdbError(rc, "begin read transaction");
  Cursor cursor(txn.get(), dbis_[dbi], &rc);
  if (rc != 0) return LmdbError(rc, std::string("opening ") + kDbiNames[dbi]);
  return fn(cursor.get());
}

Result<std::vector<ScoringConfig>> EngineImpl::ScoringHistory() const {
  std::vector<ScoringConfig> out;
  CRM_RETURN_IF_ERROR(ReadScan(kScoring, [&](MDB_cursor* cursor) -> Status {
    std::vector<capnp::word> scratch;
    MDB_val key, value;
    int rc;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
      ScoringConfig config;
      CRM_RETURN_IF_ERROR(DecodeValue(value, scratch, &config));
      out.push_back(config);
    }
    return rc == MDB_NOTFOUND ? Status::Ok() : LmdbError(rc, "reading the scoring configs");
  }));
  return out;
}

Result<ScoringConfig> EngineImpl::SetScoring(const Actor& actor, ScoringConfig config) {
  CRM_RETURN_IF_ERROR(Validate(config));
  return OnWriter([&] { return DoSetScoring(actor, config); });
}

Status EngineImpl::Reage(Micros as_of) {
  if (as_of <= 0) return Status::InvalidArgument("as_of must be a time after 1970", "as_of");
  return OnWriter([&] { return DoReage(as_of); });
}

Result<ScoringConfig> EngineImpl::DoSetScoring(const Actor& actor, ScoringConfig config) {
  config.version = value_->config().version + 1;
  config.changed_by = actor.user;
  config.changed_at = Now();
  // The new scores are computed beside the ones in force (readers go on),
  // stored, and only then swapped in.
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<ScoreState> rescored;
  std::unique_ptr<ValueModel> rebuilt;
  {
    std::shared_lock lock(lock_);
    if (value_->WeightsOnly(config)) {
      rescored = value_->Rescore(config, options_.value_threads);
    } else {
      rebuilt = ValueModel::Build(store_, config, value_->as_of(), true, options_.value_threads);
    }
  }
  Status stored = WriteSmall("storing the scoring config", [&](MDB_txn* txn) {
    capnp::MallocMessageBuilder message(256);
    Encode(config, message.initRoot<schema::ScoringConfig>());
    auto words = capnp::messageToFlatArray(message);
    Key key = IdKey(config.version);
    MDB_val k = key.val();
    MDB_val v{words.asBytes().size(), words.asBytes().begin()};
    return mdb_put(txn, dbis_[kScoring], &k, &v, 0);
  });
  if (!stored.ok()) return stored;
  {
    std::unique_lock lock(lock_);
    if (rescored) {
      value_->AdoptScores(std::move(rescored));  // the old state is freed under the lock,
    } else {                                     // a few milliseconds at 1M customers
      std::swap(value_, rebuilt);
    }
  }
  rebuilt.reset();
  last_rescore_micros_.store(MicrosSince(started), std::memory_order_relaxed);
  CRM_RETURN_IF_ERROR(SnapshotTiers(true));
  return config;
}

Status EngineImpl::DoReage(Micros as_of) {
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<ValueModel> rebuilt;
  {
    std::shared_lock lock(lock_);
    rebuilt = ValueModel::Build(store_, value_->config(), as_of, true, options_.value_threads);
  }
  {
    std::unique_lock lock(lock_);
    std::swap(value_, rebuilt);
  }
  rebuilt.reset();
  last_rescore_micros_.store(MicrosSince(started), std::memory_order_relaxed);
  return SnapshotTiers(false);
}

Status EngineImpl::SnapshotTiers(bool force) {
  std::vector<uint8_t> tiers;
  Micros as_of;
  {
    std::shared_lock lock(lock_);
    as_of = value_->as_of();
    tiers = value_->TierSnapshot();
  }
  if (as_of <= 0) return Status::Ok();
  return WriteSmall("storing a tier snapshot", [&](MDB_txn* txn) {
    int rc = 0;
    if (!force) {
      Cursor cursor(txn, dbis_[kTierSnapshots], &rc);
      if (rc != 0) return rc;
      MDB_val key, value;
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_LAST);
      if (rc == 0 && key.mv_size == 8) {
        uint64_t last = GetBigEndian(static_cast<const char*>(key.mv_data));
        constexpr Micros kDay = int64_t{86400} * 1000000;
        if (static_cast<Micros>(last) / kDay == as_of / kDay) return 0;
      } else if (rc != MDB_NOTFOUND && rc != 0) {
        return rc;
      }
    }
    std::vector<uint8_t> bytes(kSnapshotHeader + tiers.size());
    std::memcpy(bytes.data(), &kSnapshotMagic, 4);
    uint32_t count = static_cast<uint32_t>(tiers.size());
    std::memcpy(bytes.data() + 4, &count, 4);
    if (!tiers.empty()) std::memcpy(bytes.data() + kSnapshotHeader, tiers.data(), tiers.size());
    Key key = IdKey(static_cast<uint64_t>(as_of));
    MDB_val k = key.val();
    MDB_val v{bytes.size(), bytes.data()};
    return mdb_put(txn, dbis_[kTierSnapshots], &k, &v, 0);
  });
}

Result<TierReport> EngineImpl::Tiers(const TierQuery& query) const {
  std::vector<uint8_t> baseline;
  Micros baseline_at = 0;
  if (query.since != 0) {
    CRM_RETURN_IF_ERROR(ReadScan(kTierSnapshots, [&](MDB_cursor* cursor) -> Status {
      // The last snapshot at or before `since`; none: no baseline.
      Key start = IdKey(static_cast<uint64_t>(std::max<Micros>(query.since, 0)) + 1);
      MDB_val key = start.val(), value;
      int rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
      if (rc == 0 || rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cursor, &key, &value, rc == 0 ? MDB_PREV : MDB_LAST);
      }
      if (rc == MDB_NOTFOUND) return Status::Ok();
      if (rc != 0) return LmdbError(rc, "reading the tier snapshots");
      uint32_t magic = 0, count = 0;
      if (value.mv_size < kSnapshotHeader || key.mv_size != 8) {
        return Status::Internal("a tier snapshot is malformed");
      }
      std::memcpy(&magic, value.mv_data, 4);
      std::memcpy(&count, static_cast<const uint8_t*>(value.mv_data) + 4, 4);
      if (magic != kSnapshotMagic || value.mv_size != kSnapshotHeader + count) {
        return Status::Internal("a tier snapshot is malformed");
      }
      const auto* bytes = static_cast<const uint8_t*>(value.mv_data);
      baseline.assign(bytes + kSnapshotHeader, bytes + kSnapshotHeader + count);
      baseline_at = static_cast<Micros>(GetBigEndian(static_cast<const char*>(key.mv_data)));
      return Status::Ok();
    }));
  }
  return WithModel(query.as_of, [&](const ValueModel& m) {
    TierReport report = BuildTiers(m);
    if (baseline_at != 0) AddMovements(m, baseline, baseline_at, &report);
    return report;
  });
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
  std::shared_lock map_lock(map_mu_);
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

StorageStats EngineImpl::Storage() const {
  StorageStats out;
  std::shared_lock map_lock(map_mu_);
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &stat) == 0) {
    out.map_bytes = info.me_mapsize;
    out.used_bytes = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  }
  struct stat file;
  if (::stat((options_.data_dir + "/data.mdb").c_str(), &file) == 0) {
    out.file_bytes = static_cast<uint64_t>(file.st_size);
  }
  return out;
}

bool EngineImpl::BuildHandover(Pending& unit) {
  const HandoverSpec& spec = *unit.handover;
  unit.ops.clear();
  unit.handover_result = HandoverResult{};
  auto fail = [&](Status s) {
    unit.status = std::move(s);
    return false;
  };
  const User* from = staging_->Find<User>(spec.from);
  if (from == nullptr) {
    return fail(Status::NotFound("no user has id " + std::to_string(spec.from), "from"));
  }
  if ((spec.to != 0) == !spec.to_team.empty()) {
    return fail(Status::InvalidArgument("name either one user or one team to hand over to",
                                        "to"));
  }
  // Receivers in id order, so ties go to the lowest id.
  std::vector<const User*> receivers;
  if (spec.to != 0) {
    const User* to = staging_->Find<User>(spec.to);
    if (to == nullptr) {
      return fail(Status::NotFound("no user has id " + std::to_string(spec.to), "to"));
    }
    if (to->id == from->id) {
      return fail(Status::InvalidArgument("a user cannot hand over to themselves", "to"));
    }
    if (!to->active) {
      return fail(Status::InvalidArgument("user " + std::to_string(to->id) + " is inactive",
                                          "to"));
    }
    receivers.push_back(to);
  } else {
    // The team's active agents; its managers only when it has no agent.
    const Id last_user = counters_.last_ids[static_cast<size_t>(EntityKind::kUser)];
    for (bool agents_only : {true, false}) {
      for (Id u = 1; u <= last_user; ++u) {
        const User* user = staging_->Find<User>(u);
        if (user != nullptr && user->active && user->team == spec.to_team && u != from->id &&
            (!agents_only || user->role == Role::kAgent)) {
          receivers.push_back(user);
        }
      }
      if (!receivers.empty()) break;
    }
    if (receivers.empty()) {
      return fail(Status::InvalidArgument("team \"" + spec.to_team +
                                              "\" has no active user to hand over to",
                                          "to_team"));
    }
  }
  std::unordered_map<Id, uint64_t> load;  // customers owned, per receiver
  std::unordered_map<Id, uint64_t> received;
  for (const User* r : receivers) load[r->id] = 0;
  auto least_loaded = [&]() {
    const User* best = receivers.front();
    for (const User* r : receivers) {
      if (load[r->id] < load[best->id]) best = r;
    }
    return best;
  };
  size_t round_robin = 0;
  auto next_in_turn = [&]() { return receivers[round_robin++ % receivers.size()]; };

  auto update = [&](Record record) {
    WriteOp op;
    op.kind = WriteKind::kUpdate;
    op.record = std::move(record);
    unit.ops.push_back(std::move(op));
  };
  std::unordered_map<Id, const User*> customer_receiver;
  HandoverResult& result = unit.handover_result;
  const auto& last = counters_.last_ids;
  std::vector<Id> owned;
  for (Id c = 1; c <= last[static_cast<size_t>(EntityKind::kCustomer)]; ++c) {
    const Customer* customer = staging_->Find<Customer>(c);
    if (customer == nullptr) continue;
    if (customer->owner == from->id) {
      owned.push_back(c);
    } else if (auto it = load.find(customer->owner); it != load.end()) {
      ++it->second;
    }
  }
  for (Id c : owned) {
    const User* to = least_loaded();
    ++load[to->id];
    ++received[to->id];
    customer_receiver[c] = to;
    Customer moved = *staging_->Find<Customer>(c);
    moved.owner = to->id;
    if (!to->team.empty()) moved.team = to->team;
    update(std::move(moved));
    ++result.customers;
  }
  // Children follow their customer's new owner; the rest go round-robin.
  auto receiver_for = [&](Id customer) {
    auto it = customer_receiver.find(customer);
    return it != customer_receiver.end() ? it->second : next_in_turn();
  };
  for (Id o = 1; o <= last[static_cast<size_t>(EntityKind::kOpportunity)]; ++o) {
    const Opportunity* opp = staging_->Find<Opportunity>(o);
    if (opp == nullptr || opp->owner != from->id) continue;
    Opportunity moved = *opp;
    moved.owner = receiver_for(opp->customer)->id;
    update(std::move(moved));
    ++result.opportunities;
  }
  for (Id k = 1; k <= last[static_cast<size_t>(EntityKind::kContract)]; ++k) {
    const Contract* contract = staging_->Find<Contract>(k);
    if (contract == nullptr || contract->owner != from->id) continue;
    Contract moved = *contract;
    moved.owner = receiver_for(contract->customer)->id;
    update(std::move(moved));
    ++result.contracts;
  }
  for (Id t = 1; t <= last[static_cast<size_t>(EntityKind::kTask)]; ++t) {
    const Task* task = staging_->Find<Task>(t);
    if (task == nullptr || task->assignee != from->id || task->done) continue;
    Task moved = *task;
    moved.assignee =
        task->customer != 0 ? receiver_for(task->customer)->id : next_in_turn()->id;
    update(std::move(moved));
    ++result.tasks;
  }
  if (spec.deactivate || !spec.new_team.empty()) {
    User changed = *from;
    if (spec.deactivate) changed.active = false;
    if (!spec.new_team.empty()) changed.team = spec.new_team;
    update(std::move(changed));
    result.deactivated = spec.deactivate;
  }
  for (const User* r : receivers) result.receivers.emplace_back(r->id, received[r->id]);
  unit.atomic = true;
  return true;
}

}  // namespace internal

// ------------------------------------------------------------- public entry

Result<std::unique_ptr<Engine>> Engine::Open(const Options& options) {
  if (options.data_dir.empty()) {
    return Status::InvalidArgument("a data directory is required", "data_dir");
  }
  if (options.default_region.size() != 2) {
    return Status::InvalidArgument("must be an ISO 3166-1 alpha-2 region such as \"CN\"",
                                   "default_region");
  }
  auto engine = std::make_unique<internal::EngineImpl>(options);
  CRM_RETURN_IF_ERROR(engine->OpenAndLoad());
  return std::unique_ptr<Engine>(std::move(engine));
}

std::vector<WriteResult> Engine::DryRun(const Actor& actor, std::vector<WriteOp> ops,
                                        bool atomic) {
  std::promise<std::vector<WriteResult>> promise;
  std::future<std::vector<WriteResult>> future = promise.get_future();
  DryRunAsync(actor, std::move(ops), atomic,
              [&promise](std::vector<WriteResult> results) { promise.set_value(std::move(results)); });
  return future.get();
}

Result<BackupInfo> Engine::Backup(const BackupOptions& options) {
  std::promise<Result<BackupInfo>> promise;
  std::future<Result<BackupInfo>> future = promise.get_future();
  BackupAsync(options, [&promise](Result<BackupInfo> info) { promise.set_value(std::move(info)); });
  return future.get();
}

std::vector<WriteResult> Engine::Write(const Actor& actor, std::vector<WriteOp> ops, bool atomic) {
  std::promise<std::vector<WriteResult>> promise;
  std::future<std::vector<WriteResult>> future = promise.get_future();
  WriteAsync(actor, std::move(ops), atomic,
             [&promise](std::vector<WriteResult> results) { promise.set_value(std::move(results)); });
  return future.get();
}

Result<HandoverResult> Engine::Handover(const Actor& actor, HandoverSpec spec) {
  std::promise<Result<HandoverResult>> promise;
  std::future<Result<HandoverResult>> future = promise.get_future();
  HandoverAsync(actor, std::move(spec),
                [&promise](Result<HandoverResult> result) { promise.set_value(std::move(result)); });
  return future.get();
}

Result<CustomerCard> Engine::Card(const CardKey& key, const CardOptions& options) const {
  CustomerCard card;
  Status s = VisitCard(key, options, [&](const CardView& view) {
    card.customer = *view.customer;
    card.contacts.reserve(view.contacts.size());
    for (const Contact* c : view.contacts) card.contacts.push_back(*c);
    card.value = *view.value;
    card.recent_interactions.assign(view.recent_interactions.rbegin(),
                                    view.recent_interactions.rend());
    for (const Interaction* i : view.open_complaints) card.open_complaints.push_back(*i);
    for (const Opportunity* o : view.open_opportunities) card.open_opportunities.push_back(*o);
    for (const Contract* c : view.active_contracts) card.active_contracts.push_back(*c);
    for (const Task* t : view.due_tasks) card.due_tasks.push_back(*t);
    for (const CardView::Related& r : view.related) {
      card.related.push_back({r.id, *r.name, r.kind, r.incoming});
    }
    card.interaction_count = view.interaction_count;
    card.transaction_count = view.transaction_count;
    card.last_interaction_at = view.last_interaction_at;
    card.last_transaction_at = view.last_transaction_at;
  });
  if (!s.ok()) return s;
  return card;
}

Result<Id> Engine::Create(const Actor& actor, Record record) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kCreate;
  ops[0].record = std::move(record);
  WriteResult r = std::move(Write(actor, std::move(ops), true)[0]);
  if (!r.status.ok()) return r.status;
  return r.id;
}

Status Engine::Update(const Actor& actor, Record record) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kUpdate;
  ops[0].record = std::move(record);
  return std::move(Write(actor, std::move(ops), true)[0].status);
}

Status Engine::Delete(const Actor& actor, EntityKind entity, Id id, bool cascade) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kDelete;
  ops[0].entity = entity;
  ops[0].id = id;
  ops[0].cascade = cascade;
  return std::move(Write(actor, std::move(ops), true)[0].status);
}

}  // namespace crm::engine
