// The table of each record kind's fields (record_io.h), and what reads it
// whole: records as JSON objects, records from JSON, crmctl's flags.
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "record_io.h"

namespace crm::tools {

using namespace crm::engine;

namespace {

using Type = JsonValue::Type;

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(what, field);
}

// The text of a scalar (a string, a number or a boolean).
bool ScalarText(const JsonValue& v, std::string* out) {
  if (v.type == Type::kString || v.type == Type::kNumber) {
    *out = v.text;
    return true;
  }
  if (v.type == Type::kBool) {
    *out = v.boolean ? "true" : "false";
    return true;
  }
  return false;
}

Status ParseUnsigned(const std::string& field, const JsonValue& v, uint64_t max, uint64_t* out) {
  std::string text;
  if (!ScalarText(v, &text) || text.empty() || text[0] == '-' || text[0] == '+') {
    return Bad(field, "must be a whole number from 0 to " + std::to_string(max));
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n > max) {
    return Bad(field, "must be a whole number from 0 to " + std::to_string(max) + ", not \"" +
                          text + "\"");
  }
  *out = n;
  return Status::Ok();
}

Status ParseSigned(const std::string& field, const JsonValue& v, int64_t* out) {
  std::string text;
  if (!ScalarText(v, &text) || text.empty()) return Bad(field, "must be a whole number");
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return Bad(field, "must be a whole number, not \"" + text + "\"");
  *out = n;
  return Status::Ok();
}

// A list of strings: a JSON array of strings, or a cell "a;b;c" (a cell that
// starts with '[' is read as a JSON array).
Status ParseList(const std::string& field, const JsonValue& v, std::vector<std::string>* out) {
  out->clear();
  JsonValue parsed;
  const JsonValue* list = &v;
  if (v.type == Type::kString) {
    if (!v.text.empty() && v.text[0] == '[') {
      Status s = ParseJson(v.text, &parsed);
      if (!s.ok()) return Bad(field, s.message());
      list = &parsed;
    } else {
      *out = SplitNonEmpty(v.text, ';');
      return Status::Ok();
    }
  }
  if (list->type != Type::kArray) return Bad(field, "must be a list of strings");
  for (const JsonValue& item : list->items) {
    if (item.type != Type::kString) return Bad(field, "must be a list of strings");
    out->push_back(item.text);
  }
  return Status::Ok();
}

std::string ListCell(const std::vector<std::string>& items) {
  bool plain = true;
  for (const auto& s : items) {
    if (s.empty() || s.find(';') != std::string::npos || s[0] == '[') plain = false;
  }
  std::string out;
  if (plain) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += ';';
      out += items[i];
    }
    return out;
  }
  out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(items[i], &out);
  }
  return out + "]";
}

// A JSON value given directly, or as the text of a CSV cell.
Status Structured(const std::string& field, const JsonValue& v, Type want, JsonValue* scratch,
                  const JsonValue** out) {
  *out = &v;
  if (v.type == Type::kString && want != Type::kString) {
    Status s = ParseJson(v.text, scratch);
    if (!s.ok()) return Bad(field, s.message());
    *out = scratch;
  }
  if ((*out)->type != want) {
    return Bad(field, want == Type::kArray ? "must be a JSON array" : "must be a JSON object");
  }
  return Status::Ok();
}

template <typename E>
std::string EnumNames(E last) {
  std::string names;
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    names += (i ? ", " : "") + std::string(Name(static_cast<E>(i)));
  }
  return names;
}

template <typename E>
Status ParseEnumValue(const std::string& field, const JsonValue& v, E last, E* out) {
  std::string text;
  if (!ScalarText(v, &text)) return Bad(field, "must be one of: " + EnumNames(last));
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    if (Name(static_cast<E>(i)) == text) {
      *out = static_cast<E>(i);
      return Status::Ok();
    }
  }
  return Bad(field, "unknown value \"" + text + "\"; one of: " + EnumNames(last));
}

// Builds the FieldSpecs of record type T. Each method adds one field (MoneyOf
// two) and returns it, so that a table line can set what the arguments do not.
template <typename T>
class Builder {
 public:
  std::vector<FieldSpec> specs;

