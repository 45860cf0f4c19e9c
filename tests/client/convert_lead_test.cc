// Lead conversion (convertLead) through the client, remote (a real server on
// loopback) and embedded alike: the lead becomes active with its first
// opportunity and task in one audited write; a non-lead, a stale revision,
// an unknown customer, a caller out of scope and a bad opportunity or task
// are refused with nothing applied.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "client/client_test_util.h"
#include "crm/client/client.h"
#include "crm/engine/engine.h"
#include "crm/protocol/server.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"

namespace crm::client {
namespace {

using engine::Code;
using engine::EntityKind;
using engine::Id;
using engine::Lifecycle;
using engine::Role;
using engine::WriteKind;
using testing::Individual;
using testing::Mobile;

enum class Mode { kRemote, kEmbedded };

constexpr engine::Micros kDay = 86'400'000'000;

class ConvertLeadTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    {
      EmbeddedOptions options;
      options.engine = testing::ClientEngineOptions(dir_.path());
      options.local_admin = true;
      auto bootstrap = Client::OpenEmbedded(options);
      ASSERT_TRUE(bootstrap.ok()) << bootstrap.status().ToString();
      struct NewUser {
        const char* name;
        Role role;
        const char* team;
      };
      for (const NewUser& user :
           {NewUser{"admin", Role::kAdmin, "hq"}, NewUser{"a1", Role::kAgent, "north"},
            NewUser{"a2", Role::kAgent, "north"}}) {
        const std::string name = user.name;
        auto created = (*bootstrap)->CreateUser(name, user.role, user.team);
        ASSERT_TRUE(created.ok()) << created.status().ToString();
        ids_[name] = created->user.id;
        tokens_[name] = created->token;
      }
    }
    if (GetParam() == Mode::kRemote) {
      auto engine = engine::Engine::Open(testing::ClientEngineOptions(dir_.path()));
      ASSERT_TRUE(engine.ok()) << engine.status().ToString();
      engine_ = std::move(engine).value();
      server_ = std::make_unique<protocol::Server>(*engine_, protocol::ServerOptions{});
      auto port = server_->Start();
      ASSERT_TRUE(port.ok()) << port.status().ToString();
      port_ = *port;
    }
  }

  void TearDown() override {
    clients_.clear();
    if (server_) server_->Stop();
    server_.reset();
    engine_.reset();
  }

  // A client acting as user `name`. Embedded, only one client holds the data
  // directory at a time: asking for another user closes the previous one.
  Client& As(const std::string& name) {
    if (GetParam() == Mode::kEmbedded) {
      for (auto it = clients_.begin(); it != clients_.end();) {
        it = it->first == name ? std::next(it) : clients_.erase(it);
      }
    }
    std::unique_ptr<Client>& client = clients_[name];
    if (!client) {
      Result<std::unique_ptr<Client>> opened = Status::Internal("not opened");
      if (GetParam() == Mode::kRemote) {
        RemoteOptions options;
        options.port = port_;
        options.token = tokens_[name];
        opened = Client::Connect(options);
      } else {
        EmbeddedOptions options;
        options.engine = testing::ClientEngineOptions(dir_.path());
        options.token = tokens_[name];
        opened = Client::OpenEmbedded(options);
      }
      EXPECT_TRUE(opened.ok()) << opened.status().ToString();
      client = std::move(opened).value();
    }
    return *client;
  }

