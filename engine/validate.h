// Field validation and normalization of records before they are written.
//
// These checks need no other record: lengths, UTF-8, enums, formats; phones
// and emails are normalized in place, names made canonical. References to
// other records and uniqueness are checked by the writer, which sees the
// store. Every error is InvalidArgument naming the field ("customer.phones[1]").
#pragma once

#include <string_view>

#include "crm/engine/model.h"
#include "crm/engine/status.h"

namespace crm::engine::internal {

// Limits, in bytes of UTF-8.
inline constexpr size_t kMaxName = 256;
inline constexpr size_t kMaxShortText = 128;
inline constexpr size_t kMaxSubject = 512;
inline constexpr size_t kMaxNotes = 64 * 1024;
inline constexpr size_t kMaxListItems = 16;   // phones, emails
inline constexpr size_t kMaxTags = 64;
inline constexpr size_t kMaxAttributes = 64;
inline constexpr size_t kMaxAttributeValue = 1024;
inline constexpr size_t kMaxRelations = 256;

// Normalizes and checks `record` in place. `default_region` reads phones
// without a country code.
Status ValidateFields(Record& record, std::string_view default_region);

}  // namespace crm::engine::internal
