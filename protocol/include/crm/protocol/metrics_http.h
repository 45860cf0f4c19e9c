// MetricsServer: a minimal HTTP/1.1 responder for Prometheus scrapes.
//
// `GET /metrics` is answered 200 with whatever `render` returns, as
// "text/plain; version=0.0.4"; `HEAD /metrics` with the headers alone; any
// other path 404, any other method 405, a request line that cannot be read
// 400, a request head over max_request_bytes 431. One request per
// connection (Connection: close). A connection that has not sent its whole
// request head within `timeout` is closed; at most max_connections are served
// at once (more are closed on accept).
//
// Thread-safety: Start() and Stop() from one controlling thread; `render`
// runs on the server's own thread, one call at a time. The destructor calls
// Stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "crm/engine/status.h"

namespace crm::protocol {

struct MetricsOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 0;  // 0 = an ephemeral port
  size_t max_request_bytes = 8192;
  std::chrono::milliseconds timeout{5000};
  size_t max_connections = 16;
};

class MetricsServer {
 public:
  MetricsServer(std::function<std::string()> render, MetricsOptions options);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts serving; returns the bound port. Once only.
  engine::Result<uint16_t> Start();
  // Closes the listener and every connection, joins the thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crm::protocol
