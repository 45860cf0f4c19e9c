// ValueModel: per-customer value factors, scores, and the global cut-offs
// that turn scores into tiers, kept current on every write.
//
// - Aggregates (sums and counts over a customer's records in the window) are
//   exact integers, maintained by adding and subtracting each changed record's
//   contribution: O(1) per record, whatever the customer's history length.
// - Scores are fixed-point integers (micro-units) computed from the
//   normalized factors, so sums over all customers are exact and the
//   incrementally maintained state equals a from-scratch build bit for bit.
// - RankedScores keeps every customer's (score, id) in order with counts and
//   sums, so the Pareto cut and the percentile cut-offs are O(log n) queries
//   and one customer's change is O(log n) plus a move inside one block.
//
// Thread-safety: none of its own; the engine's lock guards it (mutations
// exclusive, const methods shared).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "crm/engine/value.h"
#include "store.h"

namespace crm::engine::internal {

// (score, id) pairs in ascending order with prefix counts and sums.
class RankedScores {
 public:
  struct Entry {
    int64_t score = 0;
    Id id = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
    friend bool operator<(const Entry& a, const Entry& b) {
      return a.score < b.score || (a.score == b.score && a.id < b.id);
    }
  };

  // Replaces the contents with `sorted` (ascending, no duplicates). O(n).
  void Build(const std::vector<Entry>& sorted);
  void Insert(Entry e);
  // `e` must be present.
  void Erase(Entry e);
  // Erase(from) then Insert(to), moving only the entries in between when
  // both places are in one block. `from` must be present.
  void Move(Entry from, Entry to);

  uint64_t size() const { return size_; }
  int64_t sum() const { return sum_; }
  // The entry with `index` entries below it; index < size().
  Entry At(uint64_t index) const;
  // Entries strictly above `e`.
  uint64_t CountAbove(Entry e) const;
  // The lowest score of the smallest top set whose scores sum to at least
  // `target` (> 0, <= sum()).
  int64_t TopSumCut(int64_t target) const;
  // For tests: the whole contents, ascending.
  std::vector<Entry> Entries() const;
  // Heap bytes held (capacity, not size).
  uint64_t MemoryBytes() const;

 private:
  static constexpr size_t kMaxBlock = 512;
  size_t FindBlock(const Entry& e) const;
  void RebuildIndex();
  void FenwickAdd(size_t block, int64_t count, int64_t sum);
  // Prefix over blocks [0, b).
  int64_t PrefixCount(size_t b) const;
  int64_t PrefixSum(size_t b) const;

