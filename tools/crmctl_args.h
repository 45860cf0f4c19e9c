// The parsed crmctl command line and the error exit shared by crmctl's
// command files (crmctl.cc, crmctl_admin.cc, crmctl_data.cc, crmctl_value.cc).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
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

// Prints "crmctl: <message>" on stderr and exits with status 2.
[[noreturn]] inline void Fail(const std::string& message) {
  std::fprintf(stderr, "crmctl: %s\n", message.c_str());
  std::exit(2);
}

// Fails with the status' text unless it is ok.
inline void Check(const engine::Status& s) {
  if (!s.ok()) Fail(s.ToString());
}

// The value of option `name` as a whole number; fails on anything else.
inline uint64_t ParseWholeNumber(const std::string& name, const std::string& text) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-') {
    Fail("--" + name + " takes a whole number, not \"" + text + "\"");
  }
  return v;
}

// The token for crmd: --token, else $CRM_TOKEN, else DATA_DIR/admin.token
// ("" when none of these is there).
inline std::string ReadToken(const CommandArgs& args, const std::string& data_dir) {
  if (args.Has("token")) return args.Get("token");
  if (const char* t = std::getenv("CRM_TOKEN"); t && *t) return t;
  std::ifstream file(data_dir + "/admin.token");
  std::string token;
  std::getline(file, token);
  return token;
}

}  // namespace crm::tools
