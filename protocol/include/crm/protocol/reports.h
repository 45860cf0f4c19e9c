// The scoring state and the report queries and answers as plain C++ types:
// what the scoring and report requests carry, shared by the handler, the
// client library and the tools. No Cap'n Proto here: their conversions to
// and from the wire are in crm/protocol/convert.h.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "crm/engine/value.h"

namespace crm::protocol {

// What the scoring request answers: the config in force, every stored
// version (oldest first) and the cut-offs of the moment.
struct ScoringState {
  engine::ScoringConfig config;
  std::vector<engine::ScoringConfig> history;
  engine::Cutoffs cutoffs;
};

// The queries of the reports that take no engine query struct.
struct PipelineQuery {};
struct ContractQuery {
  uint32_t expiring_days = 30;
  engine::Micros as_of = 0;
};
struct SatisfactionQuery {
  engine::Micros as_of = 0;
};
struct OwnerKpiQuery {
  engine::Micros as_of = 0;
};

// One report request, and its answer (the same alternative index).
using ReportQuery = std::variant<engine::ParetoQuery, engine::TierQuery, engine::GroupQuery,
                                 PipelineQuery, ContractQuery, engine::ChurnQuery,
                                 SatisfactionQuery, engine::ConversionQuery, OwnerKpiQuery>;
using Report = std::variant<engine::ParetoReport, engine::TierReport, engine::GroupReport,
                            engine::PipelineReport, engine::ContractReport, engine::ChurnReport,
                            engine::SatisfactionReport, engine::ConversionReport,
                            engine::OwnerKpiReport>;

}  // namespace crm::protocol
