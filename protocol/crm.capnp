# crm wire protocol: one Request message and one Response message per frame,
# in Cap'n Proto's standard stream framing (segment table, then segments),
# over TCP. Any Cap'n Proto implementation can speak it with this file and
# records.capnp. See protocol/README.md for the contract.
#
# Evolution: fields are only ever added, with the next ordinal; enums (carried
# as UInt8, values as in records.capnp) only grow.
@0x99e0724870b53a30;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("crm::wire");

using R = import "/records.capnp";  # from engine/schema, on the import path

const protocolVersion :UInt32 = 1;

# Stable codes, as crm::engine::Code: 1 not_found, 2 invalid_argument,
# 3 already_exists, 4 permission_denied, 5 conflict, 6 unavailable,
# 7 internal, 8 in_use, 9 failed_precondition.
struct Error {
  code @0 :UInt8;
  message @1 :Text;
  field @2 :Text;        # the offending field ("customer.phones[1]"), or empty
  existingId @3 :UInt64; # already_exists: the record that holds the key
}

# --- handshake: the first request of every connection

struct Hello {
  protocolVersion @0 :UInt32;
  token @1 :Text;
}

struct HelloReply {
  protocolVersion @0 :UInt32;
  serverVersion @1 :Text;
  user @2 :R.User;  # who the token belongs to (tokenHash left empty)
}

# --- cards and history

struct CardKey {
  union {
    id @0 :UInt64;
    phone @1 :Text;        # any common format; E.164 is the fast path
    email @2 :Text;
    externalRef @3 :Text;
  }
}

struct CardOptions {
  recentInteractions @0 :UInt32 = 10;  # at most 1000
  dueTasks @1 :UInt32 = 20;            # at most 1000
}

struct RelatedCustomer {
  id @0 :UInt64;
  name @1 :Text;
  kind @2 :UInt8;  # RelationKind
  incoming @3 :Bool;
}

# One factor of a customer's value (see crm/engine/value.h) and what it adds
# to each score.
struct FactorValue {
  factor @0 :Text;        # "revenue", "profit", ... (Factor names)
  raw @1 :Float64;        # in the factor's own unit
  normalized @2 :Float64; # after log scaling (bounded factors: as they are)
  current @3 :Float64;    # weighted contribution to the current value
  potential @4 :Float64;  # weighted contribution to the potential value
}

struct ValueSummary {
  scored @0 :Bool;
  currentValue @1 :Float64;
  potentialValue @2 :Float64;
  tier @3 :Text;        # "none", "key", "development", "maintenance", "opportunity"
  valueClass @4 :Text;  # "none", "high", "mid", "low"
  highCurrent @5 :Bool;     # within the Pareto set
  highPotential @6 :Bool;   # within the top potentialHighPercent by potential value
  currentRank @7 :UInt64;   # 1 = the highest current value
  customers @8 :UInt64;     # customers ranked
  asOf @9 :Int64;           # the time the value windows end at
  configVersion @10 :UInt64;
  factors @11 :List(FactorValue);  # every factor, in Factor order
}

struct Card {
  customer @0 :R.Customer;
  contacts @1 :List(R.Contact);
  value @2 :ValueSummary;
  recentInteractions @3 :List(R.Interaction);  # newest first
  openOpportunities @4 :List(R.Opportunity);
  activeContracts @5 :List(R.Contract);
  openComplaints @6 :List(R.Interaction);      # newest first
  dueTasks @7 :List(R.Task);                   # earliest due first
  related @8 :List(RelatedCustomer);
  interactionCount @9 :UInt64;
  transactionCount @10 :UInt64;
  lastInteractionAt @11 :Int64;
  lastTransactionAt @12 :Int64;
}

