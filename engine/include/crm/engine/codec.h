// Conversion between model types and their Cap'n Proto form (records.capnp),
// the one encoding used on disk and on the wire.
//
// Encode* never fail. Decode* accept untrusted readers: they copy every field
// and range-check every enum, returning InvalidArgument (naming the field) for
// an out-of-range value. A malformed message makes the Cap'n Proto getters
// throw kj::Exception; callers catch it at their boundary.
#pragma once

#include <capnp/message.h>

#include <string_view>

#include "crm/engine/model.h"
#include "crm/engine/status.h"
#include "crm/engine/value.h"
#include "records.capnp.h"

namespace crm::engine {

void Encode(const Customer& in, schema::Customer::Builder out);
void Encode(const Contact& in, schema::Contact::Builder out);
void Encode(const Interaction& in, schema::Interaction::Builder out);
void Encode(const Transaction& in, schema::Transaction::Builder out);
void Encode(const Opportunity& in, schema::Opportunity::Builder out);
void Encode(const Contract& in, schema::Contract::Builder out);
void Encode(const Task& in, schema::Task::Builder out);
void Encode(const User& in, schema::User::Builder out);
void Encode(const AuditEntry& in, schema::AuditEntry::Builder out);
void Encode(const ScoringConfig& in, schema::ScoringConfig::Builder out);
void Encode(const Record& in, schema::AnyRecord::Builder out);

Status Decode(schema::Customer::Reader in, Customer* out);
Status Decode(schema::Contact::Reader in, Contact* out);
Status Decode(schema::Interaction::Reader in, Interaction* out);
Status Decode(schema::Transaction::Reader in, Transaction* out);
Status Decode(schema::Opportunity::Reader in, Opportunity* out);
Status Decode(schema::Contract::Reader in, Contract* out);
Status Decode(schema::Task::Reader in, Task* out);
Status Decode(schema::User::Reader in, User* out);
Status Decode(schema::AuditEntry::Reader in, AuditEntry* out);
// Unknown factor names and repeated factors are InvalidArgument; the config
// is not validated (see Validate in value.h).
Status Decode(schema::ScoringConfig::Reader in, ScoringConfig* out);
Status Decode(schema::AnyRecord::Reader in, Record* out);

// The schema struct for each model type: SchemaOf<Customer> is schema::Customer.
template <typename T> struct SchemaFor;
template <> struct SchemaFor<Customer> { using type = schema::Customer; };
template <> struct SchemaFor<Contact> { using type = schema::Contact; };
template <> struct SchemaFor<Interaction> { using type = schema::Interaction; };
template <> struct SchemaFor<Transaction> { using type = schema::Transaction; };
template <> struct SchemaFor<Opportunity> { using type = schema::Opportunity; };
template <> struct SchemaFor<Contract> { using type = schema::Contract; };
template <> struct SchemaFor<Task> { using type = schema::Task; };
template <> struct SchemaFor<User> { using type = schema::User; };
template <> struct SchemaFor<AuditEntry> { using type = schema::AuditEntry; };
template <> struct SchemaFor<ScoringConfig> { using type = schema::ScoringConfig; };
template <typename T> using SchemaOf = typename SchemaFor<T>::type;

}  // namespace crm::engine
