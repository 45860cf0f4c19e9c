#include "report_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "card_format.h"

namespace crm::tools {
namespace {

using namespace crm::engine;

// Terminal columns taken by UTF-8 `s`: East Asian wide characters (CJK,
// Hangul, full-width forms) take two, other code points one.
size_t DisplayWidth(const std::string& s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1F;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

// Columns of text, right-aligned except those marked left; widths in
// terminal columns (see DisplayWidth).
class Table {
 public:
  Table(std::vector<std::string> headers, std::vector<bool> left)
      : headers_(std::move(headers)), left_(std::move(left)) {
    left_.resize(headers_.size(), false);
  }
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string Render(const std::string& indent = "") const {
    std::vector<size_t> width(headers_.size(), 0);
    auto measure = [&](const std::vector<std::string>& cells) {
      for (size_t c = 0; c < cells.size() && c < width.size(); ++c) {
        width[c] = std::max(width[c], DisplayWidth(cells[c]));
      }
    };
    measure(headers_);
    for (const auto& r : rows_) measure(r);
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string text = indent;
      for (size_t c = 0; c < width.size(); ++c) {
        const std::string cell = c < cells.size() ? cells[c] : "";
        const std::string pad(width[c] - DisplayWidth(cell), ' ');
        if (c) text += "  ";
        text += left_[c] ? cell + pad : pad + cell;
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    };
    line(headers_);
    for (const auto& r : rows_) line(r);
    return out;
  }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> left_;
  std::vector<std::vector<std::string>> rows_;
};

std::string Percent(double share, int decimals = 1) {
  return FormatFixed(share * 100, decimals) + "%";
}

std::string MetricName(ParetoQuery::Metric m) { return std::string(protocol::Name(m)); }

bool MoneyMetric(ParetoQuery::Metric m) { return m != ParetoQuery::Metric::kCurrentValue; }

std::string Score(double v) { return FormatFixed(v, 2); }

std::string AsOfLine(Micros as_of) { return "as of " + FormatTime(as_of) + " UTC"; }

std::string UserLabel(Id id) { return id ? "user " + std::to_string(id) : "the system"; }

void ConfigJson(Json& j, const ScoringConfig& c) {
  j.Open('{').UField("version", c.version).UField("changed_by", c.changed_by)
      .Field("changed_at", c.changed_at).UField("window_days", c.window_days);
  j.Key("factors").Open('[');
  for (int f = 0; f < kFactorCount; ++f) {
    const Factor factor = static_cast<Factor>(f);
    j.Open('{').Field("factor", Name(factor)).NField("current", c.current_weights[f])
        .NField("potential", c.potential_weights[f]).NField("unit", c.units[f])
        .BField("money", IsMoneyFactor(factor)).BField("bounded", Bounded(factor))
        .BField("hurts", Hurts(factor)).Close('}');
  }
  j.Close(']');
  j.NField("pareto_percent", c.pareto_percent)
      .NField("potential_high_percent", c.potential_high_percent)
      .NField("high_class_percent", c.high_class_percent)
      .NField("mid_class_percent", c.mid_class_percent)
      .UField("recency_half_life_days", c.recency_half_life_days)
      .Field("service_contact_cost", c.service_contact_cost)
      .Field("service_hour_cost", c.service_hour_cost).NField("discount_rate", c.discount_rate)
      .UField("loyalty_tenure_days", c.loyalty_tenure_days).Close('}');
}

void CutoffsJson(Json& j, const Cutoffs& c) {
  j.Open('{').NField("pareto_current", c.pareto_current)
      .NField("high_potential", c.high_potential).NField("class_high", c.class_high)
      .NField("class_mid", c.class_mid).UField("customers", c.customers)
      .NField("total_current", c.total_current).Close('}');
}

std::string ConfigHeader(const ScoringConfig& c) {
  std::string out = "scoring config v" + std::to_string(c.version);
  if (c.version == 0) {
    out += " (the built-in default)";
  } else {
    out += " (set " + FormatTime(c.changed_at) + " UTC by " + UserLabel(c.changed_by) + ")";
  }
  return out + "\n";
}

std::string ConfigText(const ScoringConfig& c) {
  std::string out = ConfigHeader(c);
  out += "  window " + std::to_string(c.window_days) + " days, recency half-life " +
         std::to_string(c.recency_half_life_days) + " days, loyalty tenure " +
         std::to_string(c.loyalty_tenure_days) + " days\n";
  out += "  service cost " + FormatMinor(static_cast<double>(c.service_contact_cost)) +
         " per contact, " + FormatMinor(static_cast<double>(c.service_hour_cost)) +
         " per hour; discount rate " + Percent(c.discount_rate) + "\n";
  out += "  pareto " + FormatFixed(c.pareto_percent, 1) + "%, potential high " +
         FormatFixed(c.potential_high_percent, 1) + "%, class high " +
         FormatFixed(c.high_class_percent, 1) + "%, class mid " +
         FormatFixed(c.mid_class_percent, 1) + "%\n\n";
  Table t({"factor", "current", "potential", "unit", ""}, {true, false, false, false, true});
  for (int f = 0; f < kFactorCount; ++f) {
    const Factor factor = static_cast<Factor>(f);
    std::string unit = Bounded(factor) ? "-"
                       : IsMoneyFactor(factor) ? FormatMinor(c.units[f])
                                               : FormatFixed(c.units[f], 2);
    t.Row({std::string(Name(factor)), FormatFixed(c.current_weights[f], 3),
           FormatFixed(c.potential_weights[f], 3), unit, Hurts(factor) ? "(lowers the scores)" : ""});
  }
  return out + t.Render("  ");
}

std::string CutoffsText(const Cutoffs& c) {
  std::string out = "cut-offs (" + FormatCount(c.customers) + " customers ranked, total current value " +
                    Score(c.total_current) + ")\n";
  Table t({"", "current value >=", "potential value >="}, {true, false, false});
  t.Row({"high current (Pareto set)", Score(c.pareto_current), ""});
  t.Row({"high potential", "", Score(c.high_potential)});
  t.Row({"class high", Score(c.class_high), ""});
  t.Row({"class mid", Score(c.class_mid), ""});
  return out + t.Render("  ");
}

std::string TierCountsText(const TierReport& r) {
  Table t({"tier", "customers", "share", "current value", "value share"},
          {true, false, false, false, false});
  uint64_t total = 0;
  double value = 0;
  for (int i = 0; i < kTierCount; ++i) {
    total += r.tiers[i];
    value += r.tier_value[i];
  }
  for (int i = 1; i < kTierCount; ++i) {
    t.Row({std::string(Name(static_cast<Tier>(i))), FormatCount(r.tiers[i]),
           total ? Percent(static_cast<double>(r.tiers[i]) / static_cast<double>(total)) : "-",
           Score(r.tier_value[i]), value > 0 ? Percent(r.tier_value[i] / value) : "-"});
  }
  if (r.tiers[0]) t.Row({"none (unscored)", FormatCount(r.tiers[0]), "", "", ""});
  std::string out = t.Render("  ");
  out += "  value classes: high " + FormatCount(r.value_classes[1]) + ", mid " +
         FormatCount(r.value_classes[2]) + ", low " + FormatCount(r.value_classes[3]) + "\n";
  return out;
}

}  // namespace

// ------------------------------------------------------------------ scoring

std::string ScoringToText(const protocol::ScoringState& state, const TierReport* tiers) {
  std::string out = ConfigText(state.config) + "\n" + CutoffsText(state.cutoffs);
  if (tiers != nullptr) out += "\ntiers (" + AsOfLine(tiers->as_of) + ")\n" + TierCountsText(*tiers);
  return out;
}

std::string ScoringToJson(const protocol::ScoringState& state, const TierReport* tiers) {
  Json j;
  j.Open('{').Key("config");
  ConfigJson(j, state.config);
  j.Key("cutoffs");
  CutoffsJson(j, state.cutoffs);
  if (tiers != nullptr) {
    j.Key("tiers").Open('{');
    for (int i = 0; i < kTierCount; ++i) j.UField(Name(static_cast<Tier>(i)), tiers->tiers[i]);
    j.Close('}');
  }
  j.Close('}');
  return j.Take();
}

std::string ScoringHistoryToText(const std::vector<ScoringConfig>& history) {
  if (history.empty()) return "no stored versions: the built-in default is in force\n";
  Table t({"version", "set at (UTC)", "by", "window", "pareto", "pot.high", "high", "mid",
           "current weights", "potential weights"},
          {false, true, true, false, false, false, false, false, true, true});
  auto weights = [](const std::array<double, kFactorCount>& w) {
    std::string s;
    for (int f = 0; f < kFactorCount; ++f) {
      if (w[f] == 0) continue;
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%s%s=%g", s.empty() ? "" : ",",
                    std::string(Name(static_cast<Factor>(f))).c_str(), w[f]);
      s += buf;
    }
    return s;
  };
  for (const ScoringConfig& c : history) {
    t.Row({std::to_string(c.version), FormatTime(c.changed_at), UserLabel(c.changed_by),
           std::to_string(c.window_days) + "d", FormatFixed(c.pareto_percent, 1) + "%",
           FormatFixed(c.potential_high_percent, 1) + "%", FormatFixed(c.high_class_percent, 1) + "%",
           FormatFixed(c.mid_class_percent, 1) + "%", weights(c.current_weights),
           weights(c.potential_weights)});
  }
  return t.Render();
}

std::string ScoringHistoryToJson(const std::vector<ScoringConfig>& history) {
  Json j;
  j.Open('[');
  for (const ScoringConfig& c : history) ConfigJson(j, c);
  j.Close(']');
  return j.Take();
}

// ------------------------------------------------------------------ Pareto

std::string ParetoToText(const ParetoReport& r, ParetoQuery::Metric metric) {
  const std::string total =
      MoneyMetric(metric) ? FormatMinor(r.total) : Score(r.total);
  std::string out = "Pareto of " + MetricName(metric) + ": " + FormatCount(r.customers) +
                    " customers, total " + total + ", " + AsOfLine(r.as_of) + "\n";
  out += "  top 10% of customers hold " + Percent(r.top10) + "\n";
  out += "  top 20% of customers hold " + Percent(r.top20) + "\n";
  out += "  top 50% of customers hold " + Percent(r.top50) + "\n";
  out += "  80% of the total is held by the top " + Percent(r.customers_for_80) +
         " of customers\n\n";
  Table t({"top customers", "hold"}, {false, false});
  for (const auto& p : r.curve) t.Row({Percent(p.customers), Percent(p.value)});
  return out + t.Render("  ");
}

namespace {
// The curve's value share at customer share x (linear between points,
// through (0, 0)).
double CurveAt(const ParetoReport& r, double x) {
  double px = 0, py = 0;
  for (const auto& p : r.curve) {
    if (x <= p.customers) {
      if (p.customers <= px) return p.value;
      return py + (p.value - py) * (x - px) / (p.customers - px);
    }
    px = p.customers;
    py = p.value;
  }
  return py;
}
}  // namespace

std::string ParetoChart(const ParetoReport& r, int width, int height) {
  std::vector<std::string> grid(static_cast<size_t>(height) + 1,
                                std::string(static_cast<size_t>(width) + 1, ' '));
  const int line80 = static_cast<int>(std::lround(0.8 * height));
  for (int x = 0; x <= width; ++x) grid[static_cast<size_t>(line80)][static_cast<size_t>(x)] = '-';
  int previous = 0;
  for (int x = 0; x <= width; ++x) {
    const double share = static_cast<double>(x) / width;
    const int y = std::clamp(static_cast<int>(std::lround(CurveAt(r, share) * height)), 0, height);
    // Steep stretches are drawn as a continuous stroke.
    for (int fill = std::min(previous + 1, y); fill <= y; ++fill) {
      grid[static_cast<size_t>(fill)][static_cast<size_t>(x)] = '*';
    }
    previous = y;
  }
  std::string out = "share of the total\n";
  for (int y = height; y >= 0; --y) {
    char label[16] = "     ";
    if (y % (height / 4 == 0 ? 1 : height / 4) == 0 || y == line80) {
      std::snprintf(label, sizeof(label), "%4.0f%%", 100.0 * y / height);
    }
    std::string row = std::string(label) + " |" + grid[static_cast<size_t>(y)];
    while (row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  out += "      +" + std::string(static_cast<size_t>(width) + 1, '-') + "\n";
  std::string axis(static_cast<size_t>(width) + 8, ' ');
  for (int q = 0; q <= 4; ++q) {
    const std::string tick = std::to_string(q * 25) + "%";
    size_t pos = 7 + static_cast<size_t>(q * width / 4);
    if (pos + tick.size() > axis.size()) pos = axis.size() - tick.size();
    axis.replace(pos, tick.size(), tick);
  }
  out += axis + "\n" + std::string(7, ' ') + "top share of customers  (- - 80% of the total)\n";
  return out;
}

std::string ParetoSvg(const ParetoReport& r, ParetoQuery::Metric metric) {
  constexpr double kW = 640, kH = 480, kLeft = 70, kRight = 30, kTop = 50, kBottom = 60;
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  auto X = [&](double share) { return kLeft + share * pw; };
  auto Y = [&](double share) { return kTop + (1 - share) * ph; };
  auto num = [](double v) { return FormatFixed(v, 1); };
  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"480\" "
       "viewBox=\"0 0 640 480\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"640\" height=\"480\" fill=\"white\"/>\n";
  s += "<text x=\"320\" y=\"25\" text-anchor=\"middle\" font-size=\"16\">Pareto curve of " +
       MetricName(metric) + " (" + FormatCount(r.customers) + " customers, " +
       FormatTime(r.as_of) + " UTC)</text>\n";
  // Grid and ticks.
  for (int q = 0; q <= 10; ++q) {
    const double v = q / 10.0;
    s += "<line x1=\"" + num(X(v)) + "\" y1=\"" + num(Y(0)) + "\" x2=\"" + num(X(v)) + "\" y2=\"" +
         num(Y(1)) + "\" stroke=\"#eeeeee\"/>\n";
    s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(X(1)) + "\" y2=\"" +
         num(Y(v)) + "\" stroke=\"#eeeeee\"/>\n";
    s += "<text x=\"" + num(X(v)) + "\" y=\"" + num(Y(0) + 18) + "\" text-anchor=\"middle\">" +
         std::to_string(q * 10) + "%</text>\n";
    s += "<text x=\"" + num(X(0) - 8) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\">" +
         std::to_string(q * 10) + "%</text>\n";
  }
  // Axes.
  s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(0)) + "\" x2=\"" + num(X(1)) + "\" y2=\"" +
       num(Y(0)) + "\" stroke=\"black\"/>\n";
  s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(0)) + "\" x2=\"" + num(X(0)) + "\" y2=\"" +
       num(Y(1)) + "\" stroke=\"black\"/>\n";
  s += "<text x=\"" + num(X(0.5)) + "\" y=\"" + num(kH - 15) +
       "\" text-anchor=\"middle\">top share of customers</text>\n";
  s += "<text x=\"18\" y=\"" + num(Y(0.5)) + "\" text-anchor=\"middle\" transform=\"rotate(-90 18 " +
       num(Y(0.5)) + ")\">share of the total</text>\n";
  // An even spread, for comparison.
  s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(0)) + "\" x2=\"" + num(X(1)) + "\" y2=\"" +
       num(Y(1)) + "\" stroke=\"#999999\" stroke-dasharray=\"2,4\"/>\n";
  // The 80% line and where the curve reaches it.
  s += "<line x1=\"" + num(X(0)) + "\" y1=\"" + num(Y(0.8)) + "\" x2=\"" + num(X(1)) + "\" y2=\"" +
       num(Y(0.8)) + "\" stroke=\"#d62728\" stroke-dasharray=\"6,4\"/>\n";
  s += "<text x=\"" + num(X(1) - 4) + "\" y=\"" + num(Y(0.8) - 6) +
       "\" text-anchor=\"end\" fill=\"#d62728\">80% of the total</text>\n";
  if (r.customers_for_80 > 0) {
    s += "<line x1=\"" + num(X(r.customers_for_80)) + "\" y1=\"" + num(Y(0)) + "\" x2=\"" +
         num(X(r.customers_for_80)) + "\" y2=\"" + num(Y(0.8)) +
         "\" stroke=\"#d62728\" stroke-dasharray=\"2,3\"/>\n";
    s += "<text x=\"" + num(X(r.customers_for_80) + 6) + "\" y=\"" + num(Y(0.05)) +
         "\" fill=\"#d62728\">top " + Percent(r.customers_for_80) + "</text>\n";
  }
  // The curve.
  std::string points = num(X(0)) + "," + num(Y(0));
  for (const auto& p : r.curve) points += " " + num(X(p.customers)) + "," + num(Y(p.value));
  s += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n";
  for (const auto& p : r.curve) {
    s += "<circle cx=\"" + num(X(p.customers)) + "\" cy=\"" + num(Y(p.value)) +
         "\" r=\"2.5\" fill=\"#1f77b4\"/>\n";
  }
  s += "</svg>\n";
  return s;
}

