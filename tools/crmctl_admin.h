// crmctl's operations commands: audit, handover, stats. crmctl.cc hands them
// the parsed command line.
#pragma once

#include <string>
#include <vector>

#include "crm/client/client.h"
#include "crmctl_args.h"

namespace crm::tools {

// Whether `command` is one of the commands below.
bool IsAdminCommand(const std::string& command);
// Options that take no value ("--deactivate").
const std::vector<std::string>& AdminFlags();
// Runs the command; returns the exit status (errors exit with 2).
int RunAdminCommand(client::Client& client, const CommandArgs& args);

// Usage lines for crmctl --help.
extern const char* const kAdminUsage;

}  // namespace crm::tools