struct HistoryQuery {
  customer @0 :UInt64;
  cursor @1 :Text;          # next_cursor of the previous page; empty = newest
  limit @2 :UInt32 = 100;   # 1..10000
  interactions @3 :Bool = true;
  transactions @4 :Bool = true;
  channelMask @5 :UInt32;   # bit (1 << Channel); 0 = every channel
  from @6 :Int64;           # inclusive, 0 = unbounded
  to @7 :Int64;             # exclusive, 0 = unbounded
}

struct HistoryEntry {
  union {
    interaction @0 :R.Interaction;
    transaction @1 :R.Transaction;
  }
}

struct HistoryPage {
  entries @0 :List(HistoryEntry);  # newest first
  nextCursor @1 :Text;             # empty: nothing older
}

# --- records and writes

struct Record {
  union {
    customer @0 :R.Customer;
    contact @1 :R.Contact;
    interaction @2 :R.Interaction;
    transaction @3 :R.Transaction;
    opportunity @4 :R.Opportunity;
    contract @5 :R.Contract;
    task @6 :R.Task;
    user @7 :R.User;
  }
}

struct EntityRef {
  entity @0 :UInt8;  # EntityKind (1 customer .. 8 user)
  id @1 :UInt64;
}

struct WriteOp {
  union {
    create @0 :Record;  # id must be 0
    update @1 :Record;  # full replacement; revision 0 = unconditional
    delete :group {
      entity @2 :UInt8;
      id @3 :UInt64;
      cascade @4 :Bool;
    }
    import :group {       # admin only: the record as given, id and times kept
      record @5 :Record;
      replace @6 :Bool;   # replace a stored record of the same id
    }
  }
}

struct WriteResult {
  union {
    ok :group {
      id @0 :UInt64;
      revision @1 :UInt64;
    }
    error @2 :Error;
  }
}

struct Counts {
  customers @0 :UInt64;
  contacts @1 :UInt64;
  interactions @2 :UInt64;
  transactions @3 :UInt64;
  opportunities @4 :UInt64;
  contracts @5 :UInt64;
  tasks @6 :UInt64;
  users @7 :UInt64;
  auditEntries @8 :UInt64;
}

# A hot backup written by the server, on the server's file system.
struct BackupRequest {
  path @0 :Text;        # a new or empty directory, or a new file with singleFile
  singleFile @1 :Bool;
  compact @2 :Bool = true;
}

struct BackupInfo {
  path @0 :Text;
  dataFile @1 :Text;
  manifestFile @2 :Text;
  bytes @3 :UInt64;
  xxh3 @4 :UInt64;
  auditSequence @5 :UInt64;
  counts @6 :Counts;
  micros @7 :UInt64;
}

struct NewUser {
  name @0 :Text;
  role @1 :UInt8;  # Role: 0 admin, 1 manager, 2 agent
  team @2 :Text;
}

struct CreatedUser {
  user @0 :R.User;  # tokenHash left empty
  token @1 :Text;   # shown once; the server keeps only its hash
}

# --- value, tiers and reports

# The global cut-offs of the moment (scores as in ValueSummary).
struct Cutoffs {
  paretoCurrent @0 :Float64;  # current value >= this (and > 0): high current
  highPotential @1 :Float64;  # potential value >= this (and > 0): high potential
  classHigh @2 :Float64;
  classMid @3 :Float64;
  customers @4 :UInt64;
  totalCurrent @5 :Float64;
}

struct ScoringState {
  config @0 :R.ScoringConfig;           # in force (version 0: the built-in default)
  history @1 :List(R.ScoringConfig);    # every stored version, oldest first
  cutoffs @2 :Cutoffs;
}

