// Server: the TCP front of the engine. Boost.Asio drives the sockets; every
// request frame goes to a FrameHandler (crm::protocol::Handler in production).
//
// Per connection, one coroutine owns the socket and reads frames: the first
// word gives the segment table's size (TableBytes), the table is checked
// (ParseFrameHeader) before the body is read into a word-aligned buffer and
// handed to the handler. Clients may pipeline: each request takes a slot in
// the connection's sequence and responses are written strictly in request
// order, whichever thread (an io thread for reads, the engine's writer for
// writes) produced them. Backpressure: the connection stops reading while it
// has max_in_flight requests unanswered or unwritten, or more than
// max_outbound_bytes of responses waiting for the socket, so a peer that
// never reads costs bounded memory. A frame whose table fails the limits gets
// an error response (id 0, invalid_argument) and the connection is closed; a
// response with close = true is written and then the connection is closed.
// Other connections are never affected.
//
// Thread-safety: Start(), Stop() and Wait() may be called from any thread
// except the server's own io threads (Stop() and Wait() block). stats() may be
// called from any thread at any time. The handler runs on io threads, at most
// one call at a time per connection; its replies may come from any thread.
// Lifetime: the server must be destroyed (or stopped) before the engine its
// handler uses; the destructor calls Stop().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/protocol/framing.h"
#include "crm/protocol/handler.h"

namespace crm::protocol {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port; Start() returns the bound one
  unsigned io_threads = 2;
  Limits limits;
  // Requests read but not yet written back, per connection.
  size_t max_in_flight = 256;
  // Response bytes waiting for the socket, per connection, above which the
  // connection stops reading. The queue can exceed it by the responses to the
  // requests already in flight, never more.
  size_t max_outbound_bytes = size_t{8} << 20;
  // Stop(): how long connections get to finish their requests and write the
  // responses before their sockets are closed regardless.
  std::chrono::milliseconds stop_timeout{10000};
  // Connections open at once; one more gets an Unavailable error and is closed.
  size_t max_connections = 4096;
  // Once a frame has begun, the rest must arrive within this long or the
  // connection is closed: a peer trickling bytes cannot hold a connection
  // (and its read buffer) open.
  std::chrono::milliseconds frame_timeout{30000};
  // A connection with nothing in flight that sends nothing for this long is
  // closed; 0 = never (the default: screens keep idle connections open).
  std::chrono::milliseconds idle_timeout{0};
  // > 0: each io thread keeps polling for this long after its last event
  // before it sleeps, so a request arriving meanwhile needs no wake-up of a
  // sleeping thread (on a VM, an inter-processor interrupt). Lower latency
  // for CPU time; 0 (the default) never spins.
  std::chrono::microseconds busy_poll{0};
};

// Counters since Start(); a consistent-enough snapshot for tests and logs.
struct ServerStats {
  uint64_t connections = 0;        // open now
  uint64_t connections_total = 0;  // accepted since Start()
  uint64_t requests = 0;           // frames handed to the handler
  uint64_t refused_frames = 0;     // frames refused by the limits
  uint64_t queued_bytes = 0;       // response bytes waiting for sockets now
  uint64_t queued_bytes_max = 0;   // the most one connection ever had waiting
};

// Handles one request frame (a whole frame that passed ParseFrameHeader(),
// valid only during the call) for the connection owning `session`, and calls
// `reply` exactly once, now or later, from any thread.
using FrameHandler =
    std::function<void(Session& session, kj::ArrayPtr<const capnp::word> frame, Reply reply)>;

// Writes "2026-01-02T03:04:05.678Z <line>\n" to stderr in one write.
void LogLine(std::string_view line);

// A wire::Response frame with id 0 and an error of `code` and `message`:
// what a peer gets for a frame that could not be read.
kj::Array<capnp::word> ErrorFrame(engine::Code code, std::string_view message);

class Server {
 public:
  // Serves `engine` through a crm::protocol::Handler with options.limits.
  Server(engine::Engine& engine, ServerOptions options);
  // Serves through `handler` (tests inject their own).
  Server(FrameHandler handler, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the io threads. Returns the bound port, or
  // Unavailable / InvalidArgument if the address cannot be bound. Once only.
  engine::Result<uint16_t> Start();

  // Graceful shutdown: stops accepting, stops reading new requests, lets the
  // requests in flight finish and their responses be written (up to
  // stop_timeout), closes every connection, stops the io threads. Blocks until
  // done. Idempotent; a no-op before Start().
  void Stop();

  // Blocks until Stop() has finished (on any thread).
  void Wait();

  ServerStats stats() const;

  // The handler this server made (the engine constructor), for its Stats();
  // nullptr when it serves through an injected FrameHandler.
  Handler* handler() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crm::protocol
