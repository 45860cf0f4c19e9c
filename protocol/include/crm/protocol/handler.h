// Handler: turns one request frame into one response frame. It knows no
// sockets (the server reads and writes frames; the embedded client calls it
// directly), so every rule of the protocol is testable without a network.
//
// Thread-safety: Handle() may be called from many threads at once, each with
// its own Session. A Session belongs to one connection and is touched only by
// the Handle() calls of that connection, one at a time.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>

#include <cstdint>
#include <functional>

#include "crm/engine/engine.h"
#include "crm/protocol/framing.h"

namespace crm::protocol {

// What a connection knows about its peer.
struct Session {
  bool authenticated = false;
  engine::User user;  // valid once authenticated
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

 private:
  engine::Engine& engine_;
  Limits limits_;
};

}  // namespace crm::protocol
