// Validation of every entity on create, update and delete: the exact code and
// field of each refusal, references between records, optimistic concurrency,
// cascades, and all-or-nothing batches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine_test_base.h"

namespace crm::engine {
namespace {

using testing::ContactOf;
using testing::CreateOp;
using testing::DeleteOp;
using testing::Individual;
using testing::InteractionOf;
using testing::Mobile;
using testing::Must;
using testing::Organization;
using testing::TransactionOf;
using testing::UpdateOp;
using testing::UserNamed;

constexpr Micros kDay = 86'400'000'000;
const std::string kBadUtf8 = "\xC3\x28";

#define EXPECT_REFUSED(expr, code_, field_)                                   \
  do {                                                                        \
    ::crm::engine::Status s_ = (expr);                                        \
    EXPECT_EQ(s_.code(), code_) << #expr << " -> " << s_.ToString();          \
    EXPECT_EQ(s_.field(), field_) << #expr << " -> " << s_.ToString();        \
    EXPECT_FALSE(s_.message().empty()) << #expr;                              \
  } while (0)

class ValidationTest : public testing::EngineTest {
 protected:
  Status Create(Record r) {
    Result<Id> id = db().Create(Actor{}, std::move(r));
    return id.ok() ? Status::Ok() : id.status();
  }
  Status Update(Record r) { return db().Update(Actor{}, std::move(r)); }

  // Everything observable about the store, to prove a refusal changed nothing.
  struct Snapshot {
    StoreCounts counts;
    std::vector<Customer> customers;
    std::vector<AuditEntry> audit;
  };
  Snapshot Take() {
    Snapshot s;
    s.counts = db().Counts();
    for (Id id = 1; id < 50; ++id) {
      if (Result<Customer> c = db().GetCustomer(id); c.ok()) s.customers.push_back(*c);
    }
    s.audit = Must(db().AuditLog(0, 10000));
    return s;
  }
  void ExpectUnchanged(const Snapshot& before) {
    Snapshot after = Take();
    EXPECT_EQ(after.counts.customers, before.counts.customers);
    EXPECT_EQ(after.counts.contacts, before.counts.contacts);
    EXPECT_EQ(after.counts.interactions, before.counts.interactions);
    EXPECT_EQ(after.counts.transactions, before.counts.transactions);
    EXPECT_EQ(after.counts.opportunities, before.counts.opportunities);
    EXPECT_EQ(after.counts.contracts, before.counts.contracts);
    EXPECT_EQ(after.counts.tasks, before.counts.tasks);
    EXPECT_EQ(after.counts.users, before.counts.users);
    EXPECT_EQ(after.counts.audit_entries, before.counts.audit_entries);
    EXPECT_EQ(after.customers, before.customers);
    EXPECT_EQ(after.audit, before.audit);
  }
};

// ------------------------------------------------------------------- fields

TEST_F(ValidationTest, CustomerFields) {
  auto with = [](auto change) {
    Customer c = Individual("Valid Name");
    change(c);
    return c;
  };
  using Code::kInvalidArgument;
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = kBadUtf8; })), kInvalidArgument,
                 "customer.name");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = ""; })), kInvalidArgument,
                 "customer.name");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = "   "; })), kInvalidArgument,
                 "customer.name");  // empty once trimmed
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = "Tab\tName"; })), kInvalidArgument,
                 "customer.name");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = std::string(257, 'a'); })),
                 kInvalidArgument, "customer.name");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = std::string(5000, 'a'); })),
                 kInvalidArgument, "customer.name");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.name = "Tab\x01Name"; })), kInvalidArgument,
                 "customer.name");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.kind = static_cast<CustomerKind>(2); })),
                 kInvalidArgument, "customer.kind");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.lifecycle = static_cast<Lifecycle>(99); })),
                 kInvalidArgument, "customer.lifecycle");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.size_band = static_cast<SizeBand>(6); })),
                 kInvalidArgument, "customer.size_band");
  EXPECT_REFUSED(
      Create(with([](Customer& c) { c.payment_method = static_cast<PaymentMethod>(8); })),
      kInvalidArgument, "customer.payment_method");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.credit_level = static_cast<CreditLevel>(7); })),
                 kInvalidArgument, "customer.credit_level");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.gender = static_cast<Gender>(4); })),
                 kInvalidArgument, "customer.gender");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.income_band = static_cast<IncomeBand>(6); })),
                 kInvalidArgument, "customer.income_band");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.birth_year = 1800; })), kInvalidArgument,
                 "customer.birth_year");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.birth_year = 2101; })), kInvalidArgument,
                 "customer.birth_year");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.external_ref = "ref\nwith newline"; })),
                 kInvalidArgument, "customer.external_ref");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.external_ref = std::string(129, 'r'); })),
                 kInvalidArgument, "customer.external_ref");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.tax_id = std::string(33, '9'); })),
                 kInvalidArgument, "customer.tax_id");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.phones = {Mobile(1), "not a phone"}; })),
                 kInvalidArgument, "customer.phones[1]");
  EXPECT_REFUSED(Create(with([](Customer& c) {
                   for (int i = 0; i < 17; ++i) c.phones.push_back(Mobile(i));
                 })),
                 kInvalidArgument, "customer.phones");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.emails = {"a@example.com", "broken"}; })),
                 kInvalidArgument, "customer.emails[1]");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.region.country = "cn"; })), kInvalidArgument,
                 "customer.region.country");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.region.country = "CHN"; })), kInvalidArgument,
                 "customer.region.country");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.region.city = kBadUtf8; })), kInvalidArgument,
                 "customer.region.city");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.tags = {"vip", ""}; })), kInvalidArgument,
                 "customer.tags[1]");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.tags.assign(65, "t"); })), kInvalidArgument,
                 "customer.tags");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.attributes = {{"k", "1"}, {"k", "2"}}; })),
                 kInvalidArgument, "customer.attributes[1]");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.attributes = {{"", "v"}}; })),
                 kInvalidArgument, "customer.attributes[0].key");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.attributes = {{"k", std::string(1025, 'v')}}; })),
                 kInvalidArgument, "customer.attributes[0].value");
  EXPECT_REFUSED(Create(with([](Customer& c) { c.relations = {{0, RelationKind::kParent}}; })),
                 kInvalidArgument, "customer.relations[0].customer");
  EXPECT_REFUSED(Create(with([](Customer& c) {
                   c.relations = {{1, static_cast<RelationKind>(9)}};
                 })),
                 kInvalidArgument, "customer.relations[0].kind");
  // Individual fields on an organization.
  auto org_with = [](auto change) {
    Customer c = Organization("Org");
    change(c);
    return c;
  };
  EXPECT_REFUSED(Create(org_with([](Customer& c) { c.gender = Gender::kFemale; })),
                 kInvalidArgument, "customer.kind");
  EXPECT_REFUSED(Create(org_with([](Customer& c) { c.birth_year = 1980; })), kInvalidArgument,
                 "customer.kind");
  EXPECT_REFUSED(Create(org_with([](Customer& c) { c.occupation = "Engineer"; })),
                 kInvalidArgument, "customer.kind");
  EXPECT_REFUSED(Create(org_with([](Customer& c) { c.income_band = IncomeBand::kHigh; })),
                 kInvalidArgument, "customer.kind");
  EXPECT_EQ(db().Counts().customers, 0u) << "nothing above was stored";

  // Boundaries that pass, and canonical forms.
  Customer ok = with([](Customer& c) {
    c.name = std::string(256, 'n');
    c.birth_year = 1900;
    c.region.country = "CN";
    c.attributes = {{"k", "line one\nline two\ttabbed"}};
  });
  EXPECT_TRUE(Create(ok).ok());
  Id spaced = MustCreate(Individual("  Wang   Xiao\u3000Ming  "));
  ASSERT_NE(spaced, 0u);
  EXPECT_EQ(db().GetCustomer(spaced)->name, "Wang Xiao Ming");
  Id wide = MustCreate(Individual("ＡＢＣ　公司"));  // full-width: NFKC
  ASSERT_NE(wide, 0u);
  EXPECT_EQ(db().GetCustomer(wide)->name, "ABC 公司");
}

