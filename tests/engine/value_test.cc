// The value model: factors, scores, tiers, cut-offs, config versions, ageing,
// incremental maintenance against a from-scratch recompute, and the reports.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "crm/engine/codec.h"
#include "crm/engine/engine.h"
#include "engine_test_base.h"
#include "test_util.h"
#include "value_model.h"

namespace crm::testing {
namespace {

using engine::Factor;
using engine::ScoringConfig;
using engine::Tier;
using engine::ValueClass;
using engine::internal::RankedScores;

constexpr engine::Micros kDay = int64_t{86400} * 1000000;

size_t F(Factor f) { return static_cast<size_t>(f); }

// ------------------------------------------------------------ RankedScores

TEST(RankedScoresTest, MatchesASortedReferenceThroughRandomInsertsAndErases) {
  std::mt19937_64 rng(7);
  RankedScores ranked;
  std::set<RankedScores::Entry> reference;
  engine::Id next_id = 1;
  for (int step = 0; step < 30000; ++step) {
    int what = static_cast<int>(rng() % 100);
    if (!reference.empty() && what < 30) {
      // A score that changes, by a little or a lot.
      auto it = reference.begin();
      std::advance(it, static_cast<long>(rng() % reference.size()));
      RankedScores::Entry to{std::max<int64_t>(0, it->score + (rng() % 2 ? 1000 : -1000) *
                                                                static_cast<int64_t>(rng() % 3)),
                             it->id};
      if (rng() % 4 == 0) to.score = static_cast<int64_t>(rng() % 50) * 1000;
      ranked.Move(*it, to);
      reference.erase(it);
      reference.insert(to);
    } else if (reference.empty() || what < 70) {
      // Few distinct scores, many ties, some zeros.
      RankedScores::Entry e{static_cast<int64_t>(rng() % 50) * 1000, next_id++};
      ranked.Insert(e);
      reference.insert(e);
    } else {
      auto it = reference.begin();
      std::advance(it, static_cast<long>(rng() % reference.size()));
      ranked.Erase(*it);
      reference.erase(it);
    }
    if (step % 997 != 0 && step != 29999) continue;
    std::vector<RankedScores::Entry> sorted(reference.begin(), reference.end());
    ASSERT_EQ(ranked.Entries(), sorted);
    ASSERT_EQ(ranked.size(), sorted.size());
    int64_t sum = 0;
    for (const auto& e : sorted) sum += e.score;
    ASSERT_EQ(ranked.sum(), sum);
    for (size_t i = 0; i < sorted.size(); i += 1 + sorted.size() / 50) {
      ASSERT_EQ(ranked.At(i), sorted[i]);
      ASSERT_EQ(ranked.CountAbove(sorted[i]), sorted.size() - 1 - i);
    }
    for (int64_t target : {int64_t{1}, sum / 3, sum * 4 / 5, sum}) {
      if (target <= 0 || target > sum) continue;
      // Brute force: walk down from the top until the target is reached.
      int64_t acc = 0, cut = 0;
      for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
        acc += it->score;
        cut = it->score;
        if (acc >= target) break;
      }
      ASSERT_EQ(ranked.TopSumCut(target), cut) << "target " << target;
    }
  }
}

// ------------------------------------------------------------ fixtures

engine::Opportunity OpportunityOf(engine::Id customer, engine::Stage stage, int64_t amount,
                                  uint8_t probability) {
  engine::Opportunity o;
  o.customer = customer;
  o.name = "deal";
  o.stage = stage;
  o.amount = engine::Money{amount, engine::Currency("CNY")};
  o.probability = probability;
  return o;
}

engine::Transaction Purchase(engine::Id customer, int days_ago, int64_t amount, int64_t margin = 0) {
  engine::Transaction t = TransactionOf(customer, kTestNow - days_ago * kDay, amount);
  t.margin_minor_units = margin;
  return t;
}

class ValueTest : public EngineTest {
 protected:
  engine::ValueSummary Value(engine::Id id) { return Must(db().Value(id)); }