struct ReportQuery {
  union {
    pareto :group {
      metric @0 :Text;            # "current_value" (also ""), "revenue", "profit"
      points @1 :UInt32 = 20;     # 1..1000
      asOf @2 :Int64;             # 0 = the maintained model
    }
    tiers :group {
      since @3 :Int64;            # movements since; 0 = none
      asOf @4 :Int64;
    }
    group :group {
      dimension @5 :Text;         # Dimension name: "industry", "country", ...
      asOf @6 :Int64;
    }
    pipeline @7 :Void;
    contracts :group {
      expiringDays @8 :UInt32 = 30;
      asOf @9 :Int64;
    }
    churn :group {
      inactiveDays @10 :UInt32 = 90;
      revenueDrop @11 :Float64 = 0.5;  # 0..1
      limit @12 :UInt32 = 100;         # 1..10000
      asOf @13 :Int64;
    }
    satisfaction :group {
      asOf @14 :Int64;
    }
    conversion :group {
      byCampaign @15 :Bool;       # false: by lead source
    }
    ownerKpis :group {
      asOf @16 :Int64;
    }
  }
}

struct ParetoPoint {
  customers @0 :Float64;  # top share of customers, 0..1
  value @1 :Float64;      # share of the total they hold, 0..1
}

struct ParetoReport {
  asOf @0 :Int64;
  customers @1 :UInt64;
  total @2 :Float64;   # of the metric (money metrics in minor units)
  top10 @3 :Float64;   # share of the total held by the top 10% of customers
  top20 @4 :Float64;
  top50 @5 :Float64;
  customersFor80 @6 :Float64;  # fewest customers (share) holding 80% of the total
  curve @7 :List(ParetoPoint); # ascending, ending at (1, 1) when total > 0
}

struct TierCount {
  tier @0 :Text;
  customers @1 :UInt64;
  value @2 :Float64;  # sum of current value
}

struct TierMovement {
  from @0 :Text;  # tier names; "none": did not exist / no longer exists
  to @1 :Text;
  customers @2 :UInt64;
}

struct TierReport {
  asOf @0 :Int64;
  configVersion @1 :UInt64;
  cutoffs @2 :Cutoffs;
  tiers @3 :List(TierCount);          # every tier, "none" first
  valueClasses @4 :List(UInt64);      # customers per value class: none, high, mid, low
  hasBaseline @5 :Bool;
  baselineAt @6 :Int64;
  movements @7 :List(TierMovement);   # only the non-zero cells
}

struct GroupRow {
  key @0 :Text;
  customers @1 :UInt64;
  revenue @2 :Int64;   # minor units
  profit @3 :Int64;
  pipeline @4 :Int64;
  currentValue @5 :Float64;
  potentialValue @6 :Float64;
  keyCustomers @7 :UInt64;
}

struct GroupReport {
  asOf @0 :Int64;
  dimension @1 :Text;
  rows @2 :List(GroupRow);
}

struct PipelineRow {
  stage @0 :UInt8;  # Stage
  count @1 :UInt64;
  amount @2 :Int64;
  weighted @3 :Int64;
  conversion @4 :Float64;  # -1 for won and lost
}

struct PipelineReport {
  stages @0 :List(PipelineRow);
  open @1 :UInt64;
  openAmount @2 :Int64;
  openWeighted @3 :Int64;
  winRate @4 :Float64;
}

struct ContractRow {
  status @0 :UInt8;  # ContractStatus
  count @1 :UInt64;
  amount @2 :Int64;
  paid @3 :Int64;
  outstanding @4 :Int64;
}

struct ContractReport {
  asOf @0 :Int64;
  statuses @1 :List(ContractRow);
  expiringDays @2 :UInt32;
  expiring @3 :UInt64;
  expiringAmount @4 :Int64;
  overduePayment @5 :UInt64;
}

struct ChurnRow {
  customer @0 :UInt64;
  name @1 :Text;
  owner @2 :UInt64;
  lastActivity @3 :Int64;
  daysInactive @4 :UInt32;
  revenue @5 :Int64;
  previousRevenue @6 :Int64;
  currentValue @7 :Float64;
  tier @8 :Text;
  inactive @9 :Bool;
  falling @10 :Bool;
}

struct ChurnReport {
  asOf @0 :Int64;
  atRisk @1 :UInt64;
  rows @2 :List(ChurnRow);
}

