// Import and export through the client library: malformed input is reported
// row by row and leaves the store untouched by the bad rows; an export
// imported into an empty directory gives the same store, record for record
// and card for card.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"
#include "crm/engine/normalize.h"
#include "data_ops.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"
#include "record_io.h"

namespace crm::testing {
namespace {

using engine::EntityKind;
using engine::Record;
using tools::Format;
using tools::ImportOptions;
using tools::ImportReport;
using tools::RowError;

engine::Micros FixedNow() { return kTestNow; }

// The same fixed clock for every store, so that value models compare.
std::unique_ptr<client::Client> Embedded(const std::string& dir) {
  client::EmbeddedOptions options;
  options.engine.data_dir = dir;
  options.engine.clock = FixedNow;
  options.engine.no_sync = true;
  options.local_admin = true;
  auto c = client::Client::OpenEmbedded(options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// A FILE* over `text` (fmemopen keeps a pointer: `text` must outlive it).
struct MemFile {
  explicit MemFile(const std::string& text)
      : file(fmemopen(const_cast<char*>(text.data()), text.size(), "r")) {}
  ~MemFile() {
    if (file != nullptr) std::fclose(file);
  }
  std::FILE* file;
};

ImportReport Import(client::Client& client, const std::string& text, ImportOptions options) {
  MemFile in(text);
  auto report = tools::ImportRecords(client, in.file, text.size(), options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? std::move(report).value() : ImportReport();
}

std::vector<std::pair<uint64_t, std::string>> Errors(const ImportReport& r) {
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const RowError& e : r.errors) out.emplace_back(e.line, e.reason);
  return out;
}

// Every record of `kind`, by id.
std::vector<Record> All(client::Client& client, EntityKind kind) {
  std::vector<Record> out;
  engine::Id after = 0;
  for (;;) {
    auto page = client.Scan(kind, after, 1000);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || page->empty()) return out;
    after = engine::IdOf(page->back());
    for (Record& r : *page) out.push_back(std::move(r));
  }
}

const std::string kHeader = "name,kind,phones,emails,external_ref\n";

class MalformedCsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = Embedded(dir_.path());
    ASSERT_NE(client_, nullptr);
    auto id = client_->Create(Individual("Existing", {Mobile(1)}, {"taken@example.com"}));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }

  // Lines of the file (the header is line 1):
  //  2 good
  //  3 bad quoting (a quote inside an unquoted field)
  //  4 wrong column count
  //  5 invalid UTF-8
  //  6 a phone that is no phone
  //  7 an unknown enum value
  //  8 the required name missing
  //  9 a phone that customer 1 already has (a duplicate)
  // 10-11 a line break inside a quoted field: read as one row, which the
  //       engine refuses (a name is one line)
  // 12 text after a closing quote
  // 13 good, quoted with doubled quotes
  std::string File() const {
    return kHeader + "Ann Lee,individual," + Mobile(2) + ",ann@example.com,A-2\n" +
           "Bad \"quote\",individual," + Mobile(3) + ",,A-3\n" +
           "Too,few,columns\n" +
           "Bad \xff utf8,individual," + Mobile(4) + ",,A-4\n" +
           "No Phone,individual,12,,A-5\n" +
           "Unknown Kind,company," + Mobile(6) + ",,A-6\n" +
           ",individual," + Mobile(7) + ",,A-7\n" +
           "Dup Phone,individual," + Mobile(1) + ",,A-8\n" +
           "\"Multi\nLine Co\",organization," + Mobile(9) + ",,A-9\n" +
           "\"Closed\"x,individual," + Mobile(10) + ",,A-10\n" +
           "\"Quoted \"\"Nick\"\" Wu\",individual," + Mobile(11) + ";" + Mobile(12) +
           ",nick@example.com,A-11\n";
  }

  std::vector<std::pair<uint64_t, std::string>> ExpectedErrors() const {
    return {
        {3, "invalid_argument: malformed CSV: a quote inside an unquoted field (quote the "
            "whole field and double its quotes)"},
        {4, "invalid_argument: the row has 3 fields, the header 5"},
        {5, "invalid_argument: column \"name\": is not valid UTF-8"},
        {6, "invalid_argument: customer.phones[0]: " + PhoneError("12")},
        {7, "invalid_argument: column \"kind\": unknown value \"company\"; one of: individual, "
            "organization"},
        {8, "invalid_argument: column \"name\": required field name is missing"},
        {9, "already_exists: customer.phones[0]: phone " + Mobile(1) +
                " already belongs to customer 1"},
        {10, "invalid_argument: customer.name: name contains the control character U+000A at "
             "byte 5; remove it"},
        {12, "invalid_argument: malformed CSV: 'x' after a closing quote (a field that holds "
             "quotes must be wholly quoted, its quotes doubled)"},
    };
  }

