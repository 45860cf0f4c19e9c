// Customer value, tiers and the analytics built on them.
//
// Every customer has a set of factors (revenue, profit, frequency, ...) kept
// current on every write, two scores computed from them with configurable
// weights (current value, potential value), and from those a tier (key,
// development, maintenance, opportunity) and a value class (high, mid, low).
// See the README section "Customer value and tiers" for every formula.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::engine {

// The factors of a customer's value. The value is stable (stored in configs).
enum class Factor : uint8_t {
  kRevenue = 0,        // sum of purchase amounts in the window (minor units)
  kProfit = 1,         // sum of purchase margins in the window (minor units)
  kFrequency = 2,      // purchases per year in the window
  kRecency = 3,        // 0.5^(days since the last purchase / half-life); 0 = never
  kGrowth = 4,         // window revenue vs the previous window, as a ratio (-1 .. )
  kPipeline = 5,       // sum over open opportunities of amount x probability
  kSatisfaction = 6,   // (average rating in the window - 1) / 4, 0..1; 0 = unrated
  kComplaints = 7,     // complaints raised in the window (hurts)
  kTenure = 8,         // days since the first sign of the customer
  kLoyalty = 9,        // repeat-purchase rate and tenure, 0..1
  kRetentionCost = 10, // cost of serving the customer in the window (hurts)
  kModelValue = 11,    // lifetime-value estimate (minor units)
  kSize = 12,          // size band / 5, 0..1
};
inline constexpr int kFactorCount = 13;
std::string_view Name(Factor f);
bool Parse(std::string_view name, Factor* out);
// Factors that lower a score as they grow (complaints, retention cost).
bool Hurts(Factor f);
// Factors already in 0..1 and used as they are; the others are log-scaled.
bool Bounded(Factor f);

enum class Tier : uint8_t { kNone = 0, kKey = 1, kDevelopment = 2, kMaintenance = 3, kOpportunity = 4 };
inline constexpr int kTierCount = 5;  // including kNone
enum class ValueClass : uint8_t { kNone = 0, kHigh = 1, kMid = 2, kLow = 3 };
std::string_view Name(Tier t);
std::string_view Name(ValueClass v);
bool Parse(std::string_view name, Tier* out);

// Everything that decides scores and tiers. Versioned: every change is stored
// with who made it and when, and rescores every customer at once.
struct ScoringConfig {
  uint64_t version = 0;  // 0 = the built-in default; assigned when stored
  Id changed_by = 0;     // user; 0 = the system
  Micros changed_at = 0;

  uint32_t window_days = 365;  // revenue, profit, frequency, ... look this far back
  // Weights, >= 0, per factor, of the two scores. A hurting factor's weighted
  // term is subtracted.
  std::array<double, kFactorCount> current_weights{};
  std::array<double, kFactorCount> potential_weights{};
  // Log scale of each unbounded factor: normalized = sign(x) ln(1 + |x| / unit).
  // Must be > 0; ignored for bounded factors.
  std::array<double, kFactorCount> units{};

  double pareto_percent = 80;          // key/maintenance: customers making up this share of value
  double potential_high_percent = 50;  // key/development: this top share by potential value
  double high_class_percent = 20;      // value class high: this top share by current value
  double mid_class_percent = 30;       // value class mid: the next share

  uint32_t recency_half_life_days = 90;
  int64_t service_contact_cost = 500;   // minor units per service interaction
  int64_t service_hour_cost = 6000;     // minor units per hour of service interactions
  double discount_rate = 0.10;          // yearly, for the lifetime value
  uint32_t loyalty_tenure_days = 1825;  // tenure at which the tenure half of loyalty is full

  // The built-in defaults (documented in the README).
  static ScoringConfig Default();
  friend bool operator==(const ScoringConfig&, const ScoringConfig&) = default;
};

// Checks a config: weights >= 0 and finite, at least one positive weight per
// score, units > 0, percents in (0, 100] (class percents summing to <= 100),
// window and half-life >= 1 day, costs >= 0, discount rate in [0, 1].
// InvalidArgument names the field ("current_weights.revenue").
Status Validate(const ScoringConfig& config);

