// Persistence: everything written survives a close and reopen exactly, the
// audit log records every mutation, newer schemas and second openers are
// refused, the LMDB map grows on demand, and concurrent writers and readers
// see only whole, acknowledged batches.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <lmdb.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_test_base.h"
#include "format.h"
#include "records.capnp.h"

namespace crm::engine {
namespace {

using testing::ContactOf;
using testing::CreateOp;
using testing::DeleteOp;
using testing::ExpectSameCard;
using testing::ExpectSameCounts;
using testing::ExpectSamePerKind;
using testing::Individual;
using testing::InteractionOf;
using testing::kTestNow;
using testing::Mobile;
using testing::Must;
using testing::Organization;
using testing::TransactionOf;
using testing::UpdateOp;
using testing::UserNamed;

constexpr Micros kHour = 3'600'000'000;
constexpr Micros kDay = 24 * kHour;

// ------------------------------------------------------ comparing the store

template <typename T>
using Table = std::map<Id, T>;

// Every record of one kind with id 1..max; the rest must be NotFound.
template <typename T, typename Get>
Table<T> ReadAll(Get get, Id max) {
  Table<T> out;
  for (Id id = 1; id <= max; ++id) {
    Result<T> r = get(id);
    if (r.ok()) {
      EXPECT_EQ(r->id, id);
      out.emplace(id, *r);
    } else {
      EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().ToString();
    }
  }
  return out;
}


// Everything readable from an engine.
struct Dump {
  Table<Customer> customers;
  Table<Contact> contacts;
  Table<Interaction> interactions;
  Table<Transaction> transactions;
  Table<Opportunity> opportunities;
  Table<Contract> contracts;
  Table<Task> tasks;
  Table<User> users;
  std::vector<User> user_list;
  std::map<Id, CustomerCard> cards;
  std::map<Id, std::vector<HistoryEntry>> histories;
  std::map<Id, std::vector<Contact>> contact_lists;
  std::map<Id, std::vector<Task>> task_lists;
  StoreCounts counts;
  std::vector<AuditEntry> audit;
};

Dump Take(const Engine& db, Id max_id) {
  Dump d;
  d.customers = ReadAll<Customer>([&](Id id) { return db.GetCustomer(id); }, max_id);
  d.contacts = ReadAll<Contact>([&](Id id) { return db.GetContact(id); }, max_id);
  d.interactions = ReadAll<Interaction>([&](Id id) { return db.GetInteraction(id); }, max_id);
  d.transactions = ReadAll<Transaction>([&](Id id) { return db.GetTransaction(id); }, max_id);
  d.opportunities = ReadAll<Opportunity>([&](Id id) { return db.GetOpportunity(id); }, max_id);
  d.contracts = ReadAll<Contract>([&](Id id) { return db.GetContract(id); }, max_id);
  d.tasks = ReadAll<Task>([&](Id id) { return db.GetTask(id); }, max_id);
  d.users = ReadAll<User>([&](Id id) { return db.GetUser(id); }, max_id);
  d.user_list = db.ListUsers();
  CardOptions all;
  all.recent_interactions = 1000;
  all.due_tasks = 1000;
  for (const auto& [id, customer] : d.customers) {
    Result<CustomerCard> card = db.Card(CardKey::ById(id), all);
    EXPECT_TRUE(card.ok());
    if (card.ok()) d.cards.emplace(id, *card);
    HistoryQuery q;
    q.customer = id;
    q.limit = 3;  // several pages
    std::vector<HistoryEntry>& history = d.histories[id];
    for (;;) {
      Result<HistoryPage> page = db.History(q);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      history.insert(history.end(), page->entries.begin(), page->entries.end());
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    d.contact_lists[id] = Must(db.ListContacts(id));
    d.task_lists[id] = Must(db.ListTasks(id));
  }
  d.counts = db.Counts();
  Result<std::vector<AuditEntry>> audit = db.AuditLog(0, 10000);
  EXPECT_TRUE(audit.ok());
  if (audit.ok()) d.audit = *audit;
  return d;
}


void ExpectSame(const Dump& a, const Dump& b) {
  ExpectSamePerKind(a, b);
  EXPECT_EQ(a.user_list, b.user_list);
  ASSERT_EQ(a.cards.size(), b.cards.size());
  for (const auto& [id, card] : a.cards) {
    SCOPED_TRACE("card of customer " + std::to_string(id));
    ASSERT_EQ(b.cards.count(id), 1u);
    ExpectSameCard(card, b.cards.at(id));
  }
  ASSERT_EQ(a.histories.size(), b.histories.size());
  for (const auto& [id, history] : a.histories) {
    const std::vector<HistoryEntry>& other = b.histories.at(id);
    ASSERT_EQ(history.size(), other.size()) << "history of customer " << id;
    for (size_t i = 0; i < history.size(); ++i) {
      ASSERT_EQ(history[i].kind, other[i].kind);
      if (history[i].kind == EntityKind::kInteraction) {
        ASSERT_EQ(history[i].interaction, other[i].interaction);
      } else {
        ASSERT_EQ(history[i].transaction, other[i].transaction);
      }
    }
  }
  EXPECT_EQ(a.contact_lists, b.contact_lists);
  EXPECT_EQ(a.task_lists, b.task_lists);
  ExpectSameCounts(a.counts, b.counts);
  EXPECT_EQ(a.audit, b.audit);
}

// --------------------------------------------------------------- round trip

class PersistenceTest : public testing::EngineTest {
 protected:
  // Runs a write and remembers, for every applied op, the audit entry it
  // must have produced.
  std::vector<WriteResult> Do(Id user, std::vector<WriteOp> ops, bool atomic = true) {
    std::vector<WriteOp> copy = ops;
    std::vector<WriteResult> results = db().Write(Actor{user}, std::move(ops), atomic);
    EXPECT_EQ(results.size(), copy.size());
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_TRUE(results[i].status.ok()) << i << ": " << results[i].status.ToString();
      if (!results[i].status.ok()) continue;
      // A cascade writes one entry per record removed: the caller adds them.
      if (copy[i].kind == WriteKind::kDelete && copy[i].cascade) continue;
      AuditEntry e;
      e.sequence = audit_.size() + 1;
      e.time = kTestNow;
      e.user = user;
      e.kind = copy[i].kind;
      e.entity = copy[i].kind == WriteKind::kDelete ? copy[i].entity : KindOf(copy[i].record);
      e.record = results[i].id;
      audit_.push_back(e);
    }
    return results;
  }
  Id Make(Id user, Record record) {
    std::vector<WriteOp> ops;
    ops.push_back(CreateOp(std::move(record)));
    return Do(user, std::move(ops))[0].id;
  }
  void Change(Id user, Record record) {
    std::vector<WriteOp> ops;
    ops.push_back(UpdateOp(std::move(record)));
    Do(user, std::move(ops));
  }
  void Remove(Id user, EntityKind kind, Id id, bool cascade = false) {
    std::vector<WriteOp> ops;
    ops.push_back(DeleteOp(kind, id, cascade));
    Do(user, std::move(ops));
  }

  void Expect(Id user, WriteKind kind, EntityKind entity, Id record) {
    AuditEntry e;
    e.sequence = audit_.size() + 1;
    e.time = kTestNow;
    e.user = user;
    e.kind = kind;
    e.entity = entity;
    e.record = record;
    audit_.push_back(e);
  }
  // The entry without the record values (audit_ holds what every entry says
  // of who did what to which record).
  static AuditEntry Header(AuditEntry e) {
    e.old_value.reset();
    e.new_value.reset();
    return e;
  }
  static std::vector<AuditEntry> Headers(std::vector<AuditEntry> entries) {
    for (AuditEntry& e : entries) e = Header(std::move(e));
    return entries;
  }

  std::vector<AuditEntry> audit_;
};

TEST_F(PersistenceTest, EverythingSurvivesReopen) {
  // Users, every field set.
  User admin = UserNamed("管理员 Admin");
  admin.role = Role::kAdmin;
  admin.team = "总部";
  admin.token_hash = "sha256:0123456789abcdef";
  const Id u1 = Make(0, admin);
  User agent = UserNamed("Agent Ø");
  agent.role = Role::kManager;
  agent.team = "East";
  agent.token_hash = "sha256:fedcba";
  agent.active = false;
  const Id u2 = Make(u1, agent);

  // An organization with every field.
  Customer org = Organization("深圳市腾飞科技有限公司", {"0755 8888 1234", "+86 139 0000 0001"},
                              {"Info@TengFei.CN", "sales@tengfei.cn"});
  org.external_ref = "ERP-Ω-1";
  org.tax_id = "91440300MA5XXXXX1X";
  org.region = {"CN", "广东", "深圳"};
  org.industry = "制造业";
  org.size_band = SizeBand::kLarge;
  org.category = "Key Account";
  org.payment_method = PaymentMethod::kBankTransfer;
  org.credit_level = CreditLevel::kAA;
  org.lifecycle = Lifecycle::kActive;
  org.owner = u1;
  org.team = "South";
  org.tags = {"vip", "制造", "2026"};
  org.attributes = {{"segment", "B2B"}, {"备注", "多行\n文本"}};
  const Id c_org = Make(u1, org);
  // A parent for it, and an individual with every individual field.
  const Id c_parent = Make(u1, Organization("Holding Group 集团"));
  Customer person = Individual("Émile Zola-李", {"13700137000"}, {"emile@example.fr"});
  person.external_ref = "CRM-P-7";
  person.region = {"FR", "Île-de-France", "Paris"};
  person.industry = "Letters";
  person.size_band = SizeBand::kMicro;
  person.category = "Retail";
  person.payment_method = PaymentMethod::kWechatPay;
  person.credit_level = CreditLevel::kB;
  person.lifecycle = Lifecycle::kProspect;
  person.owner = u2;
  person.team = "Europe";
  person.tags = {"writer"};
  person.attributes = {{"lang", "fr"}};
  person.relations = {{c_org, RelationKind::kReferredBy}, {c_parent, RelationKind::kRelated}};
  person.gender = Gender::kMale;
  person.birth_year = 1990;
  person.occupation = "Novelist";
  person.income_band = IncomeBand::kUpperMiddle;
  const Id c_person = Make(u2, person);
  Customer org_with_parent = *db().GetCustomer(c_org);
  org_with_parent.relations = {{c_parent, RelationKind::kParent},
                               {c_person, RelationKind::kPartner}};
  Change(u1, org_with_parent);

  Contact contact = ContactOf(c_org, "王经理", {"13600136000"}, {"Wang@TengFei.cn"});
  contact.title = "采购经理";
  const Id k1 = Make(u1, contact);
  const Id k2 = Make(u1, ContactOf(c_org, "To Be Deleted", {"13600136001"}));

  Opportunity opp;
  opp.customer = c_org;
  opp.name = "二期项目";
  opp.stage = Stage::kNegotiation;
  opp.amount = Money{123'456'789, Currency("CNY")};
  opp.probability = 65;
  opp.expected_close = kTestNow + 30 * kDay;
  opp.owner = u2;
  opp.source = "Trade show";
  opp.campaign = "Spring 2026";
  opp.lost_reason = "n/a yet";
  const Id o1 = Make(u1, opp);

  Contract contract;
  contract.customer = c_org;
  contract.opportunity = o1;
  contract.number = "HT-2026-0001";
  contract.amount = Money{99'000'00, Currency("USD")};
  contract.signed_at = kTestNow - 10 * kDay;
  contract.start_at = kTestNow - 9 * kDay;
  contract.end_at = kTestNow + 356 * kDay;
  contract.status = ContractStatus::kActive;
  contract.payment_terms = "Net 30 / 月结";
  contract.paid_minor_units = 12'345;
  const Id ct1 = Make(u1, contract);

  Task task;
  task.customer = c_org;
  task.assignee = u2;
  task.due_at = kTestNow + 2 * kDay;
  task.title = "回访 follow-up";
  task.notes = "line 1\nline 2\ttab";
  task.done = true;
  task.done_at = kTestNow - kHour;
  const Id t1 = Make(u1, task);
  Task open_task = task;
  open_task.done = false;
  open_task.done_at = 0;
  open_task.title = "Open one";
  const Id t2 = Make(u1, open_task);

  Interaction full = InteractionOf(c_org, kTestNow - 3 * kDay, Channel::kVisit);
  full.contact = k1;
  full.direction = Direction::kOutbound;
  full.agent = u2;
  full.subject = "现场拜访 — site visit";
  full.notes = "Notes with unicode ✓\nand lines\r\n";
  full.outcome = "Quote requested";
  full.duration_seconds = 5400;
  full.satisfaction = 4;
  full.complaint = ComplaintState::kInProgress;
  full.opportunity = o1;
  const Id i1 = Make(u2, full);

  Transaction tx = TransactionOf(c_org, kTestNow - 2 * kDay, 8'800'00);
  tx.margin_minor_units = -1'50;
  tx.product_category = "设备";
  tx.payment_method = PaymentMethod::kAlipay;
  const Id x1 = Make(u2, tx);

  // Bulk: customers with histories, written in batches.
  std::mt19937_64 rng(99);
  std::vector<Id> bulk;
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<WriteOp> ops;
    for (int i = 0; i < 10; ++i) {
      Customer c = Individual("客户 " + std::to_string(batch * 10 + i),
                              {Mobile(static_cast<uint64_t>(batch * 10 + i))});
      ops.push_back(CreateOp(c));
    }
    for (const WriteResult& r : Do(u1, std::move(ops), /*atomic=*/false)) bulk.push_back(r.id);
  }
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<WriteOp> ops;
    for (int i = 0; i < 100; ++i) {
      Id c = bulk[rng() % bulk.size()];
      Micros t = kTestNow - static_cast<Micros>(rng() % 1000) * kHour;
      if (rng() % 3 == 0) {
        ops.push_back(CreateOp(TransactionOf(c, t, static_cast<int64_t>(rng() % 10000))));
      } else {
        Interaction in = InteractionOf(c, t, static_cast<Channel>(rng() % kChannelCount));
        in.complaint = static_cast<ComplaintState>(rng() % 4);
        in.notes = std::string(rng() % 300, 'n');
        ops.push_back(CreateOp(in));
      }
    }
    Do(u2, std::move(ops), batch % 2 == 0);
  }

