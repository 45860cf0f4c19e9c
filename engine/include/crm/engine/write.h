// Writes and handover as the Engine takes them: who acts (Actor), one write
// (WriteOp) and its outcome (WriteResult), and the handover of everything a
// user holds (HandoverSpec, HandoverResult).
//
// Contract: plain data. The engine validates every field of a WriteOp and of
// a HandoverSpec and answers a bad one with a Status, never by asserting.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::engine {

// Who performs a mutation; recorded in the audit log. 0 = the system.
struct Actor {
  Id user = 0;
};

// One write: create (record.id must be 0), update (record.id names it; full
// replacement of the user-settable fields), delete (entity + id), or import.
//
// Import puts `record` exactly as given, server-owned fields included (id,
// revision, created/updated times; a revision of 0 becomes 1, a time of 0
// becomes now): the load path of an export or a migration. The record is
// validated like a create (fields, references, unique keys). Its id must not
// be 0; a stored record of that kind and id is AlreadyExists (naming it)
// unless `replace` is set, then it is replaced (it must keep its customer).
// Later creates get ids above every imported one. Audited as the create or
// update it amounts to.
struct WriteOp {
  WriteKind kind = WriteKind::kCreate;
  Record record;                              // create / update
  EntityKind entity = EntityKind::kCustomer;  // delete
  Id id = 0;                                  // delete
  // Delete: non-zero = refuse with Conflict unless the record is at this
  // revision (so a delete applies only to the state that was checked).
  uint64_t revision = 0;
  // Delete of a customer: also delete its contacts, interactions,
  // transactions, opportunities, contracts, tasks and the edges that point at
  // it. Without it, deleting a customer that still has any is a Conflict.
  bool cascade = false;
  // Import only: replace a stored record of the same kind and id.
  bool replace = false;
};

struct WriteResult {
  Status status;
  Id id = 0;              // the record's id (assigned on create)
  uint64_t revision = 0;  // its revision after the write
};

// Receives one WriteResult per op of an asynchronous write, in order.
using WriteCallback = std::function<void(std::vector<WriteResult>)>;

// Handover of everything a user holds: the customers and opportunities they
// own, the contracts they own, and the open tasks assigned to them.
struct HandoverSpec {
  Id from = 0;
  // Exactly one of: one user who takes everything, or a team whose active
  // agents (its active managers if it has no agent; never `from`) share it,
  // least loaded first: each customer
  // goes to the team member who owns the fewest customers at that moment
  // (ties: the lowest id), and the opportunities, contracts and tasks of a
  // moved customer follow it; the rest are spread the same way.
  Id to = 0;
  std::string to_team;
  // After the move, set `from` inactive (its tokens stop working).
  bool deactivate = false;
  // Non-empty: also move `from` to this team (a user who changes teams).
  std::string new_team;
};

struct HandoverResult {
  uint64_t customers = 0, opportunities = 0, contracts = 0, tasks = 0;
  // Who received what: user -> customers received (every receiver listed).
  std::vector<std::pair<Id, uint64_t>> receivers;
  bool deactivated = false;
};

}  // namespace crm::engine
