// Staging: what one write batch has done so far, over the committed store.
//
// The writer validates each op against the committed store plus the ops
// before it in the same batch (a customer created earlier in the batch exists,
// a phone claimed earlier is taken). Nothing here is visible to readers: the
// store changes only after the batch commits. Marks allow rolling back one
// atomic unit of the batch.
//
// Thread-safety: used by the writer thread alone; reads the store, which the
// writer alone mutates, so no lock is needed.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store.h"

namespace crm::engine::internal {

class Staging {
 public:
  explicit Staging(const Store& store) : store_(store) {}

  // The current version of a record: staged if the batch touched it, else
  // committed; nullptr when it does not exist (or the batch deleted it).
  template <typename T>
  const T* Find(Id id) const {
    auto it = records_.find(RecordKey(EntityOf<T>, id));
    if (it == records_.end()) return store_.Find<T>(id);
    return it->second ? &std::get<T>(*it->second) : nullptr;
  }

  KeyOwner PhoneOwner(const std::string& e164) const;
  KeyOwner EmailOwner(const std::string& email) const;
  Id ExternalRefOwner(const std::string& ref) const;

  // Ids of the current records of kind T that belong to `customer`.
  template <typename T>
  std::vector<Id> Children(Id customer) const;
  // Customers whose relations point at `customer`.
  std::vector<Id> Referrers(Id customer) const;

  // Records that `record` replaces `old` (nullptr on create).
  void Put(const Record& record, const Record* old);
  void Remove(const Record& old);

  // A point to roll back to.
  size_t Mark() const { return undo_.size(); }
  void RollbackTo(size_t mark);

 private:
  static uint64_t RecordKey(EntityKind kind, Id id) {
    return (static_cast<uint64_t>(kind) << 56) | id;
  }
  void SetRecord(uint64_t key, std::optional<Record> value);
  void SetKey(std::string key, KeyOwner owner);
  void ClaimKeys(const Record& record, bool claim);

  struct Undo {
    bool is_record;
    uint64_t record_key;
    std::string text_key;
    bool existed;
    std::optional<Record> record;
    KeyOwner owner;
  };

  const Store& store_;
  std::unordered_map<uint64_t, std::optional<Record>> records_;
  // "p" + E.164, "e" + email, "r" + external ref -> holder ({0,0}: free).
  std::unordered_map<std::string, KeyOwner> keys_;
  std::vector<Undo> undo_;
};

}  // namespace crm::engine::internal
