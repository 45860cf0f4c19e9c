// Thin RAII over LMDB, plus the key layout of crm's databases.
//
// Databases (named DBIs in one environment):
//   meta          "meta" -> schema::Meta
//   customers     id                       -> schema::Customer
//   contacts      id                       -> schema::Contact
//   interactions  id                       -> schema::Interaction
//   transactions  id                       -> schema::Transaction
//   opportunities id                       -> schema::Opportunity
//   contracts     id                       -> schema::Contract
//   tasks         id                       -> schema::Task
//   users         id                       -> schema::User
//   audit         sequence                 -> schema::AuditEntry
// Ids and sequences are big-endian u64, so byte order is numeric order.
// Histories are keyed by id, not by customer: new records are appended at
// the end of the tree, so a batch of writes for many customers dirties one or
// two leaf pages instead of one per customer. Per-customer order lives in
// memory (and is rebuilt at load).
#pragma once

#include <lmdb.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::engine::internal {

// Status for an LMDB return code, with what was being done.
Status LmdbError(int rc, std::string_view what);

class Txn {
 public:
  Txn() = default;
  Txn(MDB_env* env, MDB_txn* parent, unsigned flags, int* rc) {
    *rc = mdb_txn_begin(env, parent, flags, &txn_);
    if (*rc != 0) txn_ = nullptr;
  }
  ~Txn() { Abort(); }
  Txn(Txn&& other) noexcept : txn_(other.txn_) { other.txn_ = nullptr; }
  Txn& operator=(Txn&& other) noexcept {
    Abort();
    txn_ = other.txn_;
    other.txn_ = nullptr;
    return *this;
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  MDB_txn* get() const { return txn_; }
  int Commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    return rc;
  }
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }

 private:
  MDB_txn* txn_ = nullptr;
};

class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi, int* rc) {
    *rc = mdb_cursor_open(txn, dbi, &cursor_);
    if (*rc != 0) cursor_ = nullptr;
  }
  ~Cursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  MDB_cursor* get() const { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
};

inline void PutBigEndian(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline uint64_t GetBigEndian(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// A key of up to three 8-byte parts.
struct Key {
  std::array<char, 24> bytes{};
  size_t size = 0;
  void Add(uint64_t v) {
    PutBigEndian(v, bytes.data() + size);
    size += 8;
  }
  MDB_val val() { return MDB_val{size, bytes.data()}; }
};

inline Key IdKey(Id id) {
  Key k;
  k.Add(id);
  return k;
}

}  // namespace crm::engine::internal
