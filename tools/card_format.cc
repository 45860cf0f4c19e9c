#include "card_format.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "record_io.h"

namespace crm::tools {

// ------------------------------------------------------------------ Json

Json& Json::Open(char bracket) {
  Comma();
  out_ += bracket;
  first_ = true;
  return *this;
}
Json& Json::Close(char bracket) {
  out_ += bracket;
  first_ = false;
  return *this;
}
Json& Json::Key(std::string_view key) {
  Comma();
  Quote(key);
  out_ += ':';
  first_ = true;
  return *this;
}
Json& Json::Str(std::string_view value) {
  Comma();
  Quote(value);
  return *this;
}
Json& Json::Int(int64_t value) {
  Comma();
  out_ += std::to_string(value);
  return *this;
}
Json& Json::UInt(uint64_t value) {
  Comma();
  out_ += std::to_string(value);
  return *this;
}
Json& Json::Num(double value) {
  Comma();
  if (!std::isfinite(value)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  out_ += buf;
  return *this;
}
Json& Json::Raw(std::string_view json) {
  Comma();
  out_ += json;
  return *this;
}
Json& Json::Bool(bool value) {
  Comma();
  out_ += value ? "true" : "false";
  return *this;
}
void Json::Comma() {
  if (!first_) out_ += ',';
  first_ = false;
}
void Json::Quote(std::string_view s) { AppendJsonString(s, &out_); }

namespace {

using namespace crm::engine;

// Any record as one JSON value of `j`: the fields of the table in
// record_io.h that crmctl's JSON output shows.
template <typename T>
void RecordJson(Json& j, const T& record) {
  std::string object;
  AppendRecordJson(Record(record), JsonFields::kCard, &object);
  j.Raw(object);
}

// "key":[...] with `write(j, item)` for each item.
template <typename T, typename Write>
void ListJson(Json& j, std::string_view key, const std::vector<T>& items, Write write) {
  j.Key(key).Open('[');
  for (const T& item : items) write(j, item);
  j.Close(']');
}

template <typename T>
void ListJson(Json& j, std::string_view key, const std::vector<T>& items) {
  ListJson(j, key, items, RecordJson<T>);
}

std::string Pad(std::string s, size_t width) {
  // Pads by bytes; good enough for the ASCII labels it is used on.
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

}  // namespace

std::string FormatTime(Micros t) {
  if (t == 0) return "-";
  time_t seconds = static_cast<time_t>(t / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string FormatMoney(const Money& m) {
  int64_t units = m.minor_units / 100;
  int64_t cents = m.minor_units % 100;
  bool negative = m.minor_units < 0;
  std::string digits = std::to_string(negative ? -units : units);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  char tail[8];
  std::snprintf(tail, sizeof(tail), ".%02" PRId64, negative ? -cents : cents);
  return (negative ? "-" : "") + grouped + tail + " " + std::string(m.currency.code());
}

std::string FormatCount(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string FormatMinor(double minor_units) {
  if (!std::isfinite(minor_units)) return "-";
  const double rounded = std::llround(minor_units);
  const bool negative = rounded < 0;
  const uint64_t cents = static_cast<uint64_t>(negative ? -rounded : rounded);
  char tail[8];
  std::snprintf(tail, sizeof(tail), ".%02u", static_cast<unsigned>(cents % 100));
  return (negative ? "-" : "") + FormatCount(cents / 100) + tail;
}

std::string FormatFixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

bool IsMoneyFactor(Factor f) {
  return f == Factor::kRevenue || f == Factor::kProfit || f == Factor::kPipeline ||
         f == Factor::kRetentionCost || f == Factor::kModelValue;
}

std::string FormatFactorRaw(Factor f, double raw) {
  if (IsMoneyFactor(f)) return FormatMinor(raw);
  switch (f) {
    case Factor::kFrequency: return FormatFixed(raw, 2) + "/yr";
    case Factor::kGrowth: return FormatFixed(raw * 100, 1) + "%";
    case Factor::kComplaints: return FormatFixed(raw, 0);
    case Factor::kTenure: return FormatFixed(raw, 0) + " d";
    default: return FormatFixed(raw, 3);
  }
}

std::string ValueToText(const ValueSummary& v) {
  if (!v.scored) return "-- value\n  not scored yet\n";
  std::string out = "-- value  (windows ending " + FormatTime(v.as_of) + ", scoring v" +
                    std::to_string(v.config_version) + ")\n";
  std::string tier(Name(v.tier));
  std::vector<std::string> flags;
  if (v.high_current) flags.push_back("high current");
  if (v.high_potential) flags.push_back("high potential");
  if (!flags.empty()) tier += " (" + Join(flags, ", ") + ")";
  out += "  " + Pad("current value", 16) + FormatFixed(v.current_value, 2) + "\n";
  out += "  " + Pad("potential value", 16) + FormatFixed(v.potential_value, 2) + "\n";
  out += "  " + Pad("tier", 16) + tier + "\n";
  out += "  " + Pad("class", 16) + std::string(Name(v.value_class)) + "\n";
  out += "  " + Pad("rank", 16) + FormatCount(v.current_rank) + " of " +
         FormatCount(v.customers) + "\n";
  out += "  why:  " + Pad("factor", 15) + Pad("raw", 17) + Pad("normalized", 12) +
         Pad("current", 10) + "potential\n";
  for (int f = 0; f < kFactorCount; ++f) {
    const FactorValue& fv = v.factors[f];
    const Factor factor = static_cast<Factor>(f);
    if (fv.raw == 0 && fv.current == 0 && fv.potential == 0) continue;
    char row[160];
    std::snprintf(row, sizeof(row), "        %-15s%16s %10.3f %+9.3f %+9.3f\n",
                  std::string(Name(factor)).c_str(), FormatFactorRaw(factor, fv.raw).c_str(),
                  fv.normalized, fv.current, fv.potential);
    out += row;
  }
  return out;
}

void ValueJson(Json& j, const ValueSummary& v) {
  j.Open('{').BField("scored", v.scored);
  j.NField("current_value", v.current_value).NField("potential_value", v.potential_value);
  j.Field("tier", Name(v.tier)).Field("value_class", Name(v.value_class));
  j.BField("high_current", v.high_current).BField("high_potential", v.high_potential);
  j.UField("current_rank", v.current_rank).UField("customers", v.customers);
  j.Field("as_of", v.as_of).UField("config_version", v.config_version);
  j.Key("factors").Open('[');
  for (int f = 0; f < kFactorCount; ++f) {
    const FactorValue& fv = v.factors[f];
    j.Open('{').Field("factor", Name(static_cast<Factor>(f))).NField("raw", fv.raw)
        .NField("normalized", fv.normalized).NField("current", fv.current)
        .NField("potential", fv.potential).Close('}');
  }
  j.Close(']').Close('}');
}

std::string CardToText(const CustomerCard& card) {
  const Customer& c = card.customer;
  std::string out;
  auto line = [&](std::string label, const std::string& value) {
    if (value.empty()) return;
    out += "  " + Pad(std::move(label), 14) + value + "\n";
  };
  out += "== " + c.name + "  [" + std::string(Name(c.kind)) + " #" + std::to_string(c.id) +
         "] ==\n";
  line("lifecycle", std::string(Name(c.lifecycle)));
  line("credit", std::string(Name(c.credit_level)));
  line("phones", Join(c.phones, ", "));
  line("emails", Join(c.emails, ", "));
  std::string region = c.region.country;
  for (const std::string* part : {&c.region.province, &c.region.city}) {
    if (!part->empty()) region += (region.empty() ? "" : " / ") + *part;
  }
  line("region", region);
  line("industry", c.industry);
  line("size", c.size_band == SizeBand::kUnknown ? "" : std::string(Name(c.size_band)));
  line("category", c.category);
  line("payment", c.payment_method == PaymentMethod::kUnknown ? ""
                                                               : std::string(Name(c.payment_method)));
  line("owner", c.owner ? "user " + std::to_string(c.owner) + (c.team.empty() ? "" : " (" + c.team + ")") : "");
  line("external ref", c.external_ref);
  line("tax id", c.tax_id);
  line("tags", Join(c.tags, ", "));
  if (c.kind == CustomerKind::kIndividual) {
    line("gender", c.gender == Gender::kUnknown ? "" : std::string(Name(c.gender)));
    line("born", c.birth_year ? std::to_string(c.birth_year) : "");
    line("occupation", c.occupation);
    line("income", c.income_band == IncomeBand::kUnknown ? "" : std::string(Name(c.income_band)));
  }
  line("history", std::to_string(card.interaction_count) + " interactions (last " +
                      FormatTime(card.last_interaction_at) + "), " +
                      std::to_string(card.transaction_count) + " transactions (last " +
                      FormatTime(card.last_transaction_at) + ")");

  out += ValueToText(card.value);
  if (!card.contacts.empty()) {
    out += "-- contacts\n";
    for (const Contact& ct : card.contacts) {
      out += "  " + ct.name + (ct.title.empty() ? "" : ", " + ct.title) + "  " +
             Join(ct.phones, ", ") + "  " + Join(ct.emails, ", ") + "\n";
    }
  }
  if (!card.open_complaints.empty()) {
    out += "-- open complaints\n";
    for (const Interaction& i : card.open_complaints) {
      out += "  " + FormatTime(i.time) + "  " + std::string(Name(i.complaint)) + "  " +
             i.subject + "\n";
    }
  }
  if (!card.open_opportunities.empty()) {
    out += "-- open opportunities\n";
    for (const Opportunity& o : card.open_opportunities) {
      out += "  " + o.name + "  " + std::string(Name(o.stage)) + "  " + FormatMoney(o.amount) +
             "  " + std::to_string(o.probability) + "%  close " + FormatTime(o.expected_close) +
             "\n";
    }
  }
  if (!card.active_contracts.empty()) {
    out += "-- contracts\n";
    for (const Contract& k : card.active_contracts) {
      out += "  " + k.number + "  " + std::string(Name(k.status)) + "  " +
             FormatMoney(k.amount) + "  " + FormatTime(k.start_at) + " .. " +
             FormatTime(k.end_at) + "\n";
    }
  }
  if (!card.due_tasks.empty()) {
    out += "-- due tasks\n";
    for (const Task& t : card.due_tasks) {
      out += "  " + FormatTime(t.due_at) + "  " + t.title + "\n";
    }
  }
  if (!card.recent_interactions.empty()) {
    out += "-- recent interactions\n";
    for (const Interaction& i : card.recent_interactions) {
      out += "  " + FormatTime(i.time) + "  " + Pad(std::string(Name(i.channel)), 8) + " " +
             Pad(std::string(Name(i.direction)), 9) + i.subject +
             (i.outcome.empty() ? "" : "  -> " + i.outcome) + "\n";
    }
  }
  if (!card.related.empty()) {
    out += "-- related customers\n";
    for (const RelatedCustomer& r : card.related) {
      out += "  #" + std::to_string(r.id) + " " + r.name + "  (" + std::string(Name(r.kind)) +
             (r.incoming ? ", incoming" : "") + ")\n";
    }
  }
  return out;
}

std::string CardToJson(const CustomerCard& card) {
  Json j;
  j.Open('{').Key("customer");
  RecordJson(j, card.customer);
  ListJson(j, "contacts", card.contacts);
  j.Key("value");
  ValueJson(j, card.value);
  ListJson(j, "recent_interactions", card.recent_interactions);
  ListJson(j, "open_complaints", card.open_complaints);
  ListJson(j, "open_opportunities", card.open_opportunities);
  ListJson(j, "active_contracts", card.active_contracts);
  ListJson(j, "due_tasks", card.due_tasks);
  ListJson(j, "related", card.related, [](Json& out, const RelatedCustomer& r) {
    out.Open('{').UField("id", r.id).Field("name", r.name).Field("kind", Name(r.kind))
        .Key("incoming").Bool(r.incoming).Close('}');
  });
  j.UField("interaction_count", card.interaction_count)
      .UField("transaction_count", card.transaction_count)
      .Field("last_interaction_at", card.last_interaction_at)
      .Field("last_transaction_at", card.last_transaction_at);
  j.Close('}');
  return j.Take();
}

std::string HistoryToText(const HistoryPage& page) {
  std::string out;
  for (const HistoryEntry& e : page.entries) {
    if (e.kind == EntityKind::kInteraction) {
      const Interaction& i = e.interaction;
      out += FormatTime(i.time) + "  " + Pad(std::string(Name(i.channel)), 8) + " " +
             Pad(std::string(Name(i.direction)), 9) + i.subject +
             (i.outcome.empty() ? "" : "  -> " + i.outcome) + "\n";
    } else {
      const Transaction& t = e.transaction;
      out += FormatTime(t.time) + "  purchase  " + Pad(FormatMoney(t.amount), 20) + " " +
             t.product_category + "\n";
    }
  }
  if (!page.next_cursor.empty()) out += "(more: --cursor " + page.next_cursor + ")\n";
  return out;
}

std::string RecordToJson(const Record& record) {
  Json j;
  j.Open('{').Field("kind", Name(KindOf(record))).Key("record");
  RecordJson(j, record);
  j.Close('}');
  return j.Take();
}

std::string HistoryToJson(const HistoryPage& page) {
  Json j;
  j.Open('{').Key("entries").Open('[');
  for (const HistoryEntry& e : page.entries) {
    j.Open('{').Field("kind", Name(e.kind)).Key("record");
    if (e.kind == EntityKind::kInteraction) {
      RecordJson(j, e.interaction);
    } else {
      RecordJson(j, e.transaction);
    }
    j.Close('}');
  }
  j.Close(']').Field("next_cursor", page.next_cursor).Close('}');
  return j.Take();
}

}  // namespace crm::tools
