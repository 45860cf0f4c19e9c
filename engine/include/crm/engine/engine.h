// crm::engine::Engine: the in-memory customer graph backed by LMDB.
//
// Open() rebuilds memory from the LMDB data directory; every query is answered
// from memory; every mutation is committed to LMDB (group-committed with the
// writes that arrive at the same time) before it is applied to memory and
// acknowledged.
//
// Thread-safety: every method may be called from any number of threads at
// once. Reads run in parallel under a shared lock and see only committed
// state; one internal writer thread runs all LMDB write transactions and
// publishes each committed batch under a short exclusive lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <string>
#include <vector>

#include "crm/engine/model.h"
#include "crm/engine/status.h"
#include "crm/engine/value.h"

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

// Who performs a mutation; recorded in the audit log. 0 = the system.
struct Actor {
  Id user = 0;
};

// One write: create (record.id must be 0), update (record.id names it; full
// replacement of the user-settable fields), delete (entity + id), or import.
//
// Import puts `record` exactly as given, server-owned fields included (id,
// revision, created/updated times; a revision of 0 becomes 1, a time of 0
// becomes now): the load path of an export or a migration. The record is
// validated like a create (fields, references, unique keys). Its id must not
// be 0; a stored record of that kind and id is AlreadyExists (naming it)
// unless `replace` is set, then it is replaced (it must keep its customer).
// Later creates get ids above every imported one. Audited as the create or
// update it amounts to.
struct WriteOp {
  WriteKind kind = WriteKind::kCreate;
  Record record;                             // create / update
  EntityKind entity = EntityKind::kCustomer;  // delete
  Id id = 0;                                  // delete
  // Delete: non-zero = refuse with Conflict unless the record is at this
  // revision (so a delete applies only to the state that was checked).
  uint64_t revision = 0;
  // Delete of a customer: also delete its contacts, interactions,
  // transactions, opportunities, contracts, tasks and the edges that point at
  // it. Without it, deleting a customer that still has any is a Conflict.
  bool cascade = false;
  // Import only: replace a stored record of the same kind and id.
  bool replace = false;
};

struct WriteResult {
  Status status;
  Id id = 0;              // the record's id (assigned on create)
  uint64_t revision = 0;  // its revision after the write
};

using WriteCallback = std::function<void(std::vector<WriteResult>)>;

// How a customer is looked up for a card.
struct CardKey {
  enum class By : uint8_t { kId, kPhone, kEmail, kExternalRef };
  By by = By::kId;
  Id id = 0;
  std::string text;  // phone (any format), email, or external ref
  static CardKey ById(Id id) { return {By::kId, id, {}}; }
  static CardKey ByPhone(std::string phone) { return {By::kPhone, 0, std::move(phone)}; }
  static CardKey ByEmail(std::string email) { return {By::kEmail, 0, std::move(email)}; }
  static CardKey ByExternalRef(std::string ref) { return {By::kExternalRef, 0, std::move(ref)}; }
};

struct CardOptions {
  uint32_t recent_interactions = 10;  // at most 1000
  uint32_t due_tasks = 20;            // open tasks by due time, at most 1000
};

struct RelatedCustomer {
  Id id = 0;
  std::string name;
  RelationKind kind = RelationKind::kRelated;
  bool incoming = false;  // true: the edge is stored on the other customer
};

// Everything a screen shows for one customer, in one call.
struct CustomerCard {
  Customer customer;
  std::vector<Contact> contacts;
  ValueSummary value;
  std::vector<Interaction> recent_interactions;  // newest first
  std::vector<Opportunity> open_opportunities;   // stage not won/lost
  std::vector<Contract> active_contracts;        // status draft or active
  std::vector<Interaction> open_complaints;      // open or in progress, newest first
  std::vector<Task> due_tasks;                   // not done, earliest due first
  std::vector<RelatedCustomer> related;
  uint64_t interaction_count = 0;
  uint64_t transaction_count = 0;
  Micros last_interaction_at = 0;
  Micros last_transaction_at = 0;
};

