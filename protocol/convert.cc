#include "crm/protocol/convert.h"

#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "crm/engine/codec.h"

namespace crm::protocol {
namespace {

using engine::Status;

std::string ToString(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

capnp::Text::Reader AsText(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }
capnp::Text::Reader AsText(std::string_view s) { return capnp::Text::Reader(s.data(), s.size()); }

// `status` with its field moved under `prefix` ("key" -> "card.key").
Status UnderField(Status status, const std::string& prefix) {
  if (status.ok()) return status;
  std::string field = status.field().empty() ? prefix : prefix + "." + status.field();
  return Status(status.code(), status.message(), std::move(field), status.existing_id());
}

// Encodes every element of `items` (values or pointers) into `list`.
template <typename T>
const T& Deref(const T& v) {
  return v;
}
template <typename T>
const T& Deref(const T* v) {
  return *v;
}
template <typename List, typename Items>
void EncodeAll(const Items& items, List list) {
  unsigned i = 0;
  for (const auto& item : items) engine::Encode(Deref(item), list[i++]);
}

// Decodes every element of `list` into `out`, naming the failing element.
template <typename T, typename List>
Status DecodeAll(List list, const char* field, std::vector<T>* out) {
  out->clear();
  out->reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    T value;
    Status s = engine::Decode(list[i], &value);
    if (!s.ok()) return UnderField(std::move(s), std::string(field) + "[" + std::to_string(i) + "]");
    out->push_back(std::move(value));
  }
  return Status::Ok();
}

Status CheckEntity(uint8_t value, const char* field, engine::EntityKind* out) {
  if (value < 1 || value > engine::kEntityKindCount) {
    return Status::InvalidArgument(
        "unknown entity kind " + std::to_string(value) + " (1 customer .. 8 user)", field);
  }
  *out = static_cast<engine::EntityKind>(value);
  return Status::Ok();
}

}  // namespace

// ------------------------------------------------------------------ errors

void ToWire(const engine::Status& status, wire::Error::Builder out) {
  out.setCode(static_cast<uint8_t>(status.code()));
  out.setMessage(AsText(status.message()));
  out.setField(AsText(status.field()));
  out.setExistingId(status.existing_id());
}

engine::Status FromWire(wire::Error::Reader in) {
  const uint8_t code = in.getCode();
  if (code == 0 || code > static_cast<uint8_t>(engine::Code::kInUse)) {
    return Status::Internal("peer sent an error with unknown code " + std::to_string(code) + ": " +
                            ToString(in.getMessage()));
  }
  return Status(static_cast<engine::Code>(code), ToString(in.getMessage()), ToString(in.getField()),
                in.getExistingId());
}

// ------------------------------------------------------------------ records

void ToWire(const engine::Record& record, wire::Record::Builder out) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, engine::Customer>) engine::Encode(r, out.initCustomer());
        if constexpr (std::is_same_v<T, engine::Contact>) engine::Encode(r, out.initContact());
        if constexpr (std::is_same_v<T, engine::Interaction>) {
          engine::Encode(r, out.initInteraction());
        }
        if constexpr (std::is_same_v<T, engine::Transaction>) {
          engine::Encode(r, out.initTransaction());
        }
        if constexpr (std::is_same_v<T, engine::Opportunity>) {
          engine::Encode(r, out.initOpportunity());
        }
        if constexpr (std::is_same_v<T, engine::Contract>) engine::Encode(r, out.initContract());
        if constexpr (std::is_same_v<T, engine::Task>) engine::Encode(r, out.initTask());
        if constexpr (std::is_same_v<T, engine::User>) engine::Encode(r, out.initUser());
      },
      record);
}

namespace {
template <typename T, typename Reader>
Status DecodeRecord(Reader in, engine::Record* out) {
  T value;
  CRM_RETURN_IF_ERROR(engine::Decode(in, &value));
  *out = std::move(value);
  return Status::Ok();
}
}  // namespace

engine::Status FromWire(wire::Record::Reader in, engine::Record* out) {
  switch (in.which()) {
    case wire::Record::CUSTOMER: return DecodeRecord<engine::Customer>(in.getCustomer(), out);
    case wire::Record::CONTACT: return DecodeRecord<engine::Contact>(in.getContact(), out);
    case wire::Record::INTERACTION:
      return DecodeRecord<engine::Interaction>(in.getInteraction(), out);
    case wire::Record::TRANSACTION:
      return DecodeRecord<engine::Transaction>(in.getTransaction(), out);
    case wire::Record::OPPORTUNITY:
      return DecodeRecord<engine::Opportunity>(in.getOpportunity(), out);
    case wire::Record::CONTRACT: return DecodeRecord<engine::Contract>(in.getContract(), out);
    case wire::Record::TASK: return DecodeRecord<engine::Task>(in.getTask(), out);
    case wire::Record::USER: return DecodeRecord<engine::User>(in.getUser(), out);
  }
  return Status::InvalidArgument("unknown record kind " + std::to_string(in.which()), "");
}

// ------------------------------------------------------------------ card keys and options

void ToWire(const engine::CardKey& key, wire::CardKey::Builder out) {
  switch (key.by) {
    case engine::CardKey::By::kId: out.setId(key.id); break;
    case engine::CardKey::By::kPhone: out.setPhone(AsText(key.text)); break;
    case engine::CardKey::By::kEmail: out.setEmail(AsText(key.text)); break;
    case engine::CardKey::By::kExternalRef: out.setExternalRef(AsText(key.text)); break;
  }
}

