// Client and Batch: every call through Batch::Ask, which encodes its request
// and decodes its response as client/wire_call.h describes; shared by every
// transport (client/transport.h).
#include "crm/client/client.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <functional>
#include <utility>
#include <variant>

#include "crm.capnp.h"
#include "transport.h"
#include "wire_call.h"

namespace crm::client {

using internal::Arm;
using internal::Req;
using internal::Res;

// A call's wire shape: the request arm it fills (Req::initX for a struct
// arm, Req::setX for a value or Void arm) and the response arm, read by
// Res::getY, that answers it.
template <auto kSet, wire::Response::Which kAnswer, auto kGet>
constexpr internal::WireCall<kSet, kAnswer, kGet> On{};

// ---- Batch

// One request of a batch: its message (the id is set at Run()) and what to
// do with its response, or with the transport error that replaces it.
struct Batch::Entry {
  std::unique_ptr<capnp::MallocMessageBuilder> message;
  std::function<void(const Status* error, wire::Response::Reader response)> deliver;
};

Batch::Batch(Client& client) : client_(client) {}
Batch::~Batch() = default;
size_t Batch::size() const { return entries_.size(); }

template <typename T, typename WireCall, typename... Args>
Batch::Pending<T> Batch::Ask(WireCall, const Args&... args) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  Entry entry;
  entry.message = std::make_unique<capnp::MallocMessageBuilder>();
  WireCall::Put(entry.message->initRoot<wire::Request>(), args...);
  entry.deliver = [slot, finish = internal::FinisherFor<T>(args...)](
                      const Status* error, wire::Response::Reader response) {
    if (error != nullptr) {
      slot->emplace(*error);
    } else {
      slot->emplace(WireCall::template Answer<T>(response, finish));
    }
  };
  entries_.push_back(std::move(entry));
  return Pending<T>(std::move(slot));
}

Batch::Pending<engine::CustomerCard> Batch::Card(const engine::CardKey& key,
                                                 const engine::CardOptions& options) {
  return Ask<engine::CustomerCard>(On<&Req::initCard, Arm::CARD, &Res::getCard>, key, options);
}

Batch::Pending<engine::HistoryPage> Batch::History(const engine::HistoryQuery& query) {
  return Ask<engine::HistoryPage>(On<&Req::initHistory, Arm::HISTORY, &Res::getHistory>, query);
}

Batch::Pending<engine::Record> Batch::Get(engine::EntityKind entity, engine::Id id) {
  return Ask<engine::Record>(On<&Req::initGet, Arm::RECORD, &Res::getRecord>, entity, id);
}

Batch::Pending<std::vector<engine::Record>> Batch::List(engine::Id customer,
                                                        engine::EntityKind entity) {
  return Ask<std::vector<engine::Record>>(On<&Req::initList, Arm::RECORDS, &Res::getRecords>,
                                          customer, entity);
}

Batch::Pending<std::vector<engine::WriteResult>> Batch::Write(std::vector<engine::WriteOp> ops,
                                                              bool atomic) {
  return Ask<std::vector<engine::WriteResult>>(On<&Req::initWrite, Arm::WRITE, &Res::getWrite>, ops,
                                               atomic);
}

Batch::Pending<std::vector<engine::WriteResult>> Batch::DryRun(std::vector<engine::WriteOp> ops,
                                                               bool atomic) {
  return Ask<std::vector<engine::WriteResult>>(On<&Req::initDryRun, Arm::WRITE, &Res::getWrite>,
                                               ops, atomic);
}

Batch::Pending<std::vector<engine::Record>> Batch::Scan(engine::EntityKind entity, engine::Id after,
                                                        uint32_t limit) {
  return Ask<std::vector<engine::Record>>(On<&Req::initScan, Arm::RECORDS, &Res::getRecords>,
                                          entity, after, limit);
}

Batch::Pending<engine::StoreCounts> Batch::Counts() {
  return Ask<engine::StoreCounts>(On<&Req::setCounts, Arm::COUNTS, &Res::getCounts>);
}