  std::vector<std::vector<Entry>> blocks_;
  std::vector<Entry> firsts_;  // blocks_[b].front(), contiguous for the search
  std::vector<int64_t> fenwick_count_, fenwick_sum_;  // 1-based
  uint64_t size_ = 0;
  int64_t sum_ = 0;
};

// Exact sums and counts over one customer's records. The window is
// (as_of - window, as_of]; the previous window the same length before it.
struct Aggregates {
  int64_t revenue = 0;           // window, minor units
  int64_t margin = 0;            // window
  int64_t previous_revenue = 0;  // previous window
  int64_t pipeline_x100 = 0;     // open opportunities: amount x probability percent
  int64_t service_seconds = 0;   // window
  uint32_t purchases = 0;        // window
  uint32_t interactions = 0;     // window
  uint32_t rated = 0;            // window, satisfaction 1..5
  uint32_t satisfaction_sum = 0;
  uint32_t complaints = 0;       // window, complaint raised
  uint32_t resolved_complaints = 0;  // window, complaint raised and now resolved
  uint32_t service_contacts = 0; // window
  uint32_t open_opportunities = 0;
  std::array<uint32_t, 5> ratings{};
  friend bool operator==(const Aggregates&, const Aggregates&) = default;
};

// Everything the model keeps per customer, besides its scores.
struct CustomerValue {
  bool present = false;
  SizeBand size = SizeBand::kUnknown;
  Micros last_purchase = 0;     // latest purchase in the window's range; 0 = none
  Micros last_interaction = 0;  // latest interaction in the window's range; 0 = none
  Micros first_seen = 0;        // earliest of created_at and first record
  Aggregates agg;
  std::array<float, kFactorCount> normalized{};
  friend bool operator==(const CustomerValue&, const CustomerValue&) = default;
};

// A customer's two scores, in micro-units (1.0 = 1'000'000).
struct ScorePair {
  int64_t current = 0;
  int64_t potential = 0;
  friend bool operator==(const ScorePair&, const ScorePair&) = default;
};

// The cut-offs in fixed point (see Cutoffs for their meaning).
struct FixedCutoffs {
  int64_t pareto = INT64_MAX, potential = INT64_MAX, class_high = INT64_MAX,
          class_mid = INT64_MAX;
};

// What depends on the weights and percents only: replaced whole when they change.
struct ScoreState {
  ScoringConfig config;
  DenseTable<ScorePair> scores;
  RankedScores current, potential;
  FixedCutoffs cut;
};

// The cut-offs of a state's rankings. O(log n).
FixedCutoffs ComputeCutoffs(const ScoreState& state);
// Recomputes the cut-offs of the current and/or the potential ranking.
void UpdateCutoffs(const ScoreState& state, bool current, bool potential, FixedCutoffs* cut);

class ValueModel {
 public:
  // Computes everything from the store, with windows ending at `as_of`, or
  // (open_ended: the live model) starting at as_of - window and taking in
  // whatever is written later. Reads the store only; uses up to `threads`
  // threads. O(records).
  static std::unique_ptr<ValueModel> Build(const Store& store, const ScoringConfig& config,
                                           Micros as_of, bool open_ended, int threads);
  // New scores for `config` from this model's factors: O(customers).
  // `config` may differ from the current one only in weights and percents.
  std::unique_ptr<ScoreState> Rescore(const ScoringConfig& config, int threads) const;
  void AdoptScores(std::unique_ptr<ScoreState> state) { state_ = std::move(state); }
  // True when going from the current config to `config` needs no new factors.
  bool WeightsOnly(const ScoringConfig& config) const;

  // ---- Incremental maintenance, called with the records of a committed
  // batch in order, then Finish() once.
  void OnPut(const Record* old, const Record& now);
  void OnRemove(const Record& old);
  // Rescores every customer touched since the last Finish() and updates the
  // cut-offs. O(touched x log n). Returns how many customers it rescored.
  size_t Finish(const Store& store);

  // ---- Reads.
  const ScoringConfig& config() const { return state_->config; }
  Micros as_of() const { return as_of_; }
  bool open_ended() const { return open_ended_; }
  uint64_t customers() const { return state_->current.size(); }
  bool Has(Id id) const;
  const CustomerValue* Find(Id id) const;
  ScorePair Scores(Id id) const;
  Tier TierOf(ScorePair s) const;
  ValueClass ClassOf(ScorePair s) const;
  // The card's summary: factors, contributions, tier, rank. O(log n).
  ValueSummary Summary(Id id) const;
  Cutoffs PublicCutoffs() const;
  // Tier of every id below end_id() (kNone where no customer).
  std::vector<uint8_t> TierSnapshot() const;
  Id end_id() const { return values_.end_id(); }
  // Raw factor values of one customer (in each factor's unit).
  std::array<double, kFactorCount> RawFactors(const CustomerValue& v) const;
  // For tests: the ranked entries of both scores.
  const ScoreState& state() const { return *state_; }
  // Heap bytes held by the per-customer state and the rankings.
  uint64_t MemoryBytes() const;

 private:
  ValueModel() = default;
  // Sets everything but the aggregates from the customer's node.
  void Derive(CustomerValue& v, const CustomerNode& node) const;
  // Re-derives one customer and moves it in the rankings whose score
  // changed; returns which moved (kCurrentMoved | kPotentialMoved).
  static constexpr uint8_t kCurrentMoved = 1, kPotentialMoved = 2;
  uint8_t Refresh(Id id, const Store& store);
  void Contribute(const Record& record, int sign);

  Micros as_of_ = 0;
  bool open_ended_ = true;
  DenseTable<CustomerValue> values_;
  std::unique_ptr<ScoreState> state_;
  std::vector<Id> dirty_;
};

// Converts fixed-point scores to the public double.
inline double ScoreToDouble(int64_t fixed) { return static_cast<double>(fixed) / 1e6; }

}  // namespace crm::engine::internal
