// The crmctl command line, read the same way by every command file
// (crmctl.cc, crmctl_admin.cc, crmctl_data.cc, crmctl_value.cc): the parser,
// the error exit, and the readers of option values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crm/engine/status.h"

namespace crm::tools {

// Positional words and "--name value" options (a bare flag maps to "").
// `values` can keep every value of an option given more than once, in
// command-line order; a parser that wants one value per name replaces the
// earlier one instead of adding another.
struct CommandArgs {
  std::vector<std::string> words;
  std::multimap<std::string, std::string> values;

  bool Has(const std::string& name) const { return values.count(name) > 0; }
  // The first value of `name`, or `fallback` when it was not given.
  std::string Get(const std::string& name, std::string fallback = {}) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
};

// How a family of commands reads its command line.
struct CommandSyntax {
  std::string usage;                // printed on stdout for -h or --help, which exit 0
  std::vector<std::string> flags;   // options that take no value
  std::vector<std::string> lists;   // repeated, their values are joined with commas
  bool keep_repeats = false;        // any other repeated option: keep every value (or the last)
};

// Reads argv: "--name value", "--name=value", bare flags, and words (any
// argument not starting with "--", "-" among them). Fails when an option
// other than a flag has no value.
CommandArgs ParseCommandLine(int argc, char** argv, const CommandSyntax& syntax);

// The command: argv's first word, skipping the values of the global options
// (--data, --server, --token) given before it; "" when there is none.
std::string CommandWord(int argc, char** argv);

// Prints "crmctl: <message>" on stderr and exits with status 2.
[[noreturn]] void Fail(const std::string& message);

// Fails with the status' text unless it is ok.
void Check(const engine::Status& s);

// `text` as a whole number from 0 to `max`; nullopt for anything else
// ("", "-1", "12x", too large).
std::optional<uint64_t> WholeNumber(const std::string& text, uint64_t max = UINT64_MAX);
// `text` as a finite number; nullopt for anything else.
std::optional<double> Number(const std::string& text);
// "--NAME takes a whole number, not \"TEXT\"" (and the same for a number).
std::string WholeNumberError(const std::string& name, const std::string& text);
std::string NumberError(const std::string& name, const std::string& text);

// The value of option `name` as a whole number; fails on anything else.
uint64_t ParseWholeNumber(const std::string& name, const std::string& text);
// Option `name` as a whole number, or `fallback` when it was not given.
uint64_t WholeNumberOption(const CommandArgs& args, const std::string& name, uint64_t fallback);

// The token for crmd: --token, else $CRM_TOKEN, else DATA_DIR/admin.token
// ("" when none of these is there).
std::string ReadToken(const CommandArgs& args, const std::string& data_dir);

}  // namespace crm::tools
