#include "store.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "crm/engine/normalize.h"

namespace crm::engine::internal {
namespace {

constexpr uint64_t kContactBit = uint64_t{1} << 63;

uint64_t OwnerRef(Id customer, Id contact) { return contact ? (contact | kContactBit) : customer; }

uint64_t TextKey(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void InsertSortedId(std::vector<Id>& ids, Id id) {
  if (ids.empty() || ids.back() < id) {
    ids.push_back(id);
    return;
  }
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) ids.insert(it, id);
}

void EraseSortedId(std::vector<Id>& ids, Id id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it != ids.end() && *it == id) ids.erase(it);
}

// Ordering of history records within one customer: (time, id).
template <typename T>
bool Before(const T& a, Micros time, Id id) {
  return a.time < time || (a.time == time && a.id < id);
}

template <typename T>
typename std::vector<T>::iterator FindInHistory(std::vector<T>& v, Micros time, Id id) {
  auto it = std::lower_bound(v.begin(), v.end(), 0,
                             [&](const T& e, int) { return Before(e, time, id); });
  return (it != v.end() && it->id == id) ? it : v.end();
}

bool IsOpenComplaint(const Interaction& i) {
  return i.complaint == ComplaintState::kOpen || i.complaint == ComplaintState::kInProgress;
}

// What the store keeps per history kind.
template <typename T> struct HistoryTraits;
template <> struct HistoryTraits<Interaction> {
  static constexpr EntityKind kKind = EntityKind::kInteraction;
  static std::vector<Interaction>& List(CustomerNode& n) { return n.interactions; }
  static const std::vector<Interaction>& List(const CustomerNode& n) { return n.interactions; }
};
template <> struct HistoryTraits<Transaction> {
  static constexpr EntityKind kKind = EntityKind::kTransaction;
  static std::vector<Transaction>& List(CustomerNode& n) { return n.transactions; }
  static const std::vector<Transaction>& List(const CustomerNode& n) { return n.transactions; }
};

// A position in the merged, newest-first history: (time, kind, id).
struct HistoryKey {
  Micros time;
  uint8_t kind;
  Id id;
  friend bool operator<(const HistoryKey& a, const HistoryKey& b) {
    return std::tie(a.time, a.kind, a.id) < std::tie(b.time, b.kind, b.id);
  }
};

template <typename T>
HistoryKey KeyOf(const T& record) {
  return {record.time, static_cast<uint8_t>(HistoryTraits<T>::kKind), record.id};
}

std::string EncodeCursor(const HistoryKey& key) {
  std::string out = std::to_string(key.time);
  out += '.';
  out += std::to_string(key.kind);
  out += '.';
  out += std::to_string(key.id);
  return out;
}

bool DecodeCursor(std::string_view text, HistoryKey* key) {
  auto parse = [&](auto* value, char stop) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
    if (ec != std::errc() || ptr == text.data()) return false;
    text.remove_prefix(static_cast<size_t>(ptr - text.data()));
    if (stop == 0) return text.empty();
    if (text.empty() || text.front() != stop) return false;
    text.remove_prefix(1);
    return true;
  };
  unsigned kind = 0;
  if (!parse(&key->time, '.') || !parse(&kind, '.') || !parse(&key->id, 0)) return false;
  if (kind != static_cast<unsigned>(EntityKind::kInteraction) &&
      kind != static_cast<unsigned>(EntityKind::kTransaction)) {
    return false;
  }
  key->kind = static_cast<uint8_t>(kind);
  return true;
}

}  // namespace

// ---------------------------------------------------------------- mutations

void Store::Put(Record record) {
  std::visit(
      [&](auto&& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Customer>) {
          PutCustomer(std::move(r));
        } else if constexpr (std::is_same_v<T, Contact>) {
          PutContact(std::move(r));
        } else if constexpr (std::is_same_v<T, Interaction> || std::is_same_v<T, Transaction>) {
          PutHistory(std::move(r));
        } else if constexpr (std::is_same_v<T, User>) {
          PutUser(std::move(r));
        } else {
          PutChild(std::move(r));
        }
      },
      std::move(record));
}

