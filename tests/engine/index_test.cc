// The customer lookup indexes (id, phone, email, external ref) and the
// uniqueness they enforce, exercised through the public Engine API.
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
using testing::Mobile;
using testing::Organization;
using testing::UpdateOp;

class IndexTest : public testing::EngineTest {
 protected:
  // The customer a key resolves to, or 0 when NotFound (other errors fail).
  Id Lookup(const CardKey& key) {
    Result<Id> id = db().FindCustomer(key);
    if (!id.ok()) {
      EXPECT_EQ(id.status().code(), Code::kNotFound) << id.status().ToString();
      return 0;
    }
    // Card() resolves the same way.
    Result<CustomerCard> card = db().Card(key);
    EXPECT_TRUE(card.ok()) << card.status().ToString();
    if (card.ok()) {
      EXPECT_EQ(card->customer.id, *id);
    }
    return *id;
  }
  Id ByPhone(const std::string& p) { return Lookup(CardKey::ByPhone(p)); }
  Id ByEmail(const std::string& e) { return Lookup(CardKey::ByEmail(e)); }
  Id ByRef(const std::string& r) { return Lookup(CardKey::ByExternalRef(r)); }
};

TEST_F(IndexTest, CardById) {
  Id a = MustCreate(Individual("张伟"));
  Id b = MustCreate(Individual("Li Na"));
  ASSERT_NE(a, b);
  Result<CustomerCard> card = db().Card(CardKey::ById(a));
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->customer.id, a);
  EXPECT_EQ(card->customer.name, "张伟");
  EXPECT_EQ(card->customer.revision, 1u);
  EXPECT_EQ(card->customer.created_at, testing::kTestNow);
  EXPECT_EQ(Lookup(CardKey::ById(b)), b);
  EXPECT_EQ(Lookup(CardKey::ById(b + 100)), 0u);
  EXPECT_EQ(Lookup(CardKey::ById(0)), 0u);
  Result<CustomerCard> missing = db().Card(CardKey::ById(999));
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(IndexTest, MobileInEveryFormat) {
  Id id = MustCreate(Individual("Wang", {"+86 138-0013-8000"}));
  Result<Customer> stored = db().GetCustomer(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->phones, std::vector<std::string>{"+8613800138000"});
  for (const char* format : {"+86 138-0013-8000", "13800138000", "+8613800138000",
                             "138 0013 8000", "0086 138 0013 8000", "+86 (138) 0013-8000",
                             "  13800138000  "}) {
    EXPECT_EQ(ByPhone(format), id) << format;
  }
  EXPECT_EQ(ByPhone("13800138001"), 0u);
  EXPECT_EQ(ByPhone("+8613900139000"), 0u);
}

TEST_F(IndexTest, LandlineInEveryFormat) {
  Id id = MustCreate(Organization("Shanghai Office", {"021 6123 4567"}));
  EXPECT_EQ(db().GetCustomer(id)->phones, std::vector<std::string>{"+862161234567"});
  for (const char* format : {"021 6123 4567", "02161234567", "+86 21 6123 4567", "+862161234567",
                             "(021) 6123-4567"}) {
    EXPECT_EQ(ByPhone(format), id) << format;
  }
  // The same digits in another area code are another number.
  EXPECT_EQ(ByPhone("010 6123 4567"), 0u);
}

