#include "value_model.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace crm::engine {

ScoringConfig ScoringConfig::Default() {
  ScoringConfig c;
  auto w = [](std::array<double, kFactorCount>& weights, Factor f, double v) {
    weights[static_cast<size_t>(f)] = v;
  };
  w(c.current_weights, Factor::kRevenue, 0.30);
  w(c.current_weights, Factor::kProfit, 0.25);
  w(c.current_weights, Factor::kFrequency, 0.15);
  w(c.current_weights, Factor::kRecency, 0.10);
  w(c.current_weights, Factor::kLoyalty, 0.10);
  w(c.current_weights, Factor::kTenure, 0.05);
  w(c.current_weights, Factor::kRetentionCost, 0.05);
  w(c.potential_weights, Factor::kGrowth, 0.25);
  w(c.potential_weights, Factor::kPipeline, 0.25);
  w(c.potential_weights, Factor::kSatisfaction, 0.15);
  w(c.potential_weights, Factor::kModelValue, 0.15);
  w(c.potential_weights, Factor::kSize, 0.10);
  w(c.potential_weights, Factor::kComplaints, 0.10);
  c.units.fill(1);
  w(c.units, Factor::kRevenue, 100000);       // 1,000.00
  w(c.units, Factor::kProfit, 20000);         // 200.00
  w(c.units, Factor::kPipeline, 100000);      // 1,000.00
  w(c.units, Factor::kTenure, 365);           // a year
  w(c.units, Factor::kRetentionCost, 10000);  // 100.00
  w(c.units, Factor::kModelValue, 100000);    // 1,000.00
  return c;
}

Status Validate(const ScoringConfig& c) {
  auto weights = [](const std::array<double, kFactorCount>& ws, const char* name) -> Status {
    bool any = false;
    for (int f = 0; f < kFactorCount; ++f) {
      double v = ws[f];
      std::string field = std::string(name) + "." + std::string(Name(static_cast<Factor>(f)));
      if (!std::isfinite(v) || v < 0) {
        return Status::InvalidArgument(field + " must be a finite number >= 0", field);
      }
      any = any || v > 0;
    }
    if (!any) {
      return Status::InvalidArgument(std::string(name) + " needs at least one weight above 0", name);
    }
    return Status::Ok();
  };
  CRM_RETURN_IF_ERROR(weights(c.current_weights, "current_weights"));
  CRM_RETURN_IF_ERROR(weights(c.potential_weights, "potential_weights"));
  for (int f = 0; f < kFactorCount; ++f) {
    if (Bounded(static_cast<Factor>(f))) continue;
    double v = c.units[f];
    if (!std::isfinite(v) || v <= 0) {
      std::string field = "units." + std::string(Name(static_cast<Factor>(f)));
      return Status::InvalidArgument(field + " must be a finite number > 0", field);
    }
  }
  auto percent = [](double v, const char* field) -> Status {
    if (!std::isfinite(v) || v <= 0 || v > 100) {
      return Status::InvalidArgument(std::string(field) + " must be in (0, 100]", field);
    }
    return Status::Ok();
  };
  CRM_RETURN_IF_ERROR(percent(c.pareto_percent, "pareto_percent"));
  CRM_RETURN_IF_ERROR(percent(c.potential_high_percent, "potential_high_percent"));
  CRM_RETURN_IF_ERROR(percent(c.high_class_percent, "high_class_percent"));
  CRM_RETURN_IF_ERROR(percent(c.mid_class_percent, "mid_class_percent"));
  if (c.high_class_percent + c.mid_class_percent > 100) {
    return Status::InvalidArgument("high_class_percent + mid_class_percent must be <= 100",
                                   "mid_class_percent");
  }
  if (c.window_days < 1 || c.window_days > 36500) {
    return Status::InvalidArgument("window_days must be between 1 and 36500", "window_days");
  }
  if (c.recency_half_life_days < 1 || c.recency_half_life_days > 36500) {
    return Status::InvalidArgument("recency_half_life_days must be between 1 and 36500",
                                   "recency_half_life_days");
  }
  if (c.loyalty_tenure_days < 1 || c.loyalty_tenure_days > 36500) {
    return Status::InvalidArgument("loyalty_tenure_days must be between 1 and 36500",
                                   "loyalty_tenure_days");
  }
  if (c.service_contact_cost < 0) {
    return Status::InvalidArgument("service_contact_cost must be >= 0", "service_contact_cost");
  }
  if (c.service_hour_cost < 0) {
    return Status::InvalidArgument("service_hour_cost must be >= 0", "service_hour_cost");
  }
  if (!std::isfinite(c.discount_rate) || c.discount_rate < 0 || c.discount_rate > 1) {
    return Status::InvalidArgument("discount_rate must be in [0, 1]", "discount_rate");
  }
  return Status::Ok();
}