  // A config that scores current value by revenue alone and potential value
  // by the weighted pipeline alone, both with a unit of 1,000.00.
  static ScoringConfig RevenueAndPipeline() {
    ScoringConfig c = ScoringConfig::Default();
    c.current_weights.fill(0);
    c.potential_weights.fill(0);
    c.current_weights[F(Factor::kRevenue)] = 1;
    c.potential_weights[F(Factor::kPipeline)] = 1;
    return c;
  }
};

// ------------------------------------------------------------ factors

TEST_F(ValueTest, EveryFactorMatchesAHandComputation) {
  engine::Customer customer = Individual("Factor Test");
  customer.size_band = engine::SizeBand::kMedium;
  engine::Id id = MustCreate(customer);
  MustCreate(Purchase(id, 10, 100000, 30000));   // window
  MustCreate(Purchase(id, 100, 50000, 10000));   // window
  MustCreate(Purchase(id, 400, 60000));          // previous window
  MustCreate(Purchase(id, 800, 99999, 99999));   // neither
  engine::Interaction call = InteractionOf(id, kTestNow - 5 * kDay, engine::Channel::kCall);
  call.direction = engine::Direction::kInbound;
  call.duration_seconds = 600;
  call.satisfaction = 4;
  MustCreate(call);
  engine::Interaction ticket = InteractionOf(id, kTestNow - 20 * kDay, engine::Channel::kTicket);
  ticket.direction = engine::Direction::kOutbound;
  ticket.duration_seconds = 1200;
  ticket.satisfaction = 2;
  ticket.complaint = engine::ComplaintState::kOpen;
  MustCreate(ticket);
  engine::Interaction mail = InteractionOf(id, kTestNow - 30 * kDay, engine::Channel::kEmail);
  mail.direction = engine::Direction::kOutbound;
  mail.duration_seconds = 999;
  MustCreate(mail);
  engine::Interaction old = InteractionOf(id, kTestNow - 500 * kDay, engine::Channel::kCall);
  old.satisfaction = 1;
  MustCreate(old);
  MustCreate(OpportunityOf(id, engine::Stage::kProposal, 200000, 50));
  MustCreate(OpportunityOf(id, engine::Stage::kWon, 999999, 100));

  engine::ValueSummary v = Value(id);
  ASSERT_TRUE(v.scored);
  auto raw = [&](Factor f) { return v.factors[F(f)].raw; };
  EXPECT_EQ(raw(Factor::kRevenue), 150000);           // 1,000.00 + 500.00
  EXPECT_EQ(raw(Factor::kProfit), 40000);             // 300.00 + 100.00
  EXPECT_EQ(raw(Factor::kFrequency), 2);              // 2 purchases in a 365-day window
  EXPECT_DOUBLE_EQ(raw(Factor::kRecency), std::exp2(-10.0 / 90));  // 10 days, half-life 90
  EXPECT_DOUBLE_EQ(raw(Factor::kGrowth), 1.5);        // 150000 / 60000 - 1
  EXPECT_EQ(raw(Factor::kPipeline), 100000);          // 200000 x 50%; won ones excluded
  EXPECT_DOUBLE_EQ(raw(Factor::kSatisfaction), 0.5);  // ratings 4 and 2: (3 - 1) / 4
  EXPECT_EQ(raw(Factor::kComplaints), 1);
  EXPECT_DOUBLE_EQ(raw(Factor::kTenure), 800);        // first sign: the purchase 800 days ago
  // repeat rate (2 - 1) / 2, tenure 800 of 1825 days.
  EXPECT_DOUBLE_EQ(raw(Factor::kLoyalty), 0.5 * 0.5 + 0.5 * (800.0 / 1825));
  // Service: the inbound call and the ticket: 2 x 5.00 + 1800 s at 60.00 an hour.
  EXPECT_DOUBLE_EQ(raw(Factor::kRetentionCost), 1000 + 3000);
  double retention = 2.0 / 3 * std::exp2(-10.0 / 90);
  EXPECT_DOUBLE_EQ(raw(Factor::kModelValue), 40000 * retention / (1.1 - retention));
  EXPECT_DOUBLE_EQ(raw(Factor::kSize), 0.6);

  // Normalization and the two weighted sums, from the default config.
  ScoringConfig c = ScoringConfig::Default();
  double current = 0, potential = 0;
  for (int f = 0; f < engine::kFactorCount; ++f) {
    auto factor = static_cast<Factor>(f);
    double x = v.factors[f].raw;
    double n = engine::Bounded(factor) ? x : std::copysign(std::log1p(std::fabs(x) / c.units[f]), x);
    EXPECT_NEAR(v.factors[f].normalized, n, 1e-6) << engine::Name(factor);
    double sign = engine::Hurts(factor) ? -1 : 1;
    EXPECT_NEAR(v.factors[f].current, sign * c.current_weights[f] * n, 1e-6);
    EXPECT_NEAR(v.factors[f].potential, sign * c.potential_weights[f] * n, 1e-6);
    current += v.factors[f].current;
    potential += v.factors[f].potential;
  }
  EXPECT_NEAR(v.current_value, current, 1e-6);
  EXPECT_NEAR(v.potential_value, potential, 1e-6);
  EXPECT_NEAR(v.factors[F(Factor::kRevenue)].normalized, std::log(2.5), 1e-6);
  EXPECT_EQ(v.customers, 1u);
  EXPECT_EQ(v.current_rank, 1u);
  EXPECT_EQ(v.as_of, kTestNow);
}

TEST_F(ValueTest, ACustomerWithNothingScoresZeroAndIsAnOpportunityCustomer) {
  engine::Id id = MustCreate(Individual("Nobody Yet"));
  engine::ValueSummary v = Value(id);
  EXPECT_TRUE(v.scored);
  EXPECT_EQ(v.current_value, 0);
  EXPECT_EQ(v.potential_value, 0);
  EXPECT_EQ(v.tier, Tier::kOpportunity);
  EXPECT_EQ(v.value_class, ValueClass::kLow);
  EXPECT_EQ(Must(db().Card(engine::CardKey::ById(id))).value.tier, Tier::kOpportunity);
}

// ------------------------------------------------------------ tiers

class TierTest : public ValueTest {
 protected:
  void SetUp() override {
    ValueTest::SetUp();
    ASSERT_TRUE(db().SetScoring(engine::Actor{}, RevenueAndPipeline()).ok());
    // Current value ln(1 + revenue / 100000): ln 10, ln 5, ln 2, ln 1.5, 0.
    // Potential ln(1 + pipeline / 100000): 0, ln 2, 0, ln 4, ln 1.5.
    const int64_t revenue[5] = {900000, 400000, 100000, 50000, 0};
    const int64_t pipeline[5][2] = {{0, 0}, {100000, 100}, {0, 0}, {300000, 100}, {100000, 50}};
    for (int i = 0; i < 5; ++i) {
      ids_[i] = MustCreate(Individual("Tier " + std::to_string(i)));
      if (revenue[i] > 0) MustCreate(Purchase(ids_[i], 1, revenue[i]));
      if (pipeline[i][0] > 0) {
        MustCreate(OpportunityOf(ids_[i], engine::Stage::kNegotiation, pipeline[i][0],
                                 static_cast<uint8_t>(pipeline[i][1])));
      }
    }
  }
  engine::Id ids_[5] = {};
};

TEST_F(TierTest, TiersClassesAndRanksFollowTheParetoAndPercentileCuts) {
  // Total ln10 + ln5 + ln2 + ln1.5 = 5.0106; 80% = 4.0085: the top three
  // (4.6052) are needed, the top two (3.9120) are not enough.
  // Potential: the top 50% (3 of 5) are ln4, ln2, ln1.5.
  const Tier tiers[5] = {Tier::kMaintenance, Tier::kKey, Tier::kMaintenance, Tier::kDevelopment,
                         Tier::kDevelopment};
  // High: top 20% (1 customer); mid: up to the top 50% (3 customers).
  const ValueClass classes[5] = {ValueClass::kHigh, ValueClass::kMid, ValueClass::kMid,
                                 ValueClass::kLow, ValueClass::kLow};
  const double current[5] = {std::log(10.0), std::log(5.0), std::log(2.0), std::log(1.5), 0};
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    engine::ValueSummary v = Value(ids_[i]);
    EXPECT_NEAR(v.current_value, current[i], 1e-6);
    EXPECT_EQ(v.tier, tiers[i]);
    EXPECT_EQ(v.value_class, classes[i]);
    EXPECT_EQ(v.current_rank, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(v.customers, 5u);
  }
  engine::Cutoffs cut = db().CurrentCutoffs();
  EXPECT_NEAR(cut.pareto_current, std::log(2.0), 1e-6);
  EXPECT_NEAR(cut.high_potential, std::log(1.5), 1e-6);
  EXPECT_NEAR(cut.class_high, std::log(10.0), 1e-6);
  EXPECT_NEAR(cut.class_mid, std::log(2.0), 1e-6);
  engine::TierReport report = Must(db().Tiers({}));
  EXPECT_EQ(report.tiers[static_cast<size_t>(Tier::kKey)], 1u);
  EXPECT_EQ(report.tiers[static_cast<size_t>(Tier::kMaintenance)], 2u);
  EXPECT_EQ(report.tiers[static_cast<size_t>(Tier::kDevelopment)], 2u);
  EXPECT_EQ(report.tiers[static_cast<size_t>(Tier::kOpportunity)], 0u);
}

TEST_F(TierTest, OneWriteMovesTheGlobalCutAndEveryCardSeesIt) {
  EXPECT_EQ(Value(ids_[2]).tier, Tier::kMaintenance);
  // Customer 3 buys 10,000,000.00: ln(101.5) = 4.62 now leads, and the top
  // set for 80% becomes {3, 0, 1}: customer 2 falls out without being written.
  MustCreate(Purchase(ids_[3], 1, 10000000));
  EXPECT_EQ(Value(ids_[3]).tier, Tier::kKey);
  EXPECT_EQ(Value(ids_[3]).current_rank, 1u);
  EXPECT_EQ(Value(ids_[2]).tier, Tier::kOpportunity);
  EXPECT_EQ(Must(db().Card(engine::CardKey::ById(ids_[2]))).value.tier, Tier::kOpportunity);
  EXPECT_EQ(Value(ids_[0]).tier, Tier::kMaintenance);
}

TEST_F(TierTest, AConfigChangeRescoresEveryCustomerAndIsVersioned) {
  ScoringConfig c = Must(db().ScoringHistory()).back();
  EXPECT_EQ(c.version, 1u);
  c.pareto_percent = 50;  // 2.5053: ln10 alone (2.3026) is not enough, ln10 + ln5 is
  engine::Actor admin{42};
  ScoringConfig stored = Must(db().SetScoring(admin, c));
  EXPECT_EQ(stored.version, 2u);
  EXPECT_EQ(stored.changed_by, 42u);
  EXPECT_EQ(stored.changed_at, kTestNow);
  EXPECT_EQ(Value(ids_[2]).tier, Tier::kOpportunity);
  EXPECT_EQ(Value(ids_[1]).tier, Tier::kKey);
  EXPECT_EQ(Value(ids_[1]).config_version, 2u);
  // Weights only: swap the scores' roles.
  c.current_weights.fill(0);
  c.potential_weights.fill(0);
  c.current_weights[F(Factor::kPipeline)] = 1;
  c.potential_weights[F(Factor::kRevenue)] = 1;
  ASSERT_TRUE(db().SetScoring(admin, c).ok());
  EXPECT_NEAR(Value(ids_[3]).current_value, std::log(4.0), 1e-6);
  EXPECT_EQ(Value(ids_[3]).current_rank, 1u);
  // The history survives a restart, and so does the config in force.
  Reopen();
  std::vector<ScoringConfig> history = Must(db().ScoringHistory());
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].pareto_percent, 50);
  EXPECT_EQ(db().Scoring(), history[2]);
  EXPECT_NEAR(Value(ids_[3]).current_value, std::log(4.0), 1e-6);
}

