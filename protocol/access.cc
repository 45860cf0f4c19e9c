#include "access.h"

#include <type_traits>
#include <utility>
#include <variant>

namespace crm::protocol::internal {

namespace {

using engine::Customer;
using engine::EntityKind;
using engine::Id;
using engine::Record;
using engine::WriteKind;
using engine::WriteOp;

std::string Describe(EntityKind kind, Id id) {
  return std::string(engine::Name(kind)) + " " + std::to_string(id);
}

std::string Quoted(const std::string& team) { return "'" + team + "'"; }

// The customer a record belongs to (0 for customers, users and tasks about
// no customer).
Id CustomerOf(const Record& record) {
  return std::visit(
      [](const auto& r) -> Id {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, engine::Customer> || std::is_same_v<T, engine::User>) {
          return 0;
        } else {
          return r.customer;
        }
      },
      record);
}

engine::Result<Record> Fetch(const engine::Engine& engine, EntityKind kind, Id id) {
  auto wrap = [](auto result) -> engine::Result<Record> {
    if (!result.ok()) return result.status();
    return Record(std::move(result).value());
  };
  switch (kind) {
    case EntityKind::kCustomer: return wrap(engine.GetCustomer(id));
    case EntityKind::kContact: return wrap(engine.GetContact(id));
    case EntityKind::kInteraction: return wrap(engine.GetInteraction(id));
    case EntityKind::kTransaction: return wrap(engine.GetTransaction(id));
    case EntityKind::kOpportunity: return wrap(engine.GetOpportunity(id));
    case EntityKind::kContract: return wrap(engine.GetContract(id));
    case EntityKind::kTask: return wrap(engine.GetTask(id));
    case EntityKind::kUser: return wrap(engine.GetUser(id));
  }
  return engine::Status::InvalidArgument("unknown entity kind");
}

void PinRevision(WriteOp& op, uint64_t revision) {
  if (op.kind == WriteKind::kDelete) {
    if (op.revision == 0) op.revision = revision;
    return;
  }
  std::visit([&](auto& r) {
    if (r.revision == 0) r.revision = revision;
  }, op.record);
}

uint64_t RevisionOf(const Record& record) {
  return std::visit([](const auto& r) { return r.revision; }, record);
}

}  // namespace

engine::Status Decision::ToStatus() const {
  if (allowed) return engine::Status::Ok();
  return engine::Status::PermissionDenied(message);
}

Decision Access::Deny(std::string permission, std::string message, EntityKind entity,
                      Id record) const {
  Decision d;
  d.allowed = false;
  d.message = permission + ": " + message;
  d.permission = std::move(permission);
  d.entity = entity;
  d.record = record;
  return d;
}

Decision Access::Role(bool allowed, const std::string& permission,
                      const std::string& requirement) const {
  if (allowed) return Decision::Allow();
  Decision d;
  d.allowed = false;
  d.permission = permission;
  d.message = "role " + std::string(engine::Name(user_.role)) + " lacks permission " + permission;
  if (!requirement.empty()) d.message += ": " + permission + " requires " + requirement;
  return d;
}

std::string Access::TeamOf(Id id) const {
  if (id == 0) return {};
  auto user = engine_.GetUser(id);
  return user.ok() ? user->team : std::string();
}

bool Access::InTeam(const Customer& c) const {
  if (user_.team.empty()) return false;
  return c.team == user_.team || (c.owner != 0 && TeamOf(c.owner) == user_.team);
}

Decision Access::ReadCustomer(const Customer& c) const {
  if (!IsManager() || InTeam(c)) return Decision::Allow();
  return Deny("customer.read",
              "customer " + std::to_string(c.id) + " is in team " + Quoted(c.team) +
                  ", not in your team " + Quoted(user_.team),
              EntityKind::kCustomer, c.id);
}

Decision Access::ReadRecord(const Record& record) const {
  if (!IsManager()) return Decision::Allow();
  const EntityKind kind = engine::KindOf(record);
  const Id id = engine::IdOf(record);
  if (kind == EntityKind::kUser) return Decision::Allow();
  if (kind == EntityKind::kCustomer) return ReadCustomer(std::get<Customer>(record));
  const std::string permission = std::string(engine::Name(kind)) + ".read";
  const Id customer_id = CustomerOf(record);
  if (customer_id == 0) {  // a task about no customer: its assignee's team
    const Id assignee = std::get<engine::Task>(record).assignee;
    if (!user_.team.empty() && TeamOf(assignee) == user_.team) return Decision::Allow();
    return Deny(permission,
                Describe(kind, id) + " is assigned to user " + std::to_string(assignee) +
                    ", not to your team " + Quoted(user_.team),
                kind, id);
  }
  auto customer = engine_.GetCustomer(customer_id);
  if (!customer.ok() || InTeam(*customer)) return Decision::Allow();
  return Deny(permission,
              Describe(kind, id) + " belongs to customer " + std::to_string(customer_id) +
                  " of team " + Quoted(customer->team) + ", not of your team " +
                  Quoted(user_.team),
              kind, id);
}

