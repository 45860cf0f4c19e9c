# crm records: the one schema for what LMDB stores and what the wire carries.
#
# Evolution rules: never renumber or retype a field; add fields only at the end
# with the next ordinal; enums only grow. Enum values match the C++ enums in
# crm/engine/model.h one for one (the engine range-checks them on decode).
@0x827fbb079d93a7ea;

$import "/capnp/c++.capnp".namespace("crm::schema");

struct Money {
  minorUnits @0 :Int64;
  currency @1 :Text;  # ISO 4217, 3 letters
}

struct Region {
  country @0 :Text;
  province @1 :Text;
  city @2 :Text;
}

struct Relation {
  customer @0 :UInt64;
  kind @1 :UInt8;  # RelationKind
}

struct Attribute {
  key @0 :Text;
  value @1 :Text;
}

struct Customer {
  id @0 :UInt64;
  revision @1 :UInt64;
  externalRef @2 :Text;
  kind @3 :UInt8;  # CustomerKind
  name @4 :Text;
  taxId @5 :Text;
  phones @6 :List(Text);
  emails @7 :List(Text);
  region @8 :Region;
  industry @9 :Text;
  sizeBand @10 :UInt8;
  category @11 :Text;
  paymentMethod @12 :UInt8;
  creditLevel @13 :UInt8;
  lifecycle @14 :UInt8;
  owner @15 :UInt64;
  team @16 :Text;
  tags @17 :List(Text);
  attributes @18 :List(Attribute);
  relations @19 :List(Relation);
  gender @20 :UInt8;
  birthYear @21 :UInt16;
  occupation @22 :Text;
  incomeBand @23 :UInt8;
  createdAt @24 :Int64;
  updatedAt @25 :Int64;
}

struct Contact {
  id @0 :UInt64;
  revision @1 :UInt64;
  customer @2 :UInt64;
  name @3 :Text;
  title @4 :Text;
  phones @5 :List(Text);
  emails @6 :List(Text);
  createdAt @7 :Int64;
  updatedAt @8 :Int64;
}

struct Interaction {
  id @0 :UInt64;
  revision @1 :UInt64;
  customer @2 :UInt64;
  contact @3 :UInt64;
  channel @4 :UInt8;
  direction @5 :UInt8;
  time @6 :Int64;
  agent @7 :UInt64;
  subject @8 :Text;
  notes @9 :Text;
  outcome @10 :Text;
  durationSeconds @11 :UInt32;
  satisfaction @12 :UInt8;
  complaint @13 :UInt8;  # ComplaintState
  opportunity @14 :UInt64;
  createdAt @15 :Int64;
  updatedAt @16 :Int64;
}

struct Transaction {
  id @0 :UInt64;
  revision @1 :UInt64;
  customer @2 :UInt64;
  time @3 :Int64;
  amount @4 :Money;
  marginMinorUnits @5 :Int64;
  productCategory @6 :Text;
  paymentMethod @7 :UInt8;
  createdAt @8 :Int64;
  updatedAt @9 :Int64;
}

struct Opportunity {
  id @0 :UInt64;
  revision @1 :UInt64;
  customer @2 :UInt64;
  name @3 :Text;
  stage @4 :UInt8;
  amount @5 :Money;
  probability @6 :UInt8;
  expectedClose @7 :Int64;
  owner @8 :UInt64;
  source @9 :Text;
  campaign @10 :Text;
  lostReason @11 :Text;
  createdAt @12 :Int64;
  updatedAt @13 :Int64;
}

struct Contract {
  id @0 :UInt64;
  revision @1 :UInt64;
  customer @2 :UInt64;
  opportunity @3 :UInt64;
  number @4 :Text;
  amount @5 :Money;
  signedAt @6 :Int64;
  startAt @7 :Int64;
  endAt @8 :Int64;
  status @9 :UInt8;
  paymentTerms @10 :Text;
  paidMinorUnits @11 :Int64;
  createdAt @12 :Int64;
  updatedAt @13 :Int64;
  owner @14 :UInt64;  # user
}

struct Task {
  id @0 :UInt64;
  revision @1 :UInt64;
  customer @2 :UInt64;
  assignee @3 :UInt64;
  dueAt @4 :Int64;
  title @5 :Text;
  notes @6 :Text;
  done @7 :Bool;
  doneAt @8 :Int64;
  createdAt @9 :Int64;
  updatedAt @10 :Int64;
}

struct User {
  id @0 :UInt64;
  revision @1 :UInt64;
  name @2 :Text;
  role @3 :UInt8;
  team @4 :Text;
  tokenHash @5 :Text;
  active @6 :Bool;
  createdAt @7 :Int64;
  updatedAt @8 :Int64;
}

struct AuditEntry {
  sequence @0 :UInt64;
  time @1 :Int64;
  user @2 :UInt64;
  kind @3 :UInt8;    # WriteKind (3 = denied: a refused request)
  entity @4 :UInt8;  # EntityKind
  record @5 :UInt64;
  oldValue @6 :AnyRecord;   # unset on create and denial; token hashes never stored
  newValue @7 :AnyRecord;   # unset on delete and denial
  permission @8 :Text;      # denied: the missing permission
  message @9 :Text;         # denied: the refusal; else the write's note (handover)
}

# Any one record, for audit values.
struct AnyRecord {
  union {
    customer @0 :Customer;
    contact @1 :Contact;
    interaction @2 :Interaction;
    transaction @3 :Transaction;
    opportunity @4 :Opportunity;
    contract @5 :Contract;
    task @6 :Task;
    user @7 :User;
  }
}

# The single meta record of a data directory.
struct Meta {
  schemaVersion @0 :UInt32;
  # Last id handed out, indexed by EntityKind (index 0 unused).
  lastIds @1 :List(UInt64);
  lastAuditSequence @2 :UInt64;
  # Audit entries up to this sequence are in the audit_by_record and
  # audit_by_user indexes (a build without them leaves it 0; the next open
  # indexes what is missing).
  auditIndexedThrough @3 :UInt64;
}

# One version of the value model's configuration (see crm/engine/value.h).
struct ScoringConfig {
  version @0 :UInt64;
  changedBy @1 :UInt64;
  changedAt @2 :Int64;
  windowDays @3 :UInt32;
  factors @4 :List(FactorWeights);  # by factor name; a factor left out weighs 0
  paretoPercent @5 :Float64;
  potentialHighPercent @6 :Float64;
  highClassPercent @7 :Float64;
  midClassPercent @8 :Float64;
  recencyHalfLifeDays @9 :UInt32;
  serviceContactCost @10 :Int64;
  serviceHourCost @11 :Int64;
  discountRate @12 :Float64;
  loyaltyTenureDays @13 :UInt32;
}

struct FactorWeights {
  factor @0 :Text;       # "revenue", "profit", ... (Factor names)
  current @1 :Float64;   # weight in the current value
  potential @2 :Float64; # weight in the potential value
  unit @3 :Float64;      # log scale unit (unbounded factors)
}
