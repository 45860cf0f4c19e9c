// A customer's merged history (interactions and transactions): ordering,
// paging, filters and cursors, checked against a model computed here; and
// the customer card built from the same data.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/engine_test_base.h"

namespace crm::engine {
namespace {

using testing::CreateOp;
using testing::DeleteOp;
using testing::Individual;
using testing::InteractionOf;
using testing::Organization;
using testing::TransactionOf;
using testing::UpdateOp;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kBase = testing::kTestNow - 400LL * 86400 * kSecond;

// One history entry as the model sees it.
struct Entry {
  Micros time = 0;
  EntityKind kind = EntityKind::kInteraction;
  Id id = 0;
  Channel channel = Channel::kCall;  // interactions only
  // Newest first: (time, kind, id) descending.
  friend bool operator<(const Entry& a, const Entry& b) {
    return std::tie(b.time, b.kind, b.id) < std::tie(a.time, a.kind, a.id);
  }
  friend bool operator==(const Entry& a, const Entry& b) {
    return a.time == b.time && a.kind == b.kind && a.id == b.id;
  }
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << "{" << e.time << ", " << Name(e.kind) << ", " << e.id << "}";
}

Entry FromHistory(const HistoryEntry& h) {
  if (h.kind == EntityKind::kInteraction) {
    return {h.interaction.time, h.kind, h.interaction.id, h.interaction.channel};
  }
  return {h.transaction.time, h.kind, h.transaction.id, Channel::kCall};
}

// What a query should return, in order, according to the model.
std::vector<Entry> Expected(const std::set<Entry>& model, const HistoryQuery& q) {
  std::vector<Entry> out;
  for (const Entry& e : model) {
    if (e.kind == EntityKind::kInteraction && !q.interactions) continue;
    if (e.kind == EntityKind::kTransaction && !q.transactions) continue;
    if (e.kind == EntityKind::kInteraction && q.channel_mask != 0 &&
        !(q.channel_mask & (1u << static_cast<unsigned>(e.channel)))) {
      continue;
    }
    if (q.from != 0 && e.time < q.from) continue;
    if (q.to != 0 && e.time >= q.to) continue;
    out.push_back(e);
  }
  return out;
}

class HistoryTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    testing::EngineTest::SetUp();
    customer_ = MustCreate(Individual("History Holder"));
    other_ = MustCreate(Individual("Someone Else"));
  }

  // Writes `n_interactions` and `n_transactions` at random times (many equal)
  // in shuffled order, in batches, and records them in the model.
  void Populate(int n_interactions, int n_transactions, Micros time_span_seconds) {
    std::vector<Record> records;
    for (int i = 0; i < n_interactions; ++i) {
      Interaction r = InteractionOf(customer_, RandomTime(time_span_seconds),
                                    static_cast<Channel>(rng_() % kChannelCount));
      r.direction = static_cast<Direction>(rng_() % 2);
      records.push_back(r);
    }
    for (int i = 0; i < n_transactions; ++i) {
      records.push_back(TransactionOf(customer_, RandomTime(time_span_seconds),
                                      static_cast<int64_t>(rng_() % 100000)));
    }
    std::shuffle(records.begin(), records.end(), rng_);
    // Some noise on another customer, which must never show up.
    records.push_back(InteractionOf(other_, kBase + 5 * kSecond));
    records.push_back(TransactionOf(other_, kBase + 5 * kSecond));
    for (size_t start = 0; start < records.size(); start += 700) {
      std::vector<WriteOp> ops;
      std::vector<Record> chunk;
      for (size_t i = start; i < std::min(records.size(), start + 700); ++i) {
        ops.push_back(CreateOp(records[i]));
        chunk.push_back(records[i]);
      }
      std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), /*atomic=*/false);
      ASSERT_EQ(results.size(), chunk.size());
      for (size_t i = 0; i < chunk.size(); ++i) {
        ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
        Add(chunk[i], results[i].id);
      }
    }
  }

  void Add(const Record& r, Id id) {
    if (const auto* i = std::get_if<Interaction>(&r)) {
      if (i->customer == customer_) model_.insert({i->time, EntityKind::kInteraction, id, i->channel});
    } else if (const auto* t = std::get_if<Transaction>(&r)) {
      if (t->customer == customer_) model_.insert({t->time, EntityKind::kTransaction, id, {}});
    }
  }

  Micros RandomTime(Micros span_seconds) {
    return kBase + static_cast<Micros>(rng_() % static_cast<uint64_t>(span_seconds)) * kSecond;
  }

  // Walks every page of `q` from its cursor; checks the paging contract on
  // the way (full pages until the last, a cursor exactly when more remain).
  std::vector<Entry> Walk(HistoryQuery q, int max_pages = 1'000'000) {
    std::vector<Entry> out;
    for (int page_no = 0; page_no < max_pages; ++page_no) {
      Result<HistoryPage> page = db().History(q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->entries.size(), q.limit);
      // A cursor is handed out only when something older matches.
      if (!q.cursor.empty() && page_no > 0) {
        EXPECT_FALSE(page->entries.empty()) << "the previous page's cursor led nowhere";
      }
      for (const HistoryEntry& h : page->entries) out.push_back(FromHistory(h));
      if (page->next_cursor.empty()) {
        last_cursor_.clear();
        break;
      }
      EXPECT_EQ(page->entries.size(), q.limit) << "a page with a cursor after it is full";
      q.cursor = page->next_cursor;
      last_cursor_ = q.cursor;
    }
    return out;
  }

  std::mt19937_64 rng_{7};
  Id customer_ = 0;
  Id other_ = 0;
  std::set<Entry> model_;
  std::string last_cursor_;
};

