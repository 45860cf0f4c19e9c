// The client library against a real server on loopback and a real LMDB
// directory: remote and embedded give the same answers, pipelined batches
// come back in order, acknowledged writes survive a restart, and transport
// failures (closed port, silent server, bad token) surface as the right
// Status within their deadlines.
#include "crm/client/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crm/engine/engine.h"
#include "crm/protocol/server.h"
#include "client/client_test_util.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"

namespace crm::client {
namespace {

using engine::CardKey;
using engine::Code;
using engine::EntityKind;
using engine::Id;
using testing::CreateOp;
using testing::DeleteOp;
using testing::Mobile;
using testing::TempDir;
using testing::UpdateOp;
using Clock = std::chrono::steady_clock;

// Makes the first admin of an empty directory through an embedded local
// admin, and returns its token.
std::string Bootstrap(const std::string& dir) {
  EmbeddedOptions options;
  options.engine = testing::ClientEngineOptions(dir);
  options.local_admin = true;
  auto client = Client::OpenEmbedded(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (!client.ok()) return {};
  auto admin = (*client)->CreateUser("admin", engine::Role::kAdmin, "hq");
  EXPECT_TRUE(admin.ok()) << admin.status().ToString();
  return admin.ok() ? admin->token : std::string();
}

// A crmd in this process: the engine on `dir` behind a Server on an
// ephemeral loopback port.
class TestServer {
 public:
  explicit TestServer(const std::string& dir) : dir_(dir) { Start(); }
  ~TestServer() { Stop(); }

  void Start() {
    auto engine = engine::Engine::Open(testing::ClientEngineOptions(dir_));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    protocol::ServerOptions options;
    options.port = port_;  // 0 the first time; the same port on restart
    options.stop_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<protocol::Server>(*engine_, options);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
  }

  void Stop() {
    if (server_) server_->Stop();
    server_.reset();
    engine_.reset();
  }

  uint16_t port() const { return port_; }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<protocol::Server> server_;
};

std::unique_ptr<Client> MustConnect(uint16_t port, const std::string& token) {
  RemoteOptions options;
  options.port = port;
  options.token = token;
  auto client = Client::Connect(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

std::unique_ptr<Client> MustOpenEmbedded(const std::string& dir, const std::string& token) {
  EmbeddedOptions options;
  options.engine = testing::ClientEngineOptions(dir);
  options.token = token;
  auto client = Client::OpenEmbedded(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

// ---- field-by-field comparison of everything a call returns

void Same(const Status& a, const Status& b) {
  EXPECT_EQ(a.code(), b.code()) << a.ToString() << " vs " << b.ToString();
  EXPECT_EQ(a.message(), b.message());
  EXPECT_EQ(a.field(), b.field());
  EXPECT_EQ(a.existing_id(), b.existing_id());
}

template <typename T>
void SameValue(const T& a, const T& b) {
  EXPECT_TRUE(a == b);
}

void SameValue(const engine::WriteResult& a, const engine::WriteResult& b) {
  Same(a.status, b.status);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.revision, b.revision);
}

void SameValue(const engine::StoreCounts& a, const engine::StoreCounts& b) {
  crm::testing::ExpectSameCounts(a, b);
}

void SameValue(const engine::HistoryEntry& a, const engine::HistoryEntry& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_TRUE(a.interaction == b.interaction);
  EXPECT_TRUE(a.transaction == b.transaction);
}

void SameValue(const CreatedUser& a, const CreatedUser& b) {
  EXPECT_TRUE(a.user == b.user);
  EXPECT_FALSE(a.token.empty());
  EXPECT_FALSE(b.token.empty());
}

template <typename T>
void SameValue(const std::vector<T>& a, const std::vector<T>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("[" + std::to_string(i) + "]");
    SameValue(a[i], b[i]);
  }
}

void SameValue(const engine::HistoryPage& a, const engine::HistoryPage& b) {
  SameValue(a.entries, b.entries);
  EXPECT_EQ(a.next_cursor, b.next_cursor);
}

void SameValue(const engine::CustomerCard& a, const engine::CustomerCard& b) {
  crm::testing::ExpectSameCard(a, b);
}

template <typename T>
void Same(const Result<T>& a, const Result<T>& b) {
  ASSERT_EQ(a.ok(), b.ok()) << (a.ok() ? "ok" : a.status().ToString()) << " vs "
                            << (b.ok() ? "ok" : b.status().ToString());
  if (a.ok()) {
    SameValue(*a, *b);
  } else {
    Same(a.status(), b.status());
  }
}

Result<bool> AsResult(const Status& s) { return s.ok() ? Result<bool>(true) : Result<bool>(s); }

// Runs `call` on both clients and expects the same result; returns the
// remote one.
template <typename Call>
auto Both(Client& remote, Client& embedded, const char* what, Call call) {
  SCOPED_TRACE(what);
  auto a = call(remote);
  auto b = call(embedded);
  Same(a, b);
  return a;
}

// Both() where only the agreement matters, not the result.
template <typename Call>
void Agree(Client& remote, Client& embedded, const char* what, Call call) {
  [[maybe_unused]] auto result = Both(remote, embedded, what, call);
}

// ---- the tests

TEST(ClientTest, RemoteAndEmbeddedGiveTheSameResults) {
  TempDir remote_dir, embedded_dir;
  std::string remote_token = Bootstrap(remote_dir.path());
  std::string embedded_token = Bootstrap(embedded_dir.path());
  ASSERT_FALSE(remote_token.empty());
  ASSERT_FALSE(embedded_token.empty());
  TestServer server(remote_dir.path());
  auto remote = MustConnect(server.port(), remote_token);
  auto embedded = MustOpenEmbedded(embedded_dir.path(), embedded_token);
  ASSERT_NE(remote, nullptr);
  ASSERT_NE(embedded, nullptr);
  EXPECT_TRUE(remote->user() == embedded->user());
  EXPECT_EQ(remote->user().name, "admin");
  Client& r = *remote;
  Client& e = *embedded;
  const engine::Micros t0 = testing::kTestNow - 3'600'000'000;

  Agree(r, e, "counts", [](Client& c) { return c.Counts(); });
  auto agent = Both(r, e, "create user", [](Client& c) {
    return c.CreateUser("agent-1", engine::Role::kAgent, "east");
  });
  Agree(r, e, "list users", [](Client& c) { return c.ListUsers(); });

  // Customers, contacts and history in one non-atomic write.
  auto writes = Both(r, e, "write", [&](Client& c) {
    engine::Customer li = testing::Individual("李明", {Mobile(1)}, {"li.ming@example.com"});
    li.external_ref = "ERP-1";
    engine::Customer acme = testing::Organization("Acme 有限公司", {Mobile(2)});
    acme.relations.push_back({1, engine::RelationKind::kPartner});
    std::vector<engine::WriteOp> ops;
    ops.push_back(CreateOp(li));
    ops.push_back(CreateOp(acme));
    ops.push_back(CreateOp(testing::ContactOf(2, "Wang", {Mobile(3)})));
    for (int i = 0; i < 5; ++i) {
      auto it = testing::InteractionOf(1, t0 + i * 1000, engine::Channel::kCall);
      if (i == 2) it.complaint = engine::ComplaintState::kOpen;
      ops.push_back(CreateOp(it));
    }
    ops.push_back(CreateOp(testing::TransactionOf(1, t0 + 1500, 9900)));
    engine::Opportunity opp;
    opp.customer = 2;
    opp.name = "Renewal";
    opp.amount = engine::Money{500000, engine::Currency("CNY")};
    opp.probability = 40;
    ops.push_back(CreateOp(opp));
    engine::Contract contract;
    contract.customer = 2;
    contract.number = "C-2026-1";
    contract.amount = engine::Money{100000, engine::Currency("CNY")};
    contract.status = engine::ContractStatus::kActive;
    ops.push_back(CreateOp(contract));
    engine::Task task;
    task.customer = 1;
    task.title = "Call back";
    task.due_at = testing::kTestNow + 86'400'000'000;
    ops.push_back(CreateOp(task));
    ops.push_back(CreateOp(testing::Individual("Dup", {Mobile(1)})));  // phone taken
    return c.Write(std::move(ops), false);
  });
  ASSERT_TRUE(writes.ok());
  ASSERT_EQ(writes->size(), 13u);
  EXPECT_EQ(writes->back().status.code(), Code::kAlreadyExists);
  EXPECT_EQ(writes->back().status.existing_id(), 1u);

  // Cards by every key, and misses.
  Agree(r, e, "card by id", [](Client& c) { return c.Card(CardKey::ById(1)); });
  Agree(r, e, "card by org id", [](Client& c) { return c.Card(CardKey::ById(2)); });
  auto card = Both(r, e, "card by phone", [](Client& c) {
    return c.Card(CardKey::ByPhone("138 0000 0001"), engine::CardOptions{2, 5});
  });
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->customer.id, 1u);
  EXPECT_EQ(card->recent_interactions.size(), 2u);
  Agree(r, e, "card by contact phone", [](Client& c) { return c.Card(CardKey::ByPhone(Mobile(3))); });
  Agree(r, e, "card by email",
       [](Client& c) { return c.Card(CardKey::ByEmail("Li.Ming@example.com")); });
  Agree(r, e, "card by ref", [](Client& c) { return c.Card(CardKey::ByExternalRef("ERP-1")); });
  Agree(r, e, "card miss", [](Client& c) { return c.Card(CardKey::ByPhone(Mobile(99))); });
  Agree(r, e, "card bad options",
       [](Client& c) { return c.Card(CardKey::ById(1), engine::CardOptions{5000, 1}); });

  // History, page by page.
  engine::HistoryQuery query;
  query.customer = 1;
  query.limit = 2;
  for (int page = 0; page < 5; ++page) {
    auto got = Both(r, e, "history page", [&](Client& c) { return c.History(query); });
    ASSERT_TRUE(got.ok());
    if (got->next_cursor.empty()) break;
    query.cursor = got->next_cursor;
  }
  engine::HistoryQuery bad;
  bad.customer = 1;
  bad.limit = 0;
  Agree(r, e, "history bad limit", [&](Client& c) { return c.History(bad); });

  // Get and List of every kind.
  for (int kind = 1; kind <= 8; ++kind) {
    for (Id id : {Id{1}, Id{2}, Id{999}}) {
      Agree(r, e, "get", [&](Client& c) { return c.Get(static_cast<EntityKind>(kind), id); });
    }
  }
  for (EntityKind kind : {EntityKind::kContact, EntityKind::kOpportunity, EntityKind::kContract,
                          EntityKind::kTask, EntityKind::kCustomer}) {
    for (Id customer : {Id{1}, Id{2}, Id{999}}) {
      Agree(r, e, "list", [&](Client& c) { return c.List(customer, kind); });
    }
  }

  // Updates: a stale revision, then a good one; convenience forms.
  auto customer = r.Get(EntityKind::kCustomer, 1);
  ASSERT_TRUE(customer.ok());
  engine::Customer updated = std::get<engine::Customer>(*customer);
  updated.lifecycle = engine::Lifecycle::kActive;
  updated.revision = 7;
  Agree(r, e, "stale update", [&](Client& c) { return AsResult(c.Update(updated)); });
  updated.revision = 0;
  Agree(r, e, "update", [&](Client& c) { return AsResult(c.Update(updated)); });
  Agree(r, e, "create", [](Client& c) { return c.Create(testing::Individual("Zhao", {Mobile(5)})); });
  Agree(r, e, "create invalid", [](Client& c) { return c.Create(testing::Individual("")); });
  Agree(r, e, "delete with children",
       [](Client& c) { return AsResult(c.Delete(EntityKind::kCustomer, 2)); });
  Agree(r, e, "atomic write that fails", [](Client& c) {
    std::vector<engine::WriteOp> ops;
    ops.push_back(CreateOp(testing::Individual("A", {Mobile(6)})));
    ops.push_back(DeleteOp(EntityKind::kCustomer, 12345));
    return c.Write(std::move(ops), true);
  });
  Agree(r, e, "cascade delete",
       [](Client& c) { return AsResult(c.Delete(EntityKind::kCustomer, 2, true)); });
  Agree(r, e, "counts after", [](Client& c) { return c.Counts(); });
  Agree(r, e, "audit log", [](Client& c) { return c.AuditLog(0, 1000); });
  Agree(r, e, "audit log tail", [](Client& c) { return c.AuditLog(3, 2); });

  // The agent: reads cards, may not manage users.
  // The same agent on each side (tokens differ: they are random).
  ASSERT_TRUE(agent.ok());
  auto ra = r.CreateUser("agent-2", engine::Role::kAgent, "east");
  auto ea = e.CreateUser("agent-2", engine::Role::kAgent, "east");
  ASSERT_TRUE(ra.ok());
  ASSERT_TRUE(ea.ok());
  auto remote_agent = MustConnect(server.port(), ra->token);
  embedded.reset();  // one engine per directory: reopen it as the agent
  auto embedded_agent = MustOpenEmbedded(embedded_dir.path(), ea->token);
  ASSERT_NE(remote_agent, nullptr);
  ASSERT_NE(embedded_agent, nullptr);
  Client& ra_c = *remote_agent;
  Client& ea_c = *embedded_agent;
  EXPECT_TRUE(ra_c.user() == ea_c.user());
  Agree(ra_c, ea_c, "agent card", [](Client& c) { return c.Card(CardKey::ById(1)); });
  Agree(ra_c, ea_c, "agent create user",
       [](Client& c) { return c.CreateUser("x", engine::Role::kAdmin, ""); });
  Agree(ra_c, ea_c, "agent list users", [](Client& c) { return c.ListUsers(); });
  Agree(ra_c, ea_c, "agent audit log", [](Client& c) { return c.AuditLog(0, 10); });
}

TEST(ClientTest, PipelinedBatchIsAnsweredInOrder) {
  TempDir dir;
  std::string token = Bootstrap(dir.path());
  TestServer server(dir.path());
  auto client = MustConnect(server.port(), token);
  ASSERT_NE(client, nullptr);
  // 20 customers to read.
  std::vector<engine::WriteOp> ops;
  for (int i = 0; i < 20; ++i) {
    ops.push_back(CreateOp(testing::Individual("C" + std::to_string(i), {Mobile(100 + i)})));
  }
  auto created = client->Write(std::move(ops), true);
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->size(), 20u);

  // 100 mixed requests: cards by phone, gets, misses, writes, counts.
  Batch batch(*client);
  std::vector<Batch::Pending<engine::CustomerCard>> cards;
  std::vector<Batch::Pending<engine::Record>> gets;
  std::vector<Batch::Pending<engine::Record>> misses;
  std::vector<Batch::Pending<std::vector<engine::WriteResult>>> writes;
  std::vector<Batch::Pending<engine::StoreCounts>> counts;
  for (int i = 0; i < 20; ++i) {
    cards.push_back(batch.Card(CardKey::ByPhone(Mobile(100 + i))));
    gets.push_back(batch.Get(EntityKind::kCustomer, (*created)[i].id));
    misses.push_back(batch.Get(EntityKind::kContact, 1000 + i));
    std::vector<engine::WriteOp> one;
    one.push_back(CreateOp(testing::InteractionOf((*created)[i].id, testing::kTestNow - i)));
    writes.push_back(batch.Write(std::move(one), false));
    counts.push_back(batch.Counts());
  }
  ASSERT_EQ(batch.size(), 100u);
  Status run = batch.Run();
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_EQ(batch.size(), 0u);
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(cards[i]->ok()) << cards[i]->status().ToString();
    EXPECT_EQ((*cards[i])->customer.id, (*created)[i].id);
    EXPECT_EQ((*cards[i])->customer.name, "C" + std::to_string(i));
    ASSERT_TRUE(gets[i]->ok());
    EXPECT_EQ(std::get<engine::Customer>(**gets[i]).phones.at(0), Mobile(100 + i));
    EXPECT_EQ(misses[i]->status().code(), Code::kNotFound);
    ASSERT_TRUE(writes[i]->ok());
    ASSERT_EQ((*writes[i])->size(), 1u);
    EXPECT_TRUE((**writes[i])[0].status.ok());
    ASSERT_TRUE(counts[i]->ok());
    EXPECT_EQ((*counts[i])->customers, 20u);
  }
  // Every write landed, each once.
  auto after = client->Counts();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->interactions, 20u);
  // The connection goes on after the batch.
  EXPECT_TRUE(client->Card(CardKey::ByPhone(Mobile(100))).ok());
}

TEST(ClientTest, RestartKeepsEveryAcknowledgedWrite) {
  TempDir dir;
  std::string token = Bootstrap(dir.path());
  TestServer server(dir.path());
  std::vector<Id> ids;
  {
    auto client = MustConnect(server.port(), token);
    ASSERT_NE(client, nullptr);
    for (int i = 0; i < 30; ++i) {
      auto id = client->Create(testing::Individual("R" + std::to_string(i), {Mobile(200 + i)}));
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ids.push_back(*id);
    }
    Batch batch(*client);
    std::vector<Batch::Pending<std::vector<engine::WriteResult>>> writes;
    for (int i = 0; i < 30; ++i) {
      std::vector<engine::WriteOp> one;
      one.push_back(CreateOp(testing::InteractionOf(ids[i], testing::kTestNow - i)));
      writes.push_back(batch.Write(std::move(one), true));
    }
    ASSERT_TRUE(batch.Run().ok());
    for (auto& w : writes) {
      ASSERT_TRUE(w->ok());
      ASSERT_TRUE((**w)[0].status.ok());
    }
  }
  server.Stop();
  server.Start();
  auto client = MustConnect(server.port(), token);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 30; ++i) {
    auto card = client->Card(CardKey::ByPhone(Mobile(200 + i)));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    EXPECT_EQ(card->customer.id, ids[i]);
    EXPECT_EQ(card->interaction_count, 1u);
  }
  auto counts = client->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->customers, 30u);
  EXPECT_EQ(counts->interactions, 30u);
}

