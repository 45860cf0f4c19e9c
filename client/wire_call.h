// How each client call maps onto the wire: the request arm it fills, the
// response arm that answers it, how its arguments are put into the request
// (Fill) and how the answer becomes the call's result (Decode, Finish).
// Internal to crm_client; Batch::Ask (client.cc) reads it, wire_call.cc
// defines the overloads declared here.
//
// Adding a call: its Batch method (client.cc) names the two arms,
//   return Ask<T>(On<&Req::initFoo, Arm::FOO, &Res::getFoo>, args...);
// if its arguments are not one value that crm/protocol's ToWire (or the engine's
// Encode) already puts into the request arm, a Fill overload; if its result
// is not one value that crm/protocol's FromWire (or the engine's Decode)
// reads, a FromWire overload here; if the result needs the request to be
// complete or checked, a Finish overload. Decoders accept untrusted readers,
// as crm/protocol's do: bad values are a Status, bad pointers throw
// kj::Exception, which Client::RunEntries turns into Internal.
#pragma once

#include <capnp/common.h>

#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "crm.capnp.h"
#include "crm/client/client.h"
#include "crm/engine/codec.h"
#include "crm/protocol/convert.h"
#include "crm/protocol/framing.h"
#include "crm/protocol/ops_convert.h"

namespace crm::client::internal {

using RequestBuilder = wire::Request::Builder;
using ResponseReader = wire::Response::Reader;

// The error a response carries, or OK when it is of the expected arm.
Status Check(ResponseReader r, wire::Response::Which want);

// ---- Fill: the arguments of a call into its request arm.

// One value with a ToWire (crm/protocol) or an Encode (crm/engine).
template <typename Builder, typename T>
void Fill(Builder out, const T& in) {
  if constexpr (requires { protocol::ToWire(in, out); }) {
    protocol::ToWire(in, out);
  } else {
    engine::Encode(in, out);
  }
}
void Fill(wire::Hello::Builder out, const std::string& token);
void Fill(wire::Request::Card::Builder out, const engine::CardKey& key,
          const engine::CardOptions& options);
void Fill(wire::EntityRef::Builder out, engine::EntityKind entity, engine::Id id);
void Fill(wire::Request::List::Builder out, engine::Id customer, engine::EntityKind entity);
void Fill(wire::Request::Write::Builder out, const std::vector<engine::WriteOp>& ops, bool atomic);
void Fill(wire::Request::DryRun::Builder out, const std::vector<engine::WriteOp>& ops, bool atomic);
void Fill(wire::Request::Scan::Builder out, engine::EntityKind entity, engine::Id after,
          uint32_t limit);
void Fill(wire::Request::AuditLog::Builder out, uint64_t after, uint32_t limit);
void Fill(wire::NewUser::Builder out, const std::string& name, engine::Role role,
          const std::string& team);
void Fill(wire::BackupRequest::Builder out, const engine::BackupOptions& options);

// ---- Decode: a response arm into the call's result.

Status FromWire(wire::HelloReply::Reader in, engine::User* out);
Status FromWire(wire::CreatedUser::Reader in, CreatedUser* out);
Status FromWire(capnp::List<schema::AuditEntry>::Reader in, engine::AuditPage* out);

template <typename T>
inline constexpr bool kIsVector = false;
template <typename T>
inline constexpr bool kIsVector<std::vector<T>> = true;

// Reads `in` into `out` with whichever conversion exists for the pair: a
// list element by element, crm/protocol's FromWire (either form), the
// engine's Decode, or a FromWire above.
template <typename Reader, typename T>
Status Decode(Reader in, T* out) {
  if constexpr (kIsVector<T>) {
    out->clear();
    out->reserve(in.size());
    for (auto item : in) {
      typename T::value_type value;
      CRM_RETURN_IF_ERROR(Decode(item, &value));
      out->push_back(std::move(value));
    }
    return Status::Ok();
  } else if constexpr (requires {
                         { protocol::FromWire(in, out) } -> std::same_as<Status>;
                       }) {
    return protocol::FromWire(in, out);
  } else if constexpr (requires {
                         { protocol::FromWire(in) } -> std::convertible_to<T>;
                       }) {
    *out = protocol::FromWire(in);
    return Status::Ok();
  } else if constexpr (requires { engine::Decode(in, out); }) {
    return engine::Decode(in, out);
  } else {
    return FromWire(in, out);
  }
}

// ---- Finish: a check or completion of a result that needs the request.

// The page's cursor: the last sequence of a full page.
Status Finish(engine::AuditPage* page, const engine::AuditQuery& query);
// The report must be of the query's kind.
Status Finish(protocol::Report* report, const protocol::ReportQuery& query);

// Finishes `out` for the call's `args` if a Finish above takes them.
template <typename T, typename... Args>
auto FinisherFor(const Args&... args) {
  if constexpr (requires(T * out) { Finish(out, args...); }) {
    return [args...](T* out) { return Finish(out, args...); };
  } else {
    return [](T*) { return Status::Ok(); };
  }
}

// ---- The calls.

// One call's wire shape: kSet is the Request builder's initX() (a struct or
// group arm, filled by Fill) or setX() (a value or Void arm); the response
// arm kAnswer is read by kGet.
template <auto kSet, wire::Response::Which kAnswer, auto kGet>
struct WireCall {
  // Puts `args` into `req`.
  template <typename... Args>
  static void Put(RequestBuilder req, const Args&... args) {
    if constexpr (std::is_invocable_v<decltype(kSet), RequestBuilder&, const Args&...>) {
      std::invoke(kSet, req, args...);  // a value arm, or a struct arm with no arguments
    } else if constexpr (sizeof...(Args) == 0) {
      std::invoke(kSet, req, capnp::VOID);
    } else {
      Fill(std::invoke(kSet, req), args...);
    }
  }

  // The response as a T: its error if it carries one, else its arm decoded
  // and finished.
  template <typename T, typename Finisher>
  static Result<T> Answer(ResponseReader r, const Finisher& finish) {
    CRM_RETURN_IF_ERROR(Check(r, kAnswer));
    T out;
    CRM_RETURN_IF_ERROR(Decode(std::invoke(kGet, r), &out));
    CRM_RETURN_IF_ERROR(finish(&out));
    return out;
  }
};

using Req = RequestBuilder;
using Res = ResponseReader;
using Arm = wire::Response;  // its Which values name the response arms

}  // namespace crm::client::internal
