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

// The protocol's form of `limits`.
inline protocol::Limits ToProtocol(const FrameLimits& limits) {
  protocol::Limits out;
  out.max_frame_bytes = limits.max_frame_bytes;
  out.max_segments = limits.max_segments;
  out.nesting_limit = limits.nesting_limit;
  return out;
}

// FrameLimits mirrors protocol::Limits, defaults included.
static_assert(FrameLimits{}.max_frame_bytes == protocol::Limits{}.max_frame_bytes);
static_assert(FrameLimits{}.max_segments == protocol::Limits{}.max_segments);
static_assert(FrameLimits{}.nesting_limit == protocol::Limits{}.nesting_limit);
static_assert(sizeof(FrameLimits) == sizeof(protocol::Limits),
              "protocol::Limits has a field FrameLimits lacks");

}  // namespace crm::client::internal
