// The load generator's pieces: operations, the dataset's keys, one call in
// flight, and the connection interface each system implements (crm over its
// Cap'n Proto protocol, Redis over RESP, PostgreSQL through libpq).
//
// Adding an operation: a row in kOps, and a case in each system's Start()
// and reply handling (a system without an equivalent answers Supports() =
// false and the operation is skipped for it, said so in the report).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace crm::loadgen {

enum class Op : uint8_t {
  kCardPhone,          // the whole customer card by phone
  kCardId,             // the whole customer card by id
  kHistory,            // a walk through a customer's history, page after page
  kInsertInteraction,  // a durable interaction insert
  kInsertTransaction,  // a durable transaction insert
  kReport,             // the value/tier report (where the system has one)
  kHgetall,            // Redis only: one HGETALL of a customer hash (the floor)
};
inline constexpr int kOpCount = 7;

struct OpInfo {
  Op op;
  const char* name;
};
inline constexpr OpInfo kOps[kOpCount] = {
    {Op::kCardPhone, "card_phone"},
    {Op::kCardId, "card_id"},
    {Op::kHistory, "history"},
    {Op::kInsertInteraction, "insert_interaction"},
    {Op::kInsertTransaction, "insert_transaction"},
    {Op::kReport, "report"},
    {Op::kHgetall, "hgetall"},
};
inline const char* OpName(Op op) { return kOps[static_cast<int>(op)].name; }

// History walks: pages of kHistoryPage entries, at most kHistoryPages pages.
inline constexpr int kHistoryPage = 50;
inline constexpr int kHistoryPages = 4;

// A customer the workload may pick (from crm_dataset's keys.tsv).
struct Key {
  uint64_t id = 0;
  std::string phone;  // E.164
};

// One operation in flight, possibly over several round trips (a history walk).
struct Call {
  Op op = Op::kCardPhone;
  const Key* key = nullptr;
  int64_t intended_ns = 0;  // when it was due (open loop) or first sent (closed loop)
  int steps = 0;            // round trips completed
  bool failed = false;
  bool more = false;        // set by a connection: the call needs another step
  std::string error;        // the first failure's message
  // History walk position: crm's opaque cursor, or the last (time, id) seen.
  std::string cursor;
  int64_t cursor_time = INT64_MAX;
  int64_t cursor_id = INT64_MAX;

  void Fail(std::string why) {
    if (!failed) error = std::move(why);
    failed = true;
  }
};

// One connection to a system under test. Set up blocking (connect, hello,
// prepared statements, scripts), then driven non-blocking by one thread.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual int fd() const = 0;
  virtual bool Supports(Op op) const = 0;
  // Queues the requests of the call's next step (does not write yet).
  virtual void Start(Call* call) = 0;
  // Writes what it can. false on a transport error (see error());
  // *pending = bytes are still waiting for the socket.
  virtual bool Flush(bool* pending) = 0;
  // Reads what arrived; appends every call whose step completed, in order.
  // false on a transport error.
  virtual bool Read(std::vector<Call*>* done) = 0;
  virtual const std::string& error() const = 0;
};

// Where and how to connect.
struct Target {
  std::string system;  // crm, redis, pg
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;     // crm
  std::string conninfo;  // pg (libpq), host/port added
  std::string pg_options;  // pg: e.g. "-c synchronous_commit=off"
};

// Each returns a connected, ready connection or null with *error set.
std::unique_ptr<Connection> ConnectCrm(const Target& target, std::string* error);
std::unique_ptr<Connection> ConnectRedis(const Target& target, std::string* error);
std::unique_ptr<Connection> ConnectPg(const Target& target, std::string* error);

// A blocking TCP connection to host:port with TCP_NODELAY; -1 and *error.
int DialTcp(const std::string& host, uint16_t port, std::string* error);

// Time on the monotonic clock, in ns.
int64_t NowNs();

// Durable-insert payloads shared by every system, so each writes the same bytes.
inline constexpr const char* kInsertSubject = "Follow-up call";
inline constexpr const char* kInsertNotes =
    "Customer asked about the delivery date of the last order; promised a call back.";
inline constexpr const char* kInsertOutcome = "callback scheduled";
inline constexpr const char* kInsertCategory = "services";

}  // namespace crm::loadgen