  using Setter = std::function<Status(T&, const JsonValue&)>;
  using JsonOut = std::function<void(const T&, std::string*)>;
  using CellOut = std::function<std::string(const T&)>;

  FieldSpec& Add(std::string name, FieldType type, bool required, Setter set, JsonOut json,
                 CellOut cell) {
    FieldSpec f;
    f.name = std::move(name);
    f.type = type;
    f.required = required;
    f.set = [set = std::move(set)](Record& r, const JsonValue& v) { return set(std::get<T>(r), v); };
    f.json = [json = std::move(json)](const Record& r, std::string* out) {
      json(std::get<T>(r), out);
    };
    f.cell = [cell = std::move(cell)](const Record& r) { return cell(std::get<T>(r)); };
    specs.push_back(std::move(f));
    return specs.back();
  }

  template <typename U, typename Get>
  FieldSpec& UnsignedOf(std::string name, Get get, uint64_t max, bool required = false) {
    return Add(
        name, FieldType::kUnsigned, required,
        [name, get, max](T& r, const JsonValue& v) {
          uint64_t n = 0;
          CRM_RETURN_IF_ERROR(ParseUnsigned(name, v, max, &n));
          get(r) = static_cast<U>(n);
          return Status::Ok();
        },
        [get](const T& r, std::string* out) {
          *out += std::to_string(static_cast<uint64_t>(get(const_cast<T&>(r))));
        },
        [get](const T& r) {
          U v = get(const_cast<T&>(r));
          return v == 0 ? std::string() : std::to_string(static_cast<uint64_t>(v));
        });
  }
  template <typename U>
  FieldSpec& Unsigned(std::string name, U T::*m, bool required = false) {
    return UnsignedOf<U>(name, [m](T& r) -> U& { return r.*m; },
                         static_cast<uint64_t>(std::numeric_limits<U>::max()), required);
  }
  template <typename Get>
  FieldSpec& SignedOf(std::string name, Get get, bool required = false) {
    return Add(
        name, FieldType::kSigned, required,
        [name, get](T& r, const JsonValue& v) {
          int64_t n = 0;
          CRM_RETURN_IF_ERROR(ParseSigned(name, v, &n));
          get(r) = n;
          return Status::Ok();
        },
        [get](const T& r, std::string* out) { *out += std::to_string(get(const_cast<T&>(r))); },
        [get](const T& r) { return std::to_string(get(const_cast<T&>(r))); });
  }
  FieldSpec& Signed(std::string name, int64_t T::*m, bool required = false) {
    return SignedOf(name, [m](T& r) -> int64_t& { return r.*m; }, required);
  }
  FieldSpec& Time(std::string name, Micros T::*m) {
    return Add(
        name, FieldType::kTime, false,
        [name, m](T& r, const JsonValue& v) {
          std::string text;
          if (!ScalarText(v, &text) || !ParseTimeText(text, &(r.*m))) {
            return Bad(name, "must be microseconds since 1970 or a UTC time such as "
                             "2026-12-01T09:30:00Z");
          }
          return Status::Ok();
        },
        [m](const T& r, std::string* out) { *out += std::to_string(r.*m); },
        [m](const T& r) { return FormatIsoTime(r.*m); });
  }
  template <typename Get>
  FieldSpec& TextOf(std::string name, Get get, bool required = false) {
    return Add(
        name, FieldType::kText, required,
        [name, get](T& r, const JsonValue& v) {
          if (v.type != Type::kString) return Bad(name, "must be a string");
          get(r) = v.text;
          return Status::Ok();
        },
        [get](const T& r, std::string* out) { AppendJsonString(get(const_cast<T&>(r)), out); },
        [get](const T& r) { return get(const_cast<T&>(r)); });
  }
  FieldSpec& Text(std::string name, std::string T::*m, bool required = false) {
    return TextOf(name, [m](T& r) -> std::string& { return r.*m; }, required);
  }
  FieldSpec& List(std::string name, std::vector<std::string> T::*m) {
    return Add(
        name, FieldType::kList, false,
        [name, m](T& r, const JsonValue& v) { return ParseList(name, v, &(r.*m)); },
        [m](const T& r, std::string* out) {
          *out += '[';
          for (size_t i = 0; i < (r.*m).size(); ++i) {
            if (i) *out += ',';
            AppendJsonString((r.*m)[i], out);
          }
          *out += ']';
        },
        [m](const T& r) { return ListCell(r.*m); });
  }
  template <typename E>
  FieldSpec& Enum(std::string name, E T::*m, E last) {
    return Add(
        name, FieldType::kEnum, false,
        [name, m, last](T& r, const JsonValue& v) { return ParseEnumValue(name, v, last, &(r.*m)); },
        [m](const T& r, std::string* out) { AppendJsonString(Name(r.*m), out); },
        [m](const T& r) { return std::string(Name(r.*m)); });
  }
  FieldSpec& Bool(std::string name, bool T::*m) {
    return Add(
        name, FieldType::kBool, false,
        [name, m](T& r, const JsonValue& v) {
          std::string text;
          if (v.type == Type::kBool) {
            r.*m = v.boolean;
          } else if (ScalarText(v, &text) && (text == "true" || text == "1" || text == "yes")) {
            r.*m = true;
          } else if (ScalarText(v, &text) && (text == "false" || text == "0" || text == "no")) {
            r.*m = false;
          } else {
            return Bad(name, "must be true or false");
          }
          return Status::Ok();
        },
        [m](const T& r, std::string* out) { *out += (r.*m) ? "true" : "false"; },
        [m](const T& r) { return std::string((r.*m) ? "true" : "false"); });
  }
  // A JSON object or array (`type` kObject or kArray); its cell is its JSON
  // text, "" when `empty`.
  FieldSpec& Structured(std::string name, FieldType type, Setter set, JsonOut json,
                        bool (*empty)(const T&)) {
    return Add(name, type, false, std::move(set), json, [json, empty](const T& r) {
      std::string out;
      if (!empty(r)) json(r, &out);
      return out;
    });
  }
  // PREFIX.minor_units and PREFIX.currency. crmctl's older flags: --PREFIX in
  // major units, --currency.
  void MoneyOf(std::string prefix, Money T::*m, bool required = false) {
    SignedOf(prefix + ".minor_units", [m](T& r) -> int64_t& { return (r.*m).minor_units; },
             required)
        .aliases = {{prefix, true}};
    Add(
        prefix + ".currency", FieldType::kCurrency, false,
        [m](T& r, const JsonValue& v) {
          if (v.type != Type::kString) return Bad("currency", "must be a string");
          (r.*m).currency = Currency(v.text);
          if ((r.*m).currency.code() != v.text) {
            return Bad("currency", "must be an ISO 4217 code such as CNY, not \"" + v.text + "\"");
          }
          return Status::Ok();
        },
        [m](const T& r, std::string* out) { AppendJsonString((r.*m).currency.code(), out); },
        [m](const T& r) { return std::string((r.*m).currency.code()); })
        .aliases = {{"currency"}};
  }
  // id and revision, then the fields `add` adds, then created_at and
  // updated_at. The server owns id, revision and the times: no flag sets
  // them. crmctl's JSON output shows the revision when `revision_on_card`,
  // the times when `times_on_card`.
  static std::vector<FieldSpec> Table(void (*add)(Builder&), bool revision_on_card,
                                      bool times_on_card) {
    Builder b;
    ServerOwned(b.Unsigned<Id>("id", &T::id), true);
    ServerOwned(b.Unsigned<uint64_t>("revision", &T::revision), revision_on_card);
    add(b);
    ServerOwned(b.Time("created_at", &T::created_at), times_on_card);
    ServerOwned(b.Time("updated_at", &T::updated_at), times_on_card);
    return std::move(b.specs);
  }

