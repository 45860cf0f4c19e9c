// Reads of one customer: how a card is asked for (CardKey, CardOptions), the
// card copied out (CustomerCard) or viewed in place (CardView), and a page of
// the customer's history (HistoryQuery, HistoryEntry, HistoryPage).
//
// Contract: plain data, except CardView, which points into the engine's store
// and is valid only inside the Engine::VisitCard callback that received it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "crm/engine/model.h"
#include "crm/engine/value.h"

namespace crm::engine {

// How a customer is looked up for a card.
struct CardKey {
  enum class By : uint8_t { kId, kPhone, kEmail, kExternalRef };
  By by = By::kId;
  Id id = 0;
  std::string text;  // phone (any format), email, or external ref
  static CardKey ById(Id id) { return {By::kId, id, {}}; }
  static CardKey ByPhone(std::string phone) { return {By::kPhone, 0, std::move(phone)}; }
  static CardKey ByEmail(std::string email) { return {By::kEmail, 0, std::move(email)}; }
  static CardKey ByExternalRef(std::string ref) { return {By::kExternalRef, 0, std::move(ref)}; }
};

struct CardOptions {
  uint32_t recent_interactions = 10;  // at most 1000
  uint32_t due_tasks = 20;            // open tasks by due time, at most 1000
};

struct RelatedCustomer {
  Id id = 0;
  std::string name;
  RelationKind kind = RelationKind::kRelated;
  bool incoming = false;  // true: the edge is stored on the other customer
};

// Everything a screen shows for one customer, in one call.
struct CustomerCard {
  Customer customer;
  std::vector<Contact> contacts;
  ValueSummary value;
  std::vector<Interaction> recent_interactions;  // newest first
  std::vector<Opportunity> open_opportunities;   // stage not won/lost
  std::vector<Contract> active_contracts;        // status draft or active
  std::vector<Interaction> open_complaints;      // open or in progress, newest first
  std::vector<Task> due_tasks;                   // not done, earliest due first
  std::vector<RelatedCustomer> related;
  uint64_t interaction_count = 0;
  uint64_t transaction_count = 0;
  Micros last_interaction_at = 0;
  Micros last_transaction_at = 0;
};

// A card by reference: the same content as CustomerCard, pointing into the
// store instead of copying it. Valid only inside the VisitCard callback.
struct CardView {
  const Customer* customer = nullptr;
  // The customer's latest interactions, oldest first: read it from the back.
  std::span<const Interaction> recent_interactions;
  std::span<const Contact* const> contacts;
  std::span<const Interaction* const> open_complaints;  // newest first
  std::span<const Opportunity* const> open_opportunities;
  std::span<const Contract* const> active_contracts;
  std::span<const Task* const> due_tasks;  // earliest due first
  struct Related {
    Id id;
    const std::string* name;
    RelationKind kind;
    bool incoming;
  };
  std::span<const Related> related;
  const ValueSummary* value = nullptr;
  uint64_t interaction_count = 0;
  uint64_t transaction_count = 0;
  Micros last_interaction_at = 0;
  Micros last_transaction_at = 0;
};

// One page of a customer's history: interactions and transactions merged,
// newest first by (time, kind, id) descending: at equal times transactions
// come before interactions, and later ids before earlier ones.
struct HistoryQuery {
  Id customer = 0;
  // Opaque position from the previous page's next_cursor; empty = newest.
  std::string cursor;
  uint32_t limit = 100;  // 1..10000
  bool interactions = true;
  bool transactions = true;
  uint32_t channel_mask = 0;  // bit (1 << Channel); 0 = every channel
  Micros from = 0;            // inclusive; 0 = no lower bound
  Micros to = 0;              // exclusive; 0 = no upper bound
};

struct HistoryEntry {
  EntityKind kind = EntityKind::kInteraction;  // kInteraction or kTransaction
  Interaction interaction;                     // when kind == kInteraction
  Transaction transaction;                     // when kind == kTransaction
};

struct HistoryPage {
  std::vector<HistoryEntry> entries;
  std::string next_cursor;  // empty when there is nothing older
};

}  // namespace crm::engine