// A card by reference: the same content as CustomerCard, pointing into the
// store instead of copying it. Valid only inside the VisitCard callback.
struct CardView {
  const Customer* customer = nullptr;
  // The customer's latest interactions, oldest first: read it from the back.
  std::span<const Interaction> recent_interactions;
  std::span<const Contact* const> contacts;
  std::span<const Interaction* const> open_complaints;  // newest first
  std::span<const Opportunity* const> open_opportunities;
  std::span<const Contract* const> active_contracts;
  std::span<const Task* const> due_tasks;  // earliest due first
  struct Related {
    Id id;
    const std::string* name;
    RelationKind kind;
    bool incoming;
  };
  std::span<const Related> related;
  const ValueSummary* value = nullptr;
  uint64_t interaction_count = 0;
  uint64_t transaction_count = 0;
  Micros last_interaction_at = 0;
  Micros last_transaction_at = 0;
};

// A non-owning reference to a callable, so a visitor costs no allocation.
template <typename Signature>
class FunctionRef;
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// One page of a customer's history: interactions and transactions merged,
// newest first by (time, kind, id) descending: at equal times transactions
// come before interactions, and later ids before earlier ones.
struct HistoryQuery {
  Id customer = 0;
  // Opaque position from the previous page's next_cursor; empty = newest.
  std::string cursor;
  uint32_t limit = 100;  // 1..10000
  bool interactions = true;
  bool transactions = true;
  uint32_t channel_mask = 0;  // bit (1 << Channel); 0 = every channel
  Micros from = 0;            // inclusive; 0 = no lower bound
  Micros to = 0;              // exclusive; 0 = no upper bound
};

struct HistoryEntry {
  EntityKind kind = EntityKind::kInteraction;  // kInteraction or kTransaction
  Interaction interaction;                     // when kind == kInteraction
  Transaction transaction;                     // when kind == kTransaction
};

struct HistoryPage {
  std::vector<HistoryEntry> entries;
  std::string next_cursor;  // empty when there is nothing older
};

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
    return customers + contacts + interactions + transactions + opportunities + contracts +
           tasks + users + indexes + value_model;
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
  StoreCounts counts;  // records in the copy; audit_entries as its audit table holds
  uint64_t micros = 0;  // how long the copy took
};

// What the audit log is asked for. Filters combine (AND); entries come oldest
// first, from the sequence after `after`.
struct AuditQuery {
  // Only the entries of this record (record = 0: any record).
  EntityKind entity = EntityKind::kCustomer;
  Id record = 0;
  // Only the entries of this user (0 is the system itself).
  std::optional<Id> user;
  Micros from = 0;  // inclusive; 0 = no lower bound
  Micros to = 0;    // exclusive; 0 = no upper bound
  uint64_t after = 0;      // cursor: the next_cursor of the previous page
  uint32_t limit = 100;    // 1..10000
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  // Pass back as AuditQuery::after for the next page; 0 = nothing more.
  uint64_t next_cursor = 0;
};

// A refused request, for the audit log.
struct Denial {
  EntityKind entity = EntityKind::kCustomer;
  Id record = 0;  // 0: the request named no record
  std::string permission;
  std::string message;
};

// Handover of everything a user holds: the customers and opportunities they
// own, the contracts they own, and the open tasks assigned to them.
struct HandoverSpec {
  Id from = 0;
  // Exactly one of: one user who takes everything, or a team whose active
  // agents (its active managers if it has no agent; never `from`) share it,
  // least loaded first: each customer
  // goes to the team member who owns the fewest customers at that moment
  // (ties: the lowest id), and the opportunities, contracts and tasks of a
  // moved customer follow it; the rest are spread the same way.
  Id to = 0;
  std::string to_team;
  // After the move, set `from` inactive (its tokens stop working).
  bool deactivate = false;
  // Non-empty: also move `from` to this team (a user who changes teams).
  std::string new_team;
};

struct HandoverResult {
  uint64_t customers = 0, opportunities = 0, contracts = 0, tasks = 0;
  // Who received what: user -> customers received (every receiver listed).
  std::vector<std::pair<Id, uint64_t>> receivers;
  bool deactivated = false;
};

// The LMDB environment on disk: the data file's size, the bytes of it in
// use (pages up to the last one written), and the map's current size.
struct StorageStats {
  uint64_t file_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t map_bytes = 0;
};