TEST_F(TierTest, BadConfigsAreRefusedAndTheConfigInForceStays) {
  ScoringConfig before = db().Scoring();
  engine::ValueSummary value_before = Value(ids_[1]);
  struct Case {
    const char* field;
    void (*edit)(ScoringConfig&);
  };
  const Case cases[] = {
      {"current_weights.revenue", [](ScoringConfig& c) { c.current_weights[0] = -0.5; }},
      {"potential_weights.growth", [](ScoringConfig& c) { c.potential_weights[4] = NAN; }},
      {"current_weights", [](ScoringConfig& c) { c.current_weights.fill(0); }},
      {"pareto_percent", [](ScoringConfig& c) { c.pareto_percent = 0; }},
      {"pareto_percent", [](ScoringConfig& c) { c.pareto_percent = 100.5; }},
      {"pareto_percent", [](ScoringConfig& c) { c.pareto_percent = -80; }},
      {"potential_high_percent", [](ScoringConfig& c) { c.potential_high_percent = 0; }},
      {"mid_class_percent", [](ScoringConfig& c) { c.mid_class_percent = 90; }},
      {"units.revenue", [](ScoringConfig& c) { c.units[0] = 0; }},
      {"window_days", [](ScoringConfig& c) { c.window_days = 0; }},
      {"discount_rate", [](ScoringConfig& c) { c.discount_rate = 2; }},
      {"service_hour_cost", [](ScoringConfig& c) { c.service_hour_cost = -1; }},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.field);
    ScoringConfig c = before;
    bad.edit(c);
    auto r = db().SetScoring(engine::Actor{1}, c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), engine::Code::kInvalidArgument);
    EXPECT_EQ(r.status().field(), bad.field);
  }
  EXPECT_EQ(db().Scoring(), before);
  EXPECT_EQ(Must(db().ScoringHistory()).size(), 1u);
  ExpectSameValue(Value(ids_[1]), value_before);
  // 100 exactly is allowed.
  ScoringConfig all = before;
  all.pareto_percent = 100;
  EXPECT_TRUE(db().SetScoring(engine::Actor{1}, all).ok());
}