// ------------------------------------------------------------------ other reports

std::string TiersToText(const TierReport& r) {
  std::string out = "tiers, scoring v" + std::to_string(r.config_version) + ", " +
                    AsOfLine(r.as_of) + "\n" + TierCountsText(r) + "\n" + CutoffsText(r.cutoffs);
  if (!r.has_baseline) return out;
  out += "\nmovements since the snapshot of " + FormatTime(r.baseline_at) + " UTC (rows: then, columns: now)\n";
  std::vector<std::string> headers = {"then \\ now"};
  for (int to = 0; to < kTierCount; ++to) headers.push_back(std::string(Name(static_cast<Tier>(to))));
  Table t(headers, {true});
  for (int from = 0; from < kTierCount; ++from) {
    std::vector<std::string> row = {std::string(Name(static_cast<Tier>(from)))};
    for (int to = 0; to < kTierCount; ++to) row.push_back(FormatCount(r.movements[from][to]));
    t.Row(row);
  }
  return out + t.Render("  ");
}

std::string GroupToText(const GroupReport& r) {
  std::string out = "customers by " + std::string(Name(r.dimension)) + ", " + AsOfLine(r.as_of) +
                    " (money over the value window)\n";
  Table t({std::string(Name(r.dimension)), "customers", "revenue", "profit", "pipeline",
           "current value", "potential value", "key"},
          {true});
  for (const GroupRow& g : r.rows) {
    std::string key = g.key.empty() ? "(unset)" : g.key;
    if (r.dimension == Dimension::kOwner && !g.key.empty() && g.key != "0") key = "user " + g.key;
    t.Row({key, FormatCount(g.customers), FormatMinor(static_cast<double>(g.revenue)),
           FormatMinor(static_cast<double>(g.profit)), FormatMinor(static_cast<double>(g.pipeline)),
           Score(g.current_value), Score(g.potential_value), FormatCount(g.key_customers)});
  }
  return out + t.Render();
}