  // Updates and deletes mixed in.
  Customer renamed = *db().GetCustomer(c_person);
  renamed.name = "Émile Z.";
  renamed.phones = {"13700137001"};
  Change(u2, renamed);
  Interaction moved = *db().GetInteraction(i1);
  moved.time = kTestNow - 5 * kDay;  // a new LMDB key for it
  moved.complaint = ComplaintState::kOpen;
  Change(u2, moved);
  Remove(u1, EntityKind::kContact, k2);
  Remove(u1, EntityKind::kTask, t2);
  Remove(u1, EntityKind::kTransaction, x1);
  Remove(u1, EntityKind::kInteraction, 7);
  Customer doomed = Individual("Doomed", {Mobile(999)});
  doomed.relations = {{c_org, RelationKind::kRelated}};
  const Id c_doomed = Make(u1, doomed);
  Customer points_at_doomed = *db().GetCustomer(bulk[0]);
  points_at_doomed.relations = {{c_doomed, RelationKind::kPartner}};
  Change(u1, points_at_doomed);
  const Id i_doomed = Make(u1, InteractionOf(c_doomed, kTestNow - kDay));
  Remove(u1, EntityKind::kCustomer, c_doomed, /*cascade=*/true);
  // One entry per record the cascade changed: the history, the customer
  // whose edge pointed at the doomed one, then the customer itself.
  Expect(u1, WriteKind::kDelete, EntityKind::kInteraction, i_doomed);
  Expect(u1, WriteKind::kUpdate, EntityKind::kCustomer, bulk[0]);
  Expect(u1, WriteKind::kDelete, EntityKind::kCustomer, c_doomed);