TEST_F(ValidationTest, ContactFields) {
  Id org = MustCreate(Organization("Org"));
  Id person = MustCreate(Individual("Person"));
  using Code::kInvalidArgument;
  EXPECT_REFUSED(Create(ContactOf(org, kBadUtf8)), kInvalidArgument, "contact.name");
  EXPECT_REFUSED(Create(ContactOf(org, "")), kInvalidArgument, "contact.name");
  EXPECT_REFUSED(Create(ContactOf(0, "No customer")), kInvalidArgument, "contact.customer");
  EXPECT_REFUSED(Create(ContactOf(999, "Missing customer")), Code::kNotFound,
                 "contact.customer");
  EXPECT_REFUSED(Create(ContactOf(person, "On an individual")), kInvalidArgument,
                 "contact.customer");
  Contact titled = ContactOf(org, "Titled");
  titled.title = std::string(129, 't');
  EXPECT_REFUSED(Create(titled), kInvalidArgument, "contact.title");
  EXPECT_REFUSED(Create(ContactOf(org, "P", {"12"})), kInvalidArgument, "contact.phones[0]");
  EXPECT_REFUSED(Create(ContactOf(org, "E", {}, {"x@y"})), kInvalidArgument, "contact.emails[0]");
  EXPECT_EQ(db().Counts().contacts, 0u);
  EXPECT_NE(MustCreate(ContactOf(org, "Fine", {Mobile(1)}, {"fine@example.com"})), 0u);
}

