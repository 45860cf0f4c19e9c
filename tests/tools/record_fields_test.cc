// The field table of record_io.h: crmctl's flags follow the field names and
// keep their older names, and each output shows the fields it always showed.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "crm/engine/model.h"
#include "record_io.h"

namespace crm::tools {
namespace {

using engine::Contract;
using engine::Customer;
using engine::CustomerKind;
using engine::EntityKind;
using engine::Interaction;
using engine::Record;
using engine::SizeBand;
using engine::Task;
using engine::Transaction;

// Sets `flag` of `record` as crmctl create/update does; fails the test when
// the flag names no field.
engine::Status SetFlag(Record* record, const std::string& flag, const std::string& text) {
  bool major_units = false;
  const FieldSpec* field = FieldOfFlag(engine::KindOf(*record), flag, &major_units);
  EXPECT_NE(field, nullptr) << flag;
  if (field == nullptr) return engine::Status::InvalidArgument("no such flag", flag);
  return SetFromFlag(*field, major_units, text, record);
}

TEST(FieldTableTest, FlagNamesFollowTheFieldNames) {
  EXPECT_EQ(FlagName("tax_id"), "tax-id");
  EXPECT_EQ(FlagName("size_band"), "size-band");
  EXPECT_EQ(FlagName("region.city"), "region-city");
  EXPECT_EQ(FlagName("amount.minor_units"), "amount-minor-units");
  bool major = true;
  EXPECT_EQ(FieldOfFlag(EntityKind::kCustomer, "size-band", &major)->name, "size_band");
  EXPECT_FALSE(major);
  EXPECT_EQ(FieldOfFlag(EntityKind::kCustomer, "size", &major)->name, "size_band");
  EXPECT_EQ(FieldOfFlag(EntityKind::kCustomer, "ref", &major)->name, "external_ref");
  EXPECT_EQ(FieldOfFlag(EntityKind::kTransaction, "category", &major)->name, "product_category");
  EXPECT_EQ(FieldOfFlag(EntityKind::kTransaction, "amount", &major)->name, "amount.minor_units");
  EXPECT_TRUE(major);
  EXPECT_EQ(FieldOfFlag(EntityKind::kCustomer, "size_band", &major), nullptr);
  EXPECT_EQ(FieldOfFlag(EntityKind::kCustomer, "bogus", &major), nullptr);
}

TEST(FieldTableTest, TheServerOwnsIdRevisionAndTimes) {
  for (EntityKind kind : {EntityKind::kCustomer, EntityKind::kContact, EntityKind::kInteraction,
                          EntityKind::kTransaction, EntityKind::kOpportunity,
                          EntityKind::kContract, EntityKind::kTask, EntityKind::kUser}) {
    bool major = false;
    for (const char* flag : {"id", "revision", "created-at", "updated-at"}) {
      EXPECT_EQ(FieldOfFlag(kind, flag, &major), nullptr) << Name(kind) << " " << flag;
    }
    // Every flag and alias names one field of the kind.
    std::set<std::string> flags;
    for (const FieldSpec& f : AllFieldsOf(kind)) {
      if (!f.flag) continue;
      EXPECT_TRUE(flags.insert(FlagName(f.name)).second) << f.name;
      for (const FlagAlias& alias : f.aliases) EXPECT_TRUE(flags.insert(alias.flag).second);
    }
  }
}

TEST(FieldTableTest, NewFlagsAndOlderAliasesSetTheSameRecord) {
  Record by_name = Customer{};
  Record by_alias = Customer{};
  const std::pair<const char*, const char*> kPairs[] = {
      {"external-ref", "ref"},     {"tax-id", "tax-id"},   {"region-country", "country"},
      {"region-province", "province"}, {"region-city", "city"}, {"payment-method", "payment"},
      {"credit-level", "credit"},
  };
  const char* kValues[] = {"R-1", "T-1", "CN", "Guangdong", "Shenzhen", "cash", "B"};
  for (size_t i = 0; i < std::size(kPairs); ++i) {
    ASSERT_TRUE(SetFlag(&by_name, kPairs[i].first, kValues[i]).ok()) << kPairs[i].first;
    ASSERT_TRUE(SetFlag(&by_alias, kPairs[i].second, kValues[i]).ok()) << kPairs[i].second;
  }
  ASSERT_TRUE(SetFlag(&by_name, "size-band", "small").ok());
  ASSERT_TRUE(SetFlag(&by_alias, "size", "small").ok());
  ASSERT_TRUE(SetFlag(&by_name, "tags", "vip,,west").ok());
  ASSERT_TRUE(SetFlag(&by_alias, "tags", "vip,west").ok());
  EXPECT_EQ(RecordToJsonLine(by_name), RecordToJsonLine(by_alias));
  const Customer& c = std::get<Customer>(by_name);
  EXPECT_EQ(c.size_band, SizeBand::kSmall);
  EXPECT_EQ(c.region.city, "Shenzhen");
  EXPECT_EQ(c.tags, (std::vector<std::string>{"vip", "west"}));
}

TEST(FieldTableTest, MoneyAliasesTakeMajorUnits) {
  Record t = Transaction{};
  ASSERT_TRUE(SetFlag(&t, "amount", "1234.5").ok());
  ASSERT_TRUE(SetFlag(&t, "currency", "CNY").ok());
  ASSERT_TRUE(SetFlag(&t, "margin", "-0.25").ok());
  EXPECT_EQ(std::get<Transaction>(t).amount.minor_units, 123450);
  EXPECT_EQ(std::get<Transaction>(t).amount.currency.code(), "CNY");
  EXPECT_EQ(std::get<Transaction>(t).margin_minor_units, -25);
  ASSERT_TRUE(SetFlag(&t, "amount-minor-units", "99").ok());
  ASSERT_TRUE(SetFlag(&t, "margin-minor-units", "7").ok());
  EXPECT_EQ(std::get<Transaction>(t).amount.minor_units, 99);
  EXPECT_EQ(std::get<Transaction>(t).margin_minor_units, 7);
  EXPECT_EQ(SetFlag(&t, "amount", "12,5").code(), engine::Code::kInvalidArgument);
  EXPECT_EQ(SetFlag(&t, "amount-currency", "yuan").code(), engine::Code::kInvalidArgument);

  Record k = Contract{};
  ASSERT_TRUE(SetFlag(&k, "paid", "10").ok());
  ASSERT_TRUE(SetFlag(&k, "terms", "net 30").ok());
  ASSERT_TRUE(SetFlag(&k, "start", "2026-12-01").ok());
  ASSERT_TRUE(SetFlag(&k, "end-at", "2026-12-31T09:30").ok());
  ASSERT_TRUE(SetFlag(&k, "owner", "7").ok());
  EXPECT_EQ(std::get<Contract>(k).paid_minor_units, 1000);
  EXPECT_EQ(std::get<Contract>(k).payment_terms, "net 30");
  EXPECT_EQ(std::get<Contract>(k).start_at, UtcToMicros(2026, 12, 1));
  EXPECT_EQ(std::get<Contract>(k).end_at, UtcToMicros(2026, 12, 31, 9, 30));
  EXPECT_EQ(std::get<Contract>(k).owner, 7u);
}

TEST(FieldTableTest, BadFlagValuesAreRefusedNamingTheField) {
  Record c = Customer{};
  engine::Status s = SetFlag(&c, "size", "huge");
  EXPECT_EQ(s.code(), engine::Code::kInvalidArgument);
  EXPECT_EQ(s.field(), "size_band");
  EXPECT_NE(s.message().find("enterprise"), std::string::npos) << s.message();
  EXPECT_FALSE(SetFlag(&c, "owner", "-1").ok());
  ASSERT_TRUE(SetFlag(&c, "attributes", "{\"employees\":\"40\"}").ok());
  ASSERT_EQ(std::get<Customer>(c).attributes.size(), 1u);
  EXPECT_EQ(std::get<Customer>(c).attributes[0].value, "40");
  EXPECT_FALSE(SetFlag(&c, "attributes", "employees=40").ok());
  Record i = Interaction{};
  EXPECT_FALSE(SetFlag(&i, "satisfaction", "300").ok());
  ASSERT_TRUE(SetFlag(&i, "duration", "45").ok());
  EXPECT_EQ(std::get<Interaction>(i).duration_seconds, 45u);
  Record t = Task{};
  ASSERT_TRUE(SetFlag(&t, "done", "yes").ok());
  EXPECT_TRUE(std::get<Task>(t).done);
  EXPECT_FALSE(SetFlag(&t, "due", "tomorrow").ok());
}

TEST(FieldTableTest, TheCardShowsWhatItAlwaysShowed) {
  Customer org;
  org.id = 5;
  org.kind = CustomerKind::kOrganization;
  org.name = "Acme";
  std::string json;
  AppendRecordJson(org, JsonFields::kCard, &json);
  EXPECT_EQ(json.find("\"gender\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"created_at\""), std::string::npos) << json;
  Customer person = org;
  person.kind = CustomerKind::kIndividual;
  json.clear();
  AppendRecordJson(person, JsonFields::kCard, &json);
  EXPECT_NE(json.find("\"gender\":\"unknown\",\"birth_year\":0"), std::string::npos) << json;

  Transaction t;
  t.id = 3;
  t.customer = 5;
  t.amount = engine::Money{1250, engine::Currency("CNY")};
  json.clear();
  AppendRecordJson(t, JsonFields::kCard, &json);
  EXPECT_EQ(json,
            "{\"id\":3,\"customer\":5,\"time\":0,\"amount\":{\"minor_units\":1250,"
            "\"currency\":\"CNY\"},\"margin_minor_units\":0,\"product_category\":\"\","
            "\"payment_method\":\"unknown\"}");
  json.clear();
  AppendRecordJson(t, JsonFields::kExport, &json);
  EXPECT_NE(json.find("\"revision\":0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"updated_at\":0}"), std::string::npos) << json;
}

TEST(FieldTableTest, ExportKeepsItsColumns) {
  // A contract's owner is shown, set by crmctl and exported (an export and
  // import keeps it).
  bool major = false;
  EXPECT_NE(FieldOfFlag(EntityKind::kContract, "owner", &major), nullptr);
  bool exported = false;
  for (const FieldSpec& f : FieldsOf(EntityKind::kContract)) exported |= f.name == "owner";
  EXPECT_TRUE(exported);
  EXPECT_EQ(FieldsOf(EntityKind::kCustomer).size(), AllFieldsOf(EntityKind::kCustomer).size());
  EXPECT_EQ(FieldsOf(EntityKind::kCustomer).front().name, "id");
  EXPECT_EQ(FieldsOf(EntityKind::kCustomer).back().name, "updated_at");
}

}  // namespace
}  // namespace crm::tools