 private:
  static void ServerOwned(FieldSpec& f, bool on_card) {
    f.flag = false;
    if (!on_card) f.card = CardShows::kNever;
  }
};

// A customer's attributes and relations as JSON, and read from JSON.
void AttributesJson(const Customer& c, std::string* out) {
  *out += '{';
  for (size_t i = 0; i < c.attributes.size(); ++i) {
    if (i) *out += ',';
    AppendJsonString(c.attributes[i].key, out);
    *out += ':';
    AppendJsonString(c.attributes[i].value, out);
  }
  *out += '}';
}

void RelationsJson(const Customer& c, std::string* out) {
  *out += '[';
  for (size_t i = 0; i < c.relations.size(); ++i) {
    if (i) *out += ',';
    *out += "{\"customer\":" + std::to_string(c.relations[i].customer) + ",\"kind\":";
    AppendJsonString(Name(c.relations[i].kind), out);
    *out += '}';
  }
  *out += ']';
}

Status SetAttributes(Customer& c, const JsonValue& v) {
  JsonValue scratch;
  const JsonValue* obj = nullptr;
  CRM_RETURN_IF_ERROR(Structured("attributes", v, Type::kObject, &scratch, &obj));
  c.attributes.clear();
  for (const auto& [key, value] : obj->members) {
    if (value.type != Type::kString) return Bad("attributes." + key, "must be a string");
    c.attributes.push_back({key, value.text});
  }
  return Status::Ok();
}

