#include "crm/protocol/handler.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "crm.capnp.h"
#include "crm/engine/codec.h"
#include "access.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/ops_convert.h"
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

using Clock = std::chrono::steady_clock;
using internal::Access;
using internal::Decision;

OpKind OpOf(wire::Request::Which which) {
  switch (which) {
    case wire::Request::HELLO: return OpKind::kHello;
    case wire::Request::CARD: return OpKind::kCard;
    case wire::Request::HISTORY: return OpKind::kHistory;
    case wire::Request::GET: return OpKind::kGet;
    case wire::Request::LIST: return OpKind::kList;
    case wire::Request::WRITE: return OpKind::kWrite;
    case wire::Request::AUDIT_LOG: return OpKind::kAuditLog;
    case wire::Request::COUNTS: return OpKind::kCounts;
    case wire::Request::CREATE_USER: return OpKind::kCreateUser;
    case wire::Request::LIST_USERS: return OpKind::kListUsers;
    case wire::Request::HANDOVER: return OpKind::kHandover;
    case wire::Request::STATS: return OpKind::kStats;
    case wire::Request::VALUE: return OpKind::kValue;
    case wire::Request::SCORING: return OpKind::kScoring;
    case wire::Request::SET_SCORING: return OpKind::kSetScoring;
    case wire::Request::REPORT: return OpKind::kReport;
    case wire::Request::SCAN: return OpKind::kScan;
    case wire::Request::BACKUP: return OpKind::kBackup;
    case wire::Request::DRY_RUN: return OpKind::kDryRun;
  }
  return OpKind::kOther;
}

// Whether a response frame (one this handler built) carries an error.
bool IsErrorResponse(kj::ArrayPtr<const capnp::word> frame) {
  try {
    capnp::FlatArrayMessageReader reader(frame);
    return reader.getRoot<wire::Response>().isError();
  } catch (const kj::Exception&) {
    return true;
  }
}

// Dispatches one parsed request. Exactly one of: returns a frame to send now
// (with `*close` set), or returns an empty array after handing `reply` to an
// engine operation (a write, a denial being audited, a handover) that calls
// it after its commit.
class Dispatch {
 public:
  // `*handed_off` becomes true the moment an operation takes `reply`.
  Dispatch(engine::Engine& engine, Handler& handler, Session& session, uint64_t id, OpKind op,
           Clock::time_point start, bool* handed_off)
      : engine_(engine),
        handler_(handler),
        session_(session),
        id_(id),
        op_(op),
        start_(start),
        handed_off_(handed_off) {}

