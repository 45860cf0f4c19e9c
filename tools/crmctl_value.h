// crmctl's value commands: `tiers` (the scoring config in force, its
// history, changing it) and `report` (Pareto, tiers, groups, pipeline,
// contracts, churn, satisfaction, conversion, owner KPIs).
#pragma once

#include <string>

#include "crm/client/client.h"
#include "crmctl_args.h"

namespace crm::tools {

// `args.words` are the positional words ("tiers", "set", ...), `args.values`
// the --name value pairs, one per name (bare flags map to ""). Prints the
// result and returns the exit code: 0, or 1 after printing an error to stderr
// (bad option, unknown factor, refused by the server).
int TiersCommand(client::Client& client, const CommandArgs& args);
int ReportCommand(client::Client& client, const CommandArgs& args);

// "2026-06-30" (the end of that day, UTC), "2026-06-30T12:00",
// "2026-06-30T12:00:00" or "2026-06-30T12:00:00Z" -> microseconds; false
// when `text` is none of these.
bool ParseAsOf(const std::string& text, engine::Micros* out);

}  // namespace crm::tools
