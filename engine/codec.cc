#include "crm/engine/codec.h"

#include <string>

namespace crm::engine {
namespace {

std::string ToString(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }
capnp::Text::Reader ToText(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }


template <typename Init>
void EncodeTexts(const std::vector<std::string>& in, Init init) {
  auto list = init(static_cast<unsigned>(in.size()));
  for (unsigned i = 0; i < in.size(); ++i) list.set(i, ToText(in[i]));
}

std::vector<std::string> DecodeTexts(capnp::List<capnp::Text>::Reader in) {
  std::vector<std::string> out;
  out.reserve(in.size());
  for (auto t : in) out.push_back(ToString(t));
  return out;
}

void EncodeMoney(const Money& in, schema::Money::Builder out) {
  out.setMinorUnits(in.minor_units);
  // capnp::Text needs a NUL-terminated buffer; Currency holds three bare bytes.
  std::string code(in.currency.code());
  out.setCurrency(ToText(code));
}

Money DecodeMoney(schema::Money::Reader in) {
  auto text = in.getCurrency();
  return Money{in.getMinorUnits(), Currency(std::string_view(text.cStr(), text.size()))};
}

// Range-checks a stored enum byte against the enum's last value.
template <typename E>
Status ToEnum(uint8_t raw, E last, const char* field, E* out) {
  if (raw > static_cast<uint8_t>(last)) {
    return Status::InvalidArgument(
        "value " + std::to_string(raw) + " is out of range (0.." +
            std::to_string(static_cast<int>(last)) + ")",
        field);
  }
  *out = static_cast<E>(raw);
  return Status::Ok();
}

}  // namespace

void Encode(const Customer& in, schema::Customer::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setExternalRef(ToText(in.external_ref));
  out.setKind(static_cast<uint8_t>(in.kind));
  out.setName(ToText(in.name));
  out.setTaxId(ToText(in.tax_id));
  EncodeTexts(in.phones, [&](unsigned n) { return out.initPhones(n); });
  EncodeTexts(in.emails, [&](unsigned n) { return out.initEmails(n); });
  auto region = out.initRegion();
  region.setCountry(ToText(in.region.country));
  region.setProvince(ToText(in.region.province));
  region.setCity(ToText(in.region.city));
  out.setIndustry(ToText(in.industry));
  out.setSizeBand(static_cast<uint8_t>(in.size_band));
  out.setCategory(ToText(in.category));
  out.setPaymentMethod(static_cast<uint8_t>(in.payment_method));
  out.setCreditLevel(static_cast<uint8_t>(in.credit_level));
  out.setLifecycle(static_cast<uint8_t>(in.lifecycle));
  out.setOwner(in.owner);
  out.setTeam(ToText(in.team));
  EncodeTexts(in.tags, [&](unsigned n) { return out.initTags(n); });
  auto attributes = out.initAttributes(static_cast<unsigned>(in.attributes.size()));
  for (unsigned i = 0; i < in.attributes.size(); ++i) {
    attributes[i].setKey(ToText(in.attributes[i].key));
    attributes[i].setValue(ToText(in.attributes[i].value));
  }
  auto relations = out.initRelations(static_cast<unsigned>(in.relations.size()));
  for (unsigned i = 0; i < in.relations.size(); ++i) {
    relations[i].setCustomer(in.relations[i].customer);
    relations[i].setKind(static_cast<uint8_t>(in.relations[i].kind));
  }
  out.setGender(static_cast<uint8_t>(in.gender));
  out.setBirthYear(in.birth_year);
  out.setOccupation(ToText(in.occupation));
  out.setIncomeBand(static_cast<uint8_t>(in.income_band));
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::Customer::Reader in, Customer* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->external_ref = ToString(in.getExternalRef());
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getKind(), CustomerKind::kOrganization, "customer.kind", &out->kind));
  out->name = ToString(in.getName());
  out->tax_id = ToString(in.getTaxId());
  out->phones = DecodeTexts(in.getPhones());
  out->emails = DecodeTexts(in.getEmails());
  auto region = in.getRegion();
  out->region = Region{ToString(region.getCountry()), ToString(region.getProvince()),
                       ToString(region.getCity())};
  out->industry = ToString(in.getIndustry());
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getSizeBand(), SizeBand::kEnterprise, "customer.size_band", &out->size_band));
  out->category = ToString(in.getCategory());
  CRM_RETURN_IF_ERROR(ToEnum(in.getPaymentMethod(), PaymentMethod::kOther,
                             "customer.payment_method", &out->payment_method));
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getCreditLevel(), CreditLevel::kD, "customer.credit_level", &out->credit_level));
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getLifecycle(), Lifecycle::kChurned, "customer.lifecycle", &out->lifecycle));
  out->owner = in.getOwner();
  out->team = ToString(in.getTeam());
  out->tags = DecodeTexts(in.getTags());
  out->attributes.clear();
  for (auto a : in.getAttributes()) {
    out->attributes.push_back(Attribute{ToString(a.getKey()), ToString(a.getValue())});
  }
  out->relations.clear();
  for (auto r : in.getRelations()) {
    Relation relation{r.getCustomer(), RelationKind::kRelated};
    CRM_RETURN_IF_ERROR(
        ToEnum(r.getKind(), RelationKind::kRelated, "customer.relations.kind", &relation.kind));
    out->relations.push_back(relation);
  }
  CRM_RETURN_IF_ERROR(ToEnum(in.getGender(), Gender::kOther, "customer.gender", &out->gender));
  out->birth_year = in.getBirthYear();
  out->occupation = ToString(in.getOccupation());
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getIncomeBand(), IncomeBand::kHigh, "customer.income_band", &out->income_band));
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const Contact& in, schema::Contact::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setCustomer(in.customer);
  out.setName(ToText(in.name));
  out.setTitle(ToText(in.title));
  EncodeTexts(in.phones, [&](unsigned n) { return out.initPhones(n); });
  EncodeTexts(in.emails, [&](unsigned n) { return out.initEmails(n); });
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::Contact::Reader in, Contact* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->customer = in.getCustomer();
  out->name = ToString(in.getName());
  out->title = ToString(in.getTitle());
  out->phones = DecodeTexts(in.getPhones());
  out->emails = DecodeTexts(in.getEmails());
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const Interaction& in, schema::Interaction::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setCustomer(in.customer);
  out.setContact(in.contact);
  out.setChannel(static_cast<uint8_t>(in.channel));
  out.setDirection(static_cast<uint8_t>(in.direction));
  out.setTime(in.time);
  out.setAgent(in.agent);
  out.setSubject(ToText(in.subject));
  out.setNotes(ToText(in.notes));
  out.setOutcome(ToText(in.outcome));
  out.setDurationSeconds(in.duration_seconds);
  out.setSatisfaction(in.satisfaction);
  out.setComplaint(static_cast<uint8_t>(in.complaint));
  out.setOpportunity(in.opportunity);
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::Interaction::Reader in, Interaction* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->customer = in.getCustomer();
  out->contact = in.getContact();
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getChannel(), Channel::kSurvey, "interaction.channel", &out->channel));
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getDirection(), Direction::kOutbound, "interaction.direction", &out->direction));
  out->time = in.getTime();
  out->agent = in.getAgent();
  out->subject = ToString(in.getSubject());
  out->notes = ToString(in.getNotes());
  out->outcome = ToString(in.getOutcome());
  out->duration_seconds = in.getDurationSeconds();
  out->satisfaction = in.getSatisfaction();
  CRM_RETURN_IF_ERROR(ToEnum(in.getComplaint(), ComplaintState::kResolved,
                             "interaction.complaint", &out->complaint));
  out->opportunity = in.getOpportunity();
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const Transaction& in, schema::Transaction::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setCustomer(in.customer);
  out.setTime(in.time);
  EncodeMoney(in.amount, out.initAmount());
  out.setMarginMinorUnits(in.margin_minor_units);
  out.setProductCategory(ToText(in.product_category));
  out.setPaymentMethod(static_cast<uint8_t>(in.payment_method));
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::Transaction::Reader in, Transaction* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->customer = in.getCustomer();
  out->time = in.getTime();
  out->amount = DecodeMoney(in.getAmount());
  out->margin_minor_units = in.getMarginMinorUnits();
  out->product_category = ToString(in.getProductCategory());
  CRM_RETURN_IF_ERROR(ToEnum(in.getPaymentMethod(), PaymentMethod::kOther,
                             "transaction.payment_method", &out->payment_method));
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const Opportunity& in, schema::Opportunity::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setCustomer(in.customer);
  out.setName(ToText(in.name));
  out.setStage(static_cast<uint8_t>(in.stage));
  EncodeMoney(in.amount, out.initAmount());
  out.setProbability(in.probability);
  out.setExpectedClose(in.expected_close);
  out.setOwner(in.owner);
  out.setSource(ToText(in.source));
  out.setCampaign(ToText(in.campaign));
  out.setLostReason(ToText(in.lost_reason));
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::Opportunity::Reader in, Opportunity* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->customer = in.getCustomer();
  out->name = ToString(in.getName());
  CRM_RETURN_IF_ERROR(ToEnum(in.getStage(), Stage::kLost, "opportunity.stage", &out->stage));
  out->amount = DecodeMoney(in.getAmount());
  out->probability = in.getProbability();
  out->expected_close = in.getExpectedClose();
  out->owner = in.getOwner();
  out->source = ToString(in.getSource());
  out->campaign = ToString(in.getCampaign());
  out->lost_reason = ToString(in.getLostReason());
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const Contract& in, schema::Contract::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setCustomer(in.customer);
  out.setOpportunity(in.opportunity);
  out.setNumber(ToText(in.number));
  EncodeMoney(in.amount, out.initAmount());
  out.setSignedAt(in.signed_at);
  out.setStartAt(in.start_at);
  out.setEndAt(in.end_at);
  out.setStatus(static_cast<uint8_t>(in.status));
  out.setPaymentTerms(ToText(in.payment_terms));
  out.setPaidMinorUnits(in.paid_minor_units);
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
  out.setOwner(in.owner);
}

