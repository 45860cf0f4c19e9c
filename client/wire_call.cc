// The Fill, FromWire and Finish overloads of wire_call.h: the calls whose
// arguments or results are not one value crm/protocol converts.
#include "wire_call.h"

#include <string>
#include <vector>

namespace crm::client::internal {

Status Check(ResponseReader r, wire::Response::Which want) {
  if (r.which() == want) return Status::Ok();
  if (r.isError()) {
    Status s = protocol::FromWire(r.getError());
    if (s.ok()) return Status::Internal("server sent an error response with code ok");
    return s;
  }
  return Status::Internal("unexpected response (union tag " +
                          std::to_string(static_cast<int>(r.which())) + ")");
}

void Fill(wire::Hello::Builder out, const std::string& token) {
  out.setProtocolVersion(protocol::kProtocolVersion);
  out.setToken(token);
}

void Fill(wire::Request::Card::Builder out, const engine::CardKey& key,
          const engine::CardOptions& options) {
  protocol::ToWire(key, out.initKey());
  protocol::ToWire(options, out.initOptions());
}

void Fill(wire::EntityRef::Builder out, engine::EntityKind entity, engine::Id id) {
  out.setEntity(static_cast<uint8_t>(entity));
  out.setId(id);
}

void Fill(wire::Request::List::Builder out, engine::Id customer, engine::EntityKind entity) {
  out.setCustomer(customer);
  out.setEntity(static_cast<uint8_t>(entity));
}

namespace {

// A write or a dry run: the same group under two arms.
template <typename Group>
void FillOps(Group out, const std::vector<engine::WriteOp>& ops, bool atomic) {
  auto list = out.initOps(static_cast<unsigned>(ops.size()));
  for (size_t i = 0; i < ops.size(); ++i) {
    protocol::ToWire(ops[i], list[static_cast<unsigned>(i)]);
  }
  out.setAtomic(atomic);
}

}  // namespace

void Fill(wire::Request::Write::Builder out, const std::vector<engine::WriteOp>& ops, bool atomic) {
  FillOps(out, ops, atomic);
}

void Fill(wire::Request::DryRun::Builder out, const std::vector<engine::WriteOp>& ops,
          bool atomic) {
  FillOps(out, ops, atomic);
}

void Fill(wire::Request::Scan::Builder out, engine::EntityKind entity, engine::Id after,
          uint32_t limit) {
  out.setEntity(static_cast<uint8_t>(entity));
  out.setAfter(after);
  out.setLimit(limit);
}

void Fill(wire::Request::AuditLog::Builder out, uint64_t after, uint32_t limit) {
  out.setAfter(after);
  out.setLimit(limit);
}

void Fill(wire::NewUser::Builder out, const std::string& name, engine::Role role,
          const std::string& team) {
  out.setName(name);
  out.setRole(static_cast<uint8_t>(role));
  out.setTeam(team);
}

void Fill(wire::BackupRequest::Builder out, const engine::BackupOptions& options) {
  out.setPath(options.path);
  out.setSingleFile(options.single_file);
  out.setCompact(options.compact);
}

Status FromWire(wire::HelloReply::Reader in, engine::User* out) {
  return engine::Decode(in.getUser(), out);
}

Status FromWire(wire::CreatedUser::Reader in, CreatedUser* out) {
  CRM_RETURN_IF_ERROR(engine::Decode(in.getUser(), &out->user));
  out->token = in.getToken();
  return Status::Ok();
}

Status FromWire(capnp::List<schema::AuditEntry>::Reader in, engine::AuditPage* out) {
  return Decode(in, &out->entries);
}

Status Finish(engine::AuditPage* page, const engine::AuditQuery& query) {
  if (!page->entries.empty() && page->entries.size() == query.limit) {
    page->next_cursor = page->entries.back().sequence;
  }
  return Status::Ok();
}

Status Finish(protocol::Report* report, const protocol::ReportQuery& query) {
  if (report->index() != query.index()) {
    return Status::Internal("the server answered a report of another kind");
  }
  return Status::Ok();
}

}  // namespace crm::client::internal
