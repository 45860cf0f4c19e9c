#include "crm/protocol/users.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "ops/operation.h"
#include "sha256.h"

namespace crm::protocol {

engine::Result<std::string> NewToken() {
  uint8_t bytes[32];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return engine::Status::Internal(std::string("getrandom failed: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(kTokenPrefix);
  for (uint8_t b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

std::string HashToken(std::string_view token) {
  return std::string(kTokenHashPrefix) + internal::Sha256Hex(token);
}

engine::Result<std::string> internal::AttachToken(engine::User* user) {
  engine::Result<std::string> token = NewToken();
  if (!token.ok()) return token.status();
  user->token_hash = HashToken(*token);
  return token;
}

engine::Result<std::string> CreateUserWithToken(engine::Engine& engine, const engine::Actor& actor,
                                                engine::User user) {
  engine::Result<std::string> token = internal::AttachToken(&user);
  if (!token.ok()) return token;
  engine::Result<engine::Id> id = engine.Create(actor, std::move(user));
  if (!id.ok()) return id.status();
  return token;
}

engine::Result<engine::User> FindUserByToken(const engine::Engine& engine, std::string_view token) {
  if (token.substr(0, kTokenPrefix.size()) == kTokenPrefix) {
    const std::string hash = HashToken(token);
    for (engine::User& user : engine.ListUsers()) {
      if (user.active && user.token_hash == hash) return std::move(user);
    }
  }
  return engine::Status::PermissionDenied("unknown or revoked token");
}

}  // namespace crm::protocol