void Store::Remove(EntityKind kind, Id id) {
  switch (kind) {
    case EntityKind::kCustomer: return RemoveCustomer(id);
    case EntityKind::kContact: return RemoveContact(id);
    case EntityKind::kInteraction: return RemoveHistory<Interaction>(id);
    case EntityKind::kTransaction: return RemoveHistory<Transaction>(id);
    case EntityKind::kOpportunity: return RemoveChild<Opportunity>(id);
    case EntityKind::kContract: return RemoveChild<Contract>(id);
    case EntityKind::kTask: return RemoveChild<Task>(id);
    case EntityKind::kUser: return RemoveUser(id);
  }
}

void Store::IndexKeys(const std::vector<std::string>& phones,
                      const std::vector<std::string>& emails, uint64_t owner_ref, bool insert) {
  for (const auto& p : phones) {
    insert ? phones_.Insert(PhoneKey(p), owner_ref) : (void)phones_.Erase(PhoneKey(p), owner_ref);
  }
  for (const auto& e : emails) {
    insert ? emails_.Insert(TextKey(e), owner_ref) : (void)emails_.Erase(TextKey(e), owner_ref);
  }
}

void Store::PutCustomer(Customer c) {
  CustomerNode& node = customers_.GetOrCreate(c.id);
  Customer& old = node.customer;
  if (old.id != 0) {
    IndexKeys(old.phones, old.emails, OwnerRef(old.id, 0), false);
    if (!old.external_ref.empty()) external_refs_.Erase(TextKey(old.external_ref), old.id);
    for (const Relation& r : old.relations) {
      auto& incoming = customers_.GetOrCreate(r.customer).incoming;
      auto it = std::find(incoming.begin(), incoming.end(), Relation{old.id, r.kind});
      if (it != incoming.end()) incoming.erase(it);
    }
  } else {
    ++counts_.customers;
  }
  old = std::move(c);
  IndexKeys(old.phones, old.emails, OwnerRef(old.id, 0), true);
  if (!old.external_ref.empty()) external_refs_.Insert(TextKey(old.external_ref), old.id);
  for (const Relation& r : old.relations) {
    customers_.GetOrCreate(r.customer).incoming.push_back(Relation{old.id, r.kind});
  }
}

void Store::RemoveCustomer(Id id) {
  CustomerNode* node = customers_.Get(id);
  if (node == nullptr || node->customer.id == 0) return;
  const Customer& old = node->customer;
  IndexKeys(old.phones, old.emails, OwnerRef(old.id, 0), false);
  if (!old.external_ref.empty()) external_refs_.Erase(TextKey(old.external_ref), old.id);
  for (const Relation& r : old.relations) {
    auto& incoming = customers_.GetOrCreate(r.customer).incoming;
    auto it = std::find(incoming.begin(), incoming.end(), Relation{id, r.kind});
    if (it != incoming.end()) incoming.erase(it);
  }
  std::vector<Relation> incoming = std::move(node->incoming);
  *node = CustomerNode{};
  node->incoming = std::move(incoming);  // edges of others stay until they change
  --counts_.customers;
}

void Store::PutContact(Contact c) {
  Contact& slot = contacts_.GetOrCreate(c.id);
  if (slot.id != 0) {
    IndexKeys(slot.phones, slot.emails, OwnerRef(slot.customer, slot.id), false);
    if (slot.customer != c.customer) EraseSortedId(customers_.GetOrCreate(slot.customer).contacts, slot.id);
  } else {
    ++counts_.contacts;
  }
  slot = std::move(c);
  IndexKeys(slot.phones, slot.emails, OwnerRef(slot.customer, slot.id), true);
  InsertSortedId(customers_.GetOrCreate(slot.customer).contacts, slot.id);
}

void Store::RemoveContact(Id id) {
  Contact* slot = contacts_.Get(id);
  if (slot == nullptr || slot->id == 0) return;
  IndexKeys(slot->phones, slot->emails, OwnerRef(slot->customer, slot->id), false);
  EraseSortedId(customers_.GetOrCreate(slot->customer).contacts, id);
  *slot = Contact{};
  --counts_.contacts;
}

