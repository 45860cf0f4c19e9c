// The sales-flow requests and answers as plain C++ types, shared by the
// handler, the client library and the tools. No Cap'n Proto here: their
// conversions to and from the wire are in crm/protocol/ops_convert.h.
#pragma once

#include <cstdint>
#include <optional>

#include "crm/engine/model.h"

namespace crm::protocol {

// A lead to turn into an active customer (convertLead), with optionally its
// first opportunity and a first follow-up task, in one atomic write.
struct ConvertLeadRequest {
  engine::Id customer = 0;
  // 0 = any; else the customer's revision must match (Conflict otherwise).
  uint64_t revision = 0;
  // Created when set (id 0). Its customer becomes `customer`; an unset owner
  // becomes the customer's owner.
  std::optional<engine::Opportunity> opportunity;
  // Created when set (id 0). Its customer becomes `customer`; an unset
  // assignee becomes the customer's owner, or the caller for a customer
  // without one.
  std::optional<engine::Task> task;
};

// What a conversion made: the customer and the records created (0: none).
struct ConvertedLead {
  engine::Id customer = 0;
  engine::Id opportunity = 0;
  engine::Id task = 0;
  friend bool operator==(const ConvertedLead&, const ConvertedLead&) = default;
};

}  // namespace crm::protocol
