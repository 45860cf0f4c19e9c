// Client and Batch: request encoding and response decoding, shared by every
// transport.
#include "crm/client/client.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <functional>
#include <variant>
#include <utility>

#include "crm.capnp.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/ops_convert.h"

namespace crm::client {

namespace {

using engine::Code;

Status Unexpected(wire::Response::Reader r) {
  return Status::Internal("unexpected response (union tag " +
                          std::to_string(static_cast<int>(r.which())) + ")");
}

// The error a response carries, or OK when it is of the expected kind.
Status Check(wire::Response::Reader r, wire::Response::Which want) {
  if (r.which() == want) return Status::Ok();
  if (r.isError()) {
    Status s = protocol::FromWire(r.getError());
    if (s.ok()) return Status::Internal("server sent an error response with code ok");
    return s;
  }
  return Unexpected(r);
}

template <typename T, typename List>
Result<std::vector<T>> DecodeList(List list) {
  std::vector<T> out;
  out.reserve(list.size());
  for (auto item : list) {
    T value;
    CRM_RETURN_IF_ERROR(engine::Decode(item, &value));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace

// One request of a batch: its message (the id is set at Run()) and what to
// do with its response, or with the transport error that replaces it.
struct Batch::Entry {
  std::unique_ptr<capnp::MallocMessageBuilder> message;
  std::function<void(const Status* error, wire::Response::Reader response)> deliver;
};

Batch::Batch(Client& client) : client_(client) {}
Batch::~Batch() = default;
size_t Batch::size() const { return entries_.size(); }

template <typename T, typename Fill, typename Decode>
Batch::Pending<T> Batch::Add(Fill fill, Decode decode) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  Entry entry;
  entry.message = std::make_unique<capnp::MallocMessageBuilder>();
  fill(entry.message->initRoot<wire::Request>());
  entry.deliver = [slot, decode](const Status* error, wire::Response::Reader response) {
    if (error != nullptr) {
      slot->emplace(*error);
    } else {
      slot->emplace(decode(response));
    }
  };
  entries_.push_back(std::move(entry));
  return Pending<T>(std::move(slot));
}

Batch::Pending<engine::CustomerCard> Batch::Card(const engine::CardKey& key,
                                                 const engine::CardOptions& options) {
  return Add<engine::CustomerCard>(
      [&](wire::Request::Builder req) {
        auto card = req.initCard();
        protocol::ToWire(key, card.initKey());
        protocol::ToWire(options, card.initOptions());
      },
      [](wire::Response::Reader r) -> Result<engine::CustomerCard> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::CARD));
        engine::CustomerCard card;
        CRM_RETURN_IF_ERROR(protocol::FromWire(r.getCard(), &card));
        return card;
      });
}

Batch::Pending<engine::HistoryPage> Batch::History(const engine::HistoryQuery& query) {
  return Add<engine::HistoryPage>(
      [&](wire::Request::Builder req) { protocol::ToWire(query, req.initHistory()); },
      [](wire::Response::Reader r) -> Result<engine::HistoryPage> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::HISTORY));
        engine::HistoryPage page;
        CRM_RETURN_IF_ERROR(protocol::FromWire(r.getHistory(), &page));
        return page;
      });
}

Batch::Pending<engine::Record> Batch::Get(engine::EntityKind entity, engine::Id id) {
  return Add<engine::Record>(
      [&](wire::Request::Builder req) {
        auto get = req.initGet();
        get.setEntity(static_cast<uint8_t>(entity));
        get.setId(id);
      },
      [](wire::Response::Reader r) -> Result<engine::Record> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::RECORD));
        engine::Record record;
        CRM_RETURN_IF_ERROR(protocol::FromWire(r.getRecord(), &record));
        return record;
      });
}

Batch::Pending<std::vector<engine::Record>> Batch::List(engine::Id customer,
                                                        engine::EntityKind entity) {
  return Add<std::vector<engine::Record>>(
      [&](wire::Request::Builder req) {
        auto list = req.initList();
        list.setCustomer(customer);
        list.setEntity(static_cast<uint8_t>(entity));
      },
      [](wire::Response::Reader r) -> Result<std::vector<engine::Record>> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::RECORDS));
        std::vector<engine::Record> out;
        out.reserve(r.getRecords().size());
        for (auto item : r.getRecords()) {
          engine::Record record;
          CRM_RETURN_IF_ERROR(protocol::FromWire(item, &record));
          out.push_back(std::move(record));
        }
        return out;
      });
}

