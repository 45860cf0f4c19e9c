// Conversions of value, scoring, report queries and reports (convert.h).
#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "convert_internal.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"

namespace crm::protocol {

using engine::Status;
using internal::AsText;
using internal::DecodeAll;
using internal::EncodeAll;
using internal::ToString;
using internal::UnderField;

// ------------------------------------------------------------------ value

namespace {

// Enum names: any enum of value.h / model.h whose values run 0..last.
template <typename E>
bool ParseName(std::string_view name, E last, E* out) {
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    if (engine::Name(static_cast<E>(i)) == name) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

template <typename E>
std::string NameList(E last) {
  std::string names;
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    names += (i ? ", " : "") + std::string(engine::Name(static_cast<E>(i)));
  }
  return names;
}

template <typename E>
Status ParseField(capnp::Text::Reader text, E last, const std::string& field, const char* what,
                  E* out) {
  const std::string name = ToString(text);
  if (ParseName(name, last, out)) return Status::Ok();
  return Status::InvalidArgument("unknown " + std::string(what) + " \"" + name + "\" (" +
                                     NameList(last) + ")",
                                 field);
}

// A UInt8 enum on the wire, range-checked.
template <typename E>
Status CheckEnum(uint8_t value, E last, const std::string& field, const char* what, E* out) {
  if (value > static_cast<uint8_t>(last)) {
    return Status::InvalidArgument("unknown " + std::string(what) + " " + std::to_string(value) +
                                       " (" + NameList(last) + ")",
                                   field);
  }
  *out = static_cast<E>(value);
  return Status::Ok();
}

constexpr engine::Tier kLastTier = engine::Tier::kOpportunity;
constexpr engine::ValueClass kLastClass = engine::ValueClass::kLow;

}  // namespace

void ToWire(const engine::ValueSummary& value, wire::ValueSummary::Builder out) {
  out.setScored(value.scored);
  out.setCurrentValue(value.current_value);
  out.setPotentialValue(value.potential_value);
  out.setTier(AsText(engine::Name(value.tier)));
  out.setValueClass(AsText(engine::Name(value.value_class)));
  out.setHighCurrent(value.high_current);
  out.setHighPotential(value.high_potential);
  out.setCurrentRank(value.current_rank);
  out.setCustomers(value.customers);
  out.setAsOf(value.as_of);
  out.setConfigVersion(value.config_version);
  auto factors = out.initFactors(engine::kFactorCount);
  for (int f = 0; f < engine::kFactorCount; ++f) {
    const engine::FactorValue& in = value.factors[f];
    auto w = factors[static_cast<unsigned>(f)];
    w.setFactor(AsText(engine::Name(static_cast<engine::Factor>(f))));
    w.setRaw(in.raw);
    w.setNormalized(in.normalized);
    w.setCurrent(in.current);
    w.setPotential(in.potential);
  }
}

engine::Status FromWire(wire::ValueSummary::Reader in, engine::ValueSummary* out) {
  engine::ValueSummary v;
  v.scored = in.getScored();
  v.current_value = in.getCurrentValue();
  v.potential_value = in.getPotentialValue();
  // An empty name is what a peer that never set it sends: none.
  if (in.getTier().size() > 0) {
    CRM_RETURN_IF_ERROR(ParseField(in.getTier(), kLastTier, "tier", "tier", &v.tier));
  }
  if (in.getValueClass().size() > 0) {
    CRM_RETURN_IF_ERROR(
        ParseField(in.getValueClass(), kLastClass, "value_class", "value class", &v.value_class));
  }
  v.high_current = in.getHighCurrent();
  v.high_potential = in.getHighPotential();
  v.current_rank = in.getCurrentRank();
  v.customers = in.getCustomers();
  v.as_of = in.getAsOf();
  v.config_version = in.getConfigVersion();
  std::array<bool, engine::kFactorCount> seen{};
  auto factors = in.getFactors();
  for (unsigned i = 0; i < factors.size(); ++i) {
    const std::string field = "factors[" + std::to_string(i) + "].factor";
    const std::string name = ToString(factors[i].getFactor());
    engine::Factor f;
    if (!engine::Parse(name, &f)) {
      return Status::InvalidArgument("unknown factor \"" + name + "\"", field);
    }
    const auto index = static_cast<size_t>(f);
    if (seen[index]) return Status::InvalidArgument("factor \"" + name + "\" appears twice", field);
    seen[index] = true;
    v.factors[index] = {factors[i].getRaw(), factors[i].getNormalized(), factors[i].getCurrent(),
                        factors[i].getPotential()};
  }
  *out = v;
  return Status::Ok();
}

void ToWire(const engine::Cutoffs& c, wire::Cutoffs::Builder out) {
  out.setParetoCurrent(c.pareto_current);
  out.setHighPotential(c.high_potential);
  out.setClassHigh(c.class_high);
  out.setClassMid(c.class_mid);
  out.setCustomers(c.customers);
  out.setTotalCurrent(c.total_current);
}

engine::Cutoffs FromWire(wire::Cutoffs::Reader in) {
  engine::Cutoffs c;
  c.pareto_current = in.getParetoCurrent();
  c.high_potential = in.getHighPotential();
  c.class_high = in.getClassHigh();
  c.class_mid = in.getClassMid();
  c.customers = in.getCustomers();
  c.total_current = in.getTotalCurrent();
  return c;
}

void ToWire(const ScoringState& state, wire::ScoringState::Builder out) {
  engine::Encode(state.config, out.initConfig());
  EncodeAll(state.history, out.initHistory(static_cast<unsigned>(state.history.size())));
  ToWire(state.cutoffs, out.initCutoffs());
}

engine::Status FromWire(wire::ScoringState::Reader in, ScoringState* out) {
  CRM_RETURN_IF_ERROR(UnderField(engine::Decode(in.getConfig(), &out->config), "config"));
  CRM_RETURN_IF_ERROR(DecodeAll(in.getHistory(), "history", &out->history));
  out->cutoffs = FromWire(in.getCutoffs());
  return Status::Ok();
}

// ------------------------------------------------------------------ report queries

std::string_view Name(engine::ParetoQuery::Metric metric) {
  switch (metric) {
    case engine::ParetoQuery::Metric::kCurrentValue: return "current_value";
    case engine::ParetoQuery::Metric::kRevenue: return "revenue";
    case engine::ParetoQuery::Metric::kProfit: return "profit";
  }
  return "unknown";
}

bool Parse(std::string_view name, engine::ParetoQuery::Metric* out) {
  if (name.empty()) {
    *out = engine::ParetoQuery::Metric::kCurrentValue;
    return true;
  }
  for (auto m : {engine::ParetoQuery::Metric::kCurrentValue, engine::ParetoQuery::Metric::kRevenue,
                 engine::ParetoQuery::Metric::kProfit}) {
    if (Name(m) == name) {
      *out = m;
      return true;
    }
  }
  return false;
}


void ToWire(const ReportQuery& query, wire::ReportQuery::Builder out) {
  std::visit(
      [&](const auto& q) {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, engine::ParetoQuery>) {
          auto w = out.initPareto();
          w.setMetric(AsText(protocol::Name(q.metric)));
          w.setPoints(q.points);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::TierQuery>) {
          auto w = out.initTiers();
          w.setSince(q.since);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::GroupQuery>) {
          auto w = out.initGroup();
          w.setDimension(AsText(engine::Name(q.dimension)));
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, PipelineQuery>) {
          out.setPipeline();
        } else if constexpr (std::is_same_v<T, ContractQuery>) {
          auto w = out.initContracts();
          w.setExpiringDays(q.expiring_days);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::ChurnQuery>) {
          auto w = out.initChurn();
          w.setInactiveDays(q.inactive_days);
          w.setRevenueDrop(q.revenue_drop);
          w.setLimit(q.limit);
          w.setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, SatisfactionQuery>) {
          out.initSatisfaction().setAsOf(q.as_of);
        } else if constexpr (std::is_same_v<T, engine::ConversionQuery>) {
          out.initConversion().setByCampaign(q.by_campaign);
        } else {
          static_assert(std::is_same_v<T, OwnerKpiQuery>);
          out.initOwnerKpis().setAsOf(q.as_of);
        }
      },
      query);
}

