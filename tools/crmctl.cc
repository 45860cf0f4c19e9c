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
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "card_format.h"
#include "crmctl_admin.h"
#include "crmctl_args.h"
#include "crm/client/client.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"
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

constexpr const char* kUsageTail = R"(
ENTITY is customer, contact, interaction, transaction, opportunity, contract or task.
Fields (lists are comma-separated):
  customer     name kind phones emails ref tax-id country province city industry size
               category payment credit lifecycle owner team tags
  contact      customer name title phones emails
  interaction  customer contact channel direction agent subject notes outcome duration
               satisfaction complaint opportunity time
  transaction  customer amount currency margin category payment time
  opportunity  customer name stage amount currency probability owner source campaign
               close lost-reason
  contract     customer opportunity number amount currency status terms paid start end owner
  task         customer assignee title notes due done
Money is written in major units ("1234.50"); times as 2026-12-01 or 2026-12-01T09:30 (UTC).

Without --server, crmctl opens --data (default $CRM_DATA_DIR, else $XDG_DATA_HOME/crm,
else ~/.local/share/crm); if a crmd holds it, crmctl talks to that crmd on
127.0.0.1:7411 with DIR/admin.token. --token defaults to $CRM_TOKEN, then DIR/admin.token.
)";

using Args = crm::tools::CommandArgs;
using crm::tools::Check;
using crm::tools::Fail;
using crm::tools::ParseWholeNumber;
using crm::tools::ReadToken;

uint64_t ParseCount(const Args& args, const std::string& name, uint64_t fallback) {
  return args.Has(name) ? ParseWholeNumber(name, args.Get(name)) : fallback;
}

Args ParseArgs(int argc, char** argv) {
  static const std::vector<std::string> kFlags = {"json", "no-sync", "cascade", "chart"};
  // Options that may repeat: their values are joined with commas.
  static const std::vector<std::string> kLists = {"current", "potential", "unit"};
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::fputs(crm::tools::kAdminUsage, stdout);
      std::fputs(kUsageTail, stdout);
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
    } else if (std::find(kFlags.begin(), kFlags.end(), name) == kFlags.end() &&
               !std::count(crm::tools::AdminFlags().begin(), crm::tools::AdminFlags().end(),
                           name)) {
      if (i + 1 >= argc) Fail("--" + name + " needs a value");
      value = argv[++i];
    }
    // One value per name: a repeated list option is joined, any other replaced.
    auto it = args.values.find(name);
    if (it == args.values.end()) {
      args.values.emplace(name, value);
    } else if (std::find(kLists.begin(), kLists.end(), name) != kLists.end()) {
      it->second += "," + value;
    } else {
      it->second = value;
    }
  }
  return args;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
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

// "1234.5" -> 123450 minor units (two decimals).
int64_t ParseMoney(const std::string& field, const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') Fail("--" + field + " takes an amount such as 1234.50");
  return static_cast<int64_t>(v * 100.0 + (v < 0 ? -0.5 : 0.5));
}

