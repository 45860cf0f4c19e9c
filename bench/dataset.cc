// crm_dataset: one dataset for crm, Redis and PostgreSQL.
//
//   crm_dataset --dir DIR [--customers N] [--interactions N] [--transactions N] [--seed S]
//
// Generates the engine's deterministic demo data (engine/demo_data.h) into
// DIR/crm (a crm data directory, through the engine's own write path), then
// reads every record back from the engine and writes the same records, ids
// included, in the form each peer loads fastest:
//
//   DIR/redis.resp      RESP commands for `redis-cli --pipe`
//   DIR/pg/<table>.copy COPY text format, one file per table (pg_schema.sql)
//   DIR/keys.tsv        "<customer id>\t<E.164 phone>" of every customer with
//                       a phone: the keys the load generator draws from
//   DIR/dataset.done    the export format and options the files were made
//                       with; a second run with the same ones does nothing
//
// The records come from the engine after it assigned ids and normalized
// them, so the three systems hold the same customers under the same ids and
// phones. The Redis layout (what a Redis engineer would build for a
// card-by-phone screen):
//   c:<id>   hash  the profile, counts, last times, and the card's lists that
//                  change rarely (contacts, open opportunities, active
//                  contracts, open complaints, due tasks, related) as JSON
//   ri:<id>  list  the latest 10 interactions, newest first, as JSON
//   h:<id>   zset  every interaction and transaction, score = time (µs)
//   phone    hash  E.164 of every customer and contact phone -> customer id
//   seq:interaction, seq:transaction  the last id given out
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_dataset.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"

namespace {

using namespace crm::engine;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "crm_dataset: %s\n", what.c_str());
  std::exit(1);
}

// A buffered output file that fails loudly.
class Out {
 public:
  explicit Out(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) Fail("cannot write " + path + ": " + std::strerror(errno));
    buf_.reserve(1 << 20);
  }
  ~Out() { Close(); }
  void Close() {
    if (!f_) return;
    Flush();
    if (std::fclose(f_) != 0) Fail("cannot write " + path_ + ": " + std::strerror(errno));
    f_ = nullptr;
  }
  std::string& buf() { return buf_; }
  void MaybeFlush() {
    if (buf_.size() >= (1 << 20)) Flush();
  }

 private:
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      Fail("cannot write " + path_ + ": " + std::strerror(errno));
    }
    buf_.clear();
  }
  std::string path_;
  FILE* f_;
  std::string buf_;
};

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;
  out.append(buf, end);
}
std::string Int(int64_t v) {
  std::string s;
  AppendInt(s, v);
  return s;
}

// ---------------------------------------------------------------------------
// JSON of records: every field, names as in crmctl's JSON.

class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}
  Json& Open() {
    out_ += '{';
    first_ = true;
    return *this;
  }
  Json& Close() {
    out_ += '}';
    first_ = false;
    return *this;
  }
  Json& Str(std::string_view key, std::string_view v) {
    Key(key);
    Quote(out_, v);
    return *this;
  }
  Json& Num(std::string_view key, int64_t v) {
    Key(key);
    AppendInt(out_, v);
    return *this;
  }
  Json& Bool(std::string_view key, bool v) {
    Key(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  Json& Strs(std::string_view key, const std::vector<std::string>& v) {
    Key(key);
    out_ += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out_ += ',';
      Quote(out_, v[i]);
    }
    out_ += ']';
    return *this;
  }
  Json& Raw(std::string_view key, std::string_view raw) {
    Key(key);
    out_ += raw;
    return *this;
  }

  static void Quote(std::string& out, std::string_view v) {
    out += '"';
    for (unsigned char c : v) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        static const char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }

 private:
  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    Quote(out_, key);
    out_ += ':';
  }
  std::string& out_;
  bool first_ = true;
};

std::string MoneyJson(const Money& m) {
  std::string s;
  Json(s).Open().Num("minor_units", m.minor_units).Str("currency", m.currency.code()).Close();
  return s;
}