std::string PipelineToText(const PipelineReport& r) {
  Table t({"stage", "count", "amount", "weighted", "conversion"}, {true});
  for (const PipelineRow& p : r.stages) {
    t.Row({std::string(Name(p.stage)), FormatCount(p.count),
           FormatMinor(static_cast<double>(p.amount)), FormatMinor(static_cast<double>(p.weighted)),
           p.conversion < 0 ? "-" : Percent(p.conversion)});
  }
  return "opportunity pipeline\n" + t.Render() + "open " + FormatCount(r.open) + ", amount " +
         FormatMinor(static_cast<double>(r.open_amount)) + ", weighted " +
         FormatMinor(static_cast<double>(r.open_weighted)) + "; win rate " + Percent(r.win_rate) +
         "\n";
}

std::string ContractsToText(const ContractReport& r) {
  Table t({"status", "count", "amount", "paid", "outstanding"}, {true});
  for (const ContractRow& c : r.statuses) {
    t.Row({std::string(Name(c.status)), FormatCount(c.count),
           FormatMinor(static_cast<double>(c.amount)), FormatMinor(static_cast<double>(c.paid)),
           FormatMinor(static_cast<double>(c.outstanding))});
  }
  return "contracts, " + AsOfLine(r.as_of) + "\n" + t.Render() + "expiring within " +
         std::to_string(r.expiring_days) + " days: " + FormatCount(r.expiring) + " (" +
         FormatMinor(static_cast<double>(r.expiring_amount)) + "); past end and not fully paid: " +
         FormatCount(r.overdue_payment) + "\n";
}