TEST_F(IndexTest, MalformedKeysAreInvalidArguments) {
  MustCreate(Individual("Wang", {Mobile(1)}, {"wang@example.com"}));
  // "+0..." looks like E.164 digits but no country code starts with 0: it
  // must not take the fast path to the number without the 0.
  std::string zero_prefixed = "+0" + Mobile(1).substr(1);
  for (std::string bad : {std::string(), std::string("not a phone"), std::string("12"),
                          std::string("\xC3\x28"), zero_prefixed}) {
    Result<Id> r = db().FindCustomer(CardKey::ByPhone(bad));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  for (const char* bad : {"", "no-at-sign", "a@b", "@example.com", "a@@example.com"}) {
    Result<Id> r = db().FindCustomer(CardKey::ByEmail(bad));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(db().FindCustomer(CardKey::ByExternalRef("")).status().code(), Code::kNotFound);
}

TEST_F(IndexTest, EmailDomainCaseAndSpaces) {
  Id id = MustCreate(Individual("Li", {}, {"Li.Wei@Example.COM"}));
  EXPECT_EQ(db().GetCustomer(id)->emails, std::vector<std::string>{"Li.Wei@example.com"});
  EXPECT_EQ(ByEmail("Li.Wei@example.com"), id);
  EXPECT_EQ(ByEmail("Li.Wei@EXAMPLE.COM"), id);
  EXPECT_EQ(ByEmail("  Li.Wei@Example.Com \t"), id);
  // The local part keeps its case: another mailbox.
  EXPECT_EQ(ByEmail("li.wei@example.com"), 0u);
  EXPECT_EQ(ByEmail("Li.Wei@example.org"), 0u);
}

TEST_F(IndexTest, ExternalRef) {
  Customer c = Individual("Ref");
  c.external_ref = "ERP-000123";
  Id id = MustCreate(c);
  EXPECT_EQ(ByRef("ERP-000123"), id);
  EXPECT_EQ(ByRef("erp-000123"), 0u) << "external refs are exact";
  EXPECT_EQ(ByRef("ERP-00012"), 0u);
}

TEST_F(IndexTest, ContactKeysFindTheirOrganization) {
  Id org = MustCreate(Organization("Acme", {"021 6123 4567"}, {"info@acme.cn"}));
  Id other = MustCreate(Organization("Other", {Mobile(99)}));
  Id contact = MustCreate(ContactOf(org, "Zhao", {"13800138000"}, {"Zhao@ACME.cn"}));
  ASSERT_NE(contact, 0u);
  EXPECT_EQ(ByPhone("+8613800138000"), org);
  EXPECT_EQ(ByPhone("138-0013-8000"), org);
  EXPECT_EQ(ByEmail("Zhao@acme.cn"), org);
  EXPECT_EQ(ByEmail("info@acme.cn"), org);
  EXPECT_EQ(ByPhone(Mobile(99)), other);

  Result<CustomerCard> card = db().Card(CardKey::ByPhone("13800138000"));
  ASSERT_TRUE(card.ok());
  ASSERT_EQ(card->contacts.size(), 1u);
  EXPECT_EQ(card->contacts[0].id, contact);
  EXPECT_EQ(card->contacts[0].phones, std::vector<std::string>{"+8613800138000"});

  // Changing the contact's phone moves the key.
  Contact changed = *db().GetContact(contact);
  changed.phones = {Mobile(2)};
  ASSERT_TRUE(db().Update(Actor{}, changed).ok());
  EXPECT_EQ(ByPhone("13800138000"), 0u);
  EXPECT_EQ(ByPhone(Mobile(2)), org);
  EXPECT_EQ(ByEmail("Zhao@acme.cn"), org);

  // Deleting the contact frees its keys; the organization's own stay.
  ASSERT_TRUE(db().Delete(Actor{}, EntityKind::kContact, contact).ok());
  EXPECT_EQ(ByPhone(Mobile(2)), 0u);
  EXPECT_EQ(ByEmail("Zhao@acme.cn"), 0u);
  EXPECT_EQ(ByEmail("info@acme.cn"), org);
  EXPECT_TRUE(db().Card(CardKey::ById(org))->contacts.empty());
  // And they can be taken again.
  EXPECT_NE(MustCreate(Individual("New owner", {Mobile(2)}, {"Zhao@acme.cn"})), 0u);
}

TEST_F(IndexTest, UpdateMovesKeys) {
  Customer c = Individual("Mover", {Mobile(1), Mobile(2)}, {"a@example.com"});
  c.external_ref = "R1";
  Id id = MustCreate(c);
  Customer updated = *db().GetCustomer(id);
  updated.phones = {Mobile(2), Mobile(3)};  // keeps 2, drops 1, adds 3
  updated.emails = {"b@example.com"};
  updated.external_ref = "R2";
  ASSERT_TRUE(db().Update(Actor{}, updated).ok());
  EXPECT_EQ(ByPhone(Mobile(1)), 0u);
  EXPECT_EQ(ByPhone(Mobile(2)), id);
  EXPECT_EQ(ByPhone(Mobile(3)), id);
  EXPECT_EQ(ByEmail("a@example.com"), 0u);
  EXPECT_EQ(ByEmail("b@example.com"), id);
  EXPECT_EQ(ByRef("R1"), 0u);
  EXPECT_EQ(ByRef("R2"), id);
  // The dropped keys are free for others.
  Customer other = Individual("Taker", {Mobile(1)}, {"a@example.com"});
  other.external_ref = "R1";
  Id taker = MustCreate(other);
  EXPECT_EQ(ByPhone(Mobile(1)), taker);
  EXPECT_EQ(ByRef("R1"), taker);
}

TEST_F(IndexTest, UpdateKeepingItsOwnKeysIsNotADuplicate) {
  Customer c = Individual("Self", {Mobile(1)}, {"self@example.com"});
  c.external_ref = "SELF";
  Id id = MustCreate(c);
  Customer again = *db().GetCustomer(id);
  again.name = "Self Renamed";
  again.phones = {"138 0000 0001"};  // same number, written differently
  EXPECT_TRUE(db().Update(Actor{}, again).ok());
  EXPECT_EQ(ByPhone(Mobile(1)), id);
  EXPECT_EQ(db().GetCustomer(id)->revision, 2u);

  Id org = MustCreate(Organization("Org"));
  Id contact = MustCreate(ContactOf(org, "C", {Mobile(5)}, {"c@example.com"}));
  Contact cu = *db().GetContact(contact);
  cu.title = "CTO";
  EXPECT_TRUE(db().Update(Actor{}, cu).ok());
}

TEST_F(IndexTest, DeleteRemovesEveryKey) {
  Customer c = Organization("Gone", {Mobile(1)}, {"gone@example.com"});
  c.external_ref = "GONE";
  Id id = MustCreate(c);
  MustCreate(ContactOf(id, "Contact", {Mobile(2)}, {"contact@example.com"}));
  ASSERT_EQ(db().Delete(Actor{}, EntityKind::kCustomer, id).code(), Code::kConflict);
  ASSERT_TRUE(db().Delete(Actor{}, EntityKind::kCustomer, id, /*cascade=*/true).ok());
  EXPECT_EQ(Lookup(CardKey::ById(id)), 0u);
  EXPECT_EQ(ByPhone(Mobile(1)), 0u);
  EXPECT_EQ(ByPhone(Mobile(2)), 0u);
  EXPECT_EQ(ByEmail("gone@example.com"), 0u);
  EXPECT_EQ(ByEmail("contact@example.com"), 0u);
  EXPECT_EQ(ByRef("GONE"), 0u);
  EXPECT_EQ(db().GetCustomer(id).status().code(), Code::kNotFound);
}

TEST_F(IndexTest, RepeatsWithinOneRecordCollapse) {
  Id id = MustCreate(Individual("Twice", {"13800138000", "+86 138 0013 8000"},
                                {"x@Example.com", "x@example.COM"}));
  Result<Customer> c = db().GetCustomer(id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->phones, std::vector<std::string>{"+8613800138000"});
  EXPECT_EQ(c->emails, std::vector<std::string>{"x@example.com"});
}

// ---------------------------------------------------------------- uniqueness

void ExpectDuplicate(const Status& s, const std::string& field, Id existing) {
  EXPECT_EQ(s.code(), Code::kAlreadyExists) << s.ToString();
  EXPECT_EQ(s.field(), field) << s.ToString();
  EXPECT_EQ(s.existing_id(), existing) << s.ToString();
}

TEST_F(IndexTest, SamePhoneWrittenDifferentlyIsADuplicate) {
  Id first = MustCreate(Individual("First", {"+86 138-0013-8000"}));
  for (const char* format : {"13800138000", "+8613800138000", "0086 13800138000"}) {
    Result<Id> r = db().Create(Actor{}, Individual("Second", {format}));
    ExpectDuplicate(r.status(), "customer.phones[0]", first);
  }
  // The duplicate is reported at its own position in the list.
  Result<Id> r = db().Create(Actor{}, Individual("Third", {Mobile(7), "138 0013 8000"}));
  ExpectDuplicate(r.status(), "customer.phones[1]", first);
  EXPECT_EQ(db().Counts().customers, 1u);
  EXPECT_EQ(ByPhone(Mobile(7)), 0u) << "a refused create claims nothing";
}

TEST_F(IndexTest, SameEmailWithOtherDomainCaseIsADuplicate) {
  Id first = MustCreate(Individual("First", {}, {"zhang@example.com"}));
  Result<Id> r = db().Create(Actor{}, Individual("Second", {}, {" zhang@EXAMPLE.com "}));
  ExpectDuplicate(r.status(), "customer.emails[0]", first);
  // Another local-part case is another mailbox, so it is allowed.
  EXPECT_NE(MustCreate(Individual("Third", {}, {"Zhang@example.com"})), 0u);
}

TEST_F(IndexTest, SameExternalRefIsADuplicate) {
  Customer a = Individual("A");
  a.external_ref = "CRM-1";
  Id first = MustCreate(a);
  Customer b = Individual("B");
  b.external_ref = "CRM-1";
  ExpectDuplicate(db().Create(Actor{}, b).status(), "customer.external_ref", first);
  // On update too.
  Customer c = Individual("C");
  c.external_ref = "CRM-2";
  Id second = MustCreate(c);
  Customer moved = *db().GetCustomer(second);
  moved.external_ref = "CRM-1";
  ExpectDuplicate(db().Update(Actor{}, moved), "customer.external_ref", first);
  EXPECT_EQ(ByRef("CRM-2"), second);
}

TEST_F(IndexTest, ContactKeysAreUniqueAgainstCustomersAndContacts) {
  Id org = MustCreate(Organization("Org", {Mobile(1)}, {"org@example.com"}));
  Id other_org = MustCreate(Organization("Other", {Mobile(9)}));
  Id contact = MustCreate(ContactOf(org, "Contact", {Mobile(2)}, {"c@example.com"}));
  ASSERT_NE(contact, 0u);

  // A customer taking a contact's phone: the holder reported is the
  // contact's organization.
  ExpectDuplicate(db().Create(Actor{}, Individual("X", {Mobile(2)})).status(),
                  "customer.phones[0]", org);
  ExpectDuplicate(db().Create(Actor{}, Individual("X", {}, {"c@EXAMPLE.com"})).status(),
                  "customer.emails[0]", org);
  // A contact of another organization taking it.
  ExpectDuplicate(db().Create(Actor{}, ContactOf(other_org, "Y", {Mobile(2)})).status(),
                  "contact.phones[0]", org);
  // A second contact of the same organization taking it.
  ExpectDuplicate(db().Create(Actor{}, ContactOf(org, "Z", {Mobile(3), Mobile(2)})).status(),
                  "contact.phones[1]", org);
  // A contact taking another customer's phone.
  ExpectDuplicate(db().Create(Actor{}, ContactOf(org, "W", {Mobile(9)})).status(),
                  "contact.phones[0]", other_org);
  // A contact taking its own organization's phone or email: still one key,
  // one holder (phones are unique across customers and contacts).
  ExpectDuplicate(db().Create(Actor{}, ContactOf(org, "V", {Mobile(1)})).status(),
                  "contact.phones[0]", org);
  ExpectDuplicate(db().Create(Actor{}, ContactOf(org, "V", {}, {"org@example.com"})).status(),
                  "contact.emails[0]", org);
  EXPECT_EQ(db().Counts().contacts, 1u);
}

// The organization and its contact must stay updatable: neither may be
// refused for a key the other one holds.
TEST_F(IndexTest, OrganizationAndContactUpdateIndependently) {
  Id org = MustCreate(Organization("Org", {Mobile(1)}));
  Id contact = MustCreate(ContactOf(org, "C", {Mobile(2)}));
  for (int i = 0; i < 3; ++i) {
    Customer o = *db().GetCustomer(org);
    o.team = "team " + std::to_string(i);
    ASSERT_TRUE(db().Update(Actor{}, o).ok());
    Contact c = *db().GetContact(contact);
    c.title = "title " + std::to_string(i);
    ASSERT_TRUE(db().Update(Actor{}, c).ok());
  }
  // The organization cannot take its contact's phone either.
  Customer o = *db().GetCustomer(org);
  o.phones.push_back(Mobile(2));
  ExpectDuplicate(db().Update(Actor{}, o), "customer.phones[1]", org);
}

TEST_F(IndexTest, TwoCreatesWithOnePhoneInOneBatch) {
  std::vector<WriteOp> ops;
  ops.push_back(CreateOp(Individual("First", {"13800138000"})));
  ops.push_back(CreateOp(Individual("Second", {"+86 138 0013 8000"})));
  ops.push_back(CreateOp(Individual("Third", {Mobile(5)})));
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), /*atomic=*/false);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  ExpectDuplicate(results[1].status, "customer.phones[0]", results[0].id);
  EXPECT_TRUE(results[2].status.ok());
  EXPECT_EQ(ByPhone("13800138000"), results[0].id);
  EXPECT_EQ(ByPhone(Mobile(5)), results[2].id);
  EXPECT_EQ(db().Counts().customers, 2u);

  // Emails and refs the same way.
  ops.clear();
  Customer a = Individual("A", {}, {"same@example.com"});
  a.external_ref = "SAME";
  Customer b = Individual("B", {}, {"other@example.com"});
  b.external_ref = "SAME";
  ops.push_back(CreateOp(a));
  ops.push_back(CreateOp(Individual("C", {}, {"same@Example.com"})));
  ops.push_back(CreateOp(b));
  results = db().Write(Actor{}, std::move(ops), false);
  ASSERT_TRUE(results[0].status.ok());
  ExpectDuplicate(results[1].status, "customer.emails[0]", results[0].id);
  ExpectDuplicate(results[2].status, "customer.external_ref", results[0].id);
}

