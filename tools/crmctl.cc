// crmctl: the operator's command-line tool, embedded on a data directory.
//
//   crmctl [--data DIR] demo [--customers N] [--interactions N] [--transactions N] [--seed S]
//   crmctl [--data DIR] card (--id N | --phone P | --email E | --ref R) [--recent N] [--json]
//   crmctl [--data DIR] history --id N [--limit N] [--cursor C] [--channel a,b]
//                               [--only interactions|transactions] [--json]
//   crmctl [--data DIR] stats [--json]
//
// The data directory defaults to $CRM_DATA_DIR, else $XDG_DATA_HOME/crm,
// else ~/.local/share/crm.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "card_format.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"

namespace {

using namespace crm::engine;

constexpr const char* kUsage = R"(crmctl: look at and load a crm data directory.

usage: crmctl [--data DIR] COMMAND [options]

commands:
  demo      load deterministic demo data into an empty data directory
              --customers N (10000)  --interactions N (200000)
              --transactions N (50000)  --seed S  --no-sync
  card      print one customer's card
              --id N | --phone P | --email E | --ref R   [--recent N] [--json]
  history   walk a customer's history, newest first
              --id N [--limit N] [--cursor C] [--channel call,email,...]
              [--only interactions|transactions] [--json]
  stats     record counts  [--json]

--data defaults to $CRM_DATA_DIR, else $XDG_DATA_HOME/crm, else ~/.local/share/crm.
)";

std::string DefaultDataDir() {
  if (const char* dir = std::getenv("CRM_DATA_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/crm";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/crm";
}

// Parsed "--name value" pairs and bare "--flag"s after the command.
struct Args {
  std::string command;
  std::map<std::string, std::string> values;
  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::string Get(const std::string& name, std::string fallback = {}) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "crmctl: %s\n", message.c_str());
  std::exit(2);
}

uint64_t ParseCount(const Args& args, const std::string& name, uint64_t fallback) {
  if (!args.Has(name)) return fallback;
  const std::string text = args.Get(name);
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-') {
    Fail("--" + name + " takes a whole number, not \"" + text + "\"");
  }
  return v;
}

Args ParseArgs(int argc, char** argv, std::string* data_dir) {
  static const std::vector<std::string> kFlags = {"json", "no-sync", "help"};
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      std::string value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (std::find(kFlags.begin(), kFlags.end(), name) == kFlags.end()) {
        if (i + 1 >= argc) Fail("--" + name + " needs a value");
        value = argv[++i];
      }
      if (name == "data") {
        *data_dir = value;
      } else {
        args.values[name] = value;
      }
    } else if (args.command.empty()) {
      args.command = a;
    } else {
      Fail("unexpected argument \"" + a + "\" (see crmctl --help)");
    }
  }
  return args;
}

std::unique_ptr<Engine> OpenOrDie(const std::string& dir, bool no_sync) {
  Options options;
  options.data_dir = dir;
  options.no_sync = no_sync;
  Result<std::unique_ptr<Engine>> engine = Engine::Open(options);
  if (!engine.ok()) Fail("cannot open " + dir + ": " + engine.status().ToString());
  return std::move(engine).value();
}

int Demo(const std::string& dir, const Args& args) {
  DemoOptions demo;
  demo.customers = ParseCount(args, "customers", demo.customers);
  demo.interactions = ParseCount(args, "interactions", demo.interactions);
  demo.transactions = ParseCount(args, "transactions", demo.transactions);
  demo.seed = ParseCount(args, "seed", demo.seed);
  demo.heavy_customers = ParseCount(args, "heavy-customers", demo.heavy_customers);
  demo.heavy_interactions = ParseCount(args, "heavy-interactions", demo.heavy_interactions);
  if (demo.heavy_customers * demo.heavy_interactions > demo.interactions) {
    demo.heavy_interactions = demo.heavy_customers ? demo.interactions / demo.heavy_customers / 2 : 0;
  }
  auto engine = OpenOrDie(dir, args.Has("no-sync"));
  if (engine->Counts().customers > 0) {
    std::printf("%s already holds %llu customers; not loading demo data again.\n", dir.c_str(),
                static_cast<unsigned long long>(engine->Counts().customers));
    return 0;
  }
  bool tty = isatty(STDERR_FILENO);
  auto start = std::chrono::steady_clock::now();
  Result<DemoSummary> summary =
      LoadDemoData(*engine, demo, [&](uint64_t done, uint64_t total) {
        if (!tty) return;
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "\rloading demo data: %llu / %llu records (%.0f/s)   ",
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                     secs > 0 ? done / secs : 0.0);
      });
  if (tty) std::fputc('\n', stderr);
  if (!summary.ok()) Fail("demo data failed: " + summary.status().ToString());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const DemoSummary& s = *summary;
  std::printf(
      "loaded into %s in %.1f s: %llu users, %llu customers, %llu contacts, %llu interactions, "
      "%llu transactions, %llu opportunities, %llu contracts, %llu tasks\n",
      dir.c_str(), secs, (unsigned long long)s.users, (unsigned long long)s.customers,
      (unsigned long long)s.contacts, (unsigned long long)s.interactions,
      (unsigned long long)s.transactions, (unsigned long long)s.opportunities,
      (unsigned long long)s.contracts, (unsigned long long)s.tasks);
  std::printf("a customer to look at:  crmctl card --phone %s\n", s.sample_phone.c_str());
  std::printf("the longest history:    crmctl history --id %llu --limit 20\n",
              (unsigned long long)s.heaviest_customer);
  return 0;
}

