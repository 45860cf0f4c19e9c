// Access scopes: who may read and change what. The engine knows nothing of
// permissions; the handler asks Access before each operation and refuses
// (and audits) what it denies. The rules are in protocol/README.md
// ("Permissions").
//
// - admin: everything.
// - manager of team T: reads and changes the customers of T (customer.team
//   is T, or its owner is a user of T) and their records; reassigns them
//   within T; hands over T's users; reads the audit log of T's records and
//   users; stats. A manager without a team has no customers.
// - agent: reads every card and record (a call center must see any caller);
//   changes the customers they own and those customers' records, the
//   interactions they are the agent of (and may log one with any customer),
//   the opportunities and contracts they own and the tasks assigned to them;
//   never reassigns a customer nor deletes one.
//
// Checks read the committed state when the request arrives. An update or
// delete it allows is pinned to the revision it saw, so a record changed in
// between fails with Conflict instead of being changed out of scope.
//
// Thread-safety: an Access is used by one request on one thread; it reads
// the engine, which is thread-safe.
#pragma once

#include <string>

#include "crm/engine/engine.h"

namespace crm::protocol::internal {

// An allowed operation (allowed = true) or the reason for a refusal.
struct Decision {
  bool allowed = true;
  std::string permission;  // what is missing: "customer.write"
  std::string message;     // why: "customer 42 is owned by user 7, not by you"
  engine::EntityKind entity = engine::EntityKind::kCustomer;
  engine::Id record = 0;  // the record the refusal is about, 0 if none

  static Decision Allow() { return {}; }
  // The status sent to the client: "customer.write: customer 42 is ...".
  engine::Status ToStatus() const;
};

class Access {
 public:
  Access(const engine::Engine& engine, const engine::User& user) : engine_(engine), user_(user) {}

  // Reading one customer (card, history, list) or one record (get).
  Decision ReadCustomer(const engine::Customer& customer) const;
  Decision ReadRecord(const engine::Record& record) const;

  // One op of a write. May complete the op: a customer created by a manager
  // or agent without a team gets theirs, one created by an agent without an
  // owner gets the agent; an allowed update or delete is pinned to the
  // revision checked.
  Decision Write(engine::WriteOp& op) const;

  Decision AuditQuery(const engine::AuditQuery& query) const;
  Decision Handover(const engine::HandoverSpec& spec) const;
  // list_users, read_stats, manage_users: role-only permissions.
  Decision Role(bool allowed, const std::string& permission,
                const std::string& requirement = {}) const;

 private:
  bool IsAdmin() const { return user_.role == engine::Role::kAdmin; }
  bool IsManager() const { return user_.role == engine::Role::kManager; }
  // The team of user `id` ("" if none or unknown).
  std::string TeamOf(engine::Id id) const;
  // Whether `customer` belongs to the manager's team.
  bool InTeam(const engine::Customer& customer) const;
  // The customer scope check for changing a record of `customer_id`.
  Decision CustomerScope(engine::Id customer_id, const std::string& permission,
                         engine::EntityKind entity, engine::Id record) const;
  // Whether the user may change `record` as it is (old) or will be (new).
  Decision Changeable(const engine::Record& record, bool creating) const;
  Decision CustomerWrite(engine::WriteOp& op, const engine::Customer* old) const;
  Decision Deny(std::string permission, std::string message, engine::EntityKind entity,
                engine::Id record) const;

  const engine::Engine& engine_;
  const engine::User& user_;
};

}  // namespace crm::protocol::internal
