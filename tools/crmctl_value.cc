#include "crmctl_value.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>
#include <variant>

#include "card_format.h"
#include "record_io.h"
#include "report_format.h"

namespace crm::tools {
namespace {

using namespace crm::engine;
using client::Client;

// A bad command line or a refusal: the command prints it and exits 1.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Options = CommandArgs;

// The options a command takes besides the global ones; anything else is a typo.
void OnlyOptions(const Options& o, std::initializer_list<const char*> allowed,
                 const std::string& command) {
  static const char* kGlobal[] = {"data", "server", "token", "json"};
  for (const auto& [name, value] : o.values) {
    bool ok = false;
    for (const char* g : kGlobal) ok = ok || name == g;
    for (const char* a : allowed) ok = ok || name == a;
    if (!ok) throw CommandError(command + " takes no option --" + name + " (see crmctl --help)");
  }
}

double ParseDouble(const std::string& name, const std::string& text) {
  std::optional<double> v = Number(text);
  if (!v) throw CommandError(NumberError(name, text));
  return *v;
}

uint32_t ParseUint(const std::string& name, const std::string& text) {
  std::optional<uint64_t> v = WholeNumber(text, UINT32_MAX);
  if (!v) throw CommandError(WholeNumberError(name, text));
  return static_cast<uint32_t>(*v);
}

uint32_t UintOption(const Options& o, const std::string& name, uint32_t fallback) {
  return o.Has(name) ? ParseUint(name, o.Get(name)) : fallback;
}

Micros AsOfOption(const Options& o, const std::string& name = "as-of") {
  if (!o.Has(name)) return 0;
  Micros t = 0;
  if (!ParseAsOf(o.Get(name), &t)) {
    throw CommandError("--" + name + " takes a date such as 2026-06-30 or 2026-06-30T12:00:00Z, not \"" +
                       o.Get(name) + "\"");
  }
  return t;
}

std::string FactorNames() {
  std::string names;
  for (int f = 0; f < kFactorCount; ++f) {
    names += (f ? ", " : "") + std::string(Name(static_cast<Factor>(f)));
  }
  return names;
}

Factor ParseFactor(const std::string& option, const std::string& name) {
  Factor f;
  if (!Parse(name, &f)) {
    throw CommandError("--" + option + ": unknown factor \"" + name + "\" (factors: " +
                       FactorNames() + ")");
  }
  return f;
}

// "revenue=0.4,profit=0.2" (repeated options arrive comma-joined) applied
// to `values`; with `money_in_units`, money factors' numbers are units and
// are stored as minor units.
void ApplyFactorList(const std::string& option, const std::string& list,
                     std::array<double, kFactorCount>* values, bool money_in_units) {
  for (const std::string& item : SplitNonEmpty(list, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      throw CommandError("--" + option + " takes FACTOR=NUMBER pairs such as revenue=0.4, not \"" +
                         item + "\"");
    }
    const Factor f = ParseFactor(option, item.substr(0, eq));
    double v = ParseDouble(option, item.substr(eq + 1));
    if (money_in_units && IsMoneyFactor(f)) v *= 100;
    (*values)[static_cast<size_t>(f)] = v;
  }
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw CommandError(what + ": " + r.status().ToString());
  return std::move(r).value();
}

void Print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
}

int ShowTiers(Client& client, const Options& o) {
  OnlyOptions(o, {}, "tiers");
  protocol::ScoringState state = Must(client.Scoring(), "reading the scoring config");
  // Tier counts come from a report: for admins and managers.
  Result<TierReport> tiers = client.Tiers(TierQuery{});
  if (!tiers.ok() && tiers.status().code() != Code::kPermissionDenied) {
    throw CommandError("reading the tiers: " + tiers.status().ToString());
  }
  const TierReport* counts = tiers.ok() ? &*tiers : nullptr;
  Print(o.Has("json") ? ScoringToJson(state, counts) : ScoringToText(state, counts));
  return 0;
}

int SetTiers(Client& client, const Options& o) {
  OnlyOptions(o,
              {"current", "potential", "unit", "pareto", "potential-high", "high-class",
               "mid-class", "window-days", "half-life-days", "loyalty-days", "contact-cost",
               "hour-cost", "discount-rate"},
              "tiers set");
  bool any = false;
  for (const auto& [name, value] : o.values) {
    any = any || (name != "json" && name != "data" && name != "server" && name != "token");
  }
  if (!any) throw CommandError("tiers set needs at least one change (see crmctl --help)");
  ScoringConfig c = Must(client.Scoring(), "reading the scoring config").config;
  if (o.Has("current")) ApplyFactorList("current", o.Get("current"), &c.current_weights, false);
  if (o.Has("potential")) {
    ApplyFactorList("potential", o.Get("potential"), &c.potential_weights, false);
  }
  if (o.Has("unit")) ApplyFactorList("unit", o.Get("unit"), &c.units, true);
  auto percent = [&](const char* name, double* field) {
    if (o.Has(name)) *field = ParseDouble(name, o.Get(name));
  };
  percent("pareto", &c.pareto_percent);
  percent("potential-high", &c.potential_high_percent);
  percent("high-class", &c.high_class_percent);
  percent("mid-class", &c.mid_class_percent);
  percent("discount-rate", &c.discount_rate);
  c.window_days = UintOption(o, "window-days", c.window_days);
  c.recency_half_life_days = UintOption(o, "half-life-days", c.recency_half_life_days);
  c.loyalty_tenure_days = UintOption(o, "loyalty-days", c.loyalty_tenure_days);
  if (o.Has("contact-cost")) {
    c.service_contact_cost = std::llround(ParseDouble("contact-cost", o.Get("contact-cost")) * 100);
  }
  if (o.Has("hour-cost")) {
    c.service_hour_cost = std::llround(ParseDouble("hour-cost", o.Get("hour-cost")) * 100);
  }
  ScoringConfig stored = Must(client.SetScoring(c), "the new scoring config was refused");
  if (o.Has("json")) {
    protocol::ScoringState state = Must(client.Scoring(), "reading the scoring config");
    Print(ScoringToJson(state, nullptr));
    return 0;
  }
  std::printf("stored scoring config v%llu; every customer is rescored with it\n\n",
              static_cast<unsigned long long>(stored.version));
  return ShowTiers(client, Options{});
}

int TiersHistory(Client& client, const Options& o) {
  OnlyOptions(o, {}, "tiers history");
  protocol::ScoringState state = Must(client.Scoring(), "reading the scoring history");
  Print(o.Has("json") ? ScoringHistoryToJson(state.history)
                       : ScoringHistoryToText(state.history));
  return 0;
}

// Runs `query` and prints the report, as text or JSON.
template <typename T, typename Text>
int PrintReport(Client& client, const Options& o, const protocol::ReportQuery& query, Text text) {
  Result<protocol::Report> report = client.RunReport(query);
  if (!report.ok()) throw CommandError("report refused: " + report.status().ToString());
  Print(o.Has("json") ? ReportToJson(*report) : text(std::get<T>(*report)));
  return 0;
}

int Pareto(Client& client, const Options& o) {
  OnlyOptions(o, {"metric", "points", "as-of", "chart", "svg"}, "report pareto");
  ParetoQuery q;
  const std::string metric = o.Get("metric");
  if (!protocol::Parse(metric, &q.metric)) {
    throw CommandError("--metric takes current_value, revenue or profit, not \"" + metric + "\"");
  }
  q.points = UintOption(o, "points", 20);
  q.as_of = AsOfOption(o);
  ParetoReport r = Must(client.Pareto(q), "report refused");
  if (o.Has("svg")) {
    const std::string path = o.Get("svg");
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << ParetoSvg(r, q.metric);
    file.close();
    if (!file) throw CommandError("cannot write " + path);
  }
  if (o.Has("json")) {
    Print(ReportToJson(r));
    return 0;
  }
  Print(ParetoToText(r, q.metric));
  if (o.Has("chart")) Print("\n" + ParetoChart(r));
  if (o.Has("svg")) std::printf("wrote %s\n", o.Get("svg").c_str());
  return 0;
}

}  // namespace

