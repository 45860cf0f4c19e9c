// crm::client::Client: the C++ client library, remote (TCP) or embedded
// (in-process engine on a data directory) behind one interface.
//
// Both kinds speak the same protocol: every call is encoded as a wire
// Request (crm.capnp), and the answer is decoded from a wire Response. The
// remote client sends it over TCP to a crmd; the embedded client hands it to
// the same protocol::Handler the server runs, in-process. Results and errors
// are therefore identical by construction; only the transport differs.
//
// Errors: a call's Result carries the server's error (NotFound,
// PermissionDenied, ...) or a transport error: Unavailable "timed out after N
// ms", Unavailable with the OS reason for connection failures, Unavailable
// "connection closed ..." once the connection has failed. After a transport
// error the client stays failed; open a new one to go on.
//
// Thread-safety: a Client is one connection. Its calls may come from several
// threads but are serialized by an internal mutex (a call waits for the one
// in flight); for parallelism open one Client per thread. Batch objects are
// not thread-safe.
//
// What this header brings in: the engine's plain types (crm/engine/...) and
// protocol::StatsSnapshot; no Cap'n Proto, kj or wire header. The encoding
// and the transports are internal (client/wire_call.h, client/transport.h).
// ScoringState and the report queries and answers come from
// crm/protocol/reports.h, the lead conversion's request and answer from
// crm/protocol/sales.h (plain types, no wire code).
//
// A new operation is one line in Batch, naming its request arm and the
// response arm that answers it, and one in Client (client.cc):
//   Batch::X(args)  { return Ask<T>(On<&Req::initX, Arm::X, &Res::getX>, args...); }
//   Client::X(args) { return Call([&](Batch& b) { return b.X(args...); }); }
// Arguments go into the request through crm/protocol's ToWire or the
// engine's Encode, or a Fill overload in wire_call.h when they are several
// fields; the response comes back through FromWire or Decode likewise.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/engine/model.h"
#include "crm/engine/status.h"
#include "crm/engine/thread_annotations.h"
#include "crm/engine/value.h"
#include "crm/protocol/limits.h"
#include "crm/protocol/reports.h"
#include "crm/protocol/sales.h"
#include "crm/protocol/stats.h"

namespace crm::client {

using engine::Result;
using engine::Status;

namespace internal {
class Transport;
}  // namespace internal

// The most a frame may claim, checked before it is read.
using FrameLimits = protocol::Limits;

// How to reach a crmd over TCP.
struct RemoteOptions {
  std::string host = "127.0.0.1";  // numeric address or host name
  uint16_t port = 0;
  std::string token;                                // the user's token, sent in the hello
  std::chrono::milliseconds connect_timeout{3000};  // TCP connect plus hello
  // Deadline for one call, or for one Batch::Run() as a whole.
  std::chrono::milliseconds request_timeout{10000};
  FrameLimits limits;  // the most a response frame may claim
  // > 0: after sending, keep trying to read for this long before sleeping in
  // poll(), so a quick answer needs no wake-up of a sleeping thread. Lower
  // latency for CPU time; 0 (the default) never spins.
  std::chrono::microseconds busy_poll{0};
};

// An engine opened in this process on a data directory.
struct EmbeddedOptions {
  engine::Options engine;
  // The user to act as, authenticated by a hello exactly as over TCP.
  // How an embedded program gets a token the first time: open with
  // local_admin = true and call CreateUser(), which returns the new user's
  // token once (the engine keeps only its hash); store it, and use it from
  // then on.
  std::string token;
  // true: skip the hello and act as a built-in administrator (user id 0,
  // "the system" in the audit log). The process that opens the data
  // directory owns it anyway; this is for bootstrap and admin tools. Ignores
  // `token`.
  bool local_admin = false;
  // Deadline for one call (writes wait for their LMDB commit).
  std::chrono::milliseconds request_timeout{30000};
  // The most a request or a response frame may claim.
  FrameLimits limits;
};

using protocol::ContractQuery;
using protocol::ConvertedLead;
using protocol::ConvertLeadRequest;
using protocol::OwnerKpiQuery;
using protocol::PipelineQuery;
using protocol::Report;
using protocol::ReportQuery;
using protocol::SatisfactionQuery;
using protocol::ScoringState;

// A user made by CreateUser(): the token is shown this once.
struct CreatedUser {
  engine::User user;  // token_hash left empty
  std::string token;
};

class Client;

// Several requests sent together: Run() writes them all before reading any
// response (pipelining), then hands each result to its Pending in order.
// One round trip instead of one per request.
//
//   Batch batch(*client);
//   auto card = batch.Card(engine::CardKey::ByPhone("+8613800138000"));
//   auto counts = batch.Counts();
//   Status s = batch.Run();       // transport error, if any
//   if (card->ok()) ...            // each result on its own
class Batch {
 public:
  // The result of one request in a batch: empty until Run() returns.
  template <typename T>
  class Pending {
   public:
    bool ready() const { return slot_->has_value(); }
    const Result<T>& get() const { return **slot_; }
    const Result<T>& operator*() const { return **slot_; }
    const Result<T>* operator->() const { return &**slot_; }
    // Moves the result out; the Pending is empty after.
    Result<T> Take() {
      Result<T> r = std::move(**slot_);
      slot_->reset();
      return r;
    }