Status Decode(schema::Contract::Reader in, Contract* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->customer = in.getCustomer();
  out->opportunity = in.getOpportunity();
  out->number = ToString(in.getNumber());
  out->amount = DecodeMoney(in.getAmount());
  out->signed_at = in.getSignedAt();
  out->start_at = in.getStartAt();
  out->end_at = in.getEndAt();
  CRM_RETURN_IF_ERROR(
      ToEnum(in.getStatus(), ContractStatus::kTerminated, "contract.status", &out->status));
  out->payment_terms = ToString(in.getPaymentTerms());
  out->paid_minor_units = in.getPaidMinorUnits();
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  out->owner = in.getOwner();
  return Status::Ok();
}

void Encode(const Task& in, schema::Task::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setCustomer(in.customer);
  out.setAssignee(in.assignee);
  out.setDueAt(in.due_at);
  out.setTitle(ToText(in.title));
  out.setNotes(ToText(in.notes));
  out.setDone(in.done);
  out.setDoneAt(in.done_at);
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::Task::Reader in, Task* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->customer = in.getCustomer();
  out->assignee = in.getAssignee();
  out->due_at = in.getDueAt();
  out->title = ToString(in.getTitle());
  out->notes = ToString(in.getNotes());
  out->done = in.getDone();
  out->done_at = in.getDoneAt();
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const User& in, schema::User::Builder out) {
  out.setId(in.id);
  out.setRevision(in.revision);
  out.setName(ToText(in.name));
  out.setRole(static_cast<uint8_t>(in.role));
  out.setTeam(ToText(in.team));
  out.setTokenHash(ToText(in.token_hash));
  out.setActive(in.active);
  out.setCreatedAt(in.created_at);
  out.setUpdatedAt(in.updated_at);
}

