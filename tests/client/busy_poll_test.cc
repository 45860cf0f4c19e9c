// Busy polling on both ends (ServerOptions::busy_poll, RemoteOptions::busy_poll)
// changes only when threads sleep: answers stay correct and in order, writes
// are acknowledged after commit, and Stop() still ends the spinning threads.
#include <gtest/gtest.h>

#include <chrono>

#include "crm/client/client.h"
#include "crm/protocol/server.h"
#include "crm/protocol/users.h"
#include "engine/test_util.h"

namespace crm::client {
namespace {

using engine::CardKey;

TEST(BusyPollTest, SpinningServerAndClientAnswerCorrectlyAndStop) {
  crm::testing::TempDir dir;
  auto engine = crm::testing::OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  engine::User admin;
  admin.name = "admin";
  admin.role = engine::Role::kAdmin;
  auto token = protocol::CreateUserWithToken(*engine, engine::Actor{}, admin);
  ASSERT_TRUE(token.ok()) << token.status().ToString();

  protocol::ServerOptions server_options;
  server_options.io_threads = 2;
  server_options.busy_poll = std::chrono::microseconds(200);
  server_options.stop_timeout = std::chrono::milliseconds(2000);
  protocol::Server server(*engine, server_options);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.status().ToString();

  RemoteOptions remote;
  remote.port = *port;
  remote.token = *token;
  remote.busy_poll = std::chrono::microseconds(200);
  auto client = Client::Connect(remote);
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  for (int i = 0; i < 50; ++i) {
    engine::Customer c;
    c.kind = engine::CustomerKind::kIndividual;
    c.name = "Spin " + std::to_string(i);
    char phone[32];
    std::snprintf(phone, sizeof(phone), "+86139%08d", i);
    c.phones = {phone};
    auto id = (*client)->Create(c);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    auto card = (*client)->Card(CardKey::ByPhone(phone));
    ASSERT_TRUE(card.ok()) << card.status().ToString();
    EXPECT_EQ(card->customer.id, *id);
    EXPECT_EQ(card->customer.name, c.name);
  }
  Batch batch(**client);
  std::vector<Batch::Pending<engine::CustomerCard>> cards;
  for (int i = 0; i < 50; ++i) cards.push_back(batch.Card(CardKey::ById(static_cast<engine::Id>(i + 1))));
  ASSERT_TRUE(batch.Run().ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(cards[i]->ok());
    EXPECT_EQ((*cards[i])->customer.id, static_cast<engine::Id>(i + 1));
  }
  client->reset();

  auto started = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10))
      << "Stop() must end io threads that spin";
  EXPECT_EQ(engine->Counts().customers, 50u);
}

}  // namespace
}  // namespace crm::client
