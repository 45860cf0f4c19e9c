// crmctl create/update through the field table: flags named after the fields
// (--size-band, --region-city, --amount-minor-units) and the older names
// (--size, --city, --amount in major units) set the same records.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "client/client_test_util.h"
#include "engine/test_util.h"

namespace crm::client {
namespace {

using crm::testing::RunCrmctl;

// `text` with the digits after each `"key":` replaced by `mark`.
std::string MaskNumbers(std::string text, const std::string& key, const std::string& mark) {
  const std::string prefix = "\"" + key + "\":";
  for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    at += prefix.size();
    size_t end = at;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    text.replace(at, end - at, mark);
  }
  return text;
}

// `text` with every `from` replaced by `to`.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class CrmctlFieldsTest : public ::testing::Test {
 protected:
  // Runs `crmctl --data DIR args`, expecting `status`; returns the output.
  std::string Crmctl(const std::string& args, int status = 0) {
    std::string out;
    EXPECT_EQ(RunCrmctl("--data " + dir_.path() + " " + args, &out), status) << args << "\n"
                                                                             << out;
    return out;
  }

  // Creates a record with `flags`, and returns `get`'s JSON of it without
  // its id and times (they differ between records).
  std::string CreateAndGet(const std::string& kind, const std::string& flags) {
    const std::string out = Crmctl("create " + kind + " " + flags);
    const std::string created = "created " + kind + " ";
    if (out.rfind(created, 0) != 0) {
      ADD_FAILURE() << out;
      return "";
    }
    const std::string id = out.substr(created.size(), out.find('\n') - created.size());
    std::string json = MaskNumbers(Crmctl("get " + kind + " --id " + id), "id", "N");
    json = MaskNumbers(json, "created_at", "T");
    return MaskNumbers(json, "updated_at", "T");
  }

  testing::TempDir dir_;
};

TEST_F(CrmctlFieldsTest, FieldNamedFlagsAndOlderNamesSetTheSameCustomer) {
  const std::string by_name = CreateAndGet(
      "customer",
      "--name Acme --kind organization --external-ref R-1 --tax-id T-9 --region-country CN "
      "--region-province Guangdong --region-city Shenzhen --size-band small "
      "--payment-method cash --credit-level B --tags vip,west");
  const std::string by_alias = CreateAndGet(
      "customer",
      "--name Acme --kind organization --ref R-2 --tax-id T-9 --country CN "
      "--province Guangdong --city Shenzhen --size small --payment cash --credit B "
      "--tags vip,west");
  ASSERT_NE(by_name.find("\"size_band\":\"small\""), std::string::npos) << by_name;
  ASSERT_NE(by_name.find("\"city\":\"Shenzhen\""), std::string::npos) << by_name;
  EXPECT_EQ(Replace(by_name, "R-1", "R-2"), by_alias);
}

TEST_F(CrmctlFieldsTest, MoneyFlagsTakeMinorUnitsAndTheOlderOnesMajorUnits) {
  Crmctl("create customer --name Buyer");
  const std::string minor = CreateAndGet(
      "transaction",
      "--customer 1 --amount-minor-units 123450 --amount-currency CNY "
      "--margin-minor-units 2500 --product-category tea --payment-method cash "
      "--time 2026-03-01T09:30");
  const std::string major = CreateAndGet(
      "transaction",
      "--customer 1 --amount 1234.50 --currency CNY --margin 25 --category tea --payment cash "
      "--time 2026-03-01T09:30");
  EXPECT_NE(minor.find("\"minor_units\":123450"), std::string::npos) << minor;
  EXPECT_EQ(minor, major);
}

TEST_F(CrmctlFieldsTest, UpdateTakesBothNamesAndRefusesUnknownFlags) {
  Crmctl("create customer --name Acme");
  Crmctl("update customer --id 1 --size-band medium");
  EXPECT_NE(Crmctl("get customer --id 1").find("\"size_band\":\"medium\""), std::string::npos);
  Crmctl("update customer --id 1 --size large --lifecycle active");
  const std::string json = Crmctl("get customer --id 1");
  EXPECT_NE(json.find("\"size_band\":\"large\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"lifecycle\":\"active\""), std::string::npos) << json;

  EXPECT_NE(Crmctl("update customer --id 1 --size huge", 2).find("--size"), std::string::npos);
  EXPECT_NE(Crmctl("update customer --id 1 --size_band small", 2).find("has no field"),
            std::string::npos);
  EXPECT_NE(Crmctl("create customer --name X --revision 3", 2).find("has no field"),
            std::string::npos);
}

TEST_F(CrmctlFieldsTest, HelpListsTheFlagsWithTheirOlderNames) {
  const std::string help = Crmctl("--help");
  EXPECT_NE(help.find("--size-band (--size)"), std::string::npos) << help;
  EXPECT_NE(help.find("--amount-minor-units (--amount)"), std::string::npos) << help;
  EXPECT_NE(help.find("--due-at (--due)"), std::string::npos) << help;
}

}  // namespace
}  // namespace crm::client