TEST_F(ValidationTest, InteractionFields) {
  Id c = MustCreate(Individual("C"));
  auto with = [&](auto change) {
    Interaction i = InteractionOf(c, testing::kTestNow - kDay);
    change(i);
    return i;
  };
  using Code::kInvalidArgument;
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.channel = static_cast<Channel>(99); })),
                 kInvalidArgument, "interaction.channel");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.direction = static_cast<Direction>(2); })),
                 kInvalidArgument, "interaction.direction");
  EXPECT_REFUSED(
      Create(with([](Interaction& i) { i.complaint = static_cast<ComplaintState>(4); })),
      kInvalidArgument, "interaction.complaint");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.satisfaction = 6; })), kInvalidArgument,
                 "interaction.satisfaction");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.notes = std::string(64 * 1024 + 1, 'n'); })),
                 kInvalidArgument, "interaction.notes");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.notes = "bell\x07"; })), kInvalidArgument,
                 "interaction.notes");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.notes = kBadUtf8; })), kInvalidArgument,
                 "interaction.notes");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.subject = "two\nlines"; })),
                 kInvalidArgument, "interaction.subject");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.subject = std::string(513, 's'); })),
                 kInvalidArgument, "interaction.subject");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.outcome = std::string(257, 'o'); })),
                 kInvalidArgument, "interaction.outcome");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.time = -3'000'000'000'000'000; })),
                 kInvalidArgument, "interaction.time");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.time = 8'000'000'000'000'000; })),
                 kInvalidArgument, "interaction.time");
  EXPECT_REFUSED(Create(with([](Interaction& i) { i.customer = 0; })), kInvalidArgument,
                 "interaction.customer");
  EXPECT_EQ(db().Counts().interactions, 0u);
  // Boundaries.
  EXPECT_TRUE(Create(with([](Interaction& i) {
                i.satisfaction = 5;
                i.notes = std::string(64 * 1024 - 3, 'n') + "\r\n\t";
                i.subject = std::string(512, 's');
              })).ok());
}

TEST_F(ValidationTest, TransactionFields) {
  Id c = MustCreate(Individual("C"));
  auto with = [&](const char* currency) {
    Transaction t = TransactionOf(c, testing::kTestNow - kDay);
    t.amount.currency = Currency(currency);
    return t;
  };
  for (const char* bad : {"cny", "CN", "", "C1Y", "¥"}) {
    EXPECT_REFUSED(Create(with(bad)), Code::kInvalidArgument, "transaction.amount");
  }
  Transaction zero = with("");
  zero.amount.minor_units = 0;
  // A transaction always names its currency, even for a zero amount.
  EXPECT_REFUSED(Create(zero), Code::kInvalidArgument, "transaction.amount");
  Transaction method = with("CNY");
  method.payment_method = static_cast<PaymentMethod>(42);
  EXPECT_REFUSED(Create(method), Code::kInvalidArgument, "transaction.payment_method");
  Transaction category = with("CNY");
  category.product_category = std::string(129, 'c');
  EXPECT_REFUSED(Create(category), Code::kInvalidArgument, "transaction.product_category");
  EXPECT_EQ(db().Counts().transactions, 0u);
  Transaction ok = with("USD");
  ok.amount.minor_units = -500;  // refunds are negative
  ok.margin_minor_units = -20;
  EXPECT_TRUE(Create(ok).ok());
  // "CNYX" keeps its first three letters.
  Transaction longer = with("CNYX");
  Result<Id> id = db().Create(Actor{}, longer);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(db().GetTransaction(*id)->amount.currency.code(), "CNY");
}

TEST_F(ValidationTest, OpportunityContractTaskUserFields) {
  Id c = MustCreate(Organization("C"));
  using Code::kInvalidArgument;
  Opportunity o;
  o.customer = c;
  o.name = "Deal";
  Opportunity bad = o;
  bad.probability = 101;
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.probability");
  bad = o;
  bad.stage = static_cast<Stage>(6);
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.stage");
  bad = o;
  bad.name = "";
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.name");
  bad = o;
  bad.name = kBadUtf8;
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.name");
  bad = o;
  bad.amount = Money{1000, Currency("cny")};
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.amount");
  bad = o;
  bad.amount = Money{1000, Currency()};
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.amount");
  bad = o;
  bad.expected_close = 9'000'000'000'000'000;
  EXPECT_REFUSED(Create(bad), kInvalidArgument, "opportunity.expected_close");
  Opportunity fine = o;
  fine.probability = 100;  // no amount, no currency: fine
  EXPECT_TRUE(Create(fine).ok());

  Contract k;
  k.customer = c;
  k.number = "K-1";
  Contract kbad = k;
  kbad.status = static_cast<ContractStatus>(4);
  EXPECT_REFUSED(Create(kbad), kInvalidArgument, "contract.status");
  kbad = k;
  kbad.start_at = testing::kTestNow;
  kbad.end_at = testing::kTestNow - kDay;
  EXPECT_REFUSED(Create(kbad), kInvalidArgument, "contract.end_at");
  kbad = k;
  kbad.amount = Money{5, Currency("CN")};
  EXPECT_REFUSED(Create(kbad), kInvalidArgument, "contract.amount");
  kbad = k;
  kbad.number = std::string(65, '1');
  EXPECT_REFUSED(Create(kbad), kInvalidArgument, "contract.number");
  EXPECT_TRUE(Create(k).ok());

  Task t;
  t.title = "Call back";
  Task tbad = t;
  tbad.title = "";
  EXPECT_REFUSED(Create(tbad), kInvalidArgument, "task.title");
  tbad = t;
  tbad.notes = std::string(64 * 1024 + 1, 'x');
  EXPECT_REFUSED(Create(tbad), kInvalidArgument, "task.notes");
  tbad = t;
  tbad.due_at = -9'000'000'000'000'000;
  EXPECT_REFUSED(Create(tbad), kInvalidArgument, "task.due_at");
  EXPECT_TRUE(Create(t).ok());

  User u = UserNamed("Agent Smith");
  User ubad = u;
  ubad.role = static_cast<Role>(3);
  EXPECT_REFUSED(Create(ubad), kInvalidArgument, "user.role");
  ubad = u;
  ubad.name = kBadUtf8;
  EXPECT_REFUSED(Create(ubad), kInvalidArgument, "user.name");
  ubad = u;
  ubad.name = "";
  EXPECT_REFUSED(Create(ubad), kInvalidArgument, "user.name");
  EXPECT_TRUE(Create(u).ok());
  StoreCounts counts = db().Counts();
  EXPECT_EQ(counts.opportunities, 1u);
  EXPECT_EQ(counts.contracts, 1u);
  EXPECT_EQ(counts.tasks, 1u);
  EXPECT_EQ(counts.users, 1u);
}

