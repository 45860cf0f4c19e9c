// Conversions between the wire structs of crm.capnp and engine types, used
// by the handler (server side) and the client library alike, so both ends
// agree field for field. Records themselves go through crm/engine/codec.h.
//
// FromWire functions accept untrusted readers: they range-check enums and
// return InvalidArgument naming the field; malformed pointers make the Cap'n
// Proto getters throw kj::Exception, which the caller's boundary catches.
#pragma once

#include "crm.capnp.h"
#include "crm/engine/engine.h"

namespace crm::protocol {

void ToWire(const engine::Status& status, wire::Error::Builder out);
engine::Status FromWire(wire::Error::Reader in);

void ToWire(const engine::Record& record, wire::Record::Builder out);
engine::Status FromWire(wire::Record::Reader in, engine::Record* out);

void ToWire(const engine::CardKey& key, wire::CardKey::Builder out);
engine::Status FromWire(wire::CardKey::Reader in, engine::CardKey* out);
void ToWire(const engine::CardOptions& options, wire::CardOptions::Builder out);
engine::Status FromWire(wire::CardOptions::Reader in, engine::CardOptions* out);

// The card straight from the store's view: the server's path, no copy.
void ToWire(const engine::CardView& card, wire::Card::Builder out);
void ToWire(const engine::CustomerCard& card, wire::Card::Builder out);
engine::Status FromWire(wire::Card::Reader in, engine::CustomerCard* out);

void ToWire(const engine::HistoryQuery& query, wire::HistoryQuery::Builder out);
engine::Status FromWire(wire::HistoryQuery::Reader in, engine::HistoryQuery* out);
void ToWire(const engine::HistoryPage& page, wire::HistoryPage::Builder out);
engine::Status FromWire(wire::HistoryPage::Reader in, engine::HistoryPage* out);

void ToWire(const engine::WriteOp& op, wire::WriteOp::Builder out);
engine::Status FromWire(wire::WriteOp::Reader in, engine::WriteOp* out);
void ToWire(const engine::WriteResult& result, wire::WriteResult::Builder out);
engine::Status FromWire(wire::WriteResult::Reader in, engine::WriteResult* out);

void ToWire(const engine::StoreCounts& counts, wire::Counts::Builder out);
engine::StoreCounts FromWire(wire::Counts::Reader in);

}  // namespace crm::protocol
