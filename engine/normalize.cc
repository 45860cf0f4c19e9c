#include "crm/engine/normalize.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace crm::engine {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr char kPhoneField[] = "phone";
constexpr char kEmailField[] = "email";
constexpr char kNameField[] = "name";

constexpr size_t kMaxPhoneBytes = 64;
constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxE164Digits = 15;
// How much of the user's input an error message quotes back.
constexpr size_t kMaxQuotedBytes = 64;

constexpr uint64_t kHighBits = 0x8080808080808080ULL;

bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsAsciiControl(unsigned char c) { return c < 0x20 || c == 0x7F; }
bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// True when no byte of `text` has its high bit set. Eight bytes at a time.
bool IsAscii(std::string_view text) {
  const char* p = text.data();
  size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t chunk;
    std::memcpy(&chunk, p, 8);
    if (chunk & kHighBits) return false;
  }
  for (; n > 0; ++p, --n) {
    if (static_cast<unsigned char>(*p) >= 0x80) return false;
  }
  return true;
}

// Decodes the code point starting at `text[*i]` and moves `*i` past it.
// `text` must be valid UTF-8 (checked by IsValidUtf8 beforehand).
char32_t DecodeAt(std::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[*i + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    *i += 1;
    return lead;
  }
  if (lead < 0xE0) {
    char32_t c = ((lead & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    *i += 2;
    return c;
  }
  if (lead < 0xF0) {
    char32_t c = ((lead & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    *i += 3;
    return c;
  }
  char32_t c = ((lead & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
               (byte(3) & 0x3Fu);
  *i += 4;
  return c;
}

// The offset where the code point ending just before `end` starts.
size_t PreviousCodePointStart(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && IsContinuation(static_cast<unsigned char>(text[start]))) --start;
  return start;
}

// Unicode White_Space. Only code points >= 0x80 reach ICU.
bool IsWhiteSpace(char32_t c) {
  return c < 0x80 ? IsAsciiSpace(static_cast<unsigned char>(c))
                  : u_isUWhiteSpace(static_cast<UChar32>(c)) != 0;
}

// "U+3000".
std::string CodePointName(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// `text` in double quotes for an error message: control characters, quotes
// and backslashes escaped, cut after kMaxQuotedBytes. Bytes of text that is
// not valid UTF-8 (a bad region code) are all escaped.
std::string Quote(std::string_view text) {
  bool cut = false;
  if (text.size() > kMaxQuotedBytes) {
    size_t end = kMaxQuotedBytes;
    while (end > 0 && IsContinuation(static_cast<unsigned char>(text[end]))) --end;
    text = text.substr(0, end);
    cut = true;
  }
  const bool valid = IsValidUtf8(text);
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    char32_t c;
    if (valid) {
      c = DecodeAt(text, &i);
    } else {
      c = static_cast<unsigned char>(text[i++]);
    }
    char buf[8];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F || (!valid && c >= 0x80)) {
      std::snprintf(buf, sizeof(buf), "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else if (c >= 0x80 && c <= 0x9F) {
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.append(text, start, i - start);
    }
  }
  if (cut) out += "...";
  out += '"';
  return out;
}

// `text` without leading and trailing Unicode white space. `text` must be
// valid UTF-8; ICU is consulted only for non-ASCII code points.
std::string_view TrimWhiteSpace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin;
    if (!IsWhiteSpace(DecodeAt(text, &next))) break;
    begin = next;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = PreviousCodePointStart(text, end);
    size_t probe = start;
    if (!IsWhiteSpace(DecodeAt(text, &probe))) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

// NFKC of `text`, which must be valid UTF-8. Internal only if ICU's data is
// missing, which is a broken installation rather than bad input.
Result<std::string> Nfkc(std::string_view text, const char* field) {
  if (text.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::InvalidArgument(std::string(field) + " is too long to normalize", field);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) {
    return Status::Internal(std::string("ICU NFKC data is unavailable: ") + u_errorName(status));
  }
  std::string out;
  out.reserve(text.size());
  icu::StringByteSink<std::string> sink(&out);
  nfkc->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink,
                      nullptr, status);
  if (U_FAILURE(status)) {
    return Status::Internal(std::string("ICU NFKC normalization failed: ") + u_errorName(status));
  }
  return out;
}

// Lower-cases `text` (valid UTF-8) in place: ASCII directly, anything else
// with ICU's root-locale lower-casing.
void LowerCase(std::string* text) {
  if (IsAscii(*text)) {
    for (char& c : *text) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return;
  }
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text->data(), static_cast<int32_t>(text->size())));
  unicode.toLower(icu::Locale::getRoot());
  text->clear();
  unicode.toUTF8String(*text);
}

// OK unless the normalized, trimmed email holds white space, a control
// character or an invisible format character (U+200B, U+202E, ...). ASCII
// tab and line breaks count as white space; NEL (U+0085) as a control.
Status CheckEmailCharacters(std::string_view email) {
  size_t i = 0;
  while (i < email.size()) {
    const char32_t c = DecodeAt(email, &i);
    bool space;
    bool control;
    if (c < 0x80) {
      space = IsAsciiSpace(static_cast<unsigned char>(c));
      control = !space && IsAsciiControl(static_cast<unsigned char>(c));
    } else {
      const int8_t type = u_charType(static_cast<UChar32>(c));
      control = type == U_CONTROL_CHAR || type == U_FORMAT_CHAR;
      space = !control && u_isUWhiteSpace(static_cast<UChar32>(c));
    }
    if (control) {
      return Status::InvalidArgument(
          "email contains the invisible character " + CodePointName(c) + "; remove it",
          kEmailField);
    }
    if (space) {
      return Status::InvalidArgument("email " + Quote(email) + " contains white space; remove it",
                                     kEmailField);
    }
  }
  return Status::Ok();
}

// OK when `domain` is dot-separated, non-empty labels with at least one dot.
Status CheckDomain(std::string_view domain, std::string_view email) {
  if (domain.find('.') == std::string_view::npos) {
    return Status::InvalidArgument(
        "email " + Quote(email) + " has no dot in its domain; write the full domain (example.com)",
        kEmailField);
  }
  if (domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return Status::InvalidArgument("email " + Quote(email) +
                                       " has an empty label in its domain (a leading, trailing or "
                                       "doubled dot)",
                                   kEmailField);
  }
  return Status::Ok();
}

// Why `number` (parsed, but not valid) is not a number, as a parenthesized
// hint, or "" when libphonenumber gives no more detail.
std::string InvalidNumberHint(const PhoneNumberUtil& util, const PhoneNumber& number) {
  switch (util.IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::TOO_SHORT:
      return " (too few digits)";
    case PhoneNumberUtil::TOO_LONG:
      return " (too many digits)";
    case PhoneNumberUtil::INVALID_LENGTH:
      return " (wrong number of digits)";
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return " (a local number: add the area code)";
    default:
      return "";
  }
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    // ASCII fast path: eight bytes per step while no high bit is set.
    while (size - i >= 8) {
      uint64_t chunk;
      std::memcpy(&chunk, p + i, 8);
      if (chunk & kHighBits) break;
      i += 8;
    }
    if (i == size) break;
    const unsigned char lead = p[i];
    const size_t left = size - i;
    if (lead < 0x80) {
      ++i;
    } else if (lead < 0xC2) {
      // A stray continuation byte, or C0/C1: an overlong form of U+0000..U+007F.
      return false;
    } else if (lead < 0xE0) {
      if (left < 2 || !IsContinuation(p[i + 1])) return false;
      i += 2;
    } else if (lead < 0xF0) {
      // E0 needs A0..BF next (else overlong); ED needs 80..9F (else a surrogate).
      const unsigned char lo = lead == 0xE0 ? 0xA0 : 0x80;
      const unsigned char hi = lead == 0xED ? 0x9F : 0xBF;
      if (left < 3 || p[i + 1] < lo || p[i + 1] > hi || !IsContinuation(p[i + 2])) return false;
      i += 3;
    } else if (lead < 0xF5) {
      // F0 needs 90..BF next (else overlong); F4 needs 80..8F (else > U+10FFFF).
      const unsigned char lo = lead == 0xF0 ? 0x90 : 0x80;
      const unsigned char hi = lead == 0xF4 ? 0x8F : 0xBF;
      if (left < 4 || p[i + 1] < lo || p[i + 1] > hi || !IsContinuation(p[i + 2]) ||
          !IsContinuation(p[i + 3])) {
        return false;
      }
      i += 4;
    } else {
      // F5..FF never occur in UTF-8.
      return false;
    }
  }
  return true;
}

Status CheckPhoneText(std::string_view input) {
  if (!IsValidUtf8(input)) {
    return Status::InvalidArgument("phone must be valid UTF-8", kPhoneField);
  }
  if (input.size() > kMaxPhoneBytes) {
    return Status::InvalidArgument("phone is " + std::to_string(input.size()) +
                                       " bytes long; the limit is " +
                                       std::to_string(kMaxPhoneBytes),
                                   kPhoneField);
  }
  return Status::Ok();
}

Result<std::string> NormalizePhone(std::string_view input, std::string_view default_region) {
  CRM_RETURN_IF_ERROR(CheckPhoneText(input));
  if (TrimWhiteSpace(input).empty()) {
    return Status::InvalidArgument("phone is empty", kPhoneField);
  }

  // libphonenumber knows regions only by their upper-case codes.
  std::string region(default_region);
  for (char& c : region) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const int region_country_code = util.GetCountryCodeForRegion(region);
  PhoneNumber number;
  switch (util.Parse(std::string(input), region, &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: {
      const bool has_plus = input.find('+') != std::string_view::npos ||
                            input.find("\xEF\xBC\x8B") != std::string_view::npos;  // U+FF0B
      if (region_country_code != 0 || has_plus) {
        return Status::InvalidArgument(
            "phone " + Quote(input) + " starts with an unknown country code", kPhoneField);
      }
      const std::string why =
          region.empty() ? "no default region is set"
                         : "the default region " + Quote(region) + " is not a known region";
      return Status::InvalidArgument("phone " + Quote(input) + " has no country code and " + why +
                                         "; write it as +<country code> <number>",
                                     kPhoneField);
    }
    case PhoneNumberUtil::NOT_A_NUMBER:
      return Status::InvalidArgument(
          "phone " + Quote(input) +
              " is not a phone number; write its digits, e.g. +86 138 0013 8000",
          kPhoneField);
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return Status::InvalidArgument(
          "phone " + Quote(input) + " has too few digits after its international prefix",
          kPhoneField);
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return Status::InvalidArgument("phone " + Quote(input) + " has too few digits", kPhoneField);
    case PhoneNumberUtil::TOO_LONG_NSN:
      return Status::InvalidArgument("phone " + Quote(input) + " has too many digits", kPhoneField);
  }

  // E.164 has no room for an extension; dropping it silently would make two
  // lines of one switchboard the same key.
  if (number.has_extension()) {
    return Status::InvalidArgument("phone " + Quote(input) + " has an extension (" +
                                       Quote(number.extension()) + "); store the number without it",
                                   kPhoneField);
  }
  if (!util.IsValidNumber(number)) {
    const std::string where = number.country_code() == region_country_code
                                  ? "region " + region
                                  : "country code +" + std::to_string(number.country_code());
    return Status::InvalidArgument("phone " + Quote(input) + " is not a valid number for " + where +
                                       InvalidNumberHint(util, number),
                                   kPhoneField);
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

uint64_t PhoneKey(std::string_view e164) {
  // No country code starts with 0, so "+0..." is never E.164 (and must not
  // alias the number without the 0).
  if (e164.size() < 2 || e164.size() > 1 + kMaxE164Digits || e164.front() != '+' ||
      e164[1] == '0') {
    return 0;
  }
  uint64_t key = 0;
  for (char c : e164.substr(1)) {
    if (c < '0' || c > '9') return 0;
    key = key * 10 + static_cast<uint64_t>(c - '0');
  }
  return key;
}

Result<std::string> NormalizeEmail(std::string_view input) {
  if (!IsValidUtf8(input)) {
    return Status::InvalidArgument("email must be valid UTF-8", kEmailField);
  }
  // NFKC is the identity on ASCII, the common case: ICU is skipped for it.
  std::string email;
  if (IsAscii(input)) {
    email.assign(TrimWhiteSpace(input));
  } else {
    Result<std::string> nfkc = Nfkc(input, kEmailField);
    if (!nfkc.ok()) return nfkc.status();
    email.assign(TrimWhiteSpace(*nfkc));
  }
  if (email.empty()) return Status::InvalidArgument("email is empty", kEmailField);
  CRM_RETURN_IF_ERROR(CheckEmailCharacters(email));

  const size_t at = email.find('@');
  if (at == std::string::npos) {
    return Status::InvalidArgument(
        "email " + Quote(email) + " has no '@'; write it as name@example.com", kEmailField);
  }
  if (email.find('@', at + 1) != std::string::npos) {
    return Status::InvalidArgument("email " + Quote(email) + " has more than one '@'", kEmailField);
  }
  if (at == 0) {
    return Status::InvalidArgument("email " + Quote(email) + " has nothing before the '@'",
                                   kEmailField);
  }
  if (at + 1 == email.size()) {
    return Status::InvalidArgument("email " + Quote(email) + " has no domain after the '@'",
                                   kEmailField);
  }
  std::string domain = email.substr(at + 1);
  LowerCase(&domain);
  email.resize(at + 1);
  email += domain;
  CRM_RETURN_IF_ERROR(CheckDomain(domain, email));
  if (email.size() > kMaxEmailBytes) {
    return Status::InvalidArgument("email is " + std::to_string(email.size()) +
                                       " bytes long after normalization; the limit is " +
                                       std::to_string(kMaxEmailBytes),
                                   kEmailField);
  }
  return email;
}

Result<std::string> NormalizeName(std::string_view input) {
  if (!IsValidUtf8(input)) {
    return Status::InvalidArgument("name must be valid UTF-8", kNameField);
  }
  // Controls are refused before NFKC, which never produces one.
  bool ascii = true;
  for (size_t i = 0; i < input.size(); ++i) {
    const auto byte = static_cast<unsigned char>(input[i]);
    char32_t control = 0;
    bool is_control = false;
    if (IsAsciiControl(byte)) {
      control = byte;
      is_control = true;
    } else if (byte >= 0x80) {
      ascii = false;
      // C1 controls U+0080..U+009F are C2 80..C2 9F; validity guarantees that
      // a C2 lead byte has a byte after it.
      if (byte == 0xC2 && static_cast<unsigned char>(input[i + 1]) < 0xA0) {
        control = static_cast<unsigned char>(input[i + 1]);
        is_control = true;
      }
    }
    if (is_control) {
      return Status::InvalidArgument("name contains the control character " +
                                         CodePointName(control) + " at byte " + std::to_string(i) +
                                         "; remove it",
                                     kNameField);
    }
  }

  std::string nfkc;
  std::string_view text = input;
  if (!ascii) {
    Result<std::string> normalized = Nfkc(input, kNameField);
    if (!normalized.ok()) return normalized.status();
    nfkc = std::move(normalized).value();
    text = nfkc;
  }

  // Trim, and fold each inner run of white space into one ' '.
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    if (IsWhiteSpace(DecodeAt(text, &i))) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out.append(text, start, i - start);
  }
  return out;
}

}  // namespace crm::engine