std::string ChurnToText(const ChurnReport& r) {
  std::string out = "customers at risk of churning: " + FormatCount(r.at_risk) + ", " +
                    AsOfLine(r.as_of) + (r.rows.size() < r.at_risk
                                              ? " (the " + FormatCount(r.rows.size()) +
                                                    " most valuable shown)"
                                              : "") +
                    "\n";
  Table t({"customer", "name", "tier", "value", "last activity", "days", "revenue", "previous",
           "why"},
          {false, true, true, false, true, false, false, false, true});
  for (const ChurnRow& c : r.rows) {
    std::string why = c.inactive ? "inactive" : "";
    if (c.falling) why += std::string(why.empty() ? "" : ", ") + "revenue falling";
    t.Row({std::to_string(c.customer), c.name, std::string(Name(c.tier)), Score(c.current_value),
           FormatTime(c.last_activity), std::to_string(c.days_inactive),
           FormatMinor(static_cast<double>(c.revenue)),
           FormatMinor(static_cast<double>(c.previous_revenue)), why});
  }
  return out + t.Render();
}

std::string SatisfactionToText(const SatisfactionReport& r) {
  std::string out = "satisfaction, " + AsOfLine(r.as_of) + " (over the value window)\n";
  out += "  rated interactions " + FormatCount(r.rated) + " from " + FormatCount(r.customers_rated) +
         " customers, average " + (r.rated ? FormatFixed(r.average, 2) : std::string("-")) + " of 5\n";
  Table t({"stars", "count", "share", ""}, {false, false, false, true});
  for (int i = 4; i >= 0; --i) {
    const double share = r.rated ? static_cast<double>(r.ratings[i]) / r.rated : 0;
    t.Row({std::to_string(i + 1), FormatCount(r.ratings[i]), Percent(share),
           std::string(static_cast<size_t>(std::lround(share * 40)), '#')});
  }
  out += t.Render("  ");
  out += "  complaints raised " + FormatCount(r.complaints) + " (" +
         FormatCount(r.customers_with_complaints) + " customers); now open " + FormatCount(r.open) +
         ", in progress " + FormatCount(r.in_progress) + ", resolved " + FormatCount(r.resolved) +
         "\n";
  return out;
}