// One factor of one customer, and what it adds to each score.
struct FactorValue {
  double raw = 0;         // in the factor's own unit (see Factor)
  double normalized = 0;  // after log scaling (or as is, for bounded factors)
  double current = 0;     // weighted contribution to the current value
  double potential = 0;   // weighted contribution to the potential value
};

// The value of one customer, consistent with the current global cut-offs.
struct ValueSummary {
  bool scored = false;
  double current_value = 0;  // >= 0: the weighted sum, clamped at 0
  double potential_value = 0;
  Tier tier = Tier::kNone;
  ValueClass value_class = ValueClass::kNone;
  bool high_current = false;    // within the Pareto set
  bool high_potential = false;  // within the top potential_high_percent
  uint64_t current_rank = 0;    // 1 = the highest current value
  uint64_t customers = 0;       // ranked customers
  Micros as_of = 0;             // the time the windows end at
  uint64_t config_version = 0;
  std::array<FactorValue, kFactorCount> factors{};
};

// The global cut-offs of the moment (scores as doubles).
struct Cutoffs {
  double pareto_current = 0;    // current value >= this (and > 0): high current
  double high_potential = 0;    // potential value >= this (and > 0): high potential
  double class_high = 0;        // current value >= this (and > 0): class high
  double class_mid = 0;         // current value >= this (and > 0): class mid (else low)
  uint64_t customers = 0;
  double total_current = 0;
};

// ---- Reports. Every report reads one consistent state. as_of = 0 reads the
// maintained model (windows ending at its as-of time); another as_of
// recomputes the windows from scratch for that time (O(records)).

struct ParetoQuery {
  enum class Metric : uint8_t { kCurrentValue = 0, kRevenue = 1, kProfit = 2 };
  Metric metric = Metric::kCurrentValue;
  uint32_t points = 20;  // curve points, 1..1000
  Micros as_of = 0;
};
struct ParetoReport {
  Micros as_of = 0;
  uint64_t customers = 0;
  double total = 0;
  // Share (0..1) of the total held by the top 10%, 20%, 50% of customers.
  double top10 = 0, top20 = 0, top50 = 0;
  // Fewest customers (share 0..1) holding 80% of the total.
  double customers_for_80 = 0;
  struct Point {
    double customers = 0;  // top share of customers, 0..1
    double value = 0;      // share of the total they hold, 0..1
  };
  std::vector<Point> curve;  // ascending, ending at (1, 1) when total > 0
};

struct TierQuery {
  Micros since = 0;  // movements since this time (0 = no movements)
  Micros as_of = 0;
};
struct TierReport {
  Micros as_of = 0;
  uint64_t config_version = 0;
  Cutoffs cutoffs;
  std::array<uint64_t, kTierCount> tiers{};          // customers per Tier (index = value)
  std::array<double, kTierCount> tier_value{};       // sum of current value per tier
  std::array<uint64_t, 4> value_classes{};           // per ValueClass
  // movements[from][to]: customers whose tier was `from` in the baseline
  // snapshot and is `to` now (kNone: did not exist / no longer exists).
  // false when no snapshot was taken at or before `since`.
  bool has_baseline = false;
  Micros baseline_at = 0;  // the snapshot compared with: the last at or before `since`
  std::array<std::array<uint64_t, kTierCount>, kTierCount> movements{};
};

enum class Dimension : uint8_t {
  kIndustry = 0, kCountry = 1, kProvince = 2, kCity = 3, kLifecycle = 4, kCategory = 5,
  kPaymentMethod = 6, kCreditLevel = 7, kSize = 8, kTier = 9, kOwner = 10, kTeam = 11,
  kKind = 12, kValueClass = 13,
};
std::string_view Name(Dimension d);
bool Parse(std::string_view name, Dimension* out);

struct GroupQuery {
  Dimension dimension = Dimension::kIndustry;
  Micros as_of = 0;
};
struct GroupRow {
  std::string key;  // the group's value ("" = unset); owners as their user id
  uint64_t customers = 0;
  int64_t revenue = 0;  // window, minor units
  int64_t profit = 0;
  int64_t pipeline = 0;  // weighted open pipeline, minor units
  double current_value = 0;
  double potential_value = 0;
  uint64_t key_customers = 0;
};
struct GroupReport {
  Micros as_of = 0;
  Dimension dimension = Dimension::kIndustry;
  std::vector<GroupRow> rows;  // by revenue, descending; then by key
};

