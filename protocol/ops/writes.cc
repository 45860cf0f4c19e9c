// Writes: a batch of creates, updates, deletes and imports, applied (write)
// or only validated (dry_run). Every role writes within its scope (Access);
// one op out of scope refuses the whole request before anything is applied.
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crm/protocol/convert.h"
#include "ops/operation.h"

namespace crm::protocol::internal {

namespace {

using engine::Status;

// A write, or (dry_run) its validation without applying it.
template <typename WriteReader>
Frame Write(Call& call, WriteReader write, bool dry_run) {
  auto wire_ops = write.getOps();
  std::vector<engine::WriteOp> ops(wire_ops.size());
  const Access scope = call.access();
  for (unsigned i = 0; i < wire_ops.size(); ++i) {
    const std::string field =
        std::string(dry_run ? "dry_run" : "write") + ".ops[" + std::to_string(i) + "]";
    Status s = Under(FromWire(wire_ops[i], &ops[i]), field);
    if (!s.ok()) return call.Error(s);
  }
  for (unsigned i = 0; i < ops.size(); ++i) {
    engine::WriteOp& op = ops[i];
    if (op.kind == engine::WriteKind::kImport) {
      Decision d = scope.Role(call.user().role == engine::Role::kAdmin, "import_records");
      if (!d.allowed) return call.Deny(d, "write.ops[" + std::to_string(i) + "]");
    }
    // One op out of scope refuses the whole request, before anything is applied.
    Decision d = scope.Write(op);
    if (!d.allowed) return call.Deny(d, "write.ops[" + std::to_string(i) + "]");
    const bool touches_user = op.kind == engine::WriteKind::kDelete
                                  ? op.entity == engine::EntityKind::kUser
                                  : std::holds_alternative<engine::User>(op.record);
    // Token hashes never leave the server, so an update that carries none
    // keeps the stored one rather than revoking the token.
    if (touches_user && op.kind == engine::WriteKind::kUpdate) {
      auto& user = std::get<engine::User>(op.record);
      if (user.token_hash.empty()) {
        engine::Result<engine::User> stored = call.engine().GetUser(user.id);
        if (stored.ok()) user.token_hash = stored->token_hash;
      }
    }
  }
  auto done = [id = call.id(), reply = call.HandOff()](std::vector<engine::WriteResult> results) {
    Out out(id);
    auto list = out.response.initWrite(static_cast<unsigned>(results.size()));
    for (unsigned i = 0; i < results.size(); ++i) ToWire(results[i], list[i]);
    reply(out.Build(), false);
  };
  if (dry_run) {
    call.engine().DryRunAsync(call.actor(), std::move(ops), write.getAtomic(), std::move(done));
  } else {
    call.engine().WriteAsync(call.actor(), std::move(ops), write.getAtomic(), std::move(done));
  }
  return nullptr;
}

Frame WriteRequest(Call& call, wire::Request::Reader request) {
  return Write(call, request.getWrite(), /*dry_run=*/false);
}

Frame DryRun(Call& call, wire::Request::Reader request) {
  return Write(call, request.getDryRun(), /*dry_run=*/true);
}

constexpr Operation kOperations[] = {
    {wire::Request::WRITE, "write", kEveryone, WriteRequest},
    {wire::Request::DRY_RUN, "dry_run", kEveryone, DryRun},
};

}  // namespace

std::span<const Operation> WriteOperations() { return kOperations; }

}  // namespace crm::protocol::internal
