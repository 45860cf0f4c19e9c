// The meta record's reader and writer (see format.h), and LMDB errors.
#include "format.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <string>
#include <vector>

#include "crm/engine/engine.h"
#include "lmdb_env.h"
#include "stored_value.h"

namespace crm::engine::internal {

Status LmdbError(int rc, std::string_view what) {
  return Status::Internal(std::string(what) + ": " + mdb_strerror(rc));
}

Status DecodeMeta(const MDB_val& value, MetaRecord* out) {
  std::vector<capnp::word> scratch;
  return ReadValue<schema::Meta>(value, scratch, [&](schema::Meta::Reader meta) {
    out->schema_version = meta.getSchemaVersion();
    auto ids = meta.getLastIds();
    auto& last_ids = out->counters.last_ids;
    for (unsigned i = 0; i < ids.size() && i < last_ids.size(); ++i) last_ids[i] = ids[i];
    out->counters.audit_sequence = meta.getLastAuditSequence();
    out->audit_indexed_through = meta.getAuditIndexedThrough();
    return Status::Ok();
  });
}

Status ReadMeta(MDB_txn* txn, MDB_dbi dbi, MetaRecord* out) {
  MDB_val key = MetaKey();
  MDB_val value;
  int rc = mdb_get(txn, dbi, &key, &value);
  if (rc != 0) return LmdbError(rc, "reading the meta record");
  return DecodeMeta(value, out);
}

int PutMeta(MDB_txn* txn, MDB_dbi dbi, const Counters& counters) {
  capnp::MallocMessageBuilder message(64);
  auto meta = message.initRoot<schema::Meta>();
  meta.setSchemaVersion(kSchemaVersion);
  auto ids = meta.initLastIds(static_cast<unsigned>(counters.last_ids.size()));
  for (unsigned i = 0; i < counters.last_ids.size(); ++i) ids.set(i, counters.last_ids[i]);
  meta.setLastAuditSequence(counters.audit_sequence);
  meta.setAuditIndexedThrough(counters.audit_sequence);
  auto words = capnp::messageToFlatArray(message);
  MDB_val key = MetaKey();
  MDB_val value{words.asBytes().size(), words.asBytes().begin()};
  return mdb_put(txn, dbi, &key, &value, 0);
}

}  // namespace crm::engine::internal