TEST(ClientTest, WrongTokenIsRefusedAtConnect) {
  TempDir dir;
  std::string token = Bootstrap(dir.path());
  TestServer server(dir.path());
  RemoteOptions options;
  options.port = server.port();
  options.token = "crm_" + std::string(64, '0');
  auto client = Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kPermissionDenied) << client.status().ToString();
  options.token = "";
  client = Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kPermissionDenied) << client.status().ToString();

  EmbeddedOptions embedded;
  TempDir other;
  embedded.engine = testing::ClientEngineOptions(other.path());
  embedded.token = token;  // a token of another directory
  auto local = Client::OpenEmbedded(embedded);
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.status().code(), Code::kPermissionDenied);
}

// A port nothing listens on: bound, never listened, closed.
uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(ClientTest, ClosedPortIsUnavailableQuickly) {
  RemoteOptions options;
  options.port = ClosedPort();
  options.token = "crm_x";
  auto start = Clock::now();
  auto client = Client::Connect(options);
  auto took = Clock::now() - start;
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kUnavailable);
  EXPECT_NE(client.status().message().find("refused"), std::string::npos)
      << client.status().message();
  EXPECT_LT(took, std::chrono::milliseconds(500));
}

// Listens on loopback and accepts, but never writes a byte back.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(ClientTest, SilentServerTimesOutWithinTheDeadline) {
  SilentServer silent;
  RemoteOptions options;
  options.port = silent.port();
  options.token = "crm_x";
  options.connect_timeout = std::chrono::milliseconds(300);
  auto start = Clock::now();
  auto client = Client::Connect(options);
  auto took = Clock::now() - start;
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), Code::kUnavailable);
  EXPECT_EQ(client.status().message(), "timed out after 300 ms");
  EXPECT_GE(took, std::chrono::milliseconds(290));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

