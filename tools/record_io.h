// Records as text: a strict JSON reader, RFC 4180 CSV, and the table of
// fields each record kind has, shared by export and import so that what one
// writes the other reads back exactly.
//
// Field names are those of crmctl's JSON output (card_format.cc), nested
// objects flattened with dots in CSV headers ("region.country",
// "amount.minor_units"). Every record also carries the server-owned fields
// revision, created_at and updated_at, so an export holds the whole record.
//
// Thread-safety: the functions and tables here are immutable after first use
// and may be used from any thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::tools {

// ---- JSON

// A parsed JSON value. Numbers keep their text (records hold 64-bit
// integers that a double would round).
struct JsonValue {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the literal
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;  // in document order

  // The member named `key`, or nullptr (also when this is not an object).
  const JsonValue* Find(std::string_view key) const;
};

// Parses one JSON document, strictly (RFC 8259): no trailing commas, no
// comments, no leading zeros, valid UTF-8 and escapes (surrogate pairs
// joined, lone surrogates refused), nesting at most 64 deep, nothing but
// white space after the value. InvalidArgument says what and at which byte.
engine::Status ParseJson(std::string_view text, JsonValue* out);

// `text` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view text, std::string* out);

// ---- CSV (RFC 4180)

// Reads CSV records from a stdio stream: fields separated by commas, records
// by CRLF or LF; a field in double quotes may hold commas, line breaks and
// doubled quotes. A malformed record (a quote inside an unquoted field,
// anything but a comma or line end after a closing quote, a quoted field
// never closed) is reported, and reading goes on at the next line.
class CsvReader {
 public:
  explicit CsvReader(std::FILE* in) : in_(in) {}

  enum class Next { kRecord, kError, kEnd };
  // Reads the next record into `fields`. kError: `error` says why, and the
  // record is skipped. line() is the record's first line (1-based).
  Next Read(std::vector<std::string>* fields, std::string* error);
  uint64_t line() const { return record_line_; }
  uint64_t bytes_read() const { return consumed_; }

 private:
  int Get();
  void Unget(int c);

  std::FILE* in_;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  uint64_t consumed_ = 0;
  int pushed_ = -2;
};

// `field` as a CSV field, quoted when it must be.
void AppendCsvField(std::string_view field, std::string* out);

// ---- fields of each record kind

// One field of a record kind: how to read it from a JSON value or a CSV cell
// and how to write it.
struct FieldSpec {
  std::string name;       // dotted path: "name", "region.city"
  bool required = false;  // a row without it is refused
  // Sets the field from a JSON value (a string is accepted for any field:
  // that is what a CSV cell is). Returns InvalidArgument naming what is wrong.
  std::function<engine::Status(engine::Record&, const JsonValue&)> set;
  // Appends the field's JSON value.
  std::function<void(const engine::Record&, std::string*)> json;
  // The field as a CSV cell ("" when unset).
  std::function<std::string(const engine::Record&)> cell;
};

// The fields of `kind`, in export order (id first).
const std::vector<FieldSpec>& FieldsOf(engine::EntityKind kind);

// An empty record of `kind`.
engine::Record EmptyRecordOf(engine::EntityKind kind);

// The record as one JSON line: {"kind":"customer","record":{...}} (no newline).
std::string RecordToJsonLine(const engine::Record& record);

// Reads a record of `kind` from a JSON object: either {"kind":..,"record":{..}}
// (the export form; the kind must match) or the record object itself. Unknown
// members are refused (a misspelt field must not vanish silently).
engine::Status RecordFromJson(engine::EntityKind kind, const JsonValue& value,
                              engine::Record* out);

// "2026-12-01T09:30:00Z" (with ".ffffff" when there are microseconds); "" for 0.
std::string FormatIsoTime(engine::Micros t);
// Reads whole microseconds ("1767225600000000") or ISO 8601 UTC:
// "2026-12-01", "2026-12-01T09:30", "2026-12-01T09:30:15.25Z".
bool ParseTimeText(std::string_view text, engine::Micros* out);
// The UTC calendar time (month 1..12; out-of-range fields roll over as in
// timegm) in microseconds since the epoch.
engine::Micros UtcToMicros(int year, int month, int day, int hour = 0, int minute = 0,
                           int second = 0);

}  // namespace crm::tools
