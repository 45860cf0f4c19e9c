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
//
// This header holds the Engine interface and includes the headers of the
// types it takes and returns, so including it alone is enough to use it:
//   options.h      Options, kSchemaVersion: what Open() takes
//   write.h        Actor, WriteOp, WriteResult, WriteCallback, HandoverSpec,
//                  HandoverResult
//   card.h         CardKey, CardOptions, CustomerCard, CardView, RelatedCustomer,
//                  HistoryQuery, HistoryEntry, HistoryPage
//   audit.h        AuditQuery, AuditPage, Denial
//   store_stats.h  StoreCounts, MemoryUsage, WriterStats, StorageStats,
//                  BackupOptions, BackupInfo
//   function_ref.h FunctionRef (the visitor argument type)
//   model.h, value.h, status.h: records, the value model, Status and Result.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "crm/engine/audit.h"
#include "crm/engine/card.h"
#include "crm/engine/function_ref.h"
#include "crm/engine/model.h"
#include "crm/engine/options.h"
#include "crm/engine/status.h"
#include "crm/engine/store_stats.h"
#include "crm/engine/value.h"
#include "crm/engine/write.h"

namespace crm::engine {

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
