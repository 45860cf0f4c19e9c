// EngineImpl: building the ops of a handover.
#include <unordered_map>

#include "engine_impl.h"

namespace crm::engine::internal {

bool EngineImpl::BuildHandover(const Batch& batch, HandoverUnit& unit) const {
  const HandoverSpec& spec = unit.spec;
  unit.ops.clear();
  unit.result = HandoverResult{};
  auto fail = [&](Status s) {
    unit.status = std::move(s);
    return false;
  };
  const User* from = batch.staging.Find<User>(spec.from);
  if (from == nullptr) {
    return fail(Status::NotFound("no user has id " + std::to_string(spec.from), "from"));
  }
  if ((spec.to != 0) == !spec.to_team.empty()) {
    return fail(Status::InvalidArgument("name either one user or one team to hand over to", "to"));
  }
  // Receivers in id order, so ties go to the lowest id.
  std::vector<const User*> receivers;
  if (spec.to != 0) {
    const User* to = batch.staging.Find<User>(spec.to);
    if (to == nullptr) {
      return fail(Status::NotFound("no user has id " + std::to_string(spec.to), "to"));
    }
    if (to->id == from->id) {
      return fail(Status::InvalidArgument("a user cannot hand over to themselves", "to"));
    }
    if (!to->active) {
      return fail(Status::InvalidArgument("user " + std::to_string(to->id) + " is inactive", "to"));
    }
    receivers.push_back(to);
  } else {
    // The team's active agents; its managers only when it has no agent.
    const Id last_user = batch.counters.last_ids[static_cast<size_t>(EntityKind::kUser)];
    for (bool agents_only : {true, false}) {
      for (Id u = 1; u <= last_user; ++u) {
        const User* user = batch.staging.Find<User>(u);
        if (user != nullptr && user->active && user->team == spec.to_team && u != from->id &&
            (!agents_only || user->role == Role::kAgent)) {
          receivers.push_back(user);
        }
      }
      if (!receivers.empty()) break;
    }
    if (receivers.empty()) {
      return fail(Status::InvalidArgument(
          "team \"" + spec.to_team + "\" has no active user to hand over to", "to_team"));
    }
  }
  std::unordered_map<Id, uint64_t> load;  // customers owned, per receiver
  std::unordered_map<Id, uint64_t> received;
  for (const User* r : receivers) load[r->id] = 0;
  auto least_loaded = [&]() {
    const User* best = receivers.front();
    for (const User* r : receivers) {
      if (load[r->id] < load[best->id]) best = r;
    }
    return best;
  };
  size_t round_robin = 0;
  auto next_in_turn = [&]() { return receivers[round_robin++ % receivers.size()]; };

  auto update = [&](Record record) {
    WriteOp op;
    op.kind = WriteKind::kUpdate;
    op.record = std::move(record);
    unit.ops.push_back(std::move(op));
  };
  std::unordered_map<Id, const User*> customer_receiver;
  HandoverResult& result = unit.result;
  const auto& last = batch.counters.last_ids;
  std::vector<Id> owned;
  for (Id c = 1; c <= last[static_cast<size_t>(EntityKind::kCustomer)]; ++c) {
    const Customer* customer = batch.staging.Find<Customer>(c);
    if (customer == nullptr) continue;
    if (customer->owner == from->id) {
      owned.push_back(c);
    } else if (auto it = load.find(customer->owner); it != load.end()) {
      ++it->second;
    }
  }
  for (Id c : owned) {
    const User* to = least_loaded();
    ++load[to->id];
    ++received[to->id];
    customer_receiver[c] = to;
    Customer moved = *batch.staging.Find<Customer>(c);
    moved.owner = to->id;
    if (!to->team.empty()) moved.team = to->team;
    update(std::move(moved));
    ++result.customers;
  }
  // Children follow their customer's new owner; the rest go round-robin.
  auto receiver_for = [&](Id customer) {
    auto it = customer_receiver.find(customer);
    return it != customer_receiver.end() ? it->second : next_in_turn();
  };
  for (Id o = 1; o <= last[static_cast<size_t>(EntityKind::kOpportunity)]; ++o) {
    const Opportunity* opp = batch.staging.Find<Opportunity>(o);
    if (opp == nullptr || opp->owner != from->id) continue;
    Opportunity moved = *opp;
    moved.owner = receiver_for(opp->customer)->id;
    update(std::move(moved));
    ++result.opportunities;
  }
  for (Id k = 1; k <= last[static_cast<size_t>(EntityKind::kContract)]; ++k) {
    const Contract* contract = batch.staging.Find<Contract>(k);
    if (contract == nullptr || contract->owner != from->id) continue;
    Contract moved = *contract;
    moved.owner = receiver_for(contract->customer)->id;
    update(std::move(moved));
    ++result.contracts;
  }
  for (Id t = 1; t <= last[static_cast<size_t>(EntityKind::kTask)]; ++t) {
    const Task* task = batch.staging.Find<Task>(t);
    if (task == nullptr || task->assignee != from->id || task->done) continue;
    Task moved = *task;
    moved.assignee = task->customer != 0 ? receiver_for(task->customer)->id : next_in_turn()->id;
    update(std::move(moved));
    ++result.tasks;
  }
  if (spec.deactivate || !spec.new_team.empty()) {
    User changed = *from;
    if (spec.deactivate) changed.active = false;
    if (!spec.new_team.empty()) changed.team = spec.new_team;
    update(std::move(changed));
    result.deactivated = spec.deactivate;
  }
  for (const User* r : receivers) result.receivers.emplace_back(r->id, received[r->id]);
  return true;
}

}  // namespace crm::engine::internal