// "2026-12-01" or "2026-12-01T09:30" (UTC) -> microseconds.
Micros ParseTime(const std::string& field, const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  int n = std::sscanf(text.c_str(), "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi);
  if (n != 3 && n != 5) Fail("--" + field + " takes a date such as 2026-12-01 or 2026-12-01T09:30");
  return crm::tools::UtcToMicros(y, mo, d, h, mi);
}

EntityKind ParseEntity(const std::string& text) {
  EntityKind kind;
  if (!Parse(text, &kind) || kind == EntityKind::kUser) {
    Fail("unknown record kind \"" + text +
         "\": customer, contact, interaction, transaction, opportunity, contract or task");
  }
  return kind;
}

// Sets one field named on the command line; false when `record` has no such field.
bool SetField(Record& record, const std::string& f, const std::string& v) {
  auto id = [&] { return ParseWholeNumber(f, v); };
  return std::visit(
      [&](auto& r) -> bool {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Customer>) {
          if (f == "name") r.name = v;
          else if (f == "kind") r.kind = ParseEnum(f, v, CustomerKind::kOrganization);
          else if (f == "phones") r.phones = SplitList(v);
          else if (f == "emails") r.emails = SplitList(v);
          else if (f == "ref") r.external_ref = v;
          else if (f == "tax-id") r.tax_id = v;
          else if (f == "country") r.region.country = v;
          else if (f == "province") r.region.province = v;
          else if (f == "city") r.region.city = v;
          else if (f == "industry") r.industry = v;
          else if (f == "size") r.size_band = ParseEnum(f, v, SizeBand::kEnterprise);
          else if (f == "category") r.category = v;
          else if (f == "payment") r.payment_method = ParseEnum(f, v, PaymentMethod::kOther);
          else if (f == "credit") r.credit_level = ParseEnum(f, v, CreditLevel::kD);
          else if (f == "lifecycle") r.lifecycle = ParseEnum(f, v, Lifecycle::kChurned);
          else if (f == "owner") r.owner = id();
          else if (f == "team") r.team = v;
          else if (f == "tags") r.tags = SplitList(v);
          else return false;
        } else if constexpr (std::is_same_v<T, Contact>) {
          if (f == "customer") r.customer = id();
          else if (f == "name") r.name = v;
          else if (f == "title") r.title = v;
          else if (f == "phones") r.phones = SplitList(v);
          else if (f == "emails") r.emails = SplitList(v);
          else return false;
        } else if constexpr (std::is_same_v<T, Interaction>) {
          if (f == "customer") r.customer = id();
          else if (f == "contact") r.contact = id();
          else if (f == "channel") r.channel = ParseEnum(f, v, Channel::kSurvey);
          else if (f == "direction") r.direction = ParseEnum(f, v, Direction::kOutbound);
          else if (f == "agent") r.agent = id();
          else if (f == "subject") r.subject = v;
          else if (f == "notes") r.notes = v;
          else if (f == "outcome") r.outcome = v;
          else if (f == "duration") r.duration_seconds = static_cast<uint32_t>(id());
          else if (f == "satisfaction") r.satisfaction = static_cast<uint8_t>(id());
          else if (f == "complaint") r.complaint = ParseEnum(f, v, ComplaintState::kResolved);
          else if (f == "opportunity") r.opportunity = id();
          else if (f == "time") r.time = ParseTime(f, v);
          else return false;
        } else if constexpr (std::is_same_v<T, Transaction>) {
          if (f == "customer") r.customer = id();
          else if (f == "amount") r.amount.minor_units = ParseMoney(f, v);
          else if (f == "currency") r.amount.currency = Currency(v);
          else if (f == "margin") r.margin_minor_units = ParseMoney(f, v);
          else if (f == "category") r.product_category = v;
          else if (f == "payment") r.payment_method = ParseEnum(f, v, PaymentMethod::kOther);
          else if (f == "time") r.time = ParseTime(f, v);
          else return false;
        } else if constexpr (std::is_same_v<T, Opportunity>) {
          if (f == "customer") r.customer = id();
          else if (f == "name") r.name = v;
          else if (f == "stage") r.stage = ParseEnum(f, v, Stage::kLost);
          else if (f == "amount") r.amount.minor_units = ParseMoney(f, v);
          else if (f == "currency") r.amount.currency = Currency(v);
          else if (f == "probability") r.probability = static_cast<uint8_t>(id());
          else if (f == "owner") r.owner = id();
          else if (f == "source") r.source = v;
          else if (f == "campaign") r.campaign = v;
          else if (f == "close") r.expected_close = ParseTime(f, v);
          else if (f == "lost-reason") r.lost_reason = v;
          else return false;
        } else if constexpr (std::is_same_v<T, Contract>) {
          if (f == "customer") r.customer = id();
          else if (f == "opportunity") r.opportunity = id();
          else if (f == "number") r.number = v;
          else if (f == "amount") r.amount.minor_units = ParseMoney(f, v);
          else if (f == "currency") r.amount.currency = Currency(v);
          else if (f == "status") r.status = ParseEnum(f, v, ContractStatus::kTerminated);
          else if (f == "terms") r.payment_terms = v;
          else if (f == "paid") r.paid_minor_units = ParseMoney(f, v);
          else if (f == "start") r.start_at = ParseTime(f, v);
          else if (f == "end") r.end_at = ParseTime(f, v);
          else if (f == "owner") r.owner = id();
          else return false;
        } else if constexpr (std::is_same_v<T, Task>) {
          if (f == "customer") r.customer = id();
          else if (f == "assignee") r.assignee = id();
          else if (f == "title") r.title = v;
          else if (f == "notes") r.notes = v;
          else if (f == "due") r.due_at = ParseTime(f, v);
          else if (f == "done") r.done = v == "true" || v == "yes" || v == "1";
          else return false;
        } else {
          return false;
        }
        return true;
      },
      record);
}

