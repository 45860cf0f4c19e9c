// Normalization of the keys customers are found by: phones, emails, names.
//
// Thread-safety: every function here may be called from any thread at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crm/engine/status.h"

namespace crm::engine {

// True when `text` is well-formed UTF-8: no overlong forms, no surrogates,
// nothing above U+10FFFF, no truncated sequences. O(n), allocates nothing.
bool IsValidUtf8(std::string_view text);

// The checks any phone text passes before it is parsed: valid UTF-8 and at
// most 64 bytes; InvalidArgument naming the field "phone" otherwise.
Status CheckPhoneText(std::string_view input);

// Parses a phone number written any common way ("+86 138-0013-8000",
// "13800138000", "021 6123 4567", "(650) 253-0000" with region US) and returns
// it in E.164 ("+8613800138000"). Numbers without a country code are read in
// `default_region` (ISO 3166-1 alpha-2, "CN"). Refuses, with InvalidArgument,
// input that is not valid UTF-8, is empty, is longer than 64 bytes, or is not a
// valid number for its region (per libphonenumber's metadata), or carries an
// extension ("ext. 123": E.164 has no place for it, and dropping it would make
// every extension of a switchboard the same key). Letters map to keypad digits
// and junk around a number is dropped, as libphonenumber does.
// Cost: a libphonenumber parse (a few microseconds).
Result<std::string> NormalizePhone(std::string_view input, std::string_view default_region);

// The E.164 digits of `e164` as one integer ("+8613800138000" ->
// 8613800138000), the key of the phone index; 0 when `e164` is not "+"
// followed by 1 to 15 digits, the first not 0. Allocates nothing.
uint64_t PhoneKey(std::string_view e164);

// Canonical email: NFKC-normalized, surrounding white space trimmed, the
// domain lower-cased; the local part keeps its case. Refuses, with
// InvalidArgument, invalid UTF-8, a missing or repeated '@', an empty local
// part, a domain without a dot or with an empty label, white space or control
// characters inside, or more than 254 bytes after normalization.
Result<std::string> NormalizeEmail(std::string_view input);

// A display name made canonical: NFKC-normalized, surrounding white space
// trimmed, inner runs of white space folded to one space. Refuses invalid
// UTF-8 and control characters with InvalidArgument; may return "".
Result<std::string> NormalizeName(std::string_view input);

}  // namespace crm::engine
