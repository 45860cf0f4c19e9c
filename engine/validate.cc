#include "validate.h"

#include <algorithm>
#include <string>

#include "crm/engine/normalize.h"

namespace crm::engine::internal {
namespace {

// Years accepted for any time field: 1900-01-01 .. 2200-01-01.
constexpr Micros kMinTime = -2'208'988'800'000'000;
constexpr Micros kMaxTime = 7'258'118'400'000'000;

std::string Indexed(std::string_view field, size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// Valid UTF-8, no control characters, at most `max` bytes; `required` refuses "".
Status CheckText(const std::string& value, std::string_view field, size_t max,
                 bool required = false) {
  if (required && value.empty()) {
    return Status::InvalidArgument("is required and must not be empty", std::string(field));
  }
  if (value.size() > max) {
    return Status::InvalidArgument("is " + std::to_string(value.size()) +
                                       " bytes long; the limit is " + std::to_string(max),
                                   std::string(field));
  }
  if (!IsValidUtf8(value)) {
    return Status::InvalidArgument("must be valid UTF-8", std::string(field));
  }
  return Status::Ok();
}

// Like CheckText, and also refuses control characters other than tab and
// line breaks (notes may have those).
Status CheckMultiline(const std::string& value, std::string_view field, size_t max) {
  CRM_RETURN_IF_ERROR(CheckText(value, field, max));
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return Status::InvalidArgument("must not contain control characters", std::string(field));
    }
  }
  return Status::Ok();
}

Status CheckLine(const std::string& value, std::string_view field, size_t max,
                 bool required = false) {
  CRM_RETURN_IF_ERROR(CheckText(value, field, max, required));
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("must not contain control characters", std::string(field));
    }
  }
  return Status::Ok();
}

// A display name: canonical form, required, at most kMaxName bytes.
Status CheckName(std::string& name, std::string_view field, bool required = true) {
  CRM_RETURN_IF_ERROR(CheckText(name, field, kMaxName * 4));
  Result<std::string> normalized = NormalizeName(name);
  if (!normalized.ok()) {
    return Status::InvalidArgument(normalized.status().message(), std::string(field));
  }
  name = std::move(normalized).value();
  return CheckText(name, field, kMaxName, required);
}

template <typename E>
Status CheckEnum(E value, E last, std::string_view field) {
  if (static_cast<unsigned>(value) > static_cast<unsigned>(last)) {
    return Status::InvalidArgument("has unknown value " + std::to_string(static_cast<int>(value)),
                                   std::string(field));
  }
  return Status::Ok();
}

Status CheckTime(Micros t, std::string_view field) {
  if (t != 0 && (t < kMinTime || t > kMaxTime)) {
    return Status::InvalidArgument("must be between 1900 and 2200 (UTC microseconds)",
                                   std::string(field));
  }
  return Status::Ok();
}

Status CheckCurrency(const Money& money, std::string_view field, bool required) {
  std::string_view code = money.currency.code();
  if (code.empty() && !required && money.minor_units == 0) return Status::Ok();
  bool ok = code.size() == 3 &&
            std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) {
    return Status::InvalidArgument("currency must be an ISO 4217 code of three capital letters",
                                   std::string(field));
  }
  return Status::Ok();
}

// Normalizes each phone/email in place, drops repeats within the record.
Status NormalizePhones(std::vector<std::string>& phones, std::string_view field,
                       std::string_view region) {
  if (phones.size() > kMaxListItems) {
    return Status::InvalidArgument("has more than " + std::to_string(kMaxListItems) + " phones",
                                   std::string(field));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < phones.size(); ++i) {
    Result<std::string> e164 = NormalizePhone(phones[i], region);
    if (!e164.ok()) return Status::InvalidArgument(e164.status().message(), Indexed(field, i));
    if (std::find(out.begin(), out.end(), *e164) == out.end()) out.push_back(std::move(*e164));
  }
  phones = std::move(out);
  return Status::Ok();
}

Status NormalizeEmails(std::vector<std::string>& emails, std::string_view field) {
  if (emails.size() > kMaxListItems) {
    return Status::InvalidArgument("has more than " + std::to_string(kMaxListItems) + " emails",
                                   std::string(field));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < emails.size(); ++i) {
    Result<std::string> email = NormalizeEmail(emails[i]);
    if (!email.ok()) return Status::InvalidArgument(email.status().message(), Indexed(field, i));
    if (std::find(out.begin(), out.end(), *email) == out.end()) out.push_back(std::move(*email));
  }
  emails = std::move(out);
  return Status::Ok();
}