  kj::Array<capnp::word> Run(wire::Request::Reader request, Reply& reply, bool* close) {
    *close = false;
    if (!session_.authenticated) return Hello(request, close);
    if (kj::Array<capnp::word> refused = Recheck(close); refused != nullptr) return refused;
    switch (request.which()) {
      case wire::Request::HELLO:
        return ErrorFrame(id_, Status::InvalidArgument("already authenticated", "hello"));
      case wire::Request::CARD: return Card(request.getCard(), reply);
      case wire::Request::HISTORY: return History(request.getHistory(), reply);
      case wire::Request::GET: return Get(request.getGet(), reply);
      case wire::Request::LIST: return List(request.getList(), reply);
      case wire::Request::WRITE: return Write(request.getWrite(), reply, /*dry_run=*/false);
      case wire::Request::AUDIT_LOG: return AuditLog(request.getAuditLog(), reply);
      case wire::Request::COUNTS: {
        Out out(id_);
        ToWire(engine_.Counts(), out.response.initCounts());
        return out.Frame();
      }
      case wire::Request::CREATE_USER: return CreateUser(request.getCreateUser(), reply);
      case wire::Request::LIST_USERS: return ListUsers(reply);
      case wire::Request::VALUE: return Value(request.getValue());
      case wire::Request::SCORING: return Scoring();
      case wire::Request::SET_SCORING: return SetScoring(request.getSetScoring(), reply);
      case wire::Request::REPORT: return Report(request.getReport(), reply);
      case wire::Request::SCAN: return Scan(request.getScan(), reply);
      case wire::Request::BACKUP: return Backup(request.getBackup(), reply);
      case wire::Request::DRY_RUN: return Write(request.getDryRun(), reply, /*dry_run=*/true);
      case wire::Request::HANDOVER: return Handover(request.getHandover(), reply);
      case wire::Request::STATS: return StatsRequest(reply);
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
    // Read before the user: a change committed in between moves it again.
    const uint64_t generation = engine_.UserGeneration();
    engine::Result<engine::User> user = FindUserByToken(engine_, ToString(hello.getToken()));
    if (!user.ok()) return ErrorFrame(id_, user.status());
    session_.authenticated = true;
    session_.user_generation = generation;
    session_.token_hash = user->token_hash;
    session_.user = Public(std::move(*user));
    *close = false;
    Out out(id_);
    auto reply = out.response.initHello();
    reply.setProtocolVersion(kProtocolVersion);
    reply.setServerVersion(kServerVersion);
    engine::Encode(session_.user, reply.initUser());
    return out.Frame();
  }

  // A session's user may have changed since it was read: read it again when
  // any user changed (one atomic load otherwise). A user deactivated, or
  // whose token was replaced, is refused and the connection closed.
  kj::Array<capnp::word> Recheck(bool* close) {
    if (session_.user.id == 0) return nullptr;  // the embedded local admin
    const uint64_t generation = engine_.UserGeneration();
    if (generation == session_.user_generation) return nullptr;
    engine::Result<engine::User> user = engine_.GetUser(session_.user.id);
    if (!user.ok() || !user->active || user->token_hash != session_.token_hash) {
      *close = true;
      session_.authenticated = false;
      return ErrorFrame(id_, Status::PermissionDenied(
                                 "user " + std::to_string(session_.user.id) +
                                 (user.ok() && user->active ? " has a new token"
                                                            : " is deactivated") +
                                 ": this session's token no longer works"));
    }
    session_.user_generation = generation;
    session_.user = Public(std::move(*user));
    return nullptr;
  }

  // Takes `reply` for an operation that answers later; the answer is
  // counted in the stats when it is sent.
  Reply HandOff(Reply& reply) {
    *handed_off_ = true;
    return [stats = &handler_.request_stats(), op = op_, start = start_,
            reply = std::move(reply)](kj::Array<capnp::word> frame, bool close) {
      const auto nanos =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
      stats->Record(op, static_cast<uint64_t>(nanos), IsErrorResponse(frame));
      reply(std::move(frame), close);
    };
  }

  // Refuses the request with `decision` once the refusal is in the audit log.
  kj::Array<capnp::word> Deny(const Decision& decision, Reply& reply, std::string prefix = {}) {
    engine::Denial denial;
    denial.entity = decision.entity;
    denial.record = decision.record;
    denial.permission = decision.permission;
    denial.message = decision.message;
    Status status = decision.ToStatus();
    if (!prefix.empty()) status = Status(status.code(), status.message(), prefix);
    engine_.AuditDenialAsync(engine::Actor{session_.user.id}, std::move(denial),
                             [id = id_, status, reply = HandOff(reply)](Status) {
                               // Refused either way; the audit outcome is the
                               // server's concern, not the client's.
                               reply(ErrorFrame(id, status), false);
                             });
    return nullptr;
  }

  Access access() const { return Access(engine_, session_.user); }

  kj::Array<capnp::word> Card(wire::Request::Card::Reader card, Reply& reply) {
    engine::CardKey key;
    Status s = Under(FromWire(card.getKey(), &key), "card.key");
    engine::CardOptions options;
    if (s.ok()) s = Under(FromWire(card.getOptions(), &options), "card.options");
    if (!s.ok()) return ErrorFrame(id_, s);
    Out out(id_);
    const bool scoped = session_.user.role == Role::kManager;
    bool denied = false;
    engine::Customer seen;
    s = engine_.VisitCard(key, options, [&](const engine::CardView& view) {
      if (scoped && (session_.user.team.empty() || view.customer->team != session_.user.team)) {
        // Maybe in the team through its owner: decided outside the lock.
        denied = true;
        seen = *view.customer;
        return;
      }
      ToWire(view, out.response.initCard());
    });
    if (!s.ok()) return ErrorFrame(id_, Prefixed(std::move(s), "card"));
    if (denied) {
      Decision d = access().ReadCustomer(seen);
      if (!d.allowed) return Deny(d, reply);
      engine::Result<engine::CustomerCard> copy = engine_.Card(key, options);
      if (!copy.ok()) return ErrorFrame(id_, Prefixed(copy.status(), "card"));
      ToWire(*copy, out.response.initCard());
    }
    return out.Frame();
  }

  // For managers: refuses reading anything of a customer outside the team.
  // Returns true (with `*frame` set) when refused or the customer is unknown.
  bool ScopedCustomer(engine::Id customer, Reply& reply, kj::Array<capnp::word>* frame) {
    if (session_.user.role != Role::kManager) return false;
    engine::Result<engine::Customer> c = engine_.GetCustomer(customer);
    if (!c.ok()) return false;  // the operation reports NotFound itself
    Decision d = access().ReadCustomer(*c);
    if (d.allowed) return false;
    *frame = Deny(d, reply);
    return true;
  }

  kj::Array<capnp::word> History(wire::HistoryQuery::Reader in, Reply& reply) {
    engine::HistoryQuery query;
    Status s = Under(FromWire(in, &query), "history");
    if (!s.ok()) return ErrorFrame(id_, s);
    if (kj::Array<capnp::word> f; ScopedCustomer(query.customer, reply, &f)) return f;
    engine::Result<engine::HistoryPage> page = engine_.History(query);
    if (!page.ok()) return ErrorFrame(id_, Prefixed(page.status(), "history"));
    Out out(id_);
    ToWire(*page, out.response.initHistory());
    return out.Frame();
  }

  template <typename T>
  kj::Array<capnp::word> RecordFrame(engine::Result<T> record, Reply& reply) {
    if (!record.ok()) return ErrorFrame(id_, record.status());
    engine::Record any(std::move(*record));
    if (session_.user.role == Role::kManager) {
      Decision d = access().ReadRecord(any);
      if (!d.allowed) return Deny(d, reply);
    }
    Out out(id_);
    if (auto* user = std::get_if<engine::User>(&any)) {
      ToWire(engine::Record(Public(std::move(*user))), out.response.initRecord());
    } else {
      ToWire(any, out.response.initRecord());
    }
    return out.Frame();
  }

  kj::Array<capnp::word> Get(wire::EntityRef::Reader ref, Reply& reply) {
    const engine::Id id = ref.getId();
    switch (ref.getEntity()) {
      case static_cast<uint8_t>(engine::EntityKind::kCustomer):
        return RecordFrame(engine_.GetCustomer(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kContact):
        return RecordFrame(engine_.GetContact(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kInteraction):
        return RecordFrame(engine_.GetInteraction(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kTransaction):
        return RecordFrame(engine_.GetTransaction(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kOpportunity):
        return RecordFrame(engine_.GetOpportunity(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kContract):
        return RecordFrame(engine_.GetContract(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kTask):
        return RecordFrame(engine_.GetTask(id), reply);
      case static_cast<uint8_t>(engine::EntityKind::kUser):
        return RecordFrame(engine_.GetUser(id), reply);
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

  kj::Array<capnp::word> List(wire::Request::List::Reader list, Reply& reply) {
    const engine::Id customer = list.getCustomer();
    const uint8_t entity = list.getEntity();
    const bool known = entity == static_cast<uint8_t>(engine::EntityKind::kContact) ||
                       entity == static_cast<uint8_t>(engine::EntityKind::kOpportunity) ||
                       entity == static_cast<uint8_t>(engine::EntityKind::kContract) ||
                       entity == static_cast<uint8_t>(engine::EntityKind::kTask);
    if (known) {
      if (kj::Array<capnp::word> f; ScopedCustomer(customer, reply, &f)) return f;
    }
    switch (entity) {
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
    const Access scope = access();
    for (unsigned i = 0; i < wire_ops.size(); ++i) {
      const std::string field =
          std::string(dry_run ? "dry_run" : "write") + ".ops[" + std::to_string(i) + "]";
      Status s = Under(FromWire(wire_ops[i], &ops[i]), field);
      if (!s.ok()) return ErrorFrame(id_, s);
    }
    for (unsigned i = 0; i < ops.size(); ++i) {
      engine::WriteOp& op = ops[i];
      if (op.kind == engine::WriteKind::kImport) {
        Decision d = access().Role(IsAdmin(session_.user), "import_records");
        if (!d.allowed) return Deny(d, reply, "write.ops[" + std::to_string(i) + "]");
      }
      // One op out of scope refuses the whole request, before anything is applied.
      Decision d = scope.Write(op);
      if (!d.allowed) return Deny(d, reply, "write.ops[" + std::to_string(i) + "]");
      const bool touches_user = op.kind == engine::WriteKind::kDelete
                                    ? op.entity == engine::EntityKind::kUser
                                    : std::holds_alternative<engine::User>(op.record);
      // Token hashes never leave the server, so an update that carries none
      // keeps the stored one rather than revoking the token.
      if (touches_user && op.kind == engine::WriteKind::kUpdate) {
        auto& user = std::get<engine::User>(op.record);
        if (user.token_hash.empty()) {
          engine::Result<engine::User> stored = engine_.GetUser(user.id);
          if (stored.ok()) user.token_hash = stored->token_hash;
        }
      }
    }
    const uint64_t id = id_;
    auto done = [id, reply = HandOff(reply)](std::vector<engine::WriteResult> results) {
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

  kj::Array<capnp::word> Scan(wire::Request::Scan::Reader scan, Reply& reply) {
    Decision d = access().Role(IsAdmin(session_.user), "export_records");
    if (!d.allowed) return Deny(d, reply);
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
    Decision d = access().Role(IsAdmin(session_.user), "backup");
    if (!d.allowed) return Deny(d, reply);
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
    engine_.BackupAsync(options, [id, reply = HandOff(reply)](engine::Result<engine::BackupInfo> info) {
      if (!info.ok()) return reply(ErrorFrame(id, Prefixed(info.status(), "backup")), false);
      Out out(id);
      ToWire(*info, out.response.initBackup());
      reply(out.Frame(), false);
    });
    return nullptr;
  }

  kj::Array<capnp::word> AuditLog(wire::Request::AuditLog::Reader audit, Reply& reply) {
    engine::AuditQuery query;
    Status s = Under(FromWire(audit, &query), "audit_log");
    if (!s.ok()) return ErrorFrame(id_, s);
    Decision d = access().AuditQuery(query);
    if (!d.allowed) return Deny(d, reply);
    engine::Result<engine::AuditPage> page = engine_.QueryAudit(query);
    if (!page.ok()) return ErrorFrame(id_, Prefixed(page.status(), "audit_log"));
    Out out(id_);
    auto list = out.response.initAuditLog(static_cast<unsigned>(page->entries.size()));
    for (unsigned i = 0; i < page->entries.size(); ++i) engine::Encode(page->entries[i], list[i]);
    return out.Frame();
  }

  kj::Array<capnp::word> CreateUser(wire::NewUser::Reader in, Reply& reply) {
    Decision d = access().Role(IsAdmin(session_.user), "manage_users");
    if (!d.allowed) return Deny(d, reply);
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
    engine_.WriteAsync(
        engine::Actor{session_.user.id}, std::move(ops), /*atomic=*/true,
        [&engine, id, token = std::move(*token),
         reply = HandOff(reply)](std::vector<engine::WriteResult> results) {
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

  kj::Array<capnp::word> ListUsers(Reply& reply) {
    Decision d = access().Role(IsManagerOrAdmin(session_.user), "list_users");
    if (!d.allowed) return Deny(d, reply);
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
  kj::Array<capnp::word> SetScoring(schema::ScoringConfig::Reader in, Reply& reply) {
    Decision d = access().Role(IsAdmin(session_.user), "set_scoring", "the admin role");
    if (!d.allowed) return Deny(d, reply);
    engine::ScoringConfig config;
    Status s = Under(engine::Decode(in, &config), "set_scoring");
    if (!s.ok()) return ErrorFrame(id_, s);
    engine::Result<engine::ScoringConfig> stored =
        engine_.SetScoring(engine::Actor{session_.user.id}, std::move(config));
    if (!stored.ok()) return ErrorFrame(id_, Prefixed(stored.status(), "set_scoring"));
    Out out(id_);
    engine::Encode(*stored, out.response.initScoringSet());
    return out.Frame();
  }

  kj::Array<capnp::word> Report(wire::ReportQuery::Reader in, Reply& reply) {
    Decision d = access().Role(IsManagerOrAdmin(session_.user), "read_reports",
                               "the admin or manager role");
    if (!d.allowed) return Deny(d, reply);
    ReportQuery query;
    Status s = Under(FromWire(in, &query), "report");
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

  kj::Array<capnp::word> Handover(wire::Handover::Reader in, Reply& reply) {
    engine::HandoverSpec spec = FromWire(in);
    Decision d = access().Handover(spec);
    if (!d.allowed) return Deny(d, reply);
    engine_.HandoverAsync(engine::Actor{session_.user.id}, std::move(spec),
                          [id = id_, reply = HandOff(reply)](
                              engine::Result<engine::HandoverResult> result) {
                            if (!result.ok()) {
                              return reply(ErrorFrame(id, Prefixed(result.status(), "handover")),
                                           false);
                            }
                            Out out(id);
                            ToWire(*result, out.response.initHandover());
                            reply(out.Frame(), false);
                          });
    return nullptr;
  }

  kj::Array<capnp::word> StatsRequest(Reply& reply) {
    Decision d = access().Role(IsManagerOrAdmin(session_.user), "read_stats");
    if (!d.allowed) return Deny(d, reply);
    Out out(id_);
    ToWire(handler_.Stats(/*refresh_store_memory=*/true), out.response.initStats());
    return out.Frame();
  }

  engine::Engine& engine_;
  Handler& handler_;
  Session& session_;
  const uint64_t id_;
  const OpKind op_;
  const Clock::time_point start_;
  bool* handed_off_;
};

}  // namespace

Handler::Handler(engine::Engine& engine, Limits limits) : engine_(engine), limits_(limits) {}

StatsSnapshot Handler::Stats(bool refresh_store_memory) {
  StatsSnapshot s;
  s.uptime_micros = request_stats_.UptimeMicros();
  if (connection_counts_) std::tie(s.connections, s.connections_total) = connection_counts_();
  s.counts = engine_.Counts();
  s.resident_bytes = ResidentBytes();
  {
    std::lock_guard lock(memory_mu_);
    const auto now = Clock::now();
    if (refresh_store_memory &&
        (!store_bytes_known_ || now - store_bytes_time_ >= std::chrono::minutes(1))) {
      store_bytes_ = engine_.Memory().total();
      store_bytes_time_ = now;
      store_bytes_known_ = true;
    }
    if (store_bytes_known_) {
      s.store_bytes = store_bytes_;
      s.store_bytes_age_micros =
          std::chrono::duration_cast<std::chrono::microseconds>(now - store_bytes_time_).count();
    }
  }
  s.storage = engine_.Storage();
  s.writer = engine_.Writer();
  s.ops = request_stats_.Snapshot();
  return s;
}

void Handler::Handle(Session& session, kj::ArrayPtr<const capnp::word> frame, Reply reply) {
  const Clock::time_point start = Clock::now();
  uint64_t id = 0;
  OpKind op = OpKind::kOther;
  kj::Array<capnp::word> response;
  bool close = false;
  // Once an operation holds `reply`, it alone answers, whatever happens after.
  bool handed_off = false;
  try {
    capnp::FlatArrayMessageReader reader(frame, ReaderOptionsFor(frame.size(), limits_));
    wire::Request::Reader request = reader.getRoot<wire::Request>();
    id = request.getId();
    op = OpOf(request.which());
    Dispatch dispatch(engine_, *this, session, id, op, start, &handed_off);
    response = dispatch.Run(request, reply, &close);
  } catch (const kj::Exception& e) {
    if (handed_off) return;
    response = ErrorFrame(
        id, Status::InvalidArgument("malformed request: " + std::string(e.getDescription().cStr())));
    close = true;
  }
  if (handed_off) return;
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
  request_stats_.Record(op, static_cast<uint64_t>(nanos.count()), IsErrorResponse(response));
  reply(kj::mv(response), close);
}

}  // namespace crm::protocol
