// The TCP server with real sockets on 127.0.0.1: hostile frames, pipelining,
// backpressure and graceful shutdown. Every wait is bounded.
#include "crm/protocol/server.h"

#include <arpa/inet.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crm.capnp.h"
#include "crm/protocol/users.h"
#include "engine/test_util.h"

namespace crm::protocol {
namespace {

using namespace std::chrono_literals;

// A blocking client socket with send and receive timeouts.
class RawClient {
 public:
  explicit RawClient(uint16_t port, std::chrono::milliseconds timeout = 5000ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    SetTimeouts(timeout, timeout);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  void SetTimeouts(std::chrono::milliseconds recv, std::chrono::milliseconds send) {
    auto tv = [](std::chrono::milliseconds ms) {
      timeval t{};
      t.tv_sec = ms.count() / 1000;
      t.tv_usec = (ms.count() % 1000) * 1000;
      return t;
    };
    timeval r = tv(recv), s = tv(send);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s));
  }

  // All of `bytes`, or false (timeout, peer gone).
  bool Send(const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::send(fd_, p, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      p += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }
  bool Send(const kj::Array<capnp::word>& frame) {
    auto b = frame.asBytes();
    return Send(b.begin(), b.size());
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Exactly `size` bytes; false on timeout or end of stream.
  bool Recv(void* data, size_t size) {
    char* p = static_cast<char*>(data);
    while (size > 0) {
      ssize_t n = ::recv(fd_, p, size, 0);
      if (n <= 0) return false;
      p += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  // The next whole frame, or nullopt on end of stream / timeout.
  std::optional<kj::Array<capnp::word>> ReadFrame() {
    uint32_t count = 0;
    if (!Recv(&count, 4)) return std::nullopt;
    if (count > 1000) return std::nullopt;
    std::vector<uint32_t> sizes(count + 1);
    if (!Recv(sizes.data(), 4 * sizes.size())) return std::nullopt;
    size_t table_words = (1 + sizes.size() + 1) / 2;
    size_t words = table_words;
    for (uint32_t s : sizes) words += s;
    auto frame = kj::heapArray<capnp::word>(words);
    auto bytes = frame.asBytes();
    uint32_t first = count;
    std::memcpy(bytes.begin(), &first, 4);
    std::memcpy(bytes.begin() + 4, sizes.data(), 4 * sizes.size());
    const size_t table_bytes = 8 * table_words;
    std::memset(bytes.begin() + 4 + 4 * sizes.size(), 0, table_bytes - 4 - 4 * sizes.size());
    if (!Recv(bytes.begin() + table_bytes, bytes.size() - table_bytes)) return std::nullopt;
    return frame;
  }

  // True when the server closes the connection within the receive timeout
  // (anything it still sends first is skipped).
  bool ClosedByPeer() {
    char buf[4096];
    for (int i = 0; i < 1000; ++i) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
    return false;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Sets `done` and joins `thread` when the scope ends, also when an ASSERT
// returns early, so a failing test never terminates the binary.
class JoinOnExit {
 public:
  JoinOnExit(std::thread& thread, std::atomic<bool>& done) : thread_(thread), done_(done) {}
  ~JoinOnExit() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;

 private:
  std::thread& thread_;
  std::atomic<bool>& done_;
};

// A parsed response that owns its bytes.
struct Response {
  kj::Array<capnp::word> frame;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader;
  wire::Response::Reader get() { return reader->getRoot<wire::Response>(); }
};

std::optional<Response> ReadResponse(RawClient& client) {
  auto frame = client.ReadFrame();
  if (!frame) return std::nullopt;
  Response r;
  r.frame = kj::mv(*frame);
  r.reader = std::make_unique<capnp::FlatArrayMessageReader>(r.frame.asPtr());
  return r;
}

kj::Array<capnp::word> HelloFrame(uint64_t id, const std::string& token) {
  capnp::MallocMessageBuilder b;
  auto req = b.initRoot<wire::Request>();
  req.setId(id);
  auto hello = req.initHello();
  hello.setProtocolVersion(kProtocolVersion);
  hello.setToken(token);
  return capnp::messageToFlatArray(b);
}

kj::Array<capnp::word> CardByIdFrame(uint64_t id, engine::Id customer) {
  capnp::MallocMessageBuilder b;
  auto req = b.initRoot<wire::Request>();
  req.setId(id);
  req.initCard().initKey().setId(customer);
  return capnp::messageToFlatArray(b);
}

kj::Array<capnp::word> CreateCustomerFrame(uint64_t id, const std::string& name) {
  capnp::MallocMessageBuilder b;
  auto req = b.initRoot<wire::Request>();
  req.setId(id);
  auto write = req.initWrite();
  auto ops = write.initOps(1);
  auto customer = ops[0].initCreate().initCustomer();
  customer.setName(name);
  customer.initTags(1).set(0, "server-test");
  return capnp::messageToFlatArray(b);
}

std::vector<uint8_t> Le32s(std::initializer_list<uint32_t> values) {
  std::vector<uint8_t> out;
  for (uint32_t v : values) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  return out;
}

// An engine with an admin token and one customer, served on 127.0.0.1.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::OpenEngine(dir_.path());
    ASSERT_NE(engine_, nullptr);
    engine::User admin;
    admin.name = "admin";
    admin.role = engine::Role::kAdmin;
    auto token = CreateUserWithToken(*engine_, engine::Actor{}, admin);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    token_ = *token;
    engine::Customer c;
    c.name = "Ada Lovelace";
    auto id = engine_->Create(engine::Actor{}, engine::Record(c));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    customer_ = *id;
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    engine_.reset();
  }

  uint16_t StartServer(ServerOptions options = {}) {
    options.listen_address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(*engine_, options);
    auto port = server_->Start();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    return port.ok() ? *port : 0;
  }

  // Connects and says hello; false if anything goes wrong.
  bool Hello(RawClient& client) {
    if (!client.connected() || !client.Send(HelloFrame(1, token_))) return false;
    auto r = ReadResponse(client);
    if (!r) {
      ADD_FAILURE() << "no response to hello";
      return false;
    }
    if (r->get().getId() != 1 || !r->get().isHello()) {
      ADD_FAILURE() << "hello answered with " << r->get().toString().flatten().cStr();
      return false;
    }
    return true;
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Server> server_;
  std::string token_;
  engine::Id customer_ = 0;
};

// Expects an error response with id 0 (or none) and then the connection closed.
void ExpectRefusedAndClosed(RawClient& client, const char* what) {
  SCOPED_TRACE(what);
  auto r = ReadResponse(client);
  if (r) {
    auto resp = r->get();
    EXPECT_TRUE(resp.isError());
    if (resp.isError()) {
      EXPECT_NE(resp.getError().getCode(), 0);
    }
  }
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST_F(ServerTest, HostileFramesAreRefusedWhileAWellBehavedClientKeepsWorking) {
  ServerOptions options;
  options.limits.nesting_limit = 4;  // hello and a card by id fit; a write does not
  const uint16_t port = StartServer(options);
  ASSERT_NE(port, 0);

  std::atomic<bool> done{false};
  std::atomic<int> good{0}, bad{0};
  std::thread well_behaved([&] {
    RawClient client(port);
    if (!Hello(client)) {
      bad++;
      return;
    }
    for (uint64_t id = 2; !done && id < 1'000'000; ++id) {
      if (!client.Send(CardByIdFrame(id, customer_))) {
        bad++;
        return;
      }
      auto r = ReadResponse(client);
      if (r && r->get().getId() == id && r->get().isCard() &&
          r->get().getCard().getCustomer().getName() == "Ada Lovelace") {
        good++;
      } else {
        bad++;
        return;
      }
    }
  });
  JoinOnExit join_well_behaved(well_behaved, done);

  {  // Truncated frame, then the peer closes: the server just drops it.
    RawClient c(port);
    auto head = Le32s({0, 10});
    ASSERT_TRUE(c.Send(head.data(), head.size()));
    std::vector<uint8_t> some(24, 0xAB);
    ASSERT_TRUE(c.Send(some.data(), some.size()));
    c.ShutdownWrite();
    EXPECT_TRUE(c.ClosedByPeer());
  }
  {  // One segment of 2^32 - 1 words (32 GiB) and one of exactly 4 GiB.
    RawClient c(port);
    auto head = Le32s({0, 0xFFFFFFFFu});
    ASSERT_TRUE(c.Send(head.data(), head.size()));
    ExpectRefusedAndClosed(c, "32 GiB segment");
    RawClient d(port);
    head = Le32s({0, 0x20000000u});
    ASSERT_TRUE(d.Send(head.data(), head.size()));
    ExpectRefusedAndClosed(d, "4 GiB segment");
  }
  {  // Count field 0xFFFFFFFF: 2^32 segments, not 0.
    RawClient c(port);
    auto head = Le32s({0xFFFFFFFFu, 1});
    ASSERT_TRUE(c.Send(head.data(), head.size()));
    ExpectRefusedAndClosed(c, "2^32 segments");
  }
  {  // 513 segments.
    RawClient c(port);
    auto head = Le32s({512});
    ASSERT_TRUE(c.Send(head.data(), head.size()));
    ExpectRefusedAndClosed(c, "513 segments");
  }
  {  // A frame of zero words.
    RawClient c(port);
    auto head = Le32s({0, 0});
    ASSERT_TRUE(c.Send(head.data(), head.size()));
    ExpectRefusedAndClosed(c, "zero words");
  }
  {  // Sizes that each fit but sum past the cap.
    RawClient c(port);
    auto head = Le32s({1, 1u << 20, 1u << 20, 0});
    ASSERT_TRUE(c.Send(head.data(), head.size()));
    ExpectRefusedAndClosed(c, "sum past the cap");
  }
  {  // A valid table followed by garbage words.
    RawClient c(port);
    std::vector<uint8_t> frame = Le32s({0, 16});
    std::mt19937 rng(7);
    for (int i = 0; i < 16 * 8; ++i) frame.push_back(static_cast<uint8_t>(rng()));
    ASSERT_TRUE(c.Send(frame.data(), frame.size()));
    ExpectRefusedAndClosed(c, "garbage words");
  }
  {  // Too deeply nested for the server's nesting limit (after hello).
    RawClient c(port);
    ASSERT_TRUE(Hello(c));
    ASSERT_TRUE(c.Send(CreateCustomerFrame(9, "Too Deep")));
    auto r = ReadResponse(c);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->get().isError());
    EXPECT_TRUE(c.ClosedByPeer());
  }
  {  // A request before hello: an error with the request's id, then close.
    RawClient c(port);
    ASSERT_TRUE(c.Send(CardByIdFrame(42, customer_)));
    auto r = ReadResponse(c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get().getId(), 42u);
    ASSERT_TRUE(r->get().isError());
    EXPECT_EQ(r->get().getError().getCode(), static_cast<uint8_t>(engine::Code::kPermissionDenied));
    EXPECT_TRUE(c.ClosedByPeer());
  }
  {  // A bad token.
    RawClient c(port);
    ASSERT_TRUE(c.Send(HelloFrame(5, "crm_nope")));
    auto r = ReadResponse(c);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->get().isError());
    EXPECT_TRUE(c.ClosedByPeer());
  }
  // Let the good client run a little past the last bad frame.
  for (int i = 0; i < 200 && good < 50; ++i) std::this_thread::sleep_for(10ms);
  done = true;
  well_behaved.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(good.load(), 0);
  EXPECT_GE(server_->stats().refused_frames, 6u);
  // No connection is left behind but the ones that still close.
  for (int i = 0; i < 200 && server_->stats().connections > 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server_->stats().connections, 0u);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  const uint16_t port = StartServer();
  RawClient client(port);
  ASSERT_TRUE(Hello(client));
  constexpr int kRequests = 100;
  std::string batch;
  for (int i = 0; i < kRequests; ++i) {
    const uint64_t id = 100 + i;
    auto frame = i % 3 == 1 ? CreateCustomerFrame(id, "Pipelined " + std::to_string(i))
                            : CardByIdFrame(id, customer_);
    auto b = frame.asBytes();
    batch.append(reinterpret_cast<const char*>(b.begin()), b.size());
  }
  ASSERT_TRUE(client.Send(batch.data(), batch.size()));
  std::vector<engine::Id> created;
  for (int i = 0; i < kRequests; ++i) {
    auto r = ReadResponse(client);
    ASSERT_TRUE(r) << "response " << i;
    auto resp = r->get();
    ASSERT_EQ(resp.getId(), uint64_t(100 + i));
    if (i % 3 == 1) {
      ASSERT_TRUE(resp.isWrite()) << i;
      ASSERT_EQ(resp.getWrite().size(), 1u);
      ASSERT_TRUE(resp.getWrite()[0].isOk());
      created.push_back(resp.getWrite()[0].getOk().getId());
    } else {
      ASSERT_TRUE(resp.isCard()) << i;
      EXPECT_EQ(resp.getCard().getCustomer().getId(), customer_);
    }
  }
  for (size_t i = 0; i < created.size(); ++i) {
    auto c = engine_->GetCustomer(created[i]);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->name, "Pipelined " + std::to_string(3 * i + 1));
  }
}

// A handler that answers every request later, from its own thread, in a
// random order: the server must still write the responses in request order.
TEST(ServerOrderTest, OutOfOrderRepliesAreWrittenInRequestOrder) {
  std::mutex mu;
  std::vector<std::pair<kj::Array<capnp::word>, Reply>> pending;
  std::atomic<bool> stop{false};
  FrameHandler echo = [&](Session&, kj::ArrayPtr<const capnp::word> frame, Reply reply) {
    std::lock_guard lock(mu);
    pending.emplace_back(kj::heapArray<capnp::word>(frame), std::move(reply));
  };
  std::thread replier([&] {
    std::mt19937 rng(1);
    while (!stop) {
      std::vector<std::pair<kj::Array<capnp::word>, Reply>> take;
      {
        std::lock_guard lock(mu);
        take.swap(pending);
      }
      std::shuffle(take.begin(), take.end(), rng);
      for (auto& [frame, reply] : take) reply(kj::mv(frame), false);
      std::this_thread::sleep_for(1ms);
    }
  });
  JoinOnExit join_replier(replier, stop);
  ServerOptions options;
  options.max_in_flight = 16;
  Server server(echo, options);
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  {
    RawClient client(*port);
    std::string batch;
    for (uint64_t id = 1; id <= 500; ++id) {
      auto frame = CardByIdFrame(id, 1);
      auto b = frame.asBytes();
      batch.append(reinterpret_cast<const char*>(b.begin()), b.size());
    }
    std::atomic<bool> unused{false};
    std::thread sender([&] { client.Send(batch.data(), batch.size()); });
    JoinOnExit join_sender(sender, unused);
    for (uint64_t id = 1; id <= 500; ++id) {
      auto frame = client.ReadFrame();
      ASSERT_TRUE(frame) << id;
      capnp::FlatArrayMessageReader reader(frame->asPtr());
      ASSERT_EQ(reader.getRoot<wire::Request>().getId(), id);
    }
  }
  server.Stop();
}

TEST_F(ServerTest, AClientThatNeverReadsCostsBoundedMemory) {
  ServerOptions options;
  options.max_in_flight = 32;
  options.max_outbound_bytes = 64 << 10;
  const uint16_t port = StartServer(options);

  RawClient hog(port, 1000ms);
  ASSERT_TRUE(Hello(hog));
  hog.SetTimeouts(1000ms, 500ms);
  // Send card requests until the server stops reading and the kernel buffers
  // fill: send() then times out.
  auto one = CardByIdFrame(7, customer_);
  std::string chunk;
  for (int i = 0; i < 256; ++i) {
    auto b = one.asBytes();
    chunk.append(reinterpret_cast<const char*>(b.begin()), b.size());
  }
  size_t sent_chunks = 0;
  for (; sent_chunks < 20000; ++sent_chunks) {
    if (!hog.Send(chunk.data(), chunk.size())) break;
  }
  EXPECT_LT(sent_chunks, 20000u) << "the server never pushed back";
  const auto stats = server_->stats();
  // The response queue may pass max_outbound_bytes by the responses to the
  // requests in flight, each a small card here (well under 4 KiB).
  EXPECT_LE(stats.queued_bytes_max, options.max_outbound_bytes + options.max_in_flight * 4096);
  EXPECT_GT(stats.queued_bytes_max, 0u);

  // Others are still served.
  RawClient other(port);
  ASSERT_TRUE(Hello(other));
  for (uint64_t id = 2; id < 50; ++id) {
    ASSERT_TRUE(other.Send(CardByIdFrame(id, customer_)));
    auto r = ReadResponse(other);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get().getId(), id);
    EXPECT_TRUE(r->get().isCard());
  }
  EXPECT_LE(server_->stats().queued_bytes_max,
            options.max_outbound_bytes + options.max_in_flight * 4096);
}

TEST_F(ServerTest, StopWithWritesInFlightKeepsEveryAcknowledgedWrite) {
  const uint16_t port = StartServer();
  RawClient client(port, 10000ms);
  ASSERT_TRUE(Hello(client));
  constexpr int kWrites = 3000;
  std::vector<std::pair<uint64_t, engine::Id>> acknowledged;
  std::atomic<int> acknowledged_count{0};
  std::thread reader([&] {
    for (int i = 0; i < kWrites; ++i) {
      auto r = ReadResponse(client);
      if (!r) return;  // closed by the shutdown
      auto resp = r->get();
      if (resp.isWrite() && resp.getWrite().size() == 1 && resp.getWrite()[0].isOk()) {
        acknowledged.emplace_back(resp.getId(), resp.getWrite()[0].getOk().getId());
        acknowledged_count++;
      }
    }
  });
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      if (!client.Send(CreateCustomerFrame(1000 + i, "Stop " + std::to_string(i)))) return;
    }
  });
  std::atomic<bool> unused{false};
  JoinOnExit join_reader(reader, unused);
  JoinOnExit join_writer(writer, unused);
  // Stop while the writes stream in: some are answered, the rest never read.
  for (int i = 0; i < 500 && acknowledged_count < 10; ++i) std::this_thread::sleep_for(1ms);
  server_->Stop();
  writer.join();
  reader.join();
  EXPECT_GT(acknowledged.size(), 0u);
  std::printf("stop: %zu of %d writes acknowledged before the close\n", acknowledged.size(),
              kWrites);
  EXPECT_EQ(server_->stats().connections, 0u);
  // Every request the server read (hello aside) was answered before the close.
  EXPECT_EQ(acknowledged.size() + 1, server_->stats().requests);
  server_.reset();
  engine_.reset();
  engine_ = testing::OpenEngine(dir_.path());
  ASSERT_NE(engine_, nullptr);
  for (auto [request, id] : acknowledged) {
    auto c = engine_->GetCustomer(id);
    ASSERT_TRUE(c.ok()) << "acknowledged write " << request << " lost";
    EXPECT_EQ(c->name, "Stop " + std::to_string(request - 1000));
  }
  // Acknowledgements came in request order.
  for (size_t i = 1; i < acknowledged.size(); ++i) {
    EXPECT_LT(acknowledged[i - 1].first, acknowledged[i].first);
  }
}

