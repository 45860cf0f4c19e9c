// The audit log as the Engine is asked for it: a filtered query
// (AuditQuery), one page of its answer (AuditPage), and a refused request to
// record (Denial). The entry itself, AuditEntry, is in model.h.
//
// Contract: plain data. Pages are keyed by audit sequence, which only grows:
// a cursor stays valid across writes and restarts of the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crm/engine/model.h"

namespace crm::engine {

// What the audit log is asked for. Filters combine (AND); entries come oldest
// first, from the sequence after `after`.
struct AuditQuery {
  // Only the entries of this record (record = 0: any record).
  EntityKind entity = EntityKind::kCustomer;
  Id record = 0;
  // Only the entries of this user (0 is the system itself).
  std::optional<Id> user;
  Micros from = 0;       // inclusive; 0 = no lower bound
  Micros to = 0;         // exclusive; 0 = no upper bound
  uint64_t after = 0;    // cursor: the next_cursor of the previous page
  uint32_t limit = 100;  // 1..10000
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  // Pass back as AuditQuery::after for the next page; 0 = nothing more.
  uint64_t next_cursor = 0;
};

// A refused request, for the audit log.
struct Denial {
  EntityKind entity = EntityKind::kCustomer;
  Id record = 0;  // 0: the request named no record
  std::string permission;
  std::string message;
};

}  // namespace crm::engine
