// crmctl: the operator's command-line tool.
//
// It talks to a data directory in-process (embedded), or to a running crmd
// over TCP: with --server HOST[:PORT], or on its own when a crmd already
// holds the data directory (then it connects to 127.0.0.1:7411 with the
// directory's admin.token). Run `crmctl --help` for the commands.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "card_format.h"
#include "crmctl_admin.h"
#include "crmctl_args.h"
#include "crm/client/client.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"
#include "crmctl_client.h"
#include "crmctl_data.h"
#include "crmctl_value.h"
#include "data_dir.h"
#include "record_io.h"

namespace {

using namespace crm::engine;
using crm::client::Client;

constexpr const char* kUsage = R"(crmctl: look at and change crm data, embedded or through crmd.

usage: crmctl [--data DIR | --server HOST[:PORT] [--token T]] COMMAND [options]

commands:
  demo      load deterministic demo data into an empty data directory (embedded only)
              --customers N (10000)  --interactions N (200000)  --transactions N (50000)
              --seed S  --no-sync
  card      print one customer's card
              --id N | --phone P | --email E | --ref R   [--recent N] [--json]
  history   walk a customer's history, newest first
              --id N [--limit N] [--cursor C] [--channel call,email,...]
              [--only interactions|transactions] [--json]
  get       print one record as JSON:       get ENTITY --id N
  create    create a record:                create ENTITY --field value ...
  update    change fields of a record:      update ENTITY --id N --field value ...
  delete    delete a record:                delete ENTITY --id N [--cascade]
  convert   turn a lead into an active customer, in one atomic write
              --id N [--revision R] [--json]
              [--opportunity NAME [--amount X] [--currency C] [--expected-close T]
                 [--source S] [--campaign C] [--stage S] [--probability P] [--owner U]]
              [--task TITLE [--due T] [--assignee U] [--notes N]]
  user add  add a user, print its token:    user add --name N --role admin|manager|agent [--team T]
  users     list users
  tiers     the scoring config in force: weights, units, percents, window, cut-offs, tier
            counts                          [--json]
  tiers history                             every stored config version [--json]
  tiers set change the config in force (admin): starts from it, changes what is given
              --current F=W[,F=W]  --potential F=W  --unit F=U (money factors in units)
              --pareto P  --potential-high P  --high-class P  --mid-class P
              --window-days N  --half-life-days N  --loyalty-days N
              --contact-cost X  --hour-cost X  --discount-rate R
            options may repeat: --current revenue=0.4 --current profit=0.2
  report    analytics (admin and manager); every report takes --json
    pareto        [--metric current_value|revenue|profit] [--points N] [--as-of T]
                  [--chart] [--svg FILE]
    tiers         [--since T] [--as-of T]     counts, cut-offs, movements since T
    group         --by DIMENSION [--as-of T]  industry country province city lifecycle
                  category payment_method credit_level size tier owner team kind value_class
    pipeline                                  opportunities per stage, conversion, win rate
    contracts     [--expiring-days N] [--as-of T]
    churn         [--inactive-days N] [--revenue-drop 0.5] [--limit N] [--as-of T]
    satisfaction  [--as-of T]
    conversion    [--by source|campaign]
    kpi           [--as-of T]                 key-customer KPIs per owner
  T is 2026-06-30 (the end of that day, UTC) or 2026-06-30T12:00:00Z. The value commands
  exit 1 on a bad option or a refusal.
  import, export, backup, restore, verify   see crmctl data --help
)";

constexpr const char* kUsageEnd = R"(
Without --server, crmctl opens --data (default $CRM_DATA_DIR, else $XDG_DATA_HOME/crm,
else ~/.local/share/crm); if a crmd holds it, crmctl talks to that crmd on
127.0.0.1:7411 with DIR/admin.token. --token defaults to $CRM_TOKEN, then DIR/admin.token.
)";

