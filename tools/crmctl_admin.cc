// crmctl audit / handover / stats.
#include "crmctl_admin.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "card_format.h"
#include "crmctl_args.h"
#include "record_io.h"

namespace crm::tools {

namespace {

using namespace crm::engine;
using crm::client::Client;

using Options = CommandArgs;

// An option's time: ParseTimeText's forms ("2026-12-01", "2026-12-01T09:30",
// "2026-12-01T09:30:15Z", microseconds); fails on anything else.
Micros Time(const std::string& name, const std::string& text) {
  Micros t = 0;
  if (!ParseTimeText(text, &t)) {
    Fail("--" + name + " takes a time such as 2026-12-01 or 2026-12-01T09:30 (UTC)");
  }
  return t;
}

std::string Iso(Micros t) {
  std::time_t secs = static_cast<std::time_t>(t / 1'000'000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  char micros[16];
  std::snprintf(micros, sizeof micros, ".%06lldZ", static_cast<long long>(t % 1'000'000));
  return std::string(buf) + micros;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The members of a JSON object as raw text, in order (no validation: the
// text comes from RecordToJson).
std::vector<std::pair<std::string, std::string>> Members(const std::string& json) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = json.find('{');
  if (i == std::string::npos) return out;
  ++i;
  auto skip_string = [&](size_t j) {  // j at the opening quote; returns past the closing one
    for (++j; j < json.size() && json[j] != '"'; ++j) {
      if (json[j] == '\\') ++j;
    }
    return j + 1;
  };
  while (i < json.size() && json[i] != '}') {
    if (json[i] == ',' || json[i] == ' ') {
      ++i;
      continue;
    }
    size_t key_end = skip_string(i);
    std::string key = json.substr(i + 1, key_end - i - 2);
    i = key_end + 1;  // past ':'
    size_t start = i;
    int depth = 0;
    while (i < json.size()) {
      char c = json[i];
      if (c == '"') {
        i = skip_string(i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (depth == 0) break;
        --depth;
      }
      if (c == ',' && depth == 0) break;
      ++i;
    }
    out.emplace_back(std::move(key), json.substr(start, i - start));
  }
  return out;
}

// The record's own JSON object, without the {"kind":..} wrapper.
std::string RecordObject(const Record& record) {
  for (auto& [key, value] : Members(RecordToJson(record))) {
    if (key == "record") return value;
  }
  return "{}";
}

// "owner 7 -> 9, team \"a\" -> \"b\"": the fields an update changed.
std::string Changes(const Record& before, const Record& after) {
  auto old_fields = Members(RecordObject(before));
  auto new_fields = Members(RecordObject(after));
  std::string out;
  for (const auto& [key, value] : new_fields) {
    if (key == "revision" || key == "updated_at") continue;
    std::string was;
    for (const auto& [k, v] : old_fields) {
      if (k == key) was = v;
    }
    if (was == value) continue;
    if (!out.empty()) out += ", ";
    out += key + " " + was + " -> " + value;
  }
  return out.empty() ? "(no field changed)" : out;
}

std::string EntryJson(const AuditEntry& e) {
  std::string out = "{\"sequence\":" + std::to_string(e.sequence) + ",\"time\":" +
                    std::to_string(e.time) + ",\"time_utc\":\"" + Iso(e.time) +
                    "\",\"user\":" + std::to_string(e.user) + ",\"kind\":\"" +
                    std::string(Name(e.kind)) + "\",\"entity\":\"" + std::string(Name(e.entity)) +
                    "\",\"record\":" + std::to_string(e.record);
  if (e.old_value) out += ",\"old\":" + RecordObject(*e.old_value);
  if (e.new_value) out += ",\"new\":" + RecordObject(*e.new_value);
  if (!e.permission.empty()) out += ",\"permission\":" + JsonString(e.permission);
  if (!e.message.empty()) out += ",\"message\":" + JsonString(e.message);
  return out + "}";
}

int Audit(Client& client, const Options& o) {
  AuditQuery q;
  if (o.Has("record")) {
    const std::string spec = o.Get("record");
    const size_t colon = spec.find(':');
    if (colon == std::string::npos || !Parse(spec.substr(0, colon), &q.entity)) {
      Fail("--record takes KIND:ID, such as customer:42");
    }
    q.record = ParseWholeNumber("record", spec.substr(colon + 1));
    if (q.record == 0) Fail("--record needs an id above 0");
  }
  if (o.Has("user")) q.user = ParseWholeNumber("user", o.Get("user"));
  if (o.Has("from")) q.from = Time("from", o.Get("from"));
  if (o.Has("to")) q.to = Time("to", o.Get("to"));
  if (o.Has("after")) q.after = ParseWholeNumber("after", o.Get("after"));
  q.limit = o.Has("limit") ? static_cast<uint32_t>(ParseWholeNumber("limit", o.Get("limit"))) : 50;
  Result<AuditPage> page = client.QueryAudit(q);
  Check(page.status());
  if (o.Has("json")) {
    std::string out = "{\"entries\":[";
    for (size_t i = 0; i < page->entries.size(); ++i) {
      if (i > 0) out += ",";
      out += EntryJson(page->entries[i]);
    }
    out += "],\"next_cursor\":" + std::to_string(page->next_cursor) + "}";
    std::printf("%s\n", out.c_str());
    return 0;
  }
  for (const AuditEntry& e : page->entries) {
    std::string what;
    switch (e.kind) {
      case WriteKind::kCreate: what = e.new_value ? "created" : ""; break;
      case WriteKind::kUpdate:
        what = e.old_value && e.new_value ? Changes(*e.old_value, *e.new_value) : "";
        break;
      case WriteKind::kDelete: what = "deleted"; break;
      case WriteKind::kDenied: what = e.message; break;
      case WriteKind::kImport: break;  // an op only: audited as create or update
    }
    if (e.kind != WriteKind::kDenied && !e.message.empty()) what += " [" + e.message + "]";
    std::printf("%8llu  %s  user %-5llu %-7s %s %llu  %s\n",
                static_cast<unsigned long long>(e.sequence), Iso(e.time).c_str(),
                static_cast<unsigned long long>(e.user), std::string(Name(e.kind)).c_str(),
                std::string(Name(e.entity)).c_str(), static_cast<unsigned long long>(e.record),
                what.c_str());
  }
  if (page->next_cursor != 0) {
    std::fprintf(stderr, "more: repeat with --after %llu\n",
                 static_cast<unsigned long long>(page->next_cursor));
  }
  return 0;
}

int Handover(Client& client, const Options& o) {
  HandoverSpec spec;
  if (!o.Has("from")) Fail("handover needs --from USER");
  spec.from = ParseWholeNumber("from", o.Get("from"));
  if (o.Has("to") == o.Has("to-team")) Fail("handover needs one of --to USER or --to-team TEAM");
  if (o.Has("to")) spec.to = ParseWholeNumber("to", o.Get("to"));
  spec.to_team = o.Get("to-team");
  spec.deactivate = o.Has("deactivate");
  spec.new_team = o.Get("new-team");
  Result<HandoverResult> r = client.Handover(spec);
  Check(r.status());
  if (o.Has("json")) {
    std::string receivers;
    for (const auto& [user, customers] : r->receivers) {
      if (!receivers.empty()) receivers += ",";
      receivers += "{\"user\":" + std::to_string(user) +
                   ",\"customers\":" + std::to_string(customers) + "}";
    }
    std::printf(
        "{\"customers\":%llu,\"opportunities\":%llu,\"contracts\":%llu,\"tasks\":%llu,"
        "\"receivers\":[%s],\"deactivated\":%s}\n",
        static_cast<unsigned long long>(r->customers),
        static_cast<unsigned long long>(r->opportunities),
        static_cast<unsigned long long>(r->contracts), static_cast<unsigned long long>(r->tasks),
        receivers.c_str(), r->deactivated ? "true" : "false");
    return 0;
  }
  std::printf("handed over from user %llu: %llu customers, %llu opportunities, %llu contracts, "
              "%llu open tasks\n",
              static_cast<unsigned long long>(spec.from),
              static_cast<unsigned long long>(r->customers),
              static_cast<unsigned long long>(r->opportunities),
              static_cast<unsigned long long>(r->contracts),
              static_cast<unsigned long long>(r->tasks));
  for (const auto& [user, customers] : r->receivers) {
    std::printf("  user %llu received %llu customers\n", static_cast<unsigned long long>(user),
                static_cast<unsigned long long>(customers));
  }
  if (r->deactivated) {
    std::printf("user %llu is deactivated: its tokens no longer work\n",
                static_cast<unsigned long long>(spec.from));
  }
  return 0;
}

std::string Bytes(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1 << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  }
  return buf;
}

int Stats(Client& client, const Options& o) {
  Result<protocol::StatsSnapshot> r = client.Stats();
  Check(r.status());
  const protocol::StatsSnapshot& s = *r;
  const engine::StoreCounts& c = s.counts;
  const std::pair<const char*, uint64_t> counts[] = {
      {"customers", c.customers},         {"contacts", c.contacts},
      {"interactions", c.interactions},   {"transactions", c.transactions},
      {"opportunities", c.opportunities}, {"contracts", c.contracts},
      {"tasks", c.tasks},                 {"users", c.users},
      {"audit_entries", c.audit_entries}};
  if (o.Has("json")) {
    std::string out = "{\"uptime_seconds\":" + std::to_string(s.uptime_micros / 1'000'000) +
                      ",\"connections\":" + std::to_string(s.connections) +
                      ",\"connections_total\":" + std::to_string(s.connections_total) +
                      ",\"counts\":{";
    for (size_t i = 0; i < std::size(counts); ++i) {
      if (i > 0) out += ",";
      out += "\"" + std::string(counts[i].first) + "\":" + std::to_string(counts[i].second);
    }
    out += "},\"resident_bytes\":" + std::to_string(s.resident_bytes) +
           ",\"store_bytes\":" + std::to_string(s.store_bytes) +
           ",\"lmdb_file_bytes\":" + std::to_string(s.storage.file_bytes) +
           ",\"lmdb_used_bytes\":" + std::to_string(s.storage.used_bytes) +
           ",\"lmdb_map_bytes\":" + std::to_string(s.storage.map_bytes) +
           ",\"writer_batches\":" + std::to_string(s.writer.batches) +
           ",\"writer_ops\":" + std::to_string(s.writer.ops) + ",\"ops\":[";
    for (size_t i = 0; i < s.ops.size(); ++i) {
      const protocol::OpStats& op = s.ops[i];
      char buf[512];
      std::snprintf(buf, sizeof buf,
                    "%s{\"op\":\"%s\",\"requests\":%llu,\"errors\":%llu,\"rate_per_second\":%.3f,"
                    "\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,"
                    "\"max_us\":%.3f}",
                    i > 0 ? "," : "", op.name.c_str(),
                    static_cast<unsigned long long>(op.requests),
                    static_cast<unsigned long long>(op.errors), op.rate_per_second, op.p50_us,
                    op.p90_us, op.p99_us, op.p999_us, op.max_us);
      out += buf;
    }
    std::printf("%s]}\n", out.c_str());
    return 0;
  }
  std::printf("uptime           %llds\n", static_cast<long long>(s.uptime_micros / 1'000'000));
  std::printf("connections      %llu open, %llu since start\n",
              static_cast<unsigned long long>(s.connections),
              static_cast<unsigned long long>(s.connections_total));
  for (const auto& [name, value] : counts) {
    std::printf("%-16s %llu\n", name, static_cast<unsigned long long>(value));
  }
  std::printf("memory           %s resident, %s in the store (as of %llds ago)\n",
              Bytes(s.resident_bytes).c_str(), Bytes(s.store_bytes).c_str(),
              static_cast<long long>(s.store_bytes_age_micros / 1'000'000));
  std::printf("lmdb             %s file, %s used, %s map\n", Bytes(s.storage.file_bytes).c_str(),
              Bytes(s.storage.used_bytes).c_str(), Bytes(s.storage.map_bytes).c_str());
  std::printf("writer           %llu batches, %llu ops\n",
              static_cast<unsigned long long>(s.writer.batches),
              static_cast<unsigned long long>(s.writer.ops));
  std::printf("\n%-12s %10s %8s %9s %9s %9s %9s %9s %9s\n", "op", "requests", "errors", "req/s",
              "p50 us", "p90 us", "p99 us", "p99.9 us", "max us");
  for (const protocol::OpStats& op : s.ops) {
    std::printf("%-12s %10llu %8llu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", op.name.c_str(),
                static_cast<unsigned long long>(op.requests),
                static_cast<unsigned long long>(op.errors), op.rate_per_second, op.p50_us,
                op.p90_us, op.p99_us, op.p999_us, op.max_us);
  }
  return 0;
}

}  // namespace

const char* const kAdminUsage = R"(  audit     read the audit log, oldest first
              [--record KIND:ID] [--user ID] [--from TIME] [--to TIME]
              [--after CURSOR] [--limit N (50)] [--json]
  handover  move a user's customers, opportunities, contracts and open tasks
              --from USER (--to USER | --to-team TEAM) [--deactivate] [--new-team T] [--json]
  stats     counts, memory, LMDB size, connections, rates and latencies per operation
              [--json]
)";

bool IsAdminCommand(const std::string& command) {
  return command == "audit" || command == "handover" || command == "stats";
}

const std::vector<std::string>& AdminFlags() {
  static const std::vector<std::string> flags = {"deactivate"};
  return flags;
}

int RunAdminCommand(Client& client, const CommandArgs& o) {
  const std::string& command = o.words.at(0);
  if (command == "audit") return Audit(client, o);
  if (command == "handover") return Handover(client, o);
  return Stats(client, o);
}

}  // namespace crm::tools