  // What the engine says of a phone, so the test does not restate
  // libphonenumber's wording.
  std::string PhoneError(const std::string& phone) const {
    auto r = engine::NormalizePhone(phone, "CN");
    EXPECT_FALSE(r.ok());
    return r.status().message();
  }

  void ExpectOnlyGoodRowsApplied() {
    auto counts = client_->Counts();
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->customers, 3u);
    for (int n : {2, 11, 12}) {
      EXPECT_TRUE(client_->Card(engine::CardKey::ByPhone(Mobile(n))).ok()) << n;
    }
    for (int n : {3, 4, 6, 7, 9, 10}) {
      EXPECT_EQ(client_->Card(engine::CardKey::ByPhone(Mobile(n))).status().code(),
                engine::Code::kNotFound)
          << n;
    }
    auto nick = client_->Card(engine::CardKey::ByExternalRef("A-11"));
    ASSERT_TRUE(nick.ok());
    EXPECT_EQ(nick->customer.name, "Quoted \"Nick\" Wu");
    EXPECT_EQ(nick->customer.phones, (std::vector<std::string>{Mobile(11), Mobile(12)}));
    // The existing customer is as it was.
    auto existing = client_->Card(engine::CardKey::ById(1));
    ASSERT_TRUE(existing.ok());
    EXPECT_EQ(existing->customer.revision, 1u);
  }

  TempDir dir_;
  std::unique_ptr<client::Client> client_;
};

TEST_F(MalformedCsvTest, DryRunReportsEveryBadRowAndChangesNothing) {
  ImportOptions options;
  options.dry_run = true;
  ImportReport r = Import(*client_, File(), options);
  EXPECT_EQ(r.rows, 11u);
  EXPECT_EQ(r.applied, 2u);
  EXPECT_EQ(r.failed, 9u);
  EXPECT_EQ(Errors(r), ExpectedErrors());
  auto counts = client_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->customers, 1u);
  EXPECT_EQ(counts->audit_entries, 1u);
}

TEST_F(MalformedCsvTest, ImportAppliesExactlyTheGoodRows) {
  ImportReport r = Import(*client_, File(), ImportOptions());
  EXPECT_EQ(r.rows, 11u);
  EXPECT_EQ(r.applied, 2u);
  EXPECT_EQ(r.duplicates, 0u);
  EXPECT_EQ(Errors(r), ExpectedErrors());
  ExpectOnlyGoodRowsApplied();
}

TEST_F(MalformedCsvTest, DuplicatesCanBeSkipped) {
  ImportOptions options;
  options.skip_duplicates = true;
  ImportReport r = Import(*client_, File(), options);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.failed, 8u);
  auto expected = ExpectedErrors();
  expected.erase(expected.begin() + 6);  // line 9, the duplicate
  EXPECT_EQ(Errors(r), expected);
  ExpectOnlyGoodRowsApplied();
  // A second run finds every good row already there.
  ImportReport again = Import(*client_, File(), options);
  EXPECT_EQ(again.applied, 0u);
  EXPECT_EQ(again.duplicates, 3u);
}

TEST_F(MalformedCsvTest, DuplicatesWithinTheFileAreCaught) {
  std::string text = kHeader + "One,individual," + Mobile(20) + ",one@example.com,\n" +
                     "Two,individual," + Mobile(21) + ", one@EXAMPLE.com ,\n";
  ImportReport r = Import(*client_, text, ImportOptions());
  EXPECT_EQ(r.applied, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 3u);
  EXPECT_EQ(r.errors[0].reason.rfind("already_exists: customer.emails[0]", 0), 0u)
      << r.errors[0].reason;
}

TEST_F(MalformedCsvTest, ColumnMappingAndHeaderErrors) {
  ImportOptions options;
  options.column_map = {{"Full Name", "name"}, {"Mobile", "phones"}, {"Notes", "-"}};
  std::string text = "Full Name,Mobile,Notes\nMapped Person,138 0013 8000,ignored\n";
  ImportReport r = Import(*client_, text, options);
  EXPECT_EQ(r.applied, 1u);
  EXPECT_TRUE(r.errors.empty());
  auto card = client_->Card(engine::CardKey::ByPhone("+8613800138000"));
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->customer.name, "Mapped Person");

  // An unknown column refuses the whole file before any row is written.
  const std::string unknown_column = "Name,Shoe Size\nX,42\n";
  MemFile in(unknown_column);
  auto refused = tools::ImportRecords(*client_, in.file, 0, ImportOptions());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("header column 1 \"Name\" is not a field of customer"),
            std::string::npos)
      << refused.status().message();
  const std::string no_name_text = "phones\n" + Mobile(30) + "\n";
  MemFile no_name(no_name_text);
  refused = tools::ImportRecords(*client_, no_name.file, 0, ImportOptions());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "the header has no column for required field name");
  const std::string unterminated_text = "name\n\"never closed\n";
  MemFile unterminated(unterminated_text);
  auto r2 = tools::ImportRecords(*client_, unterminated.file, 0, ImportOptions());
  ASSERT_TRUE(r2.ok());
  ASSERT_EQ(r2->errors.size(), 1u);
  EXPECT_EQ(r2->errors[0].line, 2u);
  EXPECT_EQ(r2->errors[0].reason,
            "invalid_argument: malformed CSV: a quoted field opened on line 2 is never closed");
}