Batch::Pending<std::vector<engine::AuditEntry>> Batch::AuditLog(uint64_t after, uint32_t limit) {
  return Ask<std::vector<engine::AuditEntry>>(
      On<&Req::initAuditLog, Arm::AUDIT_LOG, &Res::getAuditLog>, after, limit);
}

Batch::Pending<engine::AuditPage> Batch::QueryAudit(const engine::AuditQuery& query) {
  return Ask<engine::AuditPage>(On<&Req::initAuditLog, Arm::AUDIT_LOG, &Res::getAuditLog>, query);
}

Batch::Pending<engine::HandoverResult> Batch::Handover(const engine::HandoverSpec& spec) {
  return Ask<engine::HandoverResult>(On<&Req::initHandover, Arm::HANDOVER, &Res::getHandover>,
                                     spec);
}

Batch::Pending<ConvertedLead> Batch::ConvertLead(const ConvertLeadRequest& request) {
  return Ask<ConvertedLead>(On<&Req::initConvertLead, Arm::CONVERTED, &Res::getConverted>, request);
}

Batch::Pending<protocol::StatsSnapshot> Batch::Stats() {
  return Ask<protocol::StatsSnapshot>(On<&Req::setStats, Arm::STATS, &Res::getStats>);
}

Batch::Pending<std::vector<engine::User>> Batch::ListUsers() {
  return Ask<std::vector<engine::User>>(On<&Req::setListUsers, Arm::USERS, &Res::getUsers>);
}

Batch::Pending<CreatedUser> Batch::CreateUser(const std::string& name, engine::Role role,
                                              const std::string& team) {
  return Ask<CreatedUser>(On<&Req::initCreateUser, Arm::CREATED_USER, &Res::getCreatedUser>, name,
                          role, team);
}

Batch::Pending<engine::ValueSummary> Batch::Value(engine::Id customer) {
  return Ask<engine::ValueSummary>(On<&Req::setValue, Arm::VALUE, &Res::getValue>, customer);
}

Batch::Pending<ScoringState> Batch::Scoring() {
  return Ask<ScoringState>(On<&Req::setScoring, Arm::SCORING, &Res::getScoring>);
}

Batch::Pending<engine::ScoringConfig> Batch::SetScoring(const engine::ScoringConfig& config) {
  return Ask<engine::ScoringConfig>(On<&Req::initSetScoring, Arm::SCORING_SET, &Res::getScoringSet>,
                                    config);
}

Batch::Pending<Report> Batch::RunReport(const ReportQuery& query) {
  return Ask<Report>(On<&Req::initReport, Arm::REPORT, &Res::getReport>, query);
}

Status Batch::Run() {
  if (entries_.empty()) return Status::Ok();
  std::vector<Entry> entries;
  entries.swap(entries_);
  return client_.RunEntries(entries);
}

// ---- Client

Client::Client(std::unique_ptr<internal::Transport> transport, const FrameLimits& limits)
    : transport_(std::move(transport)), limits_(limits) {}

Client::~Client() = default;

Status Client::RunEntries(std::vector<Batch::Entry>& entries) {
  MutexLock lock(mu_);
  std::vector<kj::Array<capnp::word>> requests;
  std::vector<uint64_t> ids;
  requests.reserve(entries.size());
  ids.reserve(entries.size());
  for (auto& entry : entries) {
    uint64_t id = next_id_++;
    entry.message->getRoot<wire::Request>().setId(id);
    ids.push_back(id);
    requests.push_back(capnp::messageToFlatArray(*entry.message));
  }
  std::vector<kj::Array<capnp::word>> responses;
  responses.reserve(requests.size());
  Status transport = transport_->Exchange(requests, &responses);
  if (transport.ok() && responses.size() != requests.size()) {
    transport = Status::Internal("transport returned " + std::to_string(responses.size()) +
                                 " responses for " + std::to_string(requests.size()) + " requests");
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i >= responses.size()) {
      entries[i].deliver(&transport, {});
      continue;
    }
    try {
      // The decoders may visit a struct more than once (convert.h reads a
      // record's pointers field by field), so the traversal budget is a few
      // times the frame rather than the frame itself; still bounded.
      capnp::ReaderOptions options = protocol::ReaderOptionsFor(responses[i].size(), limits_);
      options.traversalLimitInWords = 8 * responses[i].size() + 1024;
      capnp::FlatArrayMessageReader reader(responses[i], options);
      auto response = reader.getRoot<wire::Response>();
      if (response.getId() != ids[i] && !(response.getId() == 0 && response.isError())) {
        Status s = Status::Internal("response id " + std::to_string(response.getId()) +
                                    " does not match request id " + std::to_string(ids[i]));
        entries[i].deliver(&s, {});
        continue;
      }
      entries[i].deliver(nullptr, response);
    } catch (const kj::Exception& e) {
      Status s = Status::Internal("malformed response: " + std::string(e.getDescription().cStr()));
      entries[i].deliver(&s, {});
    }
  }
  return transport;
}

