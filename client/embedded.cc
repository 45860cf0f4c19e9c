// The embedded transport: the engine in this process, every request handed
// to the same protocol::Handler the server runs, as a whole frame, so
// results and errors are those of a remote client by construction.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/thread_annotations.h"
#include "crm/protocol/handler.h"
#include "transport.h"

namespace crm::client {

namespace {

class EmbeddedTransport final : public internal::Transport {
 public:
  EmbeddedTransport(std::unique_ptr<engine::Engine> engine, const EmbeddedOptions& options)
      : engine_(std::move(engine)),
        handler_(
            std::make_unique<protocol::Handler>(*engine_, options.limits)),
        timeout_(options.request_timeout) {}

  // The handler goes first; the engine then finishes its queued writes
  // (their replies land in shared state nobody waits on any more).
  ~EmbeddedTransport() override {
    handler_.reset();
    engine_.reset();
  }

  // Acts as a built-in administrator without a hello (EmbeddedOptions), and
  // returns that user.
  engine::User AuthenticateLocalAdmin() {
    engine::User admin;
    admin.id = 0;
    admin.name = "local";
    admin.role = engine::Role::kAdmin;
    admin.active = true;
    session_.authenticated = true;
    session_.user = admin;
    return admin;
  }

  Status Exchange(std::span<kj::Array<capnp::word>> requests,
                  std::vector<kj::Array<capnp::word>>* responses) override {
    if (closed_) return Status::Unavailable("connection closed: " + close_reason_);
    // Replies to writes come from the engine's writer thread after the
    // commit; they go into state shared with the callbacks, so a reply that
    // arrives after a timeout has somewhere to land.
    struct State {
      Mutex mu;
      CondVar cv;
      std::vector<std::optional<kj::Array<capnp::word>>> frames CRM_GUARDED_BY(mu);
      size_t pending CRM_GUARDED_BY(mu) = 0;
      // The first reply that closes the session.
      std::optional<size_t> closed_at CRM_GUARDED_BY(mu);
    };
    auto state = std::make_shared<State>();
    {
      MutexLock lock(state->mu);
      state->frames.resize(requests.size());
    }
    size_t handed = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
      {
        MutexLock lock(state->mu);
        // A closing reply (failed hello, unreadable request) ends the
        // session: what follows it is not handled, as over TCP.
        if (state->closed_at) break;
        ++state->pending;
      }
      ++handed;
      handler_->Handle(session_, requests[i].asPtr(),
                       [state, i](kj::Array<capnp::word> frame, bool close) {
                         MutexLock lock(state->mu);
                         state->frames[i] = std::move(frame);
                         if (close && (!state->closed_at || *state->closed_at > i)) {
                           state->closed_at = i;
                         }
                         if (--state->pending == 0) state->cv.NotifyAll();
                       });
    }
    MutexLock lock(state->mu);
    // The predicate runs with state->mu held (CondVar waits through `lock`).
    bool done = state->cv.WaitFor(
        lock, timeout_, [&]() CRM_NO_THREAD_SAFETY_ANALYSIS { return state->pending == 0; });
    for (size_t i = 0; i < handed && state->frames[i]; ++i) {
      if (state->closed_at && i > *state->closed_at) break;
      responses->push_back(std::move(*state->frames[i]));
    }
    if (state->closed_at) {
      closed_ = true;
      close_reason_ = "the server closed it after a refused request";
      if (responses->size() < requests.size()) {
        return Status::Unavailable("connection closed by the server");
      }
      return Status::Ok();
    }
    if (!done) {
      closed_ = true;
      close_reason_ = "an earlier request timed out";
      return Status::Unavailable("timed out after " + std::to_string(timeout_.count()) + " ms");
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<protocol::Handler> handler_;
  protocol::Session session_;
  std::chrono::milliseconds timeout_;
  bool closed_ = false;
  std::string close_reason_;
};

}  // namespace

Result<std::unique_ptr<Client>> Client::OpenEmbedded(const EmbeddedOptions& options) {
  auto engine = engine::Engine::Open(options.engine);
  if (!engine.ok()) return engine.status();
  auto transport = std::make_unique<EmbeddedTransport>(std::move(engine).value(), options);
  // The local administrator is set up before the client owns the transport.
  std::optional<engine::User> admin;
  if (options.local_admin) admin = transport->AuthenticateLocalAdmin();
  std::unique_ptr<Client> client(new Client(std::move(transport), options.limits));
  if (admin) {
    client->user_ = std::move(*admin);
  } else {
    CRM_RETURN_IF_ERROR(client->Hello(options.token));
  }
  return client;
}

}  // namespace crm::client