   private:
    friend class Batch;
    explicit Pending(std::shared_ptr<std::optional<Result<T>>> slot) : slot_(std::move(slot)) {}
    std::shared_ptr<std::optional<Result<T>>> slot_;
  };

  explicit Batch(Client& client);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  Pending<engine::CustomerCard> Card(const engine::CardKey& key,
                                     const engine::CardOptions& options = {});
  Pending<engine::HistoryPage> History(const engine::HistoryQuery& query);
  Pending<engine::Record> Get(engine::EntityKind entity, engine::Id id);
  Pending<std::vector<engine::Record>> List(engine::Id customer, engine::EntityKind entity);
  Pending<std::vector<engine::WriteResult>> Write(std::vector<engine::WriteOp> ops, bool atomic);
  // As Write(), validated and never applied (Engine::DryRunAsync).
  Pending<std::vector<engine::WriteResult>> DryRun(std::vector<engine::WriteOp> ops, bool atomic);
  // Admin only: records of one kind with id > after, ascending, at most limit.
  Pending<std::vector<engine::Record>> Scan(engine::EntityKind entity, engine::Id after,
                                            uint32_t limit);
  Pending<engine::StoreCounts> Counts();
  Pending<std::vector<engine::AuditEntry>> AuditLog(uint64_t after, uint32_t limit);
  Pending<engine::AuditPage> QueryAudit(const engine::AuditQuery& query);
  Pending<engine::HandoverResult> Handover(const engine::HandoverSpec& spec);
  Pending<ConvertedLead> ConvertLead(const ConvertLeadRequest& request);
  Pending<protocol::StatsSnapshot> Stats();
  Pending<std::vector<engine::User>> ListUsers();
  Pending<CreatedUser> CreateUser(const std::string& name, engine::Role role,
                                  const std::string& team);
  Pending<engine::ValueSummary> Value(engine::Id customer);
  Pending<ScoringState> Scoring();
  Pending<engine::ScoringConfig> SetScoring(const engine::ScoringConfig& config);
  // Any report; the result holds the alternative matching the query's.
  Pending<Report> RunReport(const ReportQuery& query);

  // Requests added and not yet run.
  size_t size() const;

  // Sends every request added since the last Run() and waits for all the
  // responses (within the client's request timeout for the whole batch).
  // Returns the transport error if any; then every Pending holds it too.
  // Each Pending holds its own result either way. The batch is empty after.
  Status Run();

 private:
  friend class Client;
  struct Entry;
  // Adds one request: `call` (client/wire_call.h) names its wire arm, and
  // `args` are put into it; the response is decoded into a T.
  template <typename T, typename WireCall, typename... Args>
  Pending<T> Ask(WireCall call, const Args&... args);