TEST(JsonLinesImportTest, ReportsBadLinesAndAppliesTheRest) {
  TempDir dir;
  auto client = Embedded(dir.path());
  ASSERT_NE(client, nullptr);
  std::string text =
      "{\"kind\":\"customer\",\"record\":{\"name\":\"Good One\",\"phones\":[\"" + Mobile(1) +
      "\"]}}\n"
      "{\"name\":\"Trailing comma\",}\n"
      "{\"name\":\"Shoe\",\"shoe_size\":42}\n"
      "{\"kind\":\"task\",\"record\":{\"title\":\"x\"}}\n"
      "\n"
      "{\"name\":\"Bad \\ud800 surrogate\"}\n"
      "{\"name\":\"Good Two\",\"region\":{\"country\":\"CN\",\"city\":\"\\u6df1\\u5733\"},"
      "\"lifecycle\":\"active\",\"attributes\":{\"vip\":\"yes\"}}\n"
      "{\"name\":\"Bad year\",\"birth_year\":-5}\n";
  ImportOptions options;
  options.format = Format::kJsonl;
  ImportReport r = Import(*client, text, options);
  EXPECT_EQ(r.rows, 7u);
  EXPECT_EQ(r.applied, 2u);
  std::vector<std::pair<uint64_t, std::string>> expected = {
      {2, "invalid_argument: invalid JSON at byte 26: expected a member name"},
      {3, "invalid_argument: shoe_size: a customer has no field \"shoe_size\""},
      {4, "invalid_argument: kind: the line holds a task record, not a customer"},
      {6, "invalid_argument: invalid JSON at byte 20: a lone high surrogate"},
      {8, "invalid_argument: birth_year: must be a whole number from 0 to 65535"},
  };
  EXPECT_EQ(Errors(r), expected);
  auto two = client->Card(engine::CardKey::ById(2));
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->customer.region.city, "深圳");
  EXPECT_EQ(two->customer.lifecycle, engine::Lifecycle::kActive);
  ASSERT_EQ(two->customer.attributes.size(), 1u);
}

TEST(RecordIoTest, TimesAndCsvFieldsRoundTrip) {
  for (engine::Micros t : {engine::Micros{1}, kTestNow, kTestNow + 123456, engine::Micros{-1500000}}) {
    engine::Micros back = 0;
    ASSERT_TRUE(tools::ParseTimeText(tools::FormatIsoTime(t), &back)) << tools::FormatIsoTime(t);
    EXPECT_EQ(back, t);
  }
  engine::Micros t = 0;
  EXPECT_TRUE(tools::ParseTimeText("2026-01-01", &t));
  EXPECT_EQ(t, kTestNow);
  EXPECT_FALSE(tools::ParseTimeText("2026-13-01", &t));
  std::string line;
  tools::AppendCsvField("a,\"b\"\nc", &line);
  EXPECT_EQ(line, "\"a,\"\"b\"\"\nc\"");
}