bool ParseAsOf(const std::string& text, Micros* out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  int used = 0;
  bool date_only = false;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) == 6) {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) == 5) {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3) {
    date_only = true;
  } else {
    return false;
  }
  std::string rest = text.substr(static_cast<size_t>(used));
  if (!(rest.empty() || (rest == "Z" && !date_only))) return false;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  // A date alone means the end of that day.
  const Micros t = UtcToMicros(y, mo, d + (date_only ? 1 : 0), h, mi, s);
  if (t <= 0) return false;
  *out = t;
  return true;
}

int TiersCommand(Client& client, const CommandArgs& options) {
  const std::vector<std::string>& words = options.words;
  try {
    const std::string sub = words.size() > 1 ? words[1] : "";
    if (sub.empty()) return ShowTiers(client, options);
    if (sub == "history") return TiersHistory(client, options);
    if (sub == "set") return SetTiers(client, options);
    throw CommandError("tiers takes nothing, history or set, not \"" + sub + "\"");
  } catch (const CommandError& e) {
    std::fprintf(stderr, "crmctl: %s\n", e.what());
    return 1;
  }
}

int ReportCommand(Client& client, const CommandArgs& o) {
  const std::vector<std::string>& words = o.words;
  try {
    const std::string kind = words.size() > 1 ? words[1] : "";
    if (kind == "pareto") return Pareto(client, o);
    if (kind == "tiers") {
      OnlyOptions(o, {"since", "as-of"}, "report tiers");
      TierQuery q{AsOfOption(o, "since"), AsOfOption(o)};
      return PrintReport<TierReport>(client, o, q, TiersToText);
    }
    if (kind == "group") {
      OnlyOptions(o, {"by", "as-of"}, "report group");
      GroupQuery q;
      const std::string by = o.Get("by");
      if (!Parse(by, &q.dimension)) {
        std::string names;
        for (int d = 0; d <= static_cast<int>(Dimension::kValueClass); ++d) {
          names += (d ? ", " : "") + std::string(Name(static_cast<Dimension>(d)));
        }
        throw CommandError("report group needs --by one of: " + names +
                           (by.empty() ? "" : " (not \"" + by + "\")"));
      }
      q.as_of = AsOfOption(o);
      return PrintReport<GroupReport>(client, o, q, GroupToText);
    }
    if (kind == "pipeline") {
      OnlyOptions(o, {}, "report pipeline");
      return PrintReport<PipelineReport>(client, o, protocol::PipelineQuery{}, PipelineToText);
    }
    if (kind == "contracts") {
      OnlyOptions(o, {"expiring-days", "as-of"}, "report contracts");
      protocol::ContractQuery q{UintOption(o, "expiring-days", 30), AsOfOption(o)};
      return PrintReport<ContractReport>(client, o, q, ContractsToText);
    }
    if (kind == "churn") {
      OnlyOptions(o, {"inactive-days", "revenue-drop", "limit", "as-of"}, "report churn");
      ChurnQuery q;
      q.inactive_days = UintOption(o, "inactive-days", q.inactive_days);
      if (o.Has("revenue-drop")) q.revenue_drop = ParseDouble("revenue-drop", o.Get("revenue-drop"));
      q.limit = UintOption(o, "limit", q.limit);
      q.as_of = AsOfOption(o);
      return PrintReport<ChurnReport>(client, o, q, ChurnToText);
    }
    if (kind == "satisfaction") {
      OnlyOptions(o, {"as-of"}, "report satisfaction");
      return PrintReport<SatisfactionReport>(client, o, protocol::SatisfactionQuery{AsOfOption(o)},
                                             SatisfactionToText);
    }
    if (kind == "conversion") {
      OnlyOptions(o, {"by"}, "report conversion");
      const std::string by = o.Get("by");
      if (!by.empty() && by != "source" && by != "campaign") {
        throw CommandError("--by takes source or campaign, not \"" + by + "\"");
      }
      return PrintReport<ConversionReport>(client, o, ConversionQuery{by == "campaign"},
                                           ConversionToText);
    }
    if (kind == "kpi") {
      OnlyOptions(o, {"as-of"}, "report kpi");
      return PrintReport<OwnerKpiReport>(client, o, protocol::OwnerKpiQuery{AsOfOption(o)},
                                         OwnerKpisToText);
    }
    throw CommandError(
        "report takes pareto, tiers, group, pipeline, contracts, churn, satisfaction, conversion "
        "or kpi" +
        (kind.empty() ? std::string() : ", not \"" + kind + "\""));
  } catch (const CommandError& e) {
    std::fprintf(stderr, "crmctl: %s\n", e.what());
    return 1;
  }
}

}  // namespace crm::tools