TEST_F(HistoryTest, NewestFirstNothingLostOrRepeatedAtAnyLimit) {
  Populate(2500, 1500, 600);  // 4000 entries over 600 distinct seconds: many ties
  ASSERT_EQ(model_.size(), 4000u);
  HistoryQuery q;
  q.customer = customer_;
  const std::vector<Entry> expected = Expected(model_, q);
  ASSERT_EQ(expected.size(), 4000u);
  for (uint32_t limit : {1u, 7u, 100u, 1000u, 4000u, 10000u}) {
    q.limit = limit;
    std::vector<Entry> got = Walk(q);
    ASSERT_EQ(got.size(), expected.size()) << "limit " << limit;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], expected[i]) << "limit " << limit << " position " << i;
    }
  }
  // Entries carry the full stored records.
  HistoryQuery first_page;
  first_page.customer = customer_;
  first_page.limit = 50;
  Result<HistoryPage> page = db().History(first_page);
  ASSERT_TRUE(page.ok());
  for (const HistoryEntry& h : page->entries) {
    if (h.kind == EntityKind::kInteraction) {
      EXPECT_EQ(h.interaction, *db().GetInteraction(h.interaction.id));
    } else {
      EXPECT_EQ(h.transaction, *db().GetTransaction(h.transaction.id));
    }
  }
}

TEST_F(HistoryTest, FiltersMatchTheModel) {
  Populate(1500, 1000, 2000);
  struct Case {
    const char* name;
    bool interactions, transactions;
    uint32_t mask;
    Micros from, to;
  };
  const Micros mid = kBase + 1000 * kSecond;
  const Case cases[] = {
      {"interactions only", true, false, 0, 0, 0},
      {"transactions only", false, true, 0, 0, 0},
      {"calls", true, true, 1u << static_cast<int>(Channel::kCall), 0, 0},
      {"visits and tickets, no transactions", true, false,
       (1u << static_cast<int>(Channel::kVisit)) | (1u << static_cast<int>(Channel::kTicket)), 0,
       0},
      {"every channel bit", true, true, (1u << kChannelCount) - 1, 0, 0},
      {"from", true, true, 0, mid, 0},
      {"to", true, true, 0, 0, mid},
      {"from and to", true, true, 0, mid - 300 * kSecond, mid + 300 * kSecond},
      {"one second", true, true, 0, mid, mid + kSecond},
      {"range and channel", true, true, 1u << static_cast<int>(Channel::kEmail),
       mid - 500 * kSecond, mid + 200 * kSecond},
      {"range with only transactions", false, true, 0, kBase, kBase + 100 * kSecond},
      {"range before everything", true, true, 0, kBase - 100 * kSecond, kBase},
      {"range after everything", true, true, 0, kBase + 5000 * kSecond, 0},
      {"neither kind", false, false, 0, 0, 0},
  };
  for (const Case& c : cases) {
    HistoryQuery q;
    q.customer = customer_;
    q.interactions = c.interactions;
    q.transactions = c.transactions;
    q.channel_mask = c.mask;
    q.from = c.from;
    q.to = c.to;
    const std::vector<Entry> expected = Expected(model_, q);
    for (uint32_t limit : {1u, 7u, 100u, 1000u}) {
      if (limit == 1 && expected.size() > 600) continue;  // covered by larger limits
      q.limit = limit;
      std::vector<Entry> got = Walk(q);
      ASSERT_EQ(got, expected) << c.name << ", limit " << limit;
    }
  }
}

