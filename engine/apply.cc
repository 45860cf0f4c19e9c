// EngineImpl: applying one op of a batch (create, update, import, delete)
// and writing its effect.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <type_traits>

#include "engine_impl.h"

namespace crm::engine::internal {

namespace {

// The LMDB key of a record: its id, whatever its kind (see format.h).
Key KeyOfRecord(const Record& record) { return IdKey(IdOf(record)); }

kj::Array<capnp::word> EncodeRecord(const Record& record) {
  capnp::MallocMessageBuilder message(128);
  std::visit(
      [&](const auto& r) { Encode(r, message.initRoot<SchemaOf<std::decay_t<decltype(r)>>>()); },
      record);
  return capnp::messageToFlatArray(message);
}

// A user record as the audit log keeps it: without its token hash.
Record ForAudit(Record record) {
  if (auto* user = std::get_if<User>(&record)) user->token_hash.clear();
  return record;
}

// Fields of T the server owns, set on create and kept on update.
template <typename T>
void StampCreate(T& r, Id id, Micros now) {
  r.id = id;
  r.revision = 1;
  r.created_at = now;
  r.updated_at = now;
  if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
    if (r.time == 0) r.time = now;
  }
  if constexpr (std::is_same_v<T, Task>) {
    if (r.done && r.done_at == 0) r.done_at = now;
    if (!r.done) r.done_at = 0;
  }
}

}  // namespace

WriteResult EngineImpl::ApplyOp(Batch& batch, const OpContext& ctx, MDB_txn* txn,
                                const WriteOp& op) {
  // The record is copied, never moved out of `op`: a batch that hits
  // MDB_MAP_FULL is redone from the same ops after the map grows.
  switch (op.kind) {
    case WriteKind::kCreate:
      return std::visit([&](const auto& r) { return ApplyCreate(batch, ctx, txn, r); }, op.record);
    case WriteKind::kUpdate:
      return std::visit([&](const auto& r) { return ApplyUpdate(batch, ctx, txn, r); }, op.record);
    case WriteKind::kDelete:
      return ApplyDelete(batch, ctx, txn, op.entity, op.id, op.cascade, op.revision);
    case WriteKind::kImport:
      return std::visit([&](const auto& r) { return ApplyImport(batch, ctx, txn, r, op.replace); },
                        op.record);
    default:
      return WriteResult{Status::InvalidArgument("unknown write kind", "kind"), 0, 0};
  }
}

template <typename T>
WriteResult EngineImpl::ApplyCreate(Batch& batch, const OpContext& ctx, MDB_txn* txn, T record) {
  std::string entity(Name(EntityOf<T>));
  if (record.id != 0) {
    return {Status::InvalidArgument("must be 0 on create: the server assigns ids", entity + ".id"),
            0, 0};
  }
  Record wrapped(std::move(record));
  if (Status s = CheckRecord<T>(batch.staging, ctx, wrapped); !s.ok()) return {std::move(s), 0, 0};
  Id id = ++batch.counters.last_ids[static_cast<size_t>(EntityOf<T>)];
  StampCreate(std::get<T>(wrapped), id, batch.now);
  Emit(batch, ctx, txn, std::move(wrapped), std::nullopt);
  return {Status::Ok(), id, 1};
}

template <typename T>
WriteResult EngineImpl::ApplyUpdate(Batch& batch, const OpContext& ctx, MDB_txn* txn, T record) {
  std::string entity(Name(EntityOf<T>));
  const T* old = batch.staging.Find<T>(record.id);
  if (old == nullptr) {
    return {Status::NotFound("no " + Describe(EntityOf<T>, record.id), entity + ".id"), 0, 0};
  }
  if (record.revision != 0 && record.revision != old->revision) {
    return {Status::Conflict(Describe(EntityOf<T>, record.id) + " is at revision " +
                                 std::to_string(old->revision) + ", not " +
                                 std::to_string(record.revision) +
                                 ": it changed since you read it; read it again",
                             entity + ".revision"),
            0, 0};
  }
  if (CustomerOf(record) != CustomerOf(*old)) {
    return {Status::InvalidArgument("cannot move to another customer; delete and re-create it",
                                    entity + ".customer"),
            0, 0};
  }
  Record wrapped(std::move(record));
  if (Status s = CheckRecord<T>(batch.staging, ctx, wrapped); !s.ok()) return {std::move(s), 0, 0};
  T& r = std::get<T>(wrapped);
  r.revision = old->revision + 1;
  r.created_at = old->created_at;
  r.updated_at = batch.now;
  if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
    if (r.time == 0) r.time = old->time;
  }
  if constexpr (std::is_same_v<T, Task>) {
    if (r.done && r.done_at == 0) r.done_at = old->done ? old->done_at : batch.now;
    if (!r.done) r.done_at = 0;
  }
  Id id = r.id;
  uint64_t revision = r.revision;
  Emit(batch, ctx, txn, std::move(wrapped), Record(*old));
  return {Status::Ok(), id, revision};
}