// --------------------------------------------------------------- references

TEST_F(ValidationTest, References) {
  Id a = MustCreate(Organization("A"));
  Id b = MustCreate(Organization("B"));
  Id user = MustCreate(UserNamed("Owner"));
  Id contact_b = MustCreate(ContactOf(b, "Contact of B"));
  Opportunity opp;
  opp.customer = b;
  opp.name = "B's deal";
  Id opp_b = MustCreate(opp);
  using Code::kInvalidArgument;
  using Code::kNotFound;

  EXPECT_REFUSED(Create(InteractionOf(999, testing::kTestNow)), kNotFound,
                 "interaction.customer");
  EXPECT_REFUSED(Create(TransactionOf(999, testing::kTestNow)), kNotFound,
                 "transaction.customer");
  Interaction i = InteractionOf(a, testing::kTestNow);
  i.contact = contact_b;
  EXPECT_REFUSED(Create(i), kInvalidArgument, "interaction.contact");
  i.contact = 777;
  EXPECT_REFUSED(Create(i), kNotFound, "interaction.contact");
  i.contact = 0;
  i.opportunity = opp_b;
  EXPECT_REFUSED(Create(i), kInvalidArgument, "interaction.opportunity");
  i.opportunity = 555;
  EXPECT_REFUSED(Create(i), kNotFound, "interaction.opportunity");
  i.opportunity = 0;
  i.agent = 42;
  EXPECT_REFUSED(Create(i), kNotFound, "interaction.agent");
  i.agent = user;
  EXPECT_TRUE(Create(i).ok());

  Customer owned = Individual("Owned");
  owned.owner = 42;
  EXPECT_REFUSED(Create(owned), kNotFound, "customer.owner");
  owned.owner = user;
  owned.relations = {{a, RelationKind::kPartner}, {999, RelationKind::kRelated}};
  EXPECT_REFUSED(Create(owned), kNotFound, "customer.relations[1].customer");
  owned.relations = {{a, RelationKind::kPartner}, {a, RelationKind::kPartner}};
  EXPECT_REFUSED(Create(owned), kInvalidArgument, "customer.relations[1]");
  owned.relations = {{a, RelationKind::kPartner}, {a, RelationKind::kRelated}};
  Id owned_id = Must(db().Create(Actor{}, owned));
  Customer self = *db().GetCustomer(owned_id);
  self.relations.push_back({owned_id, RelationKind::kRelated});
  EXPECT_REFUSED(Update(self), kInvalidArgument, "customer.relations[2].customer");

  Opportunity o;
  o.customer = a;
  o.name = "Owned deal";
  o.owner = 42;
  EXPECT_REFUSED(Create(o), kNotFound, "opportunity.owner");
  o.customer = 999;
  o.owner = 0;
  EXPECT_REFUSED(Create(o), kNotFound, "opportunity.customer");

  Contract k;
  k.customer = a;
  k.opportunity = opp_b;
  EXPECT_REFUSED(Create(k), kInvalidArgument, "contract.opportunity");
  k.opportunity = 555;
  EXPECT_REFUSED(Create(k), kNotFound, "contract.opportunity");
  k.customer = 999;
  k.opportunity = 0;
  EXPECT_REFUSED(Create(k), kNotFound, "contract.customer");

  Task t;
  t.title = "T";
  t.assignee = 42;
  EXPECT_REFUSED(Create(t), kNotFound, "task.assignee");
  t.assignee = 0;
  t.customer = 999;
  EXPECT_REFUSED(Create(t), kNotFound, "task.customer");

  // A record created earlier in the same batch can be referenced.
  std::vector<WriteOp> ops;
  ops.push_back(CreateOp(Organization("New Org")));
  // Ids are dense and refused creates consume none: the next is owned_id + 1.
  ops.push_back(CreateOp(ContactOf(owned_id + 1, "Its contact")));
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), true);
  ASSERT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_EQ(results[0].id, owned_id + 1);
  EXPECT_TRUE(results[1].status.ok()) << results[1].status.ToString();
}

// ----------------------------------------------------------- create / update