// The create/update flags of each record kind, from the field table: the
// field's name with dashes, older names in parentheses.
std::string FieldFlagsUsage() {
  std::string out =
      "\nENTITY is customer, contact, interaction, transaction, opportunity, contract or task.\n"
      "Their fields, as create/update flags (older names in parentheses):\n";
  for (EntityKind kind : {EntityKind::kCustomer, EntityKind::kContact, EntityKind::kInteraction,
                          EntityKind::kTransaction, EntityKind::kOpportunity,
                          EntityKind::kContract, EntityKind::kTask}) {
    std::string line = "  " + std::string(Name(kind));
    line.resize(15, ' ');
    const size_t indent = line.size();
    for (const crm::tools::FieldSpec& f : crm::tools::AllFieldsOf(kind)) {
      if (!f.flag) continue;
      std::string item = "--" + crm::tools::FlagName(f.name);
      for (const crm::tools::FlagAlias& alias : f.aliases) item += " (--" + alias.flag + ")";
      if (line.size() > indent && line.size() + 1 + item.size() > 92) {
        out += line + "\n";
        line.assign(indent, ' ');
      }
      line += (line.size() > indent ? " " : "") + item;
    }
    out += line + "\n";
  }
  out +=
      "Lists are comma-separated. --amount, --margin and --paid take money in major units\n"
      "(\"1234.50\"), the --*-minor-units flags minor units. Times: 2026-12-01,\n"
      "2026-12-01T09:30 or 2026-12-01T09:30:15Z (UTC), or microseconds since 1970.\n"
      "--attributes takes a JSON object ('{\"k\":\"v\"}'), --relations a JSON array\n"
      "('[{\"customer\":7,\"kind\":\"parent\"}]').\n";
  return out;
}

using Args = crm::tools::CommandArgs;
using crm::tools::Check;
using crm::tools::Fail;
using crm::tools::WholeNumberOption;

Args ParseArgs(int argc, char** argv) {
  crm::tools::CommandSyntax syntax;
  syntax.usage = std::string(kUsage) + crm::tools::kAdminUsage + FieldFlagsUsage() + kUsageEnd;
  syntax.flags = {"json", "no-sync", "cascade", "chart"};
  for (const std::string& flag : crm::tools::AdminFlags()) syntax.flags.push_back(flag);
  syntax.lists = {"current", "potential", "unit"};
  return crm::tools::ParseCommandLine(argc, argv, syntax);
}

// Any enum whose values run from 0 and have names in model.h.
template <typename E>
E ParseEnum(const std::string& field, const std::string& text, E last) {
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    if (Name(static_cast<E>(i)) == text) return static_cast<E>(i);
  }
  std::string names;
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    names += (i ? ", " : "") + std::string(Name(static_cast<E>(i)));
  }
  Fail("--" + field + " takes one of: " + names + " (not \"" + text + "\")");
}

EntityKind ParseEntity(const std::string& text) {
  EntityKind kind;
  if (!Parse(text, &kind) || kind == EntityKind::kUser) {
    Fail("unknown record kind \"" + text +
         "\": customer, contact, interaction, transaction, opportunity, contract or task");
  }
  return kind;
}

// Applies every --field of `args` except the command's own options, through
// the field table: --FIELD-NAME or an older alias.
void ApplyFields(Record& record, const Args& args) {
  static const std::vector<std::string> kOwn = {"id", "json", "data", "server", "token",
                                                "cascade"};
  const EntityKind kind = KindOf(record);
  for (const auto& [name, value] : args.values) {
    if (std::find(kOwn.begin(), kOwn.end(), name) != kOwn.end()) continue;
    bool major_units = false;
    const crm::tools::FieldSpec* field = crm::tools::FieldOfFlag(kind, name, &major_units);
    if (field == nullptr) {
      Fail(std::string(Name(kind)) + " has no field \"" + name + "\" (see crmctl --help)");
    }
    Status s = crm::tools::SetFromFlag(*field, major_units, value, &record);
    if (!s.ok()) Fail("--" + name + ": " + s.message());
  }
}