Status Client::Hello(const std::string& token) {
  Result<engine::User> user = Call([&](Batch& b) {
    return b.Ask<engine::User>(On<&Req::initHello, Arm::HELLO, &Res::getHello>, token);
  });
  if (!user.ok()) return user.status();
  user_ = std::move(user).value();
  return Status::Ok();
}

Result<engine::CustomerCard> Client::Card(const engine::CardKey& key,
                                          const engine::CardOptions& options) {
  return Call([&](Batch& b) { return b.Card(key, options); });
}

Result<engine::HistoryPage> Client::History(const engine::HistoryQuery& query) {
  return Call([&](Batch& b) { return b.History(query); });
}

Result<engine::Record> Client::Get(engine::EntityKind entity, engine::Id id) {
  return Call([&](Batch& b) { return b.Get(entity, id); });
}

Result<std::vector<engine::Record>> Client::List(engine::Id customer, engine::EntityKind entity) {
  return Call([&](Batch& b) { return b.List(customer, entity); });
}

Result<engine::StoreCounts> Client::Counts() {
  return Call([&](Batch& b) { return b.Counts(); });
}

Result<std::vector<engine::AuditEntry>> Client::AuditLog(uint64_t after, uint32_t limit) {
  return Call([&](Batch& b) { return b.AuditLog(after, limit); });
}

Result<engine::AuditPage> Client::QueryAudit(const engine::AuditQuery& query) {
  return Call([&](Batch& b) { return b.QueryAudit(query); });
}

Result<engine::HandoverResult> Client::Handover(const engine::HandoverSpec& spec) {
  return Call([&](Batch& b) { return b.Handover(spec); });
}

Result<ConvertedLead> Client::ConvertLead(const ConvertLeadRequest& request) {
  return Call([&](Batch& b) { return b.ConvertLead(request); });
}

Result<protocol::StatsSnapshot> Client::Stats() {
  return Call([&](Batch& b) { return b.Stats(); });
}

Result<std::vector<engine::User>> Client::ListUsers() {
  return Call([&](Batch& b) { return b.ListUsers(); });
}

Result<std::vector<engine::WriteResult>> Client::Write(std::vector<engine::WriteOp> ops,
                                                       bool atomic) {
  return Call([&](Batch& b) { return b.Write(std::move(ops), atomic); });
}

Result<std::vector<engine::WriteResult>> Client::DryRun(std::vector<engine::WriteOp> ops,
                                                        bool atomic) {
  return Call([&](Batch& b) { return b.DryRun(std::move(ops), atomic); });
}

Result<std::vector<engine::Record>> Client::Scan(engine::EntityKind entity, engine::Id after,
                                                 uint32_t limit) {
  return Call([&](Batch& b) { return b.Scan(entity, after, limit); });
}

Result<engine::BackupInfo> Client::Backup(const engine::BackupOptions& options) {
  return Call([&](Batch& b) {
    return b.Ask<engine::BackupInfo>(On<&Req::initBackup, Arm::BACKUP, &Res::getBackup>, options);
  });
}

