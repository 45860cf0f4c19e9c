// The session: hello (authentication) and the check, before each request,
// that the session's user is still the one who said hello.
#include "ops/session.h"

#include <string>
#include <utility>

#include "crm/engine/codec.h"
#include "crm/protocol/framing.h"
#include "crm/protocol/users.h"

namespace crm::protocol::internal {

namespace {

constexpr char kServerVersion[] = "crm 0.1";

// hello on an authenticated session.
Frame HelloAgain(Call& call, wire::Request::Reader) {
  return call.Error(engine::Status::InvalidArgument("already authenticated", "hello"));
}

constexpr Operation kOperations[] = {
    {wire::Request::HELLO, "hello", kEveryone, HelloAgain},
};

}  // namespace

std::span<const Operation> SessionOperations() { return kOperations; }

Frame Authenticate(Call& call, wire::Request::Reader request, bool* close) {
  *close = true;
  if (request.which() != wire::Request::HELLO) {
    return call.Error(engine::Status::PermissionDenied("the first request must be hello"));
  }
  auto hello = request.getHello();
  if (hello.getProtocolVersion() != kProtocolVersion) {
    return call.Error(engine::Status::InvalidArgument(
        "protocol version " + std::to_string(hello.getProtocolVersion()) +
            " is not supported; this server speaks " + std::to_string(kProtocolVersion),
        "hello.protocol_version"));
  }
  // Read before the user: a change committed in between moves it again.
  const uint64_t generation = call.engine().UserGeneration();
  engine::Result<engine::User> user = FindUserByToken(call.engine(), ToString(hello.getToken()));
  if (!user.ok()) return call.Error(user.status());
  Session& session = call.session();
  session.authenticated = true;
  session.user_generation = generation;
  session.token_hash = user->token_hash;
  session.user = Public(std::move(*user));
  *close = false;
  Out out(call.id());
  auto reply = out.response.initHello();
  reply.setProtocolVersion(kProtocolVersion);
  reply.setServerVersion(kServerVersion);
  engine::Encode(session.user, reply.initUser());
  return out.Build();
}

Frame Recheck(Call& call, bool* close) {
  Session& session = call.session();
  if (session.user.id == 0) return nullptr;  // the embedded local admin
  const uint64_t generation = call.engine().UserGeneration();
  if (generation == session.user_generation) return nullptr;
  engine::Result<engine::User> user = call.engine().GetUser(session.user.id);
  if (!user.ok() || !user->active || user->token_hash != session.token_hash) {
    *close = true;
    session.authenticated = false;
    return call.Error(engine::Status::PermissionDenied(
        "user " + std::to_string(session.user.id) +
        (user.ok() && user->active ? " has a new token" : " is deactivated") +
        ": this session's token no longer works"));
  }
  session.user_generation = generation;
  session.user = Public(std::move(*user));
  return nullptr;
}

}  // namespace crm::protocol::internal