TEST(ScoringConfigCodecTest, AnUnknownFactorNameIsRefusedByName) {
  capnp::MallocMessageBuilder message;
  auto config = message.initRoot<crm::schema::ScoringConfig>();
  Encode(ScoringConfig::Default(), config);
  config.getFactors()[3].setFactor("charisma");
  ScoringConfig out;
  engine::Status s = Decode(config.asReader(), &out);
  EXPECT_EQ(s.code(), engine::Code::kInvalidArgument);
  EXPECT_EQ(s.field(), "factors[3].factor");
  EXPECT_NE(s.message().find("charisma"), std::string::npos);
  Factor f;
  EXPECT_FALSE(engine::Parse("charisma", &f));
  ASSERT_TRUE(engine::Parse("retention_cost", &f));
  EXPECT_EQ(f, Factor::kRetentionCost);
}

TEST(ScoringConfigCodecTest, RoundTripsEveryField) {
  ScoringConfig c = ScoringConfig::Default();
  c.version = 7;
  c.changed_by = 3;
  c.changed_at = kTestNow;
  c.window_days = 180;
  c.current_weights[5] = 0.7;
  c.units[0] = 12345;
  c.pareto_percent = 75.5;
  c.discount_rate = 0.2;
  capnp::MallocMessageBuilder message;
  Encode(c, message.initRoot<crm::schema::ScoringConfig>());
  ScoringConfig out;
  ASSERT_TRUE(Decode(message.getRoot<crm::schema::ScoringConfig>().asReader(), &out).ok());
  EXPECT_EQ(out, c);
}

// ------------------------------------------------------------ ageing

TEST_F(ValueTest, WindowsAgeWithReage) {
  engine::Id id = MustCreate(Individual("Ageing"));
  MustCreate(Purchase(id, 10, 100000));
  MustCreate(Purchase(id, 300, 50000));
  EXPECT_EQ(Value(id).factors[F(Factor::kRevenue)].raw, 150000);
  // 100 days on, the older purchase has left the window for the previous one.
  ASSERT_TRUE(db().Reage(kTestNow + 100 * kDay).ok());
  engine::ValueSummary v = Value(id);
  EXPECT_EQ(v.as_of, kTestNow + 100 * kDay);
  EXPECT_EQ(v.factors[F(Factor::kRevenue)].raw, 100000);
  EXPECT_DOUBLE_EQ(v.factors[F(Factor::kGrowth)].raw, 100000.0 / 50000 - 1);
  EXPECT_DOUBLE_EQ(v.factors[F(Factor::kRecency)].raw, std::exp2(-110.0 / 90));
  // Writes after the re-age use the new windows.
  MustCreate(Purchase(id, -50, 7));  // 50 days after kTestNow: inside the moved window
  EXPECT_EQ(Value(id).factors[F(Factor::kRevenue)].raw, 100007);
  // A report for another time recomputes from scratch without moving the model.
  engine::GroupReport at_start = Must(db().Group({engine::Dimension::kKind, kTestNow}));
  ASSERT_EQ(at_start.rows.size(), 1u);
  EXPECT_EQ(at_start.rows[0].revenue, 150000);
  EXPECT_EQ(Value(id).as_of, kTestNow + 100 * kDay);
}