TEST_F(ValidationTest, IdsRevisionsAndMoves) {
  Customer with_id = Individual("Has Id");
  with_id.id = 5;
  EXPECT_REFUSED(Create(with_id), Code::kInvalidArgument, "customer.id");
  Interaction i_with_id = InteractionOf(1, testing::kTestNow);
  i_with_id.id = 1;
  EXPECT_REFUSED(Create(i_with_id), Code::kInvalidArgument, "interaction.id");

  Customer missing = Individual("Missing");
  missing.id = 77;
  EXPECT_REFUSED(Update(missing), Code::kNotFound, "customer.id");
  Contact missing_contact = ContactOf(1, "Nobody");
  missing_contact.id = 3;
  EXPECT_REFUSED(Update(missing_contact), Code::kNotFound, "contact.id");
  EXPECT_REFUSED(Update(Individual("Id zero")), Code::kNotFound, "customer.id");

  Id a = MustCreate(Organization("A"));
  Id b = MustCreate(Organization("B"));
  Customer c = *db().GetCustomer(a);
  EXPECT_EQ(c.revision, 1u);
  c.team = "first";
  ASSERT_TRUE(Update(c).ok());  // revision 1 matches
  EXPECT_EQ(db().GetCustomer(a)->revision, 2u);
  c.team = "stale";
  EXPECT_REFUSED(Update(c), Code::kConflict, "customer.revision");  // still says 1
  c.revision = 99;
  EXPECT_REFUSED(Update(c), Code::kConflict, "customer.revision");
  EXPECT_EQ(db().GetCustomer(a)->team, "first");
  c.revision = 0;  // whatever is stored
  ASSERT_TRUE(Update(c).ok());
  Customer after = *db().GetCustomer(a);
  EXPECT_EQ(after.team, "stale");
  EXPECT_EQ(after.revision, 3u);
  EXPECT_EQ(after.created_at, testing::kTestNow);
  EXPECT_EQ(after.updated_at, testing::kTestNow);

  // Server-owned fields are not taken from the caller.
  Customer forged = after;
  forged.created_at = 5;
  forged.updated_at = 6;
  forged.revision = 3;
  ASSERT_TRUE(Update(forged).ok());
  EXPECT_EQ(db().GetCustomer(a)->created_at, testing::kTestNow);
  EXPECT_EQ(db().GetCustomer(a)->updated_at, testing::kTestNow);
  EXPECT_EQ(db().GetCustomer(a)->revision, 4u);

  // Children never move to another customer.
  Id interaction = MustCreate(InteractionOf(a, testing::kTestNow - kDay));
  Interaction moved = *db().GetInteraction(interaction);
  moved.customer = b;
  EXPECT_REFUSED(Update(moved), Code::kInvalidArgument, "interaction.customer");
  EXPECT_EQ(db().GetInteraction(interaction)->customer, a);
  Id transaction = MustCreate(TransactionOf(a, testing::kTestNow - kDay));
  Transaction tmoved = *db().GetTransaction(transaction);
  tmoved.customer = b;
  EXPECT_REFUSED(Update(tmoved), Code::kInvalidArgument, "transaction.customer");
  Id contact = MustCreate(ContactOf(a, "Contact"));
  Contact cmoved = *db().GetContact(contact);
  cmoved.customer = b;
  EXPECT_REFUSED(Update(cmoved), Code::kInvalidArgument, "contact.customer");
  Task task;
  task.title = "Task";
  task.customer = a;
  Id task_id = MustCreate(task);
  Task task_moved = *db().GetTask(task_id);
  task_moved.customer = 0;
  EXPECT_REFUSED(Update(task_moved), Code::kInvalidArgument, "task.customer");

  // Stale revisions on child records too.
  Interaction stale = *db().GetInteraction(interaction);
  stale.subject = "v2";
  ASSERT_TRUE(Update(stale).ok());
  stale.subject = "v3";
  EXPECT_REFUSED(Update(stale), Code::kConflict, "interaction.revision");
  EXPECT_EQ(db().GetInteraction(interaction)->subject, "v2");
}

// An organization with contacts cannot turn into an individual (contacts
// belong to organizations only).
TEST_F(ValidationTest, OrganizationWithContactsStaysAnOrganization) {
  Id org = MustCreate(Organization("Org"));
  Id contact = MustCreate(ContactOf(org, "Contact"));
  Customer c = *db().GetCustomer(org);
  c.kind = CustomerKind::kIndividual;
  EXPECT_REFUSED(Update(c), Code::kInvalidArgument, "customer.kind");
  EXPECT_EQ(db().GetCustomer(org)->kind, CustomerKind::kOrganization);
  // Once its contacts are gone, it may.
  ASSERT_TRUE(db().Delete(Actor{}, EntityKind::kContact, contact).ok());
  c.revision = 0;
  EXPECT_TRUE(Update(c).ok());
  // Or in one batch: delete the contact, then change the kind.
  Id org2 = MustCreate(Organization("Org2"));
  Id contact2 = MustCreate(ContactOf(org2, "Contact2"));
  Customer c2 = *db().GetCustomer(org2);
  c2.kind = CustomerKind::kIndividual;
  std::vector<WriteOp> ops;
  ops.push_back(DeleteOp(EntityKind::kContact, contact2));
  ops.push_back(UpdateOp(c2));
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), true);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_TRUE(results[1].status.ok()) << results[1].status.ToString();
}