// The last matching entry ends the walk even when entries that do not match
// lie below it: no cursor leading to an empty page.
TEST_F(HistoryTest, FilteredWalkEndsAtTheLastMatch) {
  Id call = MustCreate(InteractionOf(customer_, kBase + 9 * kSecond, Channel::kCall));
  Id visit = MustCreate(InteractionOf(customer_, kBase + 8 * kSecond, Channel::kVisit));
  for (int i = 0; i < 5; ++i) {
    MustCreate(InteractionOf(customer_, kBase + i * kSecond, Channel::kChat));
  }
  HistoryQuery q;
  q.customer = customer_;
  q.limit = 1;
  q.transactions = false;
  q.channel_mask = 1u << static_cast<int>(Channel::kCall);
  Result<HistoryPage> page = db().History(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].interaction.id, call);
  EXPECT_EQ(page->next_cursor, "") << "nothing older is a call";

  q.channel_mask |= 1u << static_cast<int>(Channel::kVisit);
  page = db().History(q);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_cursor.empty());
  q.cursor = page->next_cursor;
  page = db().History(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].interaction.id, visit);
  EXPECT_EQ(page->next_cursor, "");
}

// A walk that pauses, while entries are added (newer, older, tied) and
// removed, continues from its cursor without repeats and without losing any
// older entry that still exists.
TEST_F(HistoryTest, CursorSurvivesConcurrentChanges) {
  Populate(800, 600, 300);
  HistoryQuery q;
  q.customer = customer_;
  q.limit = 100;
  std::vector<Entry> first = Walk(q, /*max_pages=*/5);
  ASSERT_EQ(first.size(), 500u);
  ASSERT_FALSE(last_cursor_.empty());
  const Entry boundary = first.back();

  // Add entries everywhere, including at the boundary's own time.
  std::vector<WriteOp> ops;
  std::vector<Record> added;
  for (int i = 0; i < 300; ++i) {
    Micros time = i % 3 == 0 ? boundary.time : RandomTime(400);
    Record r = i % 2 ? Record(InteractionOf(customer_, time, Channel::kChat))
                     : Record(TransactionOf(customer_, time));
    ops.push_back(CreateOp(r));
    added.push_back(r);
  }
  // And delete some older entries that were not returned yet.
  std::vector<Entry> removed;
  for (const Entry& e : model_) {
    if (e < boundary || e == boundary) continue;  // newer than or the boundary
    if (removed.size() < 50 && e.id % 5 == 0) removed.push_back(e);
  }
  for (const Entry& e : removed) ops.push_back(DeleteOp(e.kind, e.id));
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), true);
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
    if (i < added.size()) Add(added[i], results[i].id);
  }
  for (const Entry& e : removed) model_.erase(e);

  q.cursor = last_cursor_;
  std::vector<Entry> rest = Walk(q);
  // Exactly what the model holds below the boundary now.
  std::vector<Entry> expected;
  for (const Entry& e : model_) {
    if (boundary < e) expected.push_back(e);
  }
  ASSERT_EQ(rest, expected);
  std::set<Entry> seen(first.begin(), first.end());
  for (const Entry& e : rest) EXPECT_TRUE(seen.insert(e).second) << "repeated " << e;

  // A fresh walk sees everything, in order.
  q.cursor.clear();
  q.limit = 1000;
  EXPECT_EQ(Walk(q), Expected(model_, q));
}

