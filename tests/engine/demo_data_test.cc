// Demo data: deterministic, shaped as promised, and made of keys the engine
// accepts (valid, canonical, unique phones and emails).
#include "crm/engine/demo_data.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "crm/engine/normalize.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"

namespace crm::engine {
namespace {

using crm::testing::ExpectSamePerKind;
using crm::testing::OpenEngine;
using crm::testing::TempDir;

DemoOptions SmallOptions() {
  DemoOptions options;
  options.users = 20;
  options.customers = 300;
  options.interactions = 5000;
  options.transactions = 1000;
  options.heavy_customers = 1;
  options.heavy_interactions = 2000;
  options.now = crm::testing::kTestNow;
  options.batch = 512;  // several batches, so batch boundaries are exercised
  return options;
}

DemoSummary Load(Engine& engine, const DemoOptions& options) {
  Result<DemoSummary> loaded = LoadDemoData(engine, options);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? *loaded : DemoSummary{};
}

// Every customer, by id. Ids are dense per kind, so this walks 1, 2, ...
// until it has seen as many customers as the store counts.
std::vector<Customer> AllCustomers(const Engine& engine) {
  const uint64_t count = engine.Counts().customers;
  std::vector<Customer> out;
  for (Id id = 1; out.size() < count && id <= 2 * count + 16; ++id) {
    Result<Customer> c = engine.GetCustomer(id);
    if (c.ok()) out.push_back(*c);
  }
  EXPECT_EQ(out.size(), count);
  return out;
}

// A customer's whole history, newest first, paged through next_cursor.
std::vector<HistoryEntry> FullHistory(const Engine& engine, Id customer, bool interactions = true,
                                      bool transactions = true) {
  std::vector<HistoryEntry> out;
  HistoryQuery query;
  query.customer = customer;
  query.limit = 377;  // not a divisor of anything interesting
  query.interactions = interactions;
  query.transactions = transactions;
  for (int pages = 0; pages < 100'000; ++pages) {
    Result<HistoryPage> page = engine.History(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    out.insert(out.end(), page->entries.begin(), page->entries.end());
    if (page->next_cursor.empty()) break;
    query.cursor = page->next_cursor;
  }
  return out;
}

void ExpectSameHistory(const std::vector<HistoryEntry>& a, const std::vector<HistoryEntry>& b,
                       Id customer) {
  ASSERT_EQ(a.size(), b.size()) << "customer " << customer;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].kind, b[i].kind) << "customer " << customer << " entry " << i;
    if (a[i].kind == EntityKind::kInteraction) {
      EXPECT_EQ(a[i].interaction, b[i].interaction) << "customer " << customer << " entry " << i;
    } else {
      EXPECT_EQ(a[i].transaction, b[i].transaction) << "customer " << customer << " entry " << i;
    }
  }
}

// Customers, users, and for `sampled` customers every child and history record.
void ExpectSameRecords(const Engine& a, const Engine& b, const std::vector<Id>& sampled) {
  std::vector<Customer> ca = AllCustomers(a), cb = AllCustomers(b);
  ASSERT_EQ(ca.size(), cb.size());
  for (size_t i = 0; i < ca.size(); ++i) EXPECT_EQ(ca[i], cb[i]) << "customer " << ca[i].id;
  EXPECT_EQ(a.ListUsers(), b.ListUsers());
  for (Id id : sampled) {
    SCOPED_TRACE("customer " + std::to_string(id));
    ASSERT_TRUE(a.ListContacts(id).ok());
    EXPECT_EQ(*a.ListContacts(id), *b.ListContacts(id));
    EXPECT_EQ(*a.ListOpportunities(id), *b.ListOpportunities(id));
    EXPECT_EQ(*a.ListContracts(id), *b.ListContracts(id));
    EXPECT_EQ(*a.ListTasks(id), *b.ListTasks(id));
    ExpectSameHistory(FullHistory(a, id), FullHistory(b, id), id);
  }
}

void ExpectSameSummary(const DemoSummary& a, const DemoSummary& b) {
  ExpectSamePerKind(a, b);
  EXPECT_EQ(a.heaviest_customer, b.heaviest_customer);
  EXPECT_EQ(a.sample_customer, b.sample_customer);
  EXPECT_EQ(a.sample_phone, b.sample_phone);
}