TEST_F(IndexTest, KeysReleasedEarlierInABatchCanBeTaken) {
  Id a = MustCreate(Individual("A", {Mobile(1)}));
  Id b = MustCreate(Individual("B", {Mobile(2)}));
  // Swap through a third number in one atomic write.
  Customer ua = *db().GetCustomer(a);
  Customer ub = *db().GetCustomer(b);
  std::vector<WriteOp> ops;
  ua.phones = {Mobile(3)};
  ops.push_back(UpdateOp(ua));
  ub.phones = {Mobile(1)};
  ops.push_back(UpdateOp(ub));
  ua.phones = {Mobile(2)};
  ua.revision = 0;
  ops.push_back(UpdateOp(ua));
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), /*atomic=*/true);
  for (const auto& r : results) ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(ByPhone(Mobile(1)), b);
  EXPECT_EQ(ByPhone(Mobile(2)), a);
  EXPECT_EQ(ByPhone(Mobile(3)), 0u);
  EXPECT_EQ(db().GetCustomer(a)->revision, 3u);

  // Delete and re-create with the same phone in one batch.
  ops.clear();
  ops.push_back(DeleteOp(EntityKind::kCustomer, b));
  ops.push_back(CreateOp(Individual("B2", {Mobile(1)})));
  results = db().Write(Actor{}, std::move(ops), true);
  ASSERT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  ASSERT_TRUE(results[1].status.ok()) << results[1].status.ToString();
  EXPECT_EQ(ByPhone(Mobile(1)), results[1].id);
}