// Applies every --field of `args` except the command's own options.
void ApplyFields(Record& record, const Args& args) {
  static const std::vector<std::string> kOwn = {"id", "json", "data", "server", "token",
                                                "cascade"};
  for (const auto& [name, value] : args.values) {
    if (std::find(kOwn.begin(), kOwn.end(), name) != kOwn.end()) continue;
    if (!SetField(record, name, value)) {
      Fail(std::string(Name(KindOf(record))) + " has no field \"" + name +
           "\" (see crmctl --help)");
    }
  }
}

std::unique_ptr<Client> ConnectRemote(const std::string& address, const std::string& token) {
  crm::client::RemoteOptions remote;
  remote.host = address;
  remote.port = 7411;
  if (auto colon = address.rfind(':'); colon != std::string::npos) {
    remote.host = address.substr(0, colon);
    remote.port = static_cast<uint16_t>(ParseWholeNumber("server", address.substr(colon + 1)));
  }
  remote.token = token;
  auto client = Client::Connect(remote);
  if (!client.ok()) Fail("cannot talk to crmd at " + address + ": " + client.status().ToString());
  return std::move(client).value();
}

std::unique_ptr<Client> Open(const Args& args, const std::string& data_dir) {
  if (args.Has("server")) return ConnectRemote(args.Get("server"), ReadToken(args, data_dir));
  crm::client::EmbeddedOptions embedded;
  embedded.engine.data_dir = data_dir;
  embedded.local_admin = true;
  auto client = Client::OpenEmbedded(embedded);
  if (client.ok()) return std::move(client).value();
  if (client.status().code() == Code::kInUse) {
    return ConnectRemote("127.0.0.1:7411", ReadToken(args, data_dir));
  }
  Fail("cannot open " + data_dir + ": " + client.status().ToString());
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

int CardCommand(Client& client, const Args& args) {
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
  Result<CustomerCard> card = client.Card(key, options);
  Check(card.status());
  std::fputs((args.Has("json") ? crm::tools::CardToJson(*card) + "\n"
                               : crm::tools::CardToText(*card))
                 .c_str(),
             stdout);
  return 0;
}

int HistoryCommand(Client& client, const Args& args) {
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
  for (const std::string& name : SplitList(args.Get("channel"))) {
    q.channel_mask |= 1u << static_cast<unsigned>(ParseEnum("channel", name, Channel::kSurvey));
  }
  Result<HistoryPage> page = client.History(q);
  Check(page.status());
  std::fputs((args.Has("json") ? crm::tools::HistoryToJson(*page) + "\n"
                               : crm::tools::HistoryToText(*page))
                 .c_str(),
             stdout);
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
  Id id = ParseCount(args, "id", 0);
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
      {"user", [&](Client& c) { return UserCommand(c, args); }},
      {"users", [&](Client& c) { return UsersCommand(c, args); }},
      {"tiers", [&](Client& c) { return crm::tools::TiersCommand(c, args); }},
      {"report", [&](Client& c) { return crm::tools::ReportCommand(c, args); }},
  };
  if (crm::tools::IsAdminCommand(command)) {
    std::unique_ptr<Client> client = Open(args, data_dir);
    return crm::tools::RunAdminCommand(*client, args);
  }
  auto it = kCommands.find(command);
  if (it == kCommands.end()) Fail("unknown command \"" + command + "\" (see crmctl --help)");
  std::unique_ptr<Client> client = Open(args, data_dir);
  return it->second(*client);
}