engine::Status FromWire(wire::ReportQuery::Reader in, ReportQuery* out) {
  switch (in.which()) {
    case wire::ReportQuery::PARETO: {
      auto w = in.getPareto();
      engine::ParetoQuery q;
      const std::string metric = ToString(w.getMetric());
      if (!protocol::Parse(metric, &q.metric)) {
        return Status::InvalidArgument(
            "unknown metric \"" + metric + "\" (current_value, revenue, profit)", "pareto.metric");
      }
      q.points = w.getPoints();
      q.as_of = w.getAsOf();
      *out = q;
      return Status::Ok();
    }
    case wire::ReportQuery::TIERS: {
      auto w = in.getTiers();
      *out = engine::TierQuery{w.getSince(), w.getAsOf()};
      return Status::Ok();
    }
    case wire::ReportQuery::GROUP: {
      auto w = in.getGroup();
      engine::GroupQuery q;
      CRM_RETURN_IF_ERROR(ParseField(w.getDimension(), engine::Dimension::kValueClass,
                                     "group.dimension", "dimension", &q.dimension));
      q.as_of = w.getAsOf();
      *out = q;
      return Status::Ok();
    }
    case wire::ReportQuery::PIPELINE: *out = PipelineQuery{}; return Status::Ok();
    case wire::ReportQuery::CONTRACTS: {
      auto w = in.getContracts();
      *out = ContractQuery{w.getExpiringDays(), w.getAsOf()};
      return Status::Ok();
    }
    case wire::ReportQuery::CHURN: {
      auto w = in.getChurn();
      engine::ChurnQuery q;
      q.inactive_days = w.getInactiveDays();
      q.revenue_drop = w.getRevenueDrop();
      q.limit = w.getLimit();
      q.as_of = w.getAsOf();
      *out = q;
      return Status::Ok();
    }
    case wire::ReportQuery::SATISFACTION:
      *out = SatisfactionQuery{in.getSatisfaction().getAsOf()};
      return Status::Ok();
    case wire::ReportQuery::CONVERSION:
      *out = engine::ConversionQuery{in.getConversion().getByCampaign()};
      return Status::Ok();
    case wire::ReportQuery::OWNER_KPIS:
      *out = OwnerKpiQuery{in.getOwnerKpis().getAsOf()};
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown report " + std::to_string(in.which()), "");
}

// ------------------------------------------------------------------ reports

namespace {

void ParetoToWire(const engine::ParetoReport& r, wire::ParetoReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setCustomers(r.customers);
  out.setTotal(r.total);
  out.setTop10(r.top10);
  out.setTop20(r.top20);
  out.setTop50(r.top50);
  out.setCustomersFor80(r.customers_for_80);
  auto curve = out.initCurve(static_cast<unsigned>(r.curve.size()));
  for (unsigned i = 0; i < r.curve.size(); ++i) {
    curve[i].setCustomers(r.curve[i].customers);
    curve[i].setValue(r.curve[i].value);
  }
}

engine::ParetoReport ParetoFromWire(wire::ParetoReport::Reader in) {
  engine::ParetoReport r;
  r.as_of = in.getAsOf();
  r.customers = in.getCustomers();
  r.total = in.getTotal();
  r.top10 = in.getTop10();
  r.top20 = in.getTop20();
  r.top50 = in.getTop50();
  r.customers_for_80 = in.getCustomersFor80();
  for (auto p : in.getCurve()) r.curve.push_back({p.getCustomers(), p.getValue()});
  return r;
}

void TiersToWire(const engine::TierReport& r, wire::TierReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setConfigVersion(r.config_version);
  ToWire(r.cutoffs, out.initCutoffs());
  auto tiers = out.initTiers(engine::kTierCount);
  for (int t = 0; t < engine::kTierCount; ++t) {
    auto w = tiers[static_cast<unsigned>(t)];
    w.setTier(AsText(engine::Name(static_cast<engine::Tier>(t))));
    w.setCustomers(r.tiers[t]);
    w.setValue(r.tier_value[t]);
  }
  auto classes = out.initValueClasses(static_cast<unsigned>(r.value_classes.size()));
  for (unsigned c = 0; c < r.value_classes.size(); ++c) classes.set(c, r.value_classes[c]);
  out.setHasBaseline(r.has_baseline);
  out.setBaselineAt(r.baseline_at);
  unsigned cells = 0;
  for (const auto& row : r.movements) {
    for (uint64_t n : row) cells += n != 0;
  }
  auto moves = out.initMovements(cells);
  unsigned i = 0;
  for (int from = 0; from < engine::kTierCount; ++from) {
    for (int to = 0; to < engine::kTierCount; ++to) {
      if (r.movements[from][to] == 0) continue;
      moves[i].setFrom(AsText(engine::Name(static_cast<engine::Tier>(from))));
      moves[i].setTo(AsText(engine::Name(static_cast<engine::Tier>(to))));
      moves[i].setCustomers(r.movements[from][to]);
      ++i;
    }
  }
}

Status TiersFromWire(wire::TierReport::Reader in, engine::TierReport* out) {
  engine::TierReport r;
  r.as_of = in.getAsOf();
  r.config_version = in.getConfigVersion();
  r.cutoffs = FromWire(in.getCutoffs());
  auto tiers = in.getTiers();
  for (unsigned i = 0; i < tiers.size(); ++i) {
    engine::Tier t;
    CRM_RETURN_IF_ERROR(ParseField(tiers[i].getTier(), kLastTier,
                                   "tiers[" + std::to_string(i) + "].tier", "tier", &t));
    r.tiers[static_cast<size_t>(t)] = tiers[i].getCustomers();
    r.tier_value[static_cast<size_t>(t)] = tiers[i].getValue();
  }
  auto classes = in.getValueClasses();
  for (unsigned c = 0; c < classes.size() && c < r.value_classes.size(); ++c) {
    r.value_classes[c] = classes[c];
  }
  r.has_baseline = in.getHasBaseline();
  r.baseline_at = in.getBaselineAt();
  auto moves = in.getMovements();
  for (unsigned i = 0; i < moves.size(); ++i) {
    const std::string field = "movements[" + std::to_string(i) + "]";
    engine::Tier from, to;
    CRM_RETURN_IF_ERROR(ParseField(moves[i].getFrom(), kLastTier, field + ".from", "tier", &from));
    CRM_RETURN_IF_ERROR(ParseField(moves[i].getTo(), kLastTier, field + ".to", "tier", &to));
    r.movements[static_cast<size_t>(from)][static_cast<size_t>(to)] = moves[i].getCustomers();
  }
  *out = std::move(r);
  return Status::Ok();
}

void GroupToWire(const engine::GroupReport& r, wire::GroupReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setDimension(AsText(engine::Name(r.dimension)));
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::GroupRow& g = r.rows[i];
    rows[i].setKey(AsText(g.key));
    rows[i].setCustomers(g.customers);
    rows[i].setRevenue(g.revenue);
    rows[i].setProfit(g.profit);
    rows[i].setPipeline(g.pipeline);
    rows[i].setCurrentValue(g.current_value);
    rows[i].setPotentialValue(g.potential_value);
    rows[i].setKeyCustomers(g.key_customers);
  }
}

Status GroupFromWire(wire::GroupReport::Reader in, engine::GroupReport* out) {
  engine::GroupReport r;
  r.as_of = in.getAsOf();
  CRM_RETURN_IF_ERROR(ParseField(in.getDimension(), engine::Dimension::kValueClass, "dimension",
                                 "dimension", &r.dimension));
  for (auto g : in.getRows()) {
    r.rows.push_back({ToString(g.getKey()), g.getCustomers(), g.getRevenue(), g.getProfit(),
                      g.getPipeline(), g.getCurrentValue(), g.getPotentialValue(),
                      g.getKeyCustomers()});
  }
  *out = std::move(r);
  return Status::Ok();
}

void PipelineToWire(const engine::PipelineReport& r, wire::PipelineReport::Builder out) {
  auto rows = out.initStages(static_cast<unsigned>(r.stages.size()));
  for (unsigned i = 0; i < r.stages.size(); ++i) {
    const engine::PipelineRow& p = r.stages[i];
    rows[i].setStage(static_cast<uint8_t>(p.stage));
    rows[i].setCount(p.count);
    rows[i].setAmount(p.amount);
    rows[i].setWeighted(p.weighted);
    rows[i].setConversion(p.conversion);
  }
  out.setOpen(r.open);
  out.setOpenAmount(r.open_amount);
  out.setOpenWeighted(r.open_weighted);
  out.setWinRate(r.win_rate);
}

Status PipelineFromWire(wire::PipelineReport::Reader in, engine::PipelineReport* out) {
  engine::PipelineReport r;
  auto rows = in.getStages();
  for (unsigned i = 0; i < rows.size(); ++i) {
    engine::PipelineRow p;
    CRM_RETURN_IF_ERROR(CheckEnum(rows[i].getStage(), engine::Stage::kLost,
                                  "stages[" + std::to_string(i) + "].stage", "stage", &p.stage));
    p.count = rows[i].getCount();
    p.amount = rows[i].getAmount();
    p.weighted = rows[i].getWeighted();
    p.conversion = rows[i].getConversion();
    r.stages.push_back(p);
  }
  r.open = in.getOpen();
  r.open_amount = in.getOpenAmount();
  r.open_weighted = in.getOpenWeighted();
  r.win_rate = in.getWinRate();
  *out = std::move(r);
  return Status::Ok();
}

void ContractsToWire(const engine::ContractReport& r, wire::ContractReport::Builder out) {
  out.setAsOf(r.as_of);
  auto rows = out.initStatuses(static_cast<unsigned>(r.statuses.size()));
  for (unsigned i = 0; i < r.statuses.size(); ++i) {
    const engine::ContractRow& c = r.statuses[i];
    rows[i].setStatus(static_cast<uint8_t>(c.status));
    rows[i].setCount(c.count);
    rows[i].setAmount(c.amount);
    rows[i].setPaid(c.paid);
    rows[i].setOutstanding(c.outstanding);
  }
  out.setExpiringDays(r.expiring_days);
  out.setExpiring(r.expiring);
  out.setExpiringAmount(r.expiring_amount);
  out.setOverduePayment(r.overdue_payment);
}

Status ContractsFromWire(wire::ContractReport::Reader in, engine::ContractReport* out) {
  engine::ContractReport r;
  r.as_of = in.getAsOf();
  auto rows = in.getStatuses();
  for (unsigned i = 0; i < rows.size(); ++i) {
    engine::ContractRow c;
    CRM_RETURN_IF_ERROR(CheckEnum(rows[i].getStatus(), engine::ContractStatus::kTerminated,
                                  "statuses[" + std::to_string(i) + "].status",
                                  "contract status", &c.status));
    c.count = rows[i].getCount();
    c.amount = rows[i].getAmount();
    c.paid = rows[i].getPaid();
    c.outstanding = rows[i].getOutstanding();
    r.statuses.push_back(c);
  }
  r.expiring_days = in.getExpiringDays();
  r.expiring = in.getExpiring();
  r.expiring_amount = in.getExpiringAmount();
  r.overdue_payment = in.getOverduePayment();
  *out = std::move(r);
  return Status::Ok();
}

void ChurnToWire(const engine::ChurnReport& r, wire::ChurnReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setAtRisk(r.at_risk);
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::ChurnRow& c = r.rows[i];
    rows[i].setCustomer(c.customer);
    rows[i].setName(AsText(c.name));
    rows[i].setOwner(c.owner);
    rows[i].setLastActivity(c.last_activity);
    rows[i].setDaysInactive(c.days_inactive);
    rows[i].setRevenue(c.revenue);
    rows[i].setPreviousRevenue(c.previous_revenue);
    rows[i].setCurrentValue(c.current_value);
    rows[i].setTier(AsText(engine::Name(c.tier)));
    rows[i].setInactive(c.inactive);
    rows[i].setFalling(c.falling);
  }
}

