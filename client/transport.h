// The client's transport: how a Client's encoded requests reach a handler
// and its responses come back. Internal to crm_client; the remote transport
// (remote.cc) speaks TCP to a crmd, the embedded one (embedded.cc) hands each
// frame to an in-process protocol::Handler.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>

#include <span>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/status.h"
#include "crm/protocol/framing.h"

namespace crm::client::internal {

// One connection. Not thread-safe: its Client calls it under its own mutex,
// one exchange at a time, and destroys it last.
class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  virtual ~Transport() = default;

  // Sends `requests` (whole frames, in order) and appends one whole response
  // frame per request to `responses`, in order. On a transport error it
  // returns it, with the responses that did arrive before it (the rest of
  // the requests get the error); a transport that failed stays failed.
  virtual Status Exchange(std::span<kj::Array<capnp::word>> requests,
                          std::vector<kj::Array<capnp::word>>* responses) = 0;
};

}  // namespace crm::client::internal
