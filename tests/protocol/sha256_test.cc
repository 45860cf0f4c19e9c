// SHA-256 against the FIPS 180-2 test vectors (appendix B) and split updates.
#include "sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace crm::protocol::internal {
namespace {

TEST(Sha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, Empty) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, TwoBlockMessage448Bits) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, OneMillionA) {
  EXPECT_EQ(Sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, SplitUpdatesMatchOneShot) {
  const std::string text(1000, 'x');
  const std::string expected = Sha256Hex(text);
  for (size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u}) {
    Sha256 hash;
    for (size_t i = 0; i < text.size(); i += chunk) {
      hash.Update(std::string_view(text).substr(i, chunk));
    }
    std::array<uint8_t, 32> digest = hash.Finish();
    std::string hex;
    for (uint8_t b : digest) {
      static constexpr char kHex[] = "0123456789abcdef";
      hex += kHex[b >> 4];
      hex += kHex[b & 15];
    }
    EXPECT_EQ(hex, expected) << "chunk " << chunk;
  }
}

}  // namespace
}  // namespace crm::protocol::internal