std::string ConversionToText(const ConversionReport& r) {
  Table t({r.by_campaign ? "campaign" : "source", "opportunities", "won", "lost", "open",
           "win rate", "won amount", "open weighted"},
          {true});
  for (const ConversionRow& c : r.rows) {
    t.Row({c.key.empty() ? "(unset)" : c.key, FormatCount(c.opportunities), FormatCount(c.won),
           FormatCount(c.lost), FormatCount(c.open),
           c.won + c.lost ? Percent(c.win_rate) : "-",
           FormatMinor(static_cast<double>(c.won_amount)),
           FormatMinor(static_cast<double>(c.open_weighted))});
  }
  return std::string("conversion by ") + (r.by_campaign ? "campaign" : "lead source") + "\n" +
         t.Render();
}

std::string OwnerKpisToText(const OwnerKpiReport& r) {
  Table t({"owner", "name", "customers", "key", "key revenue", "previous", "growth",
           "contacts/key", "open complaints", "overdue tasks"},
          {false, true});
  for (const OwnerKpiRow& k : r.rows) {
    t.Row({std::to_string(k.owner), k.name, FormatCount(k.customers), FormatCount(k.key_customers),
           FormatMinor(static_cast<double>(k.revenue)),
           FormatMinor(static_cast<double>(k.previous_revenue)), Percent(k.growth),
           FormatFixed(k.contacts_per_key_customer, 2), FormatCount(k.open_complaints),
           FormatCount(k.overdue_tasks)});
  }
  return "key-customer KPIs per owner, " + AsOfLine(r.as_of) + "\n" + t.Render();
}