Status ChurnFromWire(wire::ChurnReport::Reader in, engine::ChurnReport* out) {
  engine::ChurnReport r;
  r.as_of = in.getAsOf();
  r.at_risk = in.getAtRisk();
  auto rows = in.getRows();
  for (unsigned i = 0; i < rows.size(); ++i) {
    engine::ChurnRow c;
    c.customer = rows[i].getCustomer();
    c.name = ToString(rows[i].getName());
    c.owner = rows[i].getOwner();
    c.last_activity = rows[i].getLastActivity();
    c.days_inactive = rows[i].getDaysInactive();
    c.revenue = rows[i].getRevenue();
    c.previous_revenue = rows[i].getPreviousRevenue();
    c.current_value = rows[i].getCurrentValue();
    CRM_RETURN_IF_ERROR(ParseField(rows[i].getTier(), kLastTier,
                                   "rows[" + std::to_string(i) + "].tier", "tier", &c.tier));
    c.inactive = rows[i].getInactive();
    c.falling = rows[i].getFalling();
    r.rows.push_back(std::move(c));
  }
  *out = std::move(r);
  return Status::Ok();
}

void SatisfactionToWire(const engine::SatisfactionReport& r,
                        wire::SatisfactionReport::Builder out) {
  out.setAsOf(r.as_of);
  out.setRated(r.rated);
  out.setAverage(r.average);
  auto ratings = out.initRatings(static_cast<unsigned>(r.ratings.size()));
  for (unsigned i = 0; i < r.ratings.size(); ++i) ratings.set(i, r.ratings[i]);
  out.setComplaints(r.complaints);
  out.setOpen(r.open);
  out.setInProgress(r.in_progress);
  out.setResolved(r.resolved);
  out.setCustomersRated(r.customers_rated);
  out.setCustomersWithComplaints(r.customers_with_complaints);
}

