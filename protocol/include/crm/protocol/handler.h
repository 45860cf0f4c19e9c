// Handler: turns one request frame into one response frame. It knows no
// sockets (the server reads and writes frames; the embedded client calls it
// directly), so every rule of the protocol is testable without a network.
// Each operation (its request arm, stats name, role rule and handler
// function) is described once, in protocol/ops/; the handler authenticates
// the session, finds the operation by the request's arm and counts it.
//
// Thread-safety: Handle() may be called from many threads at once, each with
// its own Session. A Session belongs to one connection and is touched only by
// the Handle() calls of that connection, one at a time.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

#include "crm/engine/engine.h"
#include "crm/engine/thread_annotations.h"
#include "crm/protocol/framing.h"
#include "crm/protocol/stats.h"

namespace crm::protocol {

namespace internal {
class OperationTable;
}  // namespace internal

// What a connection knows about its peer.
struct Session {
  bool authenticated = false;
  engine::User user;  // valid once authenticated
  // Engine::UserGeneration() when `user` was last read: when it moves, the
  // user is read again before the next request, and a deactivated user (or
  // one whose token changed) is refused and the connection closed.
  uint64_t user_generation = 0;
  std::string token_hash;
};

// Receives the response to one request: a whole frame (segment table and
// segments, ready to write to the socket), and whether the connection must be
// closed once it is sent (failed hello, unreadable request).
using Reply = std::function<void(kj::Array<capnp::word> frame, bool close)>;

class Handler {
 public:
  Handler(engine::Engine& engine, Limits limits = {});

  // Handles one request. `frame` is one whole framed message whose segment
  // table has passed ParseFrameHeader(); it is read only during the call
  // (the server hands frames over in place, from its read buffer). Calls `reply` exactly once: before
  // returning for reads and refusals, or later, from the engine's writer
  // thread, for writes (after their commit). A request before a successful
  // hello, a wrong protocol version, a bad token, a malformed message, an
  // unknown operation or a bad field each get an error response with the
  // matching code; the first four also close the connection. setScoring
  // blocks the calling thread until the engine has rescored every customer
  // (a rare admin action); reports with an as-of time recompute their
  // windows on the calling thread (O(records)).
  void Handle(Session& session, kj::ArrayPtr<const capnp::word> frame, Reply reply);

  // What the `stats` request and the metrics endpoint report.
  // refresh_store_memory: recompute the store's accounted memory if the
  // figure is older than a minute (O(records) under the store's shared
  // lock); false reports the last figure, never walking the store.
  StatsSnapshot Stats(bool refresh_store_memory) CRM_EXCLUDES(memory_mu_);
  RequestStats& request_stats() { return request_stats_; }
  // Where Stats() finds the open and total connection counts (the server
  // sets it; without it both are 0). Call before the first request.
  void SetConnectionCounts(std::function<std::pair<uint64_t, uint64_t>()> counts) {
    connection_counts_ = std::move(counts);
  }

 private:
  engine::Engine& engine_;
  Limits limits_;
  const internal::OperationTable& operations_;  // every operation, by request arm
  RequestStats request_stats_;                  // one slot per operation, and "other"
  std::function<std::pair<uint64_t, uint64_t>()> connection_counts_;
  Mutex memory_mu_;
  uint64_t store_bytes_ CRM_GUARDED_BY(memory_mu_) = 0;
  std::chrono::steady_clock::time_point store_bytes_time_ CRM_GUARDED_BY(memory_mu_);
  bool store_bytes_known_ CRM_GUARDED_BY(memory_mu_) = false;
};

}  // namespace crm::protocol
