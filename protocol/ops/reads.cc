// Reads: the card, history, one record, a customer's records, the counts.
// Every role reads; a manager only what belongs to the team (Access).
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crm/protocol/convert.h"
#include "ops/operation.h"

namespace crm::protocol::internal {

namespace {

using engine::Role;
using engine::Status;

Frame Card(Call& call, wire::Request::Reader request) {
  auto card = request.getCard();
  engine::CardKey key;
  Status s = Under(FromWire(card.getKey(), &key), "card.key");
  engine::CardOptions options;
  if (s.ok()) s = Under(FromWire(card.getOptions(), &options), "card.options");
  if (!s.ok()) return call.Error(s);
  Out out(call.id());
  const engine::User& user = call.user();
  const bool scoped = user.role == Role::kManager;
  bool denied = false;
  engine::Customer seen;
  s = call.engine().VisitCard(key, options, [&](const engine::CardView& view) {
    if (scoped && (user.team.empty() || view.customer->team != user.team)) {
      // Maybe in the team through its owner: decided outside the lock.
      denied = true;
      seen = *view.customer;
      return;
    }
    ToWire(view, out.response.initCard());
  });
  if (!s.ok()) return call.Error(Prefixed(std::move(s), "card"));
  if (denied) {
    Decision d = call.access().ReadCustomer(seen);
    if (!d.allowed) return call.Deny(d);
    engine::Result<engine::CustomerCard> copy = call.engine().Card(key, options);
    if (!copy.ok()) return call.Error(Prefixed(copy.status(), "card"));
    ToWire(*copy, out.response.initCard());
  }
  return out.Build();
}

Frame History(Call& call, wire::Request::Reader request) {
  engine::HistoryQuery query;
  Status s = Under(FromWire(request.getHistory(), &query), "history");
  if (!s.ok()) return call.Error(s);
  if (Frame f; call.ScopedCustomer(query.customer, &f)) return f;
  engine::Result<engine::HistoryPage> page = call.engine().History(query);
  if (!page.ok()) return call.Error(Prefixed(page.status(), "history"));
  Out out(call.id());
  ToWire(*page, out.response.initHistory());
  return out.Build();
}

template <typename T>
Frame RecordFrame(Call& call, engine::Result<T> record) {
  if (!record.ok()) return call.Error(record.status());
  engine::Record any(std::move(*record));
  if (call.user().role == Role::kManager) {
    Decision d = call.access().ReadRecord(any);
    if (!d.allowed) return call.Deny(d);
  }
  Out out(call.id());
  if (auto* user = std::get_if<engine::User>(&any)) {
    ToWire(engine::Record(Public(std::move(*user))), out.response.initRecord());
  } else {
    ToWire(any, out.response.initRecord());
  }
  return out.Build();
}

Frame Get(Call& call, wire::Request::Reader request) {
  auto ref = request.getGet();
  const engine::Id id = ref.getId();
  const engine::Engine& engine = call.engine();
  switch (ref.getEntity()) {
    case static_cast<uint8_t>(engine::EntityKind::kCustomer):
      return RecordFrame(call, engine.GetCustomer(id));
    case static_cast<uint8_t>(engine::EntityKind::kContact):
      return RecordFrame(call, engine.GetContact(id));
    case static_cast<uint8_t>(engine::EntityKind::kInteraction):
      return RecordFrame(call, engine.GetInteraction(id));
    case static_cast<uint8_t>(engine::EntityKind::kTransaction):
      return RecordFrame(call, engine.GetTransaction(id));
    case static_cast<uint8_t>(engine::EntityKind::kOpportunity):
      return RecordFrame(call, engine.GetOpportunity(id));
    case static_cast<uint8_t>(engine::EntityKind::kContract):
      return RecordFrame(call, engine.GetContract(id));
    case static_cast<uint8_t>(engine::EntityKind::kTask):
      return RecordFrame(call, engine.GetTask(id));
    case static_cast<uint8_t>(engine::EntityKind::kUser):
      return RecordFrame(call, engine.GetUser(id));
  }
  return call.Error(Status::InvalidArgument(
      "unknown entity kind " + std::to_string(ref.getEntity()) + " (1 customer .. 8 user)",
      "get.entity"));
}

template <typename T>
Frame RecordsFrame(Call& call, engine::Result<std::vector<T>> records) {
  if (!records.ok()) return call.Error(Prefixed(records.status(), "list"));
  Out out(call.id());
  auto list = out.response.initRecords(static_cast<unsigned>(records->size()));
  for (unsigned i = 0; i < records->size(); ++i) {
    ToWire(engine::Record(std::move((*records)[i])), list[i]);
  }
  return out.Build();
}

Frame List(Call& call, wire::Request::Reader request) {
  auto list = request.getList();
  const engine::Id customer = list.getCustomer();
  const uint8_t entity = list.getEntity();
  const bool known = entity == static_cast<uint8_t>(engine::EntityKind::kContact) ||
                     entity == static_cast<uint8_t>(engine::EntityKind::kOpportunity) ||
                     entity == static_cast<uint8_t>(engine::EntityKind::kContract) ||
                     entity == static_cast<uint8_t>(engine::EntityKind::kTask);
  if (known) {
    if (Frame f; call.ScopedCustomer(customer, &f)) return f;
  }
  const engine::Engine& engine = call.engine();
  switch (entity) {
    case static_cast<uint8_t>(engine::EntityKind::kContact):
      return RecordsFrame(call, engine.ListContacts(customer));
    case static_cast<uint8_t>(engine::EntityKind::kOpportunity):
      return RecordsFrame(call, engine.ListOpportunities(customer));
    case static_cast<uint8_t>(engine::EntityKind::kContract):
      return RecordsFrame(call, engine.ListContracts(customer));
    case static_cast<uint8_t>(engine::EntityKind::kTask):
      return RecordsFrame(call, engine.ListTasks(customer));
  }
  return call.Error(Status::InvalidArgument(
      "list takes entity 2 (contact), 5 (opportunity), 6 (contract) or 7 (task), not " +
          std::to_string(list.getEntity()),
      "list.entity"));
}

Frame Counts(Call& call, wire::Request::Reader) {
  Out out(call.id());
  ToWire(call.engine().Counts(), out.response.initCounts());
  return out.Build();
}

constexpr Operation kOperations[] = {
    {wire::Request::CARD, "card", kEveryone, Card},
    {wire::Request::HISTORY, "history", kEveryone, History},
    {wire::Request::GET, "get", kEveryone, Get},
    {wire::Request::LIST, "list", kEveryone, List},
    {wire::Request::COUNTS, "counts", kEveryone, Counts},
};

}  // namespace

std::span<const Operation> ReadOperations() { return kOperations; }

}  // namespace crm::protocol::internal