  // The records with every field came back as written (normalized).
  Customer org_read = *db().GetCustomer(c_org);
  EXPECT_EQ(org_read.phones, (std::vector<std::string>{"+8675588881234", "+8613900000001"}));
  EXPECT_EQ(org_read.emails, (std::vector<std::string>{"Info@tengfei.cn", "sales@tengfei.cn"}));
  EXPECT_EQ(org_read.revision, 2u);
  Contract contract_read = *db().GetContract(ct1);
  contract.id = ct1;
  contract.revision = 1;
  contract.created_at = contract.updated_at = kTestNow;
  EXPECT_EQ(contract_read, contract);
  Task task_read = *db().GetTask(t1);
  task.id = t1;
  task.revision = 1;
  task.created_at = task.updated_at = kTestNow;
  EXPECT_EQ(task_read, task);

  const Id max_id = 2000;
  const Dump before = Take(db(), max_id);
  ASSERT_GE(before.interactions.size(), 200u);
  EXPECT_EQ(Headers(before.audit), audit_) << "one audit entry per record changed, gap-free";
  // Each entry holds the record before and after.
  for (const AuditEntry& e : before.audit) {
    EXPECT_EQ(e.old_value.has_value(), e.kind != WriteKind::kCreate) << e.sequence;
    EXPECT_EQ(e.new_value.has_value(), e.kind != WriteKind::kDelete) << e.sequence;
    if (e.kind == WriteKind::kUpdate && e.entity == EntityKind::kCustomer &&
        e.record == c_person) {
      EXPECT_NE(std::get<Customer>(*e.old_value).name, "Émile Z.");
      EXPECT_EQ(std::get<Customer>(*e.new_value).name, "Émile Z.");
      EXPECT_EQ(std::get<Customer>(*e.new_value).revision,
                std::get<Customer>(*e.old_value).revision + 1);
    }
    if (e.kind == WriteKind::kDelete && e.record == c_doomed &&
        e.entity == EntityKind::kCustomer) {
      EXPECT_EQ(std::get<Customer>(*e.old_value).name, "Doomed");
    }
  }
  EXPECT_EQ(before.counts.audit_entries, audit_.size());
  EXPECT_EQ(before.customers.count(c_doomed), 0u);
  EXPECT_TRUE(before.customers.at(bulk[0]).relations.empty());