engine::Status FromWire(wire::CardKey::Reader in, engine::CardKey* out) {
  switch (in.which()) {
    case wire::CardKey::ID: *out = engine::CardKey::ById(in.getId()); return Status::Ok();
    case wire::CardKey::PHONE:
      *out = engine::CardKey::ByPhone(ToString(in.getPhone()));
      return Status::Ok();
    case wire::CardKey::EMAIL:
      *out = engine::CardKey::ByEmail(ToString(in.getEmail()));
      return Status::Ok();
    case wire::CardKey::EXTERNAL_REF:
      *out = engine::CardKey::ByExternalRef(ToString(in.getExternalRef()));
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown card key kind " + std::to_string(in.which()), "");
}

void ToWire(const engine::CardOptions& options, wire::CardOptions::Builder out) {
  out.setRecentInteractions(options.recent_interactions);
  out.setDueTasks(options.due_tasks);
}

engine::Status FromWire(wire::CardOptions::Reader in, engine::CardOptions* out) {
  constexpr uint32_t kMax = 1000;
  if (in.getRecentInteractions() > kMax) {
    return Status::InvalidArgument("at most 1000 recent interactions", "recent_interactions");
  }
  if (in.getDueTasks() > kMax) {
    return Status::InvalidArgument("at most 1000 due tasks", "due_tasks");
  }
  out->recent_interactions = in.getRecentInteractions();
  out->due_tasks = in.getDueTasks();
  return Status::Ok();
}

// ------------------------------------------------------------------ cards

namespace {
void SetCounters(uint64_t interactions, uint64_t transactions, engine::Micros last_interaction,
                 engine::Micros last_transaction, wire::Card::Builder out) {
  out.setInteractionCount(interactions);
  out.setTransactionCount(transactions);
  out.setLastInteractionAt(last_interaction);
  out.setLastTransactionAt(last_transaction);
}
}  // namespace

void ToWire(const engine::CardView& card, wire::Card::Builder out) {
  engine::Encode(*card.customer, out.initCustomer());
  EncodeAll(card.contacts, out.initContacts(static_cast<unsigned>(card.contacts.size())));
  if (card.value != nullptr) ToWire(*card.value, out.initValue());
  // The view holds them oldest first; the wire carries newest first.
  auto recent = out.initRecentInteractions(static_cast<unsigned>(card.recent_interactions.size()));
  unsigned i = 0;
  for (auto it = card.recent_interactions.rbegin(); it != card.recent_interactions.rend(); ++it) {
    engine::Encode(*it, recent[i++]);
  }
  EncodeAll(card.open_opportunities,
            out.initOpenOpportunities(static_cast<unsigned>(card.open_opportunities.size())));
  EncodeAll(card.active_contracts,
            out.initActiveContracts(static_cast<unsigned>(card.active_contracts.size())));
  EncodeAll(card.open_complaints,
            out.initOpenComplaints(static_cast<unsigned>(card.open_complaints.size())));
  EncodeAll(card.due_tasks, out.initDueTasks(static_cast<unsigned>(card.due_tasks.size())));
  auto related = out.initRelated(static_cast<unsigned>(card.related.size()));
  for (unsigned r = 0; r < card.related.size(); ++r) {
    const engine::CardView::Related& in = card.related[r];
    related[r].setId(in.id);
    related[r].setName(AsText(*in.name));
    related[r].setKind(static_cast<uint8_t>(in.kind));
    related[r].setIncoming(in.incoming);
  }
  SetCounters(card.interaction_count, card.transaction_count, card.last_interaction_at,
              card.last_transaction_at, out);
}

void ToWire(const engine::CustomerCard& card, wire::Card::Builder out) {
  engine::Encode(card.customer, out.initCustomer());
  EncodeAll(card.contacts, out.initContacts(static_cast<unsigned>(card.contacts.size())));
  ToWire(card.value, out.initValue());
  EncodeAll(card.recent_interactions,
            out.initRecentInteractions(static_cast<unsigned>(card.recent_interactions.size())));
  EncodeAll(card.open_opportunities,
            out.initOpenOpportunities(static_cast<unsigned>(card.open_opportunities.size())));
  EncodeAll(card.active_contracts,
            out.initActiveContracts(static_cast<unsigned>(card.active_contracts.size())));
  EncodeAll(card.open_complaints,
            out.initOpenComplaints(static_cast<unsigned>(card.open_complaints.size())));
  EncodeAll(card.due_tasks, out.initDueTasks(static_cast<unsigned>(card.due_tasks.size())));
  auto related = out.initRelated(static_cast<unsigned>(card.related.size()));
  for (unsigned r = 0; r < card.related.size(); ++r) {
    related[r].setId(card.related[r].id);
    related[r].setName(AsText(card.related[r].name));
    related[r].setKind(static_cast<uint8_t>(card.related[r].kind));
    related[r].setIncoming(card.related[r].incoming);
  }
  SetCounters(card.interaction_count, card.transaction_count, card.last_interaction_at,
              card.last_transaction_at, out);
}

engine::Status FromWire(wire::Card::Reader in, engine::CustomerCard* out) {
  CRM_RETURN_IF_ERROR(engine::Decode(in.getCustomer(), &out->customer));
  CRM_RETURN_IF_ERROR(DecodeAll(in.getContacts(), "contacts", &out->contacts));
  CRM_RETURN_IF_ERROR(UnderField(FromWire(in.getValue(), &out->value), "value"));
  CRM_RETURN_IF_ERROR(
      DecodeAll(in.getRecentInteractions(), "recent_interactions", &out->recent_interactions));
  CRM_RETURN_IF_ERROR(
      DecodeAll(in.getOpenOpportunities(), "open_opportunities", &out->open_opportunities));
  CRM_RETURN_IF_ERROR(
      DecodeAll(in.getActiveContracts(), "active_contracts", &out->active_contracts));
  CRM_RETURN_IF_ERROR(DecodeAll(in.getOpenComplaints(), "open_complaints", &out->open_complaints));
  CRM_RETURN_IF_ERROR(DecodeAll(in.getDueTasks(), "due_tasks", &out->due_tasks));
  out->related.clear();
  auto related = in.getRelated();
  for (unsigned i = 0; i < related.size(); ++i) {
    const uint8_t kind = related[i].getKind();
    if (kind > static_cast<uint8_t>(engine::RelationKind::kRelated)) {
      return Status::InvalidArgument("unknown relation kind " + std::to_string(kind),
                                     "related[" + std::to_string(i) + "].kind");
    }
    out->related.push_back({related[i].getId(), ToString(related[i].getName()),
                            static_cast<engine::RelationKind>(kind), related[i].getIncoming()});
  }
  out->interaction_count = in.getInteractionCount();
  out->transaction_count = in.getTransactionCount();
  out->last_interaction_at = in.getLastInteractionAt();
  out->last_transaction_at = in.getLastTransactionAt();
  return Status::Ok();
}

// ------------------------------------------------------------------ history

void ToWire(const engine::HistoryQuery& query, wire::HistoryQuery::Builder out) {
  out.setCustomer(query.customer);
  out.setCursor(AsText(query.cursor));
  out.setLimit(query.limit);
  out.setInteractions(query.interactions);
  out.setTransactions(query.transactions);
  out.setChannelMask(query.channel_mask);
  out.setFrom(query.from);
  out.setTo(query.to);
}

engine::Status FromWire(wire::HistoryQuery::Reader in, engine::HistoryQuery* out) {
  if (in.getLimit() == 0 || in.getLimit() > 10000) {
    return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
  }
  if (in.getChannelMask() >= (1u << engine::kChannelCount)) {
    return Status::InvalidArgument("channel_mask has bits for unknown channels", "channel_mask");
  }
  out->customer = in.getCustomer();
  out->cursor = ToString(in.getCursor());
  out->limit = in.getLimit();
  out->interactions = in.getInteractions();
  out->transactions = in.getTransactions();
  out->channel_mask = in.getChannelMask();
  out->from = in.getFrom();
  out->to = in.getTo();
  return Status::Ok();
}

void ToWire(const engine::HistoryPage& page, wire::HistoryPage::Builder out) {
  auto entries = out.initEntries(static_cast<unsigned>(page.entries.size()));
  for (unsigned i = 0; i < page.entries.size(); ++i) {
    const engine::HistoryEntry& e = page.entries[i];
    if (e.kind == engine::EntityKind::kTransaction) {
      engine::Encode(e.transaction, entries[i].initTransaction());
    } else {
      engine::Encode(e.interaction, entries[i].initInteraction());
    }
  }
  out.setNextCursor(AsText(page.next_cursor));
}

engine::Status FromWire(wire::HistoryPage::Reader in, engine::HistoryPage* out) {
  auto entries = in.getEntries();
  out->entries.clear();
  out->entries.resize(entries.size());
  for (unsigned i = 0; i < entries.size(); ++i) {
    engine::HistoryEntry& e = out->entries[i];
    const std::string field = "entries[" + std::to_string(i) + "]";
    switch (entries[i].which()) {
      case wire::HistoryEntry::INTERACTION:
        e.kind = engine::EntityKind::kInteraction;
        CRM_RETURN_IF_ERROR(
            UnderField(engine::Decode(entries[i].getInteraction(), &e.interaction), field));
        break;
      case wire::HistoryEntry::TRANSACTION:
        e.kind = engine::EntityKind::kTransaction;
        CRM_RETURN_IF_ERROR(
            UnderField(engine::Decode(entries[i].getTransaction(), &e.transaction), field));
        break;
      default:
        return Status::InvalidArgument("unknown history entry kind", field);
    }
  }
  out->next_cursor = ToString(in.getNextCursor());
  return Status::Ok();
}

// ------------------------------------------------------------------ writes

void ToWire(const engine::WriteOp& op, wire::WriteOp::Builder out) {
  switch (op.kind) {
    case engine::WriteKind::kCreate: ToWire(op.record, out.initCreate()); break;
    case engine::WriteKind::kUpdate: ToWire(op.record, out.initUpdate()); break;
    case engine::WriteKind::kDelete: {
      auto del = out.initDelete();
      del.setEntity(static_cast<uint8_t>(op.entity));
      del.setId(op.id);
      del.setCascade(op.cascade);
      break;
    }
    case engine::WriteKind::kImport: {
      auto import = out.initImport();
      ToWire(op.record, import.initRecord());
      import.setReplace(op.replace);
      break;
    }
    case engine::WriteKind::kDenied: break;  // an audit kind, never a write op
  }
}

engine::Status FromWire(wire::WriteOp::Reader in, engine::WriteOp* out) {
  switch (in.which()) {
    case wire::WriteOp::CREATE:
      out->kind = engine::WriteKind::kCreate;
      return UnderField(FromWire(in.getCreate(), &out->record), "create");
    case wire::WriteOp::UPDATE:
      out->kind = engine::WriteKind::kUpdate;
      return UnderField(FromWire(in.getUpdate(), &out->record), "update");
    case wire::WriteOp::DELETE: {
      auto del = in.getDelete();
      out->kind = engine::WriteKind::kDelete;
      CRM_RETURN_IF_ERROR(CheckEntity(del.getEntity(), "delete.entity", &out->entity));
      out->id = del.getId();
      out->cascade = del.getCascade();
      return Status::Ok();
    }
    case wire::WriteOp::IMPORT: {
      auto import = in.getImport();
      out->kind = engine::WriteKind::kImport;
      out->replace = import.getReplace();
      return UnderField(FromWire(import.getRecord(), &out->record), "import.record");
    }
  }
  return Status::InvalidArgument("unknown write operation " + std::to_string(in.which()), "");
}

void ToWire(const engine::WriteResult& result, wire::WriteResult::Builder out) {
  if (result.status.ok()) {
    auto ok = out.initOk();
    ok.setId(result.id);
    ok.setRevision(result.revision);
  } else {
    ToWire(result.status, out.initError());
  }
}

engine::Status FromWire(wire::WriteResult::Reader in, engine::WriteResult* out) {
  switch (in.which()) {
    case wire::WriteResult::OK:
      out->status = Status::Ok();
      out->id = in.getOk().getId();
      out->revision = in.getOk().getRevision();
      return Status::Ok();
    case wire::WriteResult::ERROR:
      out->status = FromWire(in.getError());
      out->id = 0;
      out->revision = 0;
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown write result kind " + std::to_string(in.which()), "");
}

// ------------------------------------------------------------------ counts

void ToWire(const engine::StoreCounts& counts, wire::Counts::Builder out) {
  out.setCustomers(counts.customers);
  out.setContacts(counts.contacts);
  out.setInteractions(counts.interactions);
  out.setTransactions(counts.transactions);
  out.setOpportunities(counts.opportunities);
  out.setContracts(counts.contracts);
  out.setTasks(counts.tasks);
  out.setUsers(counts.users);
  out.setAuditEntries(counts.audit_entries);
}

engine::StoreCounts FromWire(wire::Counts::Reader in) {
  engine::StoreCounts c;
  c.customers = in.getCustomers();
  c.contacts = in.getContacts();
  c.interactions = in.getInteractions();
  c.transactions = in.getTransactions();
  c.opportunities = in.getOpportunities();
  c.contracts = in.getContracts();
  c.tasks = in.getTasks();
  c.users = in.getUsers();
  c.audit_entries = in.getAuditEntries();
  return c;
}

// ------------------------------------------------------------------ value

namespace {

// Enum names: any enum of value.h / model.h whose values run 0..last.
template <typename E>
bool ParseName(std::string_view name, E last, E* out) {
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    if (engine::Name(static_cast<E>(i)) == name) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

template <typename E>
std::string NameList(E last) {
  std::string names;
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    names += (i ? ", " : "") + std::string(engine::Name(static_cast<E>(i)));
  }
  return names;
}

template <typename E>
Status ParseField(capnp::Text::Reader text, E last, const std::string& field, const char* what,
                  E* out) {
  const std::string name = ToString(text);
  if (ParseName(name, last, out)) return Status::Ok();
  return Status::InvalidArgument("unknown " + std::string(what) + " \"" + name + "\" (" +
                                     NameList(last) + ")",
                                 field);
}

// A UInt8 enum on the wire, range-checked.
template <typename E>
Status CheckEnum(uint8_t value, E last, const std::string& field, const char* what, E* out) {
  if (value > static_cast<uint8_t>(last)) {
    return Status::InvalidArgument("unknown " + std::string(what) + " " + std::to_string(value) +
                                       " (" + NameList(last) + ")",
                                   field);
  }
  *out = static_cast<E>(value);
  return Status::Ok();
}

constexpr engine::Tier kLastTier = engine::Tier::kOpportunity;
constexpr engine::ValueClass kLastClass = engine::ValueClass::kLow;

}  // namespace

void ToWire(const engine::ValueSummary& value, wire::ValueSummary::Builder out) {
  out.setScored(value.scored);
  out.setCurrentValue(value.current_value);
  out.setPotentialValue(value.potential_value);
  out.setTier(AsText(engine::Name(value.tier)));
  out.setValueClass(AsText(engine::Name(value.value_class)));
  out.setHighCurrent(value.high_current);
  out.setHighPotential(value.high_potential);
  out.setCurrentRank(value.current_rank);
  out.setCustomers(value.customers);
  out.setAsOf(value.as_of);
  out.setConfigVersion(value.config_version);
  auto factors = out.initFactors(engine::kFactorCount);
  for (int f = 0; f < engine::kFactorCount; ++f) {
    const engine::FactorValue& in = value.factors[f];
    auto w = factors[static_cast<unsigned>(f)];
    w.setFactor(AsText(engine::Name(static_cast<engine::Factor>(f))));
    w.setRaw(in.raw);
    w.setNormalized(in.normalized);
    w.setCurrent(in.current);
    w.setPotential(in.potential);
  }
}

engine::Status FromWire(wire::ValueSummary::Reader in, engine::ValueSummary* out) {
  engine::ValueSummary v;
  v.scored = in.getScored();
  v.current_value = in.getCurrentValue();
  v.potential_value = in.getPotentialValue();
  // An empty name is what a peer that never set it sends: none.
  if (in.getTier().size() > 0) {
    CRM_RETURN_IF_ERROR(ParseField(in.getTier(), kLastTier, "tier", "tier", &v.tier));
  }
  if (in.getValueClass().size() > 0) {
    CRM_RETURN_IF_ERROR(
        ParseField(in.getValueClass(), kLastClass, "value_class", "value class", &v.value_class));
  }
  v.high_current = in.getHighCurrent();
  v.high_potential = in.getHighPotential();
  v.current_rank = in.getCurrentRank();
  v.customers = in.getCustomers();
  v.as_of = in.getAsOf();
  v.config_version = in.getConfigVersion();
  std::array<bool, engine::kFactorCount> seen{};
  auto factors = in.getFactors();
  for (unsigned i = 0; i < factors.size(); ++i) {
    const std::string field = "factors[" + std::to_string(i) + "].factor";
    const std::string name = ToString(factors[i].getFactor());
    engine::Factor f;
    if (!engine::Parse(name, &f)) {
      return Status::InvalidArgument("unknown factor \"" + name + "\"", field);
    }
    const auto index = static_cast<size_t>(f);
    if (seen[index]) return Status::InvalidArgument("factor \"" + name + "\" appears twice", field);
    seen[index] = true;
    v.factors[index] = {factors[i].getRaw(), factors[i].getNormalized(), factors[i].getCurrent(),
                        factors[i].getPotential()};
  }
  *out = v;
  return Status::Ok();
}

void ToWire(const engine::Cutoffs& c, wire::Cutoffs::Builder out) {
  out.setParetoCurrent(c.pareto_current);
  out.setHighPotential(c.high_potential);
  out.setClassHigh(c.class_high);
  out.setClassMid(c.class_mid);
  out.setCustomers(c.customers);
  out.setTotalCurrent(c.total_current);
}

engine::Cutoffs FromWire(wire::Cutoffs::Reader in) {
  engine::Cutoffs c;
  c.pareto_current = in.getParetoCurrent();
  c.high_potential = in.getHighPotential();
  c.class_high = in.getClassHigh();
  c.class_mid = in.getClassMid();
  c.customers = in.getCustomers();
  c.total_current = in.getTotalCurrent();
  return c;
}

void ToWire(const ScoringState& state, wire::ScoringState::Builder out) {
  engine::Encode(state.config, out.initConfig());
  EncodeAll(state.history, out.initHistory(static_cast<unsigned>(state.history.size())));
  ToWire(state.cutoffs, out.initCutoffs());
}

engine::Status FromWire(wire::ScoringState::Reader in, ScoringState* out) {
  CRM_RETURN_IF_ERROR(UnderField(engine::Decode(in.getConfig(), &out->config), "config"));
  CRM_RETURN_IF_ERROR(DecodeAll(in.getHistory(), "history", &out->history));
  out->cutoffs = FromWire(in.getCutoffs());
  return Status::Ok();
}

// ------------------------------------------------------------------ report queries

std::string_view Name(engine::ParetoQuery::Metric metric) {
  switch (metric) {
    case engine::ParetoQuery::Metric::kCurrentValue: return "current_value";
    case engine::ParetoQuery::Metric::kRevenue: return "revenue";
    case engine::ParetoQuery::Metric::kProfit: return "profit";
  }
  return "unknown";
}

bool Parse(std::string_view name, engine::ParetoQuery::Metric* out) {
  if (name.empty()) {
    *out = engine::ParetoQuery::Metric::kCurrentValue;
    return true;
  }
  for (auto m : {engine::ParetoQuery::Metric::kCurrentValue, engine::ParetoQuery::Metric::kRevenue,
                 engine::ParetoQuery::Metric::kProfit}) {
    if (Name(m) == name) {
      *out = m;
      return true;
    }
  }
  return false;
}


void ToWire(const ReportQuery& query, wire::ReportQuery::Builder out) {
  std::visit(
      [&](const auto& q) {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, engine::ParetoQuery>) {
          auto w = out.initPareto();
          w.setMetric(AsText(protocol::Name(q.metric)));
          w.setPoints(q.points);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::TierQuery>) {
          auto w = out.initTiers();
          w.setSince(q.since);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::GroupQuery>) {
          auto w = out.initGroup();
          w.setDimension(AsText(engine::Name(q.dimension)));
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, PipelineQuery>) {
          out.setPipeline();
        } else if constexpr (std::is_same_v<T, ContractQuery>) {
          auto w = out.initContracts();
          w.setExpiringDays(q.expiring_days);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::ChurnQuery>) {
          auto w = out.initChurn();
          w.setInactiveDays(q.inactive_days);
          w.setRevenueDrop(q.revenue_drop);
          w.setLimit(q.limit);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, SatisfactionQuery>) {
          out.initSatisfaction().setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::ConversionQuery>) {
          out.initConversion().setByCampaign(q.by_campaign);
        } else {
          static_assert(std::is_same_v<T, OwnerKpiQuery>);
          out.initOwnerKpis().setAsOf(q.as_of);
        }
      },
      query);
}

engine::Status FromWire(wire::ReportQuery::Reader in, ReportQuery* out) {
  switch (in.which()) {
    case wire::ReportQuery::PARETO: {
      auto w = in.getPareto();
      engine::ParetoQuery q;
      const std::string metric = ToString(w.getMetric());
      if (!protocol::Parse(metric, &q.metric)) {
        return Status::InvalidArgument(
            "unknown metric \"" + metric + "\" (current_value, revenue, profit)", "pareto.metric");
      }
      q.points = w.getPoints();
      q.as_of = w.getAsOf();
      *out = q;
      return Status::Ok();
    }
    case wire::ReportQuery::TIERS: {
      auto w = in.getTiers();
      *out = engine::TierQuery{w.getSince(), w.getAsOf()};
      return Status::Ok();
    }
    case wire::ReportQuery::GROUP: {
      auto w = in.getGroup();
      engine::GroupQuery q;
      CRM_RETURN_IF_ERROR(ParseField(w.getDimension(), engine::Dimension::kValueClass,
                                     "group.dimension", "dimension", &q.dimension));
      q.as_of = w.getAsOf();
      *out = q;
      return Status::Ok();
    }
    case wire::ReportQuery::PIPELINE: *out = PipelineQuery{}; return Status::Ok();
    case wire::ReportQuery::CONTRACTS: {
      auto w = in.getContracts();
      *out = ContractQuery{w.getExpiringDays(), w.getAsOf()};
      return Status::Ok();
    }
    case wire::ReportQuery::CHURN: {
      auto w = in.getChurn();
      engine::ChurnQuery q;
      q.inactive_days = w.getInactiveDays();
      q.revenue_drop = w.getRevenueDrop();
      q.limit = w.getLimit();
      q.as_of = w.getAsOf();
      *out = q;
      return Status::Ok();
    }
    case wire::ReportQuery::SATISFACTION:
      *out = SatisfactionQuery{in.getSatisfaction().getAsOf()};
      return Status::Ok();
    case wire::ReportQuery::CONVERSION:
      *out = engine::ConversionQuery{in.getConversion().getByCampaign()};
      return Status::Ok();
    case wire::ReportQuery::OWNER_KPIS:
      *out = OwnerKpiQuery{in.getOwnerKpis().getAsOf()};
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown report " + std::to_string(in.which()), "");
}

// ------------------------------------------------------------------ reports

namespace {

void ParetoToWire(const engine::ParetoReport& r, wire::ParetoReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setCustomers(r.customers);
  out.setTotal(r.total);
  out.setTop10(r.top10);
  out.setTop20(r.top20);
  out.setTop50(r.top50);
  out.setCustomersFor80(r.customers_for_80);
  auto curve = out.initCurve(static_cast<unsigned>(r.curve.size()));
  for (unsigned i = 0; i < r.curve.size(); ++i) {
    curve[i].setCustomers(r.curve[i].customers);
    curve[i].setValue(r.curve[i].value);
  }
}

engine::ParetoReport ParetoFromWire(wire::ParetoReport::Reader in) {
  engine::ParetoReport r;
  r.as_of = in.getAsOf();
  r.customers = in.getCustomers();
  r.total = in.getTotal();
  r.top10 = in.getTop10();
  r.top20 = in.getTop20();
  r.top50 = in.getTop50();
  r.customers_for_80 = in.getCustomersFor80();
  for (auto p : in.getCurve()) r.curve.push_back({p.getCustomers(), p.getValue()});
  return r;
}

void TiersToWire(const engine::TierReport& r, wire::TierReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setConfigVersion(r.config_version);
  ToWire(r.cutoffs, out.initCutoffs());
  auto tiers = out.initTiers(engine::kTierCount);
  for (int t = 0; t < engine::kTierCount; ++t) {
    auto w = tiers[static_cast<unsigned>(t)];
    w.setTier(AsText(engine::Name(static_cast<engine::Tier>(t))));
    w.setCustomers(r.tiers[t]);
    w.setValue(r.tier_value[t]);
  }
  auto classes = out.initValueClasses(static_cast<unsigned>(r.value_classes.size()));
  for (unsigned c = 0; c < r.value_classes.size(); ++c) classes.set(c, r.value_classes[c]);
  out.setHasBaseline(r.has_baseline);
  out.setBaselineAt(r.baseline_at);
  unsigned cells = 0;
  for (const auto& row : r.movements) {
    for (uint64_t n : row) cells += n != 0;
  }
  auto moves = out.initMovements(cells);
  unsigned i = 0;
  for (int from = 0; from < engine::kTierCount; ++from) {
    for (int to = 0; to < engine::kTierCount; ++to) {
      if (r.movements[from][to] == 0) continue;
      moves[i].setFrom(AsText(engine::Name(static_cast<engine::Tier>(from))));
      moves[i].setTo(AsText(engine::Name(static_cast<engine::Tier>(to))));
      moves[i].setCustomers(r.movements[from][to]);
      ++i;
    }
  }
}

Status TiersFromWire(wire::TierReport::Reader in, engine::TierReport* out) {
  engine::TierReport r;
  r.as_of = in.getAsOf();
  r.config_version = in.getConfigVersion();
  r.cutoffs = FromWire(in.getCutoffs());
  auto tiers = in.getTiers();
  for (unsigned i = 0; i < tiers.size(); ++i) {
    engine::Tier t;
    CRM_RETURN_IF_ERROR(ParseField(tiers[i].getTier(), kLastTier,
                                   "tiers[" + std::to_string(i) + "].tier", "tier", &t));
    r.tiers[static_cast<size_t>(t)] = tiers[i].getCustomers();
    r.tier_value[static_cast<size_t>(t)] = tiers[i].getValue();
  }
  auto classes = in.getValueClasses();
  for (unsigned c = 0; c < classes.size() && c < r.value_classes.size(); ++c) {
    r.value_classes[c] = classes[c];
  }
  r.has_baseline = in.getHasBaseline();
  r.baseline_at = in.getBaselineAt();
  auto moves = in.getMovements();
  for (unsigned i = 0; i < moves.size(); ++i) {
    const std::string field = "movements[" + std::to_string(i) + "]";
    engine::Tier from, to;
    CRM_RETURN_IF_ERROR(ParseField(moves[i].getFrom(), kLastTier, field + ".from", "tier", &from));
    CRM_RETURN_IF_ERROR(ParseField(moves[i].getTo(), kLastTier, field + ".to", "tier", &to));
    r.movements[static_cast<size_t>(from)][static_cast<size_t>(to)] = moves[i].getCustomers();
  }
  *out = std::move(r);
  return Status::Ok();
}

void GroupToWire(const engine::GroupReport& r, wire::GroupReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setDimension(AsText(engine::Name(r.dimension)));
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::GroupRow& g = r.rows[i];
    rows[i].setKey(AsText(g.key));
    rows[i].setCustomers(g.customers);
    rows[i].setRevenue(g.revenue);
    rows[i].setProfit(g.profit);
    rows[i].setPipeline(g.pipeline);
    rows[i].setCurrentValue(g.current_value);
    rows[i].setPotentialValue(g.potential_value);
    rows[i].setKeyCustomers(g.key_customers);
  }
}

Status GroupFromWire(wire::GroupReport::Reader in, engine::GroupReport* out) {
  engine::GroupReport r;
  r.as_of = in.getAsOf();
  CRM_RETURN_IF_ERROR(ParseField(in.getDimension(), engine::Dimension::kValueClass, "dimension",
                                 "dimension", &r.dimension));
  for (auto g : in.getRows()) {
    r.rows.push_back({ToString(g.getKey()), g.getCustomers(), g.getRevenue(), g.getProfit(),
                      g.getPipeline(), g.getCurrentValue(), g.getPotentialValue(),
                      g.getKeyCustomers()});
  }
  *out = std::move(r);
  return Status::Ok();
}

void PipelineToWire(const engine::PipelineReport& r, wire::PipelineReport::Builder out) {
  auto rows = out.initStages(static_cast<unsigned>(r.stages.size()));
  for (unsigned i = 0; i < r.stages.size(); ++i) {
    const engine::PipelineRow& p = r.stages[i];
    rows[i].setStage(static_cast<uint8_t>(p.stage));
    rows[i].setCount(p.count);
    rows[i].setAmount(p.amount);
    rows[i].setWeighted(p.weighted);
    rows[i].setConversion(p.conversion);
  }
  out.setOpen(r.open);
  out.setOpenAmount(r.open_amount);
  out.setOpenWeighted(r.open_weighted);
  out.setWinRate(r.win_rate);
}

Status PipelineFromWire(wire::PipelineReport::Reader in, engine::PipelineReport* out) {
  engine::PipelineReport r;
  auto rows = in.getStages();
  for (unsigned i = 0; i < rows.size(); ++i) {
    engine::PipelineRow p;
    CRM_RETURN_IF_ERROR(CheckEnum(rows[i].getStage(), engine::Stage::kLost,
                                  "stages[" + std::to_string(i) + "].stage", "stage", &p.stage));
    p.count = rows[i].getCount();
    p.amount = rows[i].getAmount();
    p.weighted = rows[i].getWeighted();
    p.conversion = rows[i].getConversion();
    r.stages.push_back(p);
  }
  r.open = in.getOpen();
  r.open_amount = in.getOpenAmount();
  r.open_weighted = in.getOpenWeighted();
  r.win_rate = in.getWinRate();
  *out = std::move(r);
  return Status::Ok();
}

void ContractsToWire(const engine::ContractReport& r, wire::ContractReport::Builder out) {
  out.setAsOf(r.as_of);
  auto rows = out.initStatuses(static_cast<unsigned>(r.statuses.size()));
  for (unsigned i = 0; i < r.statuses.size(); ++i) {
    const engine::ContractRow& c = r.statuses[i];
    rows[i].setStatus(static_cast<uint8_t>(c.status));
    rows[i].setCount(c.count);
    rows[i].setAmount(c.amount);
    rows[i].setPaid(c.paid);
    rows[i].setOutstanding(c.outstanding);
  }
  out.setExpiringDays(r.expiring_days);
  out.setExpiring(r.expiring);
  out.setExpiringAmount(r.expiring_amount);
  out.setOverduePayment(r.overdue_payment);
}

Status ContractsFromWire(wire::ContractReport::Reader in, engine::ContractReport* out) {
  engine::ContractReport r;
  r.as_of = in.getAsOf();
  auto rows = in.getStatuses();
  for (unsigned i = 0; i < rows.size(); ++i) {
    engine::ContractRow c;
    CRM_RETURN_IF_ERROR(CheckEnum(rows[i].getStatus(), engine::ContractStatus::kTerminated,
                                  "statuses[" + std::to_string(i) + "].status",
                                  "contract status", &c.status));
    c.count = rows[i].getCount();
    c.amount = rows[i].getAmount();
    c.paid = rows[i].getPaid();
    c.outstanding = rows[i].getOutstanding();
    r.statuses.push_back(c);
  }
  r.expiring_days = in.getExpiringDays();
  r.expiring = in.getExpiring();
  r.expiring_amount = in.getExpiringAmount();
  r.overdue_payment = in.getOverduePayment();
  *out = std::move(r);
  return Status::Ok();
}

void ChurnToWire(const engine::ChurnReport& r, wire::ChurnReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setAtRisk(r.at_risk);
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::ChurnRow& c = r.rows[i];
    rows[i].setCustomer(c.customer);
    rows[i].setName(AsText(c.name));
    rows[i].setOwner(c.owner);
    rows[i].setLastActivity(c.last_activity);
    rows[i].setDaysInactive(c.days_inactive);
    rows[i].setRevenue(c.revenue);
    rows[i].setPreviousRevenue(c.previous_revenue);
    rows[i].setCurrentValue(c.current_value);
    rows[i].setTier(AsText(engine::Name(c.tier)));
    rows[i].setInactive(c.inactive);
    rows[i].setFalling(c.falling);
  }
}

Status ChurnFromWire(wire::ChurnReport::Reader in, engine::ChurnReport* out) {
  engine::ChurnReport r;
  r.as_of = in.getAsOf();
  r.at_risk = in.getAtRisk();
  auto rows = in.getRows();
  for (unsigned i = 0; i < rows.size(); ++i) {
    engine::ChurnRow c;
    c.customer = rows[i].getCustomer();
    c.name = ToString(rows[i].getName());
    c.owner = rows[i].getOwner();
    c.last_activity = rows[i].getLastActivity();
    c.days_inactive = rows[i].getDaysInactive();
    c.revenue = rows[i].getRevenue();
    c.previous_revenue = rows[i].getPreviousRevenue();
    c.current_value = rows[i].getCurrentValue();
    CRM_RETURN_IF_ERROR(ParseField(rows[i].getTier(), kLastTier,
                                   "rows[" + std::to_string(i) + "].tier", "tier", &c.tier));
    c.inactive = rows[i].getInactive();
    c.falling = rows[i].getFalling();
    r.rows.push_back(std::move(c));
  }
  *out = std::move(r);
  return Status::Ok();
}

void SatisfactionToWire(const engine::SatisfactionReport& r,
                        wire::SatisfactionReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setRated(r.rated);
  out.setAverage(r.average);
  auto ratings = out.initRatings(static_cast<unsigned>(r.ratings.size()));
  for (unsigned i = 0; i < r.ratings.size(); ++i) ratings.set(i, r.ratings[i]);
  out.setComplaints(r.complaints);
  out.setOpen(r.open);
  out.setInProgress(r.in_progress);
  out.setResolved(r.resolved);
  out.setCustomersRated(r.customers_rated);
  out.setCustomersWithComplaints(r.customers_with_complaints);
}

engine::SatisfactionReport SatisfactionFromWire(wire::SatisfactionReport::Reader in) {
  engine::SatisfactionReport r;
  r.as_of = in.getAsOf();
  r.rated = in.getRated();
  r.average = in.getAverage();
  auto ratings = in.getRatings();
  for (unsigned i = 0; i < ratings.size() && i < r.ratings.size(); ++i) r.ratings[i] = ratings[i];
  r.complaints = in.getComplaints();
  r.open = in.getOpen();
  r.in_progress = in.getInProgress();
  r.resolved = in.getResolved();
  r.customers_rated = in.getCustomersRated();
  r.customers_with_complaints = in.getCustomersWithComplaints();
  return r;
}

void ConversionToWire(const engine::ConversionReport& r, wire::ConversionReport::Builder out) {
  out.setByCampaign(r.by_campaign);
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::ConversionRow& c = r.rows[i];
    rows[i].setKey(AsText(c.key));
    rows[i].setOpportunities(c.opportunities);
    rows[i].setWon(c.won);
    rows[i].setLost(c.lost);
    rows[i].setOpen(c.open);
    rows[i].setWinRate(c.win_rate);
    rows[i].setWonAmount(c.won_amount);
    rows[i].setOpenWeighted(c.open_weighted);
  }
}

