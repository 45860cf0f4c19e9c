// The operations of the protocol, each described once.
//
// An Operation names a request arm of crm.capnp, the name its requests are
// counted under in the stats (and the metrics endpoint), the roles that may
// call it, and the function that answers it. Each ops file (reads.cc,
// writes.cc, admin.cc, value.cc, session.cc) defines its handler functions
// and, next to them, the table of its operations; OperationTable gathers
// those tables into one array indexed by the arm, which the handler reads
// for every request (one array index, no allocation, no lookup).
//
// A handler function runs inside the handler's boundary that catches
// kj::Exception (a malformed request), after the caller's role has passed
// the operation's Rule. Scope checks that depend on the request itself (a
// manager's team, an agent's own records) are made by the handler function
// through Call::access(), and refused through Call::Deny().
//
// Thread-safety: the tables are immutable once built (on first use, under
// the C++ static-initialisation guarantee); a Call is used by one request on
// one thread.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access.h"
#include "convert_internal.h"
#include "crm.capnp.h"
#include "crm/engine/engine.h"
#include "crm/protocol/handler.h"

namespace crm::protocol::internal {

using Frame = kj::Array<capnp::word>;

// ---- Building responses.

// A response being built. Most responses fit in the first segment; bigger
// ones grow from there.
struct Out {
  static constexpr unsigned kFirstSegmentWords = 1024;
  explicit Out(uint64_t id)
      : message(kFirstSegmentWords), response(message.initRoot<wire::Response>()) {
    response.setId(id);
  }
  Frame Build() { return capnp::messageToFlatArray(message); }

  capnp::MallocMessageBuilder message;
  wire::Response::Builder response;
};

// Whether a response frame (one this handler built) carries an error.
bool IsErrorResponse(kj::ArrayPtr<const capnp::word> frame);

// The error response to request `id`.
Frame ErrorFrame(uint64_t id, const engine::Status& status);

// `status` with a non-empty field moved under `prefix` ("limit" ->
// "history.limit"); a status naming no field keeps naming none.
engine::Status Prefixed(engine::Status status, const std::string& prefix);

// `status` with its field under `prefix`, or `prefix` itself when it names
// none: for conversions of one part of the request.
inline engine::Status Under(engine::Status status, const std::string& prefix) {
  return UnderField(std::move(status), prefix);
}

// A user as it may leave the server: never its token hash.
engine::User Public(engine::User user);

// Sets token_hash of `user` to a fresh token's; returns the token (Internal
// if the kernel's random source fails). Defined in users.cc.
engine::Result<std::string> AttachToken(engine::User* user);

// ---- One request being answered.

// What a handler function works with: the engine, the caller, the request's
// id, and the reply for operations that answer after a commit.
class Call {
 public:
  using Clock = std::chrono::steady_clock;

  // `*handed_off` becomes true the moment an operation takes `reply`.
  Call(engine::Engine& engine, Handler& handler, Session& session, uint64_t id, size_t stats_slot,
       Clock::time_point start, Reply& reply, bool* handed_off)
      : engine_(engine),
        handler_(handler),
        session_(session),
        id_(id),
        stats_slot_(stats_slot),
        start_(start),
        reply_(reply),
        handed_off_(handed_off) {}
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  engine::Engine& engine() const { return engine_; }
  Handler& handler() const { return handler_; }
  Session& session() const { return session_; }
  const engine::User& user() const { return session_.user; }
  engine::Actor actor() const { return engine::Actor{session_.user.id}; }
  uint64_t id() const { return id_; }
  Access access() const { return Access(engine_, session_.user); }

  // The error response to this request.
  Frame Error(const engine::Status& status) const { return ErrorFrame(id_, status); }

  // Takes the reply for an operation that answers later (from the engine's
  // writer thread); the answer is counted in the stats when it is sent. Call
  // at most once, and then return an empty frame.
  Reply HandOff();

  // Refuses the request with `decision` once the refusal is in the audit
  // log; `prefix`, if given, becomes the refusal's field. Returns the empty
  // frame (the reply is handed off).
  Frame Deny(const Decision& decision, const std::string& prefix = {});

