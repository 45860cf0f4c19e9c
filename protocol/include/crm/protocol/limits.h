// The limits a frame is checked against before it is read: plain values,
// shared by the server, the handler and the client (no Cap'n Proto here;
// crm/protocol/framing.h applies them).
#pragma once

#include <cstddef>
#include <cstdint>

namespace crm::protocol {

struct Limits {
  size_t max_frame_bytes = size_t{16} << 20;  // the whole frame, table included
  uint32_t max_segments = 512;
  int nesting_limit = 64;  // capnp::ReaderOptions::nestingLimit
  // ReaderOptions::traversalLimitInWords is the frame's own size in words:
  // no message may make its reader visit more than it sent.
};

}  // namespace crm::protocol