engine::ConversionReport ConversionFromWire(wire::ConversionReport::Reader in) {
  engine::ConversionReport r;
  r.by_campaign = in.getByCampaign();
  for (auto c : in.getRows()) {
    r.rows.push_back({ToString(c.getKey()), c.getOpportunities(), c.getWon(), c.getLost(),
                      c.getOpen(), c.getWinRate(), c.getWonAmount(), c.getOpenWeighted()});
  }
  return r;
}

void OwnerKpisToWire(const engine::OwnerKpiReport& r, wire::OwnerKpiReport::Builder out) {
  out.setAsOf(r.as_of);
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::OwnerKpiRow& k = r.rows[i];
    rows[i].setOwner(k.owner);
    rows[i].setName(AsText(k.name));
    rows[i].setCustomers(k.customers);
    rows[i].setKeyCustomers(k.key_customers);
    rows[i].setRevenue(k.revenue);
    rows[i].setPreviousRevenue(k.previous_revenue);
    rows[i].setGrowth(k.growth);
    rows[i].setInteractions(k.interactions);
    rows[i].setContactsPerKeyCustomer(k.contacts_per_key_customer);
    rows[i].setOpenComplaints(k.open_complaints);
    rows[i].setOverdueTasks(k.overdue_tasks);
  }
}

