// Access scopes, handover, the audit log and stats through a real server on
// 127.0.0.1: every rule allowed and denied, each denial audited.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include "crm/client/client.h"
#include "crm/protocol/metrics_http.h"
#include "crm/protocol/server.h"
#include "crm/protocol/users.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"

namespace crm {
namespace {

using client::Client;
using engine::Code;
using engine::EntityKind;
using engine::Id;
using engine::Role;
using engine::WriteKind;
using testing::Individual;
using testing::Mobile;

// A clock one second further on each call: audit times that differ.
std::atomic<engine::Micros> fake_now{testing::kTestNow};
engine::Micros SteppingClock() { return fake_now.fetch_add(1'000'000); }

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::Options options;
    options.data_dir = dir_.path();
    options.no_sync = true;
    options.clock = &SteppingClock;
    auto opened = engine::Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(opened).value();
    protocol::ServerOptions server_options;
    server_options.io_threads = 2;
    server_ = std::make_unique<protocol::Server>(*engine_, server_options);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok());
    port_ = *port;
  }
  void TearDown() override {
    clients_.clear();
    server_.reset();
    engine_.reset();
  }

  // A user and its token.
  Id MakeUser(const std::string& name, Role role, const std::string& team) {
    engine::User user;
    user.name = name;
    user.role = role;
    user.team = team;
    auto token = protocol::CreateUserWithToken(*engine_, engine::Actor{}, user);
    EXPECT_TRUE(token.ok());
    Id id = 0;
    for (const engine::User& u : engine_->ListUsers()) {
      if (u.name == name) id = u.id;
    }
    tokens_[id] = *token;
    return id;
  }
  Client& As(Id user) {
    auto& c = clients_[user];
    if (!c) {
      client::RemoteOptions options;
      options.port = port_;
      options.token = tokens_[user];
      auto connected = Client::Connect(options);
      EXPECT_TRUE(connected.ok()) << connected.status().ToString();
      c = std::move(connected).value();
    }
    return *c;
  }
  // Created directly in the engine as the system.
  Id Make(engine::Record record) {
    auto id = engine_->Create(engine::Actor{}, std::move(record));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  engine::Customer CustomerOf(const std::string& name, Id owner, const std::string& team,
                              int phone) {
    engine::Customer c = Individual(name, {Mobile(phone)});
    c.owner = owner;
    c.team = team;
    return c;
  }

  // `status` is a refusal for `permission`, and the newest audit entry of
  // `user` records it.
  void ExpectDenied(const engine::Status& status, const std::string& permission, Id user) {
    EXPECT_EQ(status.code(), Code::kPermissionDenied) << status.ToString();
    // "customer.write: customer 42 is ..." or "role agent lacks permission x".
    const std::string& m = status.message();
    EXPECT_TRUE(m.rfind(permission + ": ", 0) == 0 ||
                m.ends_with("lacks permission " + permission))
        << "expected the permission " << permission << " named, got: " << m;
    engine::AuditQuery q;
    q.user = user;
    q.limit = 10000;
    auto page = engine_->QueryAudit(q);
    ASSERT_TRUE(page.ok());
    ASSERT_FALSE(page->entries.empty());
    const engine::AuditEntry& last = page->entries.back();
    EXPECT_EQ(last.kind, WriteKind::kDenied);
    EXPECT_EQ(last.permission, permission);
    EXPECT_EQ(last.message, status.message());
    EXPECT_FALSE(last.old_value.has_value());
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<protocol::Server> server_;
  uint16_t port_ = 0;
  std::map<Id, std::string> tokens_;
  std::map<Id, std::unique_ptr<Client>> clients_;
};

// ------------------------------------------------------------------ reads

TEST_F(OpsTest, AgentsReadAnyCardManagersOnlyTheirTeams) {
  const Id a1 = MakeUser("a1", Role::kAgent, "north");
  const Id a3 = MakeUser("a3", Role::kAgent, "south");
  const Id mn = MakeUser("mn", Role::kManager, "north");
  const Id admin = MakeUser("root", Role::kAdmin, "");
  const Id north = Make(CustomerOf("North", a1, "north", 1));
  const Id south = Make(CustomerOf("South", a3, "south", 2));
  // In the team through its owner, though its team field is empty.
  const Id owned = Make(CustomerOf("Owned", a1, "", 3));
  engine::Opportunity opp;
  opp.customer = south;
  opp.name = "deal";
  const Id south_opp = Make(opp);

  EXPECT_TRUE(As(a1).Card(engine::CardKey::ById(south)).ok());
  EXPECT_TRUE(As(a1).Get(EntityKind::kOpportunity, south_opp).ok());
  EXPECT_TRUE(As(admin).Card(engine::CardKey::ById(south)).ok());
  EXPECT_TRUE(As(mn).Card(engine::CardKey::ById(north)).ok());
  EXPECT_TRUE(As(mn).Card(engine::CardKey::ByPhone(Mobile(3))).ok());
  EXPECT_TRUE(As(mn).Get(EntityKind::kCustomer, owned).ok());

  ExpectDenied(As(mn).Card(engine::CardKey::ById(south)).status(), "customer.read", mn);
  ExpectDenied(As(mn).Card(engine::CardKey::ByPhone(Mobile(2))).status(), "customer.read", mn);
  engine::HistoryQuery history;
  history.customer = south;
  ExpectDenied(As(mn).History(history).status(), "customer.read", mn);
  ExpectDenied(As(mn).List(south, EntityKind::kOpportunity).status(), "customer.read", mn);
  ExpectDenied(As(mn).Get(EntityKind::kOpportunity, south_opp).status(), "opportunity.read", mn);
  ExpectDenied(As(mn).Get(EntityKind::kCustomer, south).status(), "customer.read", mn);
  // The denial names the record it refused.
  auto log = engine_->AuditLog(0, 10000);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->back().entity, EntityKind::kCustomer);
  EXPECT_EQ(log->back().record, south);
  EXPECT_EQ(log->back().user, mn);
}