// Ids an import may use: at most this far beyond the largest id in use, so
// a stray id cannot make the dense tables allocate without bound.
constexpr Id kMaxImportIdLead = Id{1} << 26;

template <typename T>
WriteResult EngineImpl::ApplyImport(Batch& batch, const OpContext& ctx, MDB_txn* txn, T record,
                                    bool replace) {
  std::string entity(Name(EntityOf<T>));
  Id& last_id = batch.counters.last_ids[static_cast<size_t>(EntityOf<T>)];
  if (record.id == 0) {
    return {
        Status::InvalidArgument("an imported record keeps its id, so it needs one", entity + ".id"),
        0, 0};
  }
  if (record.id > last_id + kMaxImportIdLead) {
    return {Status::InvalidArgument("id " + std::to_string(record.id) + " is more than " +
                                        std::to_string(kMaxImportIdLead) + " beyond the largest " +
                                        entity + " id in use; import records in id order",
                                    entity + ".id"),
            0, 0};
  }
  const T* old = batch.staging.Find<T>(record.id);
  if (old != nullptr && !replace) {
    return {Status::AlreadyExists(Describe(EntityOf<T>, record.id) + " already exists",
                                  entity + ".id", record.id),
            0, 0};
  }
  if (old != nullptr && CustomerOf(record) != CustomerOf(*old)) {
    return {Status::InvalidArgument("cannot move to another customer; delete and re-create it",
                                    entity + ".customer"),
            0, 0};
  }
  // A new record is checked as the create it is (id 0: it holds no keys and
  // has no children yet), then gets its id back.
  const Id id_given = record.id;
  if (old == nullptr) record.id = 0;
  Record wrapped(std::move(record));
  if (Status s = CheckRecord<T>(batch.staging, ctx, wrapped); !s.ok()) return {std::move(s), 0, 0};
  T& r = std::get<T>(wrapped);
  r.id = id_given;
  if (r.revision == 0) r.revision = 1;
  if (r.created_at == 0) r.created_at = batch.now;
  if (r.updated_at == 0) r.updated_at = r.created_at;
  if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
    if (r.time == 0) r.time = batch.now;
  }
  if constexpr (std::is_same_v<T, Task>) {
    if (r.done && r.done_at == 0) r.done_at = batch.now;
    if (!r.done) r.done_at = 0;
  }
  last_id = std::max(last_id, r.id);
  Id id = r.id;
  uint64_t revision = r.revision;
  Emit(batch, ctx, txn, std::move(wrapped),
       old ? std::optional<Record>(Record(*old)) : std::nullopt);
  return {Status::Ok(), id, revision};
}

WriteResult EngineImpl::ApplyDelete(Batch& batch, const OpContext& ctx, MDB_txn* txn,
                                    EntityKind kind, Id id, bool cascade,
                                    uint64_t expected_revision) {
  auto run = [&](const auto* old) -> WriteResult {
    if (old == nullptr) return {Status::NotFound("no " + Describe(kind, id), "id"), 0, 0};
    if (expected_revision != 0 && expected_revision != old->revision) {
      return {
          Status::Conflict(Describe(kind, id) + " is at revision " + std::to_string(old->revision) +
                               ", not " + std::to_string(expected_revision) +
                               ": it changed since you read it; read it again",
                           "revision"),
          0, 0};
    }
    uint64_t revision = old->revision;  // `old` dies with the delete
    Status s = DeleteChecked(batch, ctx, txn, *old, cascade);
    if (!s.ok()) return {std::move(s), 0, 0};
    return {Status::Ok(), id, revision};
  };
  switch (kind) {
    case EntityKind::kCustomer:
      return run(batch.staging.Find<Customer>(id));
    case EntityKind::kContact:
      return run(batch.staging.Find<Contact>(id));
    case EntityKind::kInteraction:
      return run(batch.staging.Find<Interaction>(id));
    case EntityKind::kTransaction:
      return run(batch.staging.Find<Transaction>(id));
    case EntityKind::kOpportunity:
      return run(batch.staging.Find<Opportunity>(id));
    case EntityKind::kContract:
      return run(batch.staging.Find<Contract>(id));
    case EntityKind::kTask:
      return run(batch.staging.Find<Task>(id));
    case EntityKind::kUser:
      return run(batch.staging.Find<User>(id));
  }
  return {Status::InvalidArgument("unknown entity kind", "entity"), 0, 0};
}