// The check character of an 18-character unified social credit code.
bool ValidUscc(const std::string& code) {
  static const std::string kCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static const int kWeights[] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  if (code.size() != 18) return false;
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    size_t v = kCharset.find(code[i]);
    if (v == std::string::npos) return false;
    sum += static_cast<int>(v) * kWeights[i];
  }
  return code[17] == kCharset[(31 - sum % 31) % 31];
}

TEST(DemoDataTest, SameOptionsGiveSameRecords) {
  const DemoOptions options = SmallOptions();
  TempDir dir_a, dir_b;
  auto a = OpenEngine(dir_a.path());
  auto b = OpenEngine(dir_b.path());
  ASSERT_TRUE(a && b);
  DemoSummary sa = Load(*a, options);
  DemoSummary sb = Load(*b, options);
  ExpectSameSummary(sa, sb);
  ExpectSameRecords(*a, *b, {sa.heaviest_customer, sa.sample_customer, 2, 77, 150, 299, 300});
}

TEST(DemoDataTest, RecordsDoNotDependOnBatchSize) {
  DemoOptions options = SmallOptions();
  options.customers = 120;
  options.interactions = 1500;
  options.transactions = 300;
  options.heavy_interactions = 300;
  TempDir dir_a, dir_b;
  auto a = OpenEngine(dir_a.path());
  auto b = OpenEngine(dir_b.path());
  ASSERT_TRUE(a && b);
  options.batch = 4096;
  DemoSummary sa = Load(*a, options);
  options.batch = 7;
  DemoSummary sb = Load(*b, options);
  ExpectSameSummary(sa, sb);
  std::vector<Id> every;
  for (const Customer& c : AllCustomers(*a)) every.push_back(c.id);
  ExpectSameRecords(*a, *b, every);
}

TEST(DemoDataTest, SummaryMatchesTheStoreAndTheSampleCardIsFull) {
  const DemoOptions options = SmallOptions();
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(engine);
  uint64_t last_done = 0, last_total = 0, calls = 0;
  Result<DemoSummary> loaded = LoadDemoData(*engine, options, [&](uint64_t done, uint64_t total) {
    EXPECT_GT(done, last_done);
    EXPECT_LE(done, total);
    if (calls > 0) {
      EXPECT_EQ(total, last_total);
    }
    last_done = done;
    last_total = total;
    ++calls;
  });
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const DemoSummary& s = *loaded;

  const StoreCounts counts = engine->Counts();
  EXPECT_EQ(s.users, options.users);
  EXPECT_EQ(s.customers, options.customers);
  EXPECT_EQ(counts.users, s.users);
  EXPECT_EQ(counts.customers, s.customers);
  EXPECT_EQ(counts.contacts, s.contacts);
  EXPECT_EQ(counts.interactions, s.interactions);
  EXPECT_EQ(counts.transactions, s.transactions);
  EXPECT_EQ(counts.opportunities, s.opportunities);
  EXPECT_EQ(counts.contracts, s.contracts);
  EXPECT_EQ(counts.tasks, s.tasks);
  EXPECT_GT(s.contacts, 0u);
  EXPECT_GT(s.opportunities, 0u);
  EXPECT_GT(s.contracts, 0u);
  EXPECT_GT(s.tasks, 0u);
  // The long tail is scaled to the requested totals.
  EXPECT_NEAR(static_cast<double>(s.interactions), static_cast<double>(options.interactions), 10);
  EXPECT_NEAR(static_cast<double>(s.transactions), static_cast<double>(options.transactions), 10);
  // Progress ran to the end, batch by batch.
  EXPECT_GE(calls, (s.interactions + s.transactions) / options.batch);
  EXPECT_EQ(last_done, last_total);
  EXPECT_EQ(last_total, counts.users + counts.customers + counts.contacts + counts.interactions +
                            counts.transactions + counts.opportunities + counts.contracts +
                            counts.tasks);

  // The heaviest customer: an organization with exactly heavy_interactions
  // interactions, newest first.
  ASSERT_NE(s.heaviest_customer, 0u);
  Result<Customer> heaviest = engine->GetCustomer(s.heaviest_customer);
  ASSERT_TRUE(heaviest.ok());
  EXPECT_EQ(heaviest->kind, CustomerKind::kOrganization);
  std::vector<HistoryEntry> history =
      FullHistory(*engine, s.heaviest_customer, /*interactions=*/true, /*transactions=*/false);
  EXPECT_EQ(history.size(), options.heavy_interactions);
  for (size_t i = 0; i < history.size(); ++i) {
    ASSERT_EQ(history[i].kind, EntityKind::kInteraction);
    EXPECT_EQ(history[i].interaction.customer, s.heaviest_customer);
    if (i > 0) {
      ASSERT_LE(history[i].interaction.time, history[i - 1].interaction.time);
    }
    EXPECT_LT(history[i].interaction.time, options.now);
    EXPECT_GE(history[i].interaction.time, options.now - 3 * 366 * 86'400'000'000LL);
  }

  // The sample customer, found by its phone, shows everything on its card.
  ASSERT_FALSE(s.sample_phone.empty());
  Result<CustomerCard> card = engine->Card(CardKey::ByPhone(s.sample_phone));
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->customer.id, s.sample_customer);
  EXPECT_EQ(card->customer.kind, CustomerKind::kOrganization);
  EXPECT_FALSE(card->contacts.empty());
  EXPECT_FALSE(card->recent_interactions.empty());
  EXPECT_FALSE(card->open_opportunities.empty());
  bool has_active = false;
  for (const Contract& c : card->active_contracts)
    has_active |= c.status == ContractStatus::kActive;
  EXPECT_TRUE(has_active);
  EXPECT_FALSE(card->due_tasks.empty());
  EXPECT_GT(card->interaction_count, 0u);
}

