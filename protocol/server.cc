#include "crm/protocol/server.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <optional>
#include <span>

#include "crm.capnp.h"
#include "crm/engine/thread_annotations.h"
#include "crm/protocol/asio.h"
#include "listen.h"

namespace crm::protocol {

using asio::ip::tcp;

void LogLine(std::string_view line) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  char stamp[40];
  const size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(stamp, n);
  char millis[8];
  std::snprintf(millis, sizeof(millis), ".%03dZ ", static_cast<int>(tv.tv_usec / 1000));
  out += millis;
  out += line;
  out += '\n';
  // One write(2) so that lines from different threads do not interleave.
  [[maybe_unused]] ssize_t w = ::write(STDERR_FILENO, out.data(), out.size());
}

kj::Array<capnp::word> ErrorFrame(engine::Code code, std::string_view message) {
  capnp::MallocMessageBuilder builder;
  auto response = builder.initRoot<wire::Response>();
  response.setId(0);
  auto error = response.initError();
  error.setCode(static_cast<uint8_t>(code));
  error.setMessage(capnp::Text::Reader(message.data(), message.size()));
  return capnp::messageToFlatArray(builder);
}

namespace {

using Strand = asio::strand<asio::io_context::executor_type>;

// Runs `io` until it stops; with `spin` > 0, polls for that long after the
// last handler before blocking (see ServerOptions::busy_poll).
void RunContext(asio::io_context& io, std::chrono::microseconds spin) {
  if (spin.count() <= 0) {
    io.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  while (!io.stopped()) {
    auto until = Clock::now() + spin;
    while (Clock::now() < until && !io.stopped()) {
      if (io.poll() > 0) until = Clock::now() + spin;
    }
    if (io.stopped()) break;
    io.run_one();  // sleeps until there is work
  }
}

// `threads` io_contexts (at least one), each to be run by one thread.
std::vector<std::unique_ptr<asio::io_context>> MakeContexts(unsigned threads) {
  std::vector<std::unique_ptr<asio::io_context>> out;
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
    out.push_back(std::make_unique<asio::io_context>(1));
  }
  return out;
}

std::string Endpoint(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

// Everything the server shares with its connections.
class Server::Impl {
 public:
  class Connection;

  Impl(FrameHandler handler, ServerOptions options)
      : handler_(std::move(handler)), options_(std::move(options)) {}

  engine::Result<uint16_t> Start() CRM_EXCLUDES(mu_);
  void Stop() CRM_EXCLUDES(mu_);
  void Wait() CRM_EXCLUDES(mu_);
  ServerStats stats() const CRM_EXCLUDES(mu_);

  asio::awaitable<void> AcceptLoop();
  // Samples the request totals once a second, for the stats' rates.
  asio::awaitable<void> TickLoop();
  void ConnectionGone() CRM_EXCLUDES(mu_);
  // Around a post to a connection's strand from another thread.
  void BeginPost() CRM_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ++posts_in_flight_;
  }
  void EndPost() CRM_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    --posts_in_flight_;
    cv_.NotifyAll();  // under the lock: Stop() cannot return before this
  }
  void AddQueued(int64_t delta, uint64_t connection_queued) {
    queued_bytes_ += static_cast<uint64_t>(delta);
    uint64_t seen = queued_bytes_max_.load();
    while (connection_queued > seen &&
           !queued_bytes_max_.compare_exchange_weak(seen, connection_queued)) {
    }
  }

  std::unique_ptr<Handler> owned_handler_;  // for the engine constructor
  FrameHandler handler_;
  ServerOptions options_;
  // One io_context per io thread, each run by its thread alone: a
  // connection lives on one of them (round-robin), so its reads, handling
  // and writes never hop between threads. The acceptor lives on the first.
  std::vector<std::unique_ptr<asio::io_context>> ios_ = MakeContexts(options_.io_threads);
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  size_t next_io_ = 0;  // the io_context of the next connection (acceptor only)
  Strand acceptor_strand_{asio::make_strand(*ios_[0])};
  tcp::acceptor acceptor_{acceptor_strand_};
  asio::steady_timer ticker_{acceptor_strand_};
  std::vector<std::thread> threads_;