template <typename T>
Status EngineImpl::DeleteChecked(Batch& batch, const OpContext& ctx, MDB_txn* txn, const T& old,
                                 bool cascade) {
  if constexpr (std::is_same_v<T, User>) {
    return Status::Conflict(
        "users are never deleted, so the history they wrote keeps its author: set active = "
        "false instead",
        "id");
  } else if constexpr (std::is_same_v<T, Contact> || std::is_same_v<T, Opportunity>) {
    // Refuse while history still points at it.
    size_t refs = 0;
    for (Id i : batch.staging.Children<Interaction>(old.customer)) {
      const Interaction* interaction = batch.staging.Find<Interaction>(i);
      if constexpr (std::is_same_v<T, Contact>) {
        refs += interaction->contact == old.id;
      } else {
        refs += interaction->opportunity == old.id;
      }
    }
    if constexpr (std::is_same_v<T, Opportunity>) {
      for (Id c : batch.staging.Children<Contract>(old.customer)) {
        refs += batch.staging.Find<Contract>(c)->opportunity == old.id;
      }
    }
    if (refs > 0) {
      return Status::Conflict(Describe(EntityOf<T>, old.id) + " is referenced by " +
                                  std::to_string(refs) +
                                  " interactions or contracts; unlink them first",
                              "id");
    }
  } else if constexpr (std::is_same_v<T, Customer>) {
    auto contacts = batch.staging.Children<Contact>(old.id);
    auto interactions = batch.staging.Children<Interaction>(old.id);
    auto transactions = batch.staging.Children<Transaction>(old.id);
    auto opportunities = batch.staging.Children<Opportunity>(old.id);
    auto contracts = batch.staging.Children<Contract>(old.id);
    auto tasks = batch.staging.Children<Task>(old.id);
    auto referrers = batch.staging.Referrers(old.id);
    size_t total = contacts.size() + interactions.size() + transactions.size() +
                   opportunities.size() + contracts.size() + tasks.size() + referrers.size();
    if (total > 0 && !cascade) {
      return Status::Conflict(
          "customer " + std::to_string(old.id) + " still has " + std::to_string(contacts.size()) +
              " contacts, " + std::to_string(interactions.size()) + " interactions, " +
              std::to_string(transactions.size()) + " transactions, " +
              std::to_string(opportunities.size()) + " opportunities, " +
              std::to_string(contracts.size()) + " contracts, " + std::to_string(tasks.size()) +
              " tasks and " + std::to_string(referrers.size()) +
              " related customers; delete with cascade to remove them too",
          "id");
    }
    auto remove_all = [&](const auto& ids, auto tag) {
      using C = decltype(tag);
      for (Id i : ids) Emit(batch, ctx, txn, std::nullopt, Record(*batch.staging.Find<C>(i)));
    };
    remove_all(interactions, Interaction{});
    remove_all(transactions, Transaction{});
    remove_all(contracts, Contract{});
    remove_all(tasks, Task{});
    remove_all(opportunities, Opportunity{});
    remove_all(contacts, Contact{});
    for (Id r : referrers) {
      Customer other = *batch.staging.Find<Customer>(r);
      Record before(other);
      std::erase_if(other.relations, [&](const Relation& rel) { return rel.customer == old.id; });
      other.revision += 1;
      other.updated_at = batch.now;
      Emit(batch, ctx, txn, Record(std::move(other)), std::move(before));
    }
  }
  Emit(batch, ctx, txn, std::nullopt, Record(old));
  return Status::Ok();
}

void EngineImpl::Emit(Batch& batch, const OpContext& ctx, MDB_txn* txn,
                      std::optional<Record> record, std::optional<Record> old) {
  const Record& any = record ? *record : *old;
  MDB_dbi dbi = dbis_[DbiFor(KindOf(any))];
  int rc = 0;
  if (old) {
    Key old_key = KeyOfRecord(*old);
    Key new_key = record ? KeyOfRecord(*record) : Key{};
    bool same_key = record && new_key.size == old_key.size && new_key.bytes == old_key.bytes;
    if (!same_key) {
      MDB_val k = old_key.val();
      rc = mdb_del(txn, dbi, &k, nullptr);
      if (rc != 0) throw LmdbFailure{rc, "deleting " + Describe(KindOf(any), IdOf(any))};
    }
  }
  if (record) {
    Key key = KeyOfRecord(*record);
    auto words = EncodeRecord(*record);
    MDB_val k = key.val();
    MDB_val v{words.asBytes().size(), words.asBytes().begin()};
    rc = mdb_put(txn, dbi, &k, &v, 0);
    if (rc != 0) throw LmdbFailure{rc, "writing " + Describe(KindOf(any), IdOf(any))};
    batch.staging.Put(*record, old ? &*old : nullptr);
  } else {
    batch.staging.Remove(*old);
  }
  AuditEntry entry;
  entry.user = ctx.actor.user;
  entry.kind = !old ? WriteKind::kCreate : record ? WriteKind::kUpdate : WriteKind::kDelete;
  entry.entity = KindOf(any);
  entry.record = IdOf(any);
  if (old) entry.old_value = ForAudit(*old);
  if (record) entry.new_value = ForAudit(*record);
  entry.message = ctx.note;
  PutAudit(batch, txn, std::move(entry));
  batch.effects.push_back(Effect{std::move(record), std::move(old)});
}

}  // namespace crm::engine::internal