engine::SatisfactionReport SatisfactionFromWire(wire::SatisfactionReport::Reader in) {
  engine::SatisfactionReport r;
  r.as_of = in.getAsOf();
  r.rated = in.getRated();
  r.average = in.getAverage();
  auto ratings = in.getRatings();
  for (unsigned i = 0; i < ratings.size() && i < r.ratings.size(); ++i) r.ratings[i] = ratings[i];
  r.complaints = in.getComplaints();
  r.open = in.getOpen();
  r.in_progress = in.getInProgress();
  r.resolved = in.getResolved();
  r.customers_rated = in.getCustomersRated();
  r.customers_with_complaints = in.getCustomersWithComplaints();
  return r;
}

void ConversionToWire(const engine::ConversionReport& r, wire::ConversionReport::Builder out) {
  out.setByCampaign(r.by_campaign);
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::ConversionRow& c = r.rows[i];
    rows[i].setKey(AsText(c.key));
    rows[i].setOpportunities(c.opportunities);
    rows[i].setWon(c.won);
    rows[i].setLost(c.lost);
    rows[i].setOpen(c.open);
    rows[i].setWinRate(c.win_rate);
    rows[i].setWonAmount(c.won_amount);
    rows[i].setOpenWeighted(c.open_weighted);
  }
}