TEST_F(ValidationTest, TaskDoneTime) {
  Task t;
  t.title = "Do it";
  t.done = true;
  Id id = MustCreate(t);
  EXPECT_EQ(db().GetTask(id)->done_at, testing::kTestNow);
  Task undone = *db().GetTask(id);
  undone.done = false;
  ASSERT_TRUE(Update(undone).ok());
  EXPECT_EQ(db().GetTask(id)->done_at, 0);
  Task explicit_time = *db().GetTask(id);
  explicit_time.done = true;
  explicit_time.done_at = testing::kTestNow - kDay;
  ASSERT_TRUE(Update(explicit_time).ok());
  EXPECT_EQ(db().GetTask(id)->done_at, testing::kTestNow - kDay);
}

// ------------------------------------------------------------------ deletes

TEST_F(ValidationTest, DeleteRules) {
  Id org = MustCreate(Organization("Org", {Mobile(1)}));
  Id user = MustCreate(UserNamed("Agent"));
  Id contact = MustCreate(ContactOf(org, "Contact", {Mobile(2)}));
  Interaction i = InteractionOf(org, testing::kTestNow - kDay);
  i.contact = contact;
  i.agent = user;
  Id interaction = MustCreate(i);
  Opportunity o;
  o.customer = org;
  o.name = "Deal";
  Id opp = MustCreate(o);
  Contract k;
  k.customer = org;
  k.opportunity = opp;
  Id contract = MustCreate(k);

  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kUser, user), Code::kConflict, "id");
  EXPECT_TRUE(db().GetUser(user).ok());
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kContact, contact), Code::kConflict, "id");
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kOpportunity, opp), Code::kConflict, "id");
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kCustomer, org), Code::kConflict, "id");
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kCustomer, 999), Code::kNotFound, "id");
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kInteraction, 999), Code::kNotFound, "id");
  EXPECT_REFUSED(db().Delete(Actor{}, static_cast<EntityKind>(0), 1), Code::kInvalidArgument,
                 "entity");
  EXPECT_REFUSED(db().Delete(Actor{}, static_cast<EntityKind>(9), 1), Code::kInvalidArgument,
                 "entity");

  // Unlink, then the deletes go through.
  Interaction unlinked = *db().GetInteraction(interaction);
  unlinked.contact = 0;
  ASSERT_TRUE(Update(unlinked).ok());
  EXPECT_TRUE(db().Delete(Actor{}, EntityKind::kContact, contact).ok());
  EXPECT_EQ(db().GetContact(contact).status().code(), Code::kNotFound);
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kContact, contact), Code::kNotFound, "id");
  EXPECT_TRUE(db().Delete(Actor{}, EntityKind::kContract, contract).ok());
  EXPECT_TRUE(db().Delete(Actor{}, EntityKind::kOpportunity, opp).ok());
  // Deleting a user that is only deactivated is still refused: users stay.
  User inactive = *db().GetUser(user);
  inactive.active = false;
  ASSERT_TRUE(Update(inactive).ok());
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kUser, user), Code::kConflict, "id");
}

TEST_F(ValidationTest, CascadeDeleteRemovesEverything) {
  Id user = MustCreate(UserNamed("Agent"));
  Customer doomed_record = Organization("Doomed", {Mobile(1)}, {"doomed@example.com"});
  doomed_record.external_ref = "DOOMED";
  Id doomed = MustCreate(doomed_record);
  Id keeper = MustCreate(Organization("Keeper"));
  doomed_record = *db().GetCustomer(doomed);
  doomed_record.relations = {{keeper, RelationKind::kPartner}};
  ASSERT_TRUE(Update(doomed_record).ok());
  Customer fan = Individual("Fan");
  fan.relations = {{doomed, RelationKind::kReferredBy}, {keeper, RelationKind::kRelated}};
  Id fan_id = MustCreate(fan);
  Customer parent_of = Organization("Subsidiary");
  parent_of.relations = {{doomed, RelationKind::kParent}};
  Id subsidiary = MustCreate(parent_of);

  Id contact = MustCreate(ContactOf(doomed, "Contact", {Mobile(2)}, {"c@example.com"}));
  Opportunity o;
  o.customer = doomed;
  o.name = "Deal";
  Id opp = MustCreate(o);
  Interaction i = InteractionOf(doomed, testing::kTestNow - kDay);
  i.contact = contact;
  i.opportunity = opp;
  i.agent = user;
  i.complaint = ComplaintState::kOpen;
  Id interaction = MustCreate(i);
  Id transaction = MustCreate(TransactionOf(doomed, testing::kTestNow - kDay));
  Contract k;
  k.customer = doomed;
  k.opportunity = opp;
  Id contract = MustCreate(k);
  Task t;
  t.customer = doomed;
  t.title = "Follow up";
  Id task = MustCreate(t);
  // A bystander's children must survive.
  Id keeper_interaction = MustCreate(InteractionOf(keeper, testing::kTestNow - kDay));

  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kCustomer, doomed), Code::kConflict, "id");
  // Others relate to the keeper: that alone blocks a plain delete.
  EXPECT_REFUSED(db().Delete(Actor{}, EntityKind::kCustomer, keeper), Code::kConflict, "id");
  const uint64_t fan_revision = db().GetCustomer(fan_id)->revision;
  ASSERT_TRUE(db().Delete(Actor{}, EntityKind::kCustomer, doomed, /*cascade=*/true).ok());

  EXPECT_EQ(db().GetCustomer(doomed).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetContact(contact).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetInteraction(interaction).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetTransaction(transaction).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetOpportunity(opp).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetContract(contract).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetTask(task).status().code(), Code::kNotFound);
  EXPECT_EQ(db().ListContacts(doomed).status().code(), Code::kNotFound);
  HistoryQuery history;
  history.customer = doomed;
  EXPECT_EQ(db().History(history).status().code(), Code::kNotFound);
  EXPECT_TRUE(db().GetUser(user).ok());
  EXPECT_TRUE(db().GetInteraction(keeper_interaction).ok());

  // Others' relations to it are gone (and that is a new revision of them);
  // their other relations stay.
  Customer fan_after = *db().GetCustomer(fan_id);
  EXPECT_EQ(fan_after.relations, (std::vector<Relation>{{keeper, RelationKind::kRelated}}));
  EXPECT_EQ(fan_after.revision, fan_revision + 1);
  EXPECT_TRUE(db().GetCustomer(subsidiary)->relations.empty());
  // Its own outgoing relation no longer shows on the keeper's card.
  Result<CustomerCard> keeper_card = db().Card(CardKey::ById(keeper));
  ASSERT_TRUE(keeper_card.ok());
  ASSERT_EQ(keeper_card->related.size(), 1u);
  EXPECT_EQ(keeper_card->related[0].id, fan_id);

  StoreCounts counts = db().Counts();
  EXPECT_EQ(counts.customers, 3u);
  EXPECT_EQ(counts.contacts, 0u);
  EXPECT_EQ(counts.interactions, 1u);
  EXPECT_EQ(counts.transactions, 0u);
  EXPECT_EQ(counts.opportunities, 0u);
  EXPECT_EQ(counts.contracts, 0u);
  EXPECT_EQ(counts.tasks, 0u);

  // Its keys are free again.
  EXPECT_EQ(db().FindCustomer(CardKey::ByPhone(Mobile(2))).status().code(), Code::kNotFound);
  Customer reuse = Individual("Reuse", {Mobile(1), Mobile(2)}, {"doomed@example.com"});
  reuse.external_ref = "DOOMED";
  EXPECT_TRUE(Create(reuse).ok());

  // And all of it stays gone after a reopen.
  Reopen();
  EXPECT_EQ(db().GetCustomer(doomed).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetInteraction(interaction).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetCustomer(fan_id)->relations,
            (std::vector<Relation>{{keeper, RelationKind::kRelated}}));
  EXPECT_EQ(db().Counts().interactions, 1u);
  EXPECT_EQ(db().Counts().customers, 4u);
}