TEST_F(ServerTest, StartFailsOnAnAddressInUse) {
  const uint16_t port = StartServer();
  ServerOptions options;
  options.port = port;
  Server second(*engine_, options);
  auto r = second.Start();
  EXPECT_FALSE(r.ok());
}

// A handler that answers every frame at once with the frame itself.
FrameHandler EchoHandler() {
  return [](Session&, kj::ArrayPtr<const capnp::word> frame, Reply reply) {
    reply(kj::heapArray<capnp::word>(frame), false);
  };
}

TEST(ServerLimitsTest, OneConnectionPastTheCapGetsUnavailableAndTheOthersGoOn) {
  ServerOptions options;
  options.max_connections = 2;
  Server server(EchoHandler(), options);
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  RawClient a(*port), b(*port);
  ASSERT_TRUE(a.connected() && b.connected());
  // Both are accepted (each answers) before the third arrives.
  for (RawClient* c : {&a, &b}) {
    ASSERT_TRUE(c->Send(CardByIdFrame(1, 1)));
    ASSERT_TRUE(c->ReadFrame().has_value());
  }
  RawClient third(*port);
  ASSERT_TRUE(third.connected());
  auto refusal = third.ReadFrame();
  ASSERT_TRUE(refusal.has_value()) << "the refused connection is told why";
  capnp::FlatArrayMessageReader reader(*refusal);
  auto response = reader.getRoot<wire::Response>();
  ASSERT_TRUE(response.isError());
  EXPECT_EQ(response.getError().getCode(), static_cast<uint8_t>(engine::Code::kUnavailable));
  EXPECT_NE(std::string(response.getError().getMessage().cStr()).find("limit of 2"),
            std::string::npos);
  EXPECT_TRUE(third.ClosedByPeer());
  // The first two still work.
  for (RawClient* c : {&a, &b}) {
    ASSERT_TRUE(c->Send(CardByIdFrame(2, 1)));
    EXPECT_TRUE(c->ReadFrame().has_value());
  }
}