engine::OwnerKpiReport OwnerKpisFromWire(wire::OwnerKpiReport::Reader in) {
  engine::OwnerKpiReport r;
  r.as_of = in.getAsOf();
  for (auto k : in.getRows()) {
    engine::OwnerKpiRow row;
    row.owner = k.getOwner();
    row.name = ToString(k.getName());
    row.customers = k.getCustomers();
    row.key_customers = k.getKeyCustomers();
    row.revenue = k.getRevenue();
    row.previous_revenue = k.getPreviousRevenue();
    row.growth = k.getGrowth();
    row.interactions = k.getInteractions();
    row.contacts_per_key_customer = k.getContactsPerKeyCustomer();
    row.open_complaints = k.getOpenComplaints();
    row.overdue_tasks = k.getOverdueTasks();
    r.rows.push_back(std::move(row));
  }
  return r;
}

// Decodes one report alternative into `out`, its failures under `field`.
template <typename T, typename Reader, typename Decode>
Status Into(Reader in, const char* field, Decode decode, Report* out) {
  T r;
  CRM_RETURN_IF_ERROR(UnderField(decode(in, &r), field));
  *out = std::move(r);
  return Status::Ok();
}

}  // namespace

void ToWire(const Report& report, wire::Report::Builder out) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, engine::ParetoReport>) ParetoToWire(r, out.initPareto());
        if constexpr (std::is_same_v<T, engine::TierReport>) TiersToWire(r, out.initTiers());
        if constexpr (std::is_same_v<T, engine::GroupReport>) GroupToWire(r, out.initGroup());
        if constexpr (std::is_same_v<T, engine::PipelineReport>) {
          PipelineToWire(r, out.initPipeline());
        }
        if constexpr (std::is_same_v<T, engine::ContractReport>) {
          ContractsToWire(r, out.initContracts());
        }
        if constexpr (std::is_same_v<T, engine::ChurnReport>) ChurnToWire(r, out.initChurn());
        if constexpr (std::is_same_v<T, engine::SatisfactionReport>) {
          SatisfactionToWire(r, out.initSatisfaction());
        }
        if constexpr (std::is_same_v<T, engine::ConversionReport>) {
          ConversionToWire(r, out.initConversion());
        }
        if constexpr (std::is_same_v<T, engine::OwnerKpiReport>) {
          OwnerKpisToWire(r, out.initOwnerKpis());
        }
      },
      report);
}