Batch::Pending<std::vector<engine::WriteResult>> Batch::Write(std::vector<engine::WriteOp> ops,
                                                              bool atomic) {
  return Add<std::vector<engine::WriteResult>>(
      [&](wire::Request::Builder req) {
        auto write = req.initWrite();
        auto list = write.initOps(static_cast<unsigned>(ops.size()));
        for (size_t i = 0; i < ops.size(); ++i) {
          protocol::ToWire(ops[i], list[static_cast<unsigned>(i)]);
        }
        write.setAtomic(atomic);
      },
      [](wire::Response::Reader r) -> Result<std::vector<engine::WriteResult>> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::WRITE));
        std::vector<engine::WriteResult> out;
        out.reserve(r.getWrite().size());
        for (auto item : r.getWrite()) {
          engine::WriteResult result;
          CRM_RETURN_IF_ERROR(protocol::FromWire(item, &result));
          out.push_back(std::move(result));
        }
        return out;
      });
}

namespace {

// The results of a write or dry-run response.
Result<std::vector<engine::WriteResult>> DecodeWriteResults(wire::Response::Reader r) {
  CRM_RETURN_IF_ERROR(Check(r, wire::Response::WRITE));
  std::vector<engine::WriteResult> out;
  out.reserve(r.getWrite().size());
  for (auto item : r.getWrite()) {
    engine::WriteResult result;
    CRM_RETURN_IF_ERROR(protocol::FromWire(item, &result));
    out.push_back(std::move(result));
  }
  return out;
}

}  // namespace

Batch::Pending<std::vector<engine::WriteResult>> Batch::DryRun(std::vector<engine::WriteOp> ops,
                                                               bool atomic) {
  return Add<std::vector<engine::WriteResult>>(
      [&](wire::Request::Builder req) {
        auto dry = req.initDryRun();
        auto list = dry.initOps(static_cast<unsigned>(ops.size()));
        for (size_t i = 0; i < ops.size(); ++i) {
          protocol::ToWire(ops[i], list[static_cast<unsigned>(i)]);
        }
        dry.setAtomic(atomic);
      },
      DecodeWriteResults);
}

Batch::Pending<std::vector<engine::Record>> Batch::Scan(engine::EntityKind entity,
                                                        engine::Id after, uint32_t limit) {
  return Add<std::vector<engine::Record>>(
      [&](wire::Request::Builder req) {
        auto scan = req.initScan();
        scan.setEntity(static_cast<uint8_t>(entity));
        scan.setAfter(after);
        scan.setLimit(limit);
      },
      [](wire::Response::Reader r) -> Result<std::vector<engine::Record>> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::RECORDS));
        std::vector<engine::Record> out;
        out.reserve(r.getRecords().size());
        for (auto item : r.getRecords()) {
          engine::Record record;
          CRM_RETURN_IF_ERROR(protocol::FromWire(item, &record));
          out.push_back(std::move(record));
        }
        return out;
      });
}

Batch::Pending<engine::StoreCounts> Batch::Counts() {
  return Add<engine::StoreCounts>(
      [](wire::Request::Builder req) { req.setCounts(); },
      [](wire::Response::Reader r) -> Result<engine::StoreCounts> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::COUNTS));
        return protocol::FromWire(r.getCounts());
      });
}

Batch::Pending<std::vector<engine::AuditEntry>> Batch::AuditLog(uint64_t after, uint32_t limit) {
  return Add<std::vector<engine::AuditEntry>>(
      [&](wire::Request::Builder req) {
        auto log = req.initAuditLog();
        log.setAfter(after);
        log.setLimit(limit);
      },
      [](wire::Response::Reader r) -> Result<std::vector<engine::AuditEntry>> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::AUDIT_LOG));
        return DecodeList<engine::AuditEntry>(r.getAuditLog());
      });
}

Batch::Pending<engine::AuditPage> Batch::QueryAudit(const engine::AuditQuery& query) {
  return Add<engine::AuditPage>(
      [&](wire::Request::Builder req) { protocol::ToWire(query, req.initAuditLog()); },
      [limit = query.limit](wire::Response::Reader r) -> Result<engine::AuditPage> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::AUDIT_LOG));
        engine::AuditPage page;
        auto entries = DecodeList<engine::AuditEntry>(r.getAuditLog());
        if (!entries.ok()) return entries.status();
        page.entries = std::move(entries).value();
        if (!page.entries.empty() && page.entries.size() == limit) {
          page.next_cursor = page.entries.back().sequence;
        }
        return page;
      });
}

Batch::Pending<engine::HandoverResult> Batch::Handover(const engine::HandoverSpec& spec) {
  return Add<engine::HandoverResult>(
      [&](wire::Request::Builder req) { protocol::ToWire(spec, req.initHandover()); },
      [](wire::Response::Reader r) -> Result<engine::HandoverResult> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::HANDOVER));
        return protocol::FromWire(r.getHandover());
      });
}