// Export every kind, import into an empty directory keeping ids, and compare
// the two stores: every record of every kind, every customer's card.
void RoundTrip(Format format) {
  TempDir source_dir, target_dir, files;
  {
    auto engine = OpenEngine(source_dir.path());
    engine::DemoOptions demo;
    demo.customers = 400;
    demo.interactions = 3000;
    demo.transactions = 800;
    demo.heavy_customers = 1;
    demo.heavy_interactions = 500;
    auto summary = engine::LoadDemoData(*engine, demo);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    // Edges that point forward and back, and text that needs quoting.
    auto c = engine->GetCustomer(3);
    ASSERT_TRUE(c.ok());
    c->relations = {{400, engine::RelationKind::kPartner}, {1, engine::RelationKind::kParent}};
    c->tags = {"a;b", "[x]", "plain"};
    c->attributes = {{"note", "line one\nline \"two\", with comma"}};
    c->revision = 0;
    ASSERT_TRUE(engine->Update({}, *c).ok());
    // A contract with an owner: the owner travels too.
    auto users = engine->ListUsers();
    ASSERT_FALSE(users.empty());
    auto contract = engine->GetContract(1);
    ASSERT_TRUE(contract.ok());
    contract->owner = users.back().id;
    contract->revision = 0;
    ASSERT_TRUE(engine->Update({}, *contract).ok());
    // A deleted record leaves a gap in the ids.
    ASSERT_TRUE(engine->Delete({}, EntityKind::kTask, 5).ok());
  }
  auto source = Embedded(source_dir.path());
  ASSERT_NE(source, nullptr);
  for (EntityKind kind : tools::ImportOrder()) {
    std::string path = files.Sub(tools::ExportFileName(kind, format));
    std::FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    auto report = tools::ExportRecords(*source, kind, format, out);
    std::fclose(out);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }
  auto target = Embedded(target_dir.path());
  ASSERT_NE(target, nullptr);
  for (EntityKind kind : tools::ImportOrder()) {
    std::string path = files.Sub(tools::ExportFileName(kind, format));
    std::FILE* in = std::fopen(path.c_str(), "rb");
    ASSERT_NE(in, nullptr);
    ImportOptions options;
    options.kind = kind;
    options.format = format;
    options.keep_ids = true;
    options.batch_rows = 700;  // several requests per kind
    auto report = tools::ImportRecords(*target, in, 0, options);
    std::fclose(in);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->failed, 0u) << (report->errors.empty() ? "" : report->errors[0].reason);
  }
  for (EntityKind kind : tools::ImportOrder()) {
    std::vector<Record> a = All(*source, kind), b = All(*target, kind);
    ASSERT_EQ(a.size(), b.size()) << engine::Name(kind);
    EXPECT_FALSE(a.empty()) << engine::Name(kind);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(a[i] == b[i]) << tools::RecordToJsonLine(a[i]) << "\n"
                                << tools::RecordToJsonLine(b[i]);
    }
  }
  auto ca = source->Counts(), cb = target->Counts();
  ASSERT_TRUE(ca.ok() && cb.ok());
  for (const Record& r : All(*source, EntityKind::kCustomer)) {
    engine::CardOptions options;
    options.recent_interactions = 1000;
    options.due_tasks = 1000;
    auto a = source->Card(engine::CardKey::ById(engine::IdOf(r)), options);
    auto b = target->Card(engine::CardKey::ById(engine::IdOf(r)), options);
    ASSERT_TRUE(a.ok() && b.ok());
    ExpectSameCard(*a, *b);
  }
  auto c3 = target->Card(engine::CardKey::ById(3));
  ASSERT_TRUE(c3.ok());
  EXPECT_EQ(c3->customer.relations.size(), 2u);
  // New records go after every imported id.
  auto fresh = target->Create(Individual("After import"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, 401u);
}

TEST(ExportImportTest, JsonLinesRoundTripGivesAnIdenticalStore) { RoundTrip(Format::kJsonl); }
TEST(ExportImportTest, CsvRoundTripGivesAnIdenticalStore) { RoundTrip(Format::kCsv); }

TEST(ExportImportTest, ImportWithIdsRefusesTakenIds) {
  TempDir dir;
  auto client = Embedded(dir.path());
  ASSERT_NE(client, nullptr);
  std::string text = "{\"id\":7,\"revision\":3,\"name\":\"Seven\",\"created_at\":5,\"updated_at\":6}\n";
  ImportOptions options;
  options.format = Format::kJsonl;
  options.keep_ids = true;
  EXPECT_EQ(Import(*client, text, options).applied, 1u);
  auto seven = client->Get(EntityKind::kCustomer, 7);
  ASSERT_TRUE(seven.ok());
  EXPECT_EQ(std::get<engine::Customer>(*seven).revision, 3u);
  EXPECT_EQ(std::get<engine::Customer>(*seven).created_at, 5);
  ImportReport again = Import(*client, text, options);
  ASSERT_EQ(again.errors.size(), 1u);
  EXPECT_EQ(again.errors[0].reason, "already_exists: customer.id: customer 7 already exists");
  options.skip_duplicates = true;
  EXPECT_EQ(Import(*client, text, options).duplicates, 1u);
  // Without --keep-ids the row is a new customer with a new id.
  options.keep_ids = false;
  EXPECT_EQ(Import(*client, "{\"id\":7,\"name\":\"Seven again\"}\n", options).applied, 1u);
  EXPECT_TRUE(client->Get(EntityKind::kCustomer, 8).ok());
}

}  // namespace
}  // namespace crm::testing
