// Rendering of the value model's config and reports for people (aligned
// text tables, an ASCII chart, an SVG file) and machines (JSON). Used by
// crmctl. Money (minor units) is shown as units with two decimals.
#pragma once

#include <string>
#include <vector>

#include "crm/engine/value.h"
#include "crm/protocol/convert.h"

namespace crm::tools {

// The config in force, its cut-offs and, when given (reports are for admins
// and managers), the customers per tier.
std::string ScoringToText(const protocol::ScoringState& state, const engine::TierReport* tiers);
std::string ScoringToJson(const protocol::ScoringState& state, const engine::TierReport* tiers);
std::string ScoringHistoryToText(const std::vector<engine::ScoringConfig>& history);
std::string ScoringHistoryToJson(const std::vector<engine::ScoringConfig>& history);

// `metric` labels the report (and says whether the total is money).
std::string ParetoToText(const engine::ParetoReport& r, engine::ParetoQuery::Metric metric);
// The curve on a character grid: customers share across, value share up,
// the 80% line dashed.
std::string ParetoChart(const engine::ParetoReport& r, int width = 60, int height = 20);
// A standalone SVG document: axes with ticks and labels, the curve, the
// diagonal of an even spread, the 80% line and where the curve crosses it.
std::string ParetoSvg(const engine::ParetoReport& r, engine::ParetoQuery::Metric metric);

std::string TiersToText(const engine::TierReport& r);
std::string GroupToText(const engine::GroupReport& r);
std::string PipelineToText(const engine::PipelineReport& r);
std::string ContractsToText(const engine::ContractReport& r);
std::string ChurnToText(const engine::ChurnReport& r);
std::string SatisfactionToText(const engine::SatisfactionReport& r);
std::string ConversionToText(const engine::ConversionReport& r);
std::string OwnerKpisToText(const engine::OwnerKpiReport& r);

// Any report as one JSON object.
std::string ReportToJson(const protocol::Report& report);

}  // namespace crm::tools
