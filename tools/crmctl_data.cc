// crmctl's data commands: import, export, backup, restore, verify.
#include "crmctl_data.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/backup.h"
#include "crmctl_args.h"
#include "crmctl_client.h"
#include "data_dir.h"
#include "data_ops.h"

namespace crm::tools {
namespace {

using namespace crm::engine;
using crm::client::Client;
namespace fs = std::filesystem;

constexpr const char* kDataUsage = R"(crmctl data commands:

  import ENTITY FILE   import rows of one kind from CSV or JSON Lines ("-" = stdin)
        [--format csv|jsonl]  (default: from the file name; .csv is CSV, else JSON Lines)
        [--map COLUMN=FIELD]... rename a CSV column to a field; COLUMN=- drops it
        [--dry-run]            check every row against the store, change nothing
        [--on-duplicate report|skip]  (report) a row whose phone, email, external ref
                               (or id, with --keep-ids) is taken: an error, or skipped
        [--keep-ids]           rows carry id, revision and times and keep them (admin)
        [--errors FILE]        write every bad row there (stderr shows the first 100)
  import --dir DIR     import a whole export directory, keeping ids (same options)
  export ENTITY FILE   write every record of one kind ("-" = stdout) [--format csv|jsonl]
  export --dir DIR     write every kind, users included, to DIR/<kind>s.<format>
  backup PATH          hot backup of the store: PATH/data.mdb + PATH/MANIFEST
        [--single-file] PATH is one file, manifest at PATH.manifest
        [--no-compact]  copy free pages too (faster on a store with little free space)
        Through crmd the backup is written by crmd, on its machine.
  restore BACKUP DIR   check BACKUP against its manifest, copy it into the new DIR, verify
  verify PATH          check a backup or a data directory: checksums, every record
        [--checksums-only]  decodes, indexes rebuild, references resolve; exit 1 if not

ENTITY is customer, contact, interaction, transaction, opportunity, contract, task or user.
)";

using DataArgs = CommandArgs;

DataArgs Parse(int argc, char** argv) {
  static const CommandSyntax kSyntax = {
      .usage = kDataUsage,
      .flags = {"dry-run", "keep-ids", "single-file", "no-compact", "checksums-only", "json"},
      .lists = {},
      .keep_repeats = true,  // --map may repeat
  };
  return ParseCommandLine(argc, argv, kSyntax);
}

EntityKind ParseKind(const std::string& text) {
  EntityKind kind;
  if (!engine::Parse(text, &kind)) {
    Fail("unknown record kind \"" + text +
         "\": customer, contact, interaction, transaction, opportunity, contract, task or user");
  }
  return kind;
}

// The deadline of one call: large writes and backups take a while, and the
// clients' defaults are for interactive calls.
constexpr std::chrono::hours kDataCallTimeout{2};

// A progress line on stderr, only when stderr is a terminal: a bar, the
// rate and the time left.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label)
      : label_(std::move(label)), tty_(isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fputc('\n', stderr);
  }
  // `done` of `total` units (bytes or records; total 0 = unknown), `rows` so far.
  void Update(uint64_t done, uint64_t total, uint64_t rows, bool force = false) {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? rows / secs : 0;
    char line[160];
    if (total > 0) {
      double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      int filled = static_cast<int>(frac * 30);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(30 - filled), '.');
      double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
      std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%% %" PRIu64 " rows %.0f rows/s ETA %d:%02d  ",
                    label_.c_str(), bar.c_str(), frac * 100, rows, rate,
                    static_cast<int>(eta) / 60, static_cast<int>(eta) % 60);
    } else {
      std::snprintf(line, sizeof line, "\r%s %" PRIu64 " rows %.0f rows/s  ", label_.c_str(), rows,
                    rate);
    }
    std::fputs(line, stderr);
    drawn_ = true;
  }
  ProgressFn Fn() {
    return [this](uint64_t done, uint64_t total, uint64_t rows) { Update(done, total, rows); };
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

Format FormatFor(const DataArgs& args, const std::string& path) {
  if (!args.Has("format")) return FormatOfPath(path);
  Format format;
  if (!ParseFormat(args.Get("format"), &format)) Fail("--format takes csv or jsonl");
  return format;
}

ImportOptions ImportOptionsFrom(const DataArgs& args) {
  ImportOptions options;
  options.dry_run = args.Has("dry-run");
  options.keep_ids = args.Has("keep-ids");
  std::string dup = args.Get("on-duplicate", "report");
  if (dup != "report" && dup != "skip") Fail("--on-duplicate takes report or skip");
  options.skip_duplicates = dup == "skip";
  if (args.Has("batch")) {
    options.batch_rows = WholeNumber(args.Get("batch"), 100000).value_or(0);
    if (options.batch_rows == 0 || options.batch_rows > 100000) Fail("--batch takes 1..100000");
  }
  auto range = args.values.equal_range("map");
  for (auto it = range.first; it != range.second; ++it) {
    auto eq = it->second.rfind('=');
    if (eq == std::string::npos || eq == 0) Fail("--map takes COLUMN=FIELD (or COLUMN=-)");
    options.column_map[it->second.substr(0, eq)] = it->second.substr(eq + 1);
  }
  return options;
}

// "customers", "opportunities".
std::string Plural(EntityKind kind) {
  std::string name(Name(kind));
  return kind == EntityKind::kOpportunity ? "opportunities" : name + "s";
}

// Runs one file's import and prints its outcome; returns the report.
ImportReport ImportFile(Client& client, const DataArgs& args, ImportOptions options,
                        const std::string& path, std::FILE* errors_out, size_t* shown) {
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (in == nullptr) Fail("cannot open " + path);
  uint64_t size = 0;
  struct stat st;
  if (path != "-" && stat(path.c_str(), &st) == 0) size = static_cast<uint64_t>(st.st_size);
  options.format = FormatFor(args, path);
  std::string label = std::string(options.dry_run ? "checking " : "importing ") +
                      Plural(options.kind);
  ImportReport report;
  {
    ProgressBar bar(label);
    options.progress = bar.Fn();
    Result<ImportReport> result = ImportRecords(client, in, size, options);
    if (in != stdin) std::fclose(in);
    if (!result.ok()) Fail(path + ": " + result.status().ToString());
    report = std::move(result).value();
  }
  for (const RowError& e : report.errors) {
    if (errors_out != nullptr) {
      std::fprintf(errors_out, "%s:%" PRIu64 ": %s\n", path.c_str(), e.line, e.reason.c_str());
    }
    if (*shown < 100) {
      std::fprintf(stderr, "%s:%" PRIu64 ": %s\n", path.c_str(), e.line, e.reason.c_str());
      ++*shown;
    }
  }
  double rate = report.seconds > 0 ? report.rows / report.seconds : 0;
  std::printf("%s %" PRIu64 " of %" PRIu64 " %s from %s in %.2f s (%.0f rows/s)",
              options.dry_run ? "would import" : "imported", report.applied, report.rows,
              Plural(options.kind).c_str(), path.c_str(), report.seconds, rate);
  if (report.duplicates) std::printf("; %" PRIu64 " duplicates skipped", report.duplicates);
  if (report.failed) std::printf("; %" PRIu64 " bad rows", report.failed);
  std::printf("\n");
  return report;
}

int ImportCommand(const DataArgs& args, const std::string& data_dir) {
  ImportOptions options = ImportOptionsFrom(args);
  std::FILE* errors_out = nullptr;
  if (args.Has("errors")) {
    errors_out = std::fopen(args.Get("errors").c_str(), "w");
    if (errors_out == nullptr) Fail("cannot write " + args.Get("errors"));
  }
  size_t shown = 0;
  uint64_t failed = 0, total_errors = 0;
  std::unique_ptr<Client> client;
  if (args.Has("dir")) {
    std::string dir = args.Get("dir");
    Format format = args.Has("format") ? FormatFor(args, "") : Format::kJsonl;
    options.keep_ids = true;
    client = OpenClient(args, data_dir, kDataCallTimeout);
    bool any = false;
    for (EntityKind kind : ImportOrder()) {
      std::string path = dir + "/" + ExportFileName(kind, format);
      if (!args.Has("format") && !fs::exists(path)) path = dir + "/" + ExportFileName(kind, Format::kCsv);
      if (!fs::exists(path)) continue;
      any = true;
      options.kind = kind;
      ImportReport r = ImportFile(*client, args, options, path, errors_out, &shown);
      failed += r.failed;
      total_errors += r.errors.size();
    }
    if (!any) Fail(dir + " holds no export files (customers.jsonl, ...)");
  } else {
    if (args.words.size() != 3) Fail("usage: crmctl import ENTITY FILE [options] (see crmctl data --help)");
    options.kind = ParseKind(args.words[1]);
    client = OpenClient(args, data_dir, kDataCallTimeout);
    ImportReport r = ImportFile(*client, args, options, args.words[2], errors_out, &shown);
    failed += r.failed;
    total_errors += r.errors.size();
  }
  if (total_errors > shown) {
    std::fprintf(stderr, "... %" PRIu64 " more bad rows%s\n", total_errors - shown,
                 errors_out ? " (all of them are in the --errors file)" : " (--errors FILE lists all)");
  }
  if (errors_out != nullptr) std::fclose(errors_out);
  return failed == 0 ? 0 : 1;
}

int ExportOne(Client& client, EntityKind kind, Format format, const std::string& path) {
  std::FILE* out = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
  if (out == nullptr) Fail("cannot write " + path);
  Result<ExportReport> report = Status::Internal("export did not run");
  {
    ProgressBar bar("exporting " + Plural(kind));
    report = ExportRecords(client, kind, format, out, bar.Fn());
  }
  if (out != stdout && std::fclose(out) != 0) Fail("cannot write " + path);
  if (!report.ok()) Fail("export of " + Plural(kind) + ": " + report.status().ToString());
  if (out != stdout) {
    std::printf("exported %" PRIu64 " %s to %s in %.2f s\n", report->records,
                Plural(kind).c_str(), path.c_str(), report->seconds);
  }
  return 0;
}

int ExportCommand(const DataArgs& args, const std::string& data_dir) {
  if (args.Has("dir")) {
    std::string dir = args.Get("dir");
    Format format = args.Has("format") ? FormatFor(args, "") : Format::kJsonl;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) Fail("cannot create " + dir + ": " + ec.message());
    auto client = OpenClient(args, data_dir, kDataCallTimeout);
    for (EntityKind kind : ImportOrder()) {
      ExportOne(*client, kind, format, dir + "/" + ExportFileName(kind, format));
    }
    return 0;
  }
  if (args.words.size() != 3) Fail("usage: crmctl export ENTITY FILE|- [--format csv|jsonl]");
  EntityKind kind = ParseKind(args.words[1]);
  auto client = OpenClient(args, data_dir, kDataCallTimeout);
  return ExportOne(*client, kind, FormatFor(args, args.words[2]), args.words[2]);
}

