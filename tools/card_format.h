// Rendering of engine results for people (a terminal screen) and machines
// (JSON). Used by crmctl.
#pragma once

#include <string>

#include "crm/engine/engine.h"

namespace crm::tools {

// A customer card as a screen of text, sections in the order a call-center
// agent reads them.
std::string CardToText(const engine::CustomerCard& card);
std::string CardToJson(const engine::CustomerCard& card);

std::string HistoryToText(const engine::HistoryPage& page);
// Any record as one JSON object, with its kind ({"kind":"task","record":{...}}).
std::string RecordToJson(const engine::Record& record);
std::string HistoryToJson(const engine::HistoryPage& page);

// "2026-01-01 08:30" (UTC) for a time in microseconds; "-" for 0.
std::string FormatTime(engine::Micros t);
// "1,234.56 CNY"
std::string FormatMoney(const engine::Money& m);

}  // namespace crm::tools