TEST(ServerLimitsTest, APeerTricklingAFrameIsClosedAtTheFrameTimeout) {
  ServerOptions options;
  options.frame_timeout = 200ms;
  Server server(EchoHandler(), options);
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  RawClient slow(*port, 5000ms);
  auto frame = CardByIdFrame(1, 1);
  // Half a frame, then silence.
  ASSERT_TRUE(slow.Send(frame.asBytes().begin(), frame.asBytes().size() / 2));
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  // A connection that sends whole frames is unaffected by the timeout.
  RawClient good(*port);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(good.Send(CardByIdFrame(i + 1, 1)));
    ASSERT_TRUE(good.ReadFrame().has_value());
    std::this_thread::sleep_for(300ms);  // idle between frames is fine
  }
}

TEST(ServerLimitsTest, IdleTimeoutClosesSilentConnectionsOnlyWhenSet) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  Server server(EchoHandler(), options);
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  RawClient silent(*port, 5000ms);
  ASSERT_TRUE(silent.connected());
  EXPECT_TRUE(silent.ClosedByPeer());

  ServerOptions patient;  // idle_timeout 0: never
  Server server2(EchoHandler(), patient);
  auto port2 = server2.Start();
  ASSERT_TRUE(port2.ok());
  RawClient idle(*port2, 500ms);
  std::this_thread::sleep_for(400ms);
  ASSERT_TRUE(idle.Send(CardByIdFrame(1, 1)));
  EXPECT_TRUE(idle.ReadFrame().has_value()) << "an idle connection stays open by default";
}

TEST(ServerLimitsTest, AHugeClaimIsReadAsItArrives) {
  Server server(EchoHandler(), ServerOptions{});
  auto port = server.Start();
  ASSERT_TRUE(port.ok());
  // A 1 MiB frame (one segment of zero words after a struct pointer) sent
  // in pieces: the buffer grows with the data and the frame is handled whole.
  constexpr size_t kWords = (1 << 20) / 8;
  auto frame = kj::heapArray<capnp::word>(kWords);
  std::memset(frame.begin(), 0, frame.asBytes().size());
  uint32_t table[2] = {0, static_cast<uint32_t>(kWords - 1)};
  std::memcpy(frame.begin(), table, sizeof(table));
  RawClient client(*port);
  auto bytes = frame.asBytes();
  for (size_t at = 0; at < bytes.size(); at += 100'000) {
    ASSERT_TRUE(client.Send(bytes.begin() + at, std::min<size_t>(100'000, bytes.size() - at)));
  }
  auto echoed = client.ReadFrame();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->size(), kWords);
}

}  // namespace
}  // namespace crm::protocol
