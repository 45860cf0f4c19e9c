// Value, scoring and reports through the Handler against a real engine:
// what arrives equals the engine's own answer, config changes are validated
// and admin-only, reports are for admins and managers.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crm.capnp.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/handler.h"
#include "crm/protocol/users.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"
#include "protocol/value_test_data.h"

namespace crm::protocol {
namespace {

using engine::Code;
using engine::Factor;
using engine::Role;

using Fill = std::function<void(wire::Request::Builder)>;

// One response, parsed.
class Answer {
 public:
  explicit Answer(kj::Array<capnp::word> frame)
      : frame_(kj::mv(frame)),
        reader_(std::make_unique<capnp::FlatArrayMessageReader>(frame_.asPtr())) {}
  wire::Response::Reader get() const { return reader_->getRoot<wire::Response>(); }
  Code code() const {
    return get().isError() ? static_cast<Code>(get().getError().getCode()) : Code::kOk;
  }
  std::string field() const { return get().getError().getField().cStr(); }
  std::string message() const { return get().getError().getMessage().cStr(); }

 private:
  kj::Array<capnp::word> frame_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

class ValueWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::OpenEngine(dir_.path());
    ASSERT_NE(engine_, nullptr);
    handler_ = std::make_unique<Handler>(*engine_);
    admin_ = Login("admin", Role::kAdmin);
    manager_ = Login("manager", Role::kManager);
    agent_ = Login("agent", Role::kAgent);
    customers_ = testing::SeedBook(*engine_, {admin_id_, manager_.user.id, agent_.user.id});
  }

  // Creates a user with `role` and returns a session authenticated as it.
  Session Login(const std::string& name, Role role) {
    engine::User user;
    user.name = name;
    user.role = role;
    engine::Result<std::string> token = CreateUserWithToken(*engine_, engine::Actor{}, user);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    Session session;
    Answer hello = Call(session, [&](wire::Request::Builder r) {
      auto h = r.initHello();
      h.setProtocolVersion(kProtocolVersion);
      h.setToken(token.ok() ? *token : "");
    });
    EXPECT_EQ(hello.get().which(), wire::Response::HELLO);
    if (role == Role::kAdmin) admin_id_ = session.user.id;
    return session;
  }

  // Sends one request and waits (at most 30 s) for its reply.
  Answer Call(Session& session, const Fill& fill) {
    capnp::MallocMessageBuilder message;
    fill(message.initRoot<wire::Request>());
    kj::Array<capnp::word> frame = capnp::messageToFlatArray(message);
    auto promise = std::make_shared<std::promise<kj::Array<capnp::word>>>();
    std::future<kj::Array<capnp::word>> future = promise->get_future();
    handler_->Handle(session, frame.asPtr(), [promise](kj::Array<capnp::word> f, bool) {
      promise->set_value(kj::mv(f));
    });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "no reply within 30 s";
      std::abort();
    }
    return Answer(future.get());
  }

  Answer Report(Session& session, const ReportQuery& query) {
    return Call(session, [&](wire::Request::Builder r) { ToWire(query, r.initReport()); });
  }

