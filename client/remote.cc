// The remote transport: one TCP connection, non-blocking POSIX socket driven
// by poll() against a deadline, so every call is synchronous and bounded.
// Requests of a batch are written while responses are read (no deadlock
// when both directions fill up), and responses are matched in order.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crm/protocol/framing.h"
#include "transport.h"

namespace crm::client {

namespace {

using Clock = std::chrono::steady_clock;

std::string OsError(int err) { return std::strerror(err); }

class RemoteTransport final : public internal::Transport {
 public:
  explicit RemoteTransport(const RemoteOptions& options)
      : options_(options),
        limits_(options.limits),
        timeout_(options.connect_timeout),
        timeout_label_(options.connect_timeout) {}
  ~RemoteTransport() override { Close(); }

  // Resolves the host and connects, within the connect timeout, which the
  // hello that follows shares: Exchange() then times out with what is left
  // of it, until UseRequestTimeout().
  Status Open() {
    Clock::time_point deadline = Clock::now() + options_.connect_timeout;
    std::string where = options_.host + ":" + std::to_string(options_.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* addrs = nullptr;
    int rc =
        getaddrinfo(options_.host.c_str(), std::to_string(options_.port).c_str(), &hints, &addrs);
    if (rc != 0) {
      return Status::Unavailable("cannot resolve " + options_.host + ": " + gai_strerror(rc));
    }
    Status last = Status::Unavailable("connect to " + where + ": no address");
    for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
      last = ConnectOne(a, where, deadline);
      if (last.ok()) break;
    }
    freeaddrinfo(addrs);
    if (!last.ok()) return last;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // The hello shares the connect deadline.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    timeout_ = std::max(left, std::chrono::milliseconds(1));
    timeout_label_ = options_.connect_timeout;
    return Status::Ok();
  }

  // From now on each exchange has the request timeout.
  void UseRequestTimeout() {
    timeout_ = options_.request_timeout;
    timeout_label_ = options_.request_timeout;
  }

