#include "crm/protocol/handler.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <chrono>
#include <string>
#include <utility>

#include "crm.capnp.h"
#include "ops/operation.h"
#include "ops/session.h"

namespace crm::protocol {

namespace {

using Clock = std::chrono::steady_clock;
using engine::Status;
using internal::Call;
using internal::Frame;
using internal::IsErrorResponse;
using internal::Operation;
using internal::OperationTable;

// Answers one parsed request. Exactly one of: returns a frame to send now
// (with `*close` set), or returns an empty frame after the operation handed
// the reply to the engine (a write, a denial being audited, a handover),
// which calls it after its commit.
Frame Dispatch(Call& call, const Operation* op, wire::Request::Reader request, bool* close) {
  *close = false;
  if (!call.session().authenticated) return internal::Authenticate(call, request, close);
  if (Frame refused = internal::Recheck(call, close); refused != nullptr) return refused;
  if (op == nullptr) return call.Error(Status::InvalidArgument("unknown operation"));
  if (!op->rule.Allows(call.user().role)) {
    return call.Deny(call.access().Role(false, op->rule.permission, op->rule.requirement));
  }
  return op->run(call, request);
}

}  // namespace

Handler::Handler(engine::Engine& engine, Limits limits)
    : engine_(engine),
      limits_(limits),
      operations_(OperationTable::Get()),
      request_stats_(operations_.SlotNames()) {}

StatsSnapshot Handler::Stats(bool refresh_store_memory) {
  StatsSnapshot s;
  s.uptime_micros = request_stats_.UptimeMicros();
  if (connection_counts_) std::tie(s.connections, s.connections_total) = connection_counts_();
  s.counts = engine_.Counts();
  s.resident_bytes = ResidentBytes();
  {
    MutexLock lock(memory_mu_);
    const auto now = Clock::now();
    if (refresh_store_memory &&
        (!store_bytes_known_ || now - store_bytes_time_ >= std::chrono::minutes(1))) {
      store_bytes_ = engine_.Memory().total();
      store_bytes_time_ = now;
      store_bytes_known_ = true;
    }
    if (store_bytes_known_) {
      s.store_bytes = store_bytes_;
      s.store_bytes_age_micros =
          std::chrono::duration_cast<std::chrono::microseconds>(now - store_bytes_time_).count();
    }
  }
  s.storage = engine_.Storage();
  s.writer = engine_.Writer();
  s.ops = request_stats_.Snapshot();
  return s;
}

void Handler::Handle(Session& session, kj::ArrayPtr<const capnp::word> frame, Reply reply) {
  const Clock::time_point start = Clock::now();
  uint64_t id = 0;
  size_t slot = operations_.OtherSlot();
  Frame response;
  bool close = false;
  // Once an operation holds `reply`, it alone answers, whatever happens after.
  bool handed_off = false;
  try {
    capnp::FlatArrayMessageReader reader(frame, ReaderOptionsFor(frame.size(), limits_));
    wire::Request::Reader request = reader.getRoot<wire::Request>();
    id = request.getId();
    const wire::Request::Which arm = request.which();
    slot = operations_.SlotOf(arm);
    Call call(engine_, *this, session, id, slot, start, reply, &handed_off);
    response = Dispatch(call, operations_.Find(arm), request, &close);
  } catch (const kj::Exception& e) {
    if (handed_off) return;
    response = internal::ErrorFrame(
        id, Status::InvalidArgument("malformed request: " + std::string(e.getDescription().cStr())));
    close = true;
  }
  if (handed_off) return;
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
  request_stats_.Record(slot, static_cast<uint64_t>(nanos.count()), IsErrorResponse(response));
  reply(kj::mv(response), close);
}

}  // namespace crm::protocol
