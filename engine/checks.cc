// EngineImpl: the checks an op passes before it is applied: fields,
// references, unique keys.
#include "engine_impl.h"
#include "validate.h"

namespace crm::engine::internal {

namespace {

// Checks that the records `r` names exist (and belong to its customer).
template <typename T>
Status CheckReferences(const Staging& staging, const T& r) {
  std::string entity(Name(EntityOf<T>));
  auto user_exists = [&](Id user, const char* field) {
    if (user == 0 || staging.Find<User>(user) != nullptr) return Status::Ok();
    return Status::NotFound("no user has id " + std::to_string(user), entity + "." + field);
  };
  const Customer* customer = nullptr;
  if constexpr (!std::is_same_v<T, Customer> && !std::is_same_v<T, User>) {
    if (r.customer != 0) {
      customer = staging.Find<Customer>(r.customer);
      if (customer == nullptr) {
        return Status::NotFound("no customer has id " + std::to_string(r.customer),
                                entity + ".customer");
      }
    }
  }
  auto belongs = [&](const auto* found, Id id, const char* kind, const char* field) {
    if (id == 0) return Status::Ok();
    if (found == nullptr) {
      return Status::NotFound("no " + std::string(kind) + " has id " + std::to_string(id),
                              entity + "." + field);
    }
    if (found->customer != CustomerOf(r)) {
      return Status::InvalidArgument(std::string(kind) + " " + std::to_string(id) +
                                         " belongs to customer " + std::to_string(found->customer) +
                                         ", not " + std::to_string(CustomerOf(r)),
                                     entity + "." + field);
    }
    return Status::Ok();
  };
  if constexpr (std::is_same_v<T, Customer>) {
    CRM_RETURN_IF_ERROR(user_exists(r.owner, "owner"));
    for (size_t i = 0; i < r.relations.size(); ++i) {
      std::string field = "customer.relations[" + std::to_string(i) + "].customer";
      if (r.relations[i].customer == r.id) {
        return Status::InvalidArgument("a customer cannot relate to itself", field);
      }
      if (staging.Find<Customer>(r.relations[i].customer) == nullptr) {
        return Status::NotFound("no customer has id " + std::to_string(r.relations[i].customer),
                                field);
      }
    }
    if (r.id != 0 && r.kind != CustomerKind::kOrganization &&
        !staging.Children<Contact>(r.id).empty()) {
      return Status::InvalidArgument("contacts belong to organizations; delete customer " +
                                         std::to_string(r.id) +
                                         "'s contacts before making it an individual",
                                     "customer.kind");
    }
  } else if constexpr (std::is_same_v<T, Contact>) {
    if (customer->kind != CustomerKind::kOrganization) {
      return Status::InvalidArgument("contacts belong to organizations; customer " +
                                         std::to_string(r.customer) + " is an individual",
                                     "contact.customer");
    }
  } else if constexpr (std::is_same_v<T, Interaction>) {
    CRM_RETURN_IF_ERROR(belongs(staging.Find<Contact>(r.contact), r.contact, "contact", "contact"));
    CRM_RETURN_IF_ERROR(user_exists(r.agent, "agent"));
    CRM_RETURN_IF_ERROR(belongs(staging.Find<Opportunity>(r.opportunity), r.opportunity,
                                "opportunity", "opportunity"));
  } else if constexpr (std::is_same_v<T, Opportunity>) {
    CRM_RETURN_IF_ERROR(user_exists(r.owner, "owner"));
  } else if constexpr (std::is_same_v<T, Contract>) {
    CRM_RETURN_IF_ERROR(belongs(staging.Find<Opportunity>(r.opportunity), r.opportunity,
                                "opportunity", "opportunity"));
    CRM_RETURN_IF_ERROR(user_exists(r.owner, "owner"));
  } else if constexpr (std::is_same_v<T, Task>) {
    CRM_RETURN_IF_ERROR(user_exists(r.assignee, "assignee"));
  }
  return Status::Ok();
}

// Checks that no other record holds a phone, email or external ref of
// `record`.
Status CheckUniqueKeys(const Staging& staging, const Record& record) {
  KeyOwner self;
  const std::vector<std::string>* phones = nullptr;
  const std::vector<std::string>* emails = nullptr;
  std::string entity;
  if (auto* c = std::get_if<Customer>(&record)) {
    self = {c->id, 0};
    phones = &c->phones;
    emails = &c->emails;
    entity = "customer";
    if (!c->external_ref.empty()) {
      Id owner = staging.ExternalRefOwner(c->external_ref);
      if (owner != 0 && (c->id == 0 || owner != c->id)) {
        return Status::AlreadyExists("external ref \"" + c->external_ref +
                                         "\" already belongs to customer " + std::to_string(owner),
                                     "customer.external_ref", owner);
      }
    }
  } else if (auto* c = std::get_if<Contact>(&record)) {
    self = {c->customer, c->id};
    phones = &c->phones;
    emails = &c->emails;
    entity = "contact";
  } else {
    return Status::Ok();
  }
  auto check = [&](const std::vector<std::string>& keys, bool phone) {
    for (size_t i = 0; i < keys.size(); ++i) {
      KeyOwner owner = phone ? staging.PhoneOwner(keys[i]) : staging.EmailOwner(keys[i]);
      if (owner.customer == 0) continue;
      // A key is the record's own only when this very record holds it: a new
      // contact (id 0) holds nothing, and a contact never shares a key with
      // its organization.
      bool is_self = entity == "customer" ? self.customer != 0 && owner.contact == 0 &&
                                                owner.customer == self.customer
                                          : self.contact != 0 && owner.contact == self.contact;
      if (is_self) continue;
      std::string holder = owner.contact ? "contact " + std::to_string(owner.contact) +
                                               " of customer " + std::to_string(owner.customer)
                                         : "customer " + std::to_string(owner.customer);
      return Status::AlreadyExists(
          std::string(phone ? "phone " : "email ") + keys[i] + " already belongs to " + holder,
          entity + (phone ? ".phones[" : ".emails[") + std::to_string(i) + "]", owner.customer);
    }
    return Status::Ok();
  };
  CRM_RETURN_IF_ERROR(check(*phones, true));
  return check(*emails, false);
}

}  // namespace

template <typename T>
Status EngineImpl::CheckRecord(const Staging& staging, const OpContext& ctx, Record& record) const {
  if (ctx.fields != nullptr) {
    CRM_RETURN_IF_ERROR(*ctx.fields);  // checked and normalized by Enqueue
  } else {
    CRM_RETURN_IF_ERROR(ValidateFields(record, options_.default_region));
  }
  CRM_RETURN_IF_ERROR(CheckReferences(staging, std::get<T>(record)));
  return CheckUniqueKeys(staging, record);
}

#define CRM_INSTANTIATE_CHECK_RECORD(T)                                                    \
  template Status EngineImpl::CheckRecord<T>(const Staging& staging, const OpContext& ctx, \
                                             Record& record) const;
CRM_INSTANTIATE_CHECK_RECORD(Customer)
CRM_INSTANTIATE_CHECK_RECORD(Contact)
CRM_INSTANTIATE_CHECK_RECORD(Interaction)
CRM_INSTANTIATE_CHECK_RECORD(Transaction)
CRM_INSTANTIATE_CHECK_RECORD(Opportunity)
CRM_INSTANTIATE_CHECK_RECORD(Contract)
CRM_INSTANTIATE_CHECK_RECORD(Task)
CRM_INSTANTIATE_CHECK_RECORD(User)
#undef CRM_INSTANTIATE_CHECK_RECORD

}  // namespace crm::engine::internal