TEST_F(HistoryTest, UpdatedTimeMovesTheEntry) {
  Id a = MustCreate(InteractionOf(customer_, kBase + 10 * kSecond));
  Id b = MustCreate(InteractionOf(customer_, kBase + 20 * kSecond));
  Id t = MustCreate(TransactionOf(customer_, kBase + 15 * kSecond));
  HistoryQuery q;
  q.customer = customer_;
  auto ids = [&] {
    std::vector<Id> out;
    for (const Entry& e : Walk(q)) out.push_back(e.id);
    return out;
  };
  EXPECT_EQ(ids(), (std::vector<Id>{b, t, a}));
  Interaction moved = *db().GetInteraction(a);
  moved.time = kBase + 30 * kSecond;
  ASSERT_TRUE(db().Update(Actor{}, moved).ok());
  EXPECT_EQ(ids(), (std::vector<Id>{a, b, t}));
  Transaction tm = *db().GetTransaction(t);
  tm.time = kBase + 30 * kSecond;  // tie with `a`: transactions sort above interactions
  ASSERT_TRUE(db().Update(Actor{}, tm).ok());
  EXPECT_EQ(ids(), (std::vector<Id>{t, a, b}));
  // time 0 on update keeps the stored time.
  Interaction keep = *db().GetInteraction(b);
  keep.time = 0;
  keep.subject = "kept";
  ASSERT_TRUE(db().Update(Actor{}, keep).ok());
  EXPECT_EQ(db().GetInteraction(b)->time, kBase + 20 * kSecond);
  EXPECT_EQ(ids(), (std::vector<Id>{t, a, b}));
  // Created without a time: now.
  Interaction now = InteractionOf(customer_, 0);
  Id n = MustCreate(now);
  EXPECT_EQ(db().GetInteraction(n)->time, testing::kTestNow);
  EXPECT_EQ(ids().front(), n);
}

// Times before 1970 are negative: they sort, page and persist like any other.
TEST_F(HistoryTest, TimesBefore1970) {
  const Micros kYear = 365LL * 86400 * kSecond;
  const Micros times[] = {-60 * kYear, -kSecond, 0 /* = now */, kSecond, -2 * kYear, 30 * kYear};
  for (Micros t : times) {
    Record r = model_.size() % 2 ? Record(TransactionOf(customer_, t))
                                 : Record(InteractionOf(customer_, t));
    Id id = MustCreate(r);
    Add(r, id);
  }
  // Created with time 0: stamped with the clock.
  std::set<Entry> fixed;
  for (Entry e : model_) {
    if (e.time == 0) e.time = testing::kTestNow;
    fixed.insert(e);
  }
  model_ = fixed;
  HistoryQuery q;
  q.customer = customer_;
  for (uint32_t limit : {1u, 2u, 100u}) {
    q.limit = limit;
    EXPECT_EQ(Walk(q), Expected(model_, q)) << limit;
  }
  q.from = -3 * kYear;
  q.to = kSecond;
  q.limit = 1;
  EXPECT_EQ(Walk(q), Expected(model_, q));
  EXPECT_EQ(Walk(q).size(), 2u);  // -2 years and -1 second
  Reopen();
  q.from = q.to = 0;
  q.limit = 4;
  EXPECT_EQ(Walk(q), Expected(model_, q));
}

TEST_F(HistoryTest, BadQueries) {
  MustCreate(InteractionOf(customer_, kBase));
  auto code = [&](HistoryQuery q) { return db().History(q).status().code(); };
  HistoryQuery q;
  q.customer = customer_;
  EXPECT_TRUE(db().History(q).ok());
  for (const char* bad : {"x", "1", "1.3", "1.3.", ".3.1", "1.5.1", "1.0.1", "1.3.1x", "1..3.1",
                          "1.3.1.2", "a.b.c", "99999999999999999999.3.1", " 1.3.1"}) {
    q.cursor = bad;
    EXPECT_EQ(code(q), Code::kInvalidArgument) << bad;
    EXPECT_EQ(db().History(q).status().field(), "cursor") << bad;
  }
  q.cursor.clear();
  q.limit = 0;
  EXPECT_EQ(code(q), Code::kInvalidArgument);
  EXPECT_EQ(db().History(q).status().field(), "limit");
  q.limit = 10001;
  EXPECT_EQ(code(q), Code::kInvalidArgument);
  q.limit = 10000;
  EXPECT_TRUE(db().History(q).ok());
  q.channel_mask = 1u << kChannelCount;
  EXPECT_EQ(code(q), Code::kInvalidArgument);
  q.channel_mask = 0;
  q.from = kBase + kSecond;
  q.to = kBase + kSecond;
  EXPECT_EQ(code(q), Code::kInvalidArgument);
  q.from = q.to = 0;
  q.customer = 12345;
  EXPECT_EQ(code(q), Code::kNotFound);
  q.customer = 0;
  EXPECT_EQ(code(q), Code::kNotFound);
  // A well-formed cursor from nowhere is just a position.
  q.customer = customer_;
  q.cursor = std::to_string(kBase + kSecond) + ".3.1";
  Result<HistoryPage> page = db().History(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), 1u);
  q.cursor = std::to_string(kBase) + ".3.1";  // exactly the only entry: nothing below
  page = db().History(q);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->entries.empty());
  EXPECT_TRUE(page->next_cursor.empty());
}

