// Redis over RESP, hand-written (see the README for why not hiredis): the
// card by phone is one server-side Lua script (EVALSHA: the phone hash, the
// customer hash, the recent-interactions list in one round trip), the card
// by id two pipelined commands, the history walk ZREVRANGEBYSCORE pages, the
// inserts scripts that keep the hash, list and sorted set in step.
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "loadgen/stream.h"

namespace crm::loadgen {
namespace {

constexpr const char* kCardByPhoneScript = R"(
local id = redis.call('HGET', 'phone', ARGV[1])
if not id then return redis.error_reply('NOTFOUND no customer with that phone') end
return {redis.call('HGETALL', 'c:' .. id), redis.call('LRANGE', 'ri:' .. id, 0, 9)}
)";

// ARGV: customer id, time (us), the JSON document's fields after "id".
constexpr const char* kInsertInteractionScript = R"(
local cid = ARGV[1]
if redis.call('EXISTS', 'c:' .. cid) == 0 then return redis.error_reply('NOTFOUND no such customer') end
local id = redis.call('INCR', 'seq:interaction')
local doc = '{"kind":"interaction","id":' .. id .. ',' .. ARGV[3]
redis.call('ZADD', 'h:' .. cid, ARGV[2], doc)
redis.call('LPUSH', 'ri:' .. cid, doc)
redis.call('LTRIM', 'ri:' .. cid, 0, 9)
redis.call('HINCRBY', 'c:' .. cid, 'interaction_count', 1)
redis.call('HSET', 'c:' .. cid, 'last_interaction_at', ARGV[2])
return id
)";

constexpr const char* kInsertTransactionScript = R"(
local cid = ARGV[1]
if redis.call('EXISTS', 'c:' .. cid) == 0 then return redis.error_reply('NOTFOUND no such customer') end
local id = redis.call('INCR', 'seq:transaction')
local doc = '{"kind":"transaction","id":' .. id .. ',' .. ARGV[3]
redis.call('ZADD', 'h:' .. cid, ARGV[2], doc)
redis.call('HINCRBY', 'c:' .. cid, 'transaction_count', 1)
redis.call('HSET', 'c:' .. cid, 'last_transaction_at', ARGV[2])
return id
)";

// What the load generator needs of a reply.
struct Reply {
  char type = 0;           // + - : $ *
  bool null = false;       // $-1 or *-1
  std::string_view text;   // simple string, error, or bulk
  int64_t elements = 0;    // top-level array: element count
  std::string_view last;   // top-level array: the last bulk element
};

bool ReadLine(const char*& p, const char* end, std::string_view* line) {
  const void* cr = std::memchr(p, '\r', static_cast<size_t>(end - p));
  if (!cr || static_cast<const char*>(cr) + 1 >= end) return false;
  *line = std::string_view(p, static_cast<size_t>(static_cast<const char*>(cr) - p));
  p = static_cast<const char*>(cr) + 2;
  return true;
}