int Demo(const std::string& dir, const Args& args) {
  DemoOptions demo;
  demo.customers = WholeNumberOption(args, "customers", demo.customers);
  demo.interactions = WholeNumberOption(args, "interactions", demo.interactions);
  demo.transactions = WholeNumberOption(args, "transactions", demo.transactions);
  demo.seed = WholeNumberOption(args, "seed", demo.seed);
  demo.heavy_customers = WholeNumberOption(args, "heavy-customers", demo.heavy_customers);
  demo.heavy_interactions = WholeNumberOption(args, "heavy-interactions", demo.heavy_interactions);
  if (demo.heavy_customers * demo.heavy_interactions > demo.interactions) {
    demo.heavy_interactions =
        demo.heavy_customers ? demo.interactions / demo.heavy_customers / 2 : 0;
  }
  Options options;
  options.data_dir = dir;
  options.no_sync = args.Has("no-sync");
  auto opened = Engine::Open(options);
  if (!opened.ok()) Fail("cannot open " + dir + ": " + opened.status().ToString());
  Engine& engine = **opened;
  if (engine.Counts().customers > 0) {
    std::printf("%s already holds %llu customers; not loading demo data again.\n", dir.c_str(),
                static_cast<unsigned long long>(engine.Counts().customers));
    return 0;
  }
  bool tty = isatty(STDERR_FILENO);
  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Result<DemoSummary> summary = LoadDemoData(engine, demo, [&](uint64_t done, uint64_t total) {
    if (!tty) return;
    double secs = seconds();
    std::fprintf(stderr, "\rloading demo data: %llu / %llu records (%.0f/s)   ",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 secs > 0 ? done / secs : 0.0);
  });
  if (tty) std::fputc('\n', stderr);
  if (!summary.ok()) Fail("demo data failed: " + summary.status().ToString());
  const DemoSummary& s = *summary;
  std::printf(
      "loaded into %s in %.1f s: %llu users, %llu customers, %llu contacts, %llu interactions, "
      "%llu transactions, %llu opportunities, %llu contracts, %llu tasks\n",
      dir.c_str(), seconds(), (unsigned long long)s.users, (unsigned long long)s.customers,
      (unsigned long long)s.contacts, (unsigned long long)s.interactions,
      (unsigned long long)s.transactions, (unsigned long long)s.opportunities,
      (unsigned long long)s.contracts, (unsigned long long)s.tasks);
  std::printf("a customer to look at:  crmctl card --phone %s\n", s.sample_phone.c_str());
  std::printf("the longest history:    crmctl history --id %llu --limit 20\n",
              (unsigned long long)s.heaviest_customer);
  return 0;
}

// Prints `value` as one line of JSON with --json, else as text.
template <typename T>
void PrintJsonOrText(const Args& args, const T& value, std::string (*json)(const T&),
                     std::string (*text)(const T&)) {
  std::fputs((args.Has("json") ? json(value) + "\n" : text(value)).c_str(), stdout);
}