  Reopen();
  const Dump after = Take(db(), max_id);
  ExpectSame(before, after);

  // Paging the audit log.
  std::vector<AuditEntry> paged;
  for (uint64_t after_seq = 0;;) {
    Result<std::vector<AuditEntry>> page = db().AuditLog(after_seq, 7);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 7u);
    paged.insert(paged.end(), page->begin(), page->end());
    after_seq = page->back().sequence;
  }
  EXPECT_EQ(paged, before.audit);
  // Nothing after the last entry, however far after it.
  for (uint64_t beyond : {uint64_t{audit_.size()}, uint64_t{audit_.size()} + 1,
                          uint64_t{UINT64_MAX} - 1, uint64_t{UINT64_MAX}}) {
    Result<std::vector<AuditEntry>> none = db().AuditLog(beyond, 100);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty()) << "after " << beyond << ": " << none->size() << " entries";
  }
  EXPECT_EQ(db().AuditLog(0, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(db().AuditLog(0, 10001).status().code(), Code::kInvalidArgument);

  // Ids and the audit sequence continue after a reopen; deleted ids are not
  // reused.
  const Id next = Make(u1, Individual("After Reopen"));
  EXPECT_EQ(next, c_doomed + 1);
  Result<std::vector<AuditEntry>> last = db().AuditLog(audit_.size() - 2, 10);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ(Header(last->back()), audit_.back());
  // Keys stay unique across the reopen.
  Result<Id> dup = db().Create(Actor{}, Individual("Dup", {"+86 137 0013 7001"}));
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(dup.status().existing_id(), c_person);
  // A second reopen without writes in between changes nothing either.
  const Dump again = Take(db(), max_id);
  Reopen();
  ExpectSame(again, Take(db(), max_id));
}

// ------------------------------------------------------------- open refusals

// Rewrites the meta record of a closed data directory with another schema
// version, using LMDB and Cap'n Proto directly.
void SetSchemaVersion(const std::string& dir, uint32_t version) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 16), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, internal::kDbiNames[internal::kMeta], 0, &dbi), 0);
  MDB_val key = internal::MetaKey();
  MDB_val value;
  ASSERT_EQ(mdb_get(txn, dbi, &key, &value), 0);
  ASSERT_EQ(value.mv_size % sizeof(capnp::word), 0u);
  std::vector<capnp::word> words(value.mv_size / sizeof(capnp::word));
  std::memcpy(words.data(), value.mv_data, value.mv_size);
  capnp::FlatArrayMessageReader reader(kj::ArrayPtr<const capnp::word>(words.data(), words.size()));
  schema::Meta::Reader old_meta = reader.getRoot<schema::Meta>();
  capnp::MallocMessageBuilder builder;
  schema::Meta::Builder meta = builder.initRoot<schema::Meta>();
  meta.setSchemaVersion(version);
  meta.setLastIds(old_meta.getLastIds());
  meta.setLastAuditSequence(old_meta.getLastAuditSequence());
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(builder);
  MDB_val new_value{flat.asBytes().size(), flat.asBytes().begin()};
  ASSERT_EQ(mdb_put(txn, dbi, &key, &new_value, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

Options TestOptions(const std::string& dir) {
  Options options;
  options.data_dir = dir;
  options.no_sync = true;
  options.clock = [] { return kTestNow; };
  return options;
}

// A data directory written before the audit log had its indexes: opening it
// indexes every entry, in transactions that grow the map when it fills (the
// copy below is compacted, so the map starts full).
TEST(PersistenceOpenTest, AnAuditLogWithoutIndexesIsIndexedAtOpenAndTheMapGrows) {
  testing::TempDir dir;
  std::vector<Id> ids;
  {
    auto db = testing::OpenEngine(dir.path());
    ASSERT_NE(db, nullptr);
    std::vector<WriteOp> ops;
    for (int i = 0; i < 3000; ++i) ops.push_back(CreateOp(Individual("Old " + std::to_string(i))));
    for (const WriteResult& r : db->Write(Actor{}, std::move(ops), false)) {
      ASSERT_TRUE(r.status.ok());
      ids.push_back(r.id);
    }
  }
  // As an older build left it: no index entries, a meta record without the
  // indexed-through mark.
  SetSchemaVersion(dir.path(), kSchemaVersion);
  if (::testing::Test::HasFatalFailure()) return;
  std::string compact = dir.Sub("compact");
  ASSERT_EQ(mkdir(compact.c_str(), 0755), 0);
  {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 32), 0);
    ASSERT_EQ(mdb_env_open(env, dir.path().c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    for (internal::Dbi index : {internal::kAuditByRecord, internal::kAuditByUser}) {
      const char* name = internal::kDbiNames[index];
      MDB_dbi dbi;
      ASSERT_EQ(mdb_dbi_open(txn, name, 0, &dbi), 0);
      ASSERT_EQ(mdb_drop(txn, dbi, 0), 0);
    }
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    ASSERT_EQ(mdb_env_copy2(env, compact.c_str(), MDB_CP_COMPACT), 0);
    mdb_env_close(env);
  }
  Options options = TestOptions(compact);
  options.initial_map_bytes = 64 * 1024;  // smaller than the file: the map is the file
  auto reopened = Engine::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Engine& db = **reopened;
  EXPECT_GE(db.Writer().map_growths, 1u);
  for (Id id : {ids.front(), ids[1500], ids.back()}) {
    AuditQuery query;
    query.entity = EntityKind::kCustomer;
    query.record = id;
    AuditPage page = Must(db.QueryAudit(query));
    ASSERT_EQ(page.entries.size(), 1u) << "customer " << id;
    EXPECT_EQ(page.entries[0].kind, WriteKind::kCreate);
  }
  AuditQuery by_user;
  by_user.user = 0;
  by_user.limit = 10000;
  EXPECT_EQ(Must(db.QueryAudit(by_user)).entries.size(), ids.size());
}

// The databases a data directory holds are exactly those format.h lists.
TEST(PersistenceOpenTest, ADataDirectoryHoldsTheDatabasesOfTheFormat) {
  testing::TempDir dir;
  ASSERT_NE(testing::OpenEngine(dir.path()), nullptr);
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_open(env, dir.path().c_str(), MDB_RDONLY, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
  MDB_dbi main_dbi;
  ASSERT_EQ(mdb_dbi_open(txn, nullptr, 0, &main_dbi), 0);
  MDB_cursor* cursor = nullptr;
  ASSERT_EQ(mdb_cursor_open(txn, main_dbi, &cursor), 0);
  std::set<std::string> found;
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    found.emplace(static_cast<const char*>(key.mv_data), key.mv_size);
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  std::set<std::string> expected(std::begin(internal::kDbiNames), std::end(internal::kDbiNames));
  EXPECT_EQ(found, expected);
}

TEST(PersistenceOpenTest, NewerSchemaVersionIsRefused) {
  testing::TempDir dir;
  Id id = 0;
  {
    auto db = testing::OpenEngine(dir.path());
    ASSERT_NE(db, nullptr);
    id = Must(db->Create(Actor{}, Individual("Kept", {Mobile(1)})));
  }
  SetSchemaVersion(dir.path(), kSchemaVersion + 1);
  if (::testing::Test::HasFatalFailure()) return;
  Result<std::unique_ptr<Engine>> refused = Engine::Open(TestOptions(dir.path()));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("schema version " +
                                            std::to_string(kSchemaVersion + 1)),
            std::string::npos)
      << refused.status().message();
  // The refusal left the directory alone and released it: the same version
  // is still refused, and once rewritten to ours, it opens with its data.
  Result<std::unique_ptr<Engine>> again = Engine::Open(TestOptions(dir.path()));
  EXPECT_EQ(again.status().code(), Code::kUnavailable);
  EXPECT_NE(again.status().message().find("schema version"), std::string::npos)
      << "refused for the version, not for a lock left behind: " << again.status().message();
  SetSchemaVersion(dir.path(), kSchemaVersion);
  auto reopened = testing::OpenEngine(dir.path());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(Must(reopened->FindCustomer(CardKey::ByPhone(Mobile(1)))), id);
  EXPECT_EQ(Must(reopened->Create(Actor{}, Individual("Next"))), id + 1);
}

TEST(PersistenceOpenTest, OlderSchemaVersionOpens) {
  testing::TempDir dir;
  { ASSERT_NE(testing::OpenEngine(dir.path()), nullptr); }
  SetSchemaVersion(dir.path(), 0);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_TRUE(Engine::Open(TestOptions(dir.path())).ok());
}

TEST(PersistenceOpenTest, SecondOpenOfTheSameDirectoryIsRefused) {
  testing::TempDir dir;
  auto first = testing::OpenEngine(dir.path());
  ASSERT_NE(first, nullptr);
  Id id = Must(first->Create(Actor{}, Individual("First")));
  Result<std::unique_ptr<Engine>> second = Engine::Open(TestOptions(dir.path()));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kInUse);
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos)
      << second.status().message();
  // The refused opener did not disturb the first.
  EXPECT_TRUE(first->Create(Actor{}, Individual("Still writable")).ok());
  EXPECT_TRUE(first->GetCustomer(id).ok());
  first.reset();
  auto third = testing::OpenEngine(dir.path());
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->Counts().customers, 2u);
}

