#include "crm/protocol/convert.h"

#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "convert_internal.h"
#include "crm/engine/codec.h"

namespace crm::protocol {

using engine::Status;
using internal::AsText;
using internal::CheckEntity;
using internal::DecodeAll;
using internal::EncodeAll;
using internal::ToString;
using internal::UnderField;

// ------------------------------------------------------------------ errors

void ToWire(const engine::Status& status, wire::Error::Builder out) {
  out.setCode(static_cast<uint8_t>(status.code()));
  out.setMessage(AsText(status.message()));
  out.setField(AsText(status.field()));
  out.setExistingId(status.existing_id());
}

engine::Status FromWire(wire::Error::Reader in) {
  const uint8_t code = in.getCode();
  if (code == 0 || code > static_cast<uint8_t>(engine::Code::kFailedPrecondition)) {
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
// Encodes what a CardView and a CustomerCard name alike, from the open
// opportunities on: the lists (of values or pointers), the related
// customers and the counters. Callers encode the customer, contacts, value
// and recent interactions first.
template <typename Card>
void EncodeCardTail(const Card& card, wire::Card::Builder out) {
  EncodeAll(card.open_opportunities,
            out.initOpenOpportunities(static_cast<unsigned>(card.open_opportunities.size())));
  EncodeAll(card.active_contracts,
            out.initActiveContracts(static_cast<unsigned>(card.active_contracts.size())));
  EncodeAll(card.open_complaints,
            out.initOpenComplaints(static_cast<unsigned>(card.open_complaints.size())));
  EncodeAll(card.due_tasks, out.initDueTasks(static_cast<unsigned>(card.due_tasks.size())));
  auto related = out.initRelated(static_cast<unsigned>(card.related.size()));
  for (unsigned r = 0; r < card.related.size(); ++r) {
    const auto& in = card.related[r];
    related[r].setId(in.id);
    related[r].setName(AsText(internal::Deref(in.name)));
    related[r].setKind(static_cast<uint8_t>(in.kind));
    related[r].setIncoming(in.incoming);
  }
  out.setInteractionCount(card.interaction_count);
  out.setTransactionCount(card.transaction_count);
  out.setLastInteractionAt(card.last_interaction_at);
  out.setLastTransactionAt(card.last_transaction_at);
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
  EncodeCardTail(card, out);
}

void ToWire(const engine::CustomerCard& card, wire::Card::Builder out) {
  engine::Encode(card.customer, out.initCustomer());
  EncodeAll(card.contacts, out.initContacts(static_cast<unsigned>(card.contacts.size())));
  ToWire(card.value, out.initValue());
  EncodeAll(card.recent_interactions,
            out.initRecentInteractions(static_cast<unsigned>(card.recent_interactions.size())));
  EncodeCardTail(card, out);
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
