// PostgreSQL through libpq in pipeline mode: prepared statements (the card is
// one statement that returns the whole card, its lists aggregated as JSON),
// each call its own implicit transaction (a Sync after each), several in
// flight on a connection as with the other systems. The socket is libpq's;
// the load generator only waits on it.
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <string>

#include "loadgen/loadgen.h"

namespace crm::loadgen {
namespace {

// The whole card of one customer; $1 selects it in the WHERE of each form.
constexpr const char* kCardSelect = R"(
SELECT row_to_json(c.*)::text,
  (SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM contacts t WHERE t.customer_id = c.id),
  (SELECT coalesce(json_agg(t), '[]') FROM (SELECT * FROM interactions WHERE customer_id = c.id
     ORDER BY time DESC, id DESC LIMIT 10) t),
  (SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM opportunities t
     WHERE t.customer_id = c.id AND t.stage < 4),
  (SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM contracts t
     WHERE t.customer_id = c.id AND t.status IN (0, 1)),
  (SELECT coalesce(json_agg(t), '[]') FROM (SELECT * FROM interactions
     WHERE customer_id = c.id AND complaint IN (1, 2) ORDER BY time DESC) t),
  (SELECT coalesce(json_agg(t), '[]') FROM (SELECT * FROM tasks
     WHERE customer_id = c.id AND NOT done ORDER BY due_at LIMIT 20) t),
  (SELECT coalesce(json_agg(t), '[]') FROM (
     SELECT r.other_id AS id, o.name, r.kind, false AS incoming FROM relations r
       JOIN customers o ON o.id = r.other_id WHERE r.customer_id = c.id
     UNION ALL
     SELECT r.customer_id, o.name, r.kind, true FROM relations r
       JOIN customers o ON o.id = r.customer_id WHERE r.other_id = c.id) t),
  (SELECT count(*) FROM interactions WHERE customer_id = c.id),
  (SELECT count(*) FROM transactions WHERE customer_id = c.id),
  (SELECT max(time) FROM interactions WHERE customer_id = c.id),
  (SELECT max(time) FROM transactions WHERE customer_id = c.id)
FROM customers c
)";

constexpr const char* kHistory = R"(
(SELECT time, id, 0 AS k, row_to_json(i)::text FROM interactions i
   WHERE customer_id = $1 AND (time, id) < ($2, $3) ORDER BY time DESC, id DESC LIMIT $4)
UNION ALL
(SELECT time, id, 1 AS k, row_to_json(t)::text FROM transactions t
   WHERE customer_id = $1 AND (time, id) < ($2, $3) ORDER BY time DESC, id DESC LIMIT $4)
ORDER BY time DESC, id DESC LIMIT $4
)";

constexpr const char* kInsertInteraction = R"(
INSERT INTO interactions (customer_id, contact_id, channel, direction, time, agent_id, subject,
  notes, outcome, duration_seconds, satisfaction, complaint, opportunity_id, created_at, updated_at)
VALUES ($1, NULL, 0, 0, $2, NULL, $3, $4, $5, 120, 0, 0, NULL, $2, $2) RETURNING id
)";

constexpr const char* kInsertTransaction = R"(
INSERT INTO transactions (customer_id, time, amount, currency, margin, product_category,
  payment_method, created_at, updated_at)
VALUES ($1, $2, 129900, 'CNY', 25980, $3, 4, $2, $2) RETURNING id
)";

// PostgreSQL has no value model: the nearest GROUP BY a PostgreSQL engineer
// would write, computed from the rows on every call. Customers bucketed by
// their revenue over the 12 months before $1 (minor units), with the count
// and revenue per bucket.
constexpr const char* kTierReport = R"(
SELECT tier, count(*), sum(revenue) FROM (
  SELECT CASE WHEN r >= 100000000 THEN 'key' WHEN r >= 10000000 THEN 'development'
              WHEN r > 0 THEN 'maintenance' ELSE 'none' END AS tier, r AS revenue
  FROM (SELECT c.id, coalesce(t.r, 0) AS r FROM customers c
        LEFT JOIN (SELECT customer_id, sum(amount) AS r FROM transactions
                   WHERE time >= $1 - 365 * 86400000000::bigint GROUP BY customer_id) t
        ON t.customer_id = c.id) x) y