engine::ConversionReport ConversionFromWire(wire::ConversionReport::Reader in) {
  engine::ConversionReport r;
  r.by_campaign = in.getByCampaign();
  for (auto c : in.getRows()) {
    r.rows.push_back({ToString(c.getKey()), c.getOpportunities(), c.getWon(), c.getLost(),
                      c.getOpen(), c.getWinRate(), c.getWonAmount(), c.getOpenWeighted()});
  }
  return r;
}

void OwnerKpisToWire(const engine::OwnerKpiReport& r, wire::OwnerKpiReport::Builder out) {
  out.setAsOf(r.as_of);
  auto rows = out.initRows(static_cast<unsigned>(r.rows.size()));
  for (unsigned i = 0; i < r.rows.size(); ++i) {
    const engine::OwnerKpiRow& k = r.rows[i];
    rows[i].setOwner(k.owner);
    rows[i].setName(AsText(k.name));
    rows[i].setCustomers(k.customers);
    rows[i].setKeyCustomers(k.key_customers);
    rows[i].setRevenue(k.revenue);
    rows[i].setPreviousRevenue(k.previous_revenue);
    rows[i].setGrowth(k.growth);
    rows[i].setInteractions(k.interactions);
    rows[i].setContactsPerKeyCustomer(k.contacts_per_key_customer);
    rows[i].setOpenComplaints(k.open_complaints);
    rows[i].setOverdueTasks(k.overdue_tasks);
  }
}