  // A customer of agent a1 (team north) in `lifecycle`, created by the admin.
  Id MakeCustomer(const std::string& name, Lifecycle lifecycle, int phone) {
    engine::Customer c = Individual(name, {Mobile(phone)});
    c.lifecycle = lifecycle;
    c.owner = ids_["a1"];
    c.team = "north";
    auto id = As("admin").Create(c);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  engine::Customer GetCustomer(Id id) {
    auto record = As("admin").Get(EntityKind::kCustomer, id);
    EXPECT_TRUE(record.ok()) << record.status().ToString();
    return record.ok() ? std::get<engine::Customer>(*record) : engine::Customer{};
  }

  size_t CountOf(Id customer, EntityKind kind) {
    auto records = As("admin").List(customer, kind);
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    return records.ok() ? records->size() : 0;
  }

  // The audit entries of one record, oldest first.
  std::vector<engine::AuditEntry> AuditOf(EntityKind entity, Id record) {
    engine::AuditQuery q;
    q.entity = entity;
    q.record = record;
    q.limit = 1000;
    auto page = As("admin").QueryAudit(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->entries : std::vector<engine::AuditEntry>{};
  }

  static engine::Opportunity FirstDeal() {
    engine::Opportunity o;
    o.name = "First order";
    o.amount.minor_units = 1'250'000;
    o.amount.currency = engine::Currency("CNY");
    o.expected_close = testing::kTestNow + 30 * kDay;
    o.source = "trade fair";
    o.campaign = "spring";
    return o;
  }

  static engine::Task FollowUp() {
    engine::Task t;
    t.title = "Call about the first order";
    t.due_at = testing::kTestNow + 2 * kDay;
    return t;
  }

  testing::TempDir dir_;
  std::map<std::string, Id> ids_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<protocol::Server> server_;
  uint16_t port_ = 0;
  std::map<std::string, std::unique_ptr<Client>> clients_;
};

TEST_P(ConvertLeadTest, ConvertsALeadWithItsFirstOpportunityAndTask) {
  const Id lead = MakeCustomer("Lead", Lifecycle::kLead, 1);
  const engine::Customer before = GetCustomer(lead);

  ConvertLeadRequest request;
  request.customer = lead;
  request.revision = before.revision;
  request.opportunity = FirstDeal();
  request.task = FollowUp();
  auto converted = As("a1").ConvertLead(request);
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  EXPECT_EQ(converted->customer, lead);
  ASSERT_NE(converted->opportunity, 0u);
  ASSERT_NE(converted->task, 0u);

  const engine::Customer after = GetCustomer(lead);
  EXPECT_EQ(after.lifecycle, Lifecycle::kActive);
  EXPECT_GT(after.revision, before.revision);
  EXPECT_EQ(after.owner, before.owner);
  EXPECT_EQ(after.name, before.name);

  auto opportunity = As("admin").Get(EntityKind::kOpportunity, converted->opportunity);
  ASSERT_TRUE(opportunity.ok()) << opportunity.status().ToString();
  const auto& o = std::get<engine::Opportunity>(*opportunity);
  EXPECT_EQ(o.customer, lead);
  EXPECT_EQ(o.owner, ids_["a1"]);  // the customer's owner
  EXPECT_EQ(o.stage, engine::Stage::kQualification);
  EXPECT_EQ(o.amount, FirstDeal().amount);
  EXPECT_EQ(o.expected_close, FirstDeal().expected_close);
  EXPECT_EQ(o.source, "trade fair");
  EXPECT_EQ(o.campaign, "spring");

  auto task = As("admin").Get(EntityKind::kTask, converted->task);
  ASSERT_TRUE(task.ok()) << task.status().ToString();
  const auto& t = std::get<engine::Task>(*task);
  EXPECT_EQ(t.customer, lead);
  EXPECT_EQ(t.assignee, ids_["a1"]);
  EXPECT_EQ(t.title, FollowUp().title);
  EXPECT_EQ(t.due_at, FollowUp().due_at);
  EXPECT_EQ(CountOf(lead, EntityKind::kOpportunity), 1u);
  EXPECT_EQ(CountOf(lead, EntityKind::kTask), 1u);

  // One audit entry per record, all by the converting agent.
  const auto customer_log = AuditOf(EntityKind::kCustomer, lead);
  ASSERT_EQ(customer_log.size(), 2u);  // created by the admin, converted by a1
  const engine::AuditEntry& update = customer_log.back();
  EXPECT_EQ(update.kind, WriteKind::kUpdate);
  EXPECT_EQ(update.user, ids_["a1"]);
  ASSERT_TRUE(update.old_value && update.new_value);
  EXPECT_EQ(std::get<engine::Customer>(*update.old_value).lifecycle, Lifecycle::kLead);
  EXPECT_EQ(std::get<engine::Customer>(*update.new_value).lifecycle, Lifecycle::kActive);
  for (auto [kind, id] : {std::pair{EntityKind::kOpportunity, converted->opportunity},
                          std::pair{EntityKind::kTask, converted->task}}) {
    const auto log = AuditOf(kind, id);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].kind, WriteKind::kCreate);
    EXPECT_EQ(log[0].user, ids_["a1"]);
  }
  // Written together, right after the customer's update.
  EXPECT_EQ(AuditOf(EntityKind::kOpportunity, converted->opportunity)[0].sequence,
            update.sequence + 1);
  EXPECT_EQ(AuditOf(EntityKind::kTask, converted->task)[0].sequence, update.sequence + 2);
}

