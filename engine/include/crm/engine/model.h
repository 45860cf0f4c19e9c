// The crm domain model: plain value types, no behaviour beyond names.
//
// Conventions for every record:
// - `id` is server-assigned (u64, dense per entity kind, never reused);
//   0 means "none" wherever an id refers to another record.
// - `revision` starts at 1 and grows by one on every update. An update that
//   passes a non-zero revision is refused with Conflict unless it matches the
//   stored one (optimistic concurrency); 0 means "whatever is stored".
// - Times are UTC microseconds since the Unix epoch (`Micros`), 0 = unset.
// - Money is integer minor units plus an ISO 4217 currency code.
// - Strings are UTF-8. Phones are stored as E.164 ("+8613800138000"), emails
//   in canonical form (see normalize.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace crm::engine {

using Id = uint64_t;
using Micros = int64_t;

// ISO 4217 code, three upper-case ASCII letters ("CNY"), or empty.
class Currency {
 public:
  Currency() = default;
  // Keeps the first three bytes of `code`; validation rejects anything that is
  // not exactly three upper-case ASCII letters.
  explicit Currency(std::string_view code);
  std::string_view code() const { return {code_.data(), Size()}; }
  bool empty() const { return code_[0] == 0; }
  friend bool operator==(const Currency&, const Currency&) = default;

 private:
  size_t Size() const { return code_[0] == 0 ? 0 : code_[1] == 0 ? 1 : code_[2] == 0 ? 2 : 3; }
  std::array<char, 3> code_{};
};

struct Money {
  int64_t minor_units = 0;  // 12.34 CNY is 1234
  Currency currency;
  friend bool operator==(const Money&, const Money&) = default;
};

// Every entity kind the store holds; the value is stable (used in keys).
enum class EntityKind : uint8_t {
  kCustomer = 1,
  kContact = 2,
  kInteraction = 3,
  kTransaction = 4,
  kOpportunity = 5,
  kContract = 6,
  kTask = 7,
  kUser = 8,
};
inline constexpr int kEntityKindCount = 8;

enum class CustomerKind : uint8_t { kIndividual = 0, kOrganization = 1 };
enum class Lifecycle : uint8_t { kLead = 0, kProspect = 1, kActive = 2, kDormant = 3, kChurned = 4 };
enum class SizeBand : uint8_t {
  kUnknown = 0, kMicro = 1, kSmall = 2, kMedium = 3, kLarge = 4, kEnterprise = 5
};
enum class PaymentMethod : uint8_t {
  kUnknown = 0, kCash = 1, kBankTransfer = 2, kCard = 3, kAlipay = 4, kWechatPay = 5,
  kCreditTerms = 6, kOther = 7
};
enum class CreditLevel : uint8_t { kUnrated = 0, kAAA = 1, kAA = 2, kA = 3, kB = 4, kC = 5, kD = 6 };
enum class Gender : uint8_t { kUnknown = 0, kFemale = 1, kMale = 2, kOther = 3 };
enum class IncomeBand : uint8_t {
  kUnknown = 0, kLow = 1, kLowerMiddle = 2, kMiddle = 3, kUpperMiddle = 4, kHigh = 5
};
// A directed edge from the customer that stores it to `Relation::customer`.
enum class RelationKind : uint8_t {
  kParent = 0,      // the other customer is this one's parent organization
  kReferredBy = 1,  // this customer came through a referral by the other
  kPartner = 2,     // partner or distributor
  kRelated = 3,     // any other tie
};
enum class Channel : uint8_t {
  kCall = 0, kEmail = 1, kVisit = 2, kMeeting = 3, kChat = 4, kSms = 5, kTicket = 6, kSurvey = 7
};
inline constexpr int kChannelCount = 8;
enum class Direction : uint8_t { kInbound = 0, kOutbound = 1 };
// kNone: the interaction is not a complaint.
enum class ComplaintState : uint8_t { kNone = 0, kOpen = 1, kInProgress = 2, kResolved = 3 };
enum class Stage : uint8_t {
  kQualification = 0, kNeedsAnalysis = 1, kProposal = 2, kNegotiation = 3, kWon = 4, kLost = 5
};
enum class ContractStatus : uint8_t { kDraft = 0, kActive = 1, kFulfilled = 2, kTerminated = 3 };
enum class Role : uint8_t { kAdmin = 0, kManager = 1, kAgent = 2 };