// Children created earlier in the same batch are found and removed by a
// cascade later in it.
TEST_F(ValidationTest, CascadeSeesRecordsStagedInTheSameBatch) {
  Id keep = MustCreate(Organization("Keep"));
  const Id next = keep + 1;  // ids are dense
  std::vector<WriteOp> ops;
  ops.push_back(CreateOp(Organization("Short-lived", {Mobile(1)})));
  ops.push_back(CreateOp(ContactOf(next, "Contact", {Mobile(2)})));
  ops.push_back(CreateOp(InteractionOf(next, testing::kTestNow - kDay)));
  ops.push_back(CreateOp(TransactionOf(next, testing::kTestNow - kDay)));
  Customer fan = Individual("Fan");
  fan.relations = {{next, RelationKind::kPartner}};
  ops.push_back(CreateOp(fan));
  ops.push_back(DeleteOp(EntityKind::kCustomer, next));  // refused: it has children
  std::vector<WriteResult> results = db().Write(Actor{}, ops, /*atomic=*/false);
  ASSERT_EQ(results.size(), 6u);
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
  }
  EXPECT_EQ(results[0].id, next);
  EXPECT_EQ(results[5].status.code(), Code::kConflict);

  ops.clear();
  Customer renamed = *db().GetCustomer(keep);
  renamed.name = "Keep Renamed";
  ops.push_back(CreateOp(InteractionOf(next, testing::kTestNow - 2 * kDay)));
  ops.push_back(UpdateOp(renamed));
  ops.push_back(DeleteOp(EntityKind::kCustomer, next, /*cascade=*/true));
  ops.push_back(CreateOp(Individual("Takes the phones", {Mobile(1), Mobile(2)})));
  results = db().Write(Actor{}, std::move(ops), /*atomic=*/true);
  for (const auto& r : results) ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  StoreCounts counts = db().Counts();
  EXPECT_EQ(counts.customers, 3u);  // keep, fan, the new one
  EXPECT_EQ(counts.contacts, 0u);
  EXPECT_EQ(counts.interactions, 0u);
  EXPECT_EQ(counts.transactions, 0u);
  EXPECT_EQ(db().GetInteraction(results[0].id).status().code(), Code::kNotFound);
  EXPECT_EQ(db().GetCustomer(next).status().code(), Code::kNotFound);
  EXPECT_EQ(Must(db().GetCustomer(keep)).name, "Keep Renamed");
  Customer fan_after = Must(db().GetCustomer(next + 1));  // the fan
  EXPECT_EQ(fan_after.name, "Fan");
  EXPECT_TRUE(fan_after.relations.empty()) << "the fan's edge went with it";
  EXPECT_EQ(Must(db().FindCustomer(CardKey::ByPhone(Mobile(2)))), results[3].id);
  Reopen();
  EXPECT_EQ(db().Counts().customers, 3u);
  EXPECT_EQ(db().Counts().interactions, 0u);
  EXPECT_TRUE(db().GetCustomer(next + 1)->relations.empty());
}

