// Customer value, the scoring config and the reports.
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "ops/operation.h"

namespace crm::protocol::internal {

namespace {

using engine::Status;

Frame Value(Call& call, wire::Request::Reader request) {
  engine::Result<engine::ValueSummary> value = call.engine().Value(request.getValue());
  if (!value.ok()) {
    const Status& s = value.status();
    return call.Error(Status(s.code(), s.message(), "value", s.existing_id()));
  }
  Out out(call.id());
  ToWire(*value, out.response.initValue());
  return out.Build();
}

Frame Scoring(Call& call, wire::Request::Reader) {
  ScoringState state;
  state.config = call.engine().Scoring();
  state.cutoffs = call.engine().CurrentCutoffs();
  engine::Result<std::vector<engine::ScoringConfig>> history = call.engine().ScoringHistory();
  if (!history.ok()) return call.Error(Prefixed(history.status(), "scoring"));
  state.history = std::move(*history);
  Out out(call.id());
  ToWire(state, out.response.initScoring());
  return out.Build();
}

// Runs on the calling thread until the engine has stored the config and
// rescored every customer (see protocol/README.md): a rare admin action, and
// the server's other io threads go on serving meanwhile.
Frame SetScoring(Call& call, wire::Request::Reader request) {
  engine::ScoringConfig config;
  Status s = Under(engine::Decode(request.getSetScoring(), &config), "set_scoring");
  if (!s.ok()) return call.Error(s);
  engine::Result<engine::ScoringConfig> stored =
      call.engine().SetScoring(call.actor(), std::move(config));
  if (!stored.ok()) return call.Error(Prefixed(stored.status(), "set_scoring"));
  Out out(call.id());
  engine::Encode(*stored, out.response.initScoringSet());
  return out.Build();
}

Frame Report(Call& call, wire::Request::Reader request) {
  ReportQuery query;
  Status s = Under(FromWire(request.getReport(), &query), "report");
  if (!s.ok()) return call.Error(s);
  static constexpr const char* kNames[] = {"pareto",       "tiers",      "group",
                                           "pipeline",     "contracts",  "churn",
                                           "satisfaction", "conversion", "owner_kpis"};
  const std::string field = std::string("report.") + kNames[query.index()];
  const engine::Engine& engine = call.engine();
  engine::Result<protocol::Report> report = std::visit(
      [&](const auto& q) -> engine::Result<protocol::Report> {
        using T = std::decay_t<decltype(q)>;
        auto wrap = [](auto r) -> engine::Result<protocol::Report> {
          if (!r.ok()) return r.status();
          return protocol::Report(std::move(*r));
        };
        if constexpr (std::is_same_v<T, engine::ParetoQuery>) return wrap(engine.Pareto(q));
        if constexpr (std::is_same_v<T, engine::TierQuery>) return wrap(engine.Tiers(q));
        if constexpr (std::is_same_v<T, engine::GroupQuery>) return wrap(engine.Group(q));
        if constexpr (std::is_same_v<T, PipelineQuery>) return wrap(engine.Pipeline());
        if constexpr (std::is_same_v<T, ContractQuery>) {
          return wrap(engine.Contracts(q.expiring_days, q.as_of));
        }
        if constexpr (std::is_same_v<T, engine::ChurnQuery>) return wrap(engine.Churn(q));
        if constexpr (std::is_same_v<T, SatisfactionQuery>) {
          return wrap(engine.Satisfaction(q.as_of));
        }
        if constexpr (std::is_same_v<T, engine::ConversionQuery>) {
          return wrap(engine.Conversion(q));
        }
        if constexpr (std::is_same_v<T, OwnerKpiQuery>) return wrap(engine.OwnerKpis(q.as_of));
      },
      query);
  if (!report.ok()) return call.Error(Prefixed(report.status(), field));
  Out out(call.id());
  ToWire(*report, out.response.initReport());
  return out.Build();
}

constexpr Operation kOperations[] = {
    {wire::Request::VALUE, "value", kEveryone, Value},
    {wire::Request::SCORING, "scoring", kEveryone, Scoring},
    {wire::Request::SET_SCORING, "set_scoring", AdminOnly("set_scoring", "the admin role"),
     SetScoring},
    {wire::Request::REPORT, "report",
     ManagerOrAdmin("read_reports", "the admin or manager role"), Report},
};

}  // namespace

std::span<const Operation> ValueOperations() { return kOperations; }

}  // namespace crm::protocol::internal