int Card(const std::string& dir, const Args& args) {
  CardKey key;
  if (args.Has("id")) {
    key = CardKey::ById(ParseCount(args, "id", 0));
  } else if (args.Has("phone")) {
    key = CardKey::ByPhone(args.Get("phone"));
  } else if (args.Has("email")) {
    key = CardKey::ByEmail(args.Get("email"));
  } else if (args.Has("ref")) {
    key = CardKey::ByExternalRef(args.Get("ref"));
  } else {
    Fail("card needs one of --id, --phone, --email, --ref");
  }
  CardOptions options;
  options.recent_interactions = static_cast<uint32_t>(ParseCount(args, "recent", 10));
  auto engine = OpenOrDie(dir, false);
  Result<CustomerCard> card = engine->Card(key, options);
  if (!card.ok()) Fail(card.status().ToString());
  std::string out = args.Has("json") ? crm::tools::CardToJson(*card) + "\n"
                                     : crm::tools::CardToText(*card);
  std::fputs(out.c_str(), stdout);
  return 0;
}

int History(const std::string& dir, const Args& args) {
  HistoryQuery q;
  q.customer = ParseCount(args, "id", 0);
  if (q.customer == 0) Fail("history needs --id N");
  q.limit = static_cast<uint32_t>(ParseCount(args, "limit", 20));
  q.cursor = args.Get("cursor");
  if (args.Has("only")) {
    std::string only = args.Get("only");
    if (only != "interactions" && only != "transactions") {
      Fail("--only takes interactions or transactions");
    }
    q.interactions = only == "interactions";
    q.transactions = only == "transactions";
  }
  std::string channels = args.Get("channel");
  for (size_t start = 0; start < channels.size();) {
    size_t comma = channels.find(',', start);
    std::string name = channels.substr(start, comma == std::string::npos ? std::string::npos
                                                                         : comma - start);
    Channel channel;
    if (!Parse(name, &channel)) Fail("unknown channel \"" + name + "\"");
    q.channel_mask |= 1u << static_cast<unsigned>(channel);
    start = comma == std::string::npos ? channels.size() : comma + 1;
  }
  auto engine = OpenOrDie(dir, false);
  Result<HistoryPage> page = engine->History(q);
  if (!page.ok()) Fail(page.status().ToString());
  std::string out = args.Has("json") ? crm::tools::HistoryToJson(*page) + "\n"
                                     : crm::tools::HistoryToText(*page);
  std::fputs(out.c_str(), stdout);
  return 0;
}

int Stats(const std::string& dir, const Args& args) {
  auto engine = OpenOrDie(dir, false);
  StoreCounts c = engine->Counts();
  const std::pair<const char*, uint64_t> rows[] = {
      {"customers", c.customers},         {"contacts", c.contacts},
      {"interactions", c.interactions},   {"transactions", c.transactions},
      {"opportunities", c.opportunities}, {"contracts", c.contracts},
      {"tasks", c.tasks},                 {"users", c.users},
      {"audit_entries", c.audit_entries}};
  if (args.Has("json")) {
    std::string out = "{";
    for (const auto& [name, value] : rows) {
      if (out.size() > 1) out += ",";
      out += "\"" + std::string(name) + "\":" + std::to_string(value);
    }
    std::printf("%s}\n", out.c_str());
  } else {
    for (const auto& [name, value] : rows) {
      std::printf("%-14s %llu\n", name, static_cast<unsigned long long>(value));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = DefaultDataDir();
  Args args = ParseArgs(argc, argv, &data_dir);
  if (args.command == "demo") return Demo(data_dir, args);
  if (args.command == "card") return Card(data_dir, args);
  if (args.command == "history") return History(data_dir, args);
  if (args.command == "stats") return Stats(data_dir, args);
  if (args.command.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  Fail("unknown command \"" + args.command + "\" (see crmctl --help)");
}