int BackupCommand(const DataArgs& args, const std::string& data_dir) {
  if (args.words.size() != 2) Fail("usage: crmctl backup PATH [--single-file] [--no-compact]");
  BackupOptions options;
  options.path = fs::absolute(args.words[1]).lexically_normal().string();
  if (options.path.size() > 1 && options.path.back() == '/') options.path.pop_back();
  options.single_file = args.Has("single-file");
  options.compact = !args.Has("no-compact");
  auto client = OpenClient(args, data_dir, kDataCallTimeout);
  Result<BackupInfo> info = client->Backup(options);
  if (!info.ok()) Fail("backup failed: " + info.status().ToString());
  std::printf("backup written in %.2f s: %s (%" PRIu64 " bytes, xxh3-64 %016" PRIx64
              "), manifest %s\n",
              info->micros / 1e6, info->data_file.c_str(), info->bytes, info->xxh3,
              info->manifest_file.c_str());
  std::printf("holds audit sequence %" PRIu64 ": %" PRIu64 " customers, %" PRIu64
              " contacts, %" PRIu64 " interactions, %" PRIu64 " transactions, %" PRIu64
              " opportunities, %" PRIu64 " contracts, %" PRIu64 " tasks, %" PRIu64 " users\n",
              info->audit_sequence, info->counts.customers, info->counts.contacts,
              info->counts.interactions, info->counts.transactions, info->counts.opportunities,
              info->counts.contracts, info->counts.tasks, info->counts.users);
  return 0;
}