engine::Status FromWire(wire::Report::Reader in, Report* out) {
  switch (in.which()) {
    case wire::Report::PARETO: *out = ParetoFromWire(in.getPareto()); return Status::Ok();
    case wire::Report::TIERS:
      return Into<engine::TierReport>(in.getTiers(), "tiers", TiersFromWire, out);
    case wire::Report::GROUP:
      return Into<engine::GroupReport>(in.getGroup(), "group", GroupFromWire, out);
    case wire::Report::PIPELINE:
      return Into<engine::PipelineReport>(in.getPipeline(), "pipeline", PipelineFromWire, out);
    case wire::Report::CONTRACTS:
      return Into<engine::ContractReport>(in.getContracts(), "contracts", ContractsFromWire, out);
    case wire::Report::CHURN:
      return Into<engine::ChurnReport>(in.getChurn(), "churn", ChurnFromWire, out);
    case wire::Report::SATISFACTION:
      *out = SatisfactionFromWire(in.getSatisfaction());
      return Status::Ok();
    case wire::Report::CONVERSION:
      *out = ConversionFromWire(in.getConversion());
      return Status::Ok();
    case wire::Report::OWNER_KPIS:
      *out = OwnerKpisFromWire(in.getOwnerKpis());
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown report kind " + std::to_string(in.which()), "");
}

}  // namespace crm::protocol

namespace crm::protocol {

// ------------------------------------------------------------------ backup

void ToWire(const engine::BackupInfo& info, wire::BackupInfo::Builder out) {
  out.setPath(info.path);
  out.setDataFile(info.data_file);
  out.setManifestFile(info.manifest_file);
  out.setBytes(info.bytes);
  out.setXxh3(info.xxh3);
  out.setAuditSequence(info.audit_sequence);
  ToWire(info.counts, out.initCounts());
  out.setMicros(info.micros);
}

engine::BackupInfo FromWire(wire::BackupInfo::Reader in) {
  engine::BackupInfo info;
  info.path = ToString(in.getPath());
  info.data_file = ToString(in.getDataFile());
  info.manifest_file = ToString(in.getManifestFile());
  info.bytes = in.getBytes();
  info.xxh3 = in.getXxh3();
  info.audit_sequence = in.getAuditSequence();
  info.counts = FromWire(in.getCounts());
  info.micros = in.getMicros();
  return info;
}

}  // namespace crm::protocol