engine::OwnerKpiReport OwnerKpisFromWire(wire::OwnerKpiReport::Reader in) {
  engine::OwnerKpiReport r;
  r.as_of = in.getAsOf();
  for (auto k : in.getRows()) {
    engine::OwnerKpiRow row;
    row.owner = k.getOwner();
    row.name = ToString(k.getName());
    row.customers = k.getCustomers();
    row.key_customers = k.getKeyCustomers();
    row.revenue = k.getRevenue();
    row.previous_revenue = k.getPreviousRevenue();
    row.growth = k.getGrowth();
    row.interactions = k.getInteractions();
    row.contacts_per_key_customer = k.getContactsPerKeyCustomer();
    row.open_complaints = k.getOpenComplaints();
    row.overdue_tasks = k.getOverdueTasks();
    r.rows.push_back(std::move(row));
  }
  return r;
}

// Decodes one report alternative into `out`, its failures under `field`.
template <typename T, typename Reader, typename Decode>
Status Into(Reader in, const char* field, Decode decode, Report* out) {
  T r;
  CRM_RETURN_IF_ERROR(UnderField(decode(in, &r), field));
  *out = std::move(r);
  return Status::Ok();
}

}  // namespace

void ToWire(const Report& report, wire::Report::Builder out) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, engine::ParetoReport>) ParetoToWire(r, out.initPareto());
        if constexpr (std::is_same_v<T, engine::TierReport>) TiersToWire(r, out.initTiers());
        if constexpr (std::is_same_v<T, engine::GroupReport>) GroupToWire(r, out.initGroup());
        if constexpr (std::is_same_v<T, engine::PipelineReport>) {
          PipelineToWire(r, out.initPipeline());
        }
        if constexpr (std::is_same_v<T, engine::ContractReport>) {
          ContractsToWire(r, out.initContracts());
        }
        if constexpr (std::is_same_v<T, engine::ChurnReport>) ChurnToWire(r, out.initChurn());
        if constexpr (std::is_same_v<T, engine::SatisfactionReport>) {
          SatisfactionToWire(r, out.initSatisfaction());
        }
        if constexpr (std::is_same_v<T, engine::ConversionReport>) {
          ConversionToWire(r, out.initConversion());
        }
        if constexpr (std::is_same_v<T, engine::OwnerKpiReport>) {
          OwnerKpisToWire(r, out.initOwnerKpis());
        }
      },
      report);
}

