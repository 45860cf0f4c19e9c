// Handler: every protocol rule, driven with frames built in memory (no
// sockets): the hello, each operation against the engine's own answer,
// permissions, tokens, malformed input and limits, and writes answered from
// the writer thread after their commit.
#include "crm/protocol/handler.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crm.capnp.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/users.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"

namespace crm::protocol {
namespace {

using engine::Code;
using engine::EntityKind;
using engine::Role;
using testing::Individual;
using testing::Mobile;
using testing::Organization;

using Fill = std::function<void(wire::Request::Builder)>;

kj::Array<capnp::word> Frame(const Fill& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<wire::Request>());
  return capnp::messageToFlatArray(message);
}

// One response, parsed.
class Answer {
 public:
  Answer(kj::Array<capnp::word> frame, bool close, std::thread::id thread)
      : frame_(kj::mv(frame)),
        reader_(std::make_unique<capnp::FlatArrayMessageReader>(frame_.asPtr())),
        close_(close),
        thread_(thread) {}
  wire::Response::Reader operator*() const { return reader_->getRoot<wire::Response>(); }
  wire::Response::Reader get() const { return **this; }
  bool close() const { return close_; }
  std::thread::id thread() const { return thread_; }
  bool is_error() const { return get().which() == wire::Response::ERROR; }
  Code code() const {
    return is_error() ? static_cast<Code>(get().getError().getCode()) : Code::kOk;
  }
  std::string field() const { return get().getError().getField().cStr(); }
  std::string message() const { return get().getError().getMessage().cStr(); }

 private:
  kj::Array<capnp::word> frame_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
  bool close_;
  std::thread::id thread_;
};

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::OpenEngine(dir_.path());
    ASSERT_NE(engine_, nullptr);
    handler_ = std::make_unique<Handler>(*engine_);
    admin_token_ = MakeUser("admin", Role::kAdmin);
    manager_token_ = MakeUser("manager", Role::kManager);
    agent_token_ = MakeUser("agent", Role::kAgent);
  }

  std::string MakeUser(std::string name, Role role) {
    engine::User user;
    user.name = std::move(name);
    user.role = role;
    user.team = "east";
    engine::Result<std::string> token = CreateUserWithToken(*engine_, engine::Actor{}, user);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : std::string();
  }

  // Sends one frame and waits (at most 10 s) for its reply.
  Answer Call(Session& session, kj::ArrayPtr<const capnp::word> frame, Handler* handler = nullptr) {
    struct Got {
      kj::Array<capnp::word> frame;
      bool close;
      std::thread::id thread;
    };
    auto promise = std::make_shared<std::promise<Got>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    std::future<Got> future = promise->get_future();
    (handler ? handler : handler_.get())
        ->Handle(session, frame, [promise, calls](kj::Array<capnp::word> f, bool close) {
          if (calls->fetch_add(1) == 0) {
            promise->set_value(Got{kj::mv(f), close, std::this_thread::get_id()});
          } else {
            ADD_FAILURE() << "reply called twice";
          }
        });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no reply within 10 s";
      std::abort();
    }
    Got got = future.get();
    return Answer(kj::mv(got.frame), got.close, got.thread);
  }
  Answer Call(Session& session, const Fill& fill) {
    kj::Array<capnp::word> frame = Frame(fill);
    return Call(session, frame.asPtr());
  }

  Answer Hello(Session& session, const std::string& token, uint32_t version = kProtocolVersion) {
    return Call(session, [&](wire::Request::Builder r) {
      r.setId(1);
      auto hello = r.initHello();
      hello.setProtocolVersion(version);
      hello.setToken(token);
    });
  }

  Session LoggedIn(const std::string& token) {
    Session session;
    Answer answer = Hello(session, token);
    EXPECT_EQ(answer.get().which(), wire::Response::HELLO);
    EXPECT_TRUE(session.authenticated);
    return session;
  }

  engine::Id MustCreate(engine::Record record) {
    engine::Result<engine::Id> id = engine_->Create(engine::Actor{}, std::move(record));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Handler> handler_;
  std::string admin_token_, manager_token_, agent_token_;
};

// ------------------------------------------------------------------ tokens