Status SetRelations(Customer& c, const JsonValue& v) {
  JsonValue scratch;
  const JsonValue* list = nullptr;
  CRM_RETURN_IF_ERROR(Structured("relations", v, Type::kArray, &scratch, &list));
  c.relations.clear();
  for (size_t i = 0; i < list->items.size(); ++i) {
    const JsonValue& item = list->items[i];
    const std::string field = "relations[" + std::to_string(i) + "]";
    const JsonValue* customer = item.Find("customer");
    const JsonValue* kind = item.Find("kind");
    if (customer == nullptr || kind == nullptr || item.members.size() != 2) {
      return Bad(field, "must be {\"customer\": ID, \"kind\": KIND}");
    }
    Relation r;
    uint64_t id = 0;
    CRM_RETURN_IF_ERROR(ParseUnsigned(field + ".customer", *customer, UINT64_MAX, &id));
    r.customer = id;
    CRM_RETURN_IF_ERROR(ParseEnumValue(field + ".kind", *kind, RelationKind::kRelated, &r.kind));
    c.relations.push_back(r);
  }
  return Status::Ok();
}

// The fields of each kind besides id, revision and the times (Table adds
// those). Besides the arguments, a line may set a field's crmctl flag
// aliases (the flag names crmctl had before they followed the field names),
// where crmctl's JSON output shows it, and whether export carries it.

void CustomerFields(Builder<Customer>& b) {
  b.Text("external_ref", &Customer::external_ref).aliases = {{"ref"}};
  b.Enum("kind", &Customer::kind, CustomerKind::kOrganization);
  b.Text("name", &Customer::name, true);
  b.Text("tax_id", &Customer::tax_id);
  b.List("phones", &Customer::phones);
  b.List("emails", &Customer::emails);
  b.TextOf("region.country", [](Customer& c) -> std::string& { return c.region.country; })
      .aliases = {{"country"}};
  b.TextOf("region.province", [](Customer& c) -> std::string& { return c.region.province; })
      .aliases = {{"province"}};
  b.TextOf("region.city", [](Customer& c) -> std::string& { return c.region.city; })
      .aliases = {{"city"}};
  b.Text("industry", &Customer::industry);
  b.Enum("size_band", &Customer::size_band, SizeBand::kEnterprise).aliases = {{"size"}};
  b.Text("category", &Customer::category);
  b.Enum("payment_method", &Customer::payment_method, PaymentMethod::kOther).aliases = {
      {"payment"}};
  b.Enum("credit_level", &Customer::credit_level, CreditLevel::kD).aliases = {{"credit"}};
  b.Enum("lifecycle", &Customer::lifecycle, Lifecycle::kChurned);
  b.Unsigned<Id>("owner", &Customer::owner);
  b.Text("team", &Customer::team);
  b.List("tags", &Customer::tags);
  b.Structured("attributes", FieldType::kObject, SetAttributes, AttributesJson,
               [](const Customer& c) { return c.attributes.empty(); });
  b.Structured("relations", FieldType::kArray, SetRelations, RelationsJson,
               [](const Customer& c) { return c.relations.empty(); });
  b.Enum("gender", &Customer::gender, Gender::kOther).card = CardShows::kIndividuals;
  b.UnsignedOf<uint16_t>("birth_year", [](Customer& c) -> uint16_t& { return c.birth_year; },
                         65535)
      .card = CardShows::kIndividuals;
  b.Text("occupation", &Customer::occupation).card = CardShows::kIndividuals;
  b.Enum("income_band", &Customer::income_band, IncomeBand::kHigh).card =
      CardShows::kIndividuals;
}

