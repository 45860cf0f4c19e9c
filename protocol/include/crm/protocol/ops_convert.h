// Wire conversions of the operations requests: audit queries, handover and
// stats. Same conventions as convert.h: FromWire accepts untrusted readers.
#pragma once

#include "crm.capnp.h"
#include "crm/engine/engine.h"
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

}  // namespace crm::protocol