TEST_F(ValueTest, AWriteStampedAfterTheAsOfTimeCountsAtOnce) {
  // The live model's window starts at as_of - window and has no end: a
  // purchase made an hour after the last re-age counts immediately.
  engine::Id id = MustCreate(Individual("Right Now"));
  engine::Transaction later = TransactionOf(id, kTestNow + 3600 * int64_t{1000000}, 4200);
  MustCreate(later);
  engine::ValueSummary v = Value(id);
  EXPECT_EQ(v.factors[F(Factor::kRevenue)].raw, 4200);
  EXPECT_DOUBLE_EQ(v.factors[F(Factor::kRecency)].raw, 1);  // no time has passed yet
  // A report as of exactly kTestNow does not see it.
  EXPECT_EQ(Must(db().Group({engine::Dimension::kKind, kTestNow})).rows[0].revenue, 0);
  EXPECT_EQ(Must(db().Group({engine::Dimension::kKind, 0})).rows[0].revenue, 4200);
}

// ------------------------------------------------------------ incremental == scratch

// Thousands of random writes; after each round, the incrementally maintained
// value of every customer equals a from-scratch build at the same as-of time
// (Reage to the same time rebuilds everything), and so after a restart.
TEST_F(ValueTest, IncrementalStateEqualsAFromScratchRecompute) {
  std::mt19937_64 rng(2026);
  auto pick = [&](const std::vector<engine::Id>& v) { return v[rng() % v.size()]; };
  auto time = [&] { return kTestNow - static_cast<int64_t>(rng() % 800) * kDay + static_cast<int64_t>(rng() % kDay) - 5 * kDay; };
  std::vector<engine::Id> customers, transactions, interactions, opportunities;
  ScoringConfig config = ScoringConfig::Default();
  config.window_days = 200;
  config.pareto_percent = 70;
  ASSERT_TRUE(db().SetScoring(engine::Actor{}, config).ok());

  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    std::map<engine::Id, engine::ValueSummary> before;
    for (engine::Id id : customers) before[id] = Value(id);
    engine::TierReport tiers_before = Must(db().Tiers({}));
    ASSERT_TRUE(db().Reage(kTestNow).ok());
    for (engine::Id id : customers) {
      SCOPED_TRACE(id);
      ExpectSameValue(Value(id), before[id]);
    }
    EXPECT_EQ(Must(db().Tiers({})).tiers, tiers_before.tiers);
  };

  for (int round = 0; round < 6; ++round) {
    for (int step = 0; step < 500; ++step) {
      int what = static_cast<int>(rng() % 100);
      std::vector<engine::WriteOp> ops;
      if (customers.size() < 5 || what < 8) {
        engine::Customer c = Individual("Random " + std::to_string(rng() % 100000));
        c.size_band = static_cast<engine::SizeBand>(rng() % 6);
        engine::Id id = MustCreate(c);
        if (id) customers.push_back(id);
        continue;
      }
      engine::Id customer = pick(customers);
      if (what < 35) {
        engine::Transaction t = TransactionOf(customer, time(), static_cast<int64_t>(rng() % 500000) - 20000);
        t.margin_minor_units = static_cast<int64_t>(rng() % 100000) - 30000;
        engine::Id id = MustCreate(t);
        if (id) transactions.push_back(id);
      } else if (what < 60) {
        engine::Interaction i = InteractionOf(customer, time(), static_cast<engine::Channel>(rng() % 8));
        i.direction = static_cast<engine::Direction>(rng() % 2);
        i.satisfaction = static_cast<uint8_t>(rng() % 6);
        i.complaint = static_cast<engine::ComplaintState>(rng() % 4);
        i.duration_seconds = static_cast<uint32_t>(rng() % 4000);
        engine::Id id = MustCreate(i);
        if (id) interactions.push_back(id);
      } else if (what < 70) {
        engine::Id id = MustCreate(OpportunityOf(customer, static_cast<engine::Stage>(rng() % 6),
                                                 static_cast<int64_t>(rng() % 1000000),
                                                 static_cast<uint8_t>(rng() % 101)));
        if (id) opportunities.push_back(id);
      } else if (what < 78 && !transactions.empty()) {
        auto found = db().GetTransaction(pick(transactions));  // gone with its customer: skip
        if (!found.ok()) continue;
        engine::Transaction t = *found;
        t.time = time();
        t.amount.minor_units = static_cast<int64_t>(rng() % 300000);
        t.revision = 0;
        ASSERT_TRUE(db().Update(engine::Actor{}, t).ok());
      } else if (what < 84 && !interactions.empty()) {
        auto found = db().GetInteraction(pick(interactions));  // gone with its customer: skip
        if (!found.ok()) continue;
        engine::Interaction i = *found;
        i.complaint = static_cast<engine::ComplaintState>(rng() % 4);
        i.satisfaction = static_cast<uint8_t>(rng() % 6);
        i.revision = 0;
        ASSERT_TRUE(db().Update(engine::Actor{}, i).ok());
      } else if (what < 90 && !opportunities.empty()) {
        auto found = db().GetOpportunity(pick(opportunities));  // gone with its customer: skip
        if (!found.ok()) continue;
        engine::Opportunity o = *found;
        o.stage = static_cast<engine::Stage>(rng() % 6);
        o.probability = static_cast<uint8_t>(rng() % 101);
        o.revision = 0;
        ASSERT_TRUE(db().Update(engine::Actor{}, o).ok());
      } else if (what < 94) {
        // Deletes of history records (some already gone: NotFound is fine).
        std::vector<engine::Id>& list = rng() % 2 ? transactions : interactions;
        if (list.empty()) continue;
        size_t at = rng() % list.size();
        engine::EntityKind kind = &list == &transactions ? engine::EntityKind::kTransaction
                                                         : engine::EntityKind::kInteraction;
        (void)db().Delete(engine::Actor{}, kind, list[at]);
        list.erase(list.begin() + static_cast<long>(at));
      } else if (what < 97) {
        engine::Customer c = Must(db().GetCustomer(customer));
        c.size_band = static_cast<engine::SizeBand>(rng() % 6);
        c.revision = 0;
        ASSERT_TRUE(db().Update(engine::Actor{}, c).ok());
      } else if (customers.size() > 10) {
        ASSERT_TRUE(db().Delete(engine::Actor{}, engine::EntityKind::kCustomer, customer, true).ok());
        customers.erase(std::find(customers.begin(), customers.end(), customer));
      } else {
        // An atomic batch that fails half-way changes nothing.
        ops.push_back(CreateOp(TransactionOf(customer, time(), 123456)));
        ops.push_back(CreateOp(TransactionOf(999999, time(), 1)));
        auto results = db().Write(engine::Actor{}, std::move(ops), true);
        ASSERT_FALSE(results[1].status.ok());
      }
    }
    check(("round " + std::to_string(round)).c_str());
  }
  std::map<engine::Id, engine::ValueSummary> live;
  for (engine::Id id : customers) live[id] = Value(id);
  Reopen();
  for (engine::Id id : customers) {
    SCOPED_TRACE(id);
    ExpectSameValue(Value(id), live[id]);
  }
}

