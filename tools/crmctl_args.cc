#include "crmctl_args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace crm::tools {

namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

CommandArgs ParseCommandLine(int argc, char** argv, const CommandSyntax& syntax) {
  CommandArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(syntax.usage.c_str(), stdout);
      std::exit(0);
    }
    if (a.rfind("--", 0) != 0) {
      args.words.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (!Contains(syntax.flags, name)) {
      if (i + 1 >= argc) Fail("--" + name + " needs a value");
      value = argv[++i];
    }
    auto it = args.values.find(name);
    if (it == args.values.end() || syntax.keep_repeats) {
      args.values.emplace(name, value);
    } else if (Contains(syntax.lists, name)) {
      it->second += "," + value;
    } else {
      it->second = value;
    }
  }
  return args;
}

std::string CommandWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return a;
    if (a == "--data" || a == "--server" || a == "--token") ++i;
  }
  return "";
}

void Fail(const std::string& message) {
  std::fprintf(stderr, "crmctl: %s\n", message.c_str());
  std::exit(2);
}

void Check(const engine::Status& s) {
  if (!s.ok()) Fail(s.ToString());
}

std::optional<uint64_t> WholeNumber(const std::string& text, uint64_t max) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v > max) return std::nullopt;
  return v;
}

std::optional<double> Number(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string WholeNumberError(const std::string& name, const std::string& text) {
  return "--" + name + " takes a whole number, not \"" + text + "\"";
}

std::string NumberError(const std::string& name, const std::string& text) {
  return "--" + name + " takes a number, not \"" + text + "\"";
}

uint64_t ParseWholeNumber(const std::string& name, const std::string& text) {
  std::optional<uint64_t> v = WholeNumber(text);
  if (!v) Fail(WholeNumberError(name, text));
  return *v;
}

uint64_t WholeNumberOption(const CommandArgs& args, const std::string& name, uint64_t fallback) {
  return args.Has(name) ? ParseWholeNumber(name, args.Get(name)) : fallback;
}

std::string ReadToken(const CommandArgs& args, const std::string& data_dir) {
  if (args.Has("token")) return args.Get("token");
  if (const char* t = std::getenv("CRM_TOKEN"); t && *t) return t;
  std::ifstream file(data_dir + "/admin.token");
  std::string token;
  std::getline(file, token);
  return token;
}

}  // namespace crm::tools