int CardCommand(Client& client, const Args& args) {
  CardKey key;
  if (args.Has("id")) {
    key = CardKey::ById(WholeNumberOption(args, "id", 0));
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
  options.recent_interactions = static_cast<uint32_t>(WholeNumberOption(args, "recent", 10));
  Result<CustomerCard> card = client.Card(key, options);
  Check(card.status());
  PrintJsonOrText(args, *card, crm::tools::CardToJson, crm::tools::CardToText);
  return 0;
}

int HistoryCommand(Client& client, const Args& args) {
  HistoryQuery q;
  q.customer = WholeNumberOption(args, "id", 0);
  if (q.customer == 0) Fail("history needs --id N");
  q.limit = static_cast<uint32_t>(WholeNumberOption(args, "limit", 20));
  q.cursor = args.Get("cursor");
  if (args.Has("only")) {
    std::string only = args.Get("only");
    if (only != "interactions" && only != "transactions") {
      Fail("--only takes interactions or transactions");
    }
    q.interactions = only == "interactions";
    q.transactions = only == "transactions";
  }
  for (const std::string& name : crm::tools::SplitNonEmpty(args.Get("channel"), ',')) {
    q.channel_mask |= 1u << static_cast<unsigned>(ParseEnum("channel", name, Channel::kSurvey));
  }
  Result<HistoryPage> page = client.History(q);
  Check(page.status());
  PrintJsonOrText(args, *page, crm::tools::HistoryToJson, crm::tools::HistoryToText);
  return 0;
}

// get / create / update / delete ENTITY ...
int RecordCommand(Client& client, const std::string& verb, const Args& args) {
  if (args.words.size() < 2) Fail(verb + " needs a record kind (see crmctl --help)");
  EntityKind kind = ParseEntity(args.words[1]);
  if (verb == "create") {
    Record record = crm::tools::EmptyRecordOf(kind);
    ApplyFields(record, args);
    Result<Id> id = client.Create(std::move(record));
    Check(id.status());
    std::printf("created %s %llu\n", std::string(Name(kind)).c_str(),
                static_cast<unsigned long long>(*id));
    return 0;
  }
  Id id = WholeNumberOption(args, "id", 0);
  if (id == 0) Fail(verb + " needs --id N");
  if (verb == "delete") {
    Check(client.Delete(kind, id, args.Has("cascade")));
    std::printf("deleted %s %llu\n", std::string(Name(kind)).c_str(),
                static_cast<unsigned long long>(id));
    return 0;
  }
  Result<Record> record = client.Get(kind, id);
  Check(record.status());
  if (verb == "update") {
    // The revision read here makes the update fail if someone changed the
    // record in between, rather than overwrite their change.
    ApplyFields(*record, args);
    Check(client.Update(*record));
    std::printf("updated %s %llu\n", std::string(Name(kind)).c_str(),
                static_cast<unsigned long long>(id));
    return 0;
  }
  std::printf("%s\n", crm::tools::RecordToJson(*record).c_str());
  return 0;
}

// convert --id N [--revision R] [--opportunity NAME ...] [--task TITLE ...]:
// the opportunity's and the task's other fields are their create flags.
int ConvertCommand(Client& client, const Args& args) {
  static const std::vector<std::string> kOwn = {"id", "revision", "json", "data", "server",
                                                "token", "opportunity", "task"};
  crm::client::ConvertLeadRequest request;
  request.customer = WholeNumberOption(args, "id", 0);
  if (request.customer == 0) Fail("convert needs --id N");
  request.revision = WholeNumberOption(args, "revision", 0);
  Record opportunity = Opportunity{};
  Record task = Task{};
  if (args.Has("opportunity")) std::get<Opportunity>(opportunity).name = args.Get("opportunity");
  if (args.Has("task")) std::get<Task>(task).title = args.Get("task");
  for (const auto& [name, value] : args.values) {
    if (std::find(kOwn.begin(), kOwn.end(), name) != kOwn.end()) continue;
    if (name == "customer") Fail("convert: the lead is --id; --customer is not an option here");
    // The opportunity's fields first (its --currency alias is the amount's).
    bool major_units = false;
    Record* record = &opportunity;
    const crm::tools::FieldSpec* field =
        crm::tools::FieldOfFlag(EntityKind::kOpportunity, name, &major_units);
    if (field == nullptr) {
      record = &task;
      field = crm::tools::FieldOfFlag(EntityKind::kTask, name, &major_units);
    }
    if (field == nullptr) Fail("convert has no option --" + name + " (see crmctl --help)");
    const bool of_opportunity = record == &opportunity;
    if (!args.Has(of_opportunity ? "opportunity" : "task")) {
      Fail("--" + name + " belongs to " + (of_opportunity ? "--opportunity NAME" : "--task TITLE"));
    }
    Status s = crm::tools::SetFromFlag(*field, major_units, value, record);
    if (!s.ok()) Fail("--" + name + ": " + s.message());
  }
  if (args.Has("opportunity")) request.opportunity = std::get<Opportunity>(std::move(opportunity));
  if (args.Has("task")) request.task = std::get<Task>(std::move(task));
  Result<crm::client::ConvertedLead> converted = client.ConvertLead(request);
  Check(converted.status());
  auto id_or = [](Id id, const char* none) {
    return id == 0 ? std::string(none) : std::to_string(id);
  };
  if (args.Has("json")) {
    std::printf("{\"customer\":%llu,\"opportunity\":%llu,\"task\":%llu}\n",
                static_cast<unsigned long long>(converted->customer),
                static_cast<unsigned long long>(converted->opportunity),
                static_cast<unsigned long long>(converted->task));
  } else {
    std::printf("customer %llu converted: opportunity %s, task %s\n",
                static_cast<unsigned long long>(converted->customer),
                id_or(converted->opportunity, "none").c_str(),
                id_or(converted->task, "none").c_str());
  }
  return 0;
}

int UserCommand(Client& client, const Args& args) {
  if (args.words.size() < 2 || args.words[1] != "add") Fail("usage: crmctl user add --name N --role R");
  if (!args.Has("name")) Fail("user add needs --name");
  Role role = ParseEnum("role", args.Get("role", "agent"), Role::kAgent);
  auto created = client.CreateUser(args.Get("name"), role, args.Get("team"));
  Check(created.status());
  std::printf("user %llu (%s, %s) token: %s\n(shown once: the server keeps only its hash)\n",
              static_cast<unsigned long long>(created->user.id), created->user.name.c_str(),
              std::string(Name(created->user.role)).c_str(), created->token.c_str());
  return 0;
}

int UsersCommand(Client& client, const Args& args) {
  auto users = client.ListUsers();
  Check(users.status());
  for (const User& u : *users) {
    if (args.Has("json")) {
      std::printf("%s\n", crm::tools::RecordToJson(Record(u)).c_str());
    } else {
      std::printf("%6llu  %-8s %-8s %s%s\n", static_cast<unsigned long long>(u.id),
                  std::string(Name(u.role)).c_str(), u.active ? "active" : "inactive",
                  u.name.c_str(), u.team.empty() ? "" : (" (" + u.team + ")").c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (int code = 0; crm::tools::RunDataCommand(argc, argv, &code)) return code;
  Args args = ParseArgs(argc, argv);
  std::string data_dir = args.Get("data", crm::tools::DefaultDataDir());
  if (args.words.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& command = args.words[0];
  if (command == "demo") return Demo(data_dir, args);
  static const std::map<std::string, std::function<int(Client&)>> kCommands = {
      {"card", [&](Client& c) { return CardCommand(c, args); }},
      {"history", [&](Client& c) { return HistoryCommand(c, args); }},
      {"get", [&](Client& c) { return RecordCommand(c, "get", args); }},
      {"create", [&](Client& c) { return RecordCommand(c, "create", args); }},
      {"update", [&](Client& c) { return RecordCommand(c, "update", args); }},
      {"delete", [&](Client& c) { return RecordCommand(c, "delete", args); }},
      {"convert", [&](Client& c) { return ConvertCommand(c, args); }},
      {"user", [&](Client& c) { return UserCommand(c, args); }},
      {"users", [&](Client& c) { return UsersCommand(c, args); }},
      {"tiers", [&](Client& c) { return crm::tools::TiersCommand(c, args); }},
      {"report", [&](Client& c) { return crm::tools::ReportCommand(c, args); }},
  };
  if (crm::tools::IsAdminCommand(command)) {
    std::unique_ptr<Client> client = crm::tools::OpenClient(args, data_dir);
    return crm::tools::RunAdminCommand(*client, args);
  }
  auto it = kCommands.find(command);
  if (it == kCommands.end()) Fail("unknown command \"" + command + "\" (see crmctl --help)");
  std::unique_ptr<Client> client = crm::tools::OpenClient(args, data_dir);
  return it->second(*client);
}