// A server that answers the hello and then nothing: the request deadline.
TEST(ClientTest, RequestTimeoutAfterHello) {
  TempDir dir;
  std::string token = Bootstrap(dir.path());
  auto engine = engine::Engine::Open(testing::ClientEngineOptions(dir.path()));
  ASSERT_TRUE(engine.ok());
  protocol::Handler handler(**engine);
  std::mutex mu;
  std::vector<protocol::Reply> held;  // answered at the end, as the contract asks
  protocol::ServerOptions server_options;
  server_options.stop_timeout = std::chrono::milliseconds(500);
  auto server = std::make_unique<protocol::Server>(
      [&](protocol::Session& session, kj::ArrayPtr<const capnp::word> frame,
          protocol::Reply reply) {
        if (!session.authenticated) {
          handler.Handle(session, frame, std::move(reply));
          return;
        }
        std::lock_guard lock(mu);
        held.push_back(std::move(reply));
      },
      server_options);
  auto port = server->Start();
  ASSERT_TRUE(port.ok());
  RemoteOptions options;
  options.port = *port;
  options.token = token;
  options.request_timeout = std::chrono::milliseconds(250);
  auto client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto start = Clock::now();
  auto counts = (*client)->Counts();
  auto took = Clock::now() - start;
  ASSERT_FALSE(counts.ok());
  EXPECT_EQ(counts.status().code(), Code::kUnavailable);
  EXPECT_EQ(counts.status().message(), "timed out after 250 ms");
  EXPECT_GE(took, std::chrono::milliseconds(240));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  // The connection is not used again after a timeout.
  auto again = (*client)->Counts();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kUnavailable);
  {
    std::lock_guard lock(mu);
    for (auto& reply : held) {
      reply(protocol::ErrorFrame(Code::kUnavailable, "shutting down"), true);
    }
    held.clear();
  }
  server->Stop();
}

TEST(ClientTest, EmbeddedLocalAdminBootstrapsUsers) {
  TempDir dir;
  EmbeddedOptions options;
  options.engine = testing::ClientEngineOptions(dir.path());
  options.local_admin = true;
  std::string token;
  {
    auto client = Client::OpenEmbedded(options);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    EXPECT_EQ((*client)->user().role, engine::Role::kAdmin);
    auto admin = (*client)->CreateUser("ops", engine::Role::kManager, "north");
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    EXPECT_TRUE(admin->user.token_hash.empty());
    token = admin->token;
  }
  options.local_admin = false;
  options.token = token;
  auto client = Client::OpenEmbedded(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ((*client)->user().name, "ops");
  EXPECT_EQ((*client)->user().role, engine::Role::kManager);
  // A manager may not create users.
  auto refused = (*client)->CreateUser("x", engine::Role::kAgent, "");
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
}

}  // namespace
}  // namespace crm::client