// ------------------------------------------------------------ reports

TEST_F(TierTest, ParetoReportMatchesTheHandComputedShares) {
  engine::ParetoReport r = Must(db().Pareto({}));
  double total = std::log(10.0) + std::log(5.0) + std::log(2.0) + std::log(1.5);
  EXPECT_EQ(r.customers, 5u);
  EXPECT_NEAR(r.total, total, 1e-5);
  EXPECT_NEAR(r.top10, std::log(10.0) / total, 1e-6);  // the top 1 of 5
  EXPECT_NEAR(r.top20, std::log(10.0) / total, 1e-6);
  EXPECT_NEAR(r.top50, (std::log(10.0) + std::log(5.0) + std::log(2.0)) / total, 1e-6);  // top 3
  EXPECT_DOUBLE_EQ(r.customers_for_80, 0.6);
  ASSERT_EQ(r.curve.size(), 20u);
  EXPECT_DOUBLE_EQ(r.curve.back().customers, 1);
  EXPECT_NEAR(r.curve.back().value, 1, 1e-12);
  for (size_t i = 1; i < r.curve.size(); ++i) EXPECT_GE(r.curve[i].value, r.curve[i - 1].value);

  engine::ParetoQuery by_revenue;
  by_revenue.metric = engine::ParetoQuery::Metric::kRevenue;
  by_revenue.points = 5;
  r = Must(db().Pareto(by_revenue));
  EXPECT_EQ(r.total, 1450000);
  EXPECT_NEAR(r.top20, 900000.0 / 1450000, 1e-12);
  ASSERT_EQ(r.curve.size(), 5u);
  EXPECT_NEAR(r.curve[1].value, 1300000.0 / 1450000, 1e-12);  // top 40% = 2 customers
  EXPECT_FALSE(db().Pareto({engine::ParetoQuery::Metric::kRevenue, 0, 0}).ok());
}

TEST_F(TierTest, TierMovementsAreCountedAgainstTheSnapshotBefore) {
  // A snapshot is stored on every config change and on the first re-age of
  // each day; storing the config in force again takes one of the state SetUp
  // built (the earlier one, of the empty store, is replaced: same as-of time).
  ASSERT_TRUE(db().SetScoring(engine::Actor{}, db().Scoring()).ok());
  MustCreate(Purchase(ids_[3], 1, 10000000));  // 2: maintenance -> opportunity, 3: development -> key
  engine::TierReport r = Must(db().Tiers({kTestNow, 0}));
  ASSERT_TRUE(r.has_baseline);
  EXPECT_EQ(r.baseline_at, kTestNow);
  auto moved = [&](Tier from, Tier to) {
    return r.movements[static_cast<size_t>(from)][static_cast<size_t>(to)];
  };
  EXPECT_EQ(moved(Tier::kMaintenance, Tier::kOpportunity), 1u);
  EXPECT_EQ(moved(Tier::kDevelopment, Tier::kKey), 1u);
  EXPECT_EQ(moved(Tier::kMaintenance, Tier::kMaintenance), 1u);
  EXPECT_EQ(moved(Tier::kKey, Tier::kKey), 1u);
  EXPECT_EQ(moved(Tier::kDevelopment, Tier::kDevelopment), 1u);
  // A new customer moves from none.
  MustCreate(Individual("Late"));
  r = Must(db().Tiers({kTestNow, 0}));
  EXPECT_EQ(r.movements[0][static_cast<size_t>(Tier::kOpportunity)], 1u);
  EXPECT_FALSE(Must(db().Tiers({})).has_baseline);
}

