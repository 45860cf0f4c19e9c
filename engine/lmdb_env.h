// Thin RAII over LMDB transactions and cursors. The databases, their keys
// and the meta record are in format.h.
#pragma once

#include <lmdb.h>

#include <string_view>

#include "crm/engine/status.h"
#include "format.h"

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

}  // namespace crm::engine::internal
