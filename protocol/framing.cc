#include "crm/protocol/framing.h"

#include <capnp/message.h>

#include <limits>
#include <string>

namespace crm::protocol {
namespace {

uint32_t ReadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Segment count from the first word; 64-bit so that 0xFFFFFFFF + 1 does not wrap to 0.
uint64_t SegmentCount(const uint8_t* first_word) { return uint64_t{ReadLe32(first_word)} + 1; }

uint64_t TableBytesFor(uint64_t segments) { return 8 * ((1 + segments + 1) / 2); }

}  // namespace

engine::Result<size_t> TableBytes(std::span<const uint8_t, 4> first_word, const Limits& limits) {
  const uint64_t segments = SegmentCount(first_word.data());
  if (segments == 0 || segments > limits.max_segments) {
    return engine::Status::InvalidArgument("frame claims " + std::to_string(segments) +
                                           " segments; at most " +
                                           std::to_string(limits.max_segments) + " are accepted");
  }
  const uint64_t bytes = TableBytesFor(segments);
  if (bytes > limits.max_frame_bytes) {
    return engine::Status::InvalidArgument("frame segment table of " + std::to_string(bytes) +
                                           " bytes exceeds the frame limit of " +
                                           std::to_string(limits.max_frame_bytes) + " bytes");
  }
  return static_cast<size_t>(bytes);
}

engine::Result<FrameHeader> ParseFrameHeader(std::span<const uint8_t> table, const Limits& limits) {
  if (table.size() < 4) {
    return engine::Status::InvalidArgument("frame segment table is truncated");
  }
  auto table_bytes = TableBytes(table.first<4>(), limits);
  if (!table_bytes.ok()) return table_bytes.status();
  if (table.size() != *table_bytes) {
    return engine::Status::InvalidArgument("frame segment table has " +
                                           std::to_string(table.size()) + " bytes, expected " +
                                           std::to_string(*table_bytes));
  }
  const uint64_t segments = SegmentCount(table.data());
  const uint64_t max_words = limits.max_frame_bytes / sizeof(capnp::word);
  uint64_t words = 0;
  for (uint64_t i = 0; i < segments; ++i) {
    const uint64_t size = ReadLe32(table.data() + 4 + 4 * i);
    // Stop as soon as the sum passes the cap: no overflow whatever max_segments is.
    if (size > max_words - words) {
      return engine::Status::InvalidArgument("frame exceeds the limit of " +
                                             std::to_string(limits.max_frame_bytes) + " bytes");
    }
    words += size;
  }
  if (words == 0) return engine::Status::InvalidArgument("frame has no content (zero words)");
  const uint64_t total = uint64_t{*table_bytes} + words * sizeof(capnp::word);
  if (total > limits.max_frame_bytes) {
    return engine::Status::InvalidArgument("frame of " + std::to_string(total) +
                                           " bytes exceeds the limit of " +
                                           std::to_string(limits.max_frame_bytes) + " bytes");
  }
  FrameHeader header;
  header.table_bytes = *table_bytes;
  header.total_bytes = static_cast<size_t>(total);
  return header;
}

capnp::ReaderOptions ReaderOptionsFor(size_t frame_words, const Limits& limits) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = frame_words;
  options.nestingLimit = limits.nesting_limit;
  return options;
}

}  // namespace crm::protocol
