// A connection over a plain TCP socket with its own buffers, for protocols
// the load generator speaks itself (crm frames, RESP): requests are appended
// to an output buffer, replies are parsed in place from an input buffer and
// matched to calls in order (both servers answer a connection in order).
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "loadgen/loadgen.h"

namespace crm::loadgen {

class StreamConnection : public Connection {
 public:
  explicit StreamConnection(int fd) : fd_(fd) {}
  ~StreamConnection() override;
  int fd() const override { return fd_; }
  bool Flush(bool* pending) override;
  bool Read(std::vector<Call*>* done) override;
  const std::string& error() const override { return error_; }

 protected:
  // Parses one reply at the front of [p, p + n) for `call` (its outcome goes
  // into the call); returns the bytes it took, 0 if the reply is not whole
  // yet, or -1 if the stream is broken (error_ set).
  virtual long ParseReply(const char* p, size_t n, Call* call) = 0;

  // Requests of a step: `replies` replies complete it.
  void Expect(Call* call, int replies) { expected_.push_back({call, replies}); }
  std::string& out() { return out_; }
  std::string error_;

 private:
  struct Expected {
    Call* call;
    int replies;
  };
  int fd_;
  std::string out_;
  size_t out_sent_ = 0;
  std::string in_;
  size_t in_start_ = 0;
  std::deque<Expected> expected_;
};

// Blocking helpers for set-up: writes all of `bytes`; reads until
// `complete(buffer)` returns the reply's length (> 0), within a few seconds.
bool WriteAll(int fd, const std::string& bytes, std::string* error);
bool ReadReply(int fd, std::string* buffer, long (*complete)(const char*, size_t),
               long* length, std::string* error);

}  // namespace crm::loadgen
