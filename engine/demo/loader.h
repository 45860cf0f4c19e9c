// The demo-data loader: the per-customer plan, the Loader that turns the plan
// into records and writes them in batches, and the bookkeeping that maps each
// write back to the id it produced. Its member functions are defined in
// loader.cc (setup, planning, batched writes), loader_customers.cc (names,
// phones and emails; users, customers, contacts, opportunities) and
// loader_histories.cc (amounts; contracts, tasks, interactions, transactions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"
#include "demo_tables.h"
#include "demo_util.h"

namespace crm::engine::demo_internal {

// The plan: what each customer is, decided up front (cheaply, from its own
// stream) so the totals are known before the first write.
struct Plan {
  Micros since = 0;    // first activity
  Micros until = 0;    // last activity (now, or when it went quiet)
  uint32_t owner = 0;  // index into users + 1; 0 = none
  uint32_t interactions = 0;
  uint32_t transactions = 0;
  uint16_t city = 0;
  uint16_t brand = 0;  // organizations: index into the country's brand table
  CustomerKind kind = CustomerKind::kIndividual;
  Lifecycle lifecycle = Lifecycle::kLead;
  SizeBand size = SizeBand::kUnknown;
  PaymentMethod payment = PaymentMethod::kUnknown;
  uint8_t domain_tld = 0;
  uint8_t contacts = 0;
  uint8_t opportunities = 0;
  uint8_t won = 0;  // the first `won` opportunities are won and get a contract
  uint8_t extra_contracts = 0;
  uint8_t tasks = 0;
};

// An opportunity of the current chunk, as its contract and interactions need it.
struct OppInfo {
  Id id = 0;
  Stage stage = Stage::kQualification;
  int64_t amount = 0;  // minor units
  Micros close = 0;
};

// Where a write's returned id goes.
enum class Sink : uint8_t { kNone, kUser, kCustomer, kContact, kOpportunity };

// One queued write: what it creates and where its id goes.
struct Slot {
  EntityKind kind;
  Sink sink;
  uint32_t index;     // into the sink's table
  uint64_t customer;  // customer ordinal, for error messages; UINT64_MAX = none
};

// A generated person's name.
struct PersonName {
  std::string display;
  std::string ascii;  // "wang.fang", for email local parts
};

// Generates the demo data of one LoadDemoData call. Single-threaded; holds
// references to `engine`, `options` and `progress`, which must outlive it.
class Loader {
 public:
  Loader(Engine& engine, const DemoOptions& options, const DemoProgress& progress);

  // Plans and writes everything; call once. Stops at the first failed write.
  Result<DemoSummary> Run();

 private:
  // Per-customer children and histories go in chunks: first the contacts
  // and opportunities of a chunk of customers (their ids are needed), then
  // the contracts, tasks, interactions and transactions that refer to them.
  struct ChunkEntry {
    uint32_t first_contact = 0, contacts = 0;
    uint32_t first_opp = 0, opps = 0;
  };

  // ---- Setup (loader.cc).

  // Builds the phone pools of every country, keyed by the seed.
  void InitPhonePools();

  static Country CountryOf(const Plan& plan) { return kCities[plan.city].country; }
  static bool Zh(const Plan& plan) { return CountryOf(plan) == kCN; }
  static std::string_view CurrencyCode(const Plan& plan) { return Zh(plan) ? "CNY" : "USD"; }

  // ---- Planning (loader.cc).

  // Decides every user (roles and teams depend only on the index), so that
  // customer owners can be drawn before the users are written.
  void PlanUsers();

  // Decides every customer's plan and the totals; requires PlanUsers first.
  Status PlanAll();

  // Scales `weights` so that they sum to `total`, none above `cap` (water
  // filling), and hands each customer its rounded share; the rounding carries
  // over so the shares add up to the total.
  template <typename F>
  static void Distribute(const std::vector<double>& weights, double total, double cap, F&& set);

  static PaymentMethod DrawPayment(Rng& rng, Country country, bool org);

  // A user of a team serving `country` (index + 1), else any non-admin user,
  // else any user; 0 when there are no users.
  uint32_t DrawOwner(Rng& rng, Country country);

  // ---- Writing (loader.cc).