  // The report `query` asks for, decoded, as alternative T.
  template <typename T>
  T ReportAs(Session& session, const ReportQuery& query) {
    Answer answer = Report(session, query);
    EXPECT_EQ(answer.get().which(), wire::Response::REPORT) << answer.message();
    if (answer.get().which() != wire::Response::REPORT) return T{};
    protocol::Report report;
    engine::Status s = FromWire(answer.get().getReport(), &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(std::holds_alternative<T>(report));
    return std::holds_alternative<T>(report) ? std::get<T>(report) : T{};
  }

  Answer SetScoring(Session& session, const engine::ScoringConfig& config) {
    return Call(session, [&](wire::Request::Builder r) {
      engine::Encode(config, r.initSetScoring());
    });
  }

  testing::TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Handler> handler_;
  engine::Id admin_id_ = 0;
  Session admin_, manager_, agent_;
  std::vector<engine::Id> customers_;
};

TEST_F(ValueWireTest, ValueSummaryEqualsTheEnginesForEveryRole) {
  for (Session* session : {&admin_, &manager_, &agent_}) {
    for (engine::Id id : customers_) {
      Answer answer = Call(*session, [&](wire::Request::Builder r) { r.setValue(id); });
      ASSERT_EQ(answer.get().which(), wire::Response::VALUE) << answer.message();
      engine::ValueSummary got;
      ASSERT_TRUE(FromWire(answer.get().getValue(), &got).ok());
      engine::ValueSummary expected = testing::Must(engine_->Value(id));
      testing::ExpectSameValue(got, expected);
    }
  }
  // The biggest buyer is scored, ranked first of all, and its factors explain it.
  engine::ValueSummary top = testing::Must(engine_->Value(customers_.back()));
  EXPECT_TRUE(top.scored);
  EXPECT_EQ(top.current_rank, 1u);
  EXPECT_EQ(top.customers, customers_.size());
  EXPECT_GT(top.factors[static_cast<int>(Factor::kRevenue)].raw, 0);

  Answer missing = Call(agent_, [](wire::Request::Builder r) { r.setValue(999999); });
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.field(), "value");
}

TEST_F(ValueWireTest, ValueSummaryRejectsUnknownNamesNamingTheField) {
  capnp::MallocMessageBuilder message;
  auto w = message.initRoot<wire::ValueSummary>();
  ToWire(testing::Must(engine_->Value(customers_[0])), w);
  engine::ValueSummary out;
  w.setTier("platinum");
  engine::Status s = FromWire(w.asReader(), &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.field(), "tier");
  w.setTier("key");
  w.getFactors()[2].setFactor("charm");
  s = FromWire(w.asReader(), &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.field(), "factors[2].factor");
}

TEST_F(ValueWireTest, ScoringReturnsTheConfigHistoryAndCutoffs) {
  Answer answer = Call(agent_, [](wire::Request::Builder r) { r.setScoring(); });
  ASSERT_EQ(answer.get().which(), wire::Response::SCORING) << answer.message();
  ScoringState state;
  ASSERT_TRUE(FromWire(answer.get().getScoring(), &state).ok());
  EXPECT_EQ(state.config, engine_->Scoring());
  EXPECT_EQ(state.config, engine::ScoringConfig::Default());
  EXPECT_TRUE(state.history.empty());
  testing::ExpectSameCutoffs(state.cutoffs, engine_->CurrentCutoffs());
  EXPECT_EQ(state.cutoffs.customers, customers_.size());
}

TEST_F(ValueWireTest, AdminSetsScoringWhichIsStoredVersionedAndRescores) {
  engine::ScoringConfig config = engine_->Scoring();
  config.current_weights.fill(0);
  config.current_weights[static_cast<int>(Factor::kPipeline)] = 1;
  config.pareto_percent = 60;
  Answer answer = SetScoring(admin_, config);
  ASSERT_EQ(answer.get().which(), wire::Response::SCORING_SET) << answer.message();
  engine::ScoringConfig stored;
  ASSERT_TRUE(engine::Decode(answer.get().getScoringSet(), &stored).ok());
  EXPECT_EQ(stored.version, 1u);
  EXPECT_EQ(stored.changed_by, admin_id_);
  EXPECT_EQ(stored, engine_->Scoring());
  EXPECT_EQ(stored.pareto_percent, 60);

  Answer again = Call(manager_, [](wire::Request::Builder r) { r.setScoring(); });
  ScoringState state;
  ASSERT_TRUE(FromWire(again.get().getScoring(), &state).ok());
  ASSERT_EQ(state.history.size(), 1u);
  EXPECT_EQ(state.history[0], stored);
  EXPECT_EQ(state.config, stored);
  // Every customer was rescored under the new version.
  for (engine::Id id : customers_) {
    engine::ValueSummary v = testing::Must(engine_->Value(id));
    EXPECT_EQ(v.config_version, 1u);
    EXPECT_EQ(v.factors[static_cast<int>(Factor::kRevenue)].current, 0);
  }
}