GROUP BY tier ORDER BY tier
)";

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PgConnection final : public Connection {
 public:
  ~PgConnection() override {
    if (conn_) PQfinish(conn_);
  }

  bool Open(const Target& target, std::string* error) {
    std::string info = target.conninfo + " host=" + target.host +
                       " port=" + std::to_string(target.port) + " connect_timeout=10";
    if (!target.pg_options.empty()) info += " options='" + target.pg_options + "'";
    conn_ = PQconnectdb(info.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      *error = std::string("postgres: ") + PQerrorMessage(conn_);
      return false;
    }
    const std::string card_phone = std::string(kCardSelect) +
                                   "WHERE c.id = (SELECT customer_id FROM phones WHERE phone = $1)";
    const std::string card_id = std::string(kCardSelect) + "WHERE c.id = $1";
    const std::pair<const char*, std::string> statements[] = {
        {"card_phone", card_phone},
        {"card_id", card_id},
        {"history", kHistory},
        {"insert_interaction", kInsertInteraction},
        {"insert_transaction", kInsertTransaction},
        {"report", kTierReport},
    };
    for (const auto& [name, sql] : statements) {
      PGresult* r = PQprepare(conn_, name, sql.c_str(), 0, nullptr);
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) *error = std::string("prepare ") + name + ": " + PQresultErrorMessage(r);
      PQclear(r);
      if (!ok) return false;
    }
    if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
      *error = std::string("postgres pipeline mode: ") + PQerrorMessage(conn_);
      return false;
    }
    return true;
  }

  int fd() const override { return PQsocket(conn_); }
  bool Supports(Op op) const override { return op != Op::kHgetall; }
  const std::string& error() const override { return error_; }

  void Start(Call* call) override {
    const std::string id = std::to_string(call->key->id);
    const std::string now = std::to_string(WallMicros());
    const std::string time = std::to_string(call->cursor_time);
    const std::string cursor_id = std::to_string(call->cursor_id);
    const std::string limit = std::to_string(kHistoryPage);
    const char* params[5] = {};
    int n = 0;
    const char* name = nullptr;
    switch (call->op) {
      case Op::kCardPhone:
        name = "card_phone";
        params[n++] = call->key->phone.c_str();
        break;
      case Op::kCardId:
        name = "card_id";
        params[n++] = id.c_str();
        break;
      case Op::kHistory:
        name = "history";
        params[n++] = id.c_str();
        params[n++] = time.c_str();
        params[n++] = cursor_id.c_str();
        params[n++] = limit.c_str();
        break;
      case Op::kInsertInteraction:
        name = "insert_interaction";
        params[n++] = id.c_str();
        params[n++] = now.c_str();
        params[n++] = kInsertSubject;
        params[n++] = kInsertNotes;
        params[n++] = kInsertOutcome;
        break;
      case Op::kInsertTransaction:
        name = "insert_transaction";
        params[n++] = id.c_str();
        params[n++] = now.c_str();
        params[n++] = kInsertCategory;
        break;
      case Op::kReport:
        name = "report";
        params[n++] = now.c_str();
        break;
      default:
        break;
    }
    if (!name || PQsendQueryPrepared(conn_, name, n, params, nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(conn_) != 1) {
      call->Fail(name ? PQerrorMessage(conn_) : "not supported");
    }
    calls_.push_back(call);
  }

  bool Flush(bool* pending) override {
    const int rc = PQflush(conn_);
    if (rc < 0) {
      error_ = std::string("postgres: ") + PQerrorMessage(conn_);
      return false;
    }
    *pending = rc == 1;
    return true;
  }

  bool Read(std::vector<Call*>* done) override {
    if (PQconsumeInput(conn_) != 1) {
      error_ = std::string("postgres: ") + PQerrorMessage(conn_);
      return false;
    }
    int nulls = 0;
    while (!calls_.empty() && !PQisBusy(conn_)) {
      PGresult* r = PQgetResult(conn_);
      if (!r) {
        if (++nulls > 1) break;  // between results with nothing more to hand out
        continue;
      }
      nulls = 0;
      Call* call = calls_.front();
      switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC:
          calls_.pop_front();
          done->push_back(call);
          break;
        case PGRES_TUPLES_OK:
          Take(call, r);
          break;
        case PGRES_COMMAND_OK:
          break;
        default:
          call->Fail(PQresultErrorMessage(r));
      }
      PQclear(r);
    }
    return true;
  }

 private:
  void Take(Call* call, PGresult* r) {
    call->more = false;
    const int rows = PQntuples(r);
    if (call->op == Op::kHistory) {
      if (rows == kHistoryPage) {
        call->cursor_time = std::strtoll(PQgetvalue(r, rows - 1, 0), nullptr, 10);
        call->cursor_id = std::strtoll(PQgetvalue(r, rows - 1, 1), nullptr, 10);
        call->more = true;
      }
    } else if (call->op == Op::kReport) {
      if (rows == 0) call->Fail("report: no rows");
    } else if (rows != 1) {
      call->Fail("not found");
    }
  }

  PGconn* conn_ = nullptr;
  std::deque<Call*> calls_;
  std::string error_;
};

}  // namespace

std::unique_ptr<Connection> ConnectPg(const Target& target, std::string* error) {
  auto conn = std::make_unique<PgConnection>();
  if (!conn->Open(target, error)) return nullptr;
  return conn;
}

}  // namespace crm::loadgen