TEST(PersistenceOpenTest, BadOptionsAreRefused) {
  Options options;
  EXPECT_EQ(Engine::Open(options).status().code(), Code::kInvalidArgument);
  testing::TempDir dir;
  options = TestOptions(dir.path());
  options.default_region = "CHN";
  EXPECT_EQ(Engine::Open(options).status().code(), Code::kInvalidArgument);
  options = TestOptions("/proc/crm-cannot-create-this");
  EXPECT_EQ(Engine::Open(options).status().code(), Code::kUnavailable);
}

// ---------------------------------------------------------------- map growth

// From a 1 MiB map, ~20 MB of data in multi-op batches: every batch that
// hits a full map is redone after the map grows, and must store exactly
// what was asked.
TEST(PersistenceMapTest, MapGrowsFromOneMebibyte) {
  testing::TempDir dir;
  Options options = TestOptions(dir.path());
  options.initial_map_bytes = uint64_t{1} << 20;
  std::map<Id, Interaction> interactions;
  std::map<Id, std::string> customers;  // id -> phone
  std::mt19937_64 rng(5);
  auto notes = [&](int seed) {
    std::string s(60 * 1024, ' ');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + (seed + i * 7) % 26);
    return s;
  };
  {
    auto opened = Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    std::unique_ptr<Engine> db = std::move(opened).value();
    int serial = 0;
    for (int batch = 0; batch < 40; ++batch) {
      // A customer and several large interactions for it, in one atomic write.
      std::vector<WriteOp> ops;
      std::string phone = Mobile(static_cast<uint64_t>(batch));
      Customer c = Individual("Customer " + std::to_string(batch), {phone});
      c.attributes = {{"blob", std::string(1000, 'x')}};
      ops.push_back(CreateOp(c));
      WriteResult created = db->Write(Actor{}, std::move(ops), true)[0];
      ASSERT_TRUE(created.status.ok()) << created.status.ToString();
      customers[created.id] = phone;
      ops.clear();
      std::vector<Interaction> sent;
      for (int i = 0; i < 8; ++i) {
        Interaction in = InteractionOf(created.id, kTestNow - (serial + 1) * kHour);
        in.notes = notes(serial);
        in.subject = "subject " + std::to_string(serial);
        ++serial;
        sent.push_back(in);
        ops.push_back(CreateOp(in));
      }
      std::vector<WriteResult> results = db->Write(Actor{}, std::move(ops), batch % 2 == 0);
      ASSERT_EQ(results.size(), sent.size());
      for (size_t i = 0; i < results.size(); ++i) {
        ASSERT_TRUE(results[i].status.ok()) << "batch " << batch << " op " << i << ": "
                                            << results[i].status.ToString();
        sent[i].id = results[i].id;
        Result<Interaction> stored = db->GetInteraction(results[i].id);
        ASSERT_TRUE(stored.ok());
        // (Not EXPECT_EQ: a 60 KiB mismatch would flood the log.)
        EXPECT_TRUE(stored->notes == sent[i].notes)
            << "batch " << batch << " op " << i << ": notes of " << stored->notes.size()
            << " bytes, not " << sent[i].notes.size();
        EXPECT_EQ(stored->subject, sent[i].subject) << "batch " << batch << " op " << i;
        interactions[results[i].id] = *stored;
      }
    }
    EXPECT_EQ(db->Counts().interactions, 320u);  // 320 x 60 KiB ~ 20 MB
  }
  auto reopened = Engine::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  std::unique_ptr<Engine> db = std::move(reopened).value();
  EXPECT_EQ(db->Counts().interactions, interactions.size());
  EXPECT_EQ(db->Counts().customers, customers.size());
  for (const auto& [id, interaction] : interactions) {
    Result<Interaction> stored = db->GetInteraction(id);
    ASSERT_TRUE(stored.ok()) << id;
    EXPECT_TRUE(*stored == interaction) << "interaction " << id << " changed across the reopen";
  }
  for (const auto& [id, phone] : customers) {
    EXPECT_EQ(Must(db->FindCustomer(CardKey::ByPhone(phone))), id);
    EXPECT_EQ(db->GetCustomer(id)->attributes[0].value, std::string(1000, 'x'));
  }
  // And it still takes writes.
  EXPECT_TRUE(db->Create(Actor{}, Individual("One more")).ok());
}

