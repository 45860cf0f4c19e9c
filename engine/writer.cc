// EngineImpl: the writer thread, its queue, group commit and publishing.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "engine_impl.h"
#include "validate.h"

namespace crm::engine::internal {

namespace {

// Ops a unit brings to a batch, for Options::max_batch and the statistics.
size_t OpCount(const Pending& unit) {
  if (const auto* write = std::get_if<WriteUnit>(&unit)) return write->ops.size();
  if (const auto* handover = std::get_if<HandoverUnit>(&unit)) return handover->ops.size();
  return 0;
}

}  // namespace

// ------------------------------------------------------------------ queue

void EngineImpl::Enqueue(const Actor& actor, std::vector<WriteOp> ops, bool atomic, bool dry_run,
                         WriteCallback done) {
  if (ops.empty()) {
    done({});
    return;
  }
  auto pending = std::make_unique<Pending>(std::in_place_type<WriteUnit>);
  WriteUnit& unit = std::get<WriteUnit>(*pending);
  unit.actor = actor;
  unit.ops = std::move(ops);
  unit.atomic = atomic;
  unit.dry_run = dry_run;
  unit.fields.reserve(unit.ops.size());
  for (WriteOp& op : unit.ops) {
    bool has_record = op.kind == WriteKind::kCreate || op.kind == WriteKind::kUpdate ||
                      op.kind == WriteKind::kImport;
    unit.fields.push_back(has_record ? ValidateFields(op.record, options_.default_region)
                                     : Status::Ok());
  }
  unit.done = std::move(done);
  Enqueue(std::move(pending));
}

void EngineImpl::Enqueue(std::unique_ptr<Pending> pending) {
  {
    MutexLock lock(queue_mu_);
    queue_.push_back(std::move(pending));
  }
  queue_cv_.NotifyOne();
}

void EngineImpl::AuditDenialAsync(const Actor& actor, Denial denial,
                                  std::function<void(Status)> done) {
  auto pending = std::make_unique<Pending>(std::in_place_type<DenialUnit>);
  DenialUnit& unit = std::get<DenialUnit>(*pending);
  unit.actor = actor;
  unit.denial = std::move(denial);
  unit.done = std::move(done);
  Enqueue(std::move(pending));
}

void EngineImpl::HandoverAsync(const Actor& actor, HandoverSpec spec,
                               std::function<void(Result<HandoverResult>)> done) {
  auto pending = std::make_unique<Pending>(std::in_place_type<HandoverUnit>);
  HandoverUnit& unit = std::get<HandoverUnit>(*pending);
  unit.actor = actor;
  unit.note = "handover of user " + std::to_string(spec.from);
  unit.spec = std::move(spec);
  unit.done = std::move(done);
  Enqueue(std::move(pending));
}

std::vector<std::unique_ptr<Pending>> EngineImpl::TakeBatch(bool* stopping) {
  MutexLock lock(queue_mu_);
  queue_cv_.WaitFor(lock, std::chrono::seconds(1),
                    [&]() CRM_REQUIRES(queue_mu_) { return stopping_ || !queue_.empty(); });
  *stopping = stopping_;
  std::vector<std::unique_ptr<Pending>> batch;
  auto is_task = [](const std::unique_ptr<Pending>& p) {
    return std::holds_alternative<WriterTask>(*p);
  };
  if (!queue_.empty() && is_task(queue_.front())) {
    batch.push_back(std::move(queue_.front()));  // a task runs alone
    queue_.pop_front();
    return batch;
  }
  size_t ops = 0;
  while (!queue_.empty() && !is_task(queue_.front()) &&
         (batch.empty() || ops + OpCount(*queue_.front()) <= options_.max_batch)) {
    ops += OpCount(*queue_.front());
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

// ----------------------------------------------------------------- writer

void EngineImpl::WriterLoop() {
  for (;;) {
    bool stopping = false;
    std::vector<std::unique_ptr<Pending>> batch = TakeBatch(&stopping);
    if (options_.value_refresh > 0 && Now() - WriterValue().as_of() >= options_.value_refresh) {
      Status s = DoReage(Now());
      if (!s.ok())
        std::fprintf(stderr, "crm: re-ageing the value model: %s\n", s.ToString().c_str());
    }
    if (batch.empty()) {
      if (stopping) return;
      continue;
    }
    if (auto* task = std::get_if<WriterTask>(batch.front().get())) {
      task->run();
      continue;
    }
    ProcessBatch(batch);
  }
}

void EngineImpl::ProcessBatch(std::vector<std::unique_ptr<Pending>>& units) {
  const Micros now = std::max(Now(), last_batch_now_);
  last_batch_now_ = now;
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    spare_effects_.clear();
    Batch batch(now, committed_, WriterStore(), std::move(spare_effects_));
    int rc = 0;
    std::string what;
    {
      Txn txn(env_, nullptr, 0, &rc);
      if (rc == 0) {
        try {
          for (auto& unit : units) {
            std::visit(
                [&](auto& u) {
                  if constexpr (!std::is_same_v<std::decay_t<decltype(u)>, WriterTask>) {
                    RunUnit(batch, txn.get(), u);
                  }
                },
                *unit);
          }
          WriteMeta(txn.get(), batch.counters);
          rc = txn.Commit();
          what = "committing a write batch";
        } catch (const LmdbFailure& failure) {
          rc = failure.rc;
          what = failure.what;
        }
      } else {
        what = "beginning a write transaction";
      }
    }
    if (rc == MDB_MAP_FULL) {
      map_growths_.fetch_add(1, std::memory_order_relaxed);
      GrowMap();
      spare_effects_ = std::move(batch.effects);
      continue;
    }
    if (rc != 0) {
      Status failed = LmdbError(rc, what);
      for (auto& unit : units) {
        std::visit(
            [&](auto& u) {
              using U = std::decay_t<decltype(u)>;
              if constexpr (std::is_same_v<U, WriteUnit> || std::is_same_v<U, HandoverUnit>) {
                u.results.assign(u.ops.size(), WriteResult{failed, 0, 0});
              }
              if constexpr (std::is_same_v<U, DenialUnit> || std::is_same_v<U, HandoverUnit>) {
                u.status = failed;
              }
            },
            *unit);
      }
    } else {
      Publish(batch);
      committed_ = batch.counters;
      size_t ops = 0;
      for (auto& unit : units) ops += OpCount(*unit);
      batches_.fetch_add(1, std::memory_order_relaxed);
      batched_ops_.fetch_add(ops, std::memory_order_relaxed);
      commit_micros_.fetch_add(MicrosSince(started), std::memory_order_relaxed);
    }
    batch.effects.clear();
    spare_effects_ = std::move(batch.effects);
    // Callbacks may queue further writes (the queue has its own lock).
    for (auto& unit : units) {
      std::visit(
          [](auto& u) {
            using U = std::decay_t<decltype(u)>;
            if constexpr (std::is_same_v<U, WriteUnit>) {
              u.done(std::move(u.results));
            } else if constexpr (std::is_same_v<U, DenialUnit>) {
              u.done(u.status);
            } else if constexpr (std::is_same_v<U, HandoverUnit>) {
              if (!u.status.ok()) return u.done(u.status);
              u.done(std::move(u.result));
            }
          },
          *unit);
    }
    return;
  }
}

void EngineImpl::GrowMap() {
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  size_t grown = info.me_mapsize * 2;
  ExclusiveLock map_lock(map_mu_);
  mdb_env_set_mapsize(env_, grown);
}

void EngineImpl::Publish(Batch& batch) {
  ExclusiveLock lock(lock_);
  std::chrono::nanoseconds in_value{0};
  bool users_changed = false;
  for (Effect& e : batch.effects) {
    auto started = std::chrono::steady_clock::now();
    users_changed = users_changed || KindOf(e.record ? *e.record : *e.old) == EntityKind::kUser;
    if (e.record) {
      value_->OnPut(e.old ? &*e.old : nullptr, *e.record);
      in_value += std::chrono::steady_clock::now() - started;
      store_.Put(std::move(*e.record));
    } else {
      value_->OnRemove(*e.old);
      in_value += std::chrono::steady_clock::now() - started;
      store_.Remove(KindOf(*e.old), IdOf(*e.old));
    }
  }
  auto started = std::chrono::steady_clock::now();
  size_t rescored = value_->Finish(store_);
  in_value += std::chrono::steady_clock::now() - started;
  value_nanos_.fetch_add(static_cast<uint64_t>(in_value.count()), std::memory_order_relaxed);
  value_customers_.fetch_add(rescored, std::memory_order_relaxed);
  published_audit_sequence_ = batch.counters.audit_sequence;
  if (users_changed) user_generation_.fetch_add(1, std::memory_order_acq_rel);
}

// ------------------------------------------------------------------ units

void EngineImpl::RunUnit(Batch& batch, MDB_txn* txn, WriteUnit& unit) {
  unit.results.clear();
  RunOps(batch, txn, unit.actor, {}, unit.ops, unit.fields, unit.atomic, unit.dry_run,
         &unit.results, /*failure=*/nullptr);
}

void EngineImpl::RunUnit(Batch& batch, MDB_txn* txn, DenialUnit& unit) {
  unit.status = Status::Ok();
  AuditEntry entry;
  entry.user = unit.actor.user;
  entry.kind = WriteKind::kDenied;
  entry.entity = unit.denial.entity;
  entry.record = unit.denial.record;
  entry.permission = unit.denial.permission;
  entry.message = unit.denial.message;
  PutAudit(batch, txn, std::move(entry));
}

void EngineImpl::RunUnit(Batch& batch, MDB_txn* txn, HandoverUnit& unit) {
  unit.results.clear();
  unit.status = Status::Ok();
  if (!BuildHandover(batch, unit)) return;
  RunOps(batch, txn, unit.actor, unit.note, unit.ops, {}, /*atomic=*/true, /*dry_run=*/false,
         &unit.results, &unit.status);
}

void EngineImpl::RunOps(Batch& batch, MDB_txn* txn, const Actor& actor, std::string_view note,
                        const std::vector<WriteOp>& ops, const std::vector<Status>& fields,
                        bool atomic, bool dry_run, std::vector<WriteResult>* results,
                        Status* failure) {
  // The field check of op i, or nullptr when the ops were built on the
  // writer thread (a handover) and are checked here.
  auto context = [&](size_t i) {
    return OpContext{actor, note, i < fields.size() ? &fields[i] : nullptr};
  };
  if (!dry_run && (!atomic || ops.size() == 1)) {
    for (size_t i = 0; i < ops.size(); ++i) {
      results->push_back(ApplyOp(batch, context(i), txn, ops[i]));
      if (failure != nullptr && failure->ok() && !results->back().status.ok()) {
        *failure = results->back().status;
      }
    }
    return;
  }
  // All or nothing (or, for a dry run, always nothing): a nested LMDB
  // transaction and a staging mark to roll back to.
  size_t mark = batch.staging.Mark();
  size_t effects_mark = batch.effects.size();
  Counters counters_mark = batch.counters;
  int rc = 0;
  Txn child(env_, txn, 0, &rc);
  if (rc != 0) throw LmdbFailure{rc, "beginning a nested transaction"};
  size_t failed = ops.size();
  for (size_t i = 0; i < ops.size(); ++i) {
    results->push_back(ApplyOp(batch, context(i), child.get(), ops[i]));
    if (!results->back().status.ok() && atomic) {
      failed = i;
      break;
    }
  }
  if (failed == ops.size() && !dry_run) {
    rc = child.Commit();
    if (rc != 0) throw LmdbFailure{rc, "committing a nested transaction"};
    return;
  }
  if (failed < ops.size() && failure != nullptr) *failure = (*results)[failed].status;
  child.Abort();
  batch.staging.RollbackTo(mark);
  batch.effects.resize(effects_mark);
  batch.counters = counters_mark;
  if (failed == ops.size()) return;  // a dry run: each op's result stands
  Status cause = (*results)[failed].status;
  results->resize(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i == failed) continue;
    (*results)[i] =
        WriteResult{Status::Conflict("not applied: op " + std::to_string(failed) +
                                     " of the atomic batch failed: " + cause.ToString()),
                    0, 0};
  }
}

}  // namespace crm::engine::internal
