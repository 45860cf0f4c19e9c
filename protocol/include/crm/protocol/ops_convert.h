// Wire conversions of the operations requests: audit queries, handover,
// stats and lead conversion. Same conventions as convert.h: FromWire accepts untrusted readers.
#pragma once

#include "crm.capnp.h"
#include "crm/engine/engine.h"
#include "crm/protocol/sales.h"
#include "crm/protocol/stats.h"

namespace crm::protocol {

void ToWire(const engine::AuditQuery& query, wire::Request::AuditLog::Builder out);
engine::Status FromWire(wire::Request::AuditLog::Reader in, engine::AuditQuery* out);

void ToWire(const engine::HandoverSpec& spec, wire::Handover::Builder out);
engine::HandoverSpec FromWire(wire::Handover::Reader in);
void ToWire(const engine::HandoverResult& result, wire::HandoverResult::Builder out);
engine::HandoverResult FromWire(wire::HandoverResult::Reader in);

void ToWire(const StatsSnapshot& stats, wire::Stats::Builder out);
StatsSnapshot FromWire(wire::Stats::Reader in);

// The opportunity and task travel as records (engine/codec.h); a bad one is
// InvalidArgument naming the field ("opportunity.stage").
void ToWire(const ConvertLeadRequest& request, wire::ConvertLead::Builder out);
engine::Status FromWire(wire::ConvertLead::Reader in, ConvertLeadRequest* out);
void ToWire(const ConvertedLead& converted, wire::Converted::Builder out);
ConvertedLead FromWire(wire::Converted::Reader in);

}  // namespace crm::protocol