Decision Access::CustomerScope(Id customer_id, const std::string& permission, EntityKind entity,
                               Id record) const {
  auto customer = engine_.GetCustomer(customer_id);
  if (!customer.ok()) return Decision::Allow();  // the engine reports NotFound
  if (IsManager()) {
    if (InTeam(*customer)) return Decision::Allow();
    return Deny(permission,
                "customer " + std::to_string(customer_id) + " is in team " +
                    Quoted(customer->team) + ", not in your team " + Quoted(user_.team),
                entity, record);
  }
  if (customer->owner == user_.id) return Decision::Allow();
  return Deny(permission,
              "customer " + std::to_string(customer_id) + " is owned by user " +
                  std::to_string(customer->owner) + ", not by you (user " +
                  std::to_string(user_.id) + ")",
              entity, record);
}

Decision Access::Changeable(const Record& record, bool creating) const {
  const EntityKind kind = engine::KindOf(record);
  const Id id = engine::IdOf(record);
  const std::string permission = std::string(engine::Name(kind)) + ".write";
  const Id customer_id = CustomerOf(record);
  if (!IsManager()) {
    // An agent's own records, whoever owns the customer.
    bool own = false;
    if (auto* i = std::get_if<engine::Interaction>(&record)) own = i->agent == user_.id;
    if (auto* o = std::get_if<engine::Opportunity>(&record)) own = !creating && o->owner == user_.id;
    if (auto* k = std::get_if<engine::Contract>(&record)) own = !creating && k->owner == user_.id;
    if (auto* t = std::get_if<engine::Task>(&record)) {
      own = t->assignee == user_.id && (!creating || t->customer == 0);
    }
    if (own) return Decision::Allow();
  }
  if (customer_id == 0) {  // a task about no customer
    const Id assignee = std::get<engine::Task>(record).assignee;
    if (IsManager() && !user_.team.empty() && TeamOf(assignee) == user_.team) {
      return Decision::Allow();
    }
    return Deny(permission,
                Describe(kind, id) + " is assigned to user " + std::to_string(assignee) +
                    (IsManager() ? ", not to your team " + Quoted(user_.team) : ", not to you"),
                kind, id);
  }
  return CustomerScope(customer_id, permission, kind, id);
}

Decision Access::CustomerWrite(WriteOp& op, const Customer* old) const {
  const Id id = old != nullptr ? old->id : 0;
  if (op.kind == WriteKind::kDelete) {
    if (!IsManager()) {
      return Deny("customer.delete",
                  "agents do not delete customers; ask a manager of the customer's team",
                  EntityKind::kCustomer, id);
    }
    if (!InTeam(*old)) {
      return Deny("customer.write",
                  "customer " + std::to_string(id) + " is in team " + Quoted(old->team) +
                      ", not in your team " + Quoted(user_.team),
                  EntityKind::kCustomer, id);
    }
    return Decision::Allow();
  }
  Customer& c = std::get<Customer>(op.record);
  const bool creating = op.kind == WriteKind::kCreate;
  if (creating) {
    if (c.team.empty()) c.team = user_.team;
    if (!IsManager() && c.owner == 0) c.owner = user_.id;
  }
  if (IsManager()) {
    if (!creating && !InTeam(*old)) {
      return Deny("customer.write",
                  "customer " + std::to_string(id) + " is in team " + Quoted(old->team) +
                      ", not in your team " + Quoted(user_.team),
                  EntityKind::kCustomer, id);
    }
    if ((creating || c.team != old->team) && c.team != user_.team) {
      return Deny("customer.reassign",
                  "only an admin puts a customer in another team than yours (" +
                      Quoted(user_.team) + "): asked for " + Quoted(c.team),
                  EntityKind::kCustomer, id);
    }
    if (c.owner != 0 && (creating || c.owner != old->owner) && TeamOf(c.owner) != user_.team) {
      return Deny("customer.reassign",
                  "user " + std::to_string(c.owner) + " is not in your team " +
                      Quoted(user_.team),
                  EntityKind::kCustomer, id);
    }
    if (!InTeam(c)) {
      return Deny("customer.write",
                  "the customer would leave your team " + Quoted(user_.team),
                  EntityKind::kCustomer, id);
    }
    return Decision::Allow();
  }
  // Agent.
  if (creating) {
    if (c.owner != user_.id) {
      return Deny("customer.reassign",
                  "an agent creates customers they own: owner must be you (user " +
                      std::to_string(user_.id) + ")",
                  EntityKind::kCustomer, 0);
    }
    if (c.team != user_.team) {
      return Deny("customer.reassign",
                  "an agent creates customers in their own team " + Quoted(user_.team),
                  EntityKind::kCustomer, 0);
    }
    return Decision::Allow();
  }
  if (old->owner != user_.id) {
    return Deny("customer.write",
                "customer " + std::to_string(id) + " is owned by user " +
                    std::to_string(old->owner) + ", not by you (user " +
                    std::to_string(user_.id) + ")",
                EntityKind::kCustomer, id);
  }
  if (c.owner != old->owner || c.team != old->team) {
    return Deny("customer.reassign",
                "agents do not change a customer's owner or team; ask a manager",
                EntityKind::kCustomer, id);
  }
  return Decision::Allow();
}