TEST_F(HistoryTest, EmptyHistory) {
  HistoryQuery q;
  q.customer = customer_;
  Result<HistoryPage> page = db().History(q);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->entries.empty());
  EXPECT_TRUE(page->next_cursor.empty());
}

// ---------------------------------------------------------------------- card

class CardTest : public testing::EngineTest {};

TEST_F(CardTest, RecentInteractionsAndCounts) {
  Id c = MustCreate(Individual("Card"));
  std::mt19937_64 rng(3);
  std::vector<std::pair<Micros, Id>> interactions;
  std::vector<WriteOp> ops;
  std::vector<Micros> times;
  for (int i = 0; i < 60; ++i) {
    times.push_back(kBase + static_cast<Micros>(rng() % 20) * kSecond);
    ops.push_back(CreateOp(InteractionOf(c, times.back())));
  }
  Micros last_tx = 0;
  for (int i = 0; i < 25; ++i) {
    Micros t = kBase + static_cast<Micros>(rng() % 1000) * kSecond;
    last_tx = std::max(last_tx, t);
    ops.push_back(CreateOp(TransactionOf(c, t)));
  }
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), true);
  for (int i = 0; i < 60; ++i) interactions.push_back({times[i], results[i].id});
  std::sort(interactions.rbegin(), interactions.rend());  // newest first, ties by id

  Result<CustomerCard> card = db().Card(CardKey::ById(c));
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->interaction_count, 60u);
  EXPECT_EQ(card->transaction_count, 25u);
  EXPECT_EQ(card->last_interaction_at, interactions.front().first);
  EXPECT_EQ(card->last_transaction_at, last_tx);
  ASSERT_EQ(card->recent_interactions.size(), 10u) << "default";
  for (uint32_t n : {0u, 1u, 5u, 59u, 60u, 1000u}) {
    CardOptions options;
    options.recent_interactions = n;
    card = db().Card(CardKey::ById(c), options);
    ASSERT_TRUE(card.ok());
    ASSERT_EQ(card->recent_interactions.size(), std::min<size_t>(n, 60));
    for (size_t i = 0; i < card->recent_interactions.size(); ++i) {
      EXPECT_EQ(card->recent_interactions[i].id, interactions[i].second) << n << " " << i;
    }
  }
  CardOptions too_many;
  too_many.recent_interactions = 1001;
  EXPECT_EQ(db().Card(CardKey::ById(c), too_many).status().code(), Code::kInvalidArgument);
  too_many = {};
  too_many.due_tasks = 1001;
  EXPECT_EQ(db().Card(CardKey::ById(c), too_many).status().code(), Code::kInvalidArgument);

  // Counts follow deletes.
  ASSERT_TRUE(db().Delete(Actor{}, EntityKind::kInteraction, interactions.front().second).ok());
  card = db().Card(CardKey::ById(c));
  EXPECT_EQ(card->interaction_count, 59u);
  EXPECT_EQ(card->last_interaction_at, interactions[1].first);
  EXPECT_EQ(card->recent_interactions.front().id, interactions[1].second);

  Result<CustomerCard> empty = db().Card(CardKey::ById(MustCreate(Individual("Empty"))));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->interaction_count, 0u);
  EXPECT_EQ(empty->last_interaction_at, 0);
  EXPECT_EQ(empty->last_transaction_at, 0);
  EXPECT_TRUE(empty->recent_interactions.empty());
}

