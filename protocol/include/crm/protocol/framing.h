// Cap'n Proto stream framing, checked before anything is allocated.
//
// A frame is: u32 (segment count - 1), u32 size of each segment in words,
// padding to 8 bytes, then the segments. Untrusted peers can claim anything
// there, so the table is checked against Limits before the body is read.
#pragma once

#include <capnp/common.h>
#include <capnp/message.h>  // capnp::ReaderOptions
#include <kj/array.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "crm/engine/status.h"
#include "crm/protocol/limits.h"

namespace crm::protocol {

inline constexpr uint32_t kProtocolVersion = 1;

struct FrameHeader {
  size_t table_bytes = 0;  // segment table with padding: 8 * ceil((1 + n) / 2)
  size_t total_bytes = 0;  // table plus every segment
};

// Bytes of the segment table given its first word (4 bytes) only.
// InvalidArgument when the count is 0 or above limits.max_segments.
engine::Result<size_t> TableBytes(std::span<const uint8_t, 4> first_word, const Limits& limits);

// Parses a whole segment table (TableBytes() long). InvalidArgument for a
// zero-sized frame, or one larger than limits.max_frame_bytes.
engine::Result<FrameHeader> ParseFrameHeader(std::span<const uint8_t> table, const Limits& limits);

// Reader options for a frame of `frame_words` words under `limits`.
capnp::ReaderOptions ReaderOptionsFor(size_t frame_words, const Limits& limits);

}  // namespace crm::protocol