  mutable Mutex mu_;
  CondVar cv_;  // signalled when stopped_, live_connections_ or posts_in_flight_ changes
  bool started_ CRM_GUARDED_BY(mu_) = false;
  bool stopping_ CRM_GUARDED_BY(mu_) = false;
  bool stopped_ CRM_GUARDED_BY(mu_) = false;
  size_t live_connections_ CRM_GUARDED_BY(mu_) = 0;  // not yet destroyed
  std::vector<std::weak_ptr<Connection>> weak_connections_ CRM_GUARDED_BY(mu_);
  // Replies being posted from other threads (the engine's writer): the io
  // contexts, and the strands' service, must outlive them.
  size_t posts_in_flight_ CRM_GUARDED_BY(mu_) = 0;

  std::atomic<uint64_t> connections_total_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> refused_frames_{0};
  std::atomic<uint64_t> queued_bytes_{0};
  std::atomic<uint64_t> queued_bytes_max_{0};
};

// One client connection. Lives while its reader coroutine runs, a write is in
// progress, or a reply is still owed by the handler. Every member is touched
// only on strand_.
class Server::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, Strand strand, tcp::socket socket)
      : server_(server),
        strand_(std::move(strand)),
        socket_(std::move(socket)),
        gate_(strand_),
        watchdog_(strand_) {
    gate_.expires_at(asio::steady_timer::time_point::max());
    watchdog_.expires_at(asio::steady_timer::time_point::max());
    peer_ = Endpoint(socket_);
  }

  // Before ReadLoop() starts: answer the first read with Unavailable
  // `reason` and close (the server is full).
  void Reject(std::string reason) { reject_ = std::move(reason); }

  const Strand& strand() const { return strand_; }

  // `self` keeps the connection alive from co_spawn on (the coroutine body
  // starts later, when the caller's reference may be gone).
  asio::awaitable<void> ReadLoop(std::shared_ptr<Connection> self);

  // Stop reading new requests (on strand_): graceful shutdown. Requests
  // already read are answered, then the connection closes.
  void BeginStop() {
    stopping_ = true;
    StopReader();
  }

  // Drop the connection now (on strand_): Stop() past its timeout.
  void Abort() { CloseSocket(); }

 private:
  struct Slot {
    bool done = false;
    bool close = false;
    kj::Array<capnp::word> frame;
  };

  bool Blocked() const {
    return slots_.size() >= server_.options_.max_in_flight ||
           queued_bytes_ > server_.options_.max_outbound_bytes;
  }

  // Takes the next slot in the sequence; returns its number.
  uint64_t NewSlot() {
    slots_.emplace_back();
    return base_seq_ + slots_.size() - 1;
  }

  // A response for slot `seq` (on strand_).
  void Complete(uint64_t seq, kj::Array<capnp::word> frame, bool close) {
    if (closed_ || lingering_ || seq < base_seq_ || seq - base_seq_ >= slots_.size()) return;
    Slot& slot = slots_[seq - base_seq_];
    slot.done = true;
    slot.close = close;
    if (close) close_requested_ = true;
    const size_t bytes = frame.asBytes().size();
    slot.frame = std::move(frame);
    queued_bytes_ += bytes;
    server_.AddQueued(static_cast<int64_t>(bytes), queued_bytes_);
    MaybeWrite();
  }

  Reply MakeReply(uint64_t seq) {
    auto self = shared_from_this();
    return [self, seq](kj::Array<capnp::word> frame, bool close) mutable {
      if (self->strand_.running_in_this_thread()) {
        self->Complete(seq, std::move(frame), close);
        return;
      }
      // From the engine's writer thread: hand the frame over to the strand.
      // The closure gives its reference away, so the connection is never
      // destroyed on the writer thread. The server outlives the post (and
      // the copy of the strand it makes): Stop() waits for it.
      auto shared = std::make_shared<kj::Array<capnp::word>>(std::move(frame));
      Impl& server = self->server_;
      server.BeginPost();
      {
        auto strand = self->strand_;
        asio::post(strand, [self = std::move(self), seq, shared, close]() mutable {
          self->Complete(seq, std::move(*shared), close);
        });
      }
      server.EndPost();
    };
  }

  // Appends an error response for an unreadable frame; the connection closes
  // once it (and everything before it) is written.
  void Refuse(const engine::Status& status) {
    server_.refused_frames_++;
    LogLine("crm server: " + peer_ + ": refused frame: " + status.message());
    const uint64_t seq = NewSlot();
    Complete(seq, ErrorFrame(engine::Code::kInvalidArgument, status.message()), true);
  }

  void MaybeWrite() {
    if (writing_ || closed_ || lingering_) return;
    size_t n = 0;
    bool close_after = false;
    while (n < slots_.size() && slots_[n].done) {
      ++n;
      if (slots_[n - 1].close) {
        close_after = true;
        break;
      }
    }
    if (n == 0) {
      if (!reader_active_ && slots_.empty()) GracefulClose();
      return;
    }
    writing_ = true;
    batch_.clear();
    buffers_.clear();
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      auto b = slots_.front().frame.asBytes();
      buffers_.emplace_back(b.begin(), b.size());
      bytes += b.size();
      batch_.push_back(std::move(slots_.front().frame));
      slots_.pop_front();
      ++base_seq_;
    }
    asio::async_write(socket_, buffers_,
                      asio::bind_executor(strand_, [self = shared_from_this(), bytes, close_after](
                                                       boost::system::error_code ec, size_t) {
                        self->Written(ec, bytes, close_after);
                      }));
  }

  void Written(boost::system::error_code ec, size_t bytes, bool close_after) {
    writing_ = false;
    batch_.clear();
    buffers_.clear();
    queued_bytes_ -= bytes;
    server_.AddQueued(-static_cast<int64_t>(bytes), 0);
    if (ec) {
      if (!closed_ && ec != asio::error::operation_aborted) {
        LogLine("crm server: " + peer_ + ": write failed: " + ec.message());
      }
      CloseSocket();
      return;
    }
    if (close_after) {
      // Nothing after a closing response is answered.
      close_requested_ = true;
      DropSlots();
      if (reader_active_) {
        StopReader();  // GracefulClose() once the reader is out
      } else {
        GracefulClose();
      }
      return;
    }
    if (stopping_) StopReader();
    gate_.cancel();  // room again: wake the reader if it waits
    MaybeWrite();
  }

  // Makes the reader leave its loop: wakes it from the gate, and cancels a
  // pending read unless a write is in progress (cancel() would abort that
  // too; Written() calls this again).
  void StopReader() {
    gate_.cancel();
    if (reader_active_ && !writing_ && !closed_) {
      boost::system::error_code ec;
      socket_.cancel(ec);
    }
  }

  // Every response is written: send FIN, then read and discard what the peer
  // still sends until it closes (or kLinger passes), then close. Closing with
  // unread input would send RST, and the peer could lose responses it has
  // not read yet.
  void GracefulClose() {
    if (closed_ || lingering_) return;
    lingering_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    gate_.expires_after(kLinger);
    gate_.async_wait(asio::bind_executor(
        strand_, [self = shared_from_this()](boost::system::error_code) { self->CloseSocket(); }));
    Drain();
  }

  void Drain() {
    socket_.async_read_some(asio::buffer(drain_),
                            asio::bind_executor(strand_, [self = shared_from_this()](
                                                             boost::system::error_code ec, size_t) {
                              if (ec || self->closed_) {
                                self->CloseSocket();
                              } else {
                                self->Drain();
                              }
                            }));
  }

  // Closes at once, dropping unwritten responses (on strand_).
  void CloseSocket() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.close(ec);
    gate_.cancel();
    DropSlots();
  }

  // Forgets every response not yet written; replies still owed find their
  // slot gone and are dropped.
  void DropSlots() {
    for (auto& slot : slots_) {
      if (slot.done) {
        const size_t bytes = slot.frame.asBytes().size();
        queued_bytes_ -= bytes;
        server_.AddQueued(-static_cast<int64_t>(bytes), 0);
      }
    }
    base_seq_ += slots_.size();
    slots_.clear();
  }

  // The read deadline (ServerOptions::frame_timeout / idle_timeout): 0 = none.
  void ArmWatchdog(std::chrono::milliseconds timeout, const char* why) {
    watchdog_why_ = why;
    if (timeout.count() > 0) {
      watchdog_.expires_after(timeout);
    } else {
      watchdog_.expires_at(asio::steady_timer::time_point::max());
    }
  }

  // Closes the connection when the read deadline passes. Re-arms itself
  // while the deadline moves; ends once the reader has ended.
  void WatchDeadline(std::shared_ptr<Connection> self) {
    watchdog_.async_wait([self = std::move(self)](const boost::system::error_code&) mutable {
      Connection& c = *self;
      if (c.watchdog_done_ || c.closed_) return;
      if (c.watchdog_.expiry() <= asio::steady_timer::clock_type::now()) {
        LogLine("crm server: " + c.peer_ + ": closing: " + c.watchdog_why_);
        c.Abort();
        return;
      }
      c.WatchDeadline(std::move(self));
    });
  }

  static constexpr std::chrono::seconds kLinger{2};

  Impl& server_;
  Strand strand_;
  tcp::socket socket_;
  asio::steady_timer gate_;  // the reader waits on it while Blocked()
  asio::steady_timer watchdog_;  // the read deadline
  const char* watchdog_why_ = "";
  bool watchdog_done_ = false;
  std::string reject_;  // non-empty: refuse this connection (server full)
  std::string peer_;
  Session session_;
  std::deque<Slot> slots_;                     // requests not yet written, in order
  uint64_t base_seq_ = 0;                      // sequence number of slots_.front()
  size_t queued_bytes_ = 0;                    // bytes of done slots plus the write in progress
  std::vector<kj::Array<capnp::word>> batch_;  // the write in progress
  std::vector<asio::const_buffer> buffers_;
  std::array<char, 4096> drain_;
  bool writing_ = false;
  bool reader_active_ = true;  // ReadLoop() has not ended
  bool lingering_ = false;     // in GracefulClose()
  bool stopping_ = false;
  bool close_requested_ = false;
  bool closed_ = false;
};