Status Validate(Customer& c, std::string_view region) {
  CRM_RETURN_IF_ERROR(CheckEnum(c.kind, CustomerKind::kOrganization, "customer.kind"));
  CRM_RETURN_IF_ERROR(CheckName(c.name, "customer.name"));
  CRM_RETURN_IF_ERROR(CheckLine(c.external_ref, "customer.external_ref", kMaxShortText));
  CRM_RETURN_IF_ERROR(CheckLine(c.tax_id, "customer.tax_id", 32));
  CRM_RETURN_IF_ERROR(NormalizePhones(c.phones, "customer.phones", region));
  CRM_RETURN_IF_ERROR(NormalizeEmails(c.emails, "customer.emails"));
  const std::string& country = c.region.country;
  if (!country.empty() &&
      !(country.size() == 2 && std::all_of(country.begin(), country.end(),
                                           [](char ch) { return ch >= 'A' && ch <= 'Z'; }))) {
    return Status::InvalidArgument("must be an ISO 3166-1 alpha-2 code such as \"CN\"",
                                   "customer.region.country");
  }
  CRM_RETURN_IF_ERROR(CheckLine(c.region.province, "customer.region.province", kMaxShortText));
  CRM_RETURN_IF_ERROR(CheckLine(c.region.city, "customer.region.city", kMaxShortText));
  CRM_RETURN_IF_ERROR(CheckLine(c.industry, "customer.industry", kMaxShortText));
  CRM_RETURN_IF_ERROR(CheckEnum(c.size_band, SizeBand::kEnterprise, "customer.size_band"));
  CRM_RETURN_IF_ERROR(CheckLine(c.category, "customer.category", kMaxShortText));
  CRM_RETURN_IF_ERROR(
      CheckEnum(c.payment_method, PaymentMethod::kOther, "customer.payment_method"));
  CRM_RETURN_IF_ERROR(CheckEnum(c.credit_level, CreditLevel::kD, "customer.credit_level"));
  CRM_RETURN_IF_ERROR(CheckEnum(c.lifecycle, Lifecycle::kChurned, "customer.lifecycle"));
  CRM_RETURN_IF_ERROR(CheckLine(c.team, "customer.team", kMaxShortText));
  if (c.tags.size() > kMaxTags) {
    return Status::InvalidArgument("has more than " + std::to_string(kMaxTags) + " tags",
                                   "customer.tags");
  }
  for (size_t i = 0; i < c.tags.size(); ++i) {
    CRM_RETURN_IF_ERROR(CheckLine(c.tags[i], Indexed("customer.tags", i), 64, true));
  }
  if (c.attributes.size() > kMaxAttributes) {
    return Status::InvalidArgument(
        "has more than " + std::to_string(kMaxAttributes) + " attributes", "customer.attributes");
  }
  for (size_t i = 0; i < c.attributes.size(); ++i) {
    std::string field = Indexed("customer.attributes", i);
    CRM_RETURN_IF_ERROR(CheckLine(c.attributes[i].key, field + ".key", 64, true));
    CRM_RETURN_IF_ERROR(
        CheckMultiline(c.attributes[i].value, field + ".value", kMaxAttributeValue));
    for (size_t j = 0; j < i; ++j) {
      if (c.attributes[j].key == c.attributes[i].key) {
        return Status::InvalidArgument("repeats key \"" + c.attributes[i].key + "\"", field);
      }
    }
  }
  if (c.relations.size() > kMaxRelations) {
    return Status::InvalidArgument(
        "has more than " + std::to_string(kMaxRelations) + " relations", "customer.relations");
  }
  for (size_t i = 0; i < c.relations.size(); ++i) {
    std::string field = Indexed("customer.relations", i);
    CRM_RETURN_IF_ERROR(CheckEnum(c.relations[i].kind, RelationKind::kRelated, field + ".kind"));
    if (c.relations[i].customer == 0) {
      return Status::InvalidArgument("must name a customer", field + ".customer");
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.relations[j] == c.relations[i]) {
        return Status::InvalidArgument("repeats an earlier relation", field);
      }
    }
  }
  CRM_RETURN_IF_ERROR(CheckEnum(c.gender, Gender::kOther, "customer.gender"));
  CRM_RETURN_IF_ERROR(CheckEnum(c.income_band, IncomeBand::kHigh, "customer.income_band"));
  CRM_RETURN_IF_ERROR(CheckLine(c.occupation, "customer.occupation", kMaxShortText));
  if (c.birth_year != 0 && (c.birth_year < 1900 || c.birth_year > 2100)) {
    return Status::InvalidArgument("must be between 1900 and 2100, or 0 for unknown",
                                   "customer.birth_year");
  }
  if (c.kind == CustomerKind::kOrganization &&
      (c.gender != Gender::kUnknown || c.birth_year != 0 || !c.occupation.empty() ||
       c.income_band != IncomeBand::kUnknown)) {
    return Status::InvalidArgument(
        "gender, birth_year, occupation and income_band are for individuals only",
        "customer.kind");
  }
  return Status::Ok();
}

Status Validate(Contact& c, std::string_view region) {
  if (c.customer == 0) return Status::InvalidArgument("is required", "contact.customer");
  CRM_RETURN_IF_ERROR(CheckName(c.name, "contact.name"));
  CRM_RETURN_IF_ERROR(CheckLine(c.title, "contact.title", kMaxShortText));
  CRM_RETURN_IF_ERROR(NormalizePhones(c.phones, "contact.phones", region));
  return NormalizeEmails(c.emails, "contact.emails");
}

