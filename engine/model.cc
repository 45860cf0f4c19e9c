#include "crm/engine/model.h"

#include "crm/engine/value.h"

#include <algorithm>
#include <array>

namespace crm::engine {

Currency::Currency(std::string_view code) {
  for (size_t i = 0; i < code_.size() && i < code.size(); ++i) code_[i] = code[i];
}

EntityKind KindOf(const Record& record) {
  return static_cast<EntityKind>(record.index() + 1);
}

Id IdOf(const Record& record) {
  return std::visit([](const auto& r) { return r.id; }, record);
}

namespace {

template <typename E, size_t N>
std::string_view NameIn(const std::array<std::string_view, N>& names, E v, size_t offset = 0) {
  size_t i = static_cast<size_t>(v) - offset;
  return i < N ? names[i] : std::string_view("unknown");
}

template <typename E, size_t N>
bool ParseIn(const std::array<std::string_view, N>& names, std::string_view name, E* out,
             size_t offset = 0) {
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return false;
  *out = static_cast<E>(static_cast<size_t>(it - names.begin()) + offset);
  return true;
}

constexpr std::array<std::string_view, 8> kEntityNames = {
    "customer", "contact", "interaction", "transaction", "opportunity", "contract", "task", "user"};
constexpr std::array<std::string_view, 8> kChannelNames = {
    "call", "email", "visit", "meeting", "chat", "sms", "ticket", "survey"};
constexpr std::array<std::string_view, kFactorCount> kFactorNames = {
    "revenue", "profit",     "frequency", "recency",        "growth",      "pipeline", "satisfaction",
    "complaints", "tenure", "loyalty",   "retention_cost", "model_value", "size"};
constexpr std::array<std::string_view, kTierCount> kTierNames = {
    "none", "key", "development", "maintenance", "opportunity"};
constexpr std::array<std::string_view, 14> kDimensionNames = {
    "industry", "country",      "province", "city", "lifecycle", "category", "payment_method",
    "credit_level", "size", "tier", "owner", "team", "kind", "value_class"};

}  // namespace

std::string_view Name(EntityKind v) { return NameIn(kEntityNames, v, 1); }
std::string_view Name(CustomerKind v) {
  return NameIn(std::array<std::string_view, 2>{"individual", "organization"}, v);
}
std::string_view Name(Lifecycle v) {
  return NameIn(
      std::array<std::string_view, 5>{"lead", "prospect", "active", "dormant", "churned"}, v);
}
std::string_view Name(SizeBand v) {
  return NameIn(std::array<std::string_view, 6>{"unknown", "micro", "small", "medium", "large",
                                                "enterprise"},
                v);
}
std::string_view Name(PaymentMethod v) {
  return NameIn(std::array<std::string_view, 8>{"unknown", "cash", "bank_transfer", "card",
                                                "alipay", "wechat_pay", "credit_terms", "other"},
                v);
}
std::string_view Name(CreditLevel v) {
  return NameIn(std::array<std::string_view, 7>{"unrated", "AAA", "AA", "A", "B", "C", "D"}, v);
}
std::string_view Name(Gender v) {
  return NameIn(std::array<std::string_view, 4>{"unknown", "female", "male", "other"}, v);
}
std::string_view Name(IncomeBand v) {
  return NameIn(std::array<std::string_view, 6>{"unknown", "low", "lower_middle", "middle",
                                                "upper_middle", "high"},
                v);
}
std::string_view Name(RelationKind v) {
  return NameIn(std::array<std::string_view, 4>{"parent", "referred_by", "partner", "related"}, v);
}
std::string_view Name(Channel v) { return NameIn(kChannelNames, v); }
std::string_view Name(Direction v) {
  return NameIn(std::array<std::string_view, 2>{"inbound", "outbound"}, v);
}
std::string_view Name(ComplaintState v) {
  return NameIn(std::array<std::string_view, 4>{"none", "open", "in_progress", "resolved"}, v);
}
std::string_view Name(Stage v) {
  return NameIn(std::array<std::string_view, 6>{"qualification", "needs_analysis", "proposal",
                                                "negotiation", "won", "lost"},
                v);
}
std::string_view Name(ContractStatus v) {
  return NameIn(std::array<std::string_view, 4>{"draft", "active", "fulfilled", "terminated"}, v);
}
std::string_view Name(Role v) {
  return NameIn(std::array<std::string_view, 3>{"admin", "manager", "agent"}, v);
}
std::string_view Name(WriteKind v) {
  return NameIn(
      std::array<std::string_view, 5>{"create", "update", "delete", "denied", "import"}, v);
}

bool Parse(std::string_view name, EntityKind* out) { return ParseIn(kEntityNames, name, out, 1); }
bool Parse(std::string_view name, Channel* out) { return ParseIn(kChannelNames, name, out); }

std::string_view Name(Factor f) { return NameIn(kFactorNames, f); }
bool Parse(std::string_view name, Factor* out) { return ParseIn(kFactorNames, name, out); }
bool Hurts(Factor f) { return f == Factor::kComplaints || f == Factor::kRetentionCost; }
bool Bounded(Factor f) {
  return f == Factor::kRecency || f == Factor::kSatisfaction || f == Factor::kLoyalty ||
         f == Factor::kSize;
}
std::string_view Name(Tier t) { return NameIn(kTierNames, t); }
bool Parse(std::string_view name, Tier* out) { return ParseIn(kTierNames, name, out); }
std::string_view Name(ValueClass v) {
  return NameIn(std::array<std::string_view, 4>{"none", "high", "mid", "low"}, v);
}
std::string_view Name(Dimension d) { return NameIn(kDimensionNames, d); }
bool Parse(std::string_view name, Dimension* out) { return ParseIn(kDimensionNames, name, out); }

}  // namespace crm::engine