Status Decode(schema::User::Reader in, User* out) {
  out->id = in.getId();
  out->revision = in.getRevision();
  out->name = ToString(in.getName());
  CRM_RETURN_IF_ERROR(ToEnum(in.getRole(), Role::kAgent, "user.role", &out->role));
  out->team = ToString(in.getTeam());
  out->token_hash = ToString(in.getTokenHash());
  out->active = in.getActive();
  out->created_at = in.getCreatedAt();
  out->updated_at = in.getUpdatedAt();
  return Status::Ok();
}

void Encode(const Record& in, schema::AnyRecord::Builder out) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, Customer>) Encode(r, out.initCustomer());
        else if constexpr (std::is_same_v<T, Contact>) Encode(r, out.initContact());
        else if constexpr (std::is_same_v<T, Interaction>) Encode(r, out.initInteraction());
        else if constexpr (std::is_same_v<T, Transaction>) Encode(r, out.initTransaction());
        else if constexpr (std::is_same_v<T, Opportunity>) Encode(r, out.initOpportunity());
        else if constexpr (std::is_same_v<T, Contract>) Encode(r, out.initContract());
        else if constexpr (std::is_same_v<T, Task>) Encode(r, out.initTask());
        else Encode(r, out.initUser());
      },
      in);
}

namespace {
template <typename T, typename R>
Status DecodeAs(R reader, Record* out) {
  T record;
  CRM_RETURN_IF_ERROR(Decode(reader, &record));
  *out = std::move(record);
  return Status::Ok();
}
}  // namespace

Status Decode(schema::AnyRecord::Reader in, Record* out) {
  switch (in.which()) {
    case schema::AnyRecord::CUSTOMER: return DecodeAs<Customer>(in.getCustomer(), out);
    case schema::AnyRecord::CONTACT: return DecodeAs<Contact>(in.getContact(), out);
    case schema::AnyRecord::INTERACTION: return DecodeAs<Interaction>(in.getInteraction(), out);
    case schema::AnyRecord::TRANSACTION: return DecodeAs<Transaction>(in.getTransaction(), out);
    case schema::AnyRecord::OPPORTUNITY: return DecodeAs<Opportunity>(in.getOpportunity(), out);
    case schema::AnyRecord::CONTRACT: return DecodeAs<Contract>(in.getContract(), out);
    case schema::AnyRecord::TASK: return DecodeAs<Task>(in.getTask(), out);
    case schema::AnyRecord::USER: return DecodeAs<User>(in.getUser(), out);
  }
  return Status::InvalidArgument("unknown record kind", "record");
}