  // For managers: refuses reading anything of a customer outside the team.
  // Returns true (with `*frame` set) when refused; false for other roles and
  // for an unknown customer (the operation reports NotFound itself).
  bool ScopedCustomer(engine::Id customer, Frame* frame);

 private:
  engine::Engine& engine_;
  Handler& handler_;
  Session& session_;
  const uint64_t id_;
  const size_t stats_slot_;
  const Clock::time_point start_;
  Reply& reply_;
  bool* handed_off_;
};

// ---- Operation descriptors.

// Who may call an operation: a set of roles. Any other role is refused with
// PermissionDenied "role R lacks permission P[: P requires REQUIREMENT]",
// and the refusal is audited, before the operation reads its request.
struct Rule {
  uint8_t roles = 0;              // bit (1 << Role) for each role allowed
  const char* permission = "";    // what the refusal names: "manage_users"
  const char* requirement = "";   // "" or what the refusal says P requires

  constexpr bool Allows(engine::Role role) const {
    return (roles >> static_cast<unsigned>(role) & 1) != 0;
  }
};

inline constexpr uint8_t kAdminBit = 1 << static_cast<unsigned>(engine::Role::kAdmin);
inline constexpr uint8_t kManagerBit = 1 << static_cast<unsigned>(engine::Role::kManager);
inline constexpr uint8_t kAgentBit = 1 << static_cast<unsigned>(engine::Role::kAgent);

// Every authenticated user (scope checks, if any, are the operation's own).
inline constexpr Rule kEveryone{kAdminBit | kManagerBit | kAgentBit};
constexpr Rule AdminOnly(const char* permission, const char* requirement = "") {
  return Rule{kAdminBit, permission, requirement};
}
constexpr Rule ManagerOrAdmin(const char* permission, const char* requirement = "") {
  return Rule{kAdminBit | kManagerBit, permission, requirement};
}

// Answers one request of the operation's arm: returns the response frame to
// send now, or an empty frame after Call::HandOff() (or Call::Deny()).
using Run = Frame (*)(Call& call, wire::Request::Reader request);

struct Operation {
  wire::Request::Which arm;
  std::string_view name;  // stats and metrics name: "card", "audit_log"
  Rule rule;
  Run run;
};

// The tables of the ops files.
std::span<const Operation> SessionOperations();  // ops/session.cc
std::span<const Operation> ReadOperations();     // ops/reads.cc
std::span<const Operation> WriteOperations();    // ops/writes.cc
std::span<const Operation> AdminOperations();    // ops/admin.cc
std::span<const Operation> ValueOperations();    // ops/value.cc

// Every operation, indexed by arm, and the stats slots.
class OperationTable {
 public:
  // Arms beyond this are unknown operations (no schema comes near it).
  static constexpr size_t kMaxArms = 64;

  // The table, built on first use. CRM_CHECKs that every arm of
  // wire::Request has exactly one operation.
  static const OperationTable& Get();

  // The operation of `arm`, or nullptr for an arm this server does not know.
  // O(1).
  const Operation* Find(wire::Request::Which arm) const {
    const auto i = static_cast<size_t>(arm);
    return i < kMaxArms ? by_arm_[i] : nullptr;
  }
  // The stats slot of `arm`; OtherSlot() for an unknown arm. O(1).
  size_t SlotOf(wire::Request::Which arm) const {
    const auto i = static_cast<size_t>(arm);
    return i < kMaxArms ? slot_of_arm_[i] : other_slot_;
  }
  // The slot of unreadable or unknown requests ("other").
  size_t OtherSlot() const { return other_slot_; }
  // The name of each slot, in the order `stats` lists them.
  const std::vector<std::string_view>& SlotNames() const { return slot_names_; }

 private:
  OperationTable();

  std::array<const Operation*, kMaxArms> by_arm_{};
  std::array<size_t, kMaxArms> slot_of_arm_{};
  size_t other_slot_ = 0;
  std::vector<std::string_view> slot_names_;
};

}  // namespace crm::protocol::internal