TEST_P(ConvertLeadTest, ConvertsALeadAloneAndDefaultsTheAssignee) {
  const Id lead = MakeCustomer("Alone", Lifecycle::kLead, 2);
  ConvertLeadRequest request;
  request.customer = lead;
  auto converted = As("admin").ConvertLead(request);
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  EXPECT_EQ(*converted, (ConvertedLead{lead, 0, 0}));
  EXPECT_EQ(GetCustomer(lead).lifecycle, Lifecycle::kActive);
  EXPECT_EQ(CountOf(lead, EntityKind::kOpportunity), 0u);
  EXPECT_EQ(CountOf(lead, EntityKind::kTask), 0u);

  // A task given an assignee keeps it.
  const Id other = MakeCustomer("Other", Lifecycle::kLead, 3);
  request.customer = other;
  request.task = FollowUp();
  request.task->assignee = ids_["a2"];
  converted = As("admin").ConvertLead(request);
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();
  auto task = As("admin").Get(EntityKind::kTask, converted->task);
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(std::get<engine::Task>(*task).assignee, ids_["a2"]);
}

TEST_P(ConvertLeadTest, RefusesACustomerThatIsNotALead) {
  const Id prospect = MakeCustomer("Prospect", Lifecycle::kProspect, 4);
  const uint64_t revision = GetCustomer(prospect).revision;
  ConvertLeadRequest request;
  request.customer = prospect;
  request.opportunity = FirstDeal();
  auto converted = As("a1").ConvertLead(request);
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), Code::kFailedPrecondition) << converted.status().ToString();
  EXPECT_EQ(converted.status().field(), "convert_lead.customer");
  EXPECT_NE(converted.status().message().find("prospect"), std::string::npos)
      << converted.status().message();
  EXPECT_EQ(GetCustomer(prospect).revision, revision);
  EXPECT_EQ(CountOf(prospect, EntityKind::kOpportunity), 0u);

  // A converted lead is not a lead any more.
  const Id lead = MakeCustomer("Twice", Lifecycle::kLead, 5);
  request.customer = lead;
  request.opportunity.reset();
  ASSERT_TRUE(As("a1").ConvertLead(request).ok());
  converted = As("a1").ConvertLead(request);
  EXPECT_EQ(converted.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(converted.status().message().find("active"), std::string::npos);
}