template <typename T>
void Store::PutHistory(T record) {
  constexpr bool kIsInteraction = std::is_same_v<T, Interaction>;
  auto& locations = kIsInteraction ? interaction_locations_ : transaction_locations_;
  uint64_t& count = kIsInteraction ? counts_.interactions : counts_.transactions;
  HistoryLocation& loc = locations.GetOrCreate(record.id);
  if (loc.customer != 0) {
    RemoveHistory<T>(record.id);
  }
  ++count;
  CustomerNode& node = customers_.GetOrCreate(record.customer);
  auto& list = HistoryTraits<T>::List(node);
  loc = HistoryLocation{record.customer, record.time};
  if constexpr (kIsInteraction) {
    if (IsOpenComplaint(record)) InsertSortedId(node.open_complaints, record.id);
  }
  if (list.empty() || Before(list.back(), record.time, record.id)) {
    list.push_back(std::move(record));  // the common case: history grows at its end
  } else {
    Micros time = record.time;
    Id id = record.id;
    auto it = std::lower_bound(list.begin(), list.end(), 0,
                               [&](const T& e, int) { return Before(e, time, id); });
    list.insert(it, std::move(record));
  }
}

template <typename T>
void Store::RemoveHistory(Id id) {
  constexpr bool kIsInteraction = std::is_same_v<T, Interaction>;
  auto& locations = kIsInteraction ? interaction_locations_ : transaction_locations_;
  HistoryLocation* loc = locations.Get(id);
  if (loc == nullptr || loc->customer == 0) return;
  CustomerNode& node = customers_.GetOrCreate(loc->customer);
  auto& list = HistoryTraits<T>::List(node);
  auto it = FindInHistory(list, loc->time, id);
  if (it != list.end()) list.erase(it);
  if constexpr (kIsInteraction) EraseSortedId(node.open_complaints, id);
  *loc = HistoryLocation{};
  --(kIsInteraction ? counts_.interactions : counts_.transactions);
}

namespace {
template <typename T> struct ChildTraits;
template <> struct ChildTraits<Opportunity> {
  static std::vector<Id>& List(CustomerNode& n) { return n.opportunities; }
  static const std::vector<Id>& List(const CustomerNode& n) { return n.opportunities; }
};
template <> struct ChildTraits<Contract> {
  static std::vector<Id>& List(CustomerNode& n) { return n.contracts; }
  static const std::vector<Id>& List(const CustomerNode& n) { return n.contracts; }
};
template <> struct ChildTraits<Task> {
  static std::vector<Id>& List(CustomerNode& n) { return n.tasks; }
  static const std::vector<Id>& List(const CustomerNode& n) { return n.tasks; }
};
template <> struct ChildTraits<Contact> {
  static const std::vector<Id>& List(const CustomerNode& n) { return n.contacts; }
};
}  // namespace

template <typename T>
void Store::PutChild(T record) {
  auto& table = [&]() -> DenseTable<T>& {
    if constexpr (std::is_same_v<T, Opportunity>) return opportunities_;
    else if constexpr (std::is_same_v<T, Contract>) return contracts_;
    else return tasks_;
  }();
  uint64_t& count = std::is_same_v<T, Opportunity> ? counts_.opportunities
                    : std::is_same_v<T, Contract>  ? counts_.contracts
                                                   : counts_.tasks;
  T& slot = table.GetOrCreate(record.id);
  if (slot.id != 0) {
    if (slot.customer != 0) EraseSortedId(ChildTraits<T>::List(customers_.GetOrCreate(slot.customer)), slot.id);
  } else {
    ++count;
  }
  slot = std::move(record);
  if (slot.customer != 0) InsertSortedId(ChildTraits<T>::List(customers_.GetOrCreate(slot.customer)), slot.id);
}