struct SatisfactionReport {
  asOf @0 :Int64;
  rated @1 :UInt64;
  average @2 :Float64;
  ratings @3 :List(UInt64);  # five counts, [0] = 1 star
  complaints @4 :UInt64;
  open @5 :UInt64;
  inProgress @6 :UInt64;
  resolved @7 :UInt64;
  customersRated @8 :UInt64;
  customersWithComplaints @9 :UInt64;
}

struct ConversionRow {
  key @0 :Text;
  opportunities @1 :UInt64;
  won @2 :UInt64;
  lost @3 :UInt64;
  open @4 :UInt64;
  winRate @5 :Float64;
  wonAmount @6 :Int64;
  openWeighted @7 :Int64;
}

struct ConversionReport {
  byCampaign @0 :Bool;
  rows @1 :List(ConversionRow);
}

struct OwnerKpiRow {
  owner @0 :UInt64;
  name @1 :Text;
  customers @2 :UInt64;
  keyCustomers @3 :UInt64;
  revenue @4 :Int64;
  previousRevenue @5 :Int64;
  growth @6 :Float64;
  interactions @7 :UInt64;
  contactsPerKeyCustomer @8 :Float64;
  openComplaints @9 :UInt64;
  overdueTasks @10 :UInt64;
}

struct OwnerKpiReport {
  asOf @0 :Int64;
  rows @1 :List(OwnerKpiRow);
}

struct Report {
  union {
    pareto @0 :ParetoReport;
    tiers @1 :TierReport;
    group @2 :GroupReport;
    pipeline @3 :PipelineReport;
    contracts @4 :ContractReport;
    churn @5 :ChurnReport;
    satisfaction @6 :SatisfactionReport;
    conversion @7 :ConversionReport;
    ownerKpis @8 :OwnerKpiReport;
  }
}

# --- operations: handover and stats

struct Handover {
  from @0 :UInt64;     # the user whose customers, opportunities, contracts and open tasks move
  to @1 :UInt64;       # one receiver, or 0 with toTeam
  toTeam @2 :Text;     # spread over the team's active users, least loaded first
  deactivate @3 :Bool; # then set `from` inactive: its tokens stop working
  newTeam @4 :Text;    # non-empty: `from` moves to this team (and stays active)
}

struct HandoverReceiver {
  user @0 :UInt64;
  customers @1 :UInt64;
}

struct HandoverResult {
  customers @0 :UInt64;
  opportunities @1 :UInt64;
  contracts @2 :UInt64;
  tasks @3 :UInt64;
  receivers @4 :List(HandoverReceiver);
  deactivated @5 :Bool;
}

# One kind of request since the server started. Latencies are from the
# request's arrival to its response being ready (writes: after the commit),
# in microseconds, from a log-linear histogram (within 12.5%).
struct OpStats {
  name @0 :Text;            # "card", "write", ...
  requests @1 :UInt64;
  errors @2 :UInt64;        # answered with Response.error
  ratePerSecond @3 :Float64;  # over the last minute (since start if younger)
  p50Micros @4 :Float64;
  p90Micros @5 :Float64;
  p99Micros @6 :Float64;
  p999Micros @7 :Float64;
  maxMicros @8 :Float64;
}

struct Stats {
  uptimeMicros @0 :Int64;
  connections @1 :UInt64;       # open now
  connectionsTotal @2 :UInt64;  # accepted since start
  counts @3 :Counts;
  residentBytes @4 :UInt64;     # the process's resident memory
  storeBytes @5 :UInt64;        # accounted in-memory store (refreshed at most every minute)
  storeBytesAgeMicros @6 :Int64;  # how old storeBytes is
  lmdbFileBytes @7 :UInt64;
  lmdbUsedBytes @8 :UInt64;
  lmdbMapBytes @9 :UInt64;
  writerBatches @10 :UInt64;
  writerOps @11 :UInt64;
  ops @12 :List(OpStats);
}