Status Validate(Interaction& i, std::string_view) {
  if (i.customer == 0) return Status::InvalidArgument("is required", "interaction.customer");
  CRM_RETURN_IF_ERROR(CheckEnum(i.channel, Channel::kSurvey, "interaction.channel"));
  CRM_RETURN_IF_ERROR(CheckEnum(i.direction, Direction::kOutbound, "interaction.direction"));
  CRM_RETURN_IF_ERROR(CheckTime(i.time, "interaction.time"));
  CRM_RETURN_IF_ERROR(CheckLine(i.subject, "interaction.subject", kMaxSubject));
  CRM_RETURN_IF_ERROR(CheckMultiline(i.notes, "interaction.notes", kMaxNotes));
  CRM_RETURN_IF_ERROR(CheckLine(i.outcome, "interaction.outcome", kMaxName));
  if (i.satisfaction > 5) {
    return Status::InvalidArgument("must be 1..5, or 0 for not rated", "interaction.satisfaction");
  }
  return CheckEnum(i.complaint, ComplaintState::kResolved, "interaction.complaint");
}

Status Validate(Transaction& t, std::string_view) {
  if (t.customer == 0) return Status::InvalidArgument("is required", "transaction.customer");
  CRM_RETURN_IF_ERROR(CheckTime(t.time, "transaction.time"));
  CRM_RETURN_IF_ERROR(CheckCurrency(t.amount, "transaction.amount", true));
  CRM_RETURN_IF_ERROR(
      CheckLine(t.product_category, "transaction.product_category", kMaxShortText));
  return CheckEnum(t.payment_method, PaymentMethod::kOther, "transaction.payment_method");
}

Status Validate(Opportunity& o, std::string_view) {
  if (o.customer == 0) return Status::InvalidArgument("is required", "opportunity.customer");
  CRM_RETURN_IF_ERROR(CheckName(o.name, "opportunity.name"));
  CRM_RETURN_IF_ERROR(CheckEnum(o.stage, Stage::kLost, "opportunity.stage"));
  CRM_RETURN_IF_ERROR(CheckCurrency(o.amount, "opportunity.amount", false));
  if (o.probability > 100) {
    return Status::InvalidArgument("must be a percentage, 0..100", "opportunity.probability");
  }
  CRM_RETURN_IF_ERROR(CheckTime(o.expected_close, "opportunity.expected_close"));
  CRM_RETURN_IF_ERROR(CheckLine(o.source, "opportunity.source", kMaxShortText));
  CRM_RETURN_IF_ERROR(CheckLine(o.campaign, "opportunity.campaign", kMaxShortText));
  return CheckLine(o.lost_reason, "opportunity.lost_reason", kMaxName);
}

Status Validate(Contract& c, std::string_view) {
  if (c.customer == 0) return Status::InvalidArgument("is required", "contract.customer");
  CRM_RETURN_IF_ERROR(CheckLine(c.number, "contract.number", 64));
  CRM_RETURN_IF_ERROR(CheckCurrency(c.amount, "contract.amount", false));
  CRM_RETURN_IF_ERROR(CheckTime(c.signed_at, "contract.signed_at"));
  CRM_RETURN_IF_ERROR(CheckTime(c.start_at, "contract.start_at"));
  CRM_RETURN_IF_ERROR(CheckTime(c.end_at, "contract.end_at"));
  if (c.start_at != 0 && c.end_at != 0 && c.end_at < c.start_at) {
    return Status::InvalidArgument("must not be before start_at", "contract.end_at");
  }
  CRM_RETURN_IF_ERROR(CheckEnum(c.status, ContractStatus::kTerminated, "contract.status"));
  return CheckLine(c.payment_terms, "contract.payment_terms", kMaxName);
}

Status Validate(Task& t, std::string_view) {
  CRM_RETURN_IF_ERROR(CheckTime(t.due_at, "task.due_at"));
  CRM_RETURN_IF_ERROR(CheckLine(t.title, "task.title", kMaxName, true));
  CRM_RETURN_IF_ERROR(CheckMultiline(t.notes, "task.notes", kMaxNotes));
  return CheckTime(t.done_at, "task.done_at");
}

Status Validate(User& u, std::string_view) {
  CRM_RETURN_IF_ERROR(CheckName(u.name, "user.name"));
  CRM_RETURN_IF_ERROR(CheckEnum(u.role, Role::kAgent, "user.role"));
  CRM_RETURN_IF_ERROR(CheckLine(u.team, "user.team", kMaxShortText));
  return CheckLine(u.token_hash, "user.token_hash", kMaxShortText);
}

}  // namespace

Status ValidateFields(Record& record, std::string_view default_region) {
  return std::visit([&](auto& r) { return Validate(r, default_region); }, record);
}

}  // namespace crm::engine::internal