struct PipelineRow {
  Stage stage = Stage::kQualification;
  uint64_t count = 0;
  int64_t amount = 0;
  int64_t weighted = 0;  // amount x probability
  // Share of the opportunities at this stage or later (won included, lost
  // excluded) that are past it; -1 for won and lost.
  double conversion = -1;
};
struct PipelineReport {
  std::vector<PipelineRow> stages;  // every stage, in order
  uint64_t open = 0;
  int64_t open_amount = 0, open_weighted = 0;
  double win_rate = 0;  // won / (won + lost), 0 when none closed
};

struct ContractRow {
  ContractStatus status = ContractStatus::kDraft;
  uint64_t count = 0;
  int64_t amount = 0;
  int64_t paid = 0;
  int64_t outstanding = 0;  // amount - paid, never below 0 per contract
};
struct ContractReport {
  Micros as_of = 0;
  std::vector<ContractRow> statuses;  // every status, in order
  uint32_t expiring_days = 30;
  uint64_t expiring = 0;  // active, ending within expiring_days of as_of
  int64_t expiring_amount = 0;
  uint64_t overdue_payment = 0;  // active or fulfilled, past end, not fully paid
};

struct ChurnQuery {
  uint32_t inactive_days = 90;   // no interaction or purchase for this long
  double revenue_drop = 0.5;     // or window revenue fell by this share (0..1)
  uint32_t limit = 100;          // 1..10000, most valuable first
  Micros as_of = 0;
};
struct ChurnRow {
  Id customer = 0;
  std::string name;
  Id owner = 0;
  Micros last_activity = 0;  // 0 = never
  uint32_t days_inactive = 0;
  int64_t revenue = 0, previous_revenue = 0;
  double current_value = 0;
  Tier tier = Tier::kNone;
  bool inactive = false;
  bool falling = false;
};
struct ChurnReport {
  Micros as_of = 0;
  uint64_t at_risk = 0;  // all matches; rows holds the first `limit`
  std::vector<ChurnRow> rows;
};

struct SatisfactionReport {
  Micros as_of = 0;
  uint64_t rated = 0;  // rated interactions in the window
  double average = 0;  // 1..5, 0 when none
  std::array<uint64_t, 5> ratings{};  // [0] = 1 star
  uint64_t complaints = 0;            // raised in the window
  // Complaints by their current state, whatever their time.
  uint64_t open = 0, in_progress = 0, resolved = 0;
  uint64_t customers_rated = 0;
  uint64_t customers_with_complaints = 0;
};

struct ConversionQuery {
  bool by_campaign = false;  // false: by lead source
};
struct ConversionRow {
  std::string key;  // source or campaign ("" = unset)
  uint64_t opportunities = 0, won = 0, lost = 0, open = 0;
  double win_rate = 0;  // won / (won + lost)
  int64_t won_amount = 0;
  int64_t open_weighted = 0;
};
struct ConversionReport {
  bool by_campaign = false;
  std::vector<ConversionRow> rows;  // by opportunities, descending; then by key
};

struct OwnerKpiRow {
  Id owner = 0;
  std::string name;
  uint64_t customers = 0;       // all owned
  uint64_t key_customers = 0;
  int64_t revenue = 0;          // window revenue of the key customers
  int64_t previous_revenue = 0;
  double growth = 0;            // revenue / previous - 1 (0 when previous = 0)
  uint64_t interactions = 0;    // with the key customers in the window
  double contacts_per_key_customer = 0;
  uint64_t open_complaints = 0; // of the key customers
  uint64_t overdue_tasks = 0;   // of the key customers: not done, due before as_of
};
struct OwnerKpiReport {
  Micros as_of = 0;
  std::vector<OwnerKpiRow> rows;  // by key-customer revenue, descending
};

}  // namespace crm::engine
