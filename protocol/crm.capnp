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
# 7 internal.
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

struct ValueSummary {
  scored @0 :Bool;
  currentValue @1 :Float64;
  potentialValue @2 :Float64;
  tier @3 :Text;
  valueClass @4 :Text;
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

struct NewUser {
  name @0 :Text;
  role @1 :UInt8;  # Role: 0 admin, 1 manager, 2 agent
  team @2 :Text;
}

struct CreatedUser {
  user @0 :R.User;  # tokenHash left empty
  token @1 :Text;   # shown once; the server keeps only its hash
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
    auditLog :group {
      after @10 :UInt64;
      limit @11 :UInt32;
    }
    counts @12 :Void;
    createUser @13 :NewUser;  # admin only
    listUsers @14 :Void;      # admin and manager
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
  }
}