void Encode(const AuditEntry& in, schema::AuditEntry::Builder out) {
  out.setSequence(in.sequence);
  out.setTime(in.time);
  out.setUser(in.user);
  out.setKind(static_cast<uint8_t>(in.kind));
  out.setEntity(static_cast<uint8_t>(in.entity));
  out.setRecord(in.record);
  if (in.old_value) Encode(*in.old_value, out.initOldValue());
  if (in.new_value) Encode(*in.new_value, out.initNewValue());
  out.setPermission(ToText(in.permission));
  out.setMessage(ToText(in.message));
}

Status Decode(schema::AuditEntry::Reader in, AuditEntry* out) {
  out->sequence = in.getSequence();
  out->time = in.getTime();
  out->user = in.getUser();
  CRM_RETURN_IF_ERROR(ToEnum(in.getKind(), WriteKind::kDenied, "audit.kind", &out->kind));
  uint8_t entity = in.getEntity();
  if (entity < 1 || entity > kEntityKindCount) {
    return Status::InvalidArgument("unknown entity kind " + std::to_string(entity), "audit.entity");
  }
  out->entity = static_cast<EntityKind>(entity);
  out->record = in.getRecord();
  out->old_value.reset();
  out->new_value.reset();
  if (in.hasOldValue()) {
    CRM_RETURN_IF_ERROR(Decode(in.getOldValue(), &out->old_value.emplace()));
  }
  if (in.hasNewValue()) {
    CRM_RETURN_IF_ERROR(Decode(in.getNewValue(), &out->new_value.emplace()));
  }
  out->permission = ToString(in.getPermission());
  out->message = ToString(in.getMessage());
  return Status::Ok();
}

void Encode(const ScoringConfig& in, schema::ScoringConfig::Builder out) {
  out.setVersion(in.version);
  out.setChangedBy(in.changed_by);
  out.setChangedAt(in.changed_at);
  out.setWindowDays(in.window_days);
  auto factors = out.initFactors(kFactorCount);
  for (int f = 0; f < kFactorCount; ++f) {
    auto w = factors[f];
    std::string_view name = Name(static_cast<Factor>(f));
    w.setFactor(capnp::Text::Reader(name.data(), name.size()));
    w.setCurrent(in.current_weights[f]);
    w.setPotential(in.potential_weights[f]);
    w.setUnit(in.units[f]);
  }
  out.setParetoPercent(in.pareto_percent);
  out.setPotentialHighPercent(in.potential_high_percent);
  out.setHighClassPercent(in.high_class_percent);
  out.setMidClassPercent(in.mid_class_percent);
  out.setRecencyHalfLifeDays(in.recency_half_life_days);
  out.setServiceContactCost(in.service_contact_cost);
  out.setServiceHourCost(in.service_hour_cost);
  out.setDiscountRate(in.discount_rate);
  out.setLoyaltyTenureDays(in.loyalty_tenure_days);
}

Status Decode(schema::ScoringConfig::Reader in, ScoringConfig* out) {
  ScoringConfig c = ScoringConfig::Default();
  c.version = in.getVersion();
  c.changed_by = in.getChangedBy();
  c.changed_at = in.getChangedAt();
  c.window_days = in.getWindowDays();
  c.current_weights.fill(0);
  c.potential_weights.fill(0);
  std::array<bool, kFactorCount> seen{};
  auto factors = in.getFactors();
  for (unsigned i = 0; i < factors.size(); ++i) {
    auto w = factors[i];
    std::string field = "factors[" + std::to_string(i) + "].factor";
    auto text = w.getFactor();
    Factor f;
    if (!Parse(std::string_view(text.cStr(), text.size()), &f)) {
      return Status::InvalidArgument(
          "unknown factor '" + std::string(text.cStr(), text.size()) + "'", field);
    }
    auto index = static_cast<size_t>(f);
    if (seen[index]) {
      return Status::InvalidArgument("factor '" + std::string(Name(f)) + "' appears twice", field);
    }
    seen[index] = true;
    c.current_weights[index] = w.getCurrent();
    c.potential_weights[index] = w.getPotential();
    c.units[index] = w.getUnit();
  }
  c.pareto_percent = in.getParetoPercent();
  c.potential_high_percent = in.getPotentialHighPercent();
  c.high_class_percent = in.getHighClassPercent();
  c.mid_class_percent = in.getMidClassPercent();
  c.recency_half_life_days = in.getRecencyHalfLifeDays();
  c.service_contact_cost = in.getServiceContactCost();
  c.service_hour_cost = in.getServiceHourCost();
  c.discount_rate = in.getDiscountRate();
  c.loyalty_tenure_days = in.getLoyaltyTenureDays();
  *out = c;
  return Status::Ok();
}

}  // namespace crm::engine