engine::Status FromWire(wire::Report::Reader in, Report* out) {
  switch (in.which()) {
    case wire::Report::PARETO: *out = ParetoFromWire(in.getPareto()); return Status::Ok();
    case wire::Report::TIERS:
      return Into<engine::TierReport>(in.getTiers(), "tiers", TiersFromWire, out);
    case wire::Report::GROUP:
      return Into<engine::GroupReport>(in.getGroup(), "group", GroupFromWire, out);
    case wire::Report::PIPELINE:
      return Into<engine::PipelineReport>(in.getPipeline(), "pipeline", PipelineFromWire, out);
    case wire::Report::CONTRACTS:
      return Into<engine::ContractReport>(in.getContracts(), "contracts", ContractsFromWire, out);
    case wire::Report::CHURN:
      return Into<engine::ChurnReport>(in.getChurn(), "churn", ChurnFromWire, out);
    case wire::Report::SATISFACTION:
      *out = SatisfactionFromWire(in.getSatisfaction());
      return Status::Ok();
    case wire::Report::CONVERSION:
      *out = ConversionFromWire(in.getConversion());
      return Status::Ok();
    case wire::Report::OWNER_KPIS:
      *out = OwnerKpisFromWire(in.getOwnerKpis());
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown report kind " + std::to_string(in.which()), "");
}

}  // namespace crm::protocol