TEST(DemoDataTest, PhonesAndEmailsAreValidCanonicalAndUnique) {
  const DemoOptions options = SmallOptions();
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(engine);
  Load(*engine, options);
  std::set<std::string> phones, emails, refs;
  size_t organizations = 0, individuals = 0, with_tax_id = 0;
  auto check_keys = [&](const std::vector<std::string>& ps, const std::vector<std::string>& es,
                        const std::string& who) {
    for (const std::string& p : ps) {
      Result<std::string> normalized = NormalizePhone(p, "CN");
      ASSERT_TRUE(normalized.ok())
          << who << " phone " << p << ": " << normalized.status().ToString();
      EXPECT_EQ(*normalized, p) << who;
      EXPECT_TRUE(phones.insert(p).second) << who << " repeats phone " << p;
    }
    for (const std::string& e : es) {
      Result<std::string> normalized = NormalizeEmail(e);
      ASSERT_TRUE(normalized.ok()) << who << " email " << e;
      EXPECT_EQ(*normalized, e) << who;
      EXPECT_TRUE(emails.insert(e).second) << who << " repeats email " << e;
    }
  };
  for (const Customer& c : AllCustomers(*engine)) {
    const std::string who = "customer " + std::to_string(c.id);
    ASSERT_FALSE(c.phones.empty()) << who;
    check_keys(c.phones, c.emails, who);
    if (!c.external_ref.empty()) {
      EXPECT_TRUE(refs.insert(c.external_ref).second) << who;
    }
    for (const Relation& r : c.relations) EXPECT_LT(r.customer, c.id) << who;
    if (c.kind == CustomerKind::kOrganization) {
      ++organizations;
      EXPECT_EQ(c.gender, Gender::kUnknown) << who;
      EXPECT_EQ(c.birth_year, 0) << who;
      EXPECT_TRUE(c.occupation.empty()) << who;
      EXPECT_EQ(c.income_band, IncomeBand::kUnknown) << who;
      if (c.region.country == "CN") {
        EXPECT_TRUE(ValidUscc(c.tax_id)) << who << " tax id " << c.tax_id;
        ++with_tax_id;
      }
    } else {
      ++individuals;
      Result<std::vector<Contact>> contacts = engine->ListContacts(c.id);
      ASSERT_TRUE(contacts.ok());
      EXPECT_TRUE(contacts->empty()) << who;
    }
    Result<std::vector<Contact>> contacts = engine->ListContacts(c.id);
    ASSERT_TRUE(contacts.ok());
    for (const Contact& ct : *contacts) {
      check_keys(ct.phones, ct.emails, "contact " + std::to_string(ct.id));
    }
  }
  EXPECT_GT(organizations, 0u);
  EXPECT_GT(individuals, 0u);
  EXPECT_GT(with_tax_id, 0u);
}

}  // namespace
}  // namespace crm::engine