Result<CreatedUser> Client::CreateUser(const std::string& name, engine::Role role,
                                       const std::string& team) {
  return Call([&](Batch& b) { return b.CreateUser(name, role, team); });
}

namespace {

// The single result of a one-op write.
Result<engine::WriteResult> One(Result<std::vector<engine::WriteResult>> results) {
  if (!results.ok()) return results.status();
  if (results->size() != 1) {
    return Status::Internal("one write op answered with " + std::to_string(results->size()) +
                            " results");
  }
  engine::WriteResult& r = results->front();
  if (!r.status.ok()) return r.status;
  return std::move(r);
}

}  // namespace

Result<engine::Id> Client::Create(engine::Record record) {
  std::vector<engine::WriteOp> ops(1);
  ops[0].kind = engine::WriteKind::kCreate;
  ops[0].record = std::move(record);
  auto r = One(Write(std::move(ops), true));
  if (!r.ok()) return r.status();
  return r->id;
}

Status Client::Update(engine::Record record) {
  std::vector<engine::WriteOp> ops(1);
  ops[0].kind = engine::WriteKind::kUpdate;
  ops[0].record = std::move(record);
  auto r = One(Write(std::move(ops), true));
  return r.ok() ? Status::Ok() : r.status();
}

Status Client::Delete(engine::EntityKind entity, engine::Id id, bool cascade) {
  std::vector<engine::WriteOp> ops(1);
  ops[0].kind = engine::WriteKind::kDelete;
  ops[0].entity = entity;
  ops[0].id = id;
  ops[0].cascade = cascade;
  auto r = One(Write(std::move(ops), true));
  return r.ok() ? Status::Ok() : r.status();
}

Result<engine::ValueSummary> Client::Value(engine::Id customer) {
  return Call([&](Batch& b) { return b.Value(customer); });
}

Result<ScoringState> Client::Scoring() {
  return Call([&](Batch& b) { return b.Scoring(); });
}

Result<engine::ScoringConfig> Client::SetScoring(const engine::ScoringConfig& config) {
  return Call([&](Batch& b) { return b.SetScoring(config); });
}

Result<Report> Client::RunReport(const ReportQuery& query) {
  return Call([&](Batch& b) { return b.RunReport(query); });
}

template <typename T>
Result<T> Client::ReportAs(const ReportQuery& query) {
  Result<Report> report = RunReport(query);
  if (!report.ok()) return report.status();
  // RunReport checked that the answer is of the query's kind.
  return std::get<T>(std::move(*report));
}

Result<engine::ParetoReport> Client::Pareto(const engine::ParetoQuery& query) {
  return ReportAs<engine::ParetoReport>(query);
}
Result<engine::TierReport> Client::Tiers(const engine::TierQuery& query) {
  return ReportAs<engine::TierReport>(query);
}
Result<engine::GroupReport> Client::Group(const engine::GroupQuery& query) {
  return ReportAs<engine::GroupReport>(query);
}
Result<engine::PipelineReport> Client::Pipeline() {
  return ReportAs<engine::PipelineReport>(PipelineQuery{});
}
Result<engine::ContractReport> Client::Contracts(uint32_t expiring_days, engine::Micros as_of) {
  return ReportAs<engine::ContractReport>(ContractQuery{expiring_days, as_of});
}
Result<engine::ChurnReport> Client::Churn(const engine::ChurnQuery& query) {
  return ReportAs<engine::ChurnReport>(query);
}
Result<engine::SatisfactionReport> Client::Satisfaction(engine::Micros as_of) {
  return ReportAs<engine::SatisfactionReport>(SatisfactionQuery{as_of});
}
Result<engine::ConversionReport> Client::Conversion(const engine::ConversionQuery& query) {
  return ReportAs<engine::ConversionReport>(query);
}
Result<engine::OwnerKpiReport> Client::OwnerKpis(engine::Micros as_of) {
  return ReportAs<engine::OwnerKpiReport>(OwnerKpiQuery{as_of});
}

}  // namespace crm::client