// ------------------------------------------------------------------ agents write

TEST_F(OpsTest, AgentsChangeWhatTheyOwnOrAreAssigned) {
  const Id a1 = MakeUser("a1", Role::kAgent, "north");
  const Id a2 = MakeUser("a2", Role::kAgent, "north");
  const Id a3 = MakeUser("a3", Role::kAgent, "south");
  const Id mine = Make(CustomerOf("Mine", a1, "north", 1));
  const Id theirs = Make(CustomerOf("Theirs", a2, "north", 2));
  const Id south = Make(CustomerOf("South", a3, "south", 3));
  Client& agent = As(a1);

  // Own customer: allowed; someone else's: customer.write.
  engine::Customer c = *engine_->GetCustomer(mine);
  c.industry = "retail";
  EXPECT_TRUE(agent.Update(c).ok());
  engine::Customer t = *engine_->GetCustomer(theirs);
  t.industry = "retail";
  ExpectDenied(agent.Update(t), "customer.write", a1);
  // Never reassigns, never deletes a customer.
  c = *engine_->GetCustomer(mine);
  c.owner = a2;
  ExpectDenied(agent.Update(c), "customer.reassign", a1);
  c = *engine_->GetCustomer(mine);
  c.team = "south";
  ExpectDenied(agent.Update(c), "customer.reassign", a1);
  ExpectDenied(agent.Delete(EntityKind::kCustomer, mine), "customer.delete", a1);
  // Creates customers they own, in their team (both filled in when left out).
  auto created = agent.Create(Individual("New", {Mobile(4)}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(engine_->GetCustomer(*created)->owner, a1);
  EXPECT_EQ(engine_->GetCustomer(*created)->team, "north");
  engine::Customer for_other = Individual("Other's", {Mobile(5)});
  for_other.owner = a2;
  ExpectDenied(agent.Create(for_other).status(), "customer.reassign", a1);

  // Interactions: with any customer when they are the agent of it.
  engine::Interaction call = testing::InteractionOf(south, testing::kTestNow);
  call.agent = a1;
  auto call_id = agent.Create(call);
  ASSERT_TRUE(call_id.ok()) << call_id.status().ToString();
  engine::Interaction other_call = call;
  other_call.agent = a3;
  ExpectDenied(agent.Create(other_call).status(), "interaction.write", a1);
  engine::Interaction logged = *engine_->GetInteraction(*call_id);
  logged.agent = a3;  // handing their call to someone else leaves their scope
  ExpectDenied(agent.Update(logged), "interaction.write", a1);
  // Anything on their own customer.
  engine::Transaction sale;
  sale.customer = mine;
  sale.amount = engine::Money{100, engine::Currency("CNY")};
  EXPECT_TRUE(agent.Create(sale).ok());
  sale.customer = theirs;
  ExpectDenied(agent.Create(sale).status(), "transaction.write", a1);

  // Opportunities and contracts they own, tasks assigned to them, anywhere.
  engine::Opportunity opp;
  opp.customer = south;
  opp.name = "deal";
  opp.owner = a1;
  const Id my_opp = Make(opp);
  opp.owner = a3;
  const Id their_opp = Make(opp);
  engine::Opportunity o = *engine_->GetOpportunity(my_opp);
  o.probability = 50;
  EXPECT_TRUE(agent.Update(o).ok());
  o = *engine_->GetOpportunity(their_opp);
  o.probability = 50;
  ExpectDenied(agent.Update(o), "opportunity.write", a1);
  engine::Opportunity new_opp;
  new_opp.customer = south;
  new_opp.name = "mine now";
  new_opp.owner = a1;
  ExpectDenied(agent.Create(new_opp).status(), "opportunity.write", a1);
  engine::Contract contract;
  contract.customer = south;
  contract.number = "K-1";
  contract.owner = a1;
  const Id my_contract = Make(contract);
  engine::Contract k = *engine_->GetContract(my_contract);
  k.paid_minor_units = 10;
  EXPECT_TRUE(agent.Update(k).ok());
  engine::Task task;
  task.customer = theirs;
  task.assignee = a1;
  task.title = "call back";
  const Id my_task = Make(task);
  engine::Task tk = *engine_->GetTask(my_task);
  tk.done = true;
  EXPECT_TRUE(agent.Update(tk).ok());
  task.assignee = a2;
  const Id their_task = Make(task);
  tk = *engine_->GetTask(their_task);
  tk.done = true;
  ExpectDenied(agent.Update(tk), "task.write", a1);
  ExpectDenied(agent.Delete(EntityKind::kTask, their_task), "task.write", a1);

  // Users: admins only.
  engine::User self = std::get<engine::User>(*agent.Get(EntityKind::kUser, a1));
  self.role = Role::kAdmin;
  auto refused = agent.Write({engine::WriteOp{WriteKind::kUpdate, self}}, true);
  ExpectDenied(refused.status(), "manage_users", a1);
  ExpectDenied(agent.CreateUser("x", Role::kAgent, "").status(), "manage_users", a1);
  // A refused write applies nothing, even its allowed ops.
  engine::Customer fine = *engine_->GetCustomer(mine);
  fine.industry = "wholesale";
  engine::Customer not_fine = *engine_->GetCustomer(theirs);
  not_fine.industry = "wholesale";
  auto mixed = agent.Write({engine::WriteOp{WriteKind::kUpdate, fine},
                            engine::WriteOp{WriteKind::kUpdate, not_fine}},
                           false);
  ExpectDenied(mixed.status(), "customer.write", a1);
  EXPECT_EQ(mixed.status().field(), "write.ops[1]");
  EXPECT_EQ(engine_->GetCustomer(mine)->industry, "retail");
}

// ------------------------------------------------------------------ managers write

TEST_F(OpsTest, ManagersChangeAndReassignWithinTheirTeam) {
  const Id mn = MakeUser("mn", Role::kManager, "north");
  const Id a1 = MakeUser("a1", Role::kAgent, "north");
  const Id a2 = MakeUser("a2", Role::kAgent, "north");
  const Id a3 = MakeUser("a3", Role::kAgent, "south");
  const Id north = Make(CustomerOf("North", a1, "north", 1));
  const Id south = Make(CustomerOf("South", a3, "south", 2));
  Client& manager = As(mn);

  engine::Customer c = *engine_->GetCustomer(north);
  c.owner = a2;  // reassign within the team
  EXPECT_TRUE(manager.Update(c).ok());
  EXPECT_EQ(engine_->GetCustomer(north)->owner, a2);
  c = *engine_->GetCustomer(north);
  c.owner = a3;
  ExpectDenied(manager.Update(c), "customer.reassign", mn);
  c = *engine_->GetCustomer(north);
  c.team = "south";
  ExpectDenied(manager.Update(c), "customer.reassign", mn);
  engine::Customer s = *engine_->GetCustomer(south);
  s.industry = "x";
  ExpectDenied(manager.Update(s), "customer.write", mn);
  ExpectDenied(manager.Delete(EntityKind::kCustomer, south), "customer.write", mn);
  engine::Interaction call = testing::InteractionOf(south, testing::kTestNow);
  ExpectDenied(manager.Create(call).status(), "interaction.write", mn);
  call.customer = north;
  EXPECT_TRUE(manager.Create(call).ok());
  // Creates in their team (filled in), deletes in their team.
  auto created = manager.Create(Individual("Fresh", {Mobile(3)}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(engine_->GetCustomer(*created)->team, "north");
  engine::Customer elsewhere = Individual("Elsewhere", {Mobile(4)});
  elsewhere.team = "south";
  ExpectDenied(manager.Create(elsewhere).status(), "customer.reassign", mn);
  EXPECT_TRUE(manager.Delete(EntityKind::kCustomer, *created).ok());
  // Users, stats, audit of other teams.
  ExpectDenied(manager.CreateUser("x", Role::kAgent, "north").status(), "manage_users", mn);
  EXPECT_TRUE(manager.ListUsers().ok());
  EXPECT_TRUE(manager.Stats().ok());
  ExpectDenied(As(a1).Stats().status(), "read_stats", a1);
  ExpectDenied(As(a1).ListUsers().status(), "list_users", a1);
}

// ------------------------------------------------------------------ audit log

TEST_F(OpsTest, AuditLogByRecordUserAndTimeWithPaging) {
  const Id admin = MakeUser("root", Role::kAdmin, "");
  const Id mn = MakeUser("mn", Role::kManager, "north");
  const Id a1 = MakeUser("a1", Role::kAgent, "north");
  const Id a3 = MakeUser("a3", Role::kAgent, "south");
  const Id north = Make(CustomerOf("North", a1, "north", 1));
  const Id south = Make(CustomerOf("South", a3, "south", 2));
  // Seven updates of `north` by the agent, interleaved with the manager's.
  for (int i = 0; i < 7; ++i) {
    engine::Customer c = *engine_->GetCustomer(north);
    c.industry = "v" + std::to_string(i);
    ASSERT_TRUE(As(a1).Update(c).ok());
    engine::Customer n = *engine_->GetCustomer(north);
    n.category = "c" + std::to_string(i);
    ASSERT_TRUE(As(mn).Update(n).ok());
  }
  auto all = engine_->AuditLog(0, 10000);
  ASSERT_TRUE(all.ok());
  auto page_through = [&](Client& client, engine::AuditQuery q) {
    std::vector<engine::AuditEntry> got;
    q.limit = 3;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = client.QueryAudit(q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->entries.size(), 3u);
      got.insert(got.end(), page->entries.begin(), page->entries.end());
      if (page->next_cursor == 0) break;
      q.after = page->next_cursor;
    }
    return got;
  };
  auto expect = [&](auto keep) {
    std::vector<engine::AuditEntry> out;
    for (const auto& e : *all) {
      if (keep(e)) out.push_back(e);
    }
    return out;
  };

  engine::AuditQuery by_record;
  by_record.entity = EntityKind::kCustomer;
  by_record.record = north;
  auto record_entries = page_through(As(admin), by_record);
  EXPECT_EQ(record_entries, expect([&](const auto& e) {
              return e.entity == EntityKind::kCustomer && e.record == north;
            }));
  ASSERT_EQ(record_entries.size(), 15u);  // the create and 14 updates
  // Old and new values of each update.
  const engine::AuditEntry& first_update = record_entries[1];
  EXPECT_EQ(first_update.kind, WriteKind::kUpdate);
  EXPECT_EQ(first_update.user, a1);
  EXPECT_EQ(std::get<engine::Customer>(*first_update.old_value).industry, "");
  EXPECT_EQ(std::get<engine::Customer>(*first_update.new_value).industry, "v0");
  // The manager reads the log of their team's records and users only.
  EXPECT_EQ(page_through(As(mn), by_record), record_entries);
  engine::AuditQuery by_user;
  by_user.user = a1;
  auto user_entries = page_through(As(mn), by_user);
  EXPECT_EQ(user_entries, expect([&](const auto& e) { return e.user == a1; }));
  EXPECT_EQ(user_entries.size(), 7u);
  engine::AuditQuery south_record = by_record;
  south_record.record = south;
  ExpectDenied(As(mn).QueryAudit(south_record).status(), "read_audit_log", mn);
  engine::AuditQuery south_user;
  south_user.user = a3;
  ExpectDenied(As(mn).QueryAudit(south_user).status(), "read_audit_log", mn);
  ExpectDenied(As(mn).QueryAudit(engine::AuditQuery{}).status(), "read_audit_log", mn);
  ExpectDenied(As(a1).QueryAudit(by_user).status(), "read_audit_log", a1);

  // By time range alone: every entry in [from, to), however it pages.
  auto fresh = engine_->AuditLog(0, 10000);
  ASSERT_TRUE(fresh.ok());
  all = fresh;
  const engine::Micros from = (*all)[5].time;
  const engine::Micros to = (*all)[20].time;
  engine::AuditQuery by_time;
  by_time.from = from;
  by_time.to = to;
  auto time_entries = page_through(As(admin), by_time);
  EXPECT_EQ(time_entries, expect([&](const auto& e) { return e.time >= from && e.time < to; }));
  EXPECT_GE(time_entries.size(), 10u);
  // Combined: one user's entries within the range.
  engine::AuditQuery combined = by_time;
  combined.user = a1;
  EXPECT_EQ(page_through(As(admin), combined), expect([&](const auto& e) {
              return e.user == a1 && e.time >= from && e.time < to;
            }));
  // Times never decrease along the sequence.
  for (size_t i = 1; i < all->size(); ++i) EXPECT_LE((*all)[i - 1].time, (*all)[i].time);
}

TEST_F(OpsTest, AuditLogCannotBeChangedThroughTheProtocol) {
  const Id admin = MakeUser("root", Role::kAdmin, "");
  const uint64_t before = engine_->Counts().audit_entries;
  auto log_before = engine_->AuditLog(0, 10000);
  // No request changes the log: the only ops that write are record writes,
  // and they add entries; a delete of an audit "record" is not a kind.
  engine::WriteOp bogus;
  bogus.kind = WriteKind::kDelete;
  bogus.entity = static_cast<EntityKind>(9);
  bogus.id = 1;
  auto refused = As(admin).Write({bogus}, true);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  auto log_after = engine_->AuditLog(0, before);
  ASSERT_TRUE(log_after.ok());
  EXPECT_EQ(*log_after, *log_before);
}

// ------------------------------------------------------------------ handover

TEST_F(OpsTest, HandoverMovesEverythingAndNothingElseAtomicallyAndRevokesTokens) {
  const Id mn = MakeUser("mn", Role::kManager, "north");
  const Id leaver = MakeUser("leaver", Role::kAgent, "north");
  const Id r1 = MakeUser("r1", Role::kAgent, "north");
  const Id r2 = MakeUser("r2", Role::kAgent, "north");
  const Id other = MakeUser("other", Role::kAgent, "south");
  const Id ms = MakeUser("ms", Role::kManager, "south");
  const Id gone = MakeUser("gone", Role::kAgent, "north");
  engine::User inactive = *engine_->GetUser(gone);
  inactive.active = false;
  ASSERT_TRUE(engine_->Update(engine::Actor{}, inactive).ok());
  // r1 already owns one customer, so the first of the leaver's goes to r2.
  Make(CustomerOf("R1's", r1, "north", 1));
  std::vector<Id> theirs;
  for (int i = 0; i < 3; ++i) theirs.push_back(Make(CustomerOf("L" + std::to_string(i), leaver, "north", 10 + i)));
  const Id others = Make(CustomerOf("Other's", other, "south", 20));
  engine::Opportunity opp;
  opp.name = "o";
  opp.customer = theirs[0];
  opp.owner = leaver;
  const Id opp_follow = Make(opp);  // follows its customer
  opp.customer = others;
  const Id opp_elsewhere = Make(opp);  // the leaver's, on someone else's customer
  opp.owner = other;
  const Id opp_untouched = Make(opp);
  engine::Contract contract;
  contract.customer = theirs[1];
  contract.number = "K";
  contract.owner = leaver;
  const Id contract_moved = Make(contract);
  engine::Task task;
  task.customer = theirs[2];
  task.title = "t";
  task.assignee = leaver;
  const Id task_open = Make(task);
  task.done = true;
  const Id task_done = Make(task);  // done: stays with its author
  task.done = false;
  task.assignee = other;
  const Id task_other = Make(task);
  Client& leaving = As(leaver);  // a session open before the handover
  ASSERT_TRUE(leaving.Counts().ok());

  auto snapshot = [&] {
    std::map<std::pair<EntityKind, Id>, engine::Record> out;
    for (Id c = 1; c <= 12; ++c) {
      if (auto r = engine_->GetCustomer(c); r.ok()) out[{EntityKind::kCustomer, c}] = *r;
      if (auto r = engine_->GetOpportunity(c); r.ok()) out[{EntityKind::kOpportunity, c}] = *r;
      if (auto r = engine_->GetContract(c); r.ok()) out[{EntityKind::kContract, c}] = *r;
      if (auto r = engine_->GetTask(c); r.ok()) out[{EntityKind::kTask, c}] = *r;
      if (auto r = engine_->GetUser(c); r.ok()) out[{EntityKind::kUser, c}] = *r;
    }
    return out;
  };
  const auto before = snapshot();
  const uint64_t audit_before = engine_->Counts().audit_entries;

  // Who may: not an agent, not the manager of another team; a failing
  // handover (receiver inactive or unknown) changes nothing.
  engine::HandoverSpec spec;
  spec.from = leaver;
  spec.to_team = "north";
  spec.deactivate = true;
  ExpectDenied(As(r1).Handover(spec).status(), "handover", r1);
  ExpectDenied(As(ms).Handover(spec).status(), "handover", ms);
  engine::HandoverSpec bad = spec;
  bad.to_team.clear();
  bad.to = gone;
  EXPECT_EQ(As(mn).Handover(bad).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(snapshot(), before);
  const uint64_t audit_ready = engine_->Counts().audit_entries;
  EXPECT_EQ(audit_ready, audit_before + 2);  // the two denials

  auto result = As(mn).Handover(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->customers, 3u);
  EXPECT_EQ(result->opportunities, 2u);
  EXPECT_EQ(result->contracts, 1u);
  EXPECT_EQ(result->tasks, 1u);
  EXPECT_TRUE(result->deactivated);
  // Least loaded: r2 (0) takes the first, then r1 (1) and r2 (1) tie -> r1,
  // then r2 (1) against r1 (2) -> r2.
  EXPECT_EQ(engine_->GetCustomer(theirs[0])->owner, r2);
  EXPECT_EQ(engine_->GetCustomer(theirs[1])->owner, r1);
  EXPECT_EQ(engine_->GetCustomer(theirs[2])->owner, r2);
  EXPECT_EQ(result->receivers,
            (std::vector<std::pair<Id, uint64_t>>{{r1, 1}, {r2, 2}}));
  EXPECT_EQ(engine_->GetOpportunity(opp_follow)->owner, r2);
  const Id elsewhere_owner = engine_->GetOpportunity(opp_elsewhere)->owner;
  EXPECT_TRUE(elsewhere_owner == r1 || elsewhere_owner == r2);
  EXPECT_EQ(engine_->GetContract(contract_moved)->owner, r1);
  EXPECT_EQ(engine_->GetTask(task_open)->assignee, r2);
  EXPECT_FALSE(engine_->GetUser(leaver)->active);

  // Nothing else changed.
  const auto after = snapshot();
  const std::set<std::pair<EntityKind, Id>> moved = {
      {EntityKind::kCustomer, theirs[0]},   {EntityKind::kCustomer, theirs[1]},
      {EntityKind::kCustomer, theirs[2]},   {EntityKind::kOpportunity, opp_follow},
      {EntityKind::kOpportunity, opp_elsewhere}, {EntityKind::kContract, contract_moved},
      {EntityKind::kTask, task_open},       {EntityKind::kUser, leaver}};
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [key, record] : before) {
    if (moved.count(key)) {
      EXPECT_NE(after.at(key), record) << engine::Name(key.first) << " " << key.second;
    } else {
      EXPECT_EQ(after.at(key), record) << engine::Name(key.first) << " " << key.second;
    }
  }
  EXPECT_EQ(engine_->GetOpportunity(opp_untouched)->owner, other);
  EXPECT_EQ(engine_->GetTask(task_done)->assignee, leaver);
  EXPECT_EQ(engine_->GetTask(task_other)->assignee, other);

  // One audit entry per record changed, all in one commit, as the manager.
  auto log = engine_->AuditLog(audit_ready, 10000);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), moved.size());
  for (const engine::AuditEntry& e : *log) {
    EXPECT_EQ(e.user, mn);
    EXPECT_EQ(e.kind, WriteKind::kUpdate);
    EXPECT_EQ(e.message, "handover of user " + std::to_string(leaver));
    EXPECT_EQ(e.time, log->front().time);
    EXPECT_TRUE(moved.count({e.entity, e.record}));
    EXPECT_TRUE(e.old_value && e.new_value);
  }

  // The leaver's open session and token stop working.
  auto refused = leaving.Counts();
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  client::RemoteOptions again;
  again.port = port_;
  again.token = tokens_[leaver];
  EXPECT_EQ(Client::Connect(again).status().code(), Code::kPermissionDenied);
  // Others go on.
  EXPECT_TRUE(As(r1).Counts().ok());
}

TEST_F(OpsTest, HandoverToOneUserKeepsAChangingUserActive) {
  const Id admin = MakeUser("root", Role::kAdmin, "");
  const Id mover = MakeUser("mover", Role::kAgent, "north");
  const Id taker = MakeUser("taker", Role::kAgent, "north");
  const Id c = Make(CustomerOf("C", mover, "north", 1));
  Client& moving = As(mover);
  ASSERT_TRUE(moving.Counts().ok());
  engine::HandoverSpec spec;
  spec.from = mover;
  spec.to = taker;
  spec.new_team = "south";
  auto result = As(admin).Handover(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->customers, 1u);
  EXPECT_FALSE(result->deactivated);
  EXPECT_EQ(engine_->GetCustomer(c)->owner, taker);
  EXPECT_EQ(engine_->GetUser(mover)->team, "south");
  EXPECT_TRUE(engine_->GetUser(mover)->active);
  // Still works, now as a member of the new team.
  auto card = moving.Card(engine::CardKey::ById(c));
  EXPECT_TRUE(card.ok());
  engine::Customer now = card->customer;
  now.industry = "x";
  EXPECT_EQ(moving.Update(now).code(), Code::kPermissionDenied);  // no longer theirs
}

// ------------------------------------------------------------------ stats

// Sends `request` to 127.0.0.1:port and returns everything the server sends
// back before it closes (at most 5 s).
std::string HttpExchange(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST_F(OpsTest, StatsAndPrometheusEndpoint) {
  const Id admin = MakeUser("root", Role::kAdmin, "");
  const Id a1 = MakeUser("a1", Role::kAgent, "north");
  const Id c = Make(CustomerOf("C", a1, "north", 1));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(As(a1).Card(engine::CardKey::ById(c)).ok());
  EXPECT_EQ(As(a1).Card(engine::CardKey::ById(999)).status().code(), Code::kNotFound);
  auto stats = As(admin).Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->connections, 2u);
  EXPECT_GE(stats->connections_total, 2u);
  EXPECT_EQ(stats->counts.customers, 1u);
  EXPECT_EQ(stats->counts.users, 2u);
  EXPECT_GT(stats->resident_bytes, 0u);
  EXPECT_GT(stats->store_bytes, 0u);
  EXPECT_GT(stats->storage.file_bytes, 0u);
  EXPECT_GT(stats->storage.used_bytes, 0u);
  EXPECT_GT(stats->uptime_micros, 0);
  const protocol::OpStats* card = nullptr;
  for (const auto& op : stats->ops) {
    if (op.name == "card") card = &op;
  }
  ASSERT_NE(card, nullptr);
  EXPECT_EQ(card->requests, 51u);
  EXPECT_EQ(card->errors, 1u);
  EXPECT_GT(card->p50_us, 0);
  EXPECT_LE(card->p50_us, card->p90_us);
  EXPECT_LE(card->p90_us, card->p99_us);
  EXPECT_LE(card->p99_us, card->p999_us);
  EXPECT_LE(card->p999_us, card->max_us);
  EXPECT_GT(card->rate_per_second, 0);

  protocol::MetricsOptions options;
  options.timeout = std::chrono::milliseconds(300);
  protocol::Handler* handler = server_->handler();
  ASSERT_NE(handler, nullptr);
  protocol::MetricsServer metrics([handler] { return protocol::ToPrometheus(handler->Stats(false)); },
                                  options);
  auto port = metrics.Start();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  std::string ok = HttpExchange(*port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(ok.find("crm_requests_total{op=\"card\"} 51\n"), std::string::npos) << ok;
  EXPECT_NE(ok.find("crm_request_errors_total{op=\"card\"} 1\n"), std::string::npos);
  EXPECT_NE(ok.find("crm_records{kind=\"customer\"} 1\n"), std::string::npos);
  EXPECT_NE(ok.find("crm_request_latency_seconds{op=\"card\",quantile=\"0.99\"}"),
            std::string::npos);
  EXPECT_NE(ok.find("crm_connections 2\n"), std::string::npos);
  const size_t body = ok.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  const std::string length = "Content-Length: " + std::to_string(ok.size() - body - 4);
  EXPECT_NE(ok.find(length), std::string::npos);
  EXPECT_EQ(HttpExchange(*port, "GET /other HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(HttpExchange(*port, "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(HttpExchange(*port, "garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(HttpExchange(*port, "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') +
                                    "\r\n\r\n")
                .rfind("HTTP/1.1 431", 0),
            0u);
  // A peer that never finishes its request is closed after the timeout.
  std::string silent = HttpExchange(*port, "GET /metr");
  EXPECT_TRUE(silent.empty()) << silent;
  // The endpoint still serves after all that.
  EXPECT_EQ(HttpExchange(*port, "GET /metrics HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
  metrics.Stop();
}

}  // namespace
}  // namespace crm
