// Cap'n Proto messages stored as LMDB values: reading and writing them.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <lmdb.h>

#include <cstring>
#include <string>
#include <vector>

#include "crm/engine/codec.h"
#include "crm/engine/status.h"

namespace crm::engine::internal {

// Calls fn(reader) with the root of an LMDB value (not necessarily
// word-aligned, so it is copied into `scratch` first, which grows as needed
// and is never shrunk). Returns fn's Status,
// or Internal when the value is not a valid message.
template <typename S, typename Fn>
Status ReadValue(const MDB_val& value, std::vector<capnp::word>& scratch, Fn&& fn) {
  if (value.mv_size % sizeof(capnp::word) != 0 || value.mv_size == 0) {
    return Status::Internal("stored value is not a whole number of words");
  }
  const size_t words = value.mv_size / sizeof(capnp::word);
  // Grown by replacement, not resize(): capnp::word is not copyable under
  // clang, so the vector cannot move its elements.
  if (scratch.size() < words) scratch = std::vector<capnp::word>(words);
  std::memcpy(scratch.data(), value.mv_data, value.mv_size);
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 64 * 1024 * 1024;
    capnp::FlatArrayMessageReader reader(kj::ArrayPtr<const capnp::word>(scratch.data(), words),
                                         options);
    return fn(reader.getRoot<S>());
  } catch (const kj::Exception& e) {
    return Status::Internal(std::string("stored value does not decode: ") +
                            e.getDescription().cStr());
  }
}

// Decodes an LMDB value into T.
template <typename T>
Status DecodeValue(const MDB_val& value, std::vector<capnp::word>& scratch, T* out) {
  return ReadValue<SchemaOf<T>>(value, scratch,
                                [&](typename SchemaOf<T>::Reader r) { return Decode(r, out); });
}

// Encodes `value` (a model type with a schema: SchemaOf<T>) and puts it
// under `key` in `dbi`. Returns LMDB's code (MDB_MAP_FULL included).
template <typename T>
int PutEncoded(MDB_txn* txn, MDB_dbi dbi, MDB_val key, const T& value, unsigned flags = 0) {
  capnp::MallocMessageBuilder message(256);
  Encode(value, message.initRoot<SchemaOf<T>>());
  auto words = capnp::messageToFlatArray(message);
  MDB_val v{words.asBytes().size(), words.asBytes().begin()};
  return mdb_put(txn, dbi, &key, &v, flags);
}

}  // namespace crm::engine::internal