void ContactFields(Builder<Contact>& b) {
  b.Unsigned<Id>("customer", &Contact::customer, true);
  b.Text("name", &Contact::name, true);
  b.Text("title", &Contact::title);
  b.List("phones", &Contact::phones);
  b.List("emails", &Contact::emails);
}

void InteractionFields(Builder<Interaction>& b) {
  b.Unsigned<Id>("customer", &Interaction::customer, true);
  b.Unsigned<Id>("contact", &Interaction::contact);
  b.Enum("channel", &Interaction::channel, Channel::kSurvey);
  b.Enum("direction", &Interaction::direction, Direction::kOutbound);
  b.Time("time", &Interaction::time);
  b.Unsigned<Id>("agent", &Interaction::agent);
  b.Text("subject", &Interaction::subject);
  b.Text("notes", &Interaction::notes);
  b.Text("outcome", &Interaction::outcome);
  b.Unsigned<uint32_t>("duration_seconds", &Interaction::duration_seconds).aliases = {
      {"duration"}};
  b.Unsigned<uint8_t>("satisfaction", &Interaction::satisfaction);
  b.Enum("complaint", &Interaction::complaint, ComplaintState::kResolved);
  b.Unsigned<Id>("opportunity", &Interaction::opportunity);
}

void TransactionFields(Builder<Transaction>& b) {
  b.Unsigned<Id>("customer", &Transaction::customer, true);
  b.Time("time", &Transaction::time);
  b.MoneyOf("amount", &Transaction::amount, true);
  b.Signed("margin_minor_units", &Transaction::margin_minor_units).aliases = {{"margin", true}};
  b.Text("product_category", &Transaction::product_category).aliases = {{"category"}};
  b.Enum("payment_method", &Transaction::payment_method, PaymentMethod::kOther).aliases = {
      {"payment"}};
}

void OpportunityFields(Builder<Opportunity>& b) {
  b.Unsigned<Id>("customer", &Opportunity::customer, true);
  b.Text("name", &Opportunity::name, true);
  b.Enum("stage", &Opportunity::stage, Stage::kLost);
  b.MoneyOf("amount", &Opportunity::amount);
  b.Unsigned<uint8_t>("probability", &Opportunity::probability);
  b.Time("expected_close", &Opportunity::expected_close).aliases = {{"close"}};
  b.Unsigned<Id>("owner", &Opportunity::owner);
  b.Text("source", &Opportunity::source);
  b.Text("campaign", &Opportunity::campaign);
  b.Text("lost_reason", &Opportunity::lost_reason);
}

void ContractFields(Builder<Contract>& b) {
  b.Unsigned<Id>("customer", &Contract::customer, true);
  b.Unsigned<Id>("opportunity", &Contract::opportunity);
  b.Text("number", &Contract::number);
  b.Enum("status", &Contract::status, ContractStatus::kTerminated);
  b.MoneyOf("amount", &Contract::amount);
  b.Time("signed_at", &Contract::signed_at);
  b.Time("start_at", &Contract::start_at).aliases = {{"start"}};
  b.Time("end_at", &Contract::end_at).aliases = {{"end"}};
  b.Text("payment_terms", &Contract::payment_terms).aliases = {{"terms"}};
  b.Signed("paid_minor_units", &Contract::paid_minor_units).aliases = {{"paid", true}};
  b.Unsigned<Id>("owner", &Contract::owner);
}

