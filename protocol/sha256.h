// SHA-256 (FIPS 180-4), for hashing user tokens. Internal to crm_protocol.
//
// Not constant-time with respect to anything but the input length; tokens
// are hashed before comparison, so timing reveals nothing about them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crm::protocol::internal {

// Incremental hashing: Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // The 32-byte digest. The object must not be used afterwards.
  std::array<uint8_t, 32> Finish();

 private:
  void Block(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// The digest of `data`, as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace crm::protocol::internal