  Status Exchange(std::span<kj::Array<capnp::word>> requests,
                  std::vector<kj::Array<capnp::word>>* responses) override {
    if (fd_ < 0) return failed_;
    const Clock::time_point deadline = Clock::now() + timeout_;
    const size_t n = requests.size();
    size_t next = 0;         // first request not wholly sent
    size_t next_offset = 0;  // bytes of it already sent
    for (;;) {
      while (next < n) {
        Status s = SendSome(requests, &next, &next_offset);
        if (!s.ok()) return Fail(s);
        if (next < n) break;  // the socket is full: wait for POLLOUT
      }
      while (responses->size() < n) {
        kj::Array<capnp::word> frame;
        Status s = TakeFrame(&frame);
        if (!s.ok()) return Fail(s);
        if (frame.size() == 0) break;
        responses->push_back(std::move(frame));
      }
      if (responses->size() == n) return Status::Ok();
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Fail(TimedOut());
      if (options_.busy_poll.count() > 0 && next == n) {
        // Try to read for a moment before sleeping (RemoteOptions::busy_poll).
        const size_t before = end_;
        const auto until = Clock::now() + options_.busy_poll;
        while (end_ == before && Clock::now() < until) {
          Status s = ReadSome();
          if (!s.ok()) return Fail(s);
        }
        if (end_ != before) continue;
      }
      pollfd p{fd_, static_cast<short>(POLLIN | (next < n ? POLLOUT : 0)), 0};
      int rc = poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, INT_MAX)));
      if (rc < 0) {
        if (errno == EINTR) continue;
        return Fail(Status::Unavailable("poll: " + OsError(errno)));
      }
      if (rc == 0) continue;  // the deadline check above ends the wait
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        Status s = ReadSome();
        if (!s.ok()) return Fail(s);
      }
    }
  }

 private:
  Status ConnectOne(const addrinfo* a, const std::string& where, Clock::time_point deadline) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) return Status::Unavailable("socket: " + OsError(errno));
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        int err = errno;
        close(fd);
        return Status::Unavailable("connect to " + where + ": " + OsError(err));
      }
      for (;;) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
          close(fd);
          return Status::Unavailable("connect to " + where + ": timed out after " +
                                     std::to_string(options_.connect_timeout.count()) + " ms");
        }
        pollfd p{fd, POLLOUT, 0};
        int rc = poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, INT_MAX)));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) {
          int err = errno;
          close(fd);
          return Status::Unavailable("poll: " + OsError(err));
        }
        if (rc > 0) break;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        close(fd);
        return Status::Unavailable("connect to " + where + ": " + OsError(err));
      }
    }
    fd_ = fd;
    return Status::Ok();
  }

  Status TimedOut() const {
    return Status::Unavailable("timed out after " + std::to_string(timeout_label_.count()) + " ms");
  }

  // Closes the connection: after a transport error its state is unknown
  // (responses may still be on their way), so it is not used again.
  Status Fail(Status why) {
    failed_ = Status::Unavailable("connection closed after an earlier error: " + why.message());
    Close();
    return why;
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // Writes as much of the unsent requests as the socket takes.
  Status SendSome(std::span<kj::Array<capnp::word>> requests, size_t* next, size_t* offset) {
    constexpr size_t kMaxIov = 64;
    iovec iov[kMaxIov];
    size_t count = 0;
    for (size_t i = *next; i < requests.size() && count < kMaxIov; ++i) {
      auto bytes = requests[i].asBytes();
      size_t skip = i == *next ? *offset : 0;
      iov[count].iov_base = const_cast<kj::byte*>(bytes.begin()) + skip;
      iov[count].iov_len = bytes.size() - skip;
      ++count;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t sent;
    do {
      sent = sendmsg(fd_, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
      return Status::Unavailable("send: " + OsError(errno));
    }
    size_t left = static_cast<size_t>(sent);
    while (left > 0 && *next < requests.size()) {
      size_t rest = requests[*next].asBytes().size() - *offset;
      if (left >= rest) {
        left -= rest;
        ++*next;
        *offset = 0;
      } else {
        *offset += left;
        left = 0;
      }
    }
    return Status::Ok();
  }

  // Reads what the socket has into the input buffer.
  Status ReadSome() {
    constexpr size_t kChunk = 64 * 1024;
    if (start_ > 0 && (start_ == end_ || buffer_.size() - end_ < kChunk)) {
      std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (buffer_.size() - end_ < kChunk) buffer_.resize(end_ + kChunk);
    ssize_t got;
    do {
      got = read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    } while (got < 0 && errno == EINTR);
    if (got == 0) return Status::Unavailable("connection closed by the server");
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
      return Status::Unavailable("receive: " + OsError(errno));
    }
    end_ += static_cast<size_t>(got);
    return Status::Ok();
  }

  // Moves one whole frame out of the input buffer if it holds one; leaves
  // `frame` empty if not. A frame whose table breaks the limits is an error.
  Status TakeFrame(kj::Array<capnp::word>* frame) {
    size_t have = end_ - start_;
    if (have < 4) return Status::Ok();
    const uint8_t* p = buffer_.data() + start_;
    auto table = protocol::TableBytes(std::span<const uint8_t, 4>(p, 4), limits_);
    if (!table.ok()) return Status::Unavailable("bad response frame: " + table.status().message());
    if (have < *table) return Status::Ok();
    auto header = protocol::ParseFrameHeader(std::span<const uint8_t>(p, *table), limits_);
    if (!header.ok()) {
      return Status::Unavailable("bad response frame: " + header.status().message());
    }
    if (have < header->total_bytes) {
      // Make room for the whole frame at once.
      if (buffer_.size() - start_ < header->total_bytes) {
        buffer_.resize(start_ + header->total_bytes);
      }
      return Status::Ok();
    }
    *frame = kj::heapArray<capnp::word>(header->total_bytes / sizeof(capnp::word));
    std::memcpy(frame->begin(), p, header->total_bytes);
    start_ += header->total_bytes;
    if (start_ == end_) start_ = end_ = 0;
    return Status::Ok();
  }

  RemoteOptions options_;
  protocol::Limits limits_;                  // what a response frame may claim
  std::chrono::milliseconds timeout_;        // deadline of one Exchange
  std::chrono::milliseconds timeout_label_;  // what "timed out after" reports
  int fd_ = -1;
  Status failed_ = Status::Unavailable("not connected");
  std::vector<uint8_t> buffer_;
  size_t start_ = 0, end_ = 0;  // unread bytes are buffer_[start_, end_)
};

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const RemoteOptions& options) {
  auto transport = std::make_unique<RemoteTransport>(options);
  CRM_RETURN_IF_ERROR(transport->Open());
  RemoteTransport* remote = transport.get();  // owned by the client below
  std::unique_ptr<Client> client(new Client(std::move(transport), options.limits));
  Status hello = client->Hello(options.token);
  remote->UseRequestTimeout();
  if (!hello.ok()) return hello;
  return client;
}

}  // namespace crm::client