void ToJson(std::string& out, const Interaction& x) {
  Json(out)
      .Open()
      .Str("kind", "interaction")
      .Num("id", static_cast<int64_t>(x.id))
      .Num("customer", static_cast<int64_t>(x.customer))
      .Num("contact", static_cast<int64_t>(x.contact))
      .Str("channel", Name(x.channel))
      .Str("direction", Name(x.direction))
      .Num("time", x.time)
      .Num("agent", static_cast<int64_t>(x.agent))
      .Str("subject", x.subject)
      .Str("notes", x.notes)
      .Str("outcome", x.outcome)
      .Num("duration_seconds", x.duration_seconds)
      .Num("satisfaction", x.satisfaction)
      .Str("complaint", Name(x.complaint))
      .Num("opportunity", static_cast<int64_t>(x.opportunity))
      .Num("created_at", x.created_at)
      .Num("updated_at", x.updated_at)
      .Close();
}

void ToJson(std::string& out, const Transaction& t) {
  Json(out)
      .Open()
      .Str("kind", "transaction")
      .Num("id", static_cast<int64_t>(t.id))
      .Num("customer", static_cast<int64_t>(t.customer))
      .Num("time", t.time)
      .Raw("amount", MoneyJson(t.amount))
      .Num("margin_minor_units", t.margin_minor_units)
      .Str("product_category", t.product_category)
      .Str("payment_method", Name(t.payment_method))
      .Num("created_at", t.created_at)
      .Num("updated_at", t.updated_at)
      .Close();
}

void ToJson(std::string& out, const Contact& c) {
  Json(out)
      .Open()
      .Num("id", static_cast<int64_t>(c.id))
      .Num("customer", static_cast<int64_t>(c.customer))
      .Str("name", c.name)
      .Str("title", c.title)
      .Strs("phones", c.phones)
      .Strs("emails", c.emails)
      .Num("created_at", c.created_at)
      .Num("updated_at", c.updated_at)
      .Close();
}

void ToJson(std::string& out, const Opportunity& o) {
  Json(out)
      .Open()
      .Num("id", static_cast<int64_t>(o.id))
      .Num("customer", static_cast<int64_t>(o.customer))
      .Str("name", o.name)
      .Str("stage", Name(o.stage))
      .Raw("amount", MoneyJson(o.amount))
      .Num("probability", o.probability)
      .Num("expected_close", o.expected_close)
      .Num("owner", static_cast<int64_t>(o.owner))
      .Str("source", o.source)
      .Str("campaign", o.campaign)
      .Str("lost_reason", o.lost_reason)
      .Num("created_at", o.created_at)
      .Num("updated_at", o.updated_at)
      .Close();
}

void ToJson(std::string& out, const Contract& c) {
  Json(out)
      .Open()
      .Num("id", static_cast<int64_t>(c.id))
      .Num("customer", static_cast<int64_t>(c.customer))
      .Num("opportunity", static_cast<int64_t>(c.opportunity))
      .Str("number", c.number)
      .Raw("amount", MoneyJson(c.amount))
      .Num("signed_at", c.signed_at)
      .Num("start_at", c.start_at)
      .Num("end_at", c.end_at)
      .Str("status", Name(c.status))
      .Str("payment_terms", c.payment_terms)
      .Num("paid_minor_units", c.paid_minor_units)
      .Num("created_at", c.created_at)
      .Num("updated_at", c.updated_at)
      .Close();
}

void ToJson(std::string& out, const Task& t) {
  Json(out)
      .Open()
      .Num("id", static_cast<int64_t>(t.id))
      .Num("customer", static_cast<int64_t>(t.customer))
      .Num("assignee", static_cast<int64_t>(t.assignee))
      .Num("due_at", t.due_at)
      .Str("title", t.title)
      .Str("notes", t.notes)
      .Bool("done", t.done)
      .Num("done_at", t.done_at)
      .Num("created_at", t.created_at)
      .Num("updated_at", t.updated_at)
      .Close();
}

void ToJson(std::string& out, const RelatedCustomer& r) {
  Json(out)
      .Open()
      .Num("id", static_cast<int64_t>(r.id))
      .Str("name", r.name)
      .Str("kind", Name(r.kind))
      .Bool("incoming", r.incoming)
      .Close();
}

template <typename T>
std::string JsonList(const std::vector<T>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += ',';
    ToJson(s, items[i]);
  }
  s += ']';
  return s;
}

std::string AttributesJson(const std::vector<Attribute>& attrs) {
  std::string s;
  Json j(s);
  j.Open();
  for (const auto& a : attrs) j.Str(a.key, a.value);
  j.Close();
  return s;
}