TEST_F(CardTest, OpenComplaints) {
  Id c = MustCreate(Individual("Complainer"));
  auto complaint = [&](Micros t, ComplaintState s) {
    Interaction i = InteractionOf(c, t, Channel::kTicket);
    i.complaint = s;
    return MustCreate(i);
  };
  Id open_old = complaint(kBase + 1 * kSecond, ComplaintState::kOpen);
  Id progress = complaint(kBase + 5 * kSecond, ComplaintState::kInProgress);
  complaint(kBase + 6 * kSecond, ComplaintState::kResolved);
  complaint(kBase + 7 * kSecond, ComplaintState::kNone);
  Id open_new = complaint(kBase + 9 * kSecond, ComplaintState::kOpen);
  Id open_tie = complaint(kBase + 9 * kSecond, ComplaintState::kOpen);
  // Id order and time order disagree here.
  Id open_early = complaint(kBase + 3 * kSecond, ComplaintState::kOpen);

  auto open_ids = [&] {
    std::vector<Id> out;
    Result<CustomerCard> card = db().Card(CardKey::ById(c));
    EXPECT_TRUE(card.ok());
    for (const Interaction& i : card->open_complaints) out.push_back(i.id);
    return out;
  };
  EXPECT_EQ(open_ids(), (std::vector<Id>{open_tie, open_new, progress, open_early, open_old}));

  Interaction resolved = *db().GetInteraction(progress);
  resolved.complaint = ComplaintState::kResolved;
  ASSERT_TRUE(db().Update(Actor{}, resolved).ok());
  ASSERT_TRUE(db().Delete(Actor{}, EntityKind::kInteraction, open_new).ok());
  Interaction reopened = *db().GetInteraction(open_old);
  reopened.complaint = ComplaintState::kInProgress;
  reopened.time = kBase + 20 * kSecond;
  ASSERT_TRUE(db().Update(Actor{}, reopened).ok());
  EXPECT_EQ(open_ids(), (std::vector<Id>{open_old, open_tie, open_early}));
}

TEST_F(CardTest, OpportunitiesContractsAndTasks) {
  Id c = MustCreate(Organization("Deals"));
  Id other = MustCreate(Organization("Other"));
  std::vector<Id> open_opps;
  for (Stage s : {Stage::kQualification, Stage::kNeedsAnalysis, Stage::kProposal,
                  Stage::kNegotiation, Stage::kWon, Stage::kLost}) {
    Opportunity o;
    o.customer = c;
    o.name = std::string("Deal ") + std::string(Name(s));
    o.stage = s;
    Id id = MustCreate(o);
    if (s != Stage::kWon && s != Stage::kLost) open_opps.push_back(id);
  }
  Opportunity elsewhere;
  elsewhere.customer = other;
  elsewhere.name = "Elsewhere";
  MustCreate(elsewhere);

  std::vector<Id> active;
  for (ContractStatus s : {ContractStatus::kDraft, ContractStatus::kActive,
                           ContractStatus::kFulfilled, ContractStatus::kTerminated}) {
    Contract k;
    k.customer = c;
    k.number = std::string("K-") + std::string(Name(s));
    k.status = s;
    Id id = MustCreate(k);
    if (s == ContractStatus::kDraft || s == ContractStatus::kActive) active.push_back(id);
  }

  std::mt19937_64 rng(11);
  std::vector<std::pair<Micros, Id>> due;
  for (int i = 0; i < 40; ++i) {
    Task t;
    t.customer = c;
    t.title = "Task " + std::to_string(i);
    t.due_at = kBase + static_cast<Micros>(rng() % 15) * kSecond;  // ties
    t.done = i % 4 == 0;
    Id id = MustCreate(t);
    if (!t.done) due.push_back({t.due_at, id});
  }
  Task unrelated;
  unrelated.title = "About nobody";
  MustCreate(unrelated);
  std::sort(due.begin(), due.end());

  Result<CustomerCard> card = db().Card(CardKey::ById(c));
  ASSERT_TRUE(card.ok());
  std::vector<Id> got;
  for (const auto& o : card->open_opportunities) got.push_back(o.id);
  EXPECT_EQ(got, open_opps);
  got.clear();
  for (const auto& k : card->active_contracts) got.push_back(k.id);
  EXPECT_EQ(got, active);
  ASSERT_EQ(card->due_tasks.size(), 20u) << "default limit";
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(card->due_tasks[i].id, due[i].second) << i;
    EXPECT_FALSE(card->due_tasks[i].done);
  }
  CardOptions all;
  all.due_tasks = 1000;
  card = db().Card(CardKey::ById(c), all);
  ASSERT_EQ(card->due_tasks.size(), due.size());
  for (size_t i = 0; i < due.size(); ++i) EXPECT_EQ(card->due_tasks[i].id, due[i].second);

  // Completing a task and winning a deal take them off the card.
  Task finish = *db().GetTask(due[0].second);
  finish.done = true;
  ASSERT_TRUE(db().Update(Actor{}, finish).ok());
  EXPECT_EQ(db().GetTask(due[0].second)->done_at, testing::kTestNow);
  Opportunity won = *db().GetOpportunity(open_opps[0]);
  won.stage = Stage::kWon;
  ASSERT_TRUE(db().Update(Actor{}, won).ok());
  card = db().Card(CardKey::ById(c), all);
  EXPECT_EQ(card->due_tasks.size(), due.size() - 1);
  EXPECT_EQ(card->due_tasks.front().id, due[1].second);
  EXPECT_EQ(card->open_opportunities.size(), open_opps.size() - 1);

  // The List* calls return everything, oldest id first.
  EXPECT_EQ(db().ListOpportunities(c)->size(), 6u);
  EXPECT_EQ(db().ListContracts(c)->size(), 4u);
  EXPECT_EQ(db().ListTasks(c)->size(), 40u);
  EXPECT_EQ(db().ListTasks(c)->front().title, "Task 0");
  EXPECT_EQ(db().ListTasks(999).status().code(), Code::kNotFound);
}

