// Administration: users, the audit log, handover, stats, exports (scan) and
// backups.
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/ops_convert.h"
#include "ops/operation.h"

namespace crm::protocol::internal {

namespace {

using engine::Role;
using engine::Status;

Frame AuditLog(Call& call, wire::Request::Reader request) {
  engine::AuditQuery query;
  Status s = Under(FromWire(request.getAuditLog(), &query), "audit_log");
  if (!s.ok()) return call.Error(s);
  Decision d = call.access().AuditQuery(query);
  if (!d.allowed) return call.Deny(d);
  engine::Result<engine::AuditPage> page = call.engine().QueryAudit(query);
  if (!page.ok()) return call.Error(Prefixed(page.status(), "audit_log"));
  Out out(call.id());
  auto list = out.response.initAuditLog(static_cast<unsigned>(page->entries.size()));
  for (unsigned i = 0; i < page->entries.size(); ++i) engine::Encode(page->entries[i], list[i]);
  return out.Build();
}

Frame CreateUser(Call& call, wire::Request::Reader request) {
  auto in = request.getCreateUser();
  if (in.getRole() > static_cast<uint8_t>(Role::kAgent)) {
    return call.Error(Status::InvalidArgument(
        "unknown role " + std::to_string(in.getRole()) + " (0 admin, 1 manager, 2 agent)",
        "create_user.role"));
  }
  engine::User user;
  user.name = ToString(in.getName());
  user.role = static_cast<Role>(in.getRole());
  user.team = ToString(in.getTeam());
  user.active = true;
  engine::Result<std::string> token = AttachToken(&user);
  if (!token.ok()) return call.Error(token.status());
  std::vector<engine::WriteOp> ops(1);
  ops[0].kind = engine::WriteKind::kCreate;
  ops[0].record = std::move(user);
  engine::Engine& engine = call.engine();
  engine.WriteAsync(
      call.actor(), std::move(ops), /*atomic=*/true,
      [&engine, id = call.id(), token = std::move(*token),
       reply = call.HandOff()](std::vector<engine::WriteResult> results) {
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
        reply(out.Build(), false);
      });
  return nullptr;
}

Frame ListUsers(Call& call, wire::Request::Reader) {
  std::vector<engine::User> users = call.engine().ListUsers();
  Out out(call.id());
  auto list = out.response.initUsers(static_cast<unsigned>(users.size()));
  for (unsigned i = 0; i < users.size(); ++i) {
    engine::Encode(Public(std::move(users[i])), list[i]);
  }
  return out.Build();
}

Frame Handover(Call& call, wire::Request::Reader request) {
  engine::HandoverSpec spec = FromWire(request.getHandover());
  Decision d = call.access().Handover(spec);
  if (!d.allowed) return call.Deny(d);
  call.engine().HandoverAsync(
      call.actor(), std::move(spec),
      [id = call.id(), reply = call.HandOff()](engine::Result<engine::HandoverResult> result) {
        if (!result.ok()) {
          return reply(ErrorFrame(id, Prefixed(result.status(), "handover")), false);
        }
        Out out(id);
        ToWire(*result, out.response.initHandover());
        reply(out.Build(), false);
      });
  return nullptr;
}

Frame Stats(Call& call, wire::Request::Reader) {
  Out out(call.id());
  ToWire(call.handler().Stats(/*refresh_store_memory=*/true), out.response.initStats());
  return out.Build();
}

Frame Scan(Call& call, wire::Request::Reader request) {
  auto scan = request.getScan();
  if (scan.getEntity() < 1 || scan.getEntity() > engine::kEntityKindCount) {
    return call.Error(Status::InvalidArgument("unknown entity kind " +
                                                  std::to_string(scan.getEntity()) +
                                                  " (1 customer .. 8 user)",
                                              "scan.entity"));
  }
  const auto kind = static_cast<engine::EntityKind>(scan.getEntity());
  engine::Result<std::vector<engine::Record>> records =
      call.engine().Scan(kind, scan.getAfter(), scan.getLimit());
  if (!records.ok()) return call.Error(Prefixed(records.status(), "scan"));
  Out out(call.id());
  auto list = out.response.initRecords(static_cast<unsigned>(records->size()));
  for (unsigned i = 0; i < records->size(); ++i) {
    engine::Record& record = (*records)[i];
    if (auto* user = std::get_if<engine::User>(&record)) user->token_hash.clear();
    ToWire(record, list[i]);
  }
  return out.Build();
}

Frame Backup(Call& call, wire::Request::Reader request) {
  auto in = request.getBackup();
  engine::BackupOptions options;
  options.path = ToString(in.getPath());
  options.single_file = in.getSingleFile();
  options.compact = in.getCompact();
  if (options.path.empty() || options.path[0] != '/') {
    return call.Error(Status::InvalidArgument("must be an absolute path on the server's machine",
                                              "backup.path"));
  }
  call.engine().BackupAsync(
      options, [id = call.id(), reply = call.HandOff()](engine::Result<engine::BackupInfo> info) {
        if (!info.ok()) return reply(ErrorFrame(id, Prefixed(info.status(), "backup")), false);
        Out out(id);
        ToWire(*info, out.response.initBackup());
        reply(out.Build(), false);
      });
  return nullptr;
}

constexpr Operation kOperations[] = {
    // Scoped for managers by Access::AuditQuery; agents are refused there.
    {wire::Request::AUDIT_LOG, "audit_log", kEveryone, AuditLog},
    {wire::Request::CREATE_USER, "create_user", AdminOnly("manage_users"), CreateUser},
    {wire::Request::LIST_USERS, "list_users", ManagerOrAdmin("list_users"), ListUsers},
    // Scoped for managers by Access::Handover; agents are refused there.
    {wire::Request::HANDOVER, "handover", kEveryone, Handover},
    {wire::Request::STATS, "stats", ManagerOrAdmin("read_stats"), Stats},
    {wire::Request::SCAN, "scan", AdminOnly("export_records"), Scan},
    {wire::Request::BACKUP, "backup", AdminOnly("backup"), Backup},
};

}  // namespace

std::span<const Operation> AdminOperations() { return kOperations; }

}  // namespace crm::protocol::internal
