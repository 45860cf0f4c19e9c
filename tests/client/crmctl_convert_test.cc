// crmctl convert end to end: the crmctl binary on a data directory turns a
// lead into an active customer with its first opportunity and task (flags of
// the field table), prints the ids, and refuses a customer that is no lead.
#include <gtest/gtest.h>

#include <string>

#include "client/client_test_util.h"
#include "engine/test_util.h"

namespace crm::client {
namespace {

using crm::testing::RunCrmctl;

class CrmctlConvertTest : public ::testing::Test {
 protected:
  // Runs `crmctl --data DIR args`, expecting `status`; returns the output.
  std::string Crmctl(const std::string& args, int status = 0) {
    std::string out;
    EXPECT_EQ(RunCrmctl("--data " + dir_.path() + " " + args, &out), status) << args << "\n" << out;
    return out;
  }

  // The id that `crmctl create KIND ...` printed.
  std::string Create(const std::string& kind, const std::string& flags) {
    const std::string out = Crmctl("create " + kind + " " + flags);
    const std::string created = "created " + kind + " ";
    if (out.rfind(created, 0) != 0) {
      ADD_FAILURE() << out;
      return "0";
    }
    return out.substr(created.size(), out.find('\n') - created.size());
  }

  static bool Has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  testing::TempDir dir_;
};

TEST_F(CrmctlConvertTest, ConvertsALeadWithAnOpportunityAndATask) {
  const std::string lead = Create("customer", "--name Lead --phones +8613800138001");
  const std::string out =
      Crmctl("convert --id " + lead +
             " --opportunity 'First order' --amount 12500.50 --currency CNY"
             " --expected-close 2026-12-01 --source 'trade fair' --campaign spring"
             " --task 'Call back' --due 2026-11-20T09:30");
  // "customer N converted: opportunity M, task K"
  const std::string prefix = "customer " + lead + " converted: opportunity ";
  ASSERT_EQ(out.rfind(prefix, 0), 0u) << out;
  const size_t comma = out.find(", task ");
  ASSERT_NE(comma, std::string::npos) << out;
  const std::string opportunity = out.substr(prefix.size(), comma - prefix.size());
  const std::string task = out.substr(comma + 7, out.find('\n') - comma - 7);
  ASSERT_NE(opportunity, "none");
  ASSERT_NE(task, "none");

  EXPECT_TRUE(Has(Crmctl("get customer --id " + lead), "\"lifecycle\":\"active\""));
  const std::string o = Crmctl("get opportunity --id " + opportunity);
  EXPECT_TRUE(Has(o, "\"customer\":" + lead)) << o;
  EXPECT_TRUE(Has(o, "\"name\":\"First order\"")) << o;
  EXPECT_TRUE(Has(o, "\"minor_units\":1250050")) << o;
  EXPECT_TRUE(Has(o, "\"currency\":\"CNY\"")) << o;
  EXPECT_TRUE(Has(o, "\"expected_close\":1796083200000000")) << o;  // 2026-12-01
  EXPECT_TRUE(Has(o, "\"source\":\"trade fair\"")) << o;
  EXPECT_TRUE(Has(o, "\"campaign\":\"spring\"")) << o;
  const std::string t = Crmctl("get task --id " + task);
  EXPECT_TRUE(Has(t, "\"customer\":" + lead)) << t;
  EXPECT_TRUE(Has(t, "\"title\":\"Call back\"")) << t;
  EXPECT_TRUE(Has(t, "\"due_at\":1795167000000000")) << t;  // 2026-11-20T09:30Z

  // The conversion is in the audit log: the update and the two creates.
  const std::string audit = Crmctl("audit --record customer:" + lead);
  EXPECT_TRUE(Has(audit, "lifecycle \"lead\" -> \"active\"")) << audit;
  EXPECT_TRUE(Has(Crmctl("audit --record task:" + task), "created")) << audit;

  // Now active: converting again is refused, naming the field.
  const std::string again = Crmctl("convert --id " + lead, 2);
  EXPECT_TRUE(Has(again, "failed_precondition: convert_lead.customer")) << again;
  EXPECT_TRUE(Has(again, "active")) << again;
}

TEST_F(CrmctlConvertTest, PrintsJsonAndChecksItsOptions) {
  const std::string lead = Create("customer", "--name Json --phones +8613800138002");
  const std::string out = Crmctl("convert --id " + lead + " --json");
  EXPECT_EQ(out, "{\"customer\":" + lead + ",\"opportunity\":0,\"task\":0}\n");

  const std::string other = Create("customer", "--name Other --phones +8613800138003");
  EXPECT_TRUE(Has(Crmctl("convert --id " + other + " --amount 10", 2),
                  "--amount belongs to --opportunity NAME"));
  EXPECT_TRUE(Has(Crmctl("convert --id " + other + " --due 2026-12-01", 2),
                  "--due belongs to --task TITLE"));
  EXPECT_TRUE(Has(Crmctl("convert --id " + other + " --colour red", 2), "no option --colour"));
  EXPECT_TRUE(Has(Crmctl("convert", 2), "convert needs --id N"));
  // A task without a title fails the whole conversion: still a lead.
  const std::string bad = Crmctl("convert --id " + other + " --opportunity Deal --task ''", 2);
  EXPECT_TRUE(Has(bad, "invalid_argument: convert_lead.task.title")) << bad;
  EXPECT_TRUE(Has(Crmctl("get customer --id " + other), "\"lifecycle\":\"lead\""));
  EXPECT_TRUE(Has(Crmctl("convert --id 999999", 2), "not_found: convert_lead.customer"));
}

}  // namespace
}  // namespace crm::client
