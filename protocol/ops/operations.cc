#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <utility>

#include "crm/engine/status.h"
#include "crm/protocol/convert.h"
#include "ops/operation.h"

namespace crm::protocol::internal {

namespace {

// The operations `stats` has always listed first, in this order, before
// "other"; every other operation follows "other" in arm order.
constexpr wire::Request::Which kListedFirst[] = {
    wire::Request::HELLO,       wire::Request::CARD,       wire::Request::HISTORY,
    wire::Request::GET,         wire::Request::LIST,       wire::Request::WRITE,
    wire::Request::AUDIT_LOG,   wire::Request::COUNTS,     wire::Request::CREATE_USER,
    wire::Request::LIST_USERS,  wire::Request::HANDOVER,   wire::Request::STATS,
};

}  // namespace

// ---- Responses.

bool IsErrorResponse(kj::ArrayPtr<const capnp::word> frame) {
  try {
    capnp::FlatArrayMessageReader reader(frame);
    return reader.getRoot<wire::Response>().isError();
  } catch (const kj::Exception&) {
    return true;
  }
}

Frame ErrorFrame(uint64_t id, const engine::Status& status) {
  Out out(id);
  ToWire(status, out.response.initError());
  return out.Build();
}

engine::Status Prefixed(engine::Status status, const std::string& prefix) {
  if (status.ok() || status.field().empty()) return status;
  return engine::Status(status.code(), status.message(), prefix + "." + status.field(),
                        status.existing_id());
}

engine::User Public(engine::User user) {
  user.token_hash.clear();
  return user;
}

// ---- Call.

Reply Call::HandOff() {
  *handed_off_ = true;
  return [stats = &handler_.request_stats(), slot = stats_slot_, start = start_,
          reply = std::move(reply_)](kj::Array<capnp::word> frame, bool close) {
    const auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    stats->Record(slot, static_cast<uint64_t>(nanos), IsErrorResponse(frame));
    reply(std::move(frame), close);
  };
}

Frame Call::Deny(const Decision& decision, const std::string& prefix) {
  engine::Denial denial;
  denial.entity = decision.entity;
  denial.record = decision.record;
  denial.permission = decision.permission;
  denial.message = decision.message;
  engine::Status status = decision.ToStatus();
  if (!prefix.empty()) status = engine::Status(status.code(), status.message(), prefix);
  engine_.AuditDenialAsync(actor(), std::move(denial),
                           [id = id_, status, reply = HandOff()](engine::Status) {
                             // Refused either way; the audit outcome is the
                             // server's concern, not the client's.
                             reply(ErrorFrame(id, status), false);
                           });
  return nullptr;
}

bool Call::ScopedCustomer(engine::Id customer, Frame* frame) {
  if (session_.user.role != engine::Role::kManager) return false;
  engine::Result<engine::Customer> c = engine_.GetCustomer(customer);
  if (!c.ok()) return false;
  Decision d = access().ReadCustomer(*c);
  if (d.allowed) return false;
  *frame = Deny(d);
  return true;
}

// ---- The table.

const OperationTable& OperationTable::Get() {
  static const OperationTable table;
  return table;
}

OperationTable::OperationTable() {
  for (auto tables : {SessionOperations(), ReadOperations(), WriteOperations(), AdminOperations(),
                      ValueOperations()}) {
    for (const Operation& op : tables) {
      const auto arm = static_cast<size_t>(op.arm);
      CRM_CHECK(arm < kMaxArms);
      CRM_CHECK(by_arm_[arm] == nullptr);  // one operation per arm
      by_arm_[arm] = &op;
    }
  }
  const size_t arms = capnp::Schema::from<wire::Request>().getUnionFields().size();
  for (size_t arm = 0; arm < kMaxArms; ++arm) {
    CRM_CHECK((by_arm_[arm] != nullptr) == (arm < arms));  // every arm has its operation
  }
  for (wire::Request::Which arm : kListedFirst) {
    slot_of_arm_[static_cast<size_t>(arm)] = slot_names_.size();
    slot_names_.push_back(by_arm_[static_cast<size_t>(arm)]->name);
  }
  other_slot_ = slot_names_.size();
  slot_names_.push_back("other");
  for (size_t arm = 0; arm < kMaxArms; ++arm) {
    const Operation* op = by_arm_[arm];
    bool listed = false;
    for (wire::Request::Which first : kListedFirst) listed |= static_cast<size_t>(first) == arm;
    if (op == nullptr) {
      slot_of_arm_[arm] = other_slot_;
    } else if (!listed) {
      slot_of_arm_[arm] = slot_names_.size();
      slot_names_.push_back(op->name);
    }
  }
}

}  // namespace crm::protocol::internal
