#include "crm/protocol/framing.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace crm::protocol {
namespace {

void PutLe32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A segment table with `count_field` as the first word and the given sizes, padded.
std::vector<uint8_t> Table(uint32_t count_field, const std::vector<uint32_t>& sizes) {
  std::vector<uint8_t> out;
  PutLe32(out, count_field);
  for (uint32_t s : sizes) PutLe32(out, s);
  while (out.size() % 8 != 0) out.push_back(0);
  return out;
}

std::array<uint8_t, 4> First(uint32_t count_field) {
  return {static_cast<uint8_t>(count_field), static_cast<uint8_t>(count_field >> 8),
          static_cast<uint8_t>(count_field >> 16), static_cast<uint8_t>(count_field >> 24)};
}

TEST(FramingTest, TableBytesForOneTwoAndThreeSegments) {
  Limits limits;
  auto f1 = First(0), f2 = First(1), f3 = First(2);
  EXPECT_EQ(*TableBytes(f1, limits), 8u);
  EXPECT_EQ(*TableBytes(f2, limits), 16u);
  EXPECT_EQ(*TableBytes(f3, limits), 16u);
}

TEST(FramingTest, SegmentCountFieldAllOnesIsRefusedNotZero) {
  Limits limits;
  auto f = First(0xFFFFFFFFu);  // 2^32 segments, not 0 after wrapping
  auto r = TableBytes(f, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), engine::Code::kInvalidArgument);
}

TEST(FramingTest, MaxSegmentsAcceptedOneMoreRefused) {
  Limits limits;
  auto ok = First(511);   // 512 segments
  auto bad = First(512);  // 513 segments
  EXPECT_TRUE(TableBytes(ok, limits).ok());
  auto r = TableBytes(bad, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), engine::Code::kInvalidArgument);
}

TEST(FramingTest, OneSegmentFrame) {
  Limits limits;
  auto t = Table(0, {3});
  auto h = ParseFrameHeader(t, limits);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->table_bytes, 8u);
  EXPECT_EQ(h->total_bytes, 8u + 24u);
}

TEST(FramingTest, MultiSegmentFrameSumsSizes) {
  Limits limits;
  auto t = Table(2, {1, 2, 3});
  auto h = ParseFrameHeader(t, limits);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->table_bytes, 16u);
  EXPECT_EQ(h->total_bytes, 16u + 48u);
}

TEST(FramingTest, ZeroSizedFrameIsRefused) {
  Limits limits;
  EXPECT_FALSE(ParseFrameHeader(Table(0, {0}), limits).ok());
  EXPECT_FALSE(ParseFrameHeader(Table(1, {0, 0}), limits).ok());
}

TEST(FramingTest, FourGibSegmentIsRefused) {
  Limits limits;
  auto r = ParseFrameHeader(Table(0, {0xFFFFFFFFu}), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), engine::Code::kInvalidArgument);
  EXPECT_FALSE(ParseFrameHeader(Table(0, {0x20000000u}), limits).ok());  // exactly 4 GiB
}

TEST(FramingTest, SizesSummingPastTheCapAreRefused) {
  Limits limits;
  limits.max_frame_bytes = 1024;
  // Each alone fits, the sum does not.
  EXPECT_FALSE(ParseFrameHeader(Table(2, {60, 60, 60}), limits).ok());
}

TEST(FramingTest, SumThatWouldOverflowIsRefused) {
  Limits limits;
  limits.max_segments = 0xFFFFFFFFu;
  limits.max_frame_bytes = SIZE_MAX;
  // 512 segments of 4 GiB each: 2^41 bytes, does not wrap a 64-bit sum but must not
  // be accepted as anything small either.
  std::vector<uint32_t> sizes(512, 0xFFFFFFFFu);
  auto r = ParseFrameHeader(Table(511, sizes), limits);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total_bytes, 8u * 257u + 512u * uint64_t{0xFFFFFFFFu} * 8u);
  // With a real cap the same table is refused.
  Limits capped;
  capped.max_segments = 512;
  EXPECT_FALSE(ParseFrameHeader(Table(511, sizes), capped).ok());
}

TEST(FramingTest, ExactBoundaryAcceptedOneWordMoreRefused) {
  Limits limits;
  limits.max_frame_bytes = 8 + 8 * 100;  // table of one segment + 100 words
  auto ok = ParseFrameHeader(Table(0, {100}), limits);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->total_bytes, limits.max_frame_bytes);
  EXPECT_FALSE(ParseFrameHeader(Table(0, {101}), limits).ok());
  // Two segments: table is 16 bytes, so 99 words total is the most.
  EXPECT_TRUE(ParseFrameHeader(Table(1, {50, 49}), limits).ok());
  EXPECT_FALSE(ParseFrameHeader(Table(1, {50, 50}), limits).ok());
}

TEST(FramingTest, TableOfWrongLengthIsRefused) {
  Limits limits;
  auto t = Table(2, {1, 1, 1});  // 16 bytes
  EXPECT_FALSE(ParseFrameHeader(std::span<const uint8_t>(t.data(), 8), limits).ok());
  EXPECT_FALSE(ParseFrameHeader(std::span<const uint8_t>(t.data(), 3), limits).ok());
}

TEST(FramingTest, ReaderOptionsUseFrameWordsAndNestingLimit) {
  Limits limits;
  limits.nesting_limit = 7;
  capnp::ReaderOptions o = ReaderOptionsFor(123, limits);
  EXPECT_EQ(o.traversalLimitInWords, 123u);
  EXPECT_EQ(o.nestingLimit, 7);
}

}  // namespace
}  // namespace crm::protocol