  Client& client_;
  std::vector<Entry> entries_;
};

class Client {
 public:
  // Connects over TCP, sends the hello and waits for its answer. Fails with
  // Unavailable (OS reason or "timed out after N ms") or with the server's
  // refusal (PermissionDenied for a bad token, InvalidArgument for a
  // protocol version it does not speak).
  static Result<std::unique_ptr<Client>> Connect(const RemoteOptions& options);
  // Opens the engine on options.engine.data_dir in this process and
  // authenticates (see EmbeddedOptions). Fails as Engine::Open() does, or
  // with the hello's refusal.
  static Result<std::unique_ptr<Client>> OpenEmbedded(const EmbeddedOptions& options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // Closes the connection (remote), or finishes the engine's queued writes
  // and closes it (embedded).
  ~Client();

  // Who this client acts as (from the hello reply; token_hash empty).
  const engine::User& user() const { return user_; }

  // ---- Reads: as the Engine's calls of the same name.
  Result<engine::CustomerCard> Card(const engine::CardKey& key,
                                    const engine::CardOptions& options = {});
  Result<engine::HistoryPage> History(const engine::HistoryQuery& query);
  Result<engine::Record> Get(engine::EntityKind entity, engine::Id id);
  // A customer's contacts, opportunities, contracts or tasks, oldest first.
  Result<std::vector<engine::Record>> List(engine::Id customer, engine::EntityKind entity);
  Result<engine::StoreCounts> Counts();
  Result<std::vector<engine::AuditEntry>> AuditLog(uint64_t after, uint32_t limit);
  // The audit log filtered by record, user and time (Engine::QueryAudit);
  // next_cursor is the last sequence of a full page (0 otherwise).
  Result<engine::AuditPage> QueryAudit(const engine::AuditQuery& query);
  Result<std::vector<engine::User>> ListUsers();
  // Server statistics (admin and manager).
  Result<protocol::StatsSnapshot> Stats();

  // ---- Writes: each returns after the commit.
  // The Result's error is a request-level one (transport, permission to
  // write at all, a malformed request); each op's own outcome is in its
  // WriteResult, as Engine::Write() reports it.
  Result<std::vector<engine::WriteResult>> Write(std::vector<engine::WriteOp> ops, bool atomic);
  // The results Write() would give, with nothing applied.
  Result<std::vector<engine::WriteResult>> DryRun(std::vector<engine::WriteOp> ops, bool atomic);
  // One-op forms: the op's own error becomes the Result's.
  Result<engine::Id> Create(engine::Record record);
  Status Update(engine::Record record);
  Status Delete(engine::EntityKind entity, engine::Id id, bool cascade = false);

  // Admin only: a page of a full scan of one kind (Engine::Scan); users come
  // without token hashes.
  Result<std::vector<engine::Record>> Scan(engine::EntityKind entity, engine::Id after,
                                           uint32_t limit);
  // Admin only: a hot backup written by the engine's process, on its
  // machine (Engine::Backup; the path must be absolute). Waits for the whole
  // copy: give the client a request timeout long enough for the store.
  Result<engine::BackupInfo> Backup(const engine::BackupOptions& options);

  // Admin only: a new user and its token (shown once).
  Result<CreatedUser> CreateUser(const std::string& name, engine::Role role,
                                 const std::string& team);
  // Moves a user's customers, opportunities, contracts and open tasks in
  // one atomic step (Engine::Handover); admin, or the manager of the team.
  Result<engine::HandoverResult> Handover(const engine::HandoverSpec& spec);
  // Turns a lead into an active customer, with optionally its first
  // opportunity and a follow-up task, in one atomic, audited write; every
  // role, within the scopes of a write. FailedPrecondition
  // ("convert_lead.customer") when the customer is not a lead, Conflict for
  // a stale revision; an op's error names its field under "convert_lead."
  // and leaves everything unchanged.
  Result<ConvertedLead> ConvertLead(const ConvertLeadRequest& request);

  // ---- Value, tiers and reports (crm/engine/value.h).
  // One customer's value summary, as on its card. Every role.
  Result<engine::ValueSummary> Value(engine::Id customer);
  // The config in force, every stored version and the current cut-offs.
  // Every role.
  Result<ScoringState> Scoring();
  // Admin only. Stores `config` as the next version and rescores every
  // customer; returns after the rescore, with the stored config (version,
  // who, when). InvalidArgument naming the field ("set_scoring.pareto_percent")
  // leaves the config in force unchanged.
  Result<engine::ScoringConfig> SetScoring(const engine::ScoringConfig& config);
  // Reports, admin and manager only; as the Engine's calls of the same name.
  Result<Report> RunReport(const ReportQuery& query);
  Result<engine::ParetoReport> Pareto(const engine::ParetoQuery& query);
  Result<engine::TierReport> Tiers(const engine::TierQuery& query);
  Result<engine::GroupReport> Group(const engine::GroupQuery& query);
  Result<engine::PipelineReport> Pipeline();
  Result<engine::ContractReport> Contracts(uint32_t expiring_days = 30, engine::Micros as_of = 0);
  Result<engine::ChurnReport> Churn(const engine::ChurnQuery& query);
  Result<engine::SatisfactionReport> Satisfaction(engine::Micros as_of = 0);
  Result<engine::ConversionReport> Conversion(const engine::ConversionQuery& query);
  Result<engine::OwnerKpiReport> OwnerKpis(engine::Micros as_of = 0);

 private:
  friend class Batch;
  Client(std::unique_ptr<internal::Transport> transport, const FrameLimits& limits);

  // Sends the hello with `token` and keeps the user it names.
  Status Hello(const std::string& token);

  template <typename T>
  Result<T> ReportAs(const ReportQuery& query);
  // The single-call form of a Batch method: Call([&](Batch& b) { return
  // b.Card(key, options); }) sends that one request and returns its result.
  // A transport error reaches every Pending of the batch, so Run()'s own
  // status adds nothing here.
  template <typename Add>
  auto Call(Add add) {
    Batch batch(*this);
    auto pending = add(batch);
    batch.Run().IgnoreError();
    return pending.Take();
  }
  // Runs a batch's entries: one exchange, then each entry's decoder.
  Status RunEntries(std::vector<Batch::Entry>& entries) CRM_EXCLUDES(mu_);

  Mutex mu_;  // one exchange at a time
  // The connection; its state is used only under mu_.
  const std::unique_ptr<internal::Transport> transport_ CRM_PT_GUARDED_BY(mu_);
  uint64_t next_id_ CRM_GUARDED_BY(mu_) = 1;
  const FrameLimits limits_;
  // Set by the hello before the client is handed out; read-only after.
  engine::User user_;
};

}  // namespace crm::client