TEST_F(CardTest, RelatedCustomersBothDirections) {
  Id parent = MustCreate(Organization("Parent Group"));
  Id partner = MustCreate(Organization("Partner Ltd"));
  Customer child = Organization("Child Co");
  child.relations = {{parent, RelationKind::kParent}, {partner, RelationKind::kPartner}};
  Id child_id = MustCreate(child);
  Customer referral = Individual("Referred Person");
  referral.relations = {{child_id, RelationKind::kReferredBy}};
  Id referred = MustCreate(referral);

  auto related = [&](Id id) {
    std::vector<std::tuple<Id, std::string, RelationKind, bool>> out;
    Result<CustomerCard> card = db().Card(CardKey::ById(id));
    EXPECT_TRUE(card.ok());
    for (const RelatedCustomer& r : card->related) {
      out.emplace_back(r.id, r.name, r.kind, r.incoming);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  using Rel = std::vector<std::tuple<Id, std::string, RelationKind, bool>>;
  EXPECT_EQ(related(child_id),
            (Rel{{parent, "Parent Group", RelationKind::kParent, false},
                 {partner, "Partner Ltd", RelationKind::kPartner, false},
                 {referred, "Referred Person", RelationKind::kReferredBy, true}}));
  EXPECT_EQ(related(parent), (Rel{{child_id, "Child Co", RelationKind::kParent, true}}));
  EXPECT_EQ(related(partner), (Rel{{child_id, "Child Co", RelationKind::kPartner, true}}));
  EXPECT_EQ(related(referred), (Rel{{child_id, "Child Co", RelationKind::kReferredBy, false}}));

  // Dropping an edge removes it from both sides; renaming shows everywhere.
  Customer changed = *db().GetCustomer(child_id);
  changed.relations = {{partner, RelationKind::kPartner}};
  changed.name = "Child Company";
  ASSERT_TRUE(db().Update(Actor{}, changed).ok());
  EXPECT_TRUE(related(parent).empty());
  EXPECT_EQ(related(partner), (Rel{{child_id, "Child Company", RelationKind::kPartner, true}}));
  EXPECT_EQ(related(referred),
            (Rel{{child_id, "Child Company", RelationKind::kReferredBy, false}}));

  // The graph is rebuilt on open.
  Reopen();
  EXPECT_EQ(related(child_id),
            (Rel{{partner, "Partner Ltd", RelationKind::kPartner, false},
                 {referred, "Referred Person", RelationKind::kReferredBy, true}}));
  EXPECT_EQ(related(partner), (Rel{{child_id, "Child Company", RelationKind::kPartner, true}}));
}

}  // namespace
}  // namespace crm::engine