void TaskFields(Builder<Task>& b) {
  b.Unsigned<Id>("customer", &Task::customer);
  b.Unsigned<Id>("assignee", &Task::assignee);
  b.Time("due_at", &Task::due_at).aliases = {{"due"}};
  b.Text("title", &Task::title, true);
  b.Text("notes", &Task::notes);
  b.Bool("done", &Task::done);
  b.Time("done_at", &Task::done_at);
}

void UserFields(Builder<User>& b) {
  b.Text("name", &User::name, true);
  b.Enum("role", &User::role, Role::kAgent);
  b.Text("team", &User::team);
  b.Bool("active", &User::active);
}

bool OnCard(const FieldSpec& f, const Record& record) {
  if (f.card == CardShows::kAlways) return true;
  if (f.card == CardShows::kNever) return false;
  const Customer* c = std::get_if<Customer>(&record);
  return c != nullptr && c->kind == CustomerKind::kIndividual;
}

}  // namespace

const std::vector<FieldSpec>& AllFieldsOf(EntityKind kind) {
  // Which kinds show their revision and times on crmctl's JSON output is as
  // that output always was.
  static const std::vector<FieldSpec> kTables[] = {
      {},
      Builder<Customer>::Table(CustomerFields, /*revision_on_card=*/true, /*times_on_card=*/true),
      Builder<Contact>::Table(ContactFields, true, false),
      Builder<Interaction>::Table(InteractionFields, false, false),
      Builder<Transaction>::Table(TransactionFields, false, false),
      Builder<Opportunity>::Table(OpportunityFields, true, false),
      Builder<Contract>::Table(ContractFields, true, false),
      Builder<Task>::Table(TaskFields, true, false),
      Builder<User>::Table(UserFields, true, false),
  };
  return kTables[static_cast<size_t>(kind)];
}

const std::vector<FieldSpec>& FieldsOf(EntityKind kind) {
  using Tables = std::array<std::vector<FieldSpec>, 9>;
  static const Tables kExported = [] {
    Tables tables;
    for (size_t k = 1; k < tables.size(); ++k) {
      for (const FieldSpec& f : AllFieldsOf(static_cast<EntityKind>(k))) {
        if (f.exported) tables[k].push_back(f);
      }
    }
    return tables;
  }();
  return kExported[static_cast<size_t>(kind)];
}

std::string FlagName(std::string_view field_name) {
  std::string flag(field_name);
  for (char& c : flag) {
    if (c == '.' || c == '_') c = '-';
  }
  return flag;
}

const FieldSpec* FieldOfFlag(EntityKind kind, std::string_view flag, bool* major_units) {
  *major_units = false;
  for (const FieldSpec& f : AllFieldsOf(kind)) {
    if (!f.flag) continue;
    if (FlagName(f.name) == flag) return &f;
    for (const FlagAlias& alias : f.aliases) {
      if (alias.flag == flag) {
        *major_units = alias.major_units;
        return &f;
      }
    }
  }
  return nullptr;
}

Status SetFromFlag(const FieldSpec& field, bool major_units, const std::string& text,
                   Record* record) {
  JsonValue value;
  value.type = Type::kString;
  value.text = text;
  if (major_units) {
    char* end = nullptr;
    double units = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(std::fabs(units) < 9e16)) {
      return Bad(field.name, "takes an amount such as 1234.50, not \"" + text + "\"");
    }
    value.text = std::to_string(static_cast<int64_t>(units * 100.0 + (units < 0 ? -0.5 : 0.5)));
  } else if (field.type == FieldType::kList) {
    value.type = Type::kArray;
    for (std::string& item : SplitNonEmpty(text, ',')) {
      JsonValue& v = value.items.emplace_back();
      v.type = Type::kString;
      v.text = std::move(item);
    }
  }
  return field.set(*record, value);
}