Decision Access::Write(WriteOp& op) const {
  if (IsAdmin()) return Decision::Allow();
  const EntityKind kind = op.kind == WriteKind::kDelete ? op.entity : engine::KindOf(op.record);
  const Id id = op.kind == WriteKind::kDelete ? op.id : engine::IdOf(op.record);
  if (kind == EntityKind::kUser) {
    Decision d = Role(false, "manage_users");
    d.entity = kind;
    d.record = id;
    return d;
  }
  std::optional<Record> old;
  if (op.kind != WriteKind::kCreate) {
    auto fetched = Fetch(engine_, kind, id);
    if (!fetched.ok()) return Decision::Allow();  // the engine reports it
    old = std::move(fetched).value();
  }
  Decision d;
  if (kind == EntityKind::kCustomer) {
    d = CustomerWrite(op, old ? &std::get<Customer>(*old) : nullptr);
  } else {
    if (old) d = Changeable(*old, false);
    if (d.allowed && op.kind != WriteKind::kDelete) {
      d = Changeable(op.record, op.kind == WriteKind::kCreate);
    }
  }
  if (d.allowed && old) PinRevision(op, RevisionOf(*old));
  return d;
}

Decision Access::AuditQuery(const engine::AuditQuery& query) const {
  if (IsAdmin()) return Decision::Allow();
  if (!IsManager()) return Role(false, "read_audit_log");
  if (query.record != 0) {
    auto record = Fetch(engine_, query.entity, query.record);
    if (!record.ok()) {
      return Deny("read_audit_log",
                  Describe(query.entity, query.record) +
                      " does not exist (any more): only an admin reads its audit log",
                  query.entity, query.record);
    }
    if (query.entity == EntityKind::kUser) {
      if (!user_.team.empty() && std::get<engine::User>(*record).team == user_.team) {
        return Decision::Allow();
      }
      return Deny("read_audit_log",
                  Describe(query.entity, query.record) + " is not in your team " +
                      Quoted(user_.team),
                  query.entity, query.record);
    }
    Decision d = ReadRecord(*record);
    if (!d.allowed) {
      d.message = "read_audit_log: " + d.message.substr(d.permission.size() + 2);
      d.permission = "read_audit_log";
    }
    return d;
  }
  if (query.user) {
    if (!user_.team.empty() && *query.user != 0 && TeamOf(*query.user) == user_.team) {
      return Decision::Allow();
    }
    return Deny("read_audit_log",
                "user " + std::to_string(*query.user) + " is not in your team " +
                    Quoted(user_.team),
                EntityKind::kUser, *query.user);
  }
  return Deny("read_audit_log",
              "a manager reads the audit log of one record or one user of their team: "
              "filter by record or by user",
              EntityKind::kCustomer, 0);
}

Decision Access::Handover(const engine::HandoverSpec& spec) const {
  if (IsAdmin()) return Decision::Allow();
  if (!IsManager()) return Role(false, "handover");
  const std::string from_team = TeamOf(spec.from);
  if (user_.team.empty() || from_team != user_.team) {
    return Deny("handover",
                "user " + std::to_string(spec.from) + " is in team " + Quoted(from_team) +
                    ", not in your team " + Quoted(user_.team),
                EntityKind::kUser, spec.from);
  }
  const bool to_ok = spec.to != 0 ? TeamOf(spec.to) == user_.team : spec.to_team == user_.team;
  if (!to_ok) {
    return Deny("handover",
                "a manager hands over within their own team " + Quoted(user_.team),
                EntityKind::kUser, spec.from);
  }
  return Decision::Allow();
}

}  // namespace crm::protocol::internal