template <typename T>
void Store::RemoveChild(Id id) {
  DenseTable<T>& table = [&]() -> DenseTable<T>& {
    if constexpr (std::is_same_v<T, Opportunity>) return opportunities_;
    else if constexpr (std::is_same_v<T, Contract>) return contracts_;
    else return tasks_;
  }();
  T* slot = table.Get(id);
  if (slot == nullptr || slot->id == 0) return;
  if (slot->customer != 0) EraseSortedId(ChildTraits<T>::List(customers_.GetOrCreate(slot->customer)), id);
  *slot = T{};
  --(std::is_same_v<T, Opportunity> ? counts_.opportunities
     : std::is_same_v<T, Contract>  ? counts_.contracts
                                    : counts_.tasks);
}

void Store::PutUser(User u) {
  User& slot = users_.GetOrCreate(u.id);
  if (slot.id == 0) ++counts_.users;
  slot = std::move(u);
}

void Store::RemoveUser(Id id) {
  User* slot = users_.Get(id);
  if (slot == nullptr || slot->id == 0) return;
  *slot = User{};
  --counts_.users;
}

template <typename T>
void Store::AdoptHistory(Id customer, std::vector<T> records) {
  constexpr bool kIsInteraction = std::is_same_v<T, Interaction>;
  auto& locations = kIsInteraction ? interaction_locations_ : transaction_locations_;
  CustomerNode& node = customers_.GetOrCreate(customer);
  auto& list = HistoryTraits<T>::List(node);
  if (!list.empty()) {  // not expected on load; stay correct anyway
    for (T& r : records) PutHistory(std::move(r));
    return;
  }
  for (const T& r : records) {
    locations.GetOrCreate(r.id) = HistoryLocation{customer, r.time};
    if constexpr (kIsInteraction) {
      if (IsOpenComplaint(r)) InsertSortedId(node.open_complaints, r.id);
    }
  }
  (kIsInteraction ? counts_.interactions : counts_.transactions) += records.size();
  list = std::move(records);
}

template void Store::AdoptHistory<Interaction>(Id, std::vector<Interaction>);
template void Store::AdoptHistory<Transaction>(Id, std::vector<Transaction>);

void Store::Reserve(size_t customers) {
  phones_.Reserve(customers * 2);
  emails_.Reserve(customers * 2);
  external_refs_.Reserve(customers);
}

