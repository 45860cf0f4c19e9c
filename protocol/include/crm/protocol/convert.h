// Conversions between the wire structs of crm.capnp and engine types, used
// by the handler (server side) and the client library alike, so both ends
// agree field for field. Records themselves go through crm/engine/codec.h.
//
// FromWire functions accept untrusted readers: they range-check enums and
// return InvalidArgument naming the field; malformed pointers make the Cap'n
// Proto getters throw kj::Exception, which the caller's boundary catches.
#pragma once

#include <variant>
#include <vector>

#include "crm.capnp.h"
#include "crm/engine/engine.h"
#include "crm/engine/value.h"
#include "crm/protocol/reports.h"

namespace crm::protocol {

void ToWire(const engine::Status& status, wire::Error::Builder out);
engine::Status FromWire(wire::Error::Reader in);

void ToWire(const engine::Record& record, wire::Record::Builder out);
engine::Status FromWire(wire::Record::Reader in, engine::Record* out);

void ToWire(const engine::CardKey& key, wire::CardKey::Builder out);
engine::Status FromWire(wire::CardKey::Reader in, engine::CardKey* out);
void ToWire(const engine::CardOptions& options, wire::CardOptions::Builder out);
engine::Status FromWire(wire::CardOptions::Reader in, engine::CardOptions* out);

// The card straight from the store's view: the server's path, no copy.
void ToWire(const engine::CardView& card, wire::Card::Builder out);
void ToWire(const engine::CustomerCard& card, wire::Card::Builder out);
engine::Status FromWire(wire::Card::Reader in, engine::CustomerCard* out);

void ToWire(const engine::HistoryQuery& query, wire::HistoryQuery::Builder out);
engine::Status FromWire(wire::HistoryQuery::Reader in, engine::HistoryQuery* out);
void ToWire(const engine::HistoryPage& page, wire::HistoryPage::Builder out);
engine::Status FromWire(wire::HistoryPage::Reader in, engine::HistoryPage* out);

void ToWire(const engine::WriteOp& op, wire::WriteOp::Builder out);
engine::Status FromWire(wire::WriteOp::Reader in, engine::WriteOp* out);
void ToWire(const engine::WriteResult& result, wire::WriteResult::Builder out);
engine::Status FromWire(wire::WriteResult::Reader in, engine::WriteResult* out);

void ToWire(const engine::StoreCounts& counts, wire::Counts::Builder out);
engine::StoreCounts FromWire(wire::Counts::Reader in);

// ---- Value, tiers and reports.

// Tier and value class travel as their names, factors by name: an unknown
// name is InvalidArgument naming the field ("tier", "factors[3].factor").
// Factors the peer did not send stay zero.
void ToWire(const engine::ValueSummary& value, wire::ValueSummary::Builder out);
engine::Status FromWire(wire::ValueSummary::Reader in, engine::ValueSummary* out);

void ToWire(const engine::Cutoffs& cutoffs, wire::Cutoffs::Builder out);
engine::Cutoffs FromWire(wire::Cutoffs::Reader in);

void ToWire(const ScoringState& state, wire::ScoringState::Builder out);
engine::Status FromWire(wire::ScoringState::Reader in, ScoringState* out);

// The metric's wire name: "current_value", "revenue", "profit"; Parse
// accepts "" as current_value.
std::string_view Name(engine::ParetoQuery::Metric metric);
bool Parse(std::string_view name, engine::ParetoQuery::Metric* out);

// Unknown metric or dimension names are InvalidArgument naming the field
// under the report's name ("pareto.metric", "group.dimension"). Ranges
// (points, limit, ...) are the engine's to check.
void ToWire(const ReportQuery& query, wire::ReportQuery::Builder out);
engine::Status FromWire(wire::ReportQuery::Reader in, ReportQuery* out);

// Stage, contract status and tier names out of range are InvalidArgument
// naming the field ("pipeline.stages[2].stage").
void ToWire(const Report& report, wire::Report::Builder out);
engine::Status FromWire(wire::Report::Reader in, Report* out);
void ToWire(const engine::BackupInfo& info, wire::BackupInfo::Builder out);
engine::BackupInfo FromWire(wire::BackupInfo::Reader in);

}  // namespace crm::protocol
