// Records as text: a strict JSON reader, RFC 4180 CSV, and the table of
// fields each record kind has. Export and import share the table, so that
// what one writes the other reads back exactly; crmctl's JSON output and its
// create/update flags read it too.
//
// Field names are those of crmctl's JSON output, nested objects flattened
// with dots in CSV headers ("region.country", "amount.minor_units"). Every
// record also carries the server-owned fields revision, created_at and
// updated_at, so an export holds the whole record.
//
// record_io.cc holds the JSON, CSV and time formats; record_fields.cc the
// table and what reads it whole.
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
  struct Member;
  std::vector<Member> members;  // in document order

  // The member named `key`, or nullptr (also when this is not an object).
  const JsonValue* Find(std::string_view key) const;
};

// One member of a JSON object.
struct JsonValue::Member {
  std::string key;
  JsonValue value;
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

// The non-empty pieces of `text` between `separator`s: "a,,b," -> {"a", "b"}.
std::vector<std::string> SplitNonEmpty(std::string_view text, char separator);

// ---- the fields of each record kind
//
// One table per record kind lists its fields once, in export order (id
// first, created_at and updated_at last). Export and import, crmctl's JSON
// output (card, get, history, users) and crmctl's create/update flags all
// read it: a new record field is one line in record_fields.cc.

// What a field holds. It decides how a crmctl flag's text becomes the value.
enum class FieldType : uint8_t {
  kUnsigned,  // a whole number from 0: ids, counts, percents
  kSigned,    // a whole number; money in minor units
  kTime,      // microseconds since 1970; also ISO 8601 UTC text
  kText,
  kList,      // strings: a JSON array, a CSV cell "a;b", a flag "a,b"
  kEnum,      // one of the value names in model.h
  kBool,
  kCurrency,  // an ISO 4217 code
  kObject,    // a JSON object of strings (attributes)
  kArray,     // a JSON array of objects (relations)
};

// When crmctl's JSON output (card, get, history, users) shows a field.
enum class CardShows : uint8_t {
  kAlways,
  kNever,
  kIndividuals,  // only on an individual customer (gender, birth year, ...)
};

// An older crmctl flag name that still sets a field.
struct FlagAlias {
  std::string flag;          // without the dashes: "size", "tax-id"
  bool major_units = false;  // money in major units ("1234.50") for a minor-units field
};

// One field of a record kind: how to read it from a JSON value, a CSV cell or
// a crmctl flag, and how to write it.
struct FieldSpec {
  std::string name;  // dotted path: "name", "region.city"
  FieldType type = FieldType::kText;
  bool required = false;  // a row without it is refused
  // Export writes it and import reads it. False only for a field that export
  // has never carried (a contract's owner), so that the files keep their form.
  bool exported = true;
  // crmctl create/update set it with --FlagName(name) or an alias. False for
  // the fields the server owns (id, revision, created_at, updated_at).
  bool flag = true;
  CardShows card = CardShows::kAlways;
  std::vector<FlagAlias> aliases;
  // Sets the field from a JSON value (a string is accepted for any field:
  // that is what a CSV cell is). Returns InvalidArgument naming what is wrong.
  std::function<engine::Status(engine::Record&, const JsonValue&)> set;
  // Appends the field's JSON value.
  std::function<void(const engine::Record&, std::string*)> json;
  // The field as a CSV cell ("" when unset).
  std::function<std::string(const engine::Record&)> cell;
};

// Every field of `kind`, in export order.
const std::vector<FieldSpec>& AllFieldsOf(engine::EntityKind kind);
// The fields that export writes and import reads, in export order (id first).
const std::vector<FieldSpec>& FieldsOf(engine::EntityKind kind);

// The crmctl flag of a field, without the dashes: dots and underscores
// become dashes ("tax_id" -> "tax-id", "region.city" -> "region-city").
std::string FlagName(std::string_view field_name);

// The field of `kind` that crmctl flag `flag` (without the dashes) sets, by
// its FlagName or an alias; nullptr when there is none. *major_units is set
// when the flag takes money in major units.
const FieldSpec* FieldOfFlag(engine::EntityKind kind, std::string_view flag, bool* major_units);

// Sets `field` of `record` from a flag's text: a list is comma-separated,
// money in major units when `major_units` ("1234.5" -> 123450), anything
// else as a CSV cell. InvalidArgument says what is wrong.
engine::Status SetFromFlag(const FieldSpec& field, bool major_units, const std::string& text,
                           engine::Record* record);

// An empty record of `kind`.
engine::Record EmptyRecordOf(engine::EntityKind kind);

// The record as one JSON line: {"kind":"customer","record":{...}} (no newline).
std::string RecordToJsonLine(const engine::Record& record);

// Which fields a record's JSON object holds.
enum class JsonFields : uint8_t {
  kExport,  // the fields of FieldsOf()
  kCard,    // the fields crmctl's JSON output shows (FieldSpec::card)
};
// Appends the record's fields as one JSON object, nested where the names are
// dotted ({"region":{"city":..}}).
void AppendRecordJson(const engine::Record& record, JsonFields which, std::string* out);

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