TEST_F(ValueTest, PipelineContractAndConversionReports) {
  engine::Id a = MustCreate(Individual("A"));
  auto opp = [&](engine::Stage stage, int64_t amount, uint8_t p, const char* source, const char* campaign) {
    engine::Opportunity o = OpportunityOf(a, stage, amount, p);
    o.source = source;
    o.campaign = campaign;
    MustCreate(o);
  };
  opp(engine::Stage::kQualification, 1000, 10, "web", "spring");
  opp(engine::Stage::kQualification, 3000, 20, "web", "");
  opp(engine::Stage::kProposal, 5000, 50, "referral", "spring");
  opp(engine::Stage::kWon, 7000, 100, "web", "spring");
  opp(engine::Stage::kLost, 2000, 0, "referral", "");
  engine::PipelineReport p = Must(db().Pipeline());
  auto stage = [&](engine::Stage s) { return p.stages[static_cast<size_t>(s)]; };
  EXPECT_EQ(stage(engine::Stage::kQualification).count, 2u);
  EXPECT_EQ(stage(engine::Stage::kQualification).amount, 4000);
  EXPECT_EQ(stage(engine::Stage::kQualification).weighted, 100 + 600);
  // Qualification or later, lost excluded: 2 + 1 + 1 won = 4; past it: 2.
  EXPECT_DOUBLE_EQ(stage(engine::Stage::kQualification).conversion, 0.5);
  EXPECT_DOUBLE_EQ(stage(engine::Stage::kProposal).conversion, 0.5);  // 1 won of 2
  EXPECT_DOUBLE_EQ(stage(engine::Stage::kNegotiation).conversion, 1);  // 1 won of 1
  EXPECT_EQ(p.open, 3u);
  EXPECT_EQ(p.open_weighted, 100 + 600 + 2500);
  EXPECT_DOUBLE_EQ(p.win_rate, 0.5);

  engine::ConversionReport by_source = Must(db().Conversion({false}));
  ASSERT_EQ(by_source.rows.size(), 2u);
  EXPECT_EQ(by_source.rows[0].key, "web");
  EXPECT_EQ(by_source.rows[0].opportunities, 3u);
  EXPECT_EQ(by_source.rows[0].won, 1u);
  EXPECT_DOUBLE_EQ(by_source.rows[0].win_rate, 1);
  EXPECT_EQ(by_source.rows[0].won_amount, 7000);
  EXPECT_EQ(by_source.rows[1].key, "referral");
  EXPECT_DOUBLE_EQ(by_source.rows[1].win_rate, 0);
  engine::ConversionReport by_campaign = Must(db().Conversion({true}));
  ASSERT_EQ(by_campaign.rows.size(), 2u);
  EXPECT_EQ(by_campaign.rows[0].key, "spring");
  EXPECT_EQ(by_campaign.rows[0].opportunities, 3u);

  auto contract = [&](engine::ContractStatus status, int64_t amount, int64_t paid, int end_in_days) {
    engine::Contract c;
    c.customer = a;
    c.number = "C-" + std::to_string(amount);
    c.amount = engine::Money{amount, engine::Currency("CNY")};
    c.paid_minor_units = paid;
    c.status = status;
    c.start_at = kTestNow - 400 * kDay;
    c.end_at = kTestNow + end_in_days * kDay;
    MustCreate(c);
  };
  contract(engine::ContractStatus::kActive, 10000, 4000, 10);    // expiring
  contract(engine::ContractStatus::kActive, 20000, 20000, 90);   // not yet
  contract(engine::ContractStatus::kFulfilled, 5000, 3000, -5);  // ended unpaid
  contract(engine::ContractStatus::kDraft, 1000, 0, 100);
  engine::ContractReport c = Must(db().Contracts(30, 0));
  auto status = [&](engine::ContractStatus s) { return c.statuses[static_cast<size_t>(s)]; };
  EXPECT_EQ(status(engine::ContractStatus::kActive).count, 2u);
  EXPECT_EQ(status(engine::ContractStatus::kActive).amount, 30000);
  EXPECT_EQ(status(engine::ContractStatus::kActive).paid, 24000);
  EXPECT_EQ(status(engine::ContractStatus::kActive).outstanding, 6000);
  EXPECT_EQ(status(engine::ContractStatus::kFulfilled).outstanding, 2000);
  EXPECT_EQ(c.expiring, 1u);
  EXPECT_EQ(c.expiring_amount, 10000);
  EXPECT_EQ(c.overdue_payment, 1u);
}

