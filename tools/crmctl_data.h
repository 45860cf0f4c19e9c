// crmctl's data commands (import, export, backup, restore, verify), kept
// apart from the record commands of crmctl.cc.
#pragma once

namespace crm::tools {

// Runs argv's command when it is one of the data commands (or "data", their
// help) and sets *exit_code; returns false, touching nothing, for any other
// command.
bool RunDataCommand(int argc, char** argv, int* exit_code);

}  // namespace crm::tools