struct Region {
  std::string country;   // ISO 3166-1 alpha-2 ("CN"), or empty
  std::string province;  // "广东" / "California"
  std::string city;      // "深圳" / "San Jose"
  friend bool operator==(const Region&, const Region&) = default;
};

struct Relation {
  Id customer = 0;
  RelationKind kind = RelationKind::kRelated;
  friend bool operator==(const Relation&, const Relation&) = default;
};

struct Attribute {
  std::string key;
  std::string value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct Customer {
  Id id = 0;
  uint64_t revision = 0;
  std::string external_ref;  // unique when set
  CustomerKind kind = CustomerKind::kIndividual;
  std::string name;
  std::string tax_id;  // organizations: unified social credit code or similar
  std::vector<std::string> phones;  // E.164, unique across customers and contacts
  std::vector<std::string> emails;  // canonical, unique across customers and contacts
  Region region;
  std::string industry;
  SizeBand size_band = SizeBand::kUnknown;
  std::string category;
  PaymentMethod payment_method = PaymentMethod::kUnknown;
  CreditLevel credit_level = CreditLevel::kUnrated;
  Lifecycle lifecycle = Lifecycle::kLead;
  Id owner = 0;  // user
  std::string team;
  std::vector<std::string> tags;
  std::vector<Attribute> attributes;
  std::vector<Relation> relations;  // outgoing graph edges
  // Individuals only (ignored, and must be unset, for organizations).
  Gender gender = Gender::kUnknown;
  uint16_t birth_year = 0;  // 0 = unknown
  std::string occupation;
  IncomeBand income_band = IncomeBand::kUnknown;
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const Customer&, const Customer&) = default;
};

// A person at an organization customer. Its phones and emails find its customer.
struct Contact {
  Id id = 0;
  uint64_t revision = 0;
  Id customer = 0;
  std::string name;
  std::string title;
  std::vector<std::string> phones;
  std::vector<std::string> emails;
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const Contact&, const Contact&) = default;
};

struct Interaction {
  Id id = 0;
  uint64_t revision = 0;
  Id customer = 0;
  Id contact = 0;  // 0 = none
  Channel channel = Channel::kCall;
  Direction direction = Direction::kInbound;
  Micros time = 0;
  Id agent = 0;  // user, 0 = none
  std::string subject;
  std::string notes;
  std::string outcome;
  uint32_t duration_seconds = 0;
  uint8_t satisfaction = 0;  // 1..5, 0 = not rated
  ComplaintState complaint = ComplaintState::kNone;
  Id opportunity = 0;  // 0 = none
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const Interaction&, const Interaction&) = default;
};

// One purchase.
struct Transaction {
  Id id = 0;
  uint64_t revision = 0;
  Id customer = 0;
  Micros time = 0;
  Money amount;
  int64_t margin_minor_units = 0;  // profit, in amount's currency; may be negative
  std::string product_category;
  PaymentMethod payment_method = PaymentMethod::kUnknown;
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

struct Opportunity {
  Id id = 0;
  uint64_t revision = 0;
  Id customer = 0;
  std::string name;
  Stage stage = Stage::kQualification;
  Money amount;
  uint8_t probability = 0;  // percent, 0..100
  Micros expected_close = 0;
  Id owner = 0;  // user
  std::string source;
  std::string campaign;
  std::string lost_reason;
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const Opportunity&, const Opportunity&) = default;
};

struct Contract {
  Id id = 0;
  uint64_t revision = 0;
  Id customer = 0;
  Id opportunity = 0;  // 0 = none
  std::string number;
  Money amount;
  Micros signed_at = 0;
  Micros start_at = 0;
  Micros end_at = 0;
  ContractStatus status = ContractStatus::kDraft;
  std::string payment_terms;
  int64_t paid_minor_units = 0;  // in amount's currency
  Micros created_at = 0;
  Micros updated_at = 0;
  Id owner = 0;  // user responsible for it (moves with a handover); 0 = none
  friend bool operator==(const Contract&, const Contract&) = default;
};

