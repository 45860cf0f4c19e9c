// What the conversion files (convert.cc, convert_value.cc, ops_convert.cc
// and the ops files) share: text, field prefixes and lists of records.
#pragma once

#include <capnp/blob.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crm/engine/codec.h"
#include "crm/engine/engine.h"

namespace crm::protocol::internal {

inline std::string ToString(capnp::Text::Reader text) {
  return std::string(text.cStr(), text.size());
}

// A view of `s`, valid while `s` is.
inline capnp::Text::Reader AsText(const std::string& s) {
  return capnp::Text::Reader(s.data(), s.size());
}
inline capnp::Text::Reader AsText(std::string_view s) {
  return capnp::Text::Reader(s.data(), s.size());
}

// `status` with its field moved under `prefix` ("key" -> "card.key"), or
// `prefix` itself when it names none: for conversions of one part of a
// message.
inline engine::Status UnderField(engine::Status status, const std::string& prefix) {
  if (status.ok()) return status;
  std::string field = status.field().empty() ? prefix : prefix + "." + status.field();
  return engine::Status(status.code(), status.message(), std::move(field), status.existing_id());
}

template <typename T>
const T& Deref(const T& v) {
  return v;
}
template <typename T>
const T& Deref(const T* v) {
  return *v;
}

// Encodes every element of `items` (values or pointers) into `list`.
template <typename List, typename Items>
void EncodeAll(const Items& items, List list) {
  unsigned i = 0;
  for (const auto& item : items) engine::Encode(Deref(item), list[i++]);
}

// Decodes every element of `list` into `out`, naming the failing element.
template <typename T, typename List>
engine::Status DecodeAll(List list, const char* field, std::vector<T>* out) {
  out->clear();
  out->reserve(list.size());
  for (unsigned i = 0; i < list.size(); ++i) {
    T value;
    engine::Status s = engine::Decode(list[i], &value);
    if (!s.ok()) {
      return UnderField(std::move(s), std::string(field) + "[" + std::to_string(i) + "]");
    }
    out->push_back(std::move(value));
  }
  return engine::Status::Ok();
}

// `value` as an EntityKind; InvalidArgument naming `field` outside 1..8.
inline engine::Status CheckEntity(uint8_t value, const char* field, engine::EntityKind* out) {
  if (value < 1 || value > engine::kEntityKindCount) {
    return engine::Status::InvalidArgument(
        "unknown entity kind " + std::to_string(value) + " (1 customer .. 8 user)", field);
  }
  *out = static_cast<engine::EntityKind>(value);
  return engine::Status::Ok();
}

}  // namespace crm::protocol::internal
