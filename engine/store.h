// Store: the in-memory customer graph and its indexes.
//
// Layout (designed for the card lookup):
// - records live in dense tables indexed by id, in fixed-size chunks so that
//   growth never moves a record;
// - each customer node keeps its own interactions and transactions inline,
//   sorted by (time, id), so the latest N are contiguous at the back;
// - phones (by E.164 digits), emails and external refs (by XXH3) are found
//   through open-addressing hash indexes; candidates are verified against the
//   record, so hash collisions cannot return a wrong customer.
//
// Thread-safety: the Put*/Remove* methods mutate and need exclusive access;
// every const method may run concurrently with other const methods. The
// engine's lock provides both. Pointers returned by Find* are valid until the
// next mutation.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/engine/model.h"
#include "hash_index.h"

namespace crm::engine::internal {

// A table of T indexed by id, in chunks of 4096 so that addresses are stable.
template <typename T>
class DenseTable {
 public:
  static constexpr size_t kChunkBits = 12;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;

  T* Get(Id id) {
    size_t chunk = id >> kChunkBits;
    return chunk < chunks_.size() ? &chunks_[chunk][id & (kChunkSize - 1)] : nullptr;
  }
  const T* Get(Id id) const { return const_cast<DenseTable*>(this)->Get(id); }
  T& GetOrCreate(Id id) {
    size_t chunk = id >> kChunkBits;
    while (chunk >= chunks_.size()) chunks_.push_back(std::make_unique<T[]>(kChunkSize));
    return chunks_[chunk][id & (kChunkSize - 1)];
  }
  // One past the largest id that has a slot.
  Id end_id() const { return static_cast<Id>(chunks_.size() * kChunkSize); }
  size_t MemoryBytes() const { return chunks_.size() * kChunkSize * sizeof(T); }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
};

struct CustomerNode {
  Customer customer;                      // customer.id == 0: no such customer
  std::vector<Interaction> interactions;  // ascending (time, id)
  std::vector<Transaction> transactions;  // ascending (time, id)
  std::vector<Id> contacts;               // ascending ids
  std::vector<Id> opportunities;
  std::vector<Id> contracts;
  std::vector<Id> tasks;
  std::vector<Id> open_complaints;        // interaction ids, ascending
  std::vector<Relation> incoming;         // {from customer, kind} of edges stored elsewhere
};

// Where a history record lives: its customer and its time.
struct HistoryLocation {
  Id customer = 0;  // 0: no such record
  Micros time = 0;
};

// Who holds a phone or email: a customer itself or one of its contacts.
struct KeyOwner {
  Id customer = 0;  // 0: nobody
  Id contact = 0;
};

class Store {
 public:
  explicit Store(std::string default_region) : default_region_(std::move(default_region)) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- Mutations (exclusive access). Put* inserts or replaces by id and keeps
  // every index consistent; callers have validated the record.
  void Put(Record record);
  void Remove(EntityKind kind, Id id);

  // ---- Lookups.
  const CustomerNode* Node(Id id) const;
  template <typename T>
  const T* Find(Id id) const;

  // One past the largest id of kind T that has a slot: every record of
  // that kind has a smaller id (a bound for scans, not a count).
  template <typename T>
  Id EndId() const;

  KeyOwner PhoneOwner(std::string_view e164) const;
  KeyOwner EmailOwner(std::string_view canonical_email) const;
  Id ExternalRefOwner(std::string_view ref) const;

  // Resolves a card key (normalizing phones and emails) to a customer id.
  Result<Id> Resolve(const CardKey& key) const;
  // See Engine::VisitCard. Allocates nothing once the calling thread's
  // scratch lists have grown to the card's size.
  // `value` becomes the view's value summary.
  Status VisitCard(Id id, const CardOptions& options, const ValueSummary* value,
                   FunctionRef<void(const CardView&)> visit) const;
  Result<HistoryPage> History(const HistoryQuery& query) const;

  template <typename T>
  std::vector<T> ListChildren(Id customer) const;
  std::vector<User> ListUsers() const;

  StoreCounts Counts() const { return counts_; }
  // One past the largest customer id that has a slot.
  Id customer_end_id() const { return customers_.end_id(); }
  // See Engine::Memory().
  MemoryUsage Memory() const;
  // Hints the number of customers to come, so indexes don't rehash on load.
  void Reserve(size_t customers);
  // Load path: makes `records` (sorted by (time, id), all of `customer`) the
  // customer's history of that kind, which must be empty. O(records).
  template <typename T>
  void AdoptHistory(Id customer, std::vector<T> records);

 private:
  void PutCustomer(Customer c);
  void RemoveCustomer(Id id);
  void PutContact(Contact c);
  void RemoveContact(Id id);
  template <typename T>
  void PutHistory(T record);
  template <typename T>
  void RemoveHistory(Id id);
  template <typename T>
  void PutChild(T record);
  template <typename T>
  void RemoveChild(Id id);
  template <typename T>
  const T* FindHistory(Id id) const;
  void PutUser(User u);
  void RemoveUser(Id id);

  void IndexKeys(const std::vector<std::string>& phones, const std::vector<std::string>& emails,
                 uint64_t owner_ref, bool insert);

  std::string default_region_;
  DenseTable<CustomerNode> customers_;
  DenseTable<Contact> contacts_;
  DenseTable<HistoryLocation> interaction_locations_;
  DenseTable<HistoryLocation> transaction_locations_;
  DenseTable<Opportunity> opportunities_;
  DenseTable<Contract> contracts_;
  DenseTable<Task> tasks_;
  DenseTable<User> users_;
  HashIndex phones_;         // E.164 digits -> owner ref
  HashIndex emails_;         // XXH3(email) -> owner ref
  HashIndex external_refs_;  // XXH3(ref) -> customer id
  StoreCounts counts_;
};

}  // namespace crm::engine::internal
