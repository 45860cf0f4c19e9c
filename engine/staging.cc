#include "staging.h"

#include <algorithm>

namespace crm::engine::internal {
namespace {

const std::vector<std::string>* PhonesOf(const Record& r) {
  if (auto* c = std::get_if<Customer>(&r)) return &c->phones;
  if (auto* c = std::get_if<Contact>(&r)) return &c->phones;
  return nullptr;
}

const std::vector<std::string>* EmailsOf(const Record& r) {
  if (auto* c = std::get_if<Customer>(&r)) return &c->emails;
  if (auto* c = std::get_if<Contact>(&r)) return &c->emails;
  return nullptr;
}

KeyOwner OwnerOf(const Record& r) {
  if (auto* c = std::get_if<Customer>(&r)) return {c->id, 0};
  if (auto* c = std::get_if<Contact>(&r)) return {c->customer, c->id};
  return {};
}

}  // namespace

KeyOwner Staging::PhoneOwner(const std::string& e164) const {
  auto it = keys_.find("p" + e164);
  return it != keys_.end() ? it->second : store_.PhoneOwner(e164);
}

KeyOwner Staging::EmailOwner(const std::string& email) const {
  auto it = keys_.find("e" + email);
  return it != keys_.end() ? it->second : store_.EmailOwner(email);
}

Id Staging::ExternalRefOwner(const std::string& ref) const {
  auto it = keys_.find("r" + ref);
  return it != keys_.end() ? it->second.customer : store_.ExternalRefOwner(ref);
}

template <typename T>
std::vector<Id> Staging::Children(Id customer) const {
  std::vector<Id> ids;
  if (const CustomerNode* node = store_.Node(customer)) {
    if constexpr (std::is_same_v<T, Interaction>) {
      for (const auto& i : node->interactions) ids.push_back(i.id);
    } else if constexpr (std::is_same_v<T, Transaction>) {
      for (const auto& t : node->transactions) ids.push_back(t.id);
    } else if constexpr (std::is_same_v<T, Contact>) {
      ids = node->contacts;
    } else if constexpr (std::is_same_v<T, Opportunity>) {
      ids = node->opportunities;
    } else if constexpr (std::is_same_v<T, Contract>) {
      ids = node->contracts;
    } else {
      ids = node->tasks;
    }
  }
  for (const auto& [key, record] : records_) {
    if (static_cast<EntityKind>(key >> 56) == EntityOf<T>) ids.push_back(key & ((uint64_t{1} << 56) - 1));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::erase_if(ids, [&](Id id) {
    const T* current = Find<T>(id);
    return current == nullptr || current->customer != customer;
  });
  return ids;
}

template std::vector<Id> Staging::Children<Contact>(Id) const;
template std::vector<Id> Staging::Children<Interaction>(Id) const;
template std::vector<Id> Staging::Children<Transaction>(Id) const;
template std::vector<Id> Staging::Children<Opportunity>(Id) const;
template std::vector<Id> Staging::Children<Contract>(Id) const;
template std::vector<Id> Staging::Children<Task>(Id) const;

std::vector<Id> Staging::Referrers(Id customer) const {
  std::vector<Id> ids;
  if (const CustomerNode* node = store_.Node(customer)) {
    for (const Relation& r : node->incoming) ids.push_back(r.customer);
  }
  for (const auto& [key, record] : records_) {
    if (static_cast<EntityKind>(key >> 56) == EntityKind::kCustomer) {
      ids.push_back(key & ((uint64_t{1} << 56) - 1));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::erase_if(ids, [&](Id id) {
    const Customer* c = Find<Customer>(id);
    if (c == nullptr) return true;
    return std::none_of(c->relations.begin(), c->relations.end(),
                        [&](const Relation& r) { return r.customer == customer; });
  });
  return ids;
}

void Staging::SetRecord(uint64_t key, std::optional<Record> value) {
  auto it = records_.find(key);
  Undo undo{true, key, {}, it != records_.end(), std::nullopt, {}};
  if (it != records_.end()) {
    undo.record = std::move(it->second);
    it->second = std::move(value);
  } else {
    records_.emplace(key, std::move(value));
  }
  undo_.push_back(std::move(undo));
}

void Staging::SetKey(std::string key, KeyOwner owner) {
  auto it = keys_.find(key);
  Undo undo{false, 0, key, it != keys_.end(), std::nullopt, {}};
  if (it != keys_.end()) {
    undo.owner = it->second;
    it->second = owner;
  } else {
    keys_.emplace(std::move(key), owner);
  }
  undo_.push_back(std::move(undo));
}

void Staging::ClaimKeys(const Record& record, bool claim) {
  KeyOwner owner = claim ? OwnerOf(record) : KeyOwner{};
  if (const auto* phones = PhonesOf(record)) {
    for (const auto& p : *phones) SetKey("p" + p, owner);
  }
  if (const auto* emails = EmailsOf(record)) {
    for (const auto& e : *emails) SetKey("e" + e, owner);
  }
  if (const auto* c = std::get_if<Customer>(&record); c && !c->external_ref.empty()) {
    SetKey("r" + c->external_ref, owner);
  }
}

void Staging::Put(const Record& record, const Record* old) {
  if (old != nullptr) ClaimKeys(*old, false);
  ClaimKeys(record, true);
  SetRecord(RecordKey(KindOf(record), IdOf(record)), record);
}

void Staging::Remove(const Record& old) {
  ClaimKeys(old, false);
  SetRecord(RecordKey(KindOf(old), IdOf(old)), std::nullopt);
}

void Staging::RollbackTo(size_t mark) {
  while (undo_.size() > mark) {
    Undo& u = undo_.back();
    if (u.is_record) {
      if (u.existed) {
        records_[u.record_key] = std::move(u.record);
      } else {
        records_.erase(u.record_key);
      }
    } else {
      if (u.existed) {
        keys_[u.text_key] = u.owner;
      } else {
        keys_.erase(u.text_key);
      }
    }
    undo_.pop_back();
  }
}

}  // namespace crm::engine::internal
