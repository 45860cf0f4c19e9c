#include "crm/protocol/handler.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "crm.capnp.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/users.h"
#include "sha256.h"

namespace crm::protocol {
namespace {

using engine::Role;
using engine::Status;

// Most responses fit in the first segment; bigger ones grow from there.
constexpr unsigned kFirstSegmentWords = 1024;
constexpr char kServerVersion[] = "crm 0.1";

std::string ToString(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

// `status` with a non-empty field moved under `prefix` ("limit" ->
// "history.limit"); a status naming no field keeps naming none.
Status Prefixed(Status status, const std::string& prefix) {
  if (status.ok() || status.field().empty()) return status;
  return Status(status.code(), status.message(), prefix + "." + status.field(),
                status.existing_id());
}

// `status` with its field under `prefix`, or `prefix` itself when it names
// none: for conversions of one part of the request.
Status Under(Status status, const std::string& prefix) {
  if (status.ok()) return status;
  std::string field = status.field().empty() ? prefix : prefix + "." + status.field();
  return Status(status.code(), status.message(), std::move(field), status.existing_id());
}

// `hint` says who has the permission ("the admin role"), when given.
Status Require(const engine::User& user, bool allowed, std::string_view permission,
               std::string_view hint = {}) {
  if (allowed) return Status::Ok();
  std::string message = "role " + std::string(engine::Name(user.role)) + " lacks permission " +
                        std::string(permission);
  if (!hint.empty()) message += ": " + std::string(permission) + " requires " + std::string(hint);
  return Status::PermissionDenied(std::move(message));
}

bool IsAdmin(const engine::User& user) { return user.role == Role::kAdmin; }
bool IsManagerOrAdmin(const engine::User& user) {
  return user.role == Role::kAdmin || user.role == Role::kManager;
}

// A response being built.
struct Out {
  explicit Out(uint64_t id) : message(kFirstSegmentWords), response(message.initRoot<wire::Response>()) {
    response.setId(id);
  }
  kj::Array<capnp::word> Frame() { return capnp::messageToFlatArray(message); }

  capnp::MallocMessageBuilder message;
  wire::Response::Builder response;
};

kj::Array<capnp::word> ErrorFrame(uint64_t id, const Status& status) {
  Out out(id);
  ToWire(status, out.response.initError());
  return out.Frame();
}

// A user as it may leave the server: never its token hash.
engine::User Public(engine::User user) {
  user.token_hash.clear();
  return user;
}

// Sets token_hash of `user` to a fresh token's; returns the token.
engine::Result<std::string> AttachToken(engine::User* user) {
  engine::Result<std::string> token = NewToken();
  if (!token.ok()) return token.status();
  user->token_hash = HashToken(*token);
  return token;
}

engine::WriteOp CreateOp(engine::Record record) {
  engine::WriteOp op;
  op.kind = engine::WriteKind::kCreate;
  op.record = std::move(record);
  return op;
}

}  // namespace

// ------------------------------------------------------------------ users

engine::Result<std::string> NewToken() {
  uint8_t bytes[32];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(std::string("getrandom failed: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(kTokenPrefix);
  for (uint8_t b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

std::string HashToken(std::string_view token) {
  return std::string(kTokenHashPrefix) + internal::Sha256Hex(token);
}

engine::Result<std::string> CreateUserWithToken(engine::Engine& engine, const engine::Actor& actor,
                                                engine::User user) {
  engine::Result<std::string> token = AttachToken(&user);
  if (!token.ok()) return token;
  engine::Result<engine::Id> id = engine.Create(actor, std::move(user));
  if (!id.ok()) return id.status();
  return token;
}

engine::Result<engine::User> FindUserByToken(const engine::Engine& engine, std::string_view token) {
  if (token.substr(0, kTokenPrefix.size()) == kTokenPrefix) {
    const std::string hash = HashToken(token);
    for (engine::User& user : engine.ListUsers()) {
      if (user.active && user.token_hash == hash) return std::move(user);
    }
  }
  return Status::PermissionDenied("unknown or revoked token");
}

// ------------------------------------------------------------------ handler

namespace {

// Dispatches one parsed request. Exactly one of: returns a frame to send now
// (with `*close` set), or returns an empty array after handing `reply` to a
// write that calls it after its commit.
class Dispatch {
 public:
  // `*handed_off` becomes true the moment a write takes `reply`.
  Dispatch(engine::Engine& engine, Session& session, uint64_t id, bool* handed_off)
      : engine_(engine), session_(session), id_(id), handed_off_(handed_off) {}

  kj::Array<capnp::word> Run(wire::Request::Reader request, Reply& reply, bool* close) {
    *close = false;
    if (!session_.authenticated) return Hello(request, close);
    switch (request.which()) {
      case wire::Request::HELLO:
        return ErrorFrame(id_, Status::InvalidArgument("already authenticated", "hello"));
      case wire::Request::CARD: return Card(request.getCard());
      case wire::Request::HISTORY: return History(request.getHistory());
      case wire::Request::GET: return Get(request.getGet());
      case wire::Request::LIST: return List(request.getList());
      case wire::Request::WRITE: return Write(request.getWrite(), reply, /*dry_run=*/false);
      case wire::Request::AUDIT_LOG: return AuditLog(request.getAuditLog());
      case wire::Request::COUNTS: {
        Out out(id_);
        ToWire(engine_.Counts(), out.response.initCounts());
        return out.Frame();
      }
      case wire::Request::CREATE_USER: return CreateUser(request.getCreateUser(), reply);
      case wire::Request::LIST_USERS: return ListUsers();
      case wire::Request::VALUE: return Value(request.getValue());
      case wire::Request::SCORING: return Scoring();
      case wire::Request::SET_SCORING: return SetScoring(request.getSetScoring());
      case wire::Request::REPORT: return Report(request.getReport());
      case wire::Request::SCAN: return Scan(request.getScan());
      case wire::Request::BACKUP: return Backup(request.getBackup(), reply);
      case wire::Request::DRY_RUN: return Write(request.getDryRun(), reply, /*dry_run=*/true);
    }
    return ErrorFrame(id_, Status::InvalidArgument("unknown operation"));
  }

 private:
  kj::Array<capnp::word> Hello(wire::Request::Reader request, bool* close) {
    *close = true;
    if (request.which() != wire::Request::HELLO) {
      return ErrorFrame(id_, Status::PermissionDenied("the first request must be hello"));
    }
    auto hello = request.getHello();
    if (hello.getProtocolVersion() != kProtocolVersion) {
      return ErrorFrame(
          id_, Status::InvalidArgument("protocol version " +
                                           std::to_string(hello.getProtocolVersion()) +
                                           " is not supported; this server speaks " +
                                           std::to_string(kProtocolVersion),
                                       "hello.protocol_version"));
    }
    engine::Result<engine::User> user = FindUserByToken(engine_, ToString(hello.getToken()));
    if (!user.ok()) return ErrorFrame(id_, user.status());
    session_.authenticated = true;
    session_.user = Public(std::move(*user));
    *close = false;
    Out out(id_);
    auto reply = out.response.initHello();
    reply.setProtocolVersion(kProtocolVersion);
    reply.setServerVersion(kServerVersion);
    engine::Encode(session_.user, reply.initUser());
    return out.Frame();
  }

  kj::Array<capnp::word> Card(wire::Request::Card::Reader card) {
    engine::CardKey key;
    Status s = Under(FromWire(card.getKey(), &key), "card.key");
    engine::CardOptions options;
    if (s.ok()) s = Under(FromWire(card.getOptions(), &options), "card.options");
    if (!s.ok()) return ErrorFrame(id_, s);
    Out out(id_);
    s = engine_.VisitCard(key, options, [&](const engine::CardView& view) {
      ToWire(view, out.response.initCard());
    });
    if (!s.ok()) return ErrorFrame(id_, Prefixed(std::move(s), "card"));
    return out.Frame();
  }

  kj::Array<capnp::word> History(wire::HistoryQuery::Reader in) {
    engine::HistoryQuery query;
    Status s = Under(FromWire(in, &query), "history");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::Result<engine::HistoryPage> page = engine_.History(query);
    if (!page.ok()) return ErrorFrame(id_, Prefixed(page.status(), "history"));
    Out out(id_);
    ToWire(*page, out.response.initHistory());
    return out.Frame();
  }

  template <typename T>
  kj::Array<capnp::word> RecordFrame(engine::Result<T> record) {
    if (!record.ok()) return ErrorFrame(id_, record.status());
    Out out(id_);
    if constexpr (std::is_same_v<T, engine::User>) {
      ToWire(engine::Record(Public(std::move(*record))), out.response.initRecord());
    } else {
      ToWire(engine::Record(std::move(*record)), out.response.initRecord());
    }
    return out.Frame();
  }

  kj::Array<capnp::word> Get(wire::EntityRef::Reader ref) {
    const engine::Id id = ref.getId();
    switch (ref.getEntity()) {
      case static_cast<uint8_t>(engine::EntityKind::kCustomer):
        return RecordFrame(engine_.GetCustomer(id));
      case static_cast<uint8_t>(engine::EntityKind::kContact):
        return RecordFrame(engine_.GetContact(id));
      case static_cast<uint8_t>(engine::EntityKind::kInteraction):
        return RecordFrame(engine_.GetInteraction(id));
      case static_cast<uint8_t>(engine::EntityKind::kTransaction):
        return RecordFrame(engine_.GetTransaction(id));
      case static_cast<uint8_t>(engine::EntityKind::kOpportunity):
        return RecordFrame(engine_.GetOpportunity(id));
      case static_cast<uint8_t>(engine::EntityKind::kContract):
        return RecordFrame(engine_.GetContract(id));
      case static_cast<uint8_t>(engine::EntityKind::kTask): return RecordFrame(engine_.GetTask(id));
      case static_cast<uint8_t>(engine::EntityKind::kUser): return RecordFrame(engine_.GetUser(id));
    }
    return ErrorFrame(id_, Status::InvalidArgument("unknown entity kind " +
                                                       std::to_string(ref.getEntity()) +
                                                       " (1 customer .. 8 user)",
                                                   "get.entity"));
  }

  template <typename T>
  kj::Array<capnp::word> RecordsFrame(engine::Result<std::vector<T>> records) {
    if (!records.ok()) return ErrorFrame(id_, Prefixed(records.status(), "list"));
    Out out(id_);
    auto list = out.response.initRecords(static_cast<unsigned>(records->size()));
    for (unsigned i = 0; i < records->size(); ++i) {
      ToWire(engine::Record(std::move((*records)[i])), list[i]);
    }
    return out.Frame();
  }

  kj::Array<capnp::word> List(wire::Request::List::Reader list) {
    const engine::Id customer = list.getCustomer();
    switch (list.getEntity()) {
      case static_cast<uint8_t>(engine::EntityKind::kContact):
        return RecordsFrame(engine_.ListContacts(customer));
      case static_cast<uint8_t>(engine::EntityKind::kOpportunity):
        return RecordsFrame(engine_.ListOpportunities(customer));
      case static_cast<uint8_t>(engine::EntityKind::kContract):
        return RecordsFrame(engine_.ListContracts(customer));
      case static_cast<uint8_t>(engine::EntityKind::kTask):
        return RecordsFrame(engine_.ListTasks(customer));
    }
    return ErrorFrame(id_, Status::InvalidArgument(
                               "list takes entity 2 (contact), 5 (opportunity), 6 (contract) "
                               "or 7 (task), not " + std::to_string(list.getEntity()),
                               "list.entity"));
  }

  // A write, or (dry_run) its validation without applying it.
  template <typename WriteReader>
  kj::Array<capnp::word> Write(WriteReader write, Reply& reply, bool dry_run) {
    auto wire_ops = write.getOps();
    std::vector<engine::WriteOp> ops(wire_ops.size());
    for (unsigned i = 0; i < wire_ops.size(); ++i) {
      const std::string field =
          std::string(dry_run ? "dry_run" : "write") + ".ops[" + std::to_string(i) + "]";
      Status s = Under(FromWire(wire_ops[i], &ops[i]), field);
      if (!s.ok()) return ErrorFrame(id_, s);
      engine::WriteOp& op = ops[i];
      if (op.kind == engine::WriteKind::kImport) {
        s = Require(session_.user, IsAdmin(session_.user), "import_records");
        if (!s.ok()) return ErrorFrame(id_, s);
      }
      const bool touches_user = op.kind == engine::WriteKind::kDelete
                                    ? op.entity == engine::EntityKind::kUser
                                    : std::holds_alternative<engine::User>(op.record);
      if (!touches_user) continue;
      s = Require(session_.user, IsAdmin(session_.user), "manage_users");
      if (!s.ok()) return ErrorFrame(id_, s);
      // Token hashes never leave the server, so an update that carries none
      // keeps the stored one rather than revoking the token.
      if (op.kind == engine::WriteKind::kUpdate) {
        auto& user = std::get<engine::User>(op.record);
        if (user.token_hash.empty()) {
          engine::Result<engine::User> stored = engine_.GetUser(user.id);
          if (stored.ok()) user.token_hash = stored->token_hash;
        }
      }
    }
    const uint64_t id = id_;
    *handed_off_ = true;
    auto done = [id, reply = std::move(reply)](std::vector<engine::WriteResult> results) {
      Out out(id);
      auto list = out.response.initWrite(static_cast<unsigned>(results.size()));
      for (unsigned i = 0; i < results.size(); ++i) ToWire(results[i], list[i]);
      reply(out.Frame(), false);
    };
    if (dry_run) {
      engine_.DryRunAsync(engine::Actor{session_.user.id}, std::move(ops), write.getAtomic(),
                          std::move(done));
    } else {
      engine_.WriteAsync(engine::Actor{session_.user.id}, std::move(ops), write.getAtomic(),
                         std::move(done));
    }
    return nullptr;
  }

  kj::Array<capnp::word> Scan(wire::Request::Scan::Reader scan) {
    Status s = Require(session_.user, IsAdmin(session_.user), "export_records");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::EntityKind kind;
    if (scan.getEntity() < 1 || scan.getEntity() > engine::kEntityKindCount) {
      return ErrorFrame(id_, Status::InvalidArgument("unknown entity kind " +
                                                         std::to_string(scan.getEntity()) +
                                                         " (1 customer .. 8 user)",
                                                     "scan.entity"));
    }
    kind = static_cast<engine::EntityKind>(scan.getEntity());
    engine::Result<std::vector<engine::Record>> records =
        engine_.Scan(kind, scan.getAfter(), scan.getLimit());
    if (!records.ok()) return ErrorFrame(id_, Prefixed(records.status(), "scan"));
    Out out(id_);
    auto list = out.response.initRecords(static_cast<unsigned>(records->size()));
    for (unsigned i = 0; i < records->size(); ++i) {
      engine::Record& record = (*records)[i];
      if (auto* user = std::get_if<engine::User>(&record)) user->token_hash.clear();
      ToWire(record, list[i]);
    }
    return out.Frame();
  }

  kj::Array<capnp::word> Backup(wire::BackupRequest::Reader in, Reply& reply) {
    Status s = Require(session_.user, IsAdmin(session_.user), "backup");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::BackupOptions options;
    options.path = ToString(in.getPath());
    options.single_file = in.getSingleFile();
    options.compact = in.getCompact();
    if (options.path.empty() || options.path[0] != '/') {
      return ErrorFrame(id_, Status::InvalidArgument(
                                 "must be an absolute path on the server's machine",
                                 "backup.path"));
    }
    const uint64_t id = id_;
    *handed_off_ = true;
    engine_.BackupAsync(options, [id, reply = std::move(reply)](engine::Result<engine::BackupInfo> info) {
      if (!info.ok()) return reply(ErrorFrame(id, Prefixed(info.status(), "backup")), false);
      Out out(id);
      ToWire(*info, out.response.initBackup());
      reply(out.Frame(), false);
    });
    return nullptr;
  }

  kj::Array<capnp::word> AuditLog(wire::Request::AuditLog::Reader audit) {
    Status s = Require(session_.user, IsManagerOrAdmin(session_.user), "read_audit_log");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::Result<std::vector<engine::AuditEntry>> entries =
        engine_.AuditLog(audit.getAfter(), audit.getLimit());
    if (!entries.ok()) return ErrorFrame(id_, Prefixed(entries.status(), "audit_log"));
    Out out(id_);
    auto list = out.response.initAuditLog(static_cast<unsigned>(entries->size()));
    for (unsigned i = 0; i < entries->size(); ++i) engine::Encode((*entries)[i], list[i]);
    return out.Frame();
  }

  kj::Array<capnp::word> CreateUser(wire::NewUser::Reader in, Reply& reply) {
    Status s = Require(session_.user, IsAdmin(session_.user), "manage_users");
    if (!s.ok()) return ErrorFrame(id_, s);
    if (in.getRole() > static_cast<uint8_t>(Role::kAgent)) {
      return ErrorFrame(id_, Status::InvalidArgument(
                                 "unknown role " + std::to_string(in.getRole()) +
                                     " (0 admin, 1 manager, 2 agent)",
                                 "create_user.role"));
    }
    engine::User user;
    user.name = ToString(in.getName());
    user.role = static_cast<Role>(in.getRole());
    user.team = ToString(in.getTeam());
    user.active = true;
    engine::Result<std::string> token = AttachToken(&user);
    if (!token.ok()) return ErrorFrame(id_, token.status());
    std::vector<engine::WriteOp> ops;
    ops.push_back(CreateOp(std::move(user)));
    engine::Engine& engine = engine_;
    const uint64_t id = id_;
    *handed_off_ = true;
    engine_.WriteAsync(
        engine::Actor{session_.user.id}, std::move(ops), /*atomic=*/true,
        [&engine, id, token = std::move(*token),
         reply = std::move(reply)](std::vector<engine::WriteResult> results) {
          // The writer has published the commit: the user can be read back.
          const Status status = results.size() == 1
                                    ? results[0].status
                                    : Status::Internal("createUser: expected one write result");
          if (!status.ok()) return reply(ErrorFrame(id, Prefixed(status, "create_user")), false);
          engine::Result<engine::User> created = engine.GetUser(results[0].id);
          if (!created.ok()) return reply(ErrorFrame(id, created.status()), false);
          Out out(id);
          auto reply_user = out.response.initCreatedUser();
          engine::Encode(Public(std::move(*created)), reply_user.initUser());
          reply_user.setToken(token);
          reply(out.Frame(), false);
        });
    return nullptr;
  }

  kj::Array<capnp::word> ListUsers() {
    Status s = Require(session_.user, IsManagerOrAdmin(session_.user), "list_users");
    if (!s.ok()) return ErrorFrame(id_, s);
    std::vector<engine::User> users = engine_.ListUsers();
    Out out(id_);
    auto list = out.response.initUsers(static_cast<unsigned>(users.size()));
    for (unsigned i = 0; i < users.size(); ++i) {
      engine::Encode(Public(std::move(users[i])), list[i]);
    }
    return out.Frame();
  }

  // ---- value, tiers and reports

  kj::Array<capnp::word> Value(engine::Id customer) {
    engine::Result<engine::ValueSummary> value = engine_.Value(customer);
    if (!value.ok()) {
      const Status& s = value.status();
      return ErrorFrame(id_, Status(s.code(), s.message(), "value", s.existing_id()));
    }
    Out out(id_);
    ToWire(*value, out.response.initValue());
    return out.Frame();
  }

  kj::Array<capnp::word> Scoring() {
    ScoringState state;
    state.config = engine_.Scoring();
    state.cutoffs = engine_.CurrentCutoffs();
    engine::Result<std::vector<engine::ScoringConfig>> history = engine_.ScoringHistory();
    if (!history.ok()) return ErrorFrame(id_, Prefixed(history.status(), "scoring"));
    state.history = std::move(*history);
    Out out(id_);
    ToWire(state, out.response.initScoring());
    return out.Frame();
  }

  // Runs on the calling thread until the engine has stored the config and
  // rescored every customer (see protocol/README.md): a rare admin action,
  // and the server's other io threads go on serving meanwhile.
  kj::Array<capnp::word> SetScoring(schema::ScoringConfig::Reader in) {
    Status s = Require(session_.user, IsAdmin(session_.user), "set_scoring", "the admin role");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::ScoringConfig config;
    s = Under(engine::Decode(in, &config), "set_scoring");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::Result<engine::ScoringConfig> stored =
        engine_.SetScoring(engine::Actor{session_.user.id}, std::move(config));
    if (!stored.ok()) return ErrorFrame(id_, Prefixed(stored.status(), "set_scoring"));
    Out out(id_);
    engine::Encode(*stored, out.response.initScoringSet());
    return out.Frame();
  }

  kj::Array<capnp::word> Report(wire::ReportQuery::Reader in) {
    Status s = Require(session_.user, IsManagerOrAdmin(session_.user), "read_reports",
                       "the admin or manager role");
    if (!s.ok()) return ErrorFrame(id_, s);
    ReportQuery query;
    s = Under(FromWire(in, &query), "report");
    if (!s.ok()) return ErrorFrame(id_, s);
    static constexpr const char* kNames[] = {"pareto",       "tiers",      "group",
                                             "pipeline",     "contracts",  "churn",
                                             "satisfaction", "conversion", "owner_kpis"};
    const std::string field = std::string("report.") + kNames[query.index()];
    engine::Result<protocol::Report> report = std::visit(
        [&](const auto& q) -> engine::Result<protocol::Report> {
          using T = std::decay_t<decltype(q)>;
          auto wrap = [](auto r) -> engine::Result<protocol::Report> {
            if (!r.ok()) return r.status();
            return protocol::Report(std::move(*r));
          };
          if constexpr (std::is_same_v<T, engine::ParetoQuery>) return wrap(engine_.Pareto(q));
          if constexpr (std::is_same_v<T, engine::TierQuery>) return wrap(engine_.Tiers(q));
          if constexpr (std::is_same_v<T, engine::GroupQuery>) return wrap(engine_.Group(q));
          if constexpr (std::is_same_v<T, PipelineQuery>) return wrap(engine_.Pipeline());
          if constexpr (std::is_same_v<T, ContractQuery>) {
            return wrap(engine_.Contracts(q.expiring_days, q.as_of));
          }
          if constexpr (std::is_same_v<T, engine::ChurnQuery>) return wrap(engine_.Churn(q));
          if constexpr (std::is_same_v<T, SatisfactionQuery>) {
            return wrap(engine_.Satisfaction(q.as_of));
          }
          if constexpr (std::is_same_v<T, engine::ConversionQuery>) {
            return wrap(engine_.Conversion(q));
          }
          if constexpr (std::is_same_v<T, OwnerKpiQuery>) return wrap(engine_.OwnerKpis(q.as_of));
        },
        query);
    if (!report.ok()) return ErrorFrame(id_, Prefixed(report.status(), field));
    Out out(id_);
    ToWire(*report, out.response.initReport());
    return out.Frame();
  }

  engine::Engine& engine_;
  Session& session_;
  const uint64_t id_;
  bool* handed_off_;
};

}  // namespace

Handler::Handler(engine::Engine& engine, Limits limits) : engine_(engine), limits_(limits) {}

void Handler::Handle(Session& session, kj::ArrayPtr<const capnp::word> frame, Reply reply) {
  uint64_t id = 0;
  kj::Array<capnp::word> response;
  bool close = false;
  // Once a write holds `reply`, it alone answers, whatever happens after.
  bool handed_off = false;
  try {
    capnp::FlatArrayMessageReader reader(frame, ReaderOptionsFor(frame.size(), limits_));
    wire::Request::Reader request = reader.getRoot<wire::Request>();
    id = request.getId();
    Dispatch dispatch(engine_, session, id, &handed_off);
    response = dispatch.Run(request, reply, &close);
  } catch (const kj::Exception& e) {
    if (handed_off) return;
    response = ErrorFrame(
        id, Status::InvalidArgument("malformed request: " + std::string(e.getDescription().cStr())));
    close = true;
  }
  if (!handed_off) reply(kj::mv(response), close);
}

}  // namespace crm::protocol
