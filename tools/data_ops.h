// Import and export of records through the client library (so both work
// embedded and against a running crmd), in CSV or JSON Lines.
//
// Import: rows become one write op each, sent in large non-atomic writes (a
// row stands alone: a bad row is reported and never half-applied, the others
// go in). Rows are parsed on a helper thread while the previous write
// commits. Bad rows are reported with their line and reason; rows whose
// phone, email, external ref (or, keeping ids, id) is already taken are
// reported or skipped, per option.
//
// Ids: a plain import creates records and the server assigns ids; columns
// that refer to other records (customer, contact, opportunity, owner ...)
// name ids already in the store. With keep_ids, every row must carry its id
// and is imported with it, revision and times included (WriteKind::kImport,
// admin only): that is how an export goes back into an empty store
// unchanged. Relations between customers are applied after all customers
// are in, so they may point forward.
//
// Thread-safety: each call uses its client alone; do not share a client with
// a running import or export.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::tools {

enum class Format { kCsv, kJsonl };

// "csv" / "jsonl" (also "json", "ndjson"); false for anything else.
bool ParseFormat(const std::string& text, Format* out);
// The format a file name implies by its extension; kJsonl when unknown.
Format FormatOfPath(const std::string& path);

// Called now and then with what is done and what the whole is (bytes or
// records; `total` 0 when unknown).
using ProgressFn = std::function<void(uint64_t done, uint64_t total, uint64_t rows)>;

struct ImportOptions {
  engine::EntityKind kind = engine::EntityKind::kCustomer;
  Format format = Format::kCsv;
  // CSV header name -> field name ("Mobile" -> "phones"); a field name of
  // "-" drops the column.
  std::map<std::string, std::string> column_map;
  bool dry_run = false;          // validate every row against the store, apply nothing
  bool skip_duplicates = false;  // false: a duplicate is a reported error
  bool keep_ids = false;         // import with ids, revisions and times (admin only)
  size_t batch_rows = 4096;      // rows per write request
  ProgressFn progress;
};

struct RowError {
  uint64_t line = 0;  // where the row starts, 1-based (line 1 of a CSV is its header)
  std::string reason;
};

struct ImportReport {
  uint64_t rows = 0;        // rows read (header not counted)
  uint64_t applied = 0;     // written (or, in a dry run, that would be)
  uint64_t duplicates = 0;  // skipped as duplicates (skip_duplicates)
  uint64_t failed = 0;      // bad rows, reported in `errors`
  std::vector<RowError> errors;  // sorted by line
  double seconds = 0;
};

// Imports the rows of `in` (size_bytes for progress; 0 if unknown). Fails as
// a whole only when the input cannot be used at all (a CSV header naming an
// unknown field, a transport error); row problems are in the report.
engine::Result<ImportReport> ImportRecords(client::Client& client, std::FILE* in,
                                           uint64_t size_bytes, const ImportOptions& options);

struct ExportReport {
  uint64_t records = 0;
  double seconds = 0;
};

// Streams every record of `kind` to `out`, by ascending id, in pages. CSV
// starts with a header of field names. Users leave without token hashes.
engine::Result<ExportReport> ExportRecords(client::Client& client, engine::EntityKind kind,
                                           Format format, std::FILE* out,
                                           const ProgressFn& progress = {});

// The file a directory export uses for `kind`: "customers.jsonl", ...
std::string ExportFileName(engine::EntityKind kind, Format format);

// The kinds in the order a directory export is imported (users, customers,
// then what refers to them).
const std::vector<engine::EntityKind>& ImportOrder();

}  // namespace crm::tools