asio::awaitable<void> Server::Impl::Connection::ReadLoop(
    [[maybe_unused]] std::shared_ptr<Connection> self) {
  const Limits& limits = server_.options_.limits;
  // Bytes read and not yet handled live in `in`, word-aligned. Each read
  // takes whatever the socket has (pipelined clients send many frames at
  // once) and every complete frame is handled in place: frames are whole
  // words long, so each one starts aligned, and the handler reads a frame
  // only during the call.
  // Held as uint64_t: capnp::word is not copyable under clang, which
  // std::vector needs to grow; the frames handed on are viewed as words.
  constexpr size_t kReadChunk = 64 * 1024;
  static_assert(sizeof(uint64_t) == sizeof(capnp::word));
  std::vector<uint64_t> in(kReadChunk / sizeof(capnp::word));
  size_t begin = 0, end = 0;  // byte offsets of the unhandled bytes
  if (!reject_.empty()) {
    server_.refused_frames_++;
    Complete(NewSlot(), ErrorFrame(engine::Code::kUnavailable, reject_), true);
  }
  WatchDeadline(self);
  try {
    while (!closed_ && !stopping_ && !close_requested_) {
      if (Blocked()) ArmWatchdog(std::chrono::milliseconds(0), "");  // answers are owed: no deadline
      while (Blocked() && !closed_ && !stopping_ && !close_requested_) {
        boost::system::error_code ec;
        gate_.expires_at(asio::steady_timer::time_point::max());
        co_await gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (closed_ || stopping_) break;
      auto* bytes = reinterpret_cast<uint8_t*>(in.data());
      // How many bytes the frame at `begin` needs, as far as is known yet.
      size_t need = 4;
      if (end - begin >= 4) {
        auto table_bytes = TableBytes(std::span<const uint8_t, 4>(bytes + begin, 4), limits);
        if (!table_bytes.ok()) {
          Refuse(table_bytes.status());
          break;
        }
        need = *table_bytes;
        if (end - begin >= need) {
          auto header = ParseFrameHeader(std::span<const uint8_t>(bytes + begin, need), limits);
          if (!header.ok()) {
            Refuse(header.status());
            break;
          }
          need = header->total_bytes;
        }
      }
      if (end - begin >= need && need > 4) {
        kj::ArrayPtr<const capnp::word> frame(
            reinterpret_cast<const capnp::word*>(in.data()) + begin / sizeof(capnp::word),
            need / sizeof(capnp::word));
        begin += need;
        if (begin == end) begin = end = 0;
        const uint64_t seq = NewSlot();
        server_.requests_++;
        Reply reply = MakeReply(seq);
        try {
          server_.handler_(session_, frame, std::move(reply));
        } catch (const kj::Exception& e) {
          // The handler is meant to catch its own; this is the last boundary.
          LogLine("crm server: " + peer_ +
                  ": handler threw: " + std::string(e.getDescription().cStr()));
          Complete(seq, ErrorFrame(engine::Code::kInternal, "internal error"), true);
        } catch (const std::exception& e) {
          LogLine("crm server: " + peer_ + ": handler threw: " + e.what());
          Complete(seq, ErrorFrame(engine::Code::kInternal, "internal error"), true);
        }
        continue;
      }
      // Make room for the rest of this frame and a chunk more: move the
      // unhandled bytes to the front, grow the buffer if the frame is larger.
      if (begin > 0) {
        std::memmove(bytes, bytes + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      // Grow with what arrives (doubling), not with what a header claims: a
      // peer that claims 16 MiB and sends 100 bytes costs 64 KiB, not 16 MiB.
      const size_t capacity = in.size() * sizeof(capnp::word);
      const size_t want = std::min(need, std::max(end + kReadChunk, 2 * capacity));
      if (capacity < want) {
        in.resize((want + sizeof(capnp::word) - 1) / sizeof(capnp::word));
        bytes = reinterpret_cast<uint8_t*>(in.data());
      } else if (end == 0 && in.size() * sizeof(capnp::word) > 16 * kReadChunk) {
        // A large frame has passed: give its buffer back.
        in.assign(kReadChunk / sizeof(capnp::word), 0);
        bytes = reinterpret_cast<uint8_t*>(in.data());
      }
      const size_t room = in.size() * sizeof(capnp::word) - end;
      if (end > begin) {
        ArmWatchdog(server_.options_.frame_timeout, "no complete frame within the frame timeout");
      } else {
        ArmWatchdog(server_.options_.idle_timeout, "idle past the idle timeout");
      }
      size_t n = co_await socket_.async_read_some(asio::buffer(bytes + end, room),
                                                  asio::use_awaitable);
      end += n;
    }
  } catch (const boost::system::system_error& e) {
    const auto code = e.code();
    if (code != asio::error::eof && code != asio::error::operation_aborted &&
        code != asio::error::connection_reset && code != asio::error::bad_descriptor && !closed_ &&
        !stopping_) {
      LogLine("crm server: " + peer_ + ": read failed: " + code.message());
    }
  }
  reader_active_ = false;
  watchdog_done_ = true;
  watchdog_.cancel();
  if (close_requested_ && !writing_ && slots_.empty()) {
    GracefulClose();
  } else {
    // Responses still owed are written as they come; the socket closes after.
    MaybeWrite();
  }
}

engine::Result<uint16_t> Server::Impl::Start() {
  {
    MutexLock lock(mu_);
    if (started_) return engine::Status::Internal("Server::Start() called twice");
    started_ = true;
  }
  if (engine::Status s =
          OpenListener(acceptor_, options_.listen_address, options_.port, "listen", "");
      !s.ok()) {
    if (s.code() == engine::Code::kUnavailable) {
      {
        MutexLock lock(mu_);
        stopped_ = true;
      }
      cv_.NotifyAll();
    }
    return s;
  }
  const uint16_t port = acceptor_.local_endpoint().port();
  for (auto& io : ios_) work_.push_back(asio::make_work_guard(*io));
  asio::co_spawn(acceptor_strand_, AcceptLoop(), asio::detached);
  if (owned_handler_) asio::co_spawn(acceptor_strand_, TickLoop(), asio::detached);
  const unsigned n = static_cast<unsigned>(ios_.size());
  for (auto& io : ios_) {
    threads_.emplace_back([io = io.get(), spin = options_.busy_poll] { RunContext(*io, spin); });
  }
  LogLine("crm server: listening on " + options_.listen_address + ":" + std::to_string(port) +
          " (" + std::to_string(n) + " io threads)");
  return port;
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    Strand strand = asio::make_strand(*ios_[next_io_++ % ios_.size()]);
    tcp::socket socket(strand);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
      LogLine("crm server: accept failed: " + ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory) {
        // Out of descriptors: back off instead of spinning.
        asio::steady_timer pause(acceptor_strand_, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // The server hears of the connection's end only once it is wholly
    // destroyed (members included), whichever thread drops the last reference.
    std::shared_ptr<Connection> connection(new Connection(*this, strand, std::move(socket)),
                                           [this](Connection* c) {
                                             delete c;
                                             ConnectionGone();
                                           });
    bool refuse = false;
    {
      MutexLock lock(mu_);
      refuse = stopping_;
      if (live_connections_ >= options_.max_connections) {
        connection->Reject("the server is at its limit of " +
                           std::to_string(options_.max_connections) +
                           " connections; try again later");
      }
      ++live_connections_;
      weak_connections_.push_back(connection);
      // Forget the dead ones now and then.
      if (weak_connections_.size() > 2 * live_connections_ + 64) {
        std::erase_if(weak_connections_, [](const auto& w) { return w.expired(); });
      }
    }
    connections_total_++;
    if (refuse) {
      asio::post(connection->strand(), [connection] { connection->BeginStop(); });
    }
    asio::co_spawn(connection->strand(), connection->ReadLoop(connection), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::TickLoop() {
  for (;;) {
    boost::system::error_code ec;
    ticker_.expires_after(std::chrono::seconds(1));
    co_await ticker_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !acceptor_.is_open()) co_return;
    owned_handler_->request_stats().Tick();
  }
}

void Server::Impl::ConnectionGone() {
  {
    MutexLock lock(mu_);
    --live_connections_;
  }
  cv_.NotifyAll();
}

void Server::Impl::Stop() {
  std::vector<std::shared_ptr<Connection>> live;
  {
    MutexLock lock(mu_);
    if (!started_ || stopped_) {
      stopped_ = true;
      return;
    }
    if (stopping_) {
      cv_.Wait(lock, [this]() CRM_REQUIRES(mu_) { return stopped_; });
      return;
    }
    stopping_ = true;
    for (auto& w : weak_connections_) {
      if (auto c = w.lock()) live.push_back(std::move(c));
    }
  }
  LogLine("crm server: stopping (" + std::to_string(live.size()) + " connections)");
  asio::post(acceptor_strand_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    ticker_.cancel();
  });
  for (auto& c : live) asio::post(c->strand(), [c] { c->BeginStop(); });
  live.clear();  // the connections go once they are done
  {
    MutexLock lock(mu_);
    if (!cv_.WaitFor(lock, options_.stop_timeout,
                     [this]() CRM_REQUIRES(mu_) { return live_connections_ == 0; })) {
      LogLine("crm server: " + std::to_string(live_connections_) +
              " connections still busy after the stop timeout; closing them");
      for (auto& w : weak_connections_) {
        if (auto c = w.lock()) live.push_back(std::move(c));
      }
    }
  }
  // Closing drops unwritten responses; a connection still owed a reply by the
  // engine lives until the reply arrives (the engine always answers).
  for (auto& c : live) asio::post(c->strand(), [c] { c->Abort(); });
  live.clear();
  {
    MutexLock lock(mu_);
    cv_.Wait(lock, [this]() CRM_REQUIRES(mu_) {
      return live_connections_ == 0 && posts_in_flight_ == 0;
    });
  }
  work_.clear();
  for (auto& io : ios_) io->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  LogLine("crm server: stopped; " + std::to_string(connections_total_.load()) +
          " connections and " + std::to_string(requests_.load()) + " requests served");
  {
    MutexLock lock(mu_);
    stopped_ = true;
  }
  cv_.NotifyAll();
}

void Server::Impl::Wait() {
  MutexLock lock(mu_);
  cv_.Wait(lock, [this]() CRM_REQUIRES(mu_) { return stopped_; });
}

ServerStats Server::Impl::stats() const {
  ServerStats s;
  {
    MutexLock lock(mu_);
    s.connections = live_connections_;
  }
  s.connections_total = connections_total_.load();
  s.requests = requests_.load();
  s.refused_frames = refused_frames_.load();
  s.queued_bytes = queued_bytes_.load();
  s.queued_bytes_max = queued_bytes_max_.load();
  return s;
}

Server::Server(engine::Engine& engine, ServerOptions options) {
  auto handler = std::make_unique<Handler>(engine, options.limits);
  Handler* h = handler.get();
  impl_ = std::make_unique<Impl>([h](Session& session, kj::ArrayPtr<const capnp::word> frame,
                                     Reply reply) { h->Handle(session, frame, std::move(reply)); },
                                 std::move(options));
  impl_->owned_handler_ = std::move(handler);
  h->SetConnectionCounts([impl = impl_.get()] {
    ServerStats s = impl->stats();
    return std::pair<uint64_t, uint64_t>(s.connections, s.connections_total);
  });
}

Handler* Server::handler() const { return impl_->owned_handler_.get(); }

Server::Server(FrameHandler handler, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(options))) {}

Server::~Server() { Stop(); }

engine::Result<uint16_t> Server::Start() { return impl_->Start(); }
void Server::Stop() { impl_->Stop(); }
void Server::Wait() { impl_->Wait(); }
ServerStats Server::stats() const { return impl_->stats(); }

}  // namespace crm::protocol