int RestoreCommand(const DataArgs& args) {
  if (args.words.size() != 3) Fail("usage: crmctl restore BACKUP NEWDIR");
  Result<VerifyReport> report = Restore(args.words[1], args.words[2]);
  if (!report.ok()) Fail(report.status().message());
  std::fputs(report->ToText().c_str(), stdout);
  if (report->ok()) std::printf("restored %s into %s\n", args.words[1].c_str(), args.words[2].c_str());
  return report->ok() ? 0 : 1;
}

int VerifyCommand(const DataArgs& args) {
  if (args.words.size() != 2) Fail("usage: crmctl verify PATH [--checksums-only]");
  VerifyOptions options;
  options.checksums_only = args.Has("checksums-only");
  VerifyReport report = Verify(args.words[1], options);
  std::fputs(report.ToText().c_str(), stdout);
  return report.ok() ? 0 : 1;
}

}  // namespace

bool RunDataCommand(int argc, char** argv, int* exit_code) {
  const std::string command = CommandWord(argc, argv);
  static const std::vector<std::string> kCommands = {"import", "export", "backup", "restore",
                                                     "verify", "data"};
  if (std::find(kCommands.begin(), kCommands.end(), command) == kCommands.end()) return false;
  DataArgs args = Parse(argc, argv);
  std::string data_dir = args.Get("data", DefaultDataDir());
  if (command == "data") {
    std::fputs(kDataUsage, stdout);
    *exit_code = 0;
  } else if (command == "import") {
    *exit_code = ImportCommand(args, data_dir);
  } else if (command == "export") {
    *exit_code = ExportCommand(args, data_dir);
  } else if (command == "backup") {
    *exit_code = BackupCommand(args, data_dir);
  } else if (command == "restore") {
    *exit_code = RestoreCommand(args);
  } else {
    *exit_code = VerifyCommand(args);
  }
  return true;
}

}  // namespace crm::tools