Record EmptyRecordOf(EntityKind kind) {
  switch (kind) {
    case EntityKind::kCustomer: return Customer{};
    case EntityKind::kContact: return Contact{};
    case EntityKind::kInteraction: return Interaction{};
    case EntityKind::kTransaction: return Transaction{};
    case EntityKind::kOpportunity: return Opportunity{};
    case EntityKind::kContract: return Contract{};
    case EntityKind::kTask: return Task{};
    case EntityKind::kUser: return User{};
  }
  return Customer{};
}

void AppendRecordJson(const Record& record, JsonFields which, std::string* out) {
  *out += '{';
  std::string open;  // the nested object currently open ("region"), if any
  bool first = true;
  for (const FieldSpec& f : AllFieldsOf(KindOf(record))) {
    if (which == JsonFields::kExport ? !f.exported : !OnCard(f, record)) continue;
    size_t dot = f.name.find('.');
    std::string prefix = dot == std::string::npos ? "" : f.name.substr(0, dot);
    std::string leaf = dot == std::string::npos ? f.name : f.name.substr(dot + 1);
    if (prefix != open) {
      if (!open.empty()) *out += '}';
      if (!prefix.empty()) {
        if (!first) *out += ',';
        AppendJsonString(prefix, out);
        *out += ":{";
        first = true;
      } else {
        first = false;
      }
      open = prefix;
    }
    if (!first) *out += ',';
    first = false;
    AppendJsonString(leaf, out);
    *out += ':';
    f.json(record, out);
  }
  if (!open.empty()) *out += '}';
  *out += '}';
}

std::string RecordToJsonLine(const Record& record) {
  std::string out = "{\"kind\":";
  AppendJsonString(Name(KindOf(record)), &out);
  out += ",\"record\":";
  AppendRecordJson(record, JsonFields::kExport, &out);
  out += '}';
  return out;
}

Status RecordFromJson(EntityKind kind, const JsonValue& value, Record* out) {
  if (value.type != Type::kObject) return Status::InvalidArgument("a line must be a JSON object");
  const JsonValue* body = &value;
  if (const JsonValue* wrapped = value.Find("record");
      wrapped != nullptr && value.members.size() == 2 && value.Find("kind") != nullptr) {
    const JsonValue* k = value.Find("kind");
    if (k->type != Type::kString || k->text != Name(kind)) {
      return Status::InvalidArgument("the line holds a " +
                                         (k->type == Type::kString ? k->text : "?") +
                                         " record, not a " + std::string(Name(kind)),
                                     "kind");
    }
    body = wrapped;
    if (body->type != Type::kObject) {
      return Status::InvalidArgument("must be a JSON object", "record");
    }
  }
  *out = EmptyRecordOf(kind);
  const auto& fields = FieldsOf(kind);
  // Flatten one level of nesting ("region": {"city": ...} -> region.city).
  std::vector<std::pair<std::string, const JsonValue*>> flat;
  for (const auto& [name, v] : body->members) {
    bool nested = false;
    if (v.type == Type::kObject && name != "attributes") {
      for (const FieldSpec& f : fields) {
        if (f.name.size() > name.size() && f.name.compare(0, name.size(), name) == 0 &&
            f.name[name.size()] == '.') {
          nested = true;
          break;
        }
      }
    }
    if (!nested) {
      flat.emplace_back(name, &v);
      continue;
    }
    for (const auto& [leaf, lv] : v.members) flat.emplace_back(name + "." + leaf, &lv);
  }
  std::vector<bool> seen(fields.size());
  for (const auto& [name, v] : flat) {
    size_t i = 0;
    while (i < fields.size() && fields[i].name != name) ++i;
    if (i == fields.size()) {
      return Status::InvalidArgument("a " + std::string(Name(kind)) + " has no field \"" + name +
                                         "\"",
                                     name);
    }
    seen[i] = true;
    if (v->type == Type::kNull) continue;
    CRM_RETURN_IF_ERROR(fields[i].set(*out, *v));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].required && !seen[i]) {
      return Status::InvalidArgument("is required", fields[i].name);
    }
  }
  return Status::Ok();
}

}  // namespace crm::tools
