#include "crm/protocol/ops_convert.h"

#include <string>
#include <utility>

#include "convert_internal.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"

namespace crm::protocol {

using internal::ToString;

void ToWire(const engine::AuditQuery& query, wire::Request::AuditLog::Builder out) {
  out.setAfter(query.after);
  out.setLimit(query.limit);
  if (query.record != 0) {
    out.setEntity(static_cast<uint8_t>(query.entity));
    out.setRecord(query.record);
  }
  if (query.user) {
    out.setByUser(true);
    out.setUser(*query.user);
  }
  out.setFrom(query.from);
  out.setTo(query.to);
}

engine::Status FromWire(wire::Request::AuditLog::Reader in, engine::AuditQuery* out) {
  out->after = in.getAfter();
  out->limit = in.getLimit();
  out->record = in.getRecord();
  if (out->record != 0) {
    const uint8_t entity = in.getEntity();
    if (entity < 1 || entity > engine::kEntityKindCount) {
      return engine::Status::InvalidArgument(
          "unknown entity kind " + std::to_string(entity) + " (1 customer .. 8 user)", "entity");
    }
    out->entity = static_cast<engine::EntityKind>(entity);
  }
  if (in.getByUser()) out->user = in.getUser();
  out->from = in.getFrom();
  out->to = in.getTo();
  return engine::Status::Ok();
}

void ToWire(const engine::HandoverSpec& spec, wire::Handover::Builder out) {
  out.setFrom(spec.from);
  out.setTo(spec.to);
  out.setToTeam(spec.to_team);
  out.setDeactivate(spec.deactivate);
  out.setNewTeam(spec.new_team);
}

engine::HandoverSpec FromWire(wire::Handover::Reader in) {
  engine::HandoverSpec spec;
  spec.from = in.getFrom();
  spec.to = in.getTo();
  spec.to_team = ToString(in.getToTeam());
  spec.deactivate = in.getDeactivate();
  spec.new_team = ToString(in.getNewTeam());
  return spec;
}

void ToWire(const engine::HandoverResult& result, wire::HandoverResult::Builder out) {
  out.setCustomers(result.customers);
  out.setOpportunities(result.opportunities);
  out.setContracts(result.contracts);
  out.setTasks(result.tasks);
  auto receivers = out.initReceivers(static_cast<unsigned>(result.receivers.size()));
  for (unsigned i = 0; i < result.receivers.size(); ++i) {
    receivers[i].setUser(result.receivers[i].first);
    receivers[i].setCustomers(result.receivers[i].second);
  }
  out.setDeactivated(result.deactivated);
}

engine::HandoverResult FromWire(wire::HandoverResult::Reader in) {
  engine::HandoverResult result;
  result.customers = in.getCustomers();
  result.opportunities = in.getOpportunities();
  result.contracts = in.getContracts();
  result.tasks = in.getTasks();
  for (auto r : in.getReceivers()) result.receivers.emplace_back(r.getUser(), r.getCustomers());
  result.deactivated = in.getDeactivated();
  return result;
}

void ToWire(const StatsSnapshot& s, wire::Stats::Builder out) {
  out.setUptimeMicros(s.uptime_micros);
  out.setConnections(s.connections);
  out.setConnectionsTotal(s.connections_total);
  ToWire(s.counts, out.initCounts());
  out.setResidentBytes(s.resident_bytes);
  out.setStoreBytes(s.store_bytes);
  out.setStoreBytesAgeMicros(s.store_bytes_age_micros);
  out.setLmdbFileBytes(s.storage.file_bytes);
  out.setLmdbUsedBytes(s.storage.used_bytes);
  out.setLmdbMapBytes(s.storage.map_bytes);
  out.setWriterBatches(s.writer.batches);
  out.setWriterOps(s.writer.ops);
  auto ops = out.initOps(static_cast<unsigned>(s.ops.size()));
  for (unsigned i = 0; i < s.ops.size(); ++i) {
    const OpStats& o = s.ops[i];
    ops[i].setName(o.name);
    ops[i].setRequests(o.requests);
    ops[i].setErrors(o.errors);
    ops[i].setRatePerSecond(o.rate_per_second);
    ops[i].setP50Micros(o.p50_us);
    ops[i].setP90Micros(o.p90_us);
    ops[i].setP99Micros(o.p99_us);
    ops[i].setP999Micros(o.p999_us);
    ops[i].setMaxMicros(o.max_us);
  }
}

StatsSnapshot FromWire(wire::Stats::Reader in) {
  StatsSnapshot s;
  s.uptime_micros = in.getUptimeMicros();
  s.connections = in.getConnections();
  s.connections_total = in.getConnectionsTotal();
  s.counts = FromWire(in.getCounts());
  s.resident_bytes = in.getResidentBytes();
  s.store_bytes = in.getStoreBytes();
  s.store_bytes_age_micros = in.getStoreBytesAgeMicros();
  s.storage.file_bytes = in.getLmdbFileBytes();
  s.storage.used_bytes = in.getLmdbUsedBytes();
  s.storage.map_bytes = in.getLmdbMapBytes();
  s.writer.batches = in.getWriterBatches();
  s.writer.ops = in.getWriterOps();
  for (auto o : in.getOps()) {
    OpStats op;
    op.name = ToString(o.getName());
    op.requests = o.getRequests();
    op.errors = o.getErrors();
    op.rate_per_second = o.getRatePerSecond();
    op.p50_us = o.getP50Micros();
    op.p90_us = o.getP90Micros();
    op.p99_us = o.getP99Micros();
    op.p999_us = o.getP999Micros();
    op.max_us = o.getMaxMicros();
    s.ops.push_back(std::move(op));
  }
  return s;
}

void ToWire(const ConvertLeadRequest& request, wire::ConvertLead::Builder out) {
  out.setCustomer(request.customer);
  out.setRevision(request.revision);
  if (request.opportunity) {
    out.setHasOpportunity(true);
    engine::Encode(*request.opportunity, out.initOpportunity());
  }
  if (request.task) {
    out.setHasTask(true);
    engine::Encode(*request.task, out.initTask());
  }
}

engine::Status FromWire(wire::ConvertLead::Reader in, ConvertLeadRequest* out) {
  out->customer = in.getCustomer();
  out->revision = in.getRevision();
  out->opportunity.reset();
  out->task.reset();
  if (in.getHasOpportunity()) {
    engine::Opportunity opportunity;
    CRM_RETURN_IF_ERROR(engine::Decode(in.getOpportunity(), &opportunity));
    out->opportunity = std::move(opportunity);
  }
  if (in.getHasTask()) {
    engine::Task task;
    CRM_RETURN_IF_ERROR(engine::Decode(in.getTask(), &task));
    out->task = std::move(task);
  }
  return engine::Status::Ok();
}

void ToWire(const ConvertedLead& converted, wire::Converted::Builder out) {
  out.setCustomer(converted.customer);
  out.setOpportunity(converted.opportunity);
  out.setTask(converted.task);
}

ConvertedLead FromWire(wire::Converted::Reader in) {
  return ConvertedLead{in.getCustomer(), in.getOpportunity(), in.getTask()};
}

}  // namespace crm::protocol