// Parses one value; returns the end of it, nullptr if incomplete; *bad on
// malformed input. Fills `top` for the outermost value (depth 0) and the
// last bulk string of a top-level array.
const char* Parse(const char* p, const char* end, int depth, Reply* top, bool* bad) {
  if (p >= end) return nullptr;
  const char type = *p++;
  std::string_view line;
  if (!ReadLine(p, end, &line)) return nullptr;
  int64_t n = 0;
  auto number = [&] {
    if (!line.empty() && line[0] == '-') {
      n = -1;
      return true;
    }
    auto [q, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
    return ec == std::errc() && q == line.data() + line.size();
  };
  if (depth == 0) top->type = type;
  switch (type) {
    case '+':
    case '-':
      if (depth == 0) top->text = line;
      return p;
    case ':':
      if (!number()) *bad = true;
      if (depth == 0) top->text = line;
      return p;
    case '$': {
      if (!number()) {
        *bad = true;
        return p;
      }
      if (n < 0) {
        if (depth == 0) top->null = true;
        return p;
      }
      if (end - p < n + 2) return nullptr;
      std::string_view bulk(p, static_cast<size_t>(n));
      if (depth == 0) top->text = bulk;
      if (depth == 1) top->last = bulk;
      return p + n + 2;
    }
    case '*': {
      if (!number()) {
        *bad = true;
        return p;
      }
      if (n < 0) {
        if (depth == 0) top->null = true;
        return p;
      }
      if (depth == 0) top->elements = n;
      for (int64_t i = 0; i < n; ++i) {
        p = Parse(p, end, depth + 1, top, bad);
        if (!p || *bad) return p;
      }
      return p;
    }
    default:
      *bad = true;
      return p;
  }
}

long ReplyLength(const char* p, size_t n) {
  Reply r;
  bool bad = false;
  const char* end = Parse(p, p + n, 0, &r, &bad);
  if (bad) return -1;
  return end ? static_cast<long>(end - p) : 0;
}

class Command {
 public:
  explicit Command(std::string& out) : out_(out) {}
  Command& Header(int n) {
    out_ += '*';
    out_ += std::to_string(n);
    out_ += "\r\n";
    return *this;
  }
  Command& Arg(std::string_view a) {
    out_ += '$';
    out_ += std::to_string(a.size());
    out_ += "\r\n";
    out_ += a;
    out_ += "\r\n";
    return *this;
  }

 private:
  std::string& out_;
};

int64_t WallMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

class RedisConnection final : public StreamConnection {
 public:
  using StreamConnection::StreamConnection;

  bool Setup(std::string* error) {
    return Load(kCardByPhoneScript, &card_sha_, error) &&
           Load(kInsertInteractionScript, &interaction_sha_, error) &&
           Load(kInsertTransactionScript, &transaction_sha_, error);
  }

  bool Supports(Op op) const override { return op != Op::kReport; }

  void Start(Call* call) override {
    Command c(out());
    const std::string id = std::to_string(call->key->id);
    switch (call->op) {
      case Op::kCardPhone:
        c.Header(4).Arg("EVALSHA").Arg(card_sha_).Arg("0").Arg(call->key->phone);
        Expect(call, 1);
        return;
      case Op::kCardId:
        c.Header(2).Arg("HGETALL").Arg("c:" + id);
        c.Header(4).Arg("LRANGE").Arg("ri:" + id).Arg("0").Arg("9");
        Expect(call, 2);
        return;
      case Op::kHgetall:
        c.Header(2).Arg("HGETALL").Arg("c:" + id);
        Expect(call, 1);
        return;
      case Op::kHistory: {
        const std::string max =
            call->cursor.empty() ? std::string("+inf") : "(" + call->cursor;
        c.Header(8)
            .Arg("ZREVRANGEBYSCORE")
            .Arg("h:" + id)
            .Arg(max)
            .Arg("-inf")
            .Arg("WITHSCORES")
            .Arg("LIMIT")
            .Arg("0")
            .Arg(std::to_string(kHistoryPage));
        Expect(call, 1);
        return;
      }
      case Op::kInsertInteraction:
      case Op::kInsertTransaction: {
        const std::string now = std::to_string(WallMicros());
        std::string body = "\"customer\":" + id;
        if (call->op == Op::kInsertInteraction) {
          body += ",\"contact\":0,\"channel\":\"call\",\"direction\":\"inbound\",\"time\":" + now +
                  ",\"agent\":0,\"subject\":\"" + kInsertSubject + "\",\"notes\":\"" +
                  kInsertNotes + "\",\"outcome\":\"" + kInsertOutcome +
                  "\",\"duration_seconds\":120,\"satisfaction\":0,\"complaint\":\"none\","
                  "\"opportunity\":0";
        } else {
          body += ",\"time\":" + now +
                  ",\"amount\":{\"minor_units\":129900,\"currency\":\"CNY\"},"
                  "\"margin_minor_units\":25980,\"product_category\":\"" +
                  kInsertCategory + "\",\"payment_method\":\"alipay\"";
        }
        body += ",\"created_at\":" + now + ",\"updated_at\":" + now + "}";
        c.Header(6)
            .Arg("EVALSHA")
            .Arg(call->op == Op::kInsertInteraction ? interaction_sha_ : transaction_sha_)
            .Arg("0")
            .Arg(id)
            .Arg(now)
            .Arg(body);
        Expect(call, 1);
        return;
      }
      default:
        call->Fail("not supported");
        Expect(call, 0);
    }
  }

 protected:
  long ParseReply(const char* p, size_t n, Call* call) override {
    Reply r;
    bool bad = false;
    const char* end = Parse(p, p + n, 0, &r, &bad);
    if (bad) {
      error_ = "malformed RESP reply";
      return -1;
    }
    if (!end) return 0;
    call->more = false;
    if (r.type == '-') {
      call->Fail(std::string(r.text));
    } else if (r.null) {
      call->Fail("not found");
    } else if (call->op == Op::kHistory) {
      if (r.type != '*') {
        call->Fail("history: not an array");
      } else if (r.elements == 2 * kHistoryPage) {
        call->cursor = std::string(r.last);  // the last entry's score
        call->more = true;
      }
    } else if ((call->op == Op::kCardId || call->op == Op::kHgetall) && r.type == '*' &&
               r.elements == 0 && call->steps == 0 && !card_id_second_) {
      call->Fail("not found");  // HGETALL of a missing key is an empty array
    }
    // The card by id takes two replies: the hash, then the list.
    if (call->op == Op::kCardId) card_id_second_ = !card_id_second_;
    return static_cast<long>(end - p);
  }

 private:
  bool Load(const char* script, std::string* sha, std::string* error) {
    std::string req;
    Command(req).Header(3).Arg("SCRIPT").Arg("LOAD").Arg(script);
    if (!WriteAll(fd(), req, error)) return false;
    std::string buffer;
    long length = 0;
    if (!ReadReply(fd(), &buffer, &ReplyLength, &length, error)) return false;
    Reply r;
    bool bad = false;
    Parse(buffer.data(), buffer.data() + length, 0, &r, &bad);
    if (r.type != '$' || r.null) {
      *error = "SCRIPT LOAD failed: " + std::string(r.text);
      return false;
    }
    *sha = std::string(r.text);
    return true;
  }

  std::string card_sha_, interaction_sha_, transaction_sha_;
  bool card_id_second_ = false;  // the next card-by-id reply is its list
};

}  // namespace

std::unique_ptr<Connection> ConnectRedis(const Target& target, std::string* error) {
  int fd = DialTcp(target.host, target.port, error);
  if (fd < 0) return nullptr;
  auto conn = std::make_unique<RedisConnection>(fd);
  if (!conn->Setup(error)) return nullptr;
  return conn;
}

}  // namespace crm::loadgen