// ------------------------------------------------------------------ JSON

std::string ReportToJson(const protocol::Report& report) {
  Json j;
  j.Open('{');
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ParetoReport>) {
          j.Field("report", "pareto").Field("as_of", r.as_of).UField("customers", r.customers)
              .NField("total", r.total).NField("top10", r.top10).NField("top20", r.top20)
              .NField("top50", r.top50).NField("customers_for_80", r.customers_for_80);
          j.Key("curve").Open('[');
          for (const auto& p : r.curve) {
            j.Open('{').NField("customers", p.customers).NField("value", p.value).Close('}');
          }
          j.Close(']');
        } else if constexpr (std::is_same_v<T, TierReport>) {
          j.Field("report", "tiers").Field("as_of", r.as_of)
              .UField("config_version", r.config_version).Key("cutoffs");
          CutoffsJson(j, r.cutoffs);
          j.Key("tiers").Open('{');
          for (int i = 0; i < kTierCount; ++i) {
            j.Key(Name(static_cast<Tier>(i))).Open('{').UField("customers", r.tiers[i])
                .NField("current_value", r.tier_value[i]).Close('}');
          }
          j.Close('}').Key("value_classes").Open('{');
          for (int i = 0; i < 4; ++i) j.UField(Name(static_cast<ValueClass>(i)), r.value_classes[i]);
          j.Close('}').BField("has_baseline", r.has_baseline).Field("baseline_at", r.baseline_at);
          j.Key("movements").Open('[');
          for (int from = 0; from < kTierCount; ++from) {
            for (int to = 0; to < kTierCount; ++to) {
              if (r.movements[from][to] == 0) continue;
              j.Open('{').Field("from", Name(static_cast<Tier>(from)))
                  .Field("to", Name(static_cast<Tier>(to))).UField("customers", r.movements[from][to])
                  .Close('}');
            }
          }
          j.Close(']');
        } else if constexpr (std::is_same_v<T, GroupReport>) {
          j.Field("report", "group").Field("as_of", r.as_of).Field("dimension", Name(r.dimension));
          j.Key("rows").Open('[');
          for (const GroupRow& g : r.rows) {
            j.Open('{').Field("key", g.key).UField("customers", g.customers)
                .Field("revenue", g.revenue).Field("profit", g.profit).Field("pipeline", g.pipeline)
                .NField("current_value", g.current_value)
                .NField("potential_value", g.potential_value)
                .UField("key_customers", g.key_customers).Close('}');
          }
          j.Close(']');
        } else if constexpr (std::is_same_v<T, PipelineReport>) {
          j.Field("report", "pipeline").Key("stages").Open('[');
          for (const PipelineRow& p : r.stages) {
            j.Open('{').Field("stage", Name(p.stage)).UField("count", p.count)
                .Field("amount", p.amount).Field("weighted", p.weighted)
                .NField("conversion", p.conversion).Close('}');
          }
          j.Close(']').UField("open", r.open).Field("open_amount", r.open_amount)
              .Field("open_weighted", r.open_weighted).NField("win_rate", r.win_rate);
        } else if constexpr (std::is_same_v<T, ContractReport>) {
          j.Field("report", "contracts").Field("as_of", r.as_of).Key("statuses").Open('[');
          for (const ContractRow& c : r.statuses) {
            j.Open('{').Field("status", Name(c.status)).UField("count", c.count)
                .Field("amount", c.amount).Field("paid", c.paid)
                .Field("outstanding", c.outstanding).Close('}');
          }
          j.Close(']').UField("expiring_days", r.expiring_days).UField("expiring", r.expiring)
              .Field("expiring_amount", r.expiring_amount)
              .UField("overdue_payment", r.overdue_payment);
        } else if constexpr (std::is_same_v<T, ChurnReport>) {
          j.Field("report", "churn").Field("as_of", r.as_of).UField("at_risk", r.at_risk);
          j.Key("rows").Open('[');
          for (const ChurnRow& c : r.rows) {
            j.Open('{').UField("customer", c.customer).Field("name", c.name)
                .UField("owner", c.owner).Field("last_activity", c.last_activity)
                .UField("days_inactive", c.days_inactive).Field("revenue", c.revenue)
                .Field("previous_revenue", c.previous_revenue)
                .NField("current_value", c.current_value).Field("tier", Name(c.tier))
                .BField("inactive", c.inactive).BField("falling", c.falling).Close('}');
          }
          j.Close(']');
        } else if constexpr (std::is_same_v<T, SatisfactionReport>) {
          j.Field("report", "satisfaction").Field("as_of", r.as_of).UField("rated", r.rated)
              .NField("average", r.average).Key("ratings").Open('[');
          for (uint64_t n : r.ratings) j.UInt(n);
          j.Close(']').UField("complaints", r.complaints).UField("open", r.open)
              .UField("in_progress", r.in_progress).UField("resolved", r.resolved)
              .UField("customers_rated", r.customers_rated)
              .UField("customers_with_complaints", r.customers_with_complaints);
        } else if constexpr (std::is_same_v<T, ConversionReport>) {
          j.Field("report", "conversion").Field("by", r.by_campaign ? "campaign" : "source");
          j.Key("rows").Open('[');
          for (const ConversionRow& c : r.rows) {
            j.Open('{').Field("key", c.key).UField("opportunities", c.opportunities)
                .UField("won", c.won).UField("lost", c.lost).UField("open", c.open)
                .NField("win_rate", c.win_rate).Field("won_amount", c.won_amount)
                .Field("open_weighted", c.open_weighted).Close('}');
          }
          j.Close(']');
        } else {
          j.Field("report", "owner_kpis").Field("as_of", r.as_of).Key("rows").Open('[');
          for (const OwnerKpiRow& k : r.rows) {
            j.Open('{').UField("owner", k.owner).Field("name", k.name)
                .UField("customers", k.customers).UField("key_customers", k.key_customers)
                .Field("revenue", k.revenue).Field("previous_revenue", k.previous_revenue)
                .NField("growth", k.growth).UField("interactions", k.interactions)
                .NField("contacts_per_key_customer", k.contacts_per_key_customer)
                .UField("open_complaints", k.open_complaints)
                .UField("overdue_tasks", k.overdue_tasks).Close('}');
          }
          j.Close(']');
        }
      },
      report);
  j.Close('}');
  return j.Take();
}

}  // namespace crm::tools
