// EngineImpl: the value model's plumbing: scoring configs, re-ageing, tier
// snapshots.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <cstring>

#include "engine_impl.h"
#include "stored_value.h"

namespace crm::engine::internal {

Status EngineImpl::LoadScoring(MDB_txn* txn, ScoringConfig* out) const {
  *out = ScoringConfig::Default();
  int rc = 0;
  Cursor cursor(txn, dbis_[kScoring], &rc);
  if (rc != 0) return LmdbError(rc, "opening the scoring configs");
  MDB_val key, value;
  rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_LAST);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  if (rc != 0) return LmdbError(rc, "reading the scoring config");
  std::vector<capnp::word> scratch;
  Status s = DecodeValue(value, scratch, out);
  if (s.ok()) s = Validate(*out);
  if (!s.ok()) {
    return Status::Unavailable("data directory is corrupt: the stored scoring config is invalid: " +
                               s.message());
  }
  return Status::Ok();
}

Result<std::vector<ScoringConfig>> EngineImpl::ScoringHistory() const {
  std::vector<ScoringConfig> out;
  CRM_RETURN_IF_ERROR(ReadScan(kScoring, [&](MDB_cursor* cursor) -> Status {
    std::vector<capnp::word> scratch;
    MDB_val key, value;
    int rc;
    for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
      ScoringConfig config;
      CRM_RETURN_IF_ERROR(DecodeValue(value, scratch, &config));
      out.push_back(config);
    }
    return rc == MDB_NOTFOUND ? Status::Ok() : LmdbError(rc, "reading the scoring configs");
  }));
  return out;
}

Result<ScoringConfig> EngineImpl::SetScoring(const Actor& actor, ScoringConfig config) {
  CRM_RETURN_IF_ERROR(Validate(config));
  return OnWriter([&] { return DoSetScoring(actor, config); });
}

Status EngineImpl::Reage(Micros as_of) {
  if (as_of <= 0) return Status::InvalidArgument("as_of must be a time after 1970", "as_of");
  return OnWriter([&] { return DoReage(as_of); });
}

Result<ScoringConfig> EngineImpl::DoSetScoring(const Actor& actor, ScoringConfig config) {
  config.version = WriterValue().config().version + 1;
  config.changed_by = actor.user;
  config.changed_at = Now();
  // The new scores are computed beside the ones in force (readers go on),
  // stored, and only then swapped in.
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<ScoreState> rescored;
  std::unique_ptr<ValueModel> rebuilt;
  {
    SharedLock lock(lock_);
    if (value_->WeightsOnly(config)) {
      rescored = value_->Rescore(config, options_.value_threads);
    } else {
      rebuilt = ValueModel::Build(store_, config, value_->as_of(), true, options_.value_threads);
    }
  }
  Status stored = WriteSmall("storing the scoring config", [&](MDB_txn* txn) {
    return PutEncoded(txn, dbis_[kScoring], IdKey(config.version).val(), config);
  });
  if (!stored.ok()) return stored;
  {
    ExclusiveLock lock(lock_);
    if (rescored) {
      value_->AdoptScores(std::move(rescored));  // the old state is freed under the lock,
    } else {                                     // a few milliseconds at 1M customers
      std::swap(value_, rebuilt);
    }
  }
  rebuilt.reset();
  last_rescore_micros_.store(MicrosSince(started), std::memory_order_relaxed);
  CRM_RETURN_IF_ERROR(SnapshotTiers(true));
  return config;
}

Status EngineImpl::DoReage(Micros as_of) {
  auto started = std::chrono::steady_clock::now();
  std::unique_ptr<ValueModel> rebuilt;
  {
    SharedLock lock(lock_);
    rebuilt = ValueModel::Build(store_, value_->config(), as_of, true, options_.value_threads);
  }
  {
    ExclusiveLock lock(lock_);
    std::swap(value_, rebuilt);
  }
  rebuilt.reset();
  last_rescore_micros_.store(MicrosSince(started), std::memory_order_relaxed);
  return SnapshotTiers(false);
}

Status EngineImpl::SnapshotTiers(bool force) {
  std::vector<uint8_t> tiers;
  Micros as_of;
  {
    SharedLock lock(lock_);
    as_of = value_->as_of();
    tiers = value_->TierSnapshot();
  }
  if (as_of <= 0) return Status::Ok();
  return WriteSmall("storing a tier snapshot", [&](MDB_txn* txn) {
    int rc = 0;
    if (!force) {
      Cursor cursor(txn, dbis_[kTierSnapshots], &rc);
      if (rc != 0) return rc;
      MDB_val key, value;
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_LAST);
      if (rc == 0 && key.mv_size == 8) {
        uint64_t last = GetBigEndian(static_cast<const char*>(key.mv_data));
        constexpr Micros kDay = int64_t{86400} * 1000000;
        if (static_cast<Micros>(last) / kDay == as_of / kDay) return 0;
      } else if (rc != MDB_NOTFOUND && rc != 0) {
        return rc;
      }
    }
    std::vector<uint8_t> bytes(kSnapshotHeader + tiers.size());
    std::memcpy(bytes.data(), &kSnapshotMagic, 4);
    uint32_t count = static_cast<uint32_t>(tiers.size());
    std::memcpy(bytes.data() + 4, &count, 4);
    if (!tiers.empty()) std::memcpy(bytes.data() + kSnapshotHeader, tiers.data(), tiers.size());
    Key key = IdKey(static_cast<uint64_t>(as_of));
    MDB_val k = key.val();
    MDB_val v{bytes.size(), bytes.data()};
    return mdb_put(txn, dbis_[kTierSnapshots], &k, &v, 0);
  });
}

Result<TierReport> EngineImpl::Tiers(const TierQuery& query) const {
  std::vector<uint8_t> baseline;
  Micros baseline_at = 0;
  if (query.since != 0) {
    CRM_RETURN_IF_ERROR(ReadScan(kTierSnapshots, [&](MDB_cursor* cursor) -> Status {
      // The last snapshot at or before `since`; none: no baseline.
      Key start = IdKey(static_cast<uint64_t>(std::max<Micros>(query.since, 0)) + 1);
      MDB_val key = start.val(), value;
      int rc = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE);
      if (rc == 0 || rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cursor, &key, &value, rc == 0 ? MDB_PREV : MDB_LAST);
      }
      if (rc == MDB_NOTFOUND) return Status::Ok();
      if (rc != 0) return LmdbError(rc, "reading the tier snapshots");
      uint32_t magic = 0, count = 0;
      if (value.mv_size < kSnapshotHeader || key.mv_size != 8) {
        return Status::Internal("a tier snapshot is malformed");
      }
      std::memcpy(&magic, value.mv_data, 4);
      std::memcpy(&count, static_cast<const uint8_t*>(value.mv_data) + 4, 4);
      if (magic != kSnapshotMagic || value.mv_size != kSnapshotHeader + count) {
        return Status::Internal("a tier snapshot is malformed");
      }
      const auto* bytes = static_cast<const uint8_t*>(value.mv_data);
      baseline.assign(bytes + kSnapshotHeader, bytes + kSnapshotHeader + count);
      baseline_at = static_cast<Micros>(GetBigEndian(static_cast<const char*>(key.mv_data)));
      return Status::Ok();
    }));
  }
  return WithModel(query.as_of, [&](const Store&, const ValueModel& m) {
    TierReport report = BuildTiers(m);
    if (baseline_at != 0) AddMovements(m, baseline, baseline_at, &report);
    return report;
  });
}

}  // namespace crm::engine::internal