class Engine {
 public:
  // Opens (creating if needed) the data directory and rebuilds memory from it.
  // Refuses with Unavailable a directory written by a newer schema version, or
  // one another process holds open for writing.
  static Result<std::unique_ptr<Engine>> Open(const Options& options);

  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  // Finishes queued writes, stops the writer and closes LMDB.
  virtual ~Engine() = default;

  // ---- Writes. Each returns only after its commit to LMDB.

  // Applies `ops` in order, committed in one LMDB transaction. atomic = true:
  // all or nothing (if one fails, none is applied and the others report
  // Conflict naming the failed one). atomic = false: each op stands alone.
  // Blocks until the commit.
  std::vector<WriteResult> Write(const Actor& actor, std::vector<WriteOp> ops, bool atomic);

  // Write() without waiting: queues the ops and returns. `done` runs once,
  // on the engine's writer thread, after the commit (or the failure), with one
  // result per op. It must be quick and must not block on this engine (no
  // Write()); it may call WriteAsync() again. Writes queued before the engine
  // is destroyed are committed and their callbacks run before it goes.
  virtual void WriteAsync(const Actor& actor, std::vector<WriteOp> ops, bool atomic,
                          WriteCallback done) = 0;

  // Convenience forms of Write() for one op.
  Result<Id> Create(const Actor& actor, Record record);
  Status Update(const Actor& actor, Record record);
  Status Delete(const Actor& actor, EntityKind entity, Id id, bool cascade = false);

  // ---- Reads. Each copies what it returns; none blocks on LMDB.

  // The whole card, copied out.
  Result<CustomerCard> Card(const CardKey& key, const CardOptions& options = {}) const;
  // The whole card without copying: calls `visit` once, under the store's
  // shared lock, with a view into the store. The fastest way to serialize a
  // card. `visit` must be quick and must not call back into this engine.
  virtual Status VisitCard(const CardKey& key, const CardOptions& options,
                           FunctionRef<void(const CardView&)> visit) const = 0;
  // Resolves a key to a customer id without building a card.
  virtual Result<Id> FindCustomer(const CardKey& key) const = 0;
  virtual Result<HistoryPage> History(const HistoryQuery& query) const = 0;

  virtual Result<Customer> GetCustomer(Id id) const = 0;
  virtual Result<Contact> GetContact(Id id) const = 0;
  virtual Result<Interaction> GetInteraction(Id id) const = 0;
  virtual Result<Transaction> GetTransaction(Id id) const = 0;
  virtual Result<Opportunity> GetOpportunity(Id id) const = 0;
  virtual Result<Contract> GetContract(Id id) const = 0;
  virtual Result<Task> GetTask(Id id) const = 0;
  virtual Result<User> GetUser(Id id) const = 0;

  // Every record of that kind for one customer, oldest id first.
  virtual Result<std::vector<Contact>> ListContacts(Id customer) const = 0;
  virtual Result<std::vector<Opportunity>> ListOpportunities(Id customer) const = 0;
  virtual Result<std::vector<Contract>> ListContracts(Id customer) const = 0;
  virtual Result<std::vector<Task>> ListTasks(Id customer) const = 0;
  virtual std::vector<User> ListUsers() const = 0;

  // Audit entries with sequence > after, oldest first, at most `limit`.
  // Reads LMDB (a short read transaction).
  virtual Result<std::vector<AuditEntry>> AuditLog(uint64_t after, uint32_t limit) const = 0;
  // Audit entries matching `query`, oldest first. By record or by user: an
  // index scan, O(page); by time range alone: a binary search on the
  // sequence (times never decrease along it), then O(page). Reads LMDB.
  virtual Result<AuditPage> QueryAudit(const AuditQuery& query) const = 0;

  // ---- Operations (each committed by the writer, like a write).

  // Records a refused request in the audit log as `actor`; `done` runs on
  // the writer thread after the commit, with its outcome.
  virtual void AuditDenialAsync(const Actor& actor, Denial denial,
                                std::function<void(Status)> done) = 0;
  // Moves everything `spec.from` holds (see HandoverSpec) in one atomic
  // write, evaluated by the writer against the latest state, so nothing the
  // user gained just before is left behind. Every record changed gets its
  // audit entry with the message "handover of user N". Errors: NotFound /
  // InvalidArgument for bad users or an empty team. `done` runs on the
  // writer thread after the commit. O(records) on the writer thread: an
  // administrative step, not a hot path.
  virtual void HandoverAsync(const Actor& actor, HandoverSpec spec,
                             std::function<void(Result<HandoverResult>)> done) = 0;
  Result<HandoverResult> Handover(const Actor& actor, HandoverSpec spec);

