// crm over its own protocol: Cap'n Proto frames (protocol/crm.capnp), built
// with the same conversions the client library uses; replies are read in
// place (a Cap'n Proto reader over the frame, no decoding into objects).
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "crm.capnp.h"
#include "crm/engine/engine.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/framing.h"
#include "loadgen/stream.h"

namespace crm::loadgen {
namespace {

uint32_t Le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // x86: little-endian, as the framing is
}

// The length of the whole frame at p, 0 if incomplete, -1 if malformed.
long FrameLength(const char* p, size_t n) {
  if (n < 4) return 0;
  const uint32_t segments = Le32(p) + 1;
  if (segments > 512) return -1;
  const size_t table = (4 * (1 + static_cast<size_t>(segments)) + 7) & ~size_t{7};
  if (n < table) return 0;
  size_t words = 0;
  for (uint32_t i = 0; i < segments; ++i) words += Le32(p + 4 + 4 * i);
  const size_t total = table + words * 8;
  if (total > (size_t{64} << 20)) return -1;
  return n >= total ? static_cast<long>(total) : 0;
}

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class CrmConnection final : public StreamConnection {
 public:
  using StreamConnection::StreamConnection;

  bool Hello(const std::string& token, std::string* error) {
    capnp::MallocMessageBuilder msg;
    auto req = msg.initRoot<wire::Request>();
    req.setId(next_id_++);
    auto hello = req.initHello();
    hello.setProtocolVersion(protocol::kProtocolVersion);
    hello.setToken(token);
    Append(msg);
    if (!WriteAll(fd(), out(), error)) return false;
    out().clear();
    std::string buffer;
    long length = 0;
    if (!ReadReply(fd(), &buffer, &FrameLength, &length, error)) return false;
    bool ok = false;
    WithResponse(buffer.data(), static_cast<size_t>(length), [&](wire::Response::Reader r) {
      if (r.isHello()) {
        ok = true;
      } else if (r.isError()) {
        *error = "hello refused: " + std::string(r.getError().getMessage().cStr());
      } else {
        *error = "hello: unexpected reply";
      }
    });
    return ok;
  }

  bool Supports(Op op) const override { return op != Op::kHgetall; }

  void Start(Call* call) override {
    capnp::MallocMessageBuilder msg;
    auto req = msg.initRoot<wire::Request>();
    req.setId(next_id_++);
    switch (call->op) {
      case Op::kCardPhone:
      case Op::kCardId: {
        auto card = req.initCard();
        protocol::ToWire(call->op == Op::kCardPhone ? engine::CardKey::ByPhone(call->key->phone)
                                                    : engine::CardKey::ById(call->key->id),
                         card.initKey());
        protocol::ToWire(engine::CardOptions{}, card.initOptions());
        break;
      }
      case Op::kHistory: {
        engine::HistoryQuery q;
        q.customer = call->key->id;
        q.cursor = call->cursor;
        q.limit = kHistoryPage;
        protocol::ToWire(q, req.initHistory());
        break;
      }
      case Op::kInsertInteraction:
      case Op::kInsertTransaction: {
        engine::WriteOp op;
        op.kind = engine::WriteKind::kCreate;
        const int64_t now = WallMicros();
        if (call->op == Op::kInsertInteraction) {
          engine::Interaction x;
          x.customer = call->key->id;
          x.channel = engine::Channel::kCall;
          x.direction = engine::Direction::kInbound;
          x.time = now;
          x.subject = kInsertSubject;
          x.notes = kInsertNotes;
          x.outcome = kInsertOutcome;
          x.duration_seconds = 120;
          op.record = std::move(x);
        } else {
          engine::Transaction t;
          t.customer = call->key->id;
          t.time = now;
          t.amount = engine::Money{129'900, engine::Currency("CNY")};
          t.margin_minor_units = 25'980;
          t.product_category = kInsertCategory;
          t.payment_method = engine::PaymentMethod::kAlipay;
          op.record = std::move(t);
        }
        auto write = req.initWrite();
        protocol::ToWire(op, write.initOps(1)[0]);
        write.setAtomic(false);
        break;
      }
      case Op::kReport:
        // The tier report of the maintained value model (asOf 0).
        req.initReport().initTiers();
        break;
      default:
        break;
    }
    Append(msg);
    Expect(call, 1);
  }

 protected:
  long ParseReply(const char* p, size_t n, Call* call) override {
    const long length = FrameLength(p, n);
    if (length < 0) error_ = "malformed frame from the server";
    if (length <= 0) return length;
    call->more = false;
    WithResponse(p, static_cast<size_t>(length), [&](wire::Response::Reader r) {
      switch (r.which()) {
        case wire::Response::ERROR:
          call->Fail(r.getError().getMessage().cStr());
          break;
        case wire::Response::CARD:
          if (r.getCard().getCustomer().getId() == 0) call->Fail("card without a customer");
          break;
        case wire::Response::HISTORY: {
          auto page = r.getHistory();
          call->cursor = page.getNextCursor().cStr();
          call->more = !call->cursor.empty();
          break;
        }
        case wire::Response::WRITE: {
          auto results = r.getWrite();
          if (results.size() != 1 || results[0].isError()) {
            call->Fail(results.size() == 1 ? results[0].getError().getMessage().cStr()
                                           : "write: wrong result count");
          }
          break;
        }
        case wire::Response::REPORT:
          if (!r.getReport().isTiers() || r.getReport().getTiers().getTiers().size() == 0) {
            call->Fail("report: no tiers");
          }
          break;
        default:
          call->Fail("unexpected reply");
      }
    });
    if (!error_.empty()) {  // an unreadable reply fails its call, not the stream
      call->Fail(error_);
      error_.clear();
    }
    return length;
  }

 private:
  void Append(capnp::MessageBuilder& msg) {
    auto words = capnp::messageToFlatArray(msg);
    auto bytes = words.asBytes();
    out().append(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  }

  // Calls f with a reader over the frame [p, p + n), copied to aligned words.
  template <typename F>
  void WithResponse(const char* p, size_t n, F&& f) {
    aligned_.resize(n / sizeof(capnp::word));
    std::memcpy(aligned_.data(), p, n);
    try {
      capnp::ReaderOptions options;
      options.traversalLimitInWords = aligned_.size() * 2 + 64;
      capnp::FlatArrayMessageReader reader(kj::arrayPtr(aligned_.data(), aligned_.size()),
                                           options);
      f(reader.getRoot<wire::Response>());
    } catch (const kj::Exception& e) {
      error_ = "unreadable reply: " + std::string(e.getDescription().cStr());
    }
  }

  uint64_t next_id_ = 1;
  std::vector<capnp::word> aligned_;
};

}  // namespace

std::unique_ptr<Connection> ConnectCrm(const Target& target, std::string* error) {
  int fd = DialTcp(target.host, target.port, error);
  if (fd < 0) return nullptr;
  auto conn = std::make_unique<CrmConnection>(fd);
  if (!conn->Hello(target.token, error)) return nullptr;
  return conn;
}

}  // namespace crm::loadgen
