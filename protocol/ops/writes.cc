// Writes: a batch of creates, updates, deletes and imports, applied (write)
// or only validated (dry_run), and the conversion of a lead (convert_lead),
// one atomic write built here. Every role writes within its scope (Access);
// one op out of scope refuses the whole request before anything is applied.
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crm/protocol/convert.h"
#include "crm/protocol/ops_convert.h"
#include "crm/protocol/sales.h"
#include "ops/operation.h"

namespace crm::protocol::internal {

namespace {

using engine::Status;

// Checks every op against the caller's scope (an import also needs the admin
// role), completing the ops as Access::Write does. One op out of scope
// refuses the whole request, before anything is applied: returns false after
// Call::Deny, naming the op by `field_of(i)`.
template <typename FieldOf>
bool InScope(Call& call, std::vector<engine::WriteOp>& ops, FieldOf field_of) {
  const Access scope = call.access();
  for (size_t i = 0; i < ops.size(); ++i) {
    engine::WriteOp& op = ops[i];
    if (op.kind == engine::WriteKind::kImport) {
      Decision d = scope.Role(call.user().role == engine::Role::kAdmin, "import_records");
      if (!d.allowed) {
        call.Deny(d, field_of(i));  // answers the request
        return false;
      }
    }
    Decision d = scope.Write(op);
    if (!d.allowed) {
      call.Deny(d, field_of(i));  // answers the request
      return false;
    }
  }
  return true;
}

// A write, or (dry_run) its validation without applying it.
template <typename WriteReader>
Frame Write(Call& call, WriteReader write, bool dry_run) {
  auto wire_ops = write.getOps();
  std::vector<engine::WriteOp> ops(wire_ops.size());
  for (unsigned i = 0; i < wire_ops.size(); ++i) {
    const std::string field =
        std::string(dry_run ? "dry_run" : "write") + ".ops[" + std::to_string(i) + "]";
    Status s = Under(FromWire(wire_ops[i], &ops[i]), field);
    if (!s.ok()) return call.Error(s);
  }
  if (!InScope(call, ops, [](size_t i) { return "write.ops[" + std::to_string(i) + "]"; })) {
    return nullptr;
  }
  for (engine::WriteOp& op : ops) {
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

// The parts of a conversion, in the order of its ops.
constexpr const char* kConvertParts[] = {"convert_lead.customer", "convert_lead.opportunity",
                                         "convert_lead.task"};

// An op's error as the conversion reports it: under "convert_lead." when it
// names a record field ("convert_lead.task.title"), else naming the part.
Status ConvertError(Status status, const char* part) {
  if (status.field().empty()) return Under(std::move(status), part);
  return Prefixed(std::move(status), "convert_lead");
}

// Lead conversion: the customer's update to active and, optionally, the
// creation of its first opportunity and a follow-up task, in one atomic
// write that each op's scope check has allowed.
Frame ConvertLead(Call& call, wire::Request::Reader request) {
  protocol::ConvertLeadRequest in;
  Status s = Under(protocol::FromWire(request.getConvertLead(), &in), "convert_lead");
  if (!s.ok()) return call.Error(s);
  engine::Result<engine::Customer> customer = call.engine().GetCustomer(in.customer);
  if (!customer.ok()) {
    return call.Error(
        Status(customer.status().code(), customer.status().message(), "convert_lead.customer"));
  }
  std::vector<engine::WriteOp> ops;
  std::vector<const char*> parts;
  {
    engine::WriteOp op;
    op.kind = engine::WriteKind::kUpdate;
    engine::Customer active = *customer;
    active.lifecycle = engine::Lifecycle::kActive;
    // Pinned: a customer changed since it was read (or since the caller's
    // revision) fails with Conflict rather than being converted unseen.
    active.revision = in.revision != 0 ? in.revision : customer->revision;
    op.record = std::move(active);
    ops.push_back(std::move(op));
    parts.push_back(kConvertParts[0]);
  }
  if (in.opportunity) {
    engine::WriteOp op;
    engine::Opportunity& o = *in.opportunity;
    o.customer = customer->id;
    if (o.owner == 0) o.owner = customer->owner;
    op.record = std::move(o);
    ops.push_back(std::move(op));
    parts.push_back(kConvertParts[1]);
  }
  if (in.task) {
    engine::WriteOp op;
    engine::Task& t = *in.task;
    t.customer = customer->id;
    if (t.assignee == 0) t.assignee = customer->owner != 0 ? customer->owner : call.user().id;
    op.record = std::move(t);
    ops.push_back(std::move(op));
    parts.push_back(kConvertParts[2]);
  }
  if (!InScope(call, ops, [&](size_t i) { return std::string(parts[i]); })) return nullptr;
  if (in.revision != 0 && in.revision != customer->revision) {
    return call.Error(Status::Conflict("customer " + std::to_string(customer->id) +
                                           " is at revision " + std::to_string(customer->revision) +
                                           ", not " + std::to_string(in.revision) +
                                           ": read it again",
                                       "convert_lead.revision"));
  }
  if (customer->lifecycle != engine::Lifecycle::kLead) {
    return call.Error(Status::FailedPrecondition(
        "customer " + std::to_string(customer->id) + " is " +
            std::string(engine::Name(customer->lifecycle)) + ", not a lead: only a lead converts",
        "convert_lead.customer"));
  }
  auto done = [id = call.id(), reply = call.HandOff(),
               parts = std::move(parts)](std::vector<engine::WriteResult> results) {
    // An atomic write that failed reports its cause on the failing op and
    // "not applied" conflicts on the others.
    for (size_t i = 0; i < results.size(); ++i) {
      const Status& r = results[i].status;
      if (!r.ok() && !r.message().starts_with("not applied: ")) {
        reply(ErrorFrame(id, ConvertError(r, i < parts.size() ? parts[i] : "convert_lead")), false);
        return;
      }
    }
    for (const engine::WriteResult& r : results) {
      if (!r.status.ok()) {
        reply(ErrorFrame(id, ConvertError(r.status, "convert_lead")), false);
        return;
      }
    }
    protocol::ConvertedLead converted;
    converted.customer = results.empty() ? 0 : results[0].id;
    for (size_t i = 1; i < results.size() && i < parts.size(); ++i) {
      if (parts[i] == kConvertParts[1]) converted.opportunity = results[i].id;
      if (parts[i] == kConvertParts[2]) converted.task = results[i].id;
    }
    Out out(id);
    protocol::ToWire(converted, out.response.initConverted());
    reply(out.Build(), false);
  };
  call.engine().WriteAsync(call.actor(), std::move(ops), /*atomic=*/true, std::move(done));
  return nullptr;
}

constexpr Operation kOperations[] = {
    {wire::Request::WRITE, "write", kEveryone, WriteRequest},
    {wire::Request::DRY_RUN, "dry_run", kEveryone, DryRun},
    {wire::Request::CONVERT_LEAD, "convert_lead", kEveryone, ConvertLead},
};

}  // namespace

std::span<const Operation> WriteOperations() { return kOperations; }

}  // namespace crm::protocol::internal