  // Queues the creation of `record`; its id goes to entry `index` of `sink`.
  // `customer` is the customer ordinal for error messages (UINT64_MAX = none).
  // Flushes when a batch is full.
  Status Add(Record record, Sink sink, uint32_t index, uint64_t customer);

  // Writes the queued records, stores their ids and reports progress.
  Status Flush();

  // ---- Names, phones, emails (loader_customers.cc).

  PersonName MakePerson(Rng& rng, Country country, Gender gender);

  // The next phone for someone in `city`, or a failed status when the
  // country's number space is used up (not reachable at sane sizes).
  Status NextPhone(Rng& rng, const City& city, std::string* out);

  // "<local>.<n>@<domain>": unique because n is.
  std::string NextEmail(std::string_view local, std::string_view domain);

  // The web and email domain of an organization.
  static std::string OrgDomain(const Plan& plan);

  // A personal email domain common in `country`.
  static std::string_view IndividualDomain(Rng& rng, Country country);

  // ---- Users and customers (loader_customers.cc).

  Status WriteUsers();

  Id UserId(uint32_t owner) const { return owner == 0 ? 0 : user_ids_[owner - 1]; }

  Status WriteCustomers();

  // Builds customer `i`; relations hold customer ordinals, not ids, yet.
  Status MakeCustomer(uint64_t i, Rng& rng, Customer* out);

  static size_t WeightedIndustry(Rng& rng);

  // ---- Contacts and opportunities (loader_customers.cc).

  // Writes the children and histories of all customers, chunk by chunk.
  Status WriteChildrenAndHistories();

  // Queues the contacts and opportunities of customer `i` and its chunk entry.
  Status WriteChildren(uint64_t i);

  // A name for an opportunity of `p` expected to close at `close`.
  std::string OpportunityName(Rng& rng, const Plan& p, Micros close);

  // ---- Amounts and histories (loader_histories.cc).

  // Typical order sizes, in whole currency units (CNY; USD is about a seventh).
  static void AmountRange(const Plan& p, int64_t* lo, int64_t* hi);

  static int64_t TransactionAmount(Rng& rng, const Plan& p);

  static int64_t OpportunityAmount(Rng& rng, const Plan& p);

  // Queues the contracts, tasks, interactions and transactions of customer
  // `i`, whose contacts and opportunities are written (see `entry`).
  Status WriteHistory(uint64_t i, const ChunkEntry& entry);

  // `n` times in [from, to), mostly in local business hours on weekdays, sorted.
  static void DrawTimes(Rng& rng, uint32_t n, Micros from, Micros to, int utc_offset_hours,
                        std::vector<Micros>* out);

  Interaction MakeInteraction(Rng& rng, uint64_t i, const ChunkEntry& entry, Micros time);

  static Transaction MakeTransaction(Rng& rng, const Plan& p, Id customer, Micros time);

  Engine& engine_;
  const DemoOptions& options_;
  const DemoProgress& progress_;
  const size_t batch_;
  ZipfTable cn_surnames_;
  uint64_t heavy_ = 0;
  uint64_t sample_ = UINT64_MAX;  // ordinal of the sample customer
  uint64_t heaviest_ = UINT64_MAX;

  std::array<PhonePool, 5> pools_;  // by Country (the US entry is unused)
  std::vector<std::string> us_exchanges_;
  std::vector<PhonePool> us_pools_;
  static constexpr uint64_t kOrgCodeSpace = 100'000'000;
  Permutation org_codes_;  // customer ordinal -> organization code serial
  uint64_t email_seq_ = 0;
  uint64_t contract_seq_ = 0;

  std::vector<Plan> plans_;
  std::vector<User> users_;
  std::vector<Id> user_ids_;
  std::array<std::vector<uint32_t>, 5> owner_pools_;  // user indexes by region served
  std::vector<uint32_t> non_admins_;
  std::vector<Id> customer_ids_;
  std::string sample_phone_;

  std::vector<ChunkEntry> chunk_;
  std::vector<Id> chunk_contacts_;
  std::vector<OppInfo> chunk_opps_;
  std::vector<Micros> itimes_, ttimes_;

  std::vector<WriteOp> pending_;
  std::vector<Slot> slots_;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  DemoSummary summary_;
};

}  // namespace crm::engine::demo_internal