// --------------------------------------------------------------- concurrency

// 8 writers and 4 readers at once. Each writer creates customers, then adds
// three interactions and a "complete" tag to each in one atomic batch: a
// reader must see the tag and the three interactions together or neither
// (no torn batch), and every customer acknowledged to a writer must be found,
// complete, by every later read.
TEST(PersistenceConcurrencyTest, WritersAndReaders) {
  testing::TempDir dir;
  auto db = testing::OpenEngine(dir.path());
  ASSERT_NE(db, nullptr);
  constexpr int kWriters = 8;
  constexpr int kReaders = 4;
  constexpr int kWritesPerWriter = 60;
  auto phone_of = [](int writer, int i) {
    return Mobile(static_cast<uint64_t>(writer) * 100'000 + static_cast<uint64_t>(i));
  };
  // acked[w] = how many of writer w's customers were acknowledged.
  std::vector<std::atomic<int>> acked(kWriters);
  std::vector<std::vector<Id>> ids(kWriters);
  std::atomic<int> writers_done{0};
  std::atomic<int> failures{0};
  std::atomic<long> reads{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kWritesPerWriter; ++i) {
        // Two atomic writes: the customer alone, then its three
        // interactions together with a "complete" tag on it.
        std::vector<WriteOp> ops;
        Customer c = Individual("W" + std::to_string(w) + "-" + std::to_string(i),
                                {phone_of(w, i)});
        ops.push_back(CreateOp(c));
        std::vector<WriteResult> r = db->Write(Actor{}, std::move(ops), true);
        if (!r[0].status.ok()) {
          ++failures;
          continue;
        }
        ops.clear();
        for (int k = 0; k < 3; ++k) {
          ops.push_back(CreateOp(InteractionOf(r[0].id, kTestNow - (k + 1) * kHour)));
        }
        Customer tagged = c;
        tagged.id = r[0].id;
        tagged.tags = {"complete"};
        ops.push_back(UpdateOp(tagged));
        std::vector<WriteResult> rest = db->Write(Actor{}, std::move(ops), true);
        for (const auto& x : rest) {
          if (!x.status.ok()) ++failures;
        }
        ids[w].push_back(r[0].id);
        acked[w].store(i + 1, std::memory_order_release);
      }
      ++writers_done;
    });
  }
  for (int reader = 0; reader < kReaders; ++reader) {
    threads.emplace_back([&, reader] {
      std::mt19937_64 rng(static_cast<uint64_t>(reader));
      for (long loop = 0; loop < 200'000; ++loop) {
        bool done = writers_done.load() == kWriters;
        int w = static_cast<int>(rng() % kWriters);
        int known = acked[w].load(std::memory_order_acquire);
        // Either an acknowledged customer (must be found and complete) or
        // one that may be in flight (if found: whole).
        int i = static_cast<int>(rng() % static_cast<uint64_t>(known + 1));
        if (i >= kWritesPerWriter) i = kWritesPerWriter - 1;
        Result<CustomerCard> card = db->Card(CardKey::ByPhone(phone_of(w, i)));
        ++reads;
        if (card.ok()) {
          bool complete = card->customer.tags == std::vector<std::string>{"complete"};
          uint64_t n = card->interaction_count;
          // The tag and the interactions were committed in one batch.
          if ((complete && n != 3) || (!complete && n != 0)) ++failures;
          if (i < known && !complete) ++failures;
        } else if (i < known || card.status().code() != Code::kNotFound) {
          ++failures;
        }
        if (done) break;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);

  auto check = [&](const Engine& e) {
    StoreCounts counts = e.Counts();
    EXPECT_EQ(counts.customers, uint64_t{kWriters} * kWritesPerWriter);
    EXPECT_EQ(counts.interactions, uint64_t{kWriters} * kWritesPerWriter * 3);
    // Two writes per customer: create; 3 interactions + 1 update.
    EXPECT_EQ(counts.audit_entries, uint64_t{kWriters} * kWritesPerWriter * 5);
    std::set<Id> distinct;
    for (int w = 0; w < kWriters; ++w) {
      ASSERT_EQ(ids[w].size(), size_t{kWritesPerWriter});
      for (int i = 0; i < kWritesPerWriter; ++i) {
        Result<CustomerCard> card = e.Card(CardKey::ByPhone(phone_of(w, i)));
        ASSERT_TRUE(card.ok());
        EXPECT_EQ(card->customer.id, ids[w][i]);
        EXPECT_EQ(card->interaction_count, 3u);
        distinct.insert(ids[w][i]);
      }
    }
    EXPECT_EQ(distinct.size(), size_t{kWriters} * kWritesPerWriter);
    // The audit log is gap-free under concurrency.
    Result<std::vector<AuditEntry>> audit = e.AuditLog(0, 10000);
    ASSERT_TRUE(audit.ok());
    for (size_t i = 0; i < audit->size(); ++i) EXPECT_EQ((*audit)[i].sequence, i + 1);
  };
  check(*db);
  db.reset();
  db = testing::OpenEngine(dir.path());
  ASSERT_NE(db, nullptr);
  check(*db);
}

}  // namespace
}  // namespace crm::engine