TEST_P(ConvertLeadTest, ABadTaskOrOpportunityLeavesEverythingUnchanged) {
  const Id lead = MakeCustomer("Atomic", Lifecycle::kLead, 6);
  const uint64_t revision = GetCustomer(lead).revision;
  const size_t customer_entries = AuditOf(EntityKind::kCustomer, lead).size();

  ConvertLeadRequest request;
  request.customer = lead;
  request.opportunity = FirstDeal();
  request.task = FollowUp();
  request.task->title.clear();
  auto converted = As("a1").ConvertLead(request);
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument) << converted.status().ToString();
  EXPECT_EQ(converted.status().field(), "convert_lead.task.title");

  request.task = FollowUp();
  request.task->due_at = 8'000'000'000'000'000;  // after 2200
  converted = As("a1").ConvertLead(request);
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument) << converted.status().ToString();
  EXPECT_EQ(converted.status().field(), "convert_lead.task.due_at");

  request.task = FollowUp();
  request.opportunity->name.clear();
  converted = As("a1").ConvertLead(request);
  EXPECT_EQ(converted.status().code(), Code::kInvalidArgument) << converted.status().ToString();
  EXPECT_EQ(converted.status().field(), "convert_lead.opportunity.name");

  // Still a lead, at the same revision, with nothing created or audited.
  const engine::Customer after = GetCustomer(lead);
  EXPECT_EQ(after.lifecycle, Lifecycle::kLead);
  EXPECT_EQ(after.revision, revision);
  EXPECT_EQ(CountOf(lead, EntityKind::kOpportunity), 0u);
  EXPECT_EQ(CountOf(lead, EntityKind::kTask), 0u);
  EXPECT_EQ(AuditOf(EntityKind::kCustomer, lead).size(), customer_entries);
}

TEST_P(ConvertLeadTest, AnAgentConvertsOnlyTheirOwnCustomers) {
  const Id lead = MakeCustomer("Not a2's", Lifecycle::kLead, 7);
  ConvertLeadRequest request;
  request.customer = lead;
  request.task = FollowUp();
  auto converted = As("a2").ConvertLead(request);
  ASSERT_FALSE(converted.ok());
  const Status& s = converted.status();
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
  EXPECT_EQ(s.field(), "convert_lead.customer");
  EXPECT_EQ(s.message().rfind("customer.write: ", 0), 0u) << s.message();
  EXPECT_EQ(GetCustomer(lead).lifecycle, Lifecycle::kLead);
  EXPECT_EQ(CountOf(lead, EntityKind::kTask), 0u);

  // The refusal is in the audit log, as a2's.
  engine::AuditQuery q;
  q.user = ids_["a2"];
  q.limit = 1000;
  auto page = As("admin").QueryAudit(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_FALSE(page->entries.empty());
  const engine::AuditEntry& denied = page->entries.back();
  EXPECT_EQ(denied.kind, WriteKind::kDenied);
  EXPECT_EQ(denied.permission, "customer.write");
  EXPECT_EQ(denied.entity, EntityKind::kCustomer);
  EXPECT_EQ(denied.record, lead);
  EXPECT_EQ(denied.message, s.message());
}

TEST_P(ConvertLeadTest, AStaleRevisionIsAConflict) {
  const Id lead = MakeCustomer("Stale", Lifecycle::kLead, 8);
  const uint64_t revision = GetCustomer(lead).revision;
  ConvertLeadRequest request;
  request.customer = lead;
  request.revision = revision + 1;
  auto converted = As("a1").ConvertLead(request);
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), Code::kConflict) << converted.status().ToString();
  EXPECT_EQ(converted.status().field(), "convert_lead.revision");
  EXPECT_EQ(GetCustomer(lead).lifecycle, Lifecycle::kLead);
  request.revision = revision;
  EXPECT_TRUE(As("a1").ConvertLead(request).ok());
}

TEST_P(ConvertLeadTest, AnUnknownCustomerIsNotFound) {
  ConvertLeadRequest request;
  request.customer = 424242;
  request.task = FollowUp();
  auto converted = As("admin").ConvertLead(request);
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), Code::kNotFound) << converted.status().ToString();
  EXPECT_EQ(converted.status().field(), "convert_lead.customer");
}

INSTANTIATE_TEST_SUITE_P(Transports, ConvertLeadTest,
                         ::testing::Values(Mode::kRemote, Mode::kEmbedded),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kRemote ? "Remote" : "Embedded";
                         });

}  // namespace
}  // namespace crm::client