TEST_F(ValueWireTest, BadConfigsAreInvalidArgumentNamingTheFieldAndChangeNothing) {
  const engine::ScoringConfig before = engine_->Scoring();
  struct Case {
    std::function<void(engine::ScoringConfig&)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](engine::ScoringConfig& c) { c.current_weights[0] = -0.5; },
       "set_scoring.current_weights.revenue"},
      {[](engine::ScoringConfig& c) { c.pareto_percent = 0; }, "set_scoring.pareto_percent"},
      {[](engine::ScoringConfig& c) { c.pareto_percent = 101; }, "set_scoring.pareto_percent"},
      {[](engine::ScoringConfig& c) { c.potential_weights.fill(0); },
       "set_scoring.potential_weights"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    engine::ScoringConfig config = before;
    c.change(config);
    Answer answer = SetScoring(admin_, config);
    EXPECT_EQ(answer.code(), Code::kInvalidArgument);
    EXPECT_EQ(answer.field(), c.field);
    EXPECT_EQ(engine_->Scoring(), before);
  }
  // An unknown factor name, as a peer could send it.
  Answer unknown = Call(admin_, [&](wire::Request::Builder r) {
    auto w = r.initSetScoring();
    engine::Encode(before, w);
    w.getFactors()[3].setFactor("charm");
  });
  EXPECT_EQ(unknown.code(), Code::kInvalidArgument);
  EXPECT_EQ(unknown.field(), "set_scoring.factors[3].factor");
  EXPECT_NE(unknown.message().find("charm"), std::string::npos);
  EXPECT_EQ(engine_->Scoring(), before);
  EXPECT_TRUE(testing::Must(engine_->ScoringHistory()).empty());
}

TEST_F(ValueWireTest, OnlyAdminsSetScoring) {
  const engine::ScoringConfig before = engine_->Scoring();
  for (Session* session : {&manager_, &agent_}) {
    Answer answer = SetScoring(*session, before);
    EXPECT_EQ(answer.code(), Code::kPermissionDenied);
    EXPECT_NE(answer.message().find("set_scoring requires the admin role"), std::string::npos)
        << answer.message();
  }
  EXPECT_TRUE(testing::Must(engine_->ScoringHistory()).empty());
}

TEST_F(ValueWireTest, ReportsAreForAdminsAndManagersOnly) {
  Answer denied = Report(agent_, PipelineQuery{});
  EXPECT_EQ(denied.code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "role agent lacks permission read_reports: read_reports requires the admin or "
            "manager role");
  Answer churn = Report(agent_, engine::ChurnQuery{});
  EXPECT_EQ(churn.code(), Code::kPermissionDenied);
  EXPECT_EQ(Report(manager_, PipelineQuery{}).get().which(), wire::Response::REPORT);
  EXPECT_EQ(Report(admin_, PipelineQuery{}).get().which(), wire::Response::REPORT);
}

