// The session's lifecycle, which the handler runs around every operation.
//
// Thread-safety: as Call: one request, one thread.
#pragma once

#include "ops/operation.h"

namespace crm::protocol::internal {

// The first request of a connection: must be hello with the protocol version
// this server speaks and the token of an active user. On success the session
// is authenticated and the hello reply returned with `*close` false; any
// other request or a refused hello gets an error with `*close` true.
Frame Authenticate(Call& call, wire::Request::Reader request, bool* close);

// A session's user may have changed since it was read: reads it again when
// any user changed (one atomic load otherwise). A user deactivated, or whose
// token was replaced, is refused (an error frame, `*close` set and the
// session no longer authenticated); otherwise returns the empty frame.
Frame Recheck(Call& call, bool* close);

}  // namespace crm::protocol::internal
