// Value, scoring and reports through the client library: a remote client
// (a real Server on 127.0.0.1) and an embedded one on the same data give
// the same answers and the same errors; crmctl prints them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/engine.h"
#include "crm/protocol/server.h"
#include "crm/protocol/users.h"
#include "client/client_test_util.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"
#include "protocol/value_test_data.h"

namespace crm::client {
namespace {

using engine::Code;
using engine::Id;

// Everything both clients are asked, in one place.
struct Answers {
  std::vector<engine::ValueSummary> values;
  Status missing_value;
  ScoringState scoring;
  engine::ParetoReport pareto, pareto_revenue;
  engine::TierReport tiers;
  engine::GroupReport group;
  engine::PipelineReport pipeline;
  engine::ContractReport contracts;
  engine::ChurnReport churn;
  engine::SatisfactionReport satisfaction;
  engine::ConversionReport conversion;
  engine::OwnerKpiReport kpis;
  Status bad_range, bad_config, bad_unit;
};

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

Answers Ask(Client& client, const std::vector<Id>& customers) {
  Answers a;
  for (Id id : customers) a.values.push_back(Must(client.Value(id)));
  a.missing_value = client.Value(999999).status();
  a.scoring = Must(client.Scoring());
  a.pareto = Must(client.Pareto(engine::ParetoQuery{}));
  engine::ParetoQuery revenue;
  revenue.metric = engine::ParetoQuery::Metric::kRevenue;
  revenue.points = 5;
  revenue.as_of = testing::kTestNow - 20 * testing::kDay;
  a.pareto_revenue = Must(client.Pareto(revenue));
  a.tiers = Must(client.Tiers(engine::TierQuery{testing::kTestNow, 0}));
  a.group = Must(client.Group(engine::GroupQuery{engine::Dimension::kIndustry, 0}));
  a.pipeline = Must(client.Pipeline());
  a.contracts = Must(client.Contracts(30, testing::kTestNow));
  engine::ChurnQuery churn;
  churn.inactive_days = 60;
  a.churn = Must(client.Churn(churn));
  a.satisfaction = Must(client.Satisfaction());
  a.conversion = Must(client.Conversion(engine::ConversionQuery{true}));
  a.kpis = Must(client.OwnerKpis());
  // Errors: a query out of range, a refused config, a bad unit.
  engine::ChurnQuery bad;
  bad.revenue_drop = 2;
  a.bad_range = client.Churn(bad).status();
  engine::ScoringConfig config = a.scoring.config;
  config.mid_class_percent = 95;
  a.bad_config = client.SetScoring(config).status();
  config = a.scoring.config;
  config.units[static_cast<int>(engine::Factor::kRevenue)] = 0;
  a.bad_unit = client.SetScoring(config).status();
  return a;
}

void SameStatus(const Status& a, const Status& b) {
  EXPECT_EQ(a.code(), b.code()) << a.ToString() << " vs " << b.ToString();
  EXPECT_EQ(a.message(), b.message());
  EXPECT_EQ(a.field(), b.field());
}

void ExpectSameAnswers(const Answers& a, const Answers& b) {
  ASSERT_EQ(a.values.size(), b.values.size());
  for (size_t i = 0; i < a.values.size(); ++i) testing::ExpectSameValue(a.values[i], b.values[i]);
  SameStatus(a.missing_value, b.missing_value);
  EXPECT_EQ(a.scoring.config, b.scoring.config);
  EXPECT_EQ(a.scoring.history, b.scoring.history);
  testing::ExpectSameCutoffs(a.scoring.cutoffs, b.scoring.cutoffs);
  testing::ExpectSame(a.pareto, b.pareto);
  testing::ExpectSame(a.pareto_revenue, b.pareto_revenue);
  testing::ExpectSame(a.tiers, b.tiers);
  testing::ExpectSame(a.group, b.group);
  testing::ExpectSame(a.pipeline, b.pipeline);
  testing::ExpectSame(a.contracts, b.contracts);
  testing::ExpectSame(a.churn, b.churn);
  testing::ExpectSame(a.satisfaction, b.satisfaction);
  testing::ExpectSame(a.conversion, b.conversion);
  testing::ExpectSame(a.kpis, b.kpis);
  SameStatus(a.bad_range, b.bad_range);
  SameStatus(a.bad_config, b.bad_config);
  SameStatus(a.bad_unit, b.bad_unit);
}

class ValueClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::Engine::Open(testing::ClientEngineOptions(dir_.path()));
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine::User admin;
    admin.name = "admin";
    admin.role = engine::Role::kAdmin;
    auto token = protocol::CreateUserWithToken(**engine, engine::Actor{}, admin);
    ASSERT_TRUE(token.ok());
    token_ = *token;
    engine::User agent;
    agent.name = "agent";
    agent.role = engine::Role::kAgent;
    auto agent_token = protocol::CreateUserWithToken(**engine, engine::Actor{}, agent);
    ASSERT_TRUE(agent_token.ok());
    agent_token_ = *agent_token;
    std::vector<Id> owners;
    for (const engine::User& u : (*engine)->ListUsers()) owners.push_back(u.id);
    customers_ = testing::SeedBook(**engine, owners);
  }

  Answers Remote(const std::string& token) {
    auto engine = engine::Engine::Open(testing::ClientEngineOptions(dir_.path()));
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    protocol::ServerOptions options;
    options.stop_timeout = std::chrono::milliseconds(2000);
    protocol::Server server(**engine, options);
    auto port = server.Start();
    EXPECT_TRUE(port.ok());
    RemoteOptions remote;
    remote.port = *port;
    remote.token = token;
    auto client = Client::Connect(remote);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    Answers a = Ask(**client, customers_);
    client->reset();
    server.Stop();
    return a;
  }

