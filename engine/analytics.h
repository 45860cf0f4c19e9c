// The reports of value.h, computed from the store and a value model.
//
// Each is a pass over every customer (and its opportunities, contracts or
// tasks where the report needs them): O(customers + those records). Callers
// hold the engine's shared lock.
#pragma once

#include <cstdint>
#include <vector>

#include "crm/engine/value.h"
#include "store.h"
#include "value_model.h"

namespace crm::engine::internal {

ParetoReport BuildPareto(const ValueModel& model, const ParetoQuery& query);
TierReport BuildTiers(const ValueModel& model);
// Fills the movements from `baseline` (tiers by id, as stored) to now.
void AddMovements(const ValueModel& model, const std::vector<uint8_t>& baseline,
                  Micros baseline_at, TierReport* report);
GroupReport BuildGroup(const Store& store, const ValueModel& model, Dimension dimension);
PipelineReport BuildPipeline(const Store& store);
ContractReport BuildContracts(const Store& store, uint32_t expiring_days, Micros as_of);
ChurnReport BuildChurn(const Store& store, const ValueModel& model, const ChurnQuery& query);
SatisfactionReport BuildSatisfaction(const Store& store, const ValueModel& model);
ConversionReport BuildConversion(const Store& store, bool by_campaign);
OwnerKpiReport BuildOwnerKpis(const Store& store, const ValueModel& model);

}  // namespace crm::engine::internal