TEST_F(IndexTest, AtomicBatchWithADuplicateClaimsNothing) {
  std::vector<WriteOp> ops;
  ops.push_back(CreateOp(Individual("First", {Mobile(1)}, {"first@example.com"})));
  ops.push_back(CreateOp(Individual("Second", {Mobile(1)})));
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), /*atomic=*/true);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status.code(), Code::kConflict);
  EXPECT_EQ(results[1].status.code(), Code::kAlreadyExists);
  EXPECT_EQ(ByPhone(Mobile(1)), 0u);
  EXPECT_EQ(ByEmail("first@example.com"), 0u);
  EXPECT_EQ(db().Counts().customers, 0u);
  // The keys were not left claimed in the writer's staging either.
  EXPECT_NE(MustCreate(Individual("Later", {Mobile(1)}, {"first@example.com"})), 0u);
}

// Thousands of customers with phones, emails and refs: every key finds its
// own customer (hash index verified candidates, no collisions leaking).
TEST_F(IndexTest, ManyCustomersAllFindable) {
  constexpr int kN = 3000;
  std::vector<Id> ids(kN);
  std::vector<WriteOp> ops;
  for (int i = 0; i < kN; ++i) {
    Customer c = i % 3 == 0 ? Organization("Org " + std::to_string(i)) :
                              Individual("Person " + std::to_string(i));
    c.phones = {Mobile(static_cast<uint64_t>(i) * 7919 % 100'000'000)};
    c.emails = {"user" + std::to_string(i) + "@Example.com"};
    c.external_ref = "EXT-" + std::to_string(i);
    ops.push_back(CreateOp(c));
  }
  std::vector<WriteResult> results = db().Write(Actor{}, std::move(ops), true);
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
    ids[i] = results[i].id;
  }
  auto find = [&](const CardKey& key) -> Id {
    Result<Id> id = db().FindCustomer(key);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  };
  for (int i = 0; i < kN; ++i) {
    const uint64_t phone = static_cast<uint64_t>(i) * 7919 % 100'000'000;
    ASSERT_EQ(find(CardKey::ByPhone(Mobile(phone))), ids[i]) << i;
    ASSERT_EQ(find(CardKey::ByEmail("user" + std::to_string(i) + "@example.COM")), ids[i]) << i;
    ASSERT_EQ(find(CardKey::ByExternalRef("EXT-" + std::to_string(i))), ids[i]) << i;
  }
  // The indexes are rebuilt from disk on open.
  Reopen();
  for (int i = 0; i < kN; i += 7) {
    const uint64_t phone = static_cast<uint64_t>(i) * 7919 % 100'000'000;
    ASSERT_EQ(find(CardKey::ByPhone(Mobile(phone))), ids[i]) << i;
    ASSERT_EQ(find(CardKey::ByEmail("user" + std::to_string(i) + "@example.com")), ids[i]) << i;
    ASSERT_EQ(find(CardKey::ByExternalRef("EXT-" + std::to_string(i))), ids[i]) << i;
  }
}

}  // namespace
}  // namespace crm::engine