// A reminder.
struct Task {
  Id id = 0;
  uint64_t revision = 0;
  Id customer = 0;  // 0 = not about one customer
  Id assignee = 0;  // user
  Micros due_at = 0;
  std::string title;
  std::string notes;
  bool done = false;
  Micros done_at = 0;
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const Task&, const Task&) = default;
};

struct User {
  Id id = 0;
  uint64_t revision = 0;
  std::string name;
  Role role = Role::kAgent;
  std::string team;
  std::string token_hash;  // never the token itself
  bool active = true;
  Micros created_at = 0;
  Micros updated_at = 0;
  friend bool operator==(const User&, const User&) = default;
};

// kDenied appears only in the audit log: a refused request, not a write.
// kImport is an op only (never in the audit log, which records it as the
// create or update it amounts to): see WriteOp.
enum class WriteKind : uint8_t {
  kCreate = 0, kUpdate = 1, kDelete = 2, kDenied = 3, kImport = 4
};

// Any storable record.
using Record =
    std::variant<Customer, Contact, Interaction, Transaction, Opportunity, Contract, Task, User>;

// One committed mutation, or one refused request, as recorded in the audit
// log. A cascade delete or a handover records one entry per record changed.
struct AuditEntry {
  uint64_t sequence = 0;  // commit order, gap-free from 1
  Micros time = 0;        // never decreases as the sequence grows
  Id user = 0;            // who; 0 = the system itself
  WriteKind kind = WriteKind::kCreate;
  EntityKind entity = EntityKind::kCustomer;
  Id record = 0;  // kDenied: the record the request aimed at, 0 if none
  // The whole record before and after the change (a user's token hash is
  // never recorded): a create has no old value, a delete no new one, a
  // denial neither.
  std::optional<Record> old_value;
  std::optional<Record> new_value;
  std::string permission;  // kDenied: the permission that was missing
  // kDenied: the refusal sent to the user; otherwise the note of the write
  // (a handover names itself here), usually empty.
  std::string message;
  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

EntityKind KindOf(const Record& record);

// The entity kind of a record type: EntityOf<Contact> == EntityKind::kContact.
template <typename T> inline constexpr EntityKind EntityOf = EntityKind::kCustomer;
template <> inline constexpr EntityKind EntityOf<Contact> = EntityKind::kContact;
template <> inline constexpr EntityKind EntityOf<Interaction> = EntityKind::kInteraction;
template <> inline constexpr EntityKind EntityOf<Transaction> = EntityKind::kTransaction;
template <> inline constexpr EntityKind EntityOf<Opportunity> = EntityKind::kOpportunity;
template <> inline constexpr EntityKind EntityOf<Contract> = EntityKind::kContract;
template <> inline constexpr EntityKind EntityOf<Task> = EntityKind::kTask;
template <> inline constexpr EntityKind EntityOf<User> = EntityKind::kUser;
Id IdOf(const Record& record);

// Names of enum values, as used in tools and JSON ("organization", "call").
// Parse* return false for an unknown name.
std::string_view Name(EntityKind v);
std::string_view Name(CustomerKind v);
std::string_view Name(Lifecycle v);
std::string_view Name(SizeBand v);
std::string_view Name(PaymentMethod v);
std::string_view Name(CreditLevel v);
std::string_view Name(Gender v);
std::string_view Name(IncomeBand v);
std::string_view Name(RelationKind v);
std::string_view Name(Channel v);
std::string_view Name(Direction v);
std::string_view Name(ComplaintState v);
std::string_view Name(Stage v);
std::string_view Name(ContractStatus v);
std::string_view Name(Role v);
std::string_view Name(WriteKind v);
bool Parse(std::string_view name, EntityKind* out);
bool Parse(std::string_view name, Channel* out);

}  // namespace crm::engine