TEST_F(ValueTest, ChurnSatisfactionGroupAndOwnerReports) {
  engine::Id owner = MustCreate(UserNamed("Owner One"));
  engine::Customer quiet = Individual("Quiet");
  quiet.owner = owner;
  quiet.industry = "retail";
  engine::Id q = MustCreate(quiet);
  MustCreate(Purchase(q, 200, 80000));  // last activity 200 days ago
  engine::Customer falling = Individual("Falling");
  falling.owner = owner;
  falling.industry = "retail";
  engine::Id f = MustCreate(falling);
  MustCreate(Purchase(f, 500, 100000));  // previous window
  MustCreate(Purchase(f, 5, 20000));     // window: down 80%
  engine::Customer fine = Individual("Fine");
  fine.industry = "energy";
  engine::Id ok = MustCreate(fine);
  MustCreate(Purchase(ok, 3, 50000));
  engine::Interaction rated = InteractionOf(ok, kTestNow - kDay);
  rated.satisfaction = 5;
  rated.complaint = engine::ComplaintState::kResolved;
  MustCreate(rated);
  engine::Interaction angry = InteractionOf(f, kTestNow - 2 * kDay);
  angry.satisfaction = 1;
  angry.complaint = engine::ComplaintState::kOpen;
  MustCreate(angry);
  engine::Customer gone = Individual("Gone");
  gone.lifecycle = engine::Lifecycle::kChurned;
  MustCreate(gone);  // churned already: not at risk

  engine::ChurnReport churn = Must(db().Churn({90, 0.5, 100, 0}));
  EXPECT_EQ(churn.at_risk, 2u);
  std::set<engine::Id> at_risk;
  for (const auto& row : churn.rows) {
    at_risk.insert(row.customer);
    if (row.customer == q) {
      EXPECT_TRUE(row.inactive);
      EXPECT_EQ(row.days_inactive, 200u);
      EXPECT_EQ(row.name, "Quiet");
    }
    if (row.customer == f) {
      EXPECT_TRUE(row.falling);
      EXPECT_FALSE(row.inactive);
      EXPECT_EQ(row.previous_revenue, 100000);
    }
  }
  EXPECT_EQ(at_risk, (std::set<engine::Id>{q, f}));
  EXPECT_GE(churn.rows[0].current_value, churn.rows[1].current_value);
  EXPECT_EQ(Must(db().Churn({90, 0.9, 100, 0})).at_risk, 1u);  // an 80% drop is not 90%

  engine::SatisfactionReport s = Must(db().Satisfaction(0));
  EXPECT_EQ(s.rated, 2u);
  EXPECT_DOUBLE_EQ(s.average, 3);
  EXPECT_EQ(s.ratings[0], 1u);
  EXPECT_EQ(s.ratings[4], 1u);
  EXPECT_EQ(s.complaints, 2u);
  EXPECT_EQ(s.open, 1u);
  EXPECT_EQ(s.resolved, 1u);
  EXPECT_EQ(s.customers_with_complaints, 2u);

  engine::GroupReport g = Must(db().Group({engine::Dimension::kIndustry, 0}));
  ASSERT_EQ(g.rows.size(), 3u);  // retail, energy, "" (Gone)
  EXPECT_EQ(g.rows[0].key, "retail");
  EXPECT_EQ(g.rows[0].customers, 2u);
  EXPECT_EQ(g.rows[0].revenue, 100000);  // 800.00 (200 days ago) + 200.00, in a 365-day window
  EXPECT_EQ(g.rows[1].key, "energy");
  EXPECT_EQ(g.rows[1].revenue, 50000);
  EXPECT_EQ(g.rows[2].key, "");

  // Key customers by revenue on both axes: ln 1.8, ln 1.5, ln 1.2, 0; the
  // top two make 80% of the value and are the top half by potential.
  ScoringConfig both = RevenueAndPipeline();
  both.potential_weights.fill(0);
  both.potential_weights[F(Factor::kRevenue)] = 1;
  ASSERT_TRUE(db().SetScoring(engine::Actor{}, both).ok());
  EXPECT_EQ(Value(q).tier, Tier::kKey);
  EXPECT_EQ(Value(ok).tier, Tier::kKey);
  EXPECT_EQ(Value(f).tier, Tier::kOpportunity);
  engine::Task overdue;
  overdue.customer = q;
  overdue.assignee = owner;
  overdue.due_at = kTestNow - kDay;
  overdue.title = "call back";
  MustCreate(overdue);
  engine::OwnerKpiReport kpi = Must(db().OwnerKpis(0));
  ASSERT_EQ(kpi.rows.size(), 2u);
  EXPECT_EQ(kpi.rows[0].owner, owner);  // 800.00 of key revenue before 500.00
  EXPECT_EQ(kpi.rows[0].name, "Owner One");
  EXPECT_EQ(kpi.rows[0].customers, 2u);
  EXPECT_EQ(kpi.rows[0].key_customers, 1u);
  EXPECT_EQ(kpi.rows[0].revenue, 80000);
  EXPECT_EQ(kpi.rows[0].overdue_tasks, 1u);
  EXPECT_EQ(kpi.rows[0].open_complaints, 0u);
  EXPECT_EQ(kpi.rows[1].owner, 0u);
  EXPECT_EQ(kpi.rows[1].key_customers, 1u);
  EXPECT_EQ(kpi.rows[1].revenue, 50000);
  EXPECT_EQ(kpi.rows[1].interactions, 1u);
  EXPECT_DOUBLE_EQ(kpi.rows[1].contacts_per_key_customer, 1);
}

}  // namespace
}  // namespace crm::testing