// ---------------------------------------------------------------------------
// RESP: one command per call, arguments as bulk strings.

class Resp {
 public:
  explicit Resp(std::string& out) : out_(out) {}
  void Command(std::initializer_list<std::string_view> args) {
    Header(args.size());
    for (auto a : args) Arg(a);
  }
  void Header(size_t n) {
    out_ += '*';
    AppendInt(out_, static_cast<int64_t>(n));
    out_ += "\r\n";
  }
  void Arg(std::string_view a) {
    out_ += '$';
    AppendInt(out_, static_cast<int64_t>(a.size()));
    out_ += "\r\n";
    out_ += a;
    out_ += "\r\n";
  }

 private:
  std::string& out_;
};

// ---------------------------------------------------------------------------
// COPY text format: columns separated by tabs, rows by newlines, \N = NULL.

class CopyRow {
 public:
  explicit CopyRow(std::string& out) : out_(out) {}
  ~CopyRow() { out_ += '\n'; }
  CopyRow& Text(std::string_view v) {
    Sep();
    Escape(out_, v);
    return *this;
  }
  CopyRow& Num(int64_t v) {
    Sep();
    AppendInt(out_, v);
    return *this;
  }
  // 0 as NULL: optional references.
  CopyRow& Ref(uint64_t v) {
    Sep();
    if (v == 0) {
      out_ += "\\N";
    } else {
      AppendInt(out_, static_cast<int64_t>(v));
    }
    return *this;
  }
  CopyRow& Bool(bool v) {
    Sep();
    out_ += v ? 't' : 'f';
    return *this;
  }
  CopyRow& Array(const std::vector<std::string>& items) {
    std::string lit = "{";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) lit += ',';
      lit += '"';
      for (char c : items[i]) {
        if (c == '"' || c == '\\') lit += '\\';
        lit += c;
      }
      lit += '"';
    }
    lit += '}';
    return Text(lit);
  }

 private:
  void Sep() {
    if (!first_) out_ += '\t';
    first_ = false;
  }
  static void Escape(std::string& out, std::string_view v) {
    for (char c : v) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
      }
    }
  }
  std::string& out_;
  bool first_ = true;
};

// ---------------------------------------------------------------------------

uint64_t Flag(int argc, char** argv, const char* name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) {
      char* end = nullptr;
      uint64_t v = std::strtoull(argv[i + 1], &end, 10);
      if (!end || *end) Fail(std::string(name) + " wants a number, got " + argv[i + 1]);
      return v;
    }
  }
  return fallback;
}

std::string StrFlag(int argc, char** argv, const char* name) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return {};
}

void MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    Fail("cannot create " + path + ": " + std::strerror(errno));
  }
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Fail(what + ": " + r.status().ToString());
  return std::move(r).value();
}

