// Users' tokens: how they are made, stored and checked.
//
// A token is "crm_" followed by 64 lower-case hex digits (32 random bytes from
// getrandom(2)). The store keeps only "sha256:" + hex(SHA-256(token)) in
// User::token_hash; the token itself is shown once, when it is created.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "crm/engine/engine.h"

namespace crm::protocol {

inline constexpr std::string_view kTokenPrefix = "crm_";
inline constexpr std::string_view kTokenHashPrefix = "sha256:";

// A fresh random token. Internal if the kernel's random source fails.
engine::Result<std::string> NewToken();

// What User::token_hash holds for `token`: "sha256:" + 64 hex digits.
std::string HashToken(std::string_view token);

// Creates `user` (its id must be 0; token_hash is overwritten) with a fresh
// token and returns the token. Blocks until the commit. crmd uses it to make
// the first admin of an empty store.
engine::Result<std::string> CreateUserWithToken(engine::Engine& engine, const engine::Actor& actor,
                                                engine::User user);

// The active user whose token is `token`; PermissionDenied for any other
// token (unknown, malformed, or of an inactive user). O(users): a scan of
// Engine::ListUsers().
engine::Result<engine::User> FindUserByToken(const engine::Engine& engine, std::string_view token);

}  // namespace crm::protocol