// ------------------------------------------------------------------ batches

TEST_F(ValidationTest, AtomicBatchIsAllOrNothing) {
  Id existing = MustCreate(Individual("Existing", {Mobile(1)}));
  const Snapshot before = Take();
  std::vector<WriteOp> ops;
  ops.push_back(CreateOp(Individual("Good One", {Mobile(2)})));
  ops.push_back(CreateOp(InteractionOf(existing, testing::kTestNow - kDay)));
  Customer renamed = *db().GetCustomer(existing);
  renamed.name = "Renamed";
  ops.push_back(UpdateOp(renamed));
  ops.push_back(CreateOp(Individual(kBadUtf8)));  // the bad one
  ops.push_back(CreateOp(Individual("Good Two")));
  std::vector<WriteResult> results = db().Write(Actor{}, ops, /*atomic=*/true);
  ASSERT_EQ(results.size(), 5u);
  for (size_t i : {0u, 1u, 2u, 4u}) {
    EXPECT_EQ(results[i].status.code(), Code::kConflict) << i;
    EXPECT_NE(results[i].status.message().find("op 3"), std::string::npos)
        << results[i].status.message();
    EXPECT_EQ(results[i].id, 0u);
  }
  EXPECT_EQ(results[3].status.code(), Code::kInvalidArgument);
  EXPECT_EQ(results[3].status.field(), "customer.name");
  ExpectUnchanged(before);
  EXPECT_EQ(db().FindCustomer(CardKey::ByPhone(Mobile(2))).status().code(), Code::kNotFound);

  // The same ops, not atomic: every good one is applied.
  results = db().Write(Actor{}, ops, /*atomic=*/false);
  ASSERT_EQ(results.size(), 5u);
  for (size_t i : {0u, 1u, 2u, 4u}) {
    EXPECT_TRUE(results[i].status.ok()) << i << ": " << results[i].status.ToString();
  }
  EXPECT_EQ(results[3].status.code(), Code::kInvalidArgument);
  EXPECT_EQ(Must(db().FindCustomer(CardKey::ByPhone(Mobile(2)))), results[0].id);
  EXPECT_EQ(db().GetCustomer(existing)->name, "Renamed");
  EXPECT_EQ(db().Counts().customers, 3u);
  EXPECT_EQ(db().Counts().interactions, 1u);
  // Four audit entries for four applied ops, none for the refused one.
  EXPECT_EQ(db().Counts().audit_entries, before.counts.audit_entries + 4);

  // Ids consumed by a rolled-back atomic batch are handed out again: ids
  // stay dense.
  Id next = MustCreate(Individual("Next"));
  EXPECT_EQ(next, results[4].id + 1);
}

TEST_F(ValidationTest, RefusedWritesChangeNothing) {
  Id org = MustCreate(Organization("Org", {Mobile(1)}, {"org@example.com"}));
  Id contact = MustCreate(ContactOf(org, "C"));
  Interaction linked = InteractionOf(org, testing::kTestNow - kDay);
  linked.contact = contact;
  MustCreate(linked);
  MustCreate(UserNamed("U"));
  const Snapshot before = Take();

  EXPECT_FALSE(Create(Individual("Dup", {Mobile(1)})).ok());
  Customer stale = *db().GetCustomer(org);
  stale.revision = 7;
  stale.name = "Changed";
  EXPECT_FALSE(Update(stale).ok());
  EXPECT_FALSE(db().Delete(Actor{}, EntityKind::kCustomer, org).ok());
  EXPECT_FALSE(db().Delete(Actor{}, EntityKind::kContact, contact).ok());
  EXPECT_FALSE(db().Delete(Actor{}, EntityKind::kUser, 1).ok());
  std::vector<WriteOp> ops;
  ops.push_back(DeleteOp(EntityKind::kCustomer, org, /*cascade=*/true));
  ops.push_back(CreateOp(ContactOf(org, "After delete")));  // its customer is gone
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), true);
  EXPECT_EQ(results[0].status.code(), Code::kConflict);
  EXPECT_EQ(results[1].status.code(), Code::kNotFound);
  EXPECT_EQ(results[1].status.field(), "contact.customer");
  ExpectUnchanged(before);
  EXPECT_TRUE(db().GetContact(contact).ok());
  EXPECT_EQ(Must(db().FindCustomer(CardKey::ByEmail("org@example.com"))), org);

  // The same after a reopen: nothing refused reached the disk.
  Reopen();
  ExpectUnchanged(before);
}

TEST_F(ValidationTest, UnknownWriteKind) {
  WriteOp op;
  op.kind = static_cast<WriteKind>(7);
  op.record = Individual("X");
  std::vector<WriteResult> results = db().Write(Actor{}, {op}, false);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status.code(), Code::kInvalidArgument);
  EXPECT_EQ(results[0].status.field(), "kind");
  EXPECT_TRUE(db().Write(Actor{}, {}, true).empty());
  EXPECT_EQ(db().Counts().customers, 0u);
  EXPECT_EQ(db().Counts().audit_entries, 0u);
}

}  // namespace
}  // namespace crm::engine