// Writes every record of `engine` to the peer files under `dir`.
void Export(const Engine& engine, const std::string& dir) {
  MakeDir(dir + "/pg");
  Out redis(dir + "/redis.resp");
  Out keys(dir + "/keys.tsv");
  Out customers(dir + "/pg/customers.copy"), phones(dir + "/pg/phones.copy"),
      relations(dir + "/pg/relations.copy"), contacts(dir + "/pg/contacts.copy"),
      interactions(dir + "/pg/interactions.copy"), transactions(dir + "/pg/transactions.copy"),
      opportunities(dir + "/pg/opportunities.copy"), contracts(dir + "/pg/contracts.copy"),
      tasks(dir + "/pg/tasks.copy"), users(dir + "/pg/users.copy");
  Resp resp(redis.buf());

  for (const User& u : engine.ListUsers()) {
    CopyRow(users.buf()).Num(static_cast<int64_t>(u.id)).Text(u.name).Text(Name(u.role)).Text(u.team);
  }

  const StoreCounts counts = engine.Counts();
  std::string json;
  CardOptions card_options;  // what the load generator asks of crm: 10 recent, 20 due tasks
  for (Id id = 1; id <= counts.customers; ++id) {
    auto customer = engine.GetCustomer(id);
    if (!customer.ok()) continue;  // none are deleted in demo data; be safe
    const Customer& c = *customer;
    const CustomerCard card = Must(engine.Card(CardKey::ById(id), card_options), "card");
    const std::string sid = Int(static_cast<int64_t>(id));

    // PostgreSQL: the customer row, its phones, its outgoing relations.
    CopyRow(customers.buf())
        .Num(static_cast<int64_t>(id))
        .Text(c.external_ref)
        .Text(Name(c.kind))
        .Text(c.name)
        .Text(c.tax_id)
        .Array(c.phones)
        .Array(c.emails)
        .Text(c.region.country)
        .Text(c.region.province)
        .Text(c.region.city)
        .Text(c.industry)
        .Text(Name(c.size_band))
        .Text(c.category)
        .Text(Name(c.payment_method))
        .Text(Name(c.credit_level))
        .Text(Name(c.lifecycle))
        .Ref(c.owner)
        .Text(c.team)
        .Array(c.tags)
        .Text(AttributesJson(c.attributes))
        .Text(Name(c.gender))
        .Num(c.birth_year)
        .Text(c.occupation)
        .Text(Name(c.income_band))
        .Num(c.created_at)
        .Num(c.updated_at);
    for (const auto& p : c.phones) CopyRow(phones.buf()).Text(p).Num(static_cast<int64_t>(id)).Ref(0);
    for (const auto& r : c.relations) {
      CopyRow(relations.buf())
          .Num(static_cast<int64_t>(id))
          .Num(static_cast<int64_t>(r.customer))
          .Text(Name(r.kind));
    }
    if (!c.phones.empty()) {
      keys.buf() += sid;
      keys.buf() += '\t';
      keys.buf() += c.phones[0];
      keys.buf() += '\n';
    }

    // Redis: the customer hash with the card's slow-changing lists.
    std::vector<std::pair<std::string_view, std::string>> fields;
    auto field = [&](std::string_view k, std::string v) { fields.emplace_back(k, std::move(v)); };
    std::string joined_phones, joined_emails, joined_tags;
    for (const auto& p : c.phones) joined_phones += (joined_phones.empty() ? "" : ",") + p;
    for (const auto& e : c.emails) joined_emails += (joined_emails.empty() ? "" : ",") + e;
    for (const auto& t : c.tags) joined_tags += (joined_tags.empty() ? "" : ",") + t;
    field("id", sid);
    field("external_ref", c.external_ref);
    field("kind", std::string(Name(c.kind)));
    field("name", c.name);
    field("tax_id", c.tax_id);
    field("phones", joined_phones);
    field("emails", joined_emails);
    field("region", c.region.country + "/" + c.region.province + "/" + c.region.city);
    field("industry", c.industry);
    field("size_band", std::string(Name(c.size_band)));
    field("category", c.category);
    field("payment_method", std::string(Name(c.payment_method)));
    field("credit_level", std::string(Name(c.credit_level)));
    field("lifecycle", std::string(Name(c.lifecycle)));
    field("owner", Int(static_cast<int64_t>(c.owner)));
    field("team", c.team);
    field("tags", joined_tags);
    field("attributes", AttributesJson(c.attributes));
    field("individual", std::string(Name(c.gender)) + "/" + Int(c.birth_year) + "/" +
                            c.occupation + "/" + std::string(Name(c.income_band)));
    field("contacts", JsonList(card.contacts));
    field("open_opportunities", JsonList(card.open_opportunities));
    field("active_contracts", JsonList(card.active_contracts));
    field("open_complaints", JsonList(card.open_complaints));
    field("due_tasks", JsonList(card.due_tasks));
    field("related", JsonList(card.related));
    field("interaction_count", Int(static_cast<int64_t>(card.interaction_count)));
    field("transaction_count", Int(static_cast<int64_t>(card.transaction_count)));
    field("last_interaction_at", Int(card.last_interaction_at));
    field("last_transaction_at", Int(card.last_transaction_at));
    resp.Header(2 + 2 * fields.size());
    resp.Arg("HSET");
    resp.Arg("c:" + sid);
    for (const auto& [k, v] : fields) {
      resp.Arg(k);
      resp.Arg(v);
    }
    for (const auto& p : c.phones) resp.Command({"HSET", "phone", p, sid});
    if (!card.recent_interactions.empty()) {
      resp.Header(2 + card.recent_interactions.size());
      resp.Arg("RPUSH");
      resp.Arg("ri:" + sid);
      for (const auto& x : card.recent_interactions) {
        json.clear();
        ToJson(json, x);
        resp.Arg(json);
      }
    }

    // Contacts and the rest of the customer's records.
    for (const Contact& ct : Must(engine.ListContacts(id), "contacts")) {
      CopyRow(contacts.buf())
          .Num(static_cast<int64_t>(ct.id))
          .Num(static_cast<int64_t>(id))
          .Text(ct.name)
          .Text(ct.title)
          .Array(ct.phones)
          .Array(ct.emails)
          .Num(ct.created_at)
          .Num(ct.updated_at);
      for (const auto& p : ct.phones) {
        CopyRow(phones.buf()).Text(p).Num(static_cast<int64_t>(id)).Ref(ct.id);
        resp.Command({"HSET", "phone", p, sid});
      }
    }
    for (const Opportunity& o : Must(engine.ListOpportunities(id), "opportunities")) {
      CopyRow(opportunities.buf())
          .Num(static_cast<int64_t>(o.id))
          .Num(static_cast<int64_t>(id))
          .Text(o.name)
          .Num(static_cast<int64_t>(o.stage))
          .Num(o.amount.minor_units)
          .Text(o.amount.currency.code())
          .Num(o.probability)
          .Num(o.expected_close)
          .Ref(o.owner)
          .Text(o.source)
          .Text(o.campaign)
          .Text(o.lost_reason)
          .Num(o.created_at)
          .Num(o.updated_at);
    }
    for (const Contract& k : Must(engine.ListContracts(id), "contracts")) {
      CopyRow(contracts.buf())
          .Num(static_cast<int64_t>(k.id))
          .Num(static_cast<int64_t>(id))
          .Ref(k.opportunity)
          .Text(k.number)
          .Num(k.amount.minor_units)
          .Text(k.amount.currency.code())
          .Num(k.signed_at)
          .Num(k.start_at)
          .Num(k.end_at)
          .Num(static_cast<int64_t>(k.status))
          .Text(k.payment_terms)
          .Num(k.paid_minor_units)
          .Num(k.created_at)
          .Num(k.updated_at);
    }
    for (const Task& t : Must(engine.ListTasks(id), "tasks")) {
      CopyRow(tasks.buf())
          .Num(static_cast<int64_t>(t.id))
          .Num(static_cast<int64_t>(id))
          .Ref(t.assignee)
          .Num(t.due_at)
          .Text(t.title)
          .Text(t.notes)
          .Bool(t.done)
          .Num(t.done_at)
          .Num(t.created_at)
          .Num(t.updated_at);
    }

    // The whole history, newest first, in pages.
    HistoryQuery q;
    q.customer = id;
    q.limit = 10'000;
    for (;;) {
      HistoryPage page = Must(engine.History(q), "history");
      for (const HistoryEntry& e : page.entries) {
        json.clear();
        if (e.kind == EntityKind::kInteraction) {
          const Interaction& x = e.interaction;
          CopyRow(interactions.buf())
              .Num(static_cast<int64_t>(x.id))
              .Num(static_cast<int64_t>(id))
              .Ref(x.contact)
              .Num(static_cast<int64_t>(x.channel))
              .Num(static_cast<int64_t>(x.direction))
              .Num(x.time)
              .Ref(x.agent)
              .Text(x.subject)
              .Text(x.notes)
              .Text(x.outcome)
              .Num(x.duration_seconds)
              .Num(x.satisfaction)
              .Num(static_cast<int64_t>(x.complaint))
              .Ref(x.opportunity)
              .Num(x.created_at)
              .Num(x.updated_at);
          ToJson(json, x);
          resp.Command({"ZADD", "h:" + sid, Int(x.time), json});
        } else {
          const Transaction& t = e.transaction;
          CopyRow(transactions.buf())
              .Num(static_cast<int64_t>(t.id))
              .Num(static_cast<int64_t>(id))
              .Num(t.time)
              .Num(t.amount.minor_units)
              .Text(t.amount.currency.code())
              .Num(t.margin_minor_units)
              .Text(t.product_category)
              .Num(static_cast<int64_t>(t.payment_method))
              .Num(t.created_at)
              .Num(t.updated_at);
          ToJson(json, t);
          resp.Command({"ZADD", "h:" + sid, Int(t.time), json});
        }
        interactions.MaybeFlush();
        transactions.MaybeFlush();
        redis.MaybeFlush();
      }
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;
    }
    for (Out* o : {&redis, &keys, &customers, &phones, &relations, &contacts, &opportunities,
                   &contracts, &tasks}) {
      o->MaybeFlush();
    }
    if (id % 100'000 == 0) {
      std::fprintf(stderr, "crm_dataset: exported %llu of %llu customers\n",
                   static_cast<unsigned long long>(id),
                   static_cast<unsigned long long>(counts.customers));
    }
  }
  resp.Command({"SET", "seq:interaction", Int(static_cast<int64_t>(counts.interactions))});
  resp.Command({"SET", "seq:transaction", Int(static_cast<int64_t>(counts.transactions))});
  // The ids the next creates get in PostgreSQL: after the loaded ones.
  std::ofstream(dir + "/pg/sequences.sql")
      << "SELECT setval('interactions_id_seq', " << std::max<uint64_t>(counts.interactions, 1)
      << ");\nSELECT setval('transactions_id_seq', " << std::max<uint64_t>(counts.transactions, 1)
      << ");\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || StrFlag(argc, argv, "--dir").empty()) {
    std::fprintf(stderr,
                 "usage: crm_dataset --dir DIR [--customers N] [--interactions N] "
                 "[--transactions N] [--seed S]\n");
    return 2;
  }
  const std::string dir = StrFlag(argc, argv, "--dir");
  DemoOptions demo;
  demo.customers = Flag(argc, argv, "--customers", 1'000'000);
  demo.interactions = Flag(argc, argv, "--interactions", 10 * demo.customers);
  demo.transactions = Flag(argc, argv, "--transactions", 2 * demo.customers);
  demo.seed = Flag(argc, argv, "--seed", demo.seed);
  // The long tail as in the engine benchmark: a few customers with very long
  // histories (five of 60,000 at the default size).
  demo.heavy_customers = std::max<uint64_t>(1, std::min<uint64_t>(5, demo.customers / 1000));
  demo.heavy_interactions = std::min<uint64_t>(60'000, demo.interactions / 50);

  // The export's format version comes first: a change to what is written
  // for the peers must bump it, so cached datasets are made again.
  const std::string want = std::string("export-1 ") + Int(static_cast<int64_t>(demo.customers)) + " " +
                           Int(static_cast<int64_t>(demo.interactions)) + " " +
                           Int(static_cast<int64_t>(demo.transactions)) + " " +
                           Int(static_cast<int64_t>(demo.seed));
  if (crm::bench::MarkerHolds(dir + "/dataset.done", want)) {
    std::fprintf(stderr, "crm_dataset: %s already holds this dataset\n", dir.c_str());
    return 0;
  }
  MakeDir(dir);
  std::remove((dir + "/dataset.done").c_str());
  // A leftover crm directory of another dataset cannot be reused.
  if (std::system(("rm -rf '" + dir + "/crm'").c_str()) != 0) Fail("cannot clear " + dir + "/crm");

  Options options;
  options.data_dir = dir + "/crm";
  options.no_sync = true;  // loading; the servers run synced
  options.initial_map_bytes = uint64_t{1} << 30;
  auto engine = Must(Engine::Open(options), "open " + options.data_dir);
  std::fprintf(stderr, "crm_dataset: generating %llu customers, %llu interactions into %s\n",
               static_cast<unsigned long long>(demo.customers),
               static_cast<unsigned long long>(demo.interactions), options.data_dir.c_str());
  DemoSummary summary = Must(LoadDemoData(*engine, demo), "demo data");
  std::fprintf(stderr, "crm_dataset: %llu customers, %llu contacts, %llu interactions, %llu "
               "transactions; exporting for the peers\n",
               static_cast<unsigned long long>(summary.customers),
               static_cast<unsigned long long>(summary.contacts),
               static_cast<unsigned long long>(summary.interactions),
               static_cast<unsigned long long>(summary.transactions));
  Export(*engine, dir);
  engine.reset();
  crm::bench::WriteMarker(dir + "/dataset.done", want);
  return 0;
}