TEST_F(ValueWireTest, EveryReportEqualsTheEngines) {
  const engine::Micros as_of = testing::kTestNow - 15 * testing::kDay;
  for (auto metric : {engine::ParetoQuery::Metric::kCurrentValue,
                      engine::ParetoQuery::Metric::kRevenue, engine::ParetoQuery::Metric::kProfit}) {
    engine::ParetoQuery q;
    q.metric = metric;
    q.points = 7;
    testing::ExpectSame(ReportAs<engine::ParetoReport>(manager_, q),
                        testing::Must(engine_->Pareto(q)));
    q.as_of = as_of;
    testing::ExpectSame(ReportAs<engine::ParetoReport>(manager_, q),
                        testing::Must(engine_->Pareto(q)));
  }
  engine::ParetoReport pareto = testing::Must(engine_->Pareto(engine::ParetoQuery{}));
  EXPECT_EQ(pareto.customers, customers_.size());
  EXPECT_FALSE(pareto.curve.empty());

  engine::TierQuery tiers{testing::kTestNow - testing::kDay, 0};
  testing::ExpectSame(ReportAs<engine::TierReport>(admin_, tiers),
                      testing::Must(engine_->Tiers(tiers)));
  for (int d = 0; d <= static_cast<int>(engine::Dimension::kValueClass); ++d) {
    engine::GroupQuery q{static_cast<engine::Dimension>(d), d % 2 ? as_of : 0};
    SCOPED_TRACE(std::string(engine::Name(q.dimension)));
    testing::ExpectSame(ReportAs<engine::GroupReport>(manager_, q),
                        testing::Must(engine_->Group(q)));
  }
  testing::ExpectSame(ReportAs<engine::PipelineReport>(manager_, PipelineQuery{}),
                      testing::Must(engine_->Pipeline()));
  engine::ContractReport contracts =
      ReportAs<engine::ContractReport>(manager_, ContractQuery{30, testing::kTestNow});
  testing::ExpectSame(contracts, testing::Must(engine_->Contracts(30, testing::kTestNow)));
  EXPECT_EQ(contracts.expiring, 1u);
  engine::ChurnQuery churn;
  churn.inactive_days = 60;
  churn.limit = 5;
  testing::ExpectSame(ReportAs<engine::ChurnReport>(manager_, churn),
                      testing::Must(engine_->Churn(churn)));
  testing::ExpectSame(ReportAs<engine::SatisfactionReport>(manager_, SatisfactionQuery{as_of}),
                      testing::Must(engine_->Satisfaction(as_of)));
  for (bool by_campaign : {false, true}) {
    engine::ConversionQuery q{by_campaign};
    testing::ExpectSame(ReportAs<engine::ConversionReport>(manager_, q),
                        testing::Must(engine_->Conversion(q)));
  }
  testing::ExpectSame(ReportAs<engine::OwnerKpiReport>(admin_, OwnerKpiQuery{}),
                      testing::Must(engine_->OwnerKpis(0)));
}

TEST_F(ValueWireTest, BadReportQueriesNameTheField) {
  Answer dimension = Call(manager_, [](wire::Request::Builder r) {
    r.initReport().initGroup().setDimension("shoe_size");
  });
  EXPECT_EQ(dimension.code(), Code::kInvalidArgument);
  EXPECT_EQ(dimension.field(), "report.group.dimension");
  EXPECT_NE(dimension.message().find("industry"), std::string::npos);  // lists the names

  Answer metric = Call(manager_, [](wire::Request::Builder r) {
    r.initReport().initPareto().setMetric("happiness");
  });
  EXPECT_EQ(metric.code(), Code::kInvalidArgument);
  EXPECT_EQ(metric.field(), "report.pareto.metric");

  engine::ParetoQuery points;
  points.points = 0;
  Answer zero = Report(manager_, points);
  EXPECT_EQ(zero.code(), Code::kInvalidArgument);
  EXPECT_EQ(zero.field(), "report.pareto.points");

  engine::ChurnQuery churn;
  churn.limit = 0;
  Answer limit = Report(manager_, churn);
  EXPECT_EQ(limit.code(), Code::kInvalidArgument);
  EXPECT_EQ(limit.field(), "report.churn.limit");
}

TEST_F(ValueWireTest, ReportAnswersWithOutOfRangeEnumsAreRefused) {
  capnp::MallocMessageBuilder message;
  auto w = message.initRoot<wire::Report>();
  ToWire(protocol::Report(testing::Must(engine_->Pipeline())), w);
  w.getPipeline().getStages()[1].setStage(42);
  protocol::Report out;
  engine::Status s = FromWire(w.asReader(), &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.field(), "pipeline.stages[1].stage");

  ToWire(protocol::Report(testing::Must(engine_->Contracts(30, 0))), w);
  w.getContracts().getStatuses()[0].setStatus(9);
  s = FromWire(w.asReader(), &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.field(), "contracts.statuses[0].status");
}

}  // namespace
}  // namespace crm::protocol