# --- the sales flow

# Turns a lead into an active customer in one atomic write, audited as one
# entry per record: the customer's update (lifecycle lead -> active) and,
# optionally, the creation of its first opportunity and of a first
# follow-up task. Nothing is applied unless all of it is.
struct ConvertLead {
  customer @0 :UInt64;   # the lead; failed_precondition when it is not one
  revision @1 :UInt64;   # 0 = any; else the customer's revision must match (conflict)
  opportunity @2 :R.Opportunity;  # created when hasOpportunity (id 0): its customer is
                                  # the lead; stage defaults to qualification, owner
                                  # to the customer's owner
  hasOpportunity @3 :Bool;
  task @4 :R.Task;       # created when hasTask (id 0): its customer is the lead; the
                         # assignee defaults to the customer's owner, else the caller
  hasTask @5 :Bool;
}

struct Converted {
  customer @0 :UInt64;
  opportunity @1 :UInt64;  # 0: none created
  task @2 :UInt64;         # 0: none created
}

# --- the envelope

struct Request {
  id @0 :UInt64;  # chosen by the client; echoed in the response
  union {
    hello @1 :Hello;
    card :group {
      key @2 :CardKey;
      options @3 :CardOptions;
    }
    history @4 :HistoryQuery;
    get @5 :EntityRef;
    list :group {            # a customer's contacts, opportunities, contracts or tasks
      customer @6 :UInt64;
      entity @7 :UInt8;      # EntityKind 2, 5, 6 or 7
    }
    write :group {
      ops @8 :List(WriteOp);
      atomic @9 :Bool;
    }
    auditLog :group {        # oldest first; page on with after = the last sequence returned
      after @10 :UInt64;
      limit @11 :UInt32;
      entity @19 :UInt8;     # with record: only that record's entries
      record @20 :UInt64;    # 0 = any record
      user @21 :UInt64;      # with byUser: only that user's entries (0 = the system)
      byUser @22 :Bool;
      from @23 :Int64;       # inclusive, 0 = unbounded
      to @24 :Int64;         # exclusive, 0 = unbounded
    }
    counts @12 :Void;
    createUser @13 :NewUser;  # admin only
    listUsers @14 :Void;      # admin and manager
    value @15 :UInt64;        # a customer's value summary; every role
    scoring @16 :Void;        # config in force, history, cut-offs; every role
    setScoring @17 :R.ScoringConfig;  # admin only; rescores every customer
    report @18 :ReportQuery;  # admin and manager
    handover @25 :Handover;   # admin, or the manager of the user's team
    stats @26 :Void;          # admin and manager
    scan :group {             # admin only: records of one kind by id, for exports
      entity @27 :UInt8;
      after @28 :UInt64;      # ids greater than this
      limit @29 :UInt32;      # 1..100000
    }
    backup @30 :BackupRequest;  # admin only
    dryRun :group {           # a write that is validated and never applied
      ops @31 :List(WriteOp);
      atomic @32 :Bool;
    }
    convertLead @33 :ConvertLead;  # every role, within the scopes of a write
  }
}

struct Response {
  id @0 :UInt64;  # the request's id; 0 when the request could not be read
  union {
    error @1 :Error;
    hello @2 :HelloReply;
    card @3 :Card;
    history @4 :HistoryPage;
    record @5 :Record;
    records @6 :List(Record);
    write @7 :List(WriteResult);  # one per op, in order
    auditLog @8 :List(R.AuditEntry);
    counts @9 :Counts;
    createdUser @10 :CreatedUser;
    users @11 :List(R.User);
    value @12 :ValueSummary;
    scoring @13 :ScoringState;
    scoringSet @14 :R.ScoringConfig;  # the stored config, with version, who and when
    report @15 :Report;
    handover @16 :HandoverResult;
    stats @17 :Stats;
    backup @18 :BackupInfo;
    converted @19 :Converted;  # answers convertLead
  }
}