  Answers Embedded(const std::string& token) {
    EmbeddedOptions options;
    options.engine = testing::ClientEngineOptions(dir_.path());
    options.token = token;
    auto client = Client::OpenEmbedded(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return Ask(**client, customers_);
  }

  testing::TempDir dir_;
  std::string token_, agent_token_;
  std::vector<Id> customers_;
};

TEST_F(ValueClientTest, RemoteAndEmbeddedGiveTheSameValuesScoringAndReports) {
  Answers remote = Remote(token_);
  Answers embedded = Embedded(token_);
  ExpectSameAnswers(remote, embedded);
  // The answers are real ones, not empty ones.
  EXPECT_TRUE(remote.values.back().scored);
  EXPECT_EQ(remote.pareto.customers, customers_.size());
  EXPECT_EQ(remote.pareto_revenue.curve.size(), 5u);
  EXPECT_EQ(remote.missing_value.code(), Code::kNotFound);
  EXPECT_EQ(remote.bad_config.code(), Code::kInvalidArgument);
  EXPECT_EQ(remote.bad_config.field(), "set_scoring.mid_class_percent");
  EXPECT_EQ(remote.bad_unit.field(), "set_scoring.units.revenue");
  EXPECT_EQ(remote.bad_range.field(), "report.churn.revenue_drop");
}

TEST_F(ValueClientTest, AConfigSetRemotelyIsInForceEmbeddedAndViceVersa) {
  engine::ScoringConfig config;
  {
    Answers before = Remote(token_);
    config = before.scoring.config;
  }
  config.pareto_percent = 70;
  config.window_days = 180;
  {
    auto engine = engine::Engine::Open(testing::ClientEngineOptions(dir_.path()));
    ASSERT_TRUE(engine.ok());
    protocol::Server server(**engine, protocol::ServerOptions{});
    auto port = server.Start();
    ASSERT_TRUE(port.ok());
    RemoteOptions remote;
    remote.port = *port;
    remote.token = token_;
    auto client = Client::Connect(remote);
    ASSERT_TRUE(client.ok());
    engine::ScoringConfig stored = Must((*client)->SetScoring(config));
    EXPECT_EQ(stored.version, 1u);
    EXPECT_EQ(stored.window_days, 180u);
    client->reset();
    server.Stop();
  }
  EmbeddedOptions options;
  options.engine = testing::ClientEngineOptions(dir_.path());
  options.token = token_;
  auto client = Client::OpenEmbedded(options);
  ASSERT_TRUE(client.ok());
  ScoringState state = Must((*client)->Scoring());
  EXPECT_EQ(state.config.version, 1u);
  EXPECT_EQ(state.config.pareto_percent, 70);
  ASSERT_EQ(state.history.size(), 1u);
  config.pareto_percent = 90;
  EXPECT_EQ(Must((*client)->SetScoring(config)).version, 2u);
  EXPECT_EQ(Must((*client)->Value(customers_[0])).config_version, 2u);
}

TEST_F(ValueClientTest, AgentsReadValuesButNotReportsNorSetScoringEitherWay) {
  for (bool remote : {true, false}) {
    SCOPED_TRACE(remote ? "remote" : "embedded");
    std::unique_ptr<engine::Engine> engine;
    std::unique_ptr<protocol::Server> server;
    std::unique_ptr<Client> client;
    if (remote) {
      auto opened = engine::Engine::Open(testing::ClientEngineOptions(dir_.path()));
      ASSERT_TRUE(opened.ok());
      engine = std::move(opened).value();
      server = std::make_unique<protocol::Server>(*engine, protocol::ServerOptions{});
      auto port = server->Start();
      ASSERT_TRUE(port.ok());
      RemoteOptions options;
      options.port = *port;
      options.token = agent_token_;
      client = Must(Client::Connect(options));
    } else {
      EmbeddedOptions options;
      options.engine = testing::ClientEngineOptions(dir_.path());
      options.token = agent_token_;
      client = Must(Client::OpenEmbedded(options));
    }
    ASSERT_NE(client, nullptr);
    EXPECT_TRUE(client->Value(customers_[0]).ok());
    ScoringState state = Must(client->Scoring());
    EXPECT_EQ(client->Pipeline().status().code(), Code::kPermissionDenied);
    EXPECT_EQ(client->SetScoring(state.config).status().code(), Code::kPermissionDenied);
    client.reset();
    if (server) server->Stop();
  }
}

using crm::testing::RunCrmctl;

TEST_F(ValueClientTest, CrmctlPrintsTheParetoAsJsonAndRefusesUnknownFactors) {
  std::string out;
  ASSERT_EQ(RunCrmctl("--data " + dir_.path() + " report pareto --points 4 --json", &out), 0)
      << out;
  EXPECT_EQ(out.rfind("{\"report\":\"pareto\"", 0), 0u) << out;
  EXPECT_NE(out.find("\"customers\":" + std::to_string(customers_.size())), std::string::npos)
      << out;
  EXPECT_NE(out.find("\"curve\":[{"), std::string::npos);

  out.clear();
  EXPECT_EQ(RunCrmctl("--data " + dir_.path() + " tiers set --current charm=0.3", &out), 1);
  EXPECT_NE(out.find("unknown factor \"charm\""), std::string::npos) << out;

  out.clear();
  ASSERT_EQ(RunCrmctl("--data " + dir_.path() + " report pareto --svg " + dir_.Sub("p.svg"), &out),
            0)
      << out;
  std::ifstream svg(dir_.Sub("p.svg"));
  std::stringstream text;
  text << svg.rdbuf();
  EXPECT_EQ(text.str().rfind("<?xml", 0), 0u);
  EXPECT_NE(text.str().find("<polyline"), std::string::npos);
  EXPECT_NE(text.str().find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace crm::client