namespace {

// Heap bytes behind a string (0 while it fits the small-string buffer).
size_t Heap(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

template <typename T>
size_t HeapOf(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

size_t HeapOf(const std::vector<std::string>& v) {
  size_t n = v.capacity() * sizeof(std::string);
  for (const auto& s : v) n += Heap(s);
  return n;
}

size_t HeapOf(const Customer& c) {
  size_t n = Heap(c.external_ref) + Heap(c.name) + Heap(c.tax_id) + HeapOf(c.phones) +
             HeapOf(c.emails) + Heap(c.region.country) + Heap(c.region.province) +
             Heap(c.region.city) + Heap(c.industry) + Heap(c.category) + Heap(c.team) +
             HeapOf(c.tags) + HeapOf(c.attributes) + HeapOf(c.relations) + Heap(c.occupation);
  for (const auto& a : c.attributes) n += Heap(a.key) + Heap(a.value);
  return n;
}

size_t HeapOf(const Interaction& i) { return Heap(i.subject) + Heap(i.notes) + Heap(i.outcome); }
size_t HeapOf(const Transaction& t) { return Heap(t.product_category); }
size_t HeapOf(const Contact& c) {
  return Heap(c.name) + Heap(c.title) + HeapOf(c.phones) + HeapOf(c.emails);
}
size_t HeapOf(const Opportunity& o) {
  return Heap(o.name) + Heap(o.source) + Heap(o.campaign) + Heap(o.lost_reason);
}
size_t HeapOf(const Contract& c) { return Heap(c.number) + Heap(c.payment_terms); }
size_t HeapOf(const Task& t) { return Heap(t.title) + Heap(t.notes); }
size_t HeapOf(const User& u) { return Heap(u.name) + Heap(u.team) + Heap(u.token_hash); }

template <typename T>
uint64_t TableBytes(const DenseTable<T>& table) {
  uint64_t n = table.MemoryBytes();
  for (Id id = 1; id < table.end_id(); ++id) {
    const T* r = table.Get(id);
    if (r->id != 0) n += HeapOf(*r);
  }
  return n;
}

}  // namespace

MemoryUsage Store::Memory() const {
  MemoryUsage m;
  m.customers = customers_.MemoryBytes();
  for (Id id = 1; id < customers_.end_id(); ++id) {
    const CustomerNode& node = *customers_.Get(id);
    m.customers += HeapOf(node.customer) + HeapOf(node.contacts) + HeapOf(node.opportunities) +
                   HeapOf(node.contracts) + HeapOf(node.tasks) + HeapOf(node.open_complaints) +
                   HeapOf(node.incoming);
    m.interactions += HeapOf(node.interactions);
    for (const auto& i : node.interactions) m.interactions += HeapOf(i);
    m.transactions += HeapOf(node.transactions);
    for (const auto& t : node.transactions) m.transactions += HeapOf(t);
  }
  m.interactions += interaction_locations_.MemoryBytes();
  m.transactions += transaction_locations_.MemoryBytes();
  m.contacts = TableBytes(contacts_);
  m.opportunities = TableBytes(opportunities_);
  m.contracts = TableBytes(contracts_);
  m.tasks = TableBytes(tasks_);
  m.users = TableBytes(users_);
  m.indexes = phones_.MemoryBytes() + emails_.MemoryBytes() + external_refs_.MemoryBytes();
  return m;
}

// ------------------------------------------------------------------ lookups

const CustomerNode* Store::Node(Id id) const {
  const CustomerNode* node = customers_.Get(id);
  return (node != nullptr && node->customer.id != 0) ? node : nullptr;
}

template <>
const Customer* Store::Find<Customer>(Id id) const {
  const CustomerNode* node = Node(id);
  return node ? &node->customer : nullptr;
}

namespace {
template <typename T>
const T* LiveSlot(const DenseTable<T>& table, Id id) {
  const T* slot = table.Get(id);
  return (slot != nullptr && slot->id != 0) ? slot : nullptr;
}
}  // namespace

template <> const Contact* Store::Find<Contact>(Id id) const { return LiveSlot(contacts_, id); }
template <> const Opportunity* Store::Find<Opportunity>(Id id) const {
  return LiveSlot(opportunities_, id);
}
template <> const Contract* Store::Find<Contract>(Id id) const { return LiveSlot(contracts_, id); }
template <> const Task* Store::Find<Task>(Id id) const { return LiveSlot(tasks_, id); }
template <> const User* Store::Find<User>(Id id) const { return LiveSlot(users_, id); }

template <> Id Store::EndId<Customer>() const { return customers_.end_id(); }
template <> Id Store::EndId<Contact>() const { return contacts_.end_id(); }
template <> Id Store::EndId<Interaction>() const { return interaction_locations_.end_id(); }
template <> Id Store::EndId<Transaction>() const { return transaction_locations_.end_id(); }
template <> Id Store::EndId<Opportunity>() const { return opportunities_.end_id(); }
template <> Id Store::EndId<Contract>() const { return contracts_.end_id(); }
template <> Id Store::EndId<Task>() const { return tasks_.end_id(); }
template <> Id Store::EndId<User>() const { return users_.end_id(); }

template <typename T>
const T* Store::FindHistory(Id id) const {
  const auto& locations =
      std::is_same_v<T, Interaction> ? interaction_locations_ : transaction_locations_;
  const HistoryLocation* loc = locations.Get(id);
  if (loc == nullptr || loc->customer == 0) return nullptr;
  auto& list = HistoryTraits<T>::List(const_cast<CustomerNode&>(*customers_.Get(loc->customer)));
  auto it = FindInHistory(list, loc->time, id);
  return it == list.end() ? nullptr : &*it;
}

template <> const Interaction* Store::Find<Interaction>(Id id) const {
  return FindHistory<Interaction>(id);
}
template <> const Transaction* Store::Find<Transaction>(Id id) const {
  return FindHistory<Transaction>(id);
}

KeyOwner Store::PhoneOwner(std::string_view e164) const {
  KeyOwner owner;
  uint64_t key = PhoneKey(e164);
  if (key == 0) return owner;
  // The key is the number itself, not a hash, and the index is kept exact on
  // every write: a match needs no check against the record (which would cost
  // two more dependent cache misses on the call-center path). Keys below 4
  // share slots with the index's markers and are no valid phone anyway.
  bool exact = key >= 4;
  phones_.Find(key, [&](uint64_t ref) {
    if (ref & kContactBit) {
      const Contact* c = Find<Contact>(ref & ~kContactBit);
      if (c == nullptr || (!exact && !Contains(c->phones, e164))) return false;
      owner = KeyOwner{c->customer, c->id};
    } else {
      if (!exact) {
        const Customer* c = Find<Customer>(ref);
        if (c == nullptr || !Contains(c->phones, e164)) return false;
      }
      owner = KeyOwner{ref, 0};
    }
    return true;
  });
  return owner;
}

KeyOwner Store::EmailOwner(std::string_view email) const {
  KeyOwner owner;
  emails_.Find(TextKey(email), [&](uint64_t ref) {
    if (ref & kContactBit) {
      const Contact* c = Find<Contact>(ref & ~kContactBit);
      if (c == nullptr || !Contains(c->emails, email)) return false;
      owner = KeyOwner{c->customer, c->id};
    } else {
      const Customer* c = Find<Customer>(ref);
      if (c == nullptr || !Contains(c->emails, email)) return false;
      owner = KeyOwner{c->id, 0};
    }
    return true;
  });
  return owner;
}

Id Store::ExternalRefOwner(std::string_view ref) const {
  Id owner = 0;
  external_refs_.Find(TextKey(ref), [&](uint64_t id) {
    const Customer* c = Find<Customer>(id);
    if (c == nullptr || c->external_ref != ref) return false;
    owner = id;
    return true;
  });
  return owner;
}

Result<Id> Store::Resolve(const CardKey& key) const {
  switch (key.by) {
    case CardKey::By::kId:
      if (Node(key.id) == nullptr) {
        return Status::NotFound("no customer has id " + std::to_string(key.id), "id");
      }
      return key.id;
    case CardKey::By::kPhone: {
      // Fast path: the caller already has E.164 (telephony usually does).
      if (PhoneKey(key.text) != 0) {
        if (Id id = PhoneOwner(key.text).customer) return id;
      }
      Result<std::string> e164 = NormalizePhone(key.text, default_region_);
      if (!e164.ok()) return e164.status();
      if (Id id = PhoneOwner(*e164).customer) return id;
      return Status::NotFound("no customer or contact has phone " + *e164, "phone");
    }
    case CardKey::By::kEmail: {
      Result<std::string> email = NormalizeEmail(key.text);
      if (!email.ok()) return email.status();
      if (Id id = EmailOwner(*email).customer) return id;
      return Status::NotFound("no customer or contact has email " + *email, "email");
    }
    case CardKey::By::kExternalRef:
      if (Id id = ExternalRefOwner(key.text)) return id;
      return Status::NotFound("no customer has external ref \"" + key.text + "\"",
                              "external_ref");
  }
  return Status::InvalidArgument("unknown card key kind", "by");
}

namespace {

void Prefetch(const void* p) { __builtin_prefetch(p); }

void PrefetchText(const std::string& s) {
  if (s.size() > 15) Prefetch(s.data());
}

// Lists a card view points into; one set per thread, reused across calls.
struct CardScratch {
  std::vector<const Contact*> contacts;
  std::vector<const Interaction*> complaints;
  std::vector<const Opportunity*> opportunities;
  std::vector<const Contract*> contracts;
  std::vector<const Task*> tasks;
  std::vector<CardView::Related> related;
};

}  // namespace

Status Store::VisitCard(Id id, const CardOptions& options, const ValueSummary* value,
                        FunctionRef<void(const CardView&)> visit) const {
  const CustomerNode* node = Node(id);
  if (node == nullptr) return Status::NotFound("no customer has id " + std::to_string(id), "id");
  const Customer& customer = node->customer;
  const auto& interactions = node->interactions;
  size_t recent = std::min<size_t>(options.recent_interactions, interactions.size());
  const Interaction* tail = interactions.data() + (interactions.size() - recent);

  // Issue the independent loads first, so their cache misses overlap instead
  // of being paid one after another.
  for (size_t i = 0; i < recent; ++i) Prefetch(&tail[i]);
  for (Id c : node->contacts) Prefetch(contacts_.Get(c));
  for (Id o : node->opportunities) Prefetch(opportunities_.Get(o));
  for (Id c : node->contracts) Prefetch(contracts_.Get(c));
  for (Id t : node->tasks) Prefetch(tasks_.Get(t));
  for (const Relation& r : customer.relations) Prefetch(customers_.Get(r.customer));
  for (const Relation& r : node->incoming) Prefetch(customers_.Get(r.customer));
  PrefetchText(customer.name);

  thread_local CardScratch scratch;
  scratch.contacts.clear();
  for (Id c : node->contacts) scratch.contacts.push_back(Find<Contact>(c));
  scratch.opportunities.clear();
  for (Id o : node->opportunities) {
    const Opportunity* opp = Find<Opportunity>(o);
    if (opp->stage != Stage::kWon && opp->stage != Stage::kLost) {
      scratch.opportunities.push_back(opp);
    }
  }
  scratch.contracts.clear();
  for (Id c : node->contracts) {
    const Contract* contract = Find<Contract>(c);
    if (contract->status == ContractStatus::kDraft || contract->status == ContractStatus::kActive) {
      scratch.contracts.push_back(contract);
    }
  }
  scratch.tasks.clear();
  for (Id t : node->tasks) {
    const Task* task = Find<Task>(t);
    if (!task->done) scratch.tasks.push_back(task);
  }
  std::sort(scratch.tasks.begin(), scratch.tasks.end(), [](const Task* a, const Task* b) {
    return std::tie(a->due_at, a->id) < std::tie(b->due_at, b->id);
  });
  if (scratch.tasks.size() > options.due_tasks) scratch.tasks.resize(options.due_tasks);
  scratch.complaints.clear();
  for (Id i : node->open_complaints) scratch.complaints.push_back(Find<Interaction>(i));
  std::sort(scratch.complaints.begin(), scratch.complaints.end(),
            [](const Interaction* a, const Interaction* b) {
              return std::tie(b->time, b->id) < std::tie(a->time, a->id);
            });
  scratch.related.clear();
  for (const Relation& r : customer.relations) {
    const Customer* other = Find<Customer>(r.customer);
    static const std::string kUnknown;
    scratch.related.push_back({r.customer, other ? &other->name : &kUnknown, r.kind, false});
  }
  for (const Relation& r : node->incoming) {
    if (const Customer* other = Find<Customer>(r.customer)) {
      scratch.related.push_back({r.customer, &other->name, r.kind, true});
    }
  }
  // The visitor reads the text next: start fetching what lives on the heap.
  for (size_t i = 0; i < recent; ++i) {
    PrefetchText(tail[i].subject);
    PrefetchText(tail[i].notes);
    PrefetchText(tail[i].outcome);
  }
  for (const std::string& e : customer.emails) PrefetchText(e);

  CardView view;
  view.customer = &customer;
  view.recent_interactions = std::span<const Interaction>(tail, recent);
  view.contacts = scratch.contacts;
  view.open_complaints = scratch.complaints;
  view.open_opportunities = scratch.opportunities;
  view.active_contracts = scratch.contracts;
  view.due_tasks = scratch.tasks;
  view.related = scratch.related;
  view.value = value;
  view.interaction_count = interactions.size();
  view.transaction_count = node->transactions.size();
  if (!interactions.empty()) view.last_interaction_at = interactions.back().time;
  if (!node->transactions.empty()) view.last_transaction_at = node->transactions.back().time;
  visit(view);
  return Status::Ok();
}

Result<HistoryPage> Store::History(const HistoryQuery& q) const {
  const CustomerNode* node = Node(q.customer);
  if (node == nullptr) {
    return Status::NotFound("no customer has id " + std::to_string(q.customer), "customer");
  }
  if (q.limit == 0 || q.limit > 10000) {
    return Status::InvalidArgument("limit must be between 1 and 10000", "limit");
  }
  if (q.channel_mask >= (1u << kChannelCount)) {
    return Status::InvalidArgument("channel_mask has bits for unknown channels", "channel_mask");
  }
  if (q.from != 0 && q.to != 0 && q.from >= q.to) {
    return Status::InvalidArgument("from must be before to", "from");
  }
  // Everything returned is strictly below `bound` in (time, kind, id) order.
  HistoryKey bound{INT64_MAX, UINT8_MAX, UINT64_MAX};
  if (!q.cursor.empty() && !DecodeCursor(q.cursor, &bound)) {
    return Status::InvalidArgument("cursor is malformed: pass back next_cursor unchanged",
                                   "cursor");
  }
  if (q.to != 0) bound = std::min(bound, HistoryKey{q.to, 0, 0});

  auto start = [&](const auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    auto it = std::partition_point(list.begin(), list.end(),
                                   [&](const T& e) { return KeyOf(e) < bound; });
    return static_cast<size_t>(it - list.begin());
  };
  const auto& interactions = node->interactions;
  const auto& transactions = node->transactions;
  // i and t count the not-yet-visited entries below the bound, walking down.
  size_t i = q.interactions ? start(interactions) : 0;
  size_t t = q.transactions ? start(transactions) : 0;
  HistoryPage page;
  page.entries.reserve(std::min<size_t>(q.limit, i + t));
  auto too_old = [&](Micros time) { return q.from != 0 && time < q.from; };
  if (i > 0 && too_old(interactions[i - 1].time)) i = 0;
  if (t > 0 && too_old(transactions[t - 1].time)) t = 0;
  while (i + t > 0) {
    bool take_interaction =
        t == 0 || (i > 0 && KeyOf(transactions[t - 1]) < KeyOf(interactions[i - 1]));
    if (take_interaction && q.channel_mask != 0 &&
        !(q.channel_mask & (1u << static_cast<unsigned>(interactions[i - 1].channel)))) {
      // Filtered out before the page-full check, so that a cursor is handed
      // out only when something older matches.
      --i;
      if (i > 0 && too_old(interactions[i - 1].time)) i = 0;
      continue;
    }
    if (page.entries.size() == q.limit) {
      // Full, and something older remains: the cursor is the last key returned.
      const HistoryEntry& last = page.entries.back();
      page.next_cursor = EncodeCursor(last.kind == EntityKind::kInteraction
                                          ? KeyOf(last.interaction)
                                          : KeyOf(last.transaction));
      break;
    }
    if (take_interaction) {
      const Interaction& e = interactions[--i];
      if (i > 0 && too_old(interactions[i - 1].time)) i = 0;
      HistoryEntry& out = page.entries.emplace_back();
      out.kind = EntityKind::kInteraction;
      out.interaction = e;
    } else {
      const Transaction& e = transactions[--t];
      if (t > 0 && too_old(transactions[t - 1].time)) t = 0;
      HistoryEntry& out = page.entries.emplace_back();
      out.kind = EntityKind::kTransaction;
      out.transaction = e;
    }
  }
  return page;
}

template <typename T>
std::vector<T> Store::ListChildren(Id customer) const {
  std::vector<T> out;
  const CustomerNode* node = Node(customer);
  if (node == nullptr) return out;
  for (Id id : ChildTraits<T>::List(*node)) out.push_back(*Find<T>(id));
  return out;
}

template std::vector<Contact> Store::ListChildren<Contact>(Id) const;
template std::vector<Opportunity> Store::ListChildren<Opportunity>(Id) const;
template std::vector<Contract> Store::ListChildren<Contract>(Id) const;
template std::vector<Task> Store::ListChildren<Task>(Id) const;

std::vector<User> Store::ListUsers() const {
  std::vector<User> out;
  for (Id id = 1; id < users_.end_id(); ++id) {
    if (const User* u = Find<User>(id)) out.push_back(*u);
  }
  return out;
}

}  // namespace crm::engine::internal