  // Grows by one whenever a committed batch changes a user record: a cheap
  // way for sessions to notice that their user changed (or was deactivated).
  virtual uint64_t UserGeneration() const = 0;
  // O(1).
  virtual StorageStats Storage() const = 0;

  // ---- Value and tiers (see value.h). Reads see scores and tiers consistent
  // with the global cut-offs of the same moment.

  // One customer's value summary, as on its card.
  virtual Result<ValueSummary> Value(Id customer) const = 0;
  virtual ScoringConfig Scoring() const = 0;
  // Every stored config version, oldest first (the built-in default, version
  // 0, is not stored). Reads LMDB.
  virtual Result<std::vector<ScoringConfig>> ScoringHistory() const = 0;
  // Validates `config` (InvalidArgument naming the field; the config in force
  // stays), stores it as the next version with who and when, and rescores
  // every customer. Blocks until done. Returns the stored config.
  virtual Result<ScoringConfig> SetScoring(const Actor& actor, ScoringConfig config) = 0;
  // Moves the windows to end at `as_of` and rescores every customer. Blocks.
  virtual Status Reage(Micros as_of) = 0;
  virtual Cutoffs CurrentCutoffs() const = 0;

  // Reports; each reads one consistent state under the shared lock.
  virtual Result<ParetoReport> Pareto(const ParetoQuery& query) const = 0;
  virtual Result<TierReport> Tiers(const TierQuery& query) const = 0;
  virtual Result<GroupReport> Group(const GroupQuery& query) const = 0;
  virtual Result<PipelineReport> Pipeline() const = 0;
  virtual Result<ContractReport> Contracts(uint32_t expiring_days, Micros as_of) const = 0;
  virtual Result<ChurnReport> Churn(const ChurnQuery& query) const = 0;
  virtual Result<SatisfactionReport> Satisfaction(Micros as_of) const = 0;
  virtual Result<ConversionReport> Conversion(const ConversionQuery& query) const = 0;
  virtual Result<OwnerKpiReport> OwnerKpis(Micros as_of) const = 0;
  // Validates `ops` exactly as WriteAsync() would (each op against the
  // committed store plus the ops before it in `ops`), reports one result per
  // op (ids are those a write would have assigned), and applies nothing: a
  // dry run. Runs on the writer thread, in a transaction that is rolled back.
  virtual void DryRunAsync(const Actor& actor, std::vector<WriteOp> ops, bool atomic,
                           WriteCallback done) = 0;
  // DryRunAsync(), waiting for the results.
  std::vector<WriteResult> DryRun(const Actor& actor, std::vector<WriteOp> ops, bool atomic);

  // Records of `kind` with id > `after`, ascending by id, at most `limit`
  // (1..100000): a page of a full scan, for exports. Each page is consistent
  // on its own; pages taken while writes go on may see different moments.
  // Users come with their token hash (callers that send them out clear it).
  virtual Result<std::vector<Record>> Scan(EntityKind kind, Id after, uint32_t limit) const = 0;

  // Takes a hot backup (see BackupOptions) on an engine thread and calls
  // `done` there when it is written, synced and its manifest is in place.
  // Every write acknowledged before the call is in the copy. One backup at a
  // time: another while one runs gets Unavailable. Writes go on meanwhile;
  // only a growth of the LMDB map waits for the copy to finish.
  virtual void BackupAsync(const BackupOptions& options,
                           std::function<void(Result<BackupInfo>)> done) = 0;
  // BackupAsync(), waiting for it.
  Result<BackupInfo> Backup(const BackupOptions& options);

  virtual StoreCounts Counts() const = 0;
  virtual WriterStats Writer() const = 0;
  // Walks every record: O(records), for stats and benchmarks, not hot paths.
  virtual MemoryUsage Memory() const = 0;
  const Options& options() const { return options_; }

 protected:
  Options options_;
};

}  // namespace crm::engine
