#include "loadgen/stream.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace crm::loadgen {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int DialTcp(const std::string& host, uint16_t port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addrs); rc != 0) {
    *error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = addrs; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      *error = "connect to " + where + ": " + std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addrs);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};  // set-up exchanges are blocking, but bounded
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

bool WriteAll(int fd, const std::string& bytes, std::string* error) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("send: ") + (n < 0 ? std::strerror(errno) : "closed");
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool ReadReply(int fd, std::string* buffer, long (*complete)(const char*, size_t), long* length,
               std::string* error) {
  for (;;) {
    long len = complete(buffer->data(), buffer->size());
    if (len < 0) {
      *error = "malformed reply";
      return false;
    }
    if (len > 0) {
      *length = len;
      return true;
    }
    char chunk[65536];
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("recv: ") + (n < 0 ? std::strerror(errno) : "connection closed");
      return false;
    }
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

StreamConnection::~StreamConnection() {
  if (fd_ >= 0) close(fd_);
}

bool StreamConnection::Flush(bool* pending) {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    out_sent_ += static_cast<size_t>(n);
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
  *pending = !out_.empty();
  return true;
}

bool StreamConnection::Read(std::vector<Call*>* done) {
  for (;;) {
    if (in_start_ > 0 && in_start_ == in_.size()) {
      in_.clear();
      in_start_ = 0;
    }
    const size_t old = in_.size();
    in_.resize(old + 65536);
    ssize_t n = recv(fd_, in_.data() + old, 65536, MSG_DONTWAIT);
    in_.resize(old + static_cast<size_t>(n > 0 ? n : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      error_ = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) {
      error_ = "the server closed the connection";
      return false;
    }
    while (!expected_.empty()) {
      Expected& e = expected_.front();
      long used = ParseReply(in_.data() + in_start_, in_.size() - in_start_, e.call);
      if (used < 0) return false;
      if (used == 0) break;
      in_start_ += static_cast<size_t>(used);
      if (--e.replies == 0) {
        done->push_back(e.call);
        expected_.pop_front();
      }
    }
    if (expected_.empty() && in_start_ < in_.size()) {
      error_ = "a reply nobody asked for";
      return false;
    }
    if (static_cast<size_t>(n) < 65536) break;
  }
  // Keep the buffer from creeping: move a partial reply to the front.
  if (in_start_ > (1 << 20)) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  return true;
}

}  // namespace crm::loadgen