namespace internal {
namespace {

constexpr Micros kDay = int64_t{86400} * 1000000;

// -------------------------------------------------------------- RankedScores

int64_t FenwickPrefix(const std::vector<int64_t>& tree, size_t b) {
  int64_t s = 0;
  for (size_t i = b; i > 0; i -= i & (~i + 1)) s += tree[i];
  return s;
}

// The largest b with prefix(b) <= limit, for a tree of non-negative values.
size_t FenwickSearch(const std::vector<int64_t>& tree, int64_t limit, int64_t* prefix) {
  size_t n = tree.size() - 1;
  size_t pos = 0;
  int64_t acc = 0;
  size_t step = 1;
  while (step * 2 <= n) step *= 2;
  for (; step > 0; step /= 2) {
    if (pos + step <= n && acc + tree[pos + step] <= limit) {
      pos += step;
      acc += tree[pos];
    }
  }
  *prefix = acc;
  return pos;
}

}  // namespace

void RankedScores::Build(const std::vector<Entry>& sorted) {
  blocks_.clear();
  size_ = sorted.size();
  sum_ = 0;
  constexpr size_t kFill = kMaxBlock * 3 / 4;
  for (size_t i = 0; i < sorted.size(); i += kFill) {
    size_t end = std::min(sorted.size(), i + kFill);
    std::vector<Entry> block;
    block.reserve(kMaxBlock + 1);
    block.assign(sorted.begin() + static_cast<ptrdiff_t>(i), sorted.begin() + static_cast<ptrdiff_t>(end));
    for (const Entry& e : block) sum_ += e.score;
    blocks_.push_back(std::move(block));
  }
  RebuildIndex();
}

void RankedScores::RebuildIndex() {
  size_t n = blocks_.size();
  firsts_.resize(n);
  fenwick_count_.assign(n + 1, 0);
  fenwick_sum_.assign(n + 1, 0);
  for (size_t b = 0; b < n; ++b) {
    firsts_[b] = blocks_[b].front();
    int64_t s = 0;
    for (const Entry& e : blocks_[b]) s += e.score;
    fenwick_count_[b + 1] += static_cast<int64_t>(blocks_[b].size());
    fenwick_sum_[b + 1] += s;
  }
  for (size_t i = 1; i <= n; ++i) {
    size_t parent = i + (i & (~i + 1));
    if (parent <= n) {
      fenwick_count_[parent] += fenwick_count_[i];
      fenwick_sum_[parent] += fenwick_sum_[i];
    }
  }
}

void RankedScores::FenwickAdd(size_t block, int64_t count, int64_t sum) {
  for (size_t i = block + 1; i < fenwick_count_.size(); i += i & (~i + 1)) {
    if (count != 0) fenwick_count_[i] += count;
    fenwick_sum_[i] += sum;
  }
}

int64_t RankedScores::PrefixCount(size_t b) const { return FenwickPrefix(fenwick_count_, b); }
int64_t RankedScores::PrefixSum(size_t b) const { return FenwickPrefix(fenwick_sum_, b); }

size_t RankedScores::FindBlock(const Entry& e) const {
  auto it = std::upper_bound(firsts_.begin(), firsts_.end(), e);
  return it == firsts_.begin() ? 0 : static_cast<size_t>(it - firsts_.begin()) - 1;
}

void RankedScores::Insert(Entry e) {
  ++size_;
  sum_ += e.score;
  if (blocks_.empty()) {
    blocks_.push_back({e});
    blocks_.back().reserve(kMaxBlock + 1);
    RebuildIndex();
    return;
  }
  size_t b = FindBlock(e);
  std::vector<Entry>& block = blocks_[b];
  block.insert(std::upper_bound(block.begin(), block.end(), e), e);
  firsts_[b] = block.front();
  if (block.size() <= kMaxBlock) {
    FenwickAdd(b, 1, e.score);
    return;
  }
  std::vector<Entry> upper;
  upper.reserve(kMaxBlock + 1);
  upper.assign(block.begin() + kMaxBlock / 2, block.end());
  block.resize(kMaxBlock / 2);
  blocks_.insert(blocks_.begin() + static_cast<ptrdiff_t>(b) + 1, std::move(upper));
  RebuildIndex();
}

void RankedScores::Erase(Entry e) {
  CRM_CHECK(!blocks_.empty());
  size_t b = FindBlock(e);
  std::vector<Entry>& block = blocks_[b];
  auto it = std::lower_bound(block.begin(), block.end(), e);
  CRM_CHECK(it != block.end() && *it == e);
  block.erase(it);
  --size_;
  sum_ -= e.score;
  if (block.empty()) {
    blocks_.erase(blocks_.begin() + static_cast<ptrdiff_t>(b));
    RebuildIndex();
    return;
  }
  // Keep blocks from thinning out: merge a small block into its successor.
  if (block.size() < kMaxBlock / 8 && b + 1 < blocks_.size() &&
      block.size() + blocks_[b + 1].size() <= kMaxBlock / 2) {
    std::vector<Entry>& next = blocks_[b + 1];
    block.insert(block.end(), next.begin(), next.end());
    blocks_.erase(blocks_.begin() + static_cast<ptrdiff_t>(b) + 1);
    RebuildIndex();
    return;
  }
  firsts_[b] = block.front();
  FenwickAdd(b, -1, -e.score);
}

void RankedScores::Move(Entry from, Entry to) {
  if (from == to) return;
  size_t b = FindBlock(from);
  // `to` belongs to block b when it is not below b's first entry (b = 0
  // takes anything below) and below the next block's first.
  bool fits = (b == 0 || !(to < firsts_[b])) && (b + 1 == firsts_.size() || to < firsts_[b + 1]);
  if (!fits) {
    Erase(from);
    Insert(to);
    return;
  }
  // Same block: shift only the entries between the old and the new place
  // (a small change of score moves few of them).
  std::vector<Entry>& block = blocks_[b];
  auto it = std::lower_bound(block.begin(), block.end(), from);
  CRM_CHECK(it != block.end() && *it == from);
  if (to < from) {
    auto at = std::upper_bound(block.begin(), it, to);
    std::move_backward(at, it, it + 1);
    *at = to;
  } else {
    auto at = std::upper_bound(it + 1, block.end(), to);
    std::move(it + 1, at, it);
    *(at - 1) = to;
  }
  firsts_[b] = block.front();
  sum_ += to.score - from.score;
  FenwickAdd(b, 0, to.score - from.score);
}

RankedScores::Entry RankedScores::At(uint64_t index) const {
  CRM_CHECK(index < size_);
  int64_t before = 0;
  size_t b = FenwickSearch(fenwick_count_, static_cast<int64_t>(index), &before);
  return blocks_[b][index - static_cast<uint64_t>(before)];
}

uint64_t RankedScores::CountAbove(Entry e) const {
  if (blocks_.empty()) return 0;
  size_t b = FindBlock(e);
  const std::vector<Entry>& block = blocks_[b];
  auto at_or_below = static_cast<uint64_t>(PrefixCount(b)) +
                     static_cast<uint64_t>(std::upper_bound(block.begin(), block.end(), e) - block.begin());
  return size_ - at_or_below;
}

int64_t RankedScores::TopSumCut(int64_t target) const {
  CRM_CHECK(target > 0 && target <= sum_);
  // The largest i whose prefix sum (entries below i) is <= sum - target: the
  // entries from i up are then the smallest top set reaching the target.
  int64_t limit = sum_ - target;
  int64_t acc = 0;
  size_t b = FenwickSearch(fenwick_sum_, limit, &acc);
  CRM_CHECK(b < blocks_.size());
  for (const Entry& e : blocks_[b]) {
    if (acc + e.score > limit) return e.score;
    acc += e.score;
  }
  CRM_CHECK(false);
}

std::vector<RankedScores::Entry> RankedScores::Entries() const {
  std::vector<Entry> out;
  out.reserve(size_);
  for (const auto& block : blocks_) out.insert(out.end(), block.begin(), block.end());
  return out;
}

uint64_t RankedScores::MemoryBytes() const {
  uint64_t bytes = blocks_.capacity() * sizeof(blocks_[0]) + firsts_.capacity() * sizeof(Entry) +
                   (fenwick_count_.capacity() + fenwick_sum_.capacity()) * sizeof(int64_t);
  for (const auto& block : blocks_) bytes += block.capacity() * sizeof(Entry);
  return bytes;
}

// ---------------------------------------------------------------- the model

namespace {

struct Window {
  // Window (start, end], previous window (previous_start, start]. A live
  // model's window has no end: what is written after its as-of time counts.
  Micros start, end, previous_start;
  Window(Micros as_of, uint32_t days, bool open_ended)
      : start(as_of - days * kDay),
        end(open_ended ? INT64_MAX : as_of),
        previous_start(as_of - 2 * days * kDay) {}
  bool In(Micros t) const { return t > start && t <= end; }
  bool InPrevious(Micros t) const { return t > previous_start && t <= start; }
};

void Bump(uint32_t& v, int sign, uint32_t by = 1) { v = sign > 0 ? v + by : v - by; }

// A service interaction: one the customer started, a ticket, or a complaint.
bool IsService(const Interaction& i) {
  return i.direction == Direction::kInbound || i.channel == Channel::kTicket ||
         i.complaint != ComplaintState::kNone;
}

bool IsOpen(const Opportunity& o) { return o.stage != Stage::kWon && o.stage != Stage::kLost; }

void AddTransaction(Aggregates& a, const Transaction& t, const Window& w, int sign) {
  if (w.In(t.time)) {
    a.revenue += sign * t.amount.minor_units;
    a.margin += sign * t.margin_minor_units;
    Bump(a.purchases, sign);
  } else if (w.InPrevious(t.time)) {
    a.previous_revenue += sign * t.amount.minor_units;
  }
}

void AddInteraction(Aggregates& a, const Interaction& i, const Window& w, int sign) {
  if (!w.In(i.time)) return;
  Bump(a.interactions, sign);
  if (i.satisfaction >= 1 && i.satisfaction <= 5) {
    Bump(a.rated, sign);
    Bump(a.satisfaction_sum, sign, i.satisfaction);
    Bump(a.ratings[i.satisfaction - 1], sign);
  }
  if (i.complaint != ComplaintState::kNone) Bump(a.complaints, sign);
  if (i.complaint == ComplaintState::kResolved) Bump(a.resolved_complaints, sign);
  if (IsService(i)) {
    Bump(a.service_contacts, sign);
    a.service_seconds += sign * static_cast<int64_t>(i.duration_seconds);
  }
}

void AddOpportunity(Aggregates& a, const Opportunity& o, int sign) {
  if (!IsOpen(o)) return;
  a.pipeline_x100 += sign * o.amount.minor_units * static_cast<int64_t>(o.probability);
  Bump(a.open_opportunities, sign);
}

// The latest time at or before as_of in a (time, id)-sorted history; 0 = none.
template <typename T>
Micros LatestAtOrBefore(const std::vector<T>& list, Micros as_of) {
  auto it = std::partition_point(list.begin(), list.end(),
                                 [&](const T& r) { return r.time <= as_of; });
  return it == list.begin() ? 0 : std::prev(it)->time;
}

// Sums the records of one customer from scratch.
Aggregates AggregateFromScratch(const Store& store, const CustomerNode& node, const Window& w) {
  Aggregates a;
  auto from = [&](const auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    return std::partition_point(list.begin(), list.end(),
                                [&](const T& r) { return r.time <= w.previous_start; });
  };
  for (auto it = from(node.transactions); it != node.transactions.end() && it->time <= w.end; ++it) {
    AddTransaction(a, *it, w, +1);
  }
  for (auto it = from(node.interactions); it != node.interactions.end() && it->time <= w.end; ++it) {
    AddInteraction(a, *it, w, +1);
  }
  for (Id o : node.opportunities) AddOpportunity(a, *store.Find<Opportunity>(o), +1);
  return a;
}

int64_t ToFixed(double score) {
  return score > 0 ? static_cast<int64_t>(std::llround(score * 1e6)) : 0;
}

ScorePair ScoreOf(const CustomerValue& v, const ScoringConfig& c) {
  double current = 0, potential = 0;
  for (int f = 0; f < kFactorCount; ++f) {
    double n = v.normalized[f];
    if (Hurts(static_cast<Factor>(f))) n = -n;
    current += c.current_weights[f] * n;
    potential += c.potential_weights[f] * n;
  }
  return {ToFixed(current), ToFixed(potential)};
}

size_t TopCount(uint64_t n, double percent) {
  auto k = static_cast<uint64_t>(std::ceil(static_cast<double>(n) * percent / 100.0 - 1e-9));
  return static_cast<size_t>(std::clamp<uint64_t>(k, 1, n));
}

// Sorts entries that are in ascending id order by (score, id): a stable LSD
// radix sort on the score, 16 bits a pass (scores are >= 0), so ties keep
// their id order. Two passes cover scores up to 4295 (2^32 micro-units).
void SortByScore(std::vector<RankedScores::Entry>& entries) {
  int64_t max = 0;
  for (const auto& e : entries) max = std::max(max, e.score);
  std::vector<RankedScores::Entry> out(entries.size());
  std::vector<size_t> counts(65537);
  for (int shift = 0; shift < 64 && (max >> shift) > 0; shift += 16) {
    std::fill(counts.begin(), counts.end(), 0);
    for (const auto& e : entries) ++counts[((static_cast<uint64_t>(e.score) >> shift) & 0xFFFF) + 1];
    for (size_t d = 1; d < counts.size(); ++d) counts[d] += counts[d - 1];
    for (const auto& e : entries) out[counts[(static_cast<uint64_t>(e.score) >> shift) & 0xFFFF]++] = e;
    entries.swap(out);
  }
}

// Runs fn(begin, end) over [1, end) split across `threads` threads.
template <typename Fn>
void ParallelIds(Id end, int threads, Fn&& fn) {
  threads = std::max(1, threads);
  if (threads == 1 || end < 4096) {
    fn(Id{1}, end);
    return;
  }
  std::vector<std::thread> workers;
  Id per = end / static_cast<Id>(threads) + 1;
  for (int t = 1; t < threads; ++t) {
    Id b = std::max<Id>(1, per * static_cast<Id>(t)), e = std::min(end, per * static_cast<Id>(t + 1));
    workers.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(Id{1}, std::min(end, per));
  for (auto& w : workers) w.join();
}

}  // namespace

std::array<double, kFactorCount> ValueModel::RawFactors(const CustomerValue& v) const {
  const ScoringConfig& c = config();
  const Aggregates& a = v.agg;
  std::array<double, kFactorCount> x{};
  auto set = [&](Factor f, double value) { x[static_cast<size_t>(f)] = value; };
  double window_years = c.window_days / 365.0;
  set(Factor::kRevenue, static_cast<double>(a.revenue));
  set(Factor::kProfit, static_cast<double>(a.margin));
  set(Factor::kFrequency, a.purchases / window_years);
  double recency = 0;
  if (v.last_purchase != 0) {
    double days = static_cast<double>(std::max<Micros>(0, as_of_ - v.last_purchase)) /
                  static_cast<double>(kDay);
    recency = std::exp2(-days / c.recency_half_life_days);
  }
  set(Factor::kRecency, recency);
  double growth = 0;
  if (a.previous_revenue > 0) {
    growth = static_cast<double>(a.revenue) / static_cast<double>(a.previous_revenue) - 1;
  } else if (a.revenue > 0) {
    growth = 1;
  }
  set(Factor::kGrowth, std::clamp(growth, -1.0, 100.0));
  set(Factor::kPipeline, static_cast<double>(a.pipeline_x100) / 100.0);
  set(Factor::kSatisfaction,
      a.rated ? (static_cast<double>(a.satisfaction_sum) / a.rated - 1) / 4 : 0);
  set(Factor::kComplaints, a.complaints);
  double tenure_days =
      v.first_seen != 0 && v.first_seen < as_of_
          ? static_cast<double>(as_of_ - v.first_seen) / static_cast<double>(kDay)
          : 0;
  set(Factor::kTenure, tenure_days);
  double repeat = a.purchases > 0 ? (a.purchases - 1.0) / a.purchases : 0;
  set(Factor::kLoyalty, 0.5 * repeat + 0.5 * std::min(1.0, tenure_days / c.loyalty_tenure_days));
  set(Factor::kRetentionCost, static_cast<double>(a.service_contacts) * c.service_contact_cost +
                                  static_cast<double>(a.service_seconds) * c.service_hour_cost / 3600);
  // Lifetime value: yearly margin m, retention r = n/(n+1) (n purchases in the
  // window) decayed by recency and capped at 0.95, discount d:
  // m * r / (1 + d - r), the value of a customer who stays with probability r
  // each year.
  double yearly_margin = static_cast<double>(a.margin) / window_years;
  double retention = std::min(0.95, a.purchases / (a.purchases + 1.0) * recency);
  set(Factor::kModelValue, yearly_margin * retention / (1 + c.discount_rate - retention));
  set(Factor::kSize, static_cast<double>(v.size) / 5);
  return x;
}

void ValueModel::Derive(CustomerValue& v, const CustomerNode& node) const {
  const ScoringConfig& c = config();
  v.present = true;
  v.size = node.customer.size_band;
  Micros end = open_ended_ ? INT64_MAX : as_of_;
  v.last_purchase = LatestAtOrBefore(node.transactions, end);
  v.last_interaction = LatestAtOrBefore(node.interactions, end);
  Micros first = node.customer.created_at;
  if (!node.transactions.empty() && (first == 0 || node.transactions.front().time < first)) {
    first = node.transactions.front().time;
  }
  if (!node.interactions.empty() && (first == 0 || node.interactions.front().time < first)) {
    first = node.interactions.front().time;
  }
  v.first_seen = first;
  std::array<double, kFactorCount> raw = RawFactors(v);
  for (int f = 0; f < kFactorCount; ++f) {
    double x = raw[f];
    v.normalized[f] = static_cast<float>(
        Bounded(static_cast<Factor>(f)) ? x : std::copysign(std::log1p(std::fabs(x) / c.units[f]), x));
  }
}

uint8_t ValueModel::Refresh(Id id, const Store& store) {
  CustomerValue& v = values_.GetOrCreate(id);
  ScorePair& scores = state_->scores.GetOrCreate(id);
  const CustomerNode* node = store.Node(id);
  bool was_ranked = v.present;
  ScorePair before = scores;
  if (node == nullptr) {
    v = CustomerValue{};
    scores = ScorePair{};
  } else {
    Derive(v, *node);
    scores = ScoreOf(v, config());
  }
  bool ranked = node != nullptr;
  // Most interactions move no score: then that ranking stays as it is.
  uint8_t moved = 0;
  auto rerank = [&](RankedScores& ranking, int64_t old_score, int64_t new_score) {
    if (was_ranked && ranked) {
      ranking.Move({old_score, id}, {new_score, id});
    } else if (was_ranked) {
      ranking.Erase({old_score, id});
    } else {
      ranking.Insert({new_score, id});
    }
  };
  if (was_ranked != ranked || before.current != scores.current) {
    rerank(state_->current, before.current, scores.current);
    moved |= kCurrentMoved;
  }
  if (was_ranked != ranked || before.potential != scores.potential) {
    rerank(state_->potential, before.potential, scores.potential);
    moved |= kPotentialMoved;
  }
  return moved;
}

std::unique_ptr<ValueModel> ValueModel::Build(const Store& store, const ScoringConfig& config,
                                              Micros as_of, bool open_ended, int threads) {
  std::unique_ptr<ValueModel> m(new ValueModel());
  m->as_of_ = as_of;
  m->open_ended_ = open_ended;
  m->state_ = std::make_unique<ScoreState>();
  m->state_->config = config;
  Id end = store.customer_end_id();
  if (end > 0) {
    m->values_.GetOrCreate(end - 1);
    m->state_->scores.GetOrCreate(end - 1);
  }
  Window w(as_of, config.window_days, open_ended);
  ParallelIds(end, threads, [&](Id begin, Id stop) {
    for (Id id = begin; id < stop; ++id) {
      const CustomerNode* node = store.Node(id);
      if (node == nullptr) continue;
      CustomerValue& v = *m->values_.Get(id);
      v.agg = AggregateFromScratch(store, *node, w);
    }
  });
  // Finish each customer with the same code as an incremental update; rank
  // them all at once below.
  ParallelIds(end, threads, [&](Id begin, Id stop) {
    for (Id id = begin; id < stop; ++id) {
      if (const CustomerNode* node = store.Node(id)) m->Derive(*m->values_.Get(id), *node);
    }
  });
  m->state_ = m->Rescore(config, threads);
  return m;
}

bool ValueModel::WeightsOnly(const ScoringConfig& c) const {
  ScoringConfig probe = c;
  const ScoringConfig& now = config();
  probe.version = now.version;
  probe.changed_by = now.changed_by;
  probe.changed_at = now.changed_at;
  probe.current_weights = now.current_weights;
  probe.potential_weights = now.potential_weights;
  probe.pareto_percent = now.pareto_percent;
  probe.potential_high_percent = now.potential_high_percent;
  probe.high_class_percent = now.high_class_percent;
  probe.mid_class_percent = now.mid_class_percent;
  return probe == now;
}

std::unique_ptr<ScoreState> ValueModel::Rescore(const ScoringConfig& config, int threads) const {
  auto state = std::make_unique<ScoreState>();
  state->config = config;
  Id end = values_.end_id();
  if (end > 0) state->scores.GetOrCreate(end - 1);
  ParallelIds(end, threads, [&](Id begin, Id stop) {
    for (Id id = begin; id < stop; ++id) {
      const CustomerValue& v = *values_.Get(id);
      if (v.present) *state->scores.Get(id) = ScoreOf(v, config);
    }
  });
  std::vector<RankedScores::Entry> current, potential;
  for (Id id = 1; id < end; ++id) {
    if (!values_.Get(id)->present) continue;
    const ScorePair& s = *state->scores.Get(id);
    current.push_back({s.current, id});
    potential.push_back({s.potential, id});
  }
  auto rank = [](std::vector<RankedScores::Entry>& entries, RankedScores& out) {
    SortByScore(entries);  // entries are in id order
    out.Build(entries);
  };
  if (threads > 1) {
    std::thread other([&] { rank(potential, state->potential); });
    rank(current, state->current);
    other.join();
  } else {
    rank(current, state->current);
    rank(potential, state->potential);
  }
  state->cut = ComputeCutoffs(*state);
  return state;
}

void UpdateCutoffs(const ScoreState& s, bool current, bool potential, FixedCutoffs* cut) {
  const ScoringConfig& c = s.config;
  uint64_t n = s.current.size();
  if (n == 0) {
    *cut = FixedCutoffs{};
    return;
  }
  if (current) {
    int64_t total = s.current.sum();
    cut->pareto = INT64_MAX;
    if (total > 0) {
      auto target = static_cast<int64_t>(
          std::ceil(static_cast<long double>(total) * c.pareto_percent / 100.0L));
      cut->pareto = s.current.TopSumCut(std::clamp<int64_t>(target, 1, total));
    }
    cut->class_high = s.current.At(n - TopCount(n, c.high_class_percent)).score;
    cut->class_mid =
        s.current.At(n - TopCount(n, c.high_class_percent + c.mid_class_percent)).score;
  }
  if (potential) cut->potential = s.potential.At(n - TopCount(n, c.potential_high_percent)).score;
}

FixedCutoffs ComputeCutoffs(const ScoreState& s) {
  FixedCutoffs cut;
  UpdateCutoffs(s, true, true, &cut);
  return cut;
}

void ValueModel::Contribute(const Record& record, int sign) {
  Window w(as_of_, config().window_days, open_ended_);
  Id customer = 0;
  if (auto* t = std::get_if<Transaction>(&record)) {
    customer = t->customer;
    AddTransaction(values_.GetOrCreate(customer).agg, *t, w, sign);
  } else if (auto* i = std::get_if<Interaction>(&record)) {
    customer = i->customer;
    AddInteraction(values_.GetOrCreate(customer).agg, *i, w, sign);
  } else if (auto* o = std::get_if<Opportunity>(&record)) {
    customer = o->customer;
    AddOpportunity(values_.GetOrCreate(customer).agg, *o, sign);
  } else if (auto* c = std::get_if<Customer>(&record)) {
    customer = c->id;
  }
  if (customer != 0) dirty_.push_back(customer);
}

void ValueModel::OnPut(const Record* old, const Record& now) {
  if (old != nullptr) Contribute(*old, -1);
  Contribute(now, +1);
}

void ValueModel::OnRemove(const Record& old) { Contribute(old, -1); }

size_t ValueModel::Finish(const Store& store) {
  if (dirty_.empty()) return 0;
  std::sort(dirty_.begin(), dirty_.end());
  dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  uint8_t moved = 0;
  for (Id id : dirty_) moved |= Refresh(id, store);
  size_t rescored = dirty_.size();
  dirty_.clear();
  if (moved != 0) {
    UpdateCutoffs(*state_, (moved & kCurrentMoved) != 0, (moved & kPotentialMoved) != 0,
                  &state_->cut);
  }
  return rescored;
}

bool ValueModel::Has(Id id) const {
  const CustomerValue* v = values_.Get(id);
  return v != nullptr && v->present;
}

const CustomerValue* ValueModel::Find(Id id) const {
  const CustomerValue* v = values_.Get(id);
  return v != nullptr && v->present ? v : nullptr;
}

ScorePair ValueModel::Scores(Id id) const {
  const ScorePair* s = state_->scores.Get(id);
  return s ? *s : ScorePair{};
}

Tier ValueModel::TierOf(ScorePair s) const {
  const FixedCutoffs& cut = state_->cut;
  bool high_current = s.current > 0 && s.current >= cut.pareto;
  bool high_potential = s.potential > 0 && s.potential >= cut.potential;
  if (high_current) return high_potential ? Tier::kKey : Tier::kMaintenance;
  return high_potential ? Tier::kDevelopment : Tier::kOpportunity;
}

ValueClass ValueModel::ClassOf(ScorePair s) const {
  const FixedCutoffs& cut = state_->cut;
  if (s.current > 0 && s.current >= cut.class_high) return ValueClass::kHigh;
  if (s.current > 0 && s.current >= cut.class_mid) return ValueClass::kMid;
  return ValueClass::kLow;
}

ValueSummary ValueModel::Summary(Id id) const {
  ValueSummary out;
  const CustomerValue* v = Find(id);
  if (v == nullptr) return out;
  const ScoringConfig& c = config();
  ScorePair s = Scores(id);
  out.scored = true;
  out.current_value = ScoreToDouble(s.current);
  out.potential_value = ScoreToDouble(s.potential);
  out.tier = TierOf(s);
  out.value_class = ClassOf(s);
  out.high_current = out.tier == Tier::kKey || out.tier == Tier::kMaintenance;
  out.high_potential = out.tier == Tier::kKey || out.tier == Tier::kDevelopment;
  out.current_rank = state_->current.CountAbove({s.current, id}) + 1;
  out.customers = state_->current.size();
  out.as_of = as_of_;
  out.config_version = c.version;
  std::array<double, kFactorCount> raw = RawFactors(*v);
  for (int f = 0; f < kFactorCount; ++f) {
    double n = v->normalized[f];
    double signed_n = Hurts(static_cast<Factor>(f)) ? -n : n;
    out.factors[f] = FactorValue{raw[f], n, c.current_weights[f] * signed_n,
                                 c.potential_weights[f] * signed_n};
  }
  return out;
}

uint64_t ValueModel::MemoryBytes() const {
  return values_.MemoryBytes() + state_->scores.MemoryBytes() + state_->current.MemoryBytes() +
         state_->potential.MemoryBytes();
}

Cutoffs ValueModel::PublicCutoffs() const {
  const FixedCutoffs& cut = state_->cut;
  auto d = [](int64_t v) { return v == INT64_MAX ? 0.0 : ScoreToDouble(v); };
  Cutoffs out;
  out.pareto_current = d(cut.pareto);
  out.high_potential = d(cut.potential);
  out.class_high = d(cut.class_high);
  out.class_mid = d(cut.class_mid);
  out.customers = state_->current.size();
  out.total_current = ScoreToDouble(state_->current.sum());
  return out;
}

std::vector<uint8_t> ValueModel::TierSnapshot() const {
  std::vector<uint8_t> out(values_.end_id(), 0);
  for (Id id = 1; id < values_.end_id(); ++id) {
    if (Has(id)) out[id] = static_cast<uint8_t>(TierOf(Scores(id)));
  }
  return out;
}

}  // namespace internal
}  // namespace crm::engine