TEST_F(HandlerTest, TokensAreRandomPrefixedHexStoredOnlyAsSha256) {
  engine::Result<std::string> a = NewToken();
  engine::Result<std::string> b = NewToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  ASSERT_EQ(a->size(), 4u + 64u);
  EXPECT_EQ(a->substr(0, 4), "crm_");
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef", 4), std::string::npos);
  EXPECT_EQ(HashToken("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  for (const engine::User& user : engine_->ListUsers()) {
    EXPECT_EQ(user.token_hash.substr(0, 7), "sha256:");
    EXPECT_EQ(user.token_hash.size(), 7u + 64u);
    EXPECT_EQ(user.token_hash.find("crm_"), std::string::npos);
  }
  engine::Result<engine::User> admin = FindUserByToken(*engine_, admin_token_);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->name, "admin");
  EXPECT_EQ(admin->token_hash, HashToken(admin_token_));
  EXPECT_EQ(FindUserByToken(*engine_, "crm_nope").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(FindUserByToken(*engine_, "").status().code(), Code::kPermissionDenied);
}

// ------------------------------------------------------------------ hello

TEST_F(HandlerTest, RequestBeforeHelloIsRefusedAndCloses) {
  Session session;
  Answer answer = Call(session, [](wire::Request::Builder r) {
    r.setId(42);
    r.setCounts();
  });
  EXPECT_EQ(answer.get().getId(), 42u);
  EXPECT_EQ(answer.code(), Code::kPermissionDenied);
  EXPECT_TRUE(answer.close());
  EXPECT_FALSE(session.authenticated);
}

TEST_F(HandlerTest, WrongProtocolVersionIsInvalidArgumentAndCloses) {
  Session session;
  Answer answer = Hello(session, admin_token_, kProtocolVersion + 1);
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_EQ(answer.field(), "hello.protocol_version");
  EXPECT_TRUE(answer.close());
  EXPECT_FALSE(session.authenticated);
}

TEST_F(HandlerTest, BadTokenIsPermissionDeniedAndCloses) {
  for (const std::string& token :
       {std::string("crm_0000"), std::string(""), admin_token_ + "x", admin_token_.substr(4)}) {
    Session session;
    Answer answer = Hello(session, token);
    EXPECT_EQ(answer.code(), Code::kPermissionDenied) << token;
    EXPECT_TRUE(answer.close());
    EXPECT_FALSE(session.authenticated);
  }
}

TEST_F(HandlerTest, InactiveUserCannotSayHello) {
  std::string token = MakeUser("gone", Role::kAgent);
  engine::User user = *FindUserByToken(*engine_, token);
  user.active = false;
  ASSERT_TRUE(engine_->Update(engine::Actor{}, user).ok());
  Session session;
  EXPECT_EQ(Hello(session, token).code(), Code::kPermissionDenied);
}

TEST_F(HandlerTest, GoodTokenAuthenticatesWithoutReturningTheHash) {
  Session session;
  Answer answer = Hello(session, agent_token_);
  ASSERT_EQ(answer.get().which(), wire::Response::HELLO);
  EXPECT_FALSE(answer.close());
  EXPECT_EQ(answer.get().getId(), 1u);
  auto hello = answer.get().getHello();
  EXPECT_EQ(hello.getProtocolVersion(), kProtocolVersion);
  EXPECT_FALSE(hello.getServerVersion().size() == 0);
  EXPECT_EQ(std::string(hello.getUser().getName().cStr()), "agent");
  EXPECT_EQ(hello.getUser().getRole(), static_cast<uint8_t>(Role::kAgent));
  EXPECT_EQ(hello.getUser().getTokenHash().size(), 0u);
  EXPECT_TRUE(session.authenticated);
  EXPECT_EQ(session.user.name, "agent");
  EXPECT_TRUE(session.user.token_hash.empty());

  // A second hello is refused but the connection stays.
  Answer again = Hello(session, agent_token_);
  EXPECT_EQ(again.code(), Code::kInvalidArgument);
  EXPECT_FALSE(again.close());
  EXPECT_TRUE(session.authenticated);
}

// ------------------------------------------------------------------ cards


TEST_F(HandlerTest, CardByPhoneEqualsTheEnginesCard) {
  engine::Id parent = MustCreate(Organization("母公司"));
  engine::Customer org = Organization("深圳测试有限公司", {Mobile(1)}, {"a@example.com"});
  org.relations.push_back({parent, engine::RelationKind::kParent});
  engine::Id customer = MustCreate(org);
  MustCreate(testing::ContactOf(customer, "张三", {Mobile(2)}));
  MustCreate(testing::ContactOf(customer, "李四"));
  for (int i = 0; i < 15; ++i) {
    engine::Interaction interaction =
        testing::InteractionOf(customer, testing::kTestNow - 1'000'000 * (i + 1));
    if (i % 4 == 0) interaction.complaint = engine::ComplaintState::kOpen;
    MustCreate(interaction);
  }
  MustCreate(testing::TransactionOf(customer, testing::kTestNow - 5, 1234));
  engine::Opportunity opportunity;
  opportunity.customer = customer;
  opportunity.name = "deal";
  opportunity.amount = engine::Money{100000, engine::Currency("CNY")};
  MustCreate(opportunity);
  engine::Contract contract;
  contract.customer = customer;
  contract.number = "C-1";
  contract.status = engine::ContractStatus::kActive;
  contract.amount = engine::Money{5000, engine::Currency("CNY")};
  MustCreate(contract);
  for (int i = 0; i < 3; ++i) {
    engine::Task task;
    task.customer = customer;
    task.title = "call back " + std::to_string(i);
    task.due_at = testing::kTestNow + 1000 * (3 - i);
    MustCreate(task);
  }

  Session session = LoggedIn(agent_token_);
  const std::string local_phone = Mobile(1).substr(3);  // "138...", read with region CN
  Answer answer = Call(session, [&](wire::Request::Builder r) {
    r.setId(7);
    auto card = r.initCard();
    card.initKey().setPhone(local_phone);
    card.initOptions().setRecentInteractions(5);
    card.getOptions().setDueTasks(2);
  });
  ASSERT_EQ(answer.get().which(), wire::Response::CARD) << answer.message();
  EXPECT_EQ(answer.get().getId(), 7u);
  engine::CustomerCard got;
  ASSERT_TRUE(FromWire(answer.get().getCard(), &got).ok());
  engine::Result<engine::CustomerCard> expected =
      engine_->Card(engine::CardKey::ByPhone(Mobile(1)), engine::CardOptions{5, 2});
  ASSERT_TRUE(expected.ok());
  crm::testing::ExpectSameCard(got, *expected);
  EXPECT_EQ(got.recent_interactions.size(), 5u);
  EXPECT_EQ(got.due_tasks.size(), 2u);
  EXPECT_EQ(got.contacts.size(), 2u);
  EXPECT_EQ(got.related.size(), 1u);
  EXPECT_GT(got.recent_interactions[0].time, got.recent_interactions[1].time);  // newest first

  // The copying ToWire says the same as the view's.
  capnp::MallocMessageBuilder message;
  ToWire(*expected, message.initRoot<wire::Card>());
  engine::CustomerCard copied;
  ASSERT_TRUE(FromWire(message.getRoot<wire::Card>().asReader(), &copied).ok());
  crm::testing::ExpectSameCard(copied, *expected);

  // By id, email and external ref too; unknown keys are not_found.
  Answer by_id = Call(session, [&](wire::Request::Builder r) {
    r.initCard().initKey().setId(customer);
  });
  ASSERT_EQ(by_id.get().which(), wire::Response::CARD);
  EXPECT_EQ(by_id.get().getCard().getCustomer().getId(), customer);
  Answer by_email = Call(session, [&](wire::Request::Builder r) {
    r.initCard().initKey().setEmail("a@EXAMPLE.com");  // the domain is case-insensitive
  });
  ASSERT_EQ(by_email.get().which(), wire::Response::CARD);
  EXPECT_EQ(by_email.get().getCard().getCustomer().getId(), customer);
  Answer unknown = Call(session, [&](wire::Request::Builder r) {
    r.initCard().initKey().setPhone(Mobile(99));
  });
  EXPECT_EQ(unknown.code(), Code::kNotFound);
  EXPECT_FALSE(unknown.close());
}

TEST_F(HandlerTest, CardOptionsOutOfRangeNameTheField) {
  Session session = LoggedIn(agent_token_);
  Answer answer = Call(session, [&](wire::Request::Builder r) {
    auto card = r.initCard();
    card.initKey().setId(1);
    card.initOptions().setRecentInteractions(1001);
  });
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_EQ(answer.field(), "card.options.recent_interactions");
  EXPECT_FALSE(answer.close());
}

// ------------------------------------------------------------------ history

TEST_F(HandlerTest, HistoryPagesEqualTheEngines) {
  engine::Id customer = MustCreate(Individual("王五", {Mobile(3)}));
  for (int i = 0; i < 17; ++i) {
    MustCreate(testing::InteractionOf(customer, testing::kTestNow - 1000 * i,
                                      static_cast<engine::Channel>(i % 3)));
  }
  for (int i = 0; i < 8; ++i) MustCreate(testing::TransactionOf(customer, testing::kTestNow - 777 * i));
  Session session = LoggedIn(agent_token_);

  engine::HistoryQuery query;
  query.customer = customer;
  query.limit = 10;
  int pages = 0;
  size_t entries = 0;
  while (true) {
    Answer answer = Call(session, [&](wire::Request::Builder r) { ToWire(query, r.initHistory()); });
    ASSERT_EQ(answer.get().which(), wire::Response::HISTORY) << answer.message();
    engine::HistoryPage got;
    ASSERT_TRUE(FromWire(answer.get().getHistory(), &got).ok());
    engine::Result<engine::HistoryPage> expected = engine_->History(query);
    ASSERT_TRUE(expected.ok());
    ASSERT_EQ(got.entries.size(), expected->entries.size());
    for (size_t i = 0; i < got.entries.size(); ++i) {
      EXPECT_EQ(got.entries[i].kind, expected->entries[i].kind);
      if (got.entries[i].kind == EntityKind::kInteraction) {
        EXPECT_EQ(got.entries[i].interaction, expected->entries[i].interaction);
      } else {
        EXPECT_EQ(got.entries[i].transaction, expected->entries[i].transaction);
      }
    }
    EXPECT_EQ(got.next_cursor, expected->next_cursor);
    ++pages;
    entries += got.entries.size();
    if (got.next_cursor.empty()) break;
    query.cursor = got.next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(entries, 25u);

  Answer bad = Call(session, [&](wire::Request::Builder r) {
    r.initHistory().setLimit(0);
  });
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.field(), "history.limit");
  Answer mask = Call(session, [&](wire::Request::Builder r) {
    auto h = r.initHistory();
    h.setCustomer(customer);
    h.setChannelMask(1u << 20);
  });
  EXPECT_EQ(mask.field(), "history.channel_mask");
}

// ------------------------------------------------------------------ get / list

TEST_F(HandlerTest, GetAndListEqualTheEngines) {
  engine::Id customer = MustCreate(Organization("Acme Co., Ltd", {Mobile(4)}));
  engine::Id c1 = MustCreate(testing::ContactOf(customer, "Ann"));
  MustCreate(testing::ContactOf(customer, "Bob"));
  engine::Task task;
  task.customer = customer;
  task.title = "t";
  MustCreate(task);
  Session session = LoggedIn(agent_token_);

  Answer get = Call(session, [&](wire::Request::Builder r) {
    auto ref = r.initGet();
    ref.setEntity(static_cast<uint8_t>(EntityKind::kCustomer));
    ref.setId(customer);
  });
  ASSERT_EQ(get.get().which(), wire::Response::RECORD) << get.message();
  engine::Record record;
  ASSERT_TRUE(FromWire(get.get().getRecord(), &record).ok());
  EXPECT_EQ(std::get<engine::Customer>(record), *engine_->GetCustomer(customer));

  Answer contact = Call(session, [&](wire::Request::Builder r) {
    auto ref = r.initGet();
    ref.setEntity(static_cast<uint8_t>(EntityKind::kContact));
    ref.setId(c1);
  });
  ASSERT_TRUE(FromWire(contact.get().getRecord(), &record).ok());
  EXPECT_EQ(std::get<engine::Contact>(record), *engine_->GetContact(c1));

  Answer missing = Call(session, [&](wire::Request::Builder r) {
    auto ref = r.initGet();
    ref.setEntity(static_cast<uint8_t>(EntityKind::kTask));
    ref.setId(999);
  });
  EXPECT_EQ(missing.code(), Code::kNotFound);
  Answer bad_kind = Call(session, [&](wire::Request::Builder r) { r.initGet().setEntity(9); });
  EXPECT_EQ(bad_kind.code(), Code::kInvalidArgument);
  EXPECT_EQ(bad_kind.field(), "get.entity");

  Answer list = Call(session, [&](wire::Request::Builder r) {
    auto l = r.initList();
    l.setCustomer(customer);
    l.setEntity(static_cast<uint8_t>(EntityKind::kContact));
  });
  ASSERT_EQ(list.get().which(), wire::Response::RECORDS) << list.message();
  std::vector<engine::Contact> contacts;
  for (auto r : list.get().getRecords()) {
    ASSERT_TRUE(FromWire(r, &record).ok());
    contacts.push_back(std::get<engine::Contact>(record));
  }
  EXPECT_EQ(contacts, *engine_->ListContacts(customer));
  EXPECT_EQ(contacts.size(), 2u);

  Answer tasks = Call(session, [&](wire::Request::Builder r) {
    auto l = r.initList();
    l.setCustomer(customer);
    l.setEntity(static_cast<uint8_t>(EntityKind::kTask));
  });
  ASSERT_EQ(tasks.get().getRecords().size(), 1u);
  Answer bad_list = Call(session, [&](wire::Request::Builder r) {
    auto l = r.initList();
    l.setCustomer(customer);
    l.setEntity(static_cast<uint8_t>(EntityKind::kInteraction));
  });
  EXPECT_EQ(bad_list.field(), "list.entity");
}

// ------------------------------------------------------------------ writes

void AddOp(wire::WriteOp::Builder out, const engine::WriteOp& op) { ToWire(op, out); }

TEST_F(HandlerTest, WritesCreateUpdateDeleteAndReplyAfterCommitFromTheWriter) {
  Session session = LoggedIn(agent_token_);
  engine::WriteOp create;
  create.record = Individual("赵六", {Mobile(5)});
  Answer created = Call(session, [&](wire::Request::Builder r) {
    r.setId(11);
    auto ops = r.initWrite().initOps(1);
    AddOp(ops[0], create);
  });
  ASSERT_EQ(created.get().which(), wire::Response::WRITE) << created.message();
  EXPECT_EQ(created.get().getId(), 11u);
  EXPECT_NE(created.thread(), std::this_thread::get_id());  // the writer answered
  ASSERT_EQ(created.get().getWrite().size(), 1u);
  engine::WriteResult result;
  ASSERT_TRUE(FromWire(created.get().getWrite()[0], &result).ok());
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(result.revision, 1u);
  const engine::Id id = result.id;
  // Answered after the commit: already visible, and audited as the agent.
  engine::Result<engine::Customer> stored = engine_->GetCustomer(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->name, "赵六");
  auto audit = engine_->AuditLog(0, 10000);
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ(audit->back().record, id);
  EXPECT_EQ(audit->back().user, session.user.id);

  engine::WriteOp update;
  update.kind = engine::WriteKind::kUpdate;
  engine::Customer changed = *stored;
  changed.name = "赵六六";
  update.record = changed;
  Answer updated = Call(session, [&](wire::Request::Builder r) {
    AddOp(r.initWrite().initOps(1)[0], update);
  });
  ASSERT_TRUE(FromWire(updated.get().getWrite()[0], &result).ok());
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(result.revision, 2u);
  EXPECT_EQ(engine_->GetCustomer(id)->name, "赵六六");

  // A stale revision is a conflict.
  Answer stale = Call(session, [&](wire::Request::Builder r) {
    AddOp(r.initWrite().initOps(1)[0], update);
  });
  ASSERT_TRUE(FromWire(stale.get().getWrite()[0], &result).ok());
  EXPECT_EQ(result.status.code(), Code::kConflict);

  engine::WriteOp del;
  del.kind = engine::WriteKind::kDelete;
  del.entity = EntityKind::kCustomer;
  del.id = id;
  // Agents do not delete customers; a manager of the customer's team does.
  Answer refused = Call(session, [&](wire::Request::Builder r) {
    AddOp(r.initWrite().initOps(1)[0], del);
  });
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_EQ(refused.field(), "write.ops[0]");
  Session manager = LoggedIn(manager_token_);
  Answer deleted = Call(manager, [&](wire::Request::Builder r) {
    AddOp(r.initWrite().initOps(1)[0], del);
  });
  ASSERT_TRUE(FromWire(deleted.get().getWrite()[0], &result).ok());
  EXPECT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(engine_->GetCustomer(id).status().code(), Code::kNotFound);

  // No ops: an empty answer.
  Answer empty = Call(session, [&](wire::Request::Builder r) { r.initWrite().initOps(0); });
  ASSERT_EQ(empty.get().which(), wire::Response::WRITE);
  EXPECT_EQ(empty.get().getWrite().size(), 0u);
}

TEST_F(HandlerTest, AtomicWriteFailureAppliesNothing) {
  Session session = LoggedIn(agent_token_);
  const engine::StoreCounts before = engine_->Counts();
  engine::WriteOp good;
  good.record = Individual("ok", {Mobile(6)});
  engine::WriteOp bad;
  bad.kind = engine::WriteKind::kDelete;
  bad.entity = EntityKind::kCustomer;
  bad.id = 12345;
  Answer answer = Call(session, [&](wire::Request::Builder r) {
    auto write = r.initWrite();
    write.setAtomic(true);
    auto ops = write.initOps(2);
    AddOp(ops[0], good);
    AddOp(ops[1], bad);
  });
  ASSERT_EQ(answer.get().which(), wire::Response::WRITE) << answer.message();
  ASSERT_EQ(answer.get().getWrite().size(), 2u);
  engine::WriteResult r0, r1;
  ASSERT_TRUE(FromWire(answer.get().getWrite()[0], &r0).ok());
  ASSERT_TRUE(FromWire(answer.get().getWrite()[1], &r1).ok());
  EXPECT_EQ(r0.status.code(), Code::kConflict);
  EXPECT_EQ(r1.status.code(), Code::kNotFound);
  EXPECT_EQ(engine_->Counts().customers, before.customers);
}

TEST_F(HandlerTest, BadOpRefusesTheWholeWriteNamingIt) {
  Session session = LoggedIn(agent_token_);
  const engine::StoreCounts before = engine_->Counts();
  engine::WriteOp good;
  good.record = Individual("ok", {Mobile(7)});
  Answer answer = Call(session, [&](wire::Request::Builder r) {
    auto ops = r.initWrite().initOps(3);
    AddOp(ops[0], good);
    AddOp(ops[1], good);
    auto del = ops[2].initDelete();
    del.setEntity(42);
    del.setId(1);
  });
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_EQ(answer.field(), "write.ops[2].delete.entity");
  EXPECT_FALSE(answer.close());
  EXPECT_EQ(engine_->Counts().customers, before.customers);

  // An enum out of range inside a record names the record's field.
  Answer kind = Call(session, [&](wire::Request::Builder r) {
    auto customer = r.initWrite().initOps(1)[0].initCreate().initCustomer();
    customer.setName("x");
    customer.setKind(9);
  });
  EXPECT_EQ(kind.code(), Code::kInvalidArgument);
  EXPECT_EQ(kind.field(), "write.ops[0].create.customer.kind");
}

TEST_F(HandlerTest, InvalidUtf8NameIsInvalidArgumentNamingCustomerName) {
  Session session = LoggedIn(agent_token_);
  const char bad[] = {'\xff', '\xfe', 'a', '\0'};
  Answer answer = Call(session, [&](wire::Request::Builder r) {
    auto customer = r.initWrite().initOps(1)[0].initCreate().initCustomer();
    customer.setName(capnp::Text::Reader(bad, 3));
  });
  ASSERT_EQ(answer.get().which(), wire::Response::WRITE) << answer.message();
  engine::WriteResult result;
  ASSERT_TRUE(FromWire(answer.get().getWrite()[0], &result).ok());
  EXPECT_EQ(result.status.code(), Code::kInvalidArgument);
  EXPECT_EQ(result.status.field(), "customer.name");
  EXPECT_EQ(engine_->Counts().customers, 0u);
}

// ------------------------------------------------------------------ counts / audit

TEST_F(HandlerTest, CountsEqualTheEngines) {
  MustCreate(Individual("a", {Mobile(8)}));
  Session session = LoggedIn(agent_token_);
  Answer answer = Call(session, [](wire::Request::Builder r) { r.setCounts(); });
  ASSERT_EQ(answer.get().which(), wire::Response::COUNTS);
  engine::StoreCounts got = FromWire(answer.get().getCounts());
  engine::StoreCounts expected = engine_->Counts();
  EXPECT_EQ(got.customers, expected.customers);
  EXPECT_EQ(got.customers, 1u);
  EXPECT_EQ(got.users, 3u);
  EXPECT_EQ(got.users, expected.users);
  EXPECT_EQ(got.audit_entries, expected.audit_entries);
  EXPECT_EQ(got.contacts, expected.contacts);
}

TEST_F(HandlerTest, AuditLogForAdminAndManagerOnly) {
  MustCreate(Individual("a", {Mobile(9)}));
  for (const std::string* token : {&admin_token_, &manager_token_}) {
    Session session = LoggedIn(*token);
    // A manager reads the log of their team's records or users, not all of it.
    const bool manager = token == &manager_token_;
    const engine::Id manager_id = session.user.id;
    Answer answer = Call(session, [&](wire::Request::Builder r) {
      auto audit = r.initAuditLog();
      audit.setAfter(1);
      audit.setLimit(100);
      if (manager) {  // the manager's own user record, in their team
        audit.setEntity(static_cast<uint8_t>(EntityKind::kUser));
        audit.setRecord(manager_id);
      }
    });
    ASSERT_EQ(answer.get().which(), wire::Response::AUDIT_LOG) << answer.message();
    std::vector<engine::AuditEntry> got;
    for (auto e : answer.get().getAuditLog()) {
      engine::AuditEntry entry;
      ASSERT_TRUE(engine::Decode(e, &entry).ok());
      got.push_back(entry);
    }
    std::vector<engine::AuditEntry> expected = *engine_->AuditLog(1, 100);
    if (manager) {
      std::erase_if(expected, [&](const auto& e) {
        return e.entity != EntityKind::kUser || e.record != manager_id;
      });
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got.size(), manager ? 1u : 3u);  // two more users, one customer
  }
  Session manager = LoggedIn(manager_token_);
  Answer everything = Call(manager, [](wire::Request::Builder r) { r.initAuditLog().setLimit(10); });
  EXPECT_EQ(everything.code(), Code::kPermissionDenied);
  EXPECT_NE(everything.message().find("read_audit_log: "), std::string::npos);
  Session admin = LoggedIn(admin_token_);
  Answer bad_limit = Call(admin, [](wire::Request::Builder r) { r.initAuditLog().setLimit(0); });
  EXPECT_EQ(bad_limit.code(), Code::kInvalidArgument);
  EXPECT_EQ(bad_limit.field(), "audit_log.limit");

  Session agent = LoggedIn(agent_token_);
  Answer denied = Call(agent, [](wire::Request::Builder r) { r.initAuditLog().setLimit(10); });
  EXPECT_EQ(denied.code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.message(), "role agent lacks permission read_audit_log");
  EXPECT_FALSE(denied.close());
}

// ------------------------------------------------------------------ users and permissions

TEST_F(HandlerTest, AdminCreatesUsersWhoseTokenWorksOnce) {
  Session admin = LoggedIn(admin_token_);
  Answer answer = Call(admin, [](wire::Request::Builder r) {
    r.setId(3);
    auto user = r.initCreateUser();
    user.setName("新人");
    user.setRole(static_cast<uint8_t>(Role::kAgent));
    user.setTeam("west");
  });
  ASSERT_EQ(answer.get().which(), wire::Response::CREATED_USER) << answer.message();
  EXPECT_EQ(answer.get().getId(), 3u);
  auto created = answer.get().getCreatedUser();
  const std::string token = created.getToken().cStr();
  EXPECT_EQ(token.substr(0, 4), "crm_");
  EXPECT_EQ(created.getUser().getTokenHash().size(), 0u);
  EXPECT_NE(created.getUser().getId(), 0u);
  EXPECT_EQ(std::string(created.getUser().getName().cStr()), "新人");
  EXPECT_EQ(std::string(created.getUser().getTeam().cStr()), "west");
  EXPECT_EQ(engine_->GetUser(created.getUser().getId())->token_hash, HashToken(token));

  Session fresh = LoggedIn(token);
  EXPECT_EQ(fresh.user.id, created.getUser().getId());
  EXPECT_EQ(fresh.user.role, Role::kAgent);

  Answer bad_role = Call(admin, [](wire::Request::Builder r) {
    auto user = r.initCreateUser();
    user.setName("x");
    user.setRole(3);
  });
  EXPECT_EQ(bad_role.field(), "create_user.role");
}

TEST_F(HandlerTest, OnlyAdminsCreateOrWriteUsers) {
  for (const std::string* token : {&manager_token_, &agent_token_}) {
    Session session = LoggedIn(*token);
    const std::string role = std::string(engine::Name(session.user.role));
    Answer create = Call(session, [](wire::Request::Builder r) {
      auto user = r.initCreateUser();
      user.setName("sneaky");
      user.setRole(0);
    });
    EXPECT_EQ(create.code(), Code::kPermissionDenied);
    EXPECT_EQ(create.message(), "role " + role + " lacks permission manage_users");
    EXPECT_FALSE(create.close());

    engine::WriteOp op;
    engine::User user;
    user.name = "sneaky";
    user.role = Role::kAdmin;
    op.record = user;
    Answer write = Call(session, [&](wire::Request::Builder r) {
      auto ops = r.initWrite().initOps(2);
      engine::WriteOp customer;
      customer.record = Individual("fine");
      AddOp(ops[0], customer);
      AddOp(ops[1], op);
    });
    EXPECT_EQ(write.code(), Code::kPermissionDenied);
    EXPECT_EQ(write.message(), "role " + role + " lacks permission manage_users");

    engine::WriteOp del;
    del.kind = engine::WriteKind::kDelete;
    del.entity = EntityKind::kUser;
    del.id = 1;
    Answer remove = Call(session, [&](wire::Request::Builder r) {
      AddOp(r.initWrite().initOps(1)[0], del);
    });
    EXPECT_EQ(remove.code(), Code::kPermissionDenied);
  }
  EXPECT_EQ(engine_->ListUsers().size(), 3u);
  EXPECT_EQ(engine_->Counts().customers, 0u);
}

TEST_F(HandlerTest, ListUsersForAdminAndManagerWithoutHashes) {
  for (const std::string* token : {&admin_token_, &manager_token_}) {
    Session session = LoggedIn(*token);
    Answer answer = Call(session, [](wire::Request::Builder r) { r.setListUsers(); });
    ASSERT_EQ(answer.get().which(), wire::Response::USERS) << answer.message();
    ASSERT_EQ(answer.get().getUsers().size(), 3u);
    for (auto user : answer.get().getUsers()) EXPECT_EQ(user.getTokenHash().size(), 0u);
  }
  Session agent = LoggedIn(agent_token_);
  Answer denied = Call(agent, [](wire::Request::Builder r) { r.setListUsers(); });
  EXPECT_EQ(denied.code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.message(), "role agent lacks permission list_users");
}

TEST_F(HandlerTest, TokenHashNeverLeavesAndUserUpdatesKeepIt) {
  Session admin = LoggedIn(admin_token_);
  const engine::Id agent_id = FindUserByToken(*engine_, agent_token_)->id;
  Answer get = Call(admin, [&](wire::Request::Builder r) {
    auto ref = r.initGet();
    ref.setEntity(static_cast<uint8_t>(EntityKind::kUser));
    ref.setId(agent_id);
  });
  ASSERT_EQ(get.get().which(), wire::Response::RECORD) << get.message();
  engine::Record record;
  ASSERT_TRUE(FromWire(get.get().getRecord(), &record).ok());
  engine::User user = std::get<engine::User>(record);
  EXPECT_TRUE(user.token_hash.empty());

  // Updating the user as read (no hash) keeps its token working.
  user.team = "north";
  engine::WriteOp update;
  update.kind = engine::WriteKind::kUpdate;
  update.record = user;
  Answer written = Call(admin, [&](wire::Request::Builder r) {
    AddOp(r.initWrite().initOps(1)[0], update);
  });
  engine::WriteResult result;
  ASSERT_TRUE(FromWire(written.get().getWrite()[0], &result).ok());
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  EXPECT_EQ(engine_->GetUser(agent_id)->team, "north");
  Session agent = LoggedIn(agent_token_);
  EXPECT_EQ(agent.user.team, "north");
}

// ------------------------------------------------------------------ malformed input

kj::ArrayPtr<const capnp::word> Words(const std::vector<uint64_t>& words) {
  return kj::ArrayPtr<const capnp::word>(reinterpret_cast<const capnp::word*>(words.data()),
                                         words.size());
}

TEST_F(HandlerTest, GarbageWordsAreInvalidArgumentAndClose) {
  for (uint64_t fill : {~uint64_t{0}, uint64_t{0x0123456789abcdef}, uint64_t{2}}) {
    Session session = LoggedIn(agent_token_);
    std::vector<uint64_t> words(9, fill);
    words[0] = uint64_t{8} << 32;  // one segment of 8 words
    Answer answer = Call(session, Words(words));
    EXPECT_TRUE(answer.is_error());
    EXPECT_EQ(answer.code(), Code::kInvalidArgument);
    EXPECT_TRUE(answer.close());
  }
  // A table promising more than the frame holds.
  Session session = LoggedIn(agent_token_);
  std::vector<uint64_t> words = {uint64_t{1000} << 32, 0};
  Answer answer = Call(session, Words(words));
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_EQ(answer.get().getId(), 0u);
  EXPECT_TRUE(answer.close());
}

TEST_F(HandlerTest, AResponseSentAsARequestGetsAnErrorNotACrash) {
  capnp::MallocMessageBuilder message;
  auto response = message.initRoot<wire::Response>();
  response.setId(7);
  auto card = response.initCard();
  card.initCustomer().setName("x");
  card.initContacts(3);
  kj::Array<capnp::word> frame = capnp::messageToFlatArray(message);
  Session fresh;
  Answer before_hello = Call(fresh, frame.asPtr());
  EXPECT_TRUE(before_hello.is_error());
  EXPECT_TRUE(before_hello.close());
  Session session = LoggedIn(agent_token_);
  Answer answer = Call(session, frame.asPtr());
  EXPECT_EQ(answer.get().getId(), 7u);
  EXPECT_TRUE(answer.is_error());
}

// Sets the Request union's discriminant to a raw value no schema defines.
kj::Array<capnp::word> WithDiscriminant(uint16_t value) {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<wire::Request>();
  request.setId(9);
  request.setCounts();
  const uint32_t offset =
      capnp::Schema::from<wire::Request>().getProto().getStruct().getDiscriminantOffset();
  kj::ArrayPtr<capnp::byte> data = message.getRoot<capnp::AnyStruct>().getDataSection();
  KJ_ASSERT(data.size() >= 2 * offset + 2);
  data[2 * offset] = static_cast<capnp::byte>(value & 0xff);
  data[2 * offset + 1] = static_cast<capnp::byte>(value >> 8);
  return capnp::messageToFlatArray(message);
}

TEST_F(HandlerTest, UnknownOperationIsInvalidArgumentButKeepsTheConnection) {
  Session session = LoggedIn(agent_token_);
  kj::Array<capnp::word> frame = WithDiscriminant(200);
  Answer answer = Call(session, frame.asPtr());
  EXPECT_EQ(answer.get().getId(), 9u);
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_EQ(answer.message(), "unknown operation");
  EXPECT_FALSE(answer.close());
  // The connection goes on.
  Answer counts = Call(session, [](wire::Request::Builder r) { r.setCounts(); });
  EXPECT_EQ(counts.get().which(), wire::Response::COUNTS);

  // Before hello, an unknown operation is still "hello first".
  Session fresh;
  Answer first = Call(fresh, frame.asPtr());
  EXPECT_EQ(first.code(), Code::kPermissionDenied);
  EXPECT_TRUE(first.close());
}

TEST_F(HandlerTest, UnknownCardKeyNamesCardKey) {
  Session session = LoggedIn(agent_token_);
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<wire::Request>();
  auto key = request.initCard().initKey();
  key.setId(1);
  const uint32_t offset =
      capnp::Schema::from<wire::CardKey>().getProto().getStruct().getDiscriminantOffset();
  capnp::AnyStruct::Builder any = capnp::toAny(key);
  kj::ArrayPtr<capnp::byte> data = any.getDataSection();
  ASSERT_GE(data.size(), 2 * offset + 2);
  data[2 * offset] = 77;
  kj::Array<capnp::word> frame = capnp::messageToFlatArray(message);
  Answer answer = Call(session, frame.asPtr());
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_EQ(answer.field(), "card.key");
}

TEST_F(HandlerTest, NestingBeyondTheLimitIsRefused) {
  Limits limits;
  limits.nesting_limit = 3;  // Request -> ops -> WriteOp -> Record -> Customer is deeper
  Handler shallow(*engine_, limits);
  Session session = LoggedIn(agent_token_);
  kj::Array<capnp::word> frame = Frame([](wire::Request::Builder r) {
    r.setId(5);
    auto customer = r.initWrite().initOps(1)[0].initCreate().initCustomer();
    customer.setName("deep");
    customer.initPhones(1).set(0, "+8613800000000");
  });
  Answer answer = Call(session, frame.asPtr(), &shallow);
  EXPECT_EQ(answer.code(), Code::kInvalidArgument);
  EXPECT_TRUE(answer.close());
  EXPECT_EQ(engine_->Counts().customers, 0u);
}

// A list of zero-sized structs claiming 2^29 - 1 elements: the reader would
// visit far more than the frame holds, so the traversal limit refuses it.
TEST_F(HandlerTest, AmplifiedListBeyondTheTraversalLimitIsRefused) {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<wire::Request>();
  request.setId(6);
  request.initWrite().initOps(1);
  capnp::AnyStruct::Builder any = message.getRoot<capnp::AnyStruct>();
  const uint32_t slot = capnp::Schema::from<wire::Request::Write>()
                            .getFieldByName("ops")
                            .getProto()
                            .getSlot()
                            .getOffset();
  kj::ArrayPtr<capnp::byte> data = any.getDataSection();
  capnp::byte* pointer = data.end() + 8 * slot;
  uint64_t list;
  std::memcpy(&list, pointer, 8);
  ASSERT_EQ(list & 3, 1u);              // a list pointer
  ASSERT_EQ((list >> 32) & 7, 7u);      // of inline-composite elements
  const int64_t offset = static_cast<int32_t>(static_cast<uint32_t>(list) & ~3u) >> 2;
  capnp::byte* tag = pointer + 8 + 8 * offset;
  const uint64_t amplified_tag = ((uint64_t{1} << 29) - 1) << 2;  // 2^29 - 1 structs of 0 words
  std::memcpy(tag, &amplified_tag, 8);
  list &= (uint64_t{1} << 35) - 1;  // the list holds 0 words
  std::memcpy(pointer, &list, 8);
  kj::Array<capnp::word> frame = capnp::messageToFlatArray(message);

  Session session = LoggedIn(agent_token_);
  Answer answer = Call(session, frame.asPtr());
  EXPECT_EQ(answer.code(), Code::kInvalidArgument)
      << answer.get().which() << " " << (answer.is_error() ? 0 : answer.get().getWrite().size());
  EXPECT_EQ(answer.get().getId(), 6u);
  EXPECT_TRUE(answer.close());
}

TEST_F(HandlerTest, ResponsesEchoTheRequestId) {
  Session session = LoggedIn(agent_token_);
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}}) {
    Answer answer = Call(session, [&](wire::Request::Builder r) {
      r.setId(id);
      r.setCounts();
    });
    EXPECT_EQ(answer.get().getId(), id);
  }
}

}  // namespace
}  // namespace crm::protocol
