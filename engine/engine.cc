// The public entry points of Engine, and EngineImpl's scans and storage
// figures.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "engine_impl.h"

namespace crm::engine {
namespace internal {

uint64_t MicrosSince(std::chrono::steady_clock::time_point started) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count());
}

Micros SystemNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Describe(EntityKind kind, Id id) {
  return std::string(Name(kind)) + " " + std::to_string(id);
}

template <typename T>
void EngineImpl::ScanTable(Id after, uint32_t limit, std::vector<Record>* out) const {
  const Id end = store_.EndId<T>();
  for (Id id = after + 1; id < end && out->size() < limit; ++id) {
    if (const T* r = store_.Find<T>(id)) out->push_back(*r);
  }
}

Result<std::vector<Record>> EngineImpl::Scan(EntityKind kind, Id after, uint32_t limit) const {
  if (limit == 0 || limit > 100000) {
    return Status::InvalidArgument("limit must be between 1 and 100000", "limit");
  }
  std::vector<Record> out;
  if (after == UINT64_MAX) return out;
  out.reserve(std::min<uint32_t>(limit, 4096));
  SharedLock lock(lock_);
  switch (kind) {
    case EntityKind::kCustomer:
      ScanTable<Customer>(after, limit, &out);
      break;
    case EntityKind::kContact:
      ScanTable<Contact>(after, limit, &out);
      break;
    case EntityKind::kInteraction:
      ScanTable<Interaction>(after, limit, &out);
      break;
    case EntityKind::kTransaction:
      ScanTable<Transaction>(after, limit, &out);
      break;
    case EntityKind::kOpportunity:
      ScanTable<Opportunity>(after, limit, &out);
      break;
    case EntityKind::kContract:
      ScanTable<Contract>(after, limit, &out);
      break;
    case EntityKind::kTask:
      ScanTable<Task>(after, limit, &out);
      break;
    case EntityKind::kUser:
      ScanTable<User>(after, limit, &out);
      break;
    default:
      return Status::InvalidArgument("unknown entity kind", "entity");
  }
  return out;
}

StorageStats EngineImpl::Storage() const {
  StorageStats out;
  SharedLock map_lock(map_mu_);
  MDB_envinfo info;
  MDB_stat stat;
  if (mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &stat) == 0) {
    out.map_bytes = info.me_mapsize;
    out.used_bytes = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  }
  struct stat file;
  if (::stat((options_.data_dir + "/data.mdb").c_str(), &file) == 0) {
    out.file_bytes = static_cast<uint64_t>(file.st_size);
  }
  return out;
}

}  // namespace internal

// ------------------------------------------------------------- public entry

Result<std::unique_ptr<Engine>> Engine::Open(const Options& options) {
  if (options.data_dir.empty()) {
    return Status::InvalidArgument("a data directory is required", "data_dir");
  }
  if (options.default_region.size() != 2) {
    return Status::InvalidArgument("must be an ISO 3166-1 alpha-2 region such as \"CN\"",
                                   "default_region");
  }
  auto engine = std::make_unique<internal::EngineImpl>(options);
  CRM_RETURN_IF_ERROR(engine->OpenAndLoad());
  return std::unique_ptr<Engine>(std::move(engine));
}

std::vector<WriteResult> Engine::DryRun(const Actor& actor, std::vector<WriteOp> ops, bool atomic) {
  std::promise<std::vector<WriteResult>> promise;
  std::future<std::vector<WriteResult>> future = promise.get_future();
  DryRunAsync(actor, std::move(ops), atomic, [&promise](std::vector<WriteResult> results) {
    promise.set_value(std::move(results));
  });
  return future.get();
}

Result<BackupInfo> Engine::Backup(const BackupOptions& options) {
  std::promise<Result<BackupInfo>> promise;
  std::future<Result<BackupInfo>> future = promise.get_future();
  BackupAsync(options, [&promise](Result<BackupInfo> info) { promise.set_value(std::move(info)); });
  return future.get();
}

std::vector<WriteResult> Engine::Write(const Actor& actor, std::vector<WriteOp> ops, bool atomic) {
  std::promise<std::vector<WriteResult>> promise;
  std::future<std::vector<WriteResult>> future = promise.get_future();
  WriteAsync(actor, std::move(ops), atomic, [&promise](std::vector<WriteResult> results) {
    promise.set_value(std::move(results));
  });
  return future.get();
}

Result<HandoverResult> Engine::Handover(const Actor& actor, HandoverSpec spec) {
  std::promise<Result<HandoverResult>> promise;
  std::future<Result<HandoverResult>> future = promise.get_future();
  HandoverAsync(actor, std::move(spec), [&promise](Result<HandoverResult> result) {
    promise.set_value(std::move(result));
  });
  return future.get();
}

Result<CustomerCard> Engine::Card(const CardKey& key, const CardOptions& options) const {
  CustomerCard card;
  Status s = VisitCard(key, options, [&](const CardView& view) {
    card.customer = *view.customer;
    card.contacts.reserve(view.contacts.size());
    for (const Contact* c : view.contacts) card.contacts.push_back(*c);
    card.value = *view.value;
    card.recent_interactions.assign(view.recent_interactions.rbegin(),
                                    view.recent_interactions.rend());
    for (const Interaction* i : view.open_complaints) card.open_complaints.push_back(*i);
    for (const Opportunity* o : view.open_opportunities) card.open_opportunities.push_back(*o);
    for (const Contract* c : view.active_contracts) card.active_contracts.push_back(*c);
    for (const Task* t : view.due_tasks) card.due_tasks.push_back(*t);
    for (const CardView::Related& r : view.related) {
      card.related.push_back({r.id, *r.name, r.kind, r.incoming});
    }
    card.interaction_count = view.interaction_count;
    card.transaction_count = view.transaction_count;
    card.last_interaction_at = view.last_interaction_at;
    card.last_transaction_at = view.last_transaction_at;
  });
  if (!s.ok()) return s;
  return card;
}

Result<Id> Engine::Create(const Actor& actor, Record record) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kCreate;
  ops[0].record = std::move(record);
  WriteResult r = std::move(Write(actor, std::move(ops), true)[0]);
  if (!r.status.ok()) return r.status;
  return r.id;
}

Status Engine::Update(const Actor& actor, Record record) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kUpdate;
  ops[0].record = std::move(record);
  return std::move(Write(actor, std::move(ops), true)[0].status);
}

Status Engine::Delete(const Actor& actor, EntityKind entity, Id id, bool cascade) {
  std::vector<WriteOp> ops(1);
  ops[0].kind = WriteKind::kDelete;
  ops[0].entity = entity;
  ops[0].id = id;
  ops[0].cascade = cascade;
  return std::move(Write(actor, std::move(ops), true)[0].status);
}

}  // namespace crm::engine
