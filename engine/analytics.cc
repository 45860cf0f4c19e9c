#include "analytics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <unordered_map>

namespace crm::engine::internal {
namespace {

constexpr Micros kDay = int64_t{86400} * 1000000;

// Calls fn(id, node, value) for every customer the model ranks.
template <typename Fn>
void ForEachCustomer(const Store& store, const ValueModel& model, Fn&& fn) {
  Id end = std::min(store.customer_end_id(), model.end_id());
  for (Id id = 1; id < end; ++id) {
    const CustomerNode* node = store.Node(id);
    const CustomerValue* value = model.Find(id);
    if (node != nullptr && value != nullptr) fn(id, *node, *value);
  }
}

// Calls fn(record) for every T (Opportunity, Contract) of every customer.
template <typename T, typename Fn>
void ForEachChild(const Store& store, Fn&& fn) {
  for (Id id = 1; id < store.customer_end_id(); ++id) {
    const CustomerNode* node = store.Node(id);
    if (node == nullptr) continue;
    const std::vector<Id>& ids =
        std::is_same_v<T, Opportunity> ? node->opportunities : node->contracts;
    for (Id child : ids) fn(*store.Find<T>(child));
  }
}

bool IsOpen(const Opportunity& o) { return o.stage != Stage::kWon && o.stage != Stage::kLost; }

int64_t Weighted(const Opportunity& o) {
  return o.amount.minor_units * static_cast<int64_t>(o.probability) / 100;
}

std::string GroupKey(const Customer& c, const ValueModel& model, Id id, Dimension d) {
  switch (d) {
    case Dimension::kIndustry: return c.industry;
    case Dimension::kCountry: return c.region.country;
    case Dimension::kProvince: return c.region.province;
    case Dimension::kCity: return c.region.city;
    case Dimension::kLifecycle: return std::string(Name(c.lifecycle));
    case Dimension::kCategory: return c.category;
    case Dimension::kPaymentMethod: return std::string(Name(c.payment_method));
    case Dimension::kCreditLevel: return std::string(Name(c.credit_level));
    case Dimension::kSize: return std::string(Name(c.size_band));
    case Dimension::kTier: return std::string(Name(model.TierOf(model.Scores(id))));
    case Dimension::kOwner: return c.owner == 0 ? std::string() : std::to_string(c.owner);
    case Dimension::kTeam: return c.team;
    case Dimension::kKind: return std::string(Name(c.kind));
    case Dimension::kValueClass: return std::string(Name(model.ClassOf(model.Scores(id))));
  }
  return {};
}

}  // namespace

ParetoReport BuildPareto(const ValueModel& model, const ParetoQuery& query) {
  ParetoReport r;
  r.as_of = model.as_of();
  // Values, largest first; a negative revenue or profit counts as 0.
  std::vector<int64_t> values;
  if (query.metric == ParetoQuery::Metric::kCurrentValue) {
    for (const auto& e : model.state().current.Entries()) values.push_back(e.score);
  } else {
    for (Id id = 1; id < model.end_id(); ++id) {
      const CustomerValue* v = model.Find(id);
      if (v == nullptr) continue;
      int64_t x = query.metric == ParetoQuery::Metric::kRevenue ? v->agg.revenue : v->agg.margin;
      values.push_back(std::max<int64_t>(0, x));
    }
    std::sort(values.begin(), values.end());
  }
  std::reverse(values.begin(), values.end());
  size_t n = values.size();
  r.customers = n;
  std::vector<long double> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + values[i];
  long double total = prefix[n];
  double scale = query.metric == ParetoQuery::Metric::kCurrentValue ? 1e6 : 1;
  r.total = static_cast<double>(total / scale);
  if (n == 0 || total <= 0) return r;
  auto top = [&](double share) {  // share of the total held by the top `share` of customers
    auto k = static_cast<size_t>(std::ceil(static_cast<double>(n) * share - 1e-9));
    return static_cast<double>(prefix[std::min(k, n)] / total);
  };
  r.top10 = top(0.1);
  r.top20 = top(0.2);
  r.top50 = top(0.5);
  size_t k80 = static_cast<size_t>(
      std::lower_bound(prefix.begin(), prefix.end(), total * 0.8L) - prefix.begin());
  r.customers_for_80 = static_cast<double>(k80) / static_cast<double>(n);
  for (uint32_t i = 1; i <= query.points; ++i) {
    double x = static_cast<double>(i) / query.points;
    r.curve.push_back({x, top(x)});
  }
  return r;
}

TierReport BuildTiers(const ValueModel& model) {
  TierReport r;
  r.as_of = model.as_of();
  r.config_version = model.config().version;
  r.cutoffs = model.PublicCutoffs();
  for (Id id = 1; id < model.end_id(); ++id) {
    if (!model.Has(id)) continue;
    ScorePair s = model.Scores(id);
    auto tier = static_cast<size_t>(model.TierOf(s));
    ++r.tiers[tier];
    r.tier_value[tier] += ScoreToDouble(s.current);
    ++r.value_classes[static_cast<size_t>(model.ClassOf(s))];
  }
  return r;
}

void AddMovements(const ValueModel& model, const std::vector<uint8_t>& baseline,
                  Micros baseline_at, TierReport* report) {
  report->has_baseline = true;
  report->baseline_at = baseline_at;
  Id end = std::max<Id>(model.end_id(), baseline.size());
  for (Id id = 1; id < end; ++id) {
    uint8_t from = id < baseline.size() && baseline[id] < kTierCount ? baseline[id] : 0;
    uint8_t to = model.Has(id) ? static_cast<uint8_t>(model.TierOf(model.Scores(id))) : 0;
    if (from != 0 || to != 0) ++report->movements[from][to];
  }
}

GroupReport BuildGroup(const Store& store, const ValueModel& model, Dimension dimension) {
  GroupReport r;
  r.as_of = model.as_of();
  r.dimension = dimension;
  std::unordered_map<std::string, GroupRow> groups;
  ForEachCustomer(store, model, [&](Id id, const CustomerNode& node, const CustomerValue& v) {
    std::string key = GroupKey(node.customer, model, id, dimension);
    GroupRow& row = groups[key];
    ScorePair s = model.Scores(id);
    ++row.customers;
    row.revenue += v.agg.revenue;
    row.profit += v.agg.margin;
    row.pipeline += v.agg.pipeline_x100 / 100;
    row.current_value += ScoreToDouble(s.current);
    row.potential_value += ScoreToDouble(s.potential);
    if (model.TierOf(s) == Tier::kKey) ++row.key_customers;
  });
  for (auto& [key, row] : groups) {
    row.key = key;
    r.rows.push_back(std::move(row));
  }
  std::sort(r.rows.begin(), r.rows.end(), [](const GroupRow& a, const GroupRow& b) {
    return std::tie(b.revenue, a.key) < std::tie(a.revenue, b.key);
  });
  return r;
}

PipelineReport BuildPipeline(const Store& store) {
  PipelineReport r;
  for (int s = 0; s <= static_cast<int>(Stage::kLost); ++s) {
    r.stages.push_back(PipelineRow{static_cast<Stage>(s)});
  }
  ForEachChild<Opportunity>(store, [&](const Opportunity& o) {
    PipelineRow& row = r.stages[static_cast<size_t>(o.stage)];
    ++row.count;
    row.amount += o.amount.minor_units;
    row.weighted += Weighted(o);
    if (IsOpen(o)) {
      ++r.open;
      r.open_amount += o.amount.minor_units;
      r.open_weighted += Weighted(o);
    }
  });
  uint64_t won = r.stages[static_cast<size_t>(Stage::kWon)].count;
  uint64_t lost = r.stages[static_cast<size_t>(Stage::kLost)].count;
  // Open stage s: of the opportunities at s or later (won included), the
  // share already past s. Lost ones do not record where they stopped.
  uint64_t later = won;
  for (int s = static_cast<int>(Stage::kNegotiation); s >= 0; --s) {
    PipelineRow& row = r.stages[static_cast<size_t>(s)];
    uint64_t at_or_later = later + row.count;
    row.conversion = at_or_later ? static_cast<double>(later) / static_cast<double>(at_or_later) : 0;
    later = at_or_later;
  }
  r.win_rate = won + lost ? static_cast<double>(won) / static_cast<double>(won + lost) : 0;
  return r;
}

ContractReport BuildContracts(const Store& store, uint32_t expiring_days, Micros as_of) {
  ContractReport r;
  r.as_of = as_of;
  r.expiring_days = expiring_days;
  for (int s = 0; s <= static_cast<int>(ContractStatus::kTerminated); ++s) {
    r.statuses.push_back(ContractRow{static_cast<ContractStatus>(s)});
  }
  Micros horizon = as_of + static_cast<Micros>(expiring_days) * kDay;
  ForEachChild<Contract>(store, [&](const Contract& c) {
    ContractRow& row = r.statuses[static_cast<size_t>(c.status)];
    ++row.count;
    row.amount += c.amount.minor_units;
    row.paid += c.paid_minor_units;
    row.outstanding += std::max<int64_t>(0, c.amount.minor_units - c.paid_minor_units);
    if (c.status == ContractStatus::kActive && c.end_at > as_of && c.end_at <= horizon) {
      ++r.expiring;
      r.expiring_amount += c.amount.minor_units;
    }
    if ((c.status == ContractStatus::kActive || c.status == ContractStatus::kFulfilled) &&
        c.end_at != 0 && c.end_at < as_of && c.paid_minor_units < c.amount.minor_units) {
      ++r.overdue_payment;
    }
  });
  return r;
}

ChurnReport BuildChurn(const Store& store, const ValueModel& model, const ChurnQuery& query) {
  ChurnReport r;
  Micros as_of = model.as_of();
  r.as_of = as_of;
  std::vector<ChurnRow> rows;
  ForEachCustomer(store, model, [&](Id id, const CustomerNode& node, const CustomerValue& v) {
    if (node.customer.lifecycle == Lifecycle::kChurned) return;
    ChurnRow row;
    row.last_activity = std::max(v.last_purchase, v.last_interaction);
    Micros since = row.last_activity != 0 ? row.last_activity : v.first_seen;
    row.days_inactive =
        since != 0 && since < as_of ? static_cast<uint32_t>((as_of - since) / kDay) : 0;
    row.inactive = row.days_inactive >= query.inactive_days;
    row.revenue = v.agg.revenue;
    row.previous_revenue = v.agg.previous_revenue;
    row.falling = v.agg.previous_revenue > 0 &&
                  static_cast<double>(v.agg.revenue) <=
                      (1 - query.revenue_drop) * static_cast<double>(v.agg.previous_revenue);
    if (!row.inactive && !row.falling) return;
    ScorePair s = model.Scores(id);
    row.customer = id;
    row.owner = node.customer.owner;
    row.current_value = ScoreToDouble(s.current);
    row.tier = model.TierOf(s);
    rows.push_back(std::move(row));
  });
  r.at_risk = rows.size();
  auto by_value = [](const ChurnRow& a, const ChurnRow& b) {
    return std::tie(b.current_value, a.customer) < std::tie(a.current_value, b.customer);
  };
  size_t keep = std::min<size_t>(rows.size(), query.limit);
  std::partial_sort(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(keep), rows.end(), by_value);
  rows.resize(keep);
  for (ChurnRow& row : rows) row.name = store.Node(row.customer)->customer.name;
  r.rows = std::move(rows);
  return r;
}

SatisfactionReport BuildSatisfaction(const Store& store, const ValueModel& model) {
  SatisfactionReport r;
  r.as_of = model.as_of();
  uint64_t sum = 0;
  ForEachCustomer(store, model, [&](Id, const CustomerNode& node, const CustomerValue& v) {
    r.rated += v.agg.rated;
    sum += v.agg.satisfaction_sum;
    for (size_t i = 0; i < 5; ++i) r.ratings[i] += v.agg.ratings[i];
    r.complaints += v.agg.complaints;
    r.resolved += v.agg.resolved_complaints;
    if (v.agg.rated > 0) ++r.customers_rated;
    if (v.agg.complaints > 0) ++r.customers_with_complaints;
    for (Id i : node.open_complaints) {
      if (store.Find<Interaction>(i)->complaint == ComplaintState::kOpen) {
        ++r.open;
      } else {
        ++r.in_progress;
      }
    }
  });
  r.average = r.rated ? static_cast<double>(sum) / static_cast<double>(r.rated) : 0;
  return r;
}

ConversionReport BuildConversion(const Store& store, bool by_campaign) {
  ConversionReport r;
  r.by_campaign = by_campaign;
  std::unordered_map<std::string, ConversionRow> groups;
  ForEachChild<Opportunity>(store, [&](const Opportunity& o) {
    ConversionRow& row = groups[by_campaign ? o.campaign : o.source];
    ++row.opportunities;
    if (o.stage == Stage::kWon) {
      ++row.won;
      row.won_amount += o.amount.minor_units;
    } else if (o.stage == Stage::kLost) {
      ++row.lost;
    } else {
      ++row.open;
      row.open_weighted += Weighted(o);
    }
  });
  for (auto& [key, row] : groups) {
    row.key = key;
    row.win_rate = row.won + row.lost
                       ? static_cast<double>(row.won) / static_cast<double>(row.won + row.lost)
                       : 0;
    r.rows.push_back(std::move(row));
  }
  std::sort(r.rows.begin(), r.rows.end(), [](const ConversionRow& a, const ConversionRow& b) {
    return std::tie(b.opportunities, a.key) < std::tie(a.opportunities, b.key);
  });
  return r;
}

OwnerKpiReport BuildOwnerKpis(const Store& store, const ValueModel& model) {
  OwnerKpiReport r;
  Micros as_of = model.as_of();
  r.as_of = as_of;
  std::unordered_map<Id, OwnerKpiRow> owners;
  ForEachCustomer(store, model, [&](Id id, const CustomerNode& node, const CustomerValue& v) {
    OwnerKpiRow& row = owners[node.customer.owner];
    ++row.customers;
    if (model.TierOf(model.Scores(id)) != Tier::kKey) return;
    ++row.key_customers;
    row.revenue += v.agg.revenue;
    row.previous_revenue += v.agg.previous_revenue;
    row.interactions += v.agg.interactions;
    row.open_complaints += node.open_complaints.size();
    for (Id t : node.tasks) {
      const Task* task = store.Find<Task>(t);
      if (!task->done && task->due_at != 0 && task->due_at < as_of) ++row.overdue_tasks;
    }
  });
  for (auto& [owner, row] : owners) {
    row.owner = owner;
    if (const User* user = store.Find<User>(owner)) row.name = user->name;
    row.growth = row.previous_revenue > 0 ? static_cast<double>(row.revenue) /
                                                    static_cast<double>(row.previous_revenue) -
                                                1
                                          : 0;
    row.contacts_per_key_customer =
        row.key_customers ? static_cast<double>(row.interactions) /
                                static_cast<double>(row.key_customers)
                          : 0;
    r.rows.push_back(std::move(row));
  }
  std::sort(r.rows.begin(), r.rows.end(), [](const OwnerKpiRow& a, const OwnerKpiRow& b) {
    return std::tie(b.revenue, a.owner) < std::tie(a.revenue, b.owner);
  });
  return r;
}

}  // namespace crm::engine::internal