Batch::Pending<protocol::StatsSnapshot> Batch::Stats() {
  return Add<protocol::StatsSnapshot>(
      [](wire::Request::Builder req) { req.setStats(); },
      [](wire::Response::Reader r) -> Result<protocol::StatsSnapshot> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::STATS));
        return protocol::FromWire(r.getStats());
      });
}

Batch::Pending<std::vector<engine::User>> Batch::ListUsers() {
  return Add<std::vector<engine::User>>(
      [](wire::Request::Builder req) { req.setListUsers(); },
      [](wire::Response::Reader r) -> Result<std::vector<engine::User>> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::USERS));
        return DecodeList<engine::User>(r.getUsers());
      });
}

Batch::Pending<CreatedUser> Batch::CreateUser(const std::string& name, engine::Role role,
                                              const std::string& team) {
  return Add<CreatedUser>(
      [&](wire::Request::Builder req) {
        auto user = req.initCreateUser();
        user.setName(name);
        user.setRole(static_cast<uint8_t>(role));
        user.setTeam(team);
      },
      [](wire::Response::Reader r) -> Result<CreatedUser> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::CREATED_USER));
        CreatedUser out;
        CRM_RETURN_IF_ERROR(engine::Decode(r.getCreatedUser().getUser(), &out.user));
        out.token = r.getCreatedUser().getToken();
        return out;
      });
}

Batch::Pending<engine::ValueSummary> Batch::Value(engine::Id customer) {
  return Add<engine::ValueSummary>(
      [&](wire::Request::Builder req) { req.setValue(customer); },
      [](wire::Response::Reader r) -> Result<engine::ValueSummary> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::VALUE));
        engine::ValueSummary value;
        CRM_RETURN_IF_ERROR(protocol::FromWire(r.getValue(), &value));
        return value;
      });
}

Batch::Pending<ScoringState> Batch::Scoring() {
  return Add<ScoringState>(
      [](wire::Request::Builder req) { req.setScoring(); },
      [](wire::Response::Reader r) -> Result<ScoringState> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::SCORING));
        ScoringState state;
        CRM_RETURN_IF_ERROR(protocol::FromWire(r.getScoring(), &state));
        return state;
      });
}

Batch::Pending<engine::ScoringConfig> Batch::SetScoring(const engine::ScoringConfig& config) {
  return Add<engine::ScoringConfig>(
      [&](wire::Request::Builder req) { engine::Encode(config, req.initSetScoring()); },
      [](wire::Response::Reader r) -> Result<engine::ScoringConfig> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::SCORING_SET));
        engine::ScoringConfig stored;
        CRM_RETURN_IF_ERROR(engine::Decode(r.getScoringSet(), &stored));
        return stored;
      });
}

Batch::Pending<Report> Batch::RunReport(const ReportQuery& query) {
  return Add<Report>(
      [&](wire::Request::Builder req) { protocol::ToWire(query, req.initReport()); },
      [kind = query.index()](wire::Response::Reader r) -> Result<Report> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::REPORT));
        Report report;
        CRM_RETURN_IF_ERROR(protocol::FromWire(r.getReport(), &report));
        if (report.index() != kind) {
          return Status::Internal("the server answered a report of another kind");
        }
        return report;
      });
}

Status Batch::Run() {
  if (entries_.empty()) return Status::Ok();
  std::vector<Entry> entries;
  entries.swap(entries_);
  return client_.RunEntries(entries);
}

// ---- Client

Client::~Client() = default;

Status Client::RunEntries(std::vector<Batch::Entry>& entries) {
  std::lock_guard lock(mu_);
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
  Status transport = Exchange(requests, &responses);
  if (transport.ok() && responses.size() != requests.size()) {
    transport = Status::Internal("transport returned " + std::to_string(responses.size()) +
                                 " responses for " + std::to_string(requests.size()) +
                                 " requests");
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
  Batch batch(*this);
  auto reply = batch.Add<engine::User>(
      [&](wire::Request::Builder req) {
        auto hello = req.initHello();
        hello.setProtocolVersion(protocol::kProtocolVersion);
        hello.setToken(token);
      },
      [](wire::Response::Reader r) -> Result<engine::User> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::HELLO));
        engine::User user;
        CRM_RETURN_IF_ERROR(engine::Decode(r.getHello().getUser(), &user));
        return user;
      });
  Result<engine::User> user = Take(batch, reply);
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
  Batch batch(*this);
  auto p = batch.Add<engine::BackupInfo>(
      [&](wire::Request::Builder req) {
        auto backup = req.initBackup();
        backup.setPath(options.path);
        backup.setSingleFile(options.single_file);
        backup.setCompact(options.compact);
      },
      [](wire::Response::Reader r) -> Result<engine::BackupInfo> {
        CRM_RETURN_IF_ERROR(Check(r, wire::Response::BACKUP));
        return protocol::FromWire(r.getBackup());
      });
  return Take(batch, p);
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
