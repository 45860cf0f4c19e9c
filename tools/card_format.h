// Rendering of engine results for people (a terminal screen) and machines
// (JSON). Used by crmctl.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crm/engine/engine.h"
#include "crm/engine/value.h"

namespace crm::tools {

// A minimal streaming JSON writer: commas and escaping are its whole job.
class Json {
 public:
  Json& Open(char bracket);
  Json& Close(char bracket);
  Json& Key(std::string_view key);
  Json& Str(std::string_view value);
  Json& Int(int64_t value);
  Json& UInt(uint64_t value);
  // Shortest form that reads back to the same double; null when not finite.
  Json& Num(double value);
  Json& Bool(bool value);
  // `json`, one JSON value already written, as the next value.
  Json& Raw(std::string_view json);
  Json& Field(std::string_view key, std::string_view value) { return Key(key).Str(value); }
  Json& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  Json& UField(std::string_view key, uint64_t value) { return Key(key).UInt(value); }
  Json& NField(std::string_view key, double value) { return Key(key).Num(value); }
  Json& BField(std::string_view key, bool value) { return Key(key).Bool(value); }
  std::string Take() { return std::move(out_); }

 private:
  void Comma();
  void Quote(std::string_view s);
  std::string out_;
  bool first_ = true;
};

// A customer card as a screen of text, sections in the order a call-center
// agent reads them.
std::string CardToText(const engine::CustomerCard& card);
// The card as one JSON object. Its records have the fields of record_io.h's
// table that crmctl's JSON output shows (FieldSpec::card).
std::string CardToJson(const engine::CustomerCard& card);

// The value block of a card: scores, tier, class, rank and the factors
// behind them ("why").
std::string ValueToText(const engine::ValueSummary& value);
// Writes the value summary as one JSON object (a value of `j`).
void ValueJson(Json& j, const engine::ValueSummary& value);

std::string HistoryToText(const engine::HistoryPage& page);
// Any record as one JSON object, with its kind ({"kind":"task","record":{...}}).
std::string RecordToJson(const engine::Record& record);
std::string HistoryToJson(const engine::HistoryPage& page);

// "2026-01-01 08:30" (UTC) for a time in microseconds; "-" for 0.
std::string FormatTime(engine::Micros t);
// "1,234.56 CNY"
std::string FormatMoney(const engine::Money& m);
// Minor units as units with two decimals and thousands separators:
// 123456 -> "1,234.56". Rounds a fractional amount to the nearest cent.
std::string FormatMinor(double minor_units);
// 1000000 -> "1,000,000"
std::string FormatCount(uint64_t n);
// A number with `decimals` decimals.
std::string FormatFixed(double value, int decimals);

// Factors whose raw values (and log units) are money, in minor units.
bool IsMoneyFactor(engine::Factor f);
// A factor's raw value in its own unit: money as units, days as days, ...
std::string FormatFactorRaw(engine::Factor f, double raw);

}  // namespace crm::tools
