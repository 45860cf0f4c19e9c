#include "identity/identifiers.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "crm/engine/normalize.h"

namespace crm::engine::identity {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr char kPhoneField[] = "phone";
constexpr size_t kMinPhoneDigits = 3;
constexpr size_t kMinSuffixDigits = 7;

// ---------------------------------------------------------------- phones

std::string UpperAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// `region` upper-cased when libphonenumber knows it, else "".
std::string KnownRegion(std::string_view region) {
  if (region.empty()) return {};
  std::string upper = UpperAscii(region);
  return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(upper) != 0 ? upper
                                                                             : std::string();
}

// Every decimal digit of `input` as ASCII, minus `extension` at the end.
std::string DigitsOf(std::string_view input, const std::string& extension) {
  std::string digits(input);
  PhoneNumberUtil::GetInstance()->NormalizeDigitsOnly(&digits);
  if (!extension.empty() && digits.size() > extension.size() &&
      std::string_view(digits).ends_with(extension)) {
    digits.resize(digits.size() - extension.size());
  }
  return digits;
}

// `input` read in `region` ("" when there is none): always a key, unverified
// when libphonenumber cannot vouch for it.
PhoneKey ReadIn(std::string_view input, const std::string& region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneKey key;
  PhoneNumber number;
  if (util.Parse(std::string(input), region, &number) == PhoneNumberUtil::NO_PARSING_ERROR) {
    // E.164, the national number and validity all ignore the extension.
    key.digits = DigitsOf(input, number.extension());
    if (util.IsValidNumber(number)) {
      key.quality = PhoneKey::Quality::kValid;
      util.GetRegionCodeForNumber(number, &key.region);
    } else if (util.IsPossibleNumberWithReason(number) == PhoneNumberUtil::IS_POSSIBLE) {
      key.quality = PhoneKey::Quality::kPossible;
      util.GetRegionCodeForCountryCode(number.country_code(), &key.region);
    }
    if (key.quality != PhoneKey::Quality::kUnverified) {
      util.Format(number, PhoneNumberUtil::E164, &key.e164);
      util.GetNationalSignificantNumber(number, &key.national);
      return key;
    }
  } else {
    key.digits = DigitsOf(input, {});
  }
  key.region = region;
  return key;
}

// The number `key` stands for: its national number, or its digits when
// unverified.
std::string_view Core(const PhoneKey& key) {
  return key.national.empty() ? std::string_view(key.digits) : std::string_view(key.national);
}

bool EndsWithCore(const PhoneKey& whole, const PhoneKey& part) {
  const std::string_view core = Core(part);
  return whole.digits.size() >= kMinSuffixDigits && core.size() >= kMinSuffixDigits &&
         std::string_view(whole.digits).ends_with(core);
}

// ---------------------------------------------------------------- emails

// NFKC_Casefold of `text` (valid UTF-8); "" if ICU's data is missing.
std::string CaseFold(const std::string& text) {
  bool ascii = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
  }
  if (ascii) {
    std::string out = text;
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  if (text.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) return {};
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return {};
  const icu::UnicodeString folded =
      fold->normalize(icu::UnicodeString::fromUTF8(
                          icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))),
                      status);
  if (U_FAILURE(status)) return {};
  std::string out;
  folded.toUTF8String(out);
  return out;
}

// ---------------------------------------------------------------- USCC

constexpr std::string_view kUsccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr size_t kUsccLength = 18;
constexpr int kUsccModulus = 31;
static_assert(kUsccChars.size() == kUsccModulus);

using UsccChars = std::array<char, kUsccLength>;

// 3^i mod 31 for the 17 body positions.
constexpr std::array<int, kUsccLength - 1> kUsccWeights = [] {
  std::array<int, kUsccLength - 1> weights{};
  int w = 1;
  for (int& weight : weights) {
    weight = w;
    w = w * 3 % kUsccModulus;
  }
  return weights;
}();

// The value of `c` in the set, or -1.
int UsccValue(char c) {
  const size_t at = kUsccChars.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

// `code` with full-width ASCII (U+FF01..U+FF5E) made ASCII and lower case
// made upper, into `out`: false unless that is exactly 18 characters.
bool FoldUscc(std::string_view code, UsccChars* out) {
  size_t n = 0;
  size_t i = 0;
  while (i < code.size()) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(code[i + k]); };
    char c;
    if (byte(0) < 0x80) {
      c = static_cast<char>(byte(0));
      i += 1;
    } else if (byte(0) == 0xEF && i + 2 < code.size() && (byte(1) == 0xBC || byte(1) == 0xBD) &&
               (byte(2) & 0xC0) == 0x80) {
      const unsigned cp = 0xF000u | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
      if (cp < 0xFF01 || cp > 0xFF5E) return false;
      c = static_cast<char>(cp - 0xFEE0);
      i += 3;
    } else {
      return false;
    }
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (n == kUsccLength) return false;
    (*out)[n++] = c;
  }
  return n == kUsccLength;
}

// The check value for the 17 body characters of `code`, or -1 when one is
// not in the set.
int UsccCheckValue(const char* body) {
  int sum = 0;
  for (size_t i = 0; i + 1 < kUsccLength; ++i) {
    const int v = UsccValue(body[i]);
    if (v < 0) return -1;
    sum += v * kUsccWeights[i];
  }
  return (kUsccModulus - sum % kUsccModulus) % kUsccModulus;
}

bool IsValidFolded(const UsccChars& code) {
  const int check = UsccCheckValue(code.data());
  return check >= 0 && kUsccChars[static_cast<size_t>(check)] == code[kUsccLength - 1];
}

}  // namespace

Result<PhoneKey> ParsePhone(std::string_view input, std::string_view record_country,
                            std::string_view default_region) {
  CRM_RETURN_IF_ERROR(CheckPhoneText(input));
  const std::string country = KnownRegion(record_country);
  const std::string fallback = KnownRegion(default_region);
  PhoneKey key = ReadIn(input, country.empty() ? fallback : country);
  if (key.quality != PhoneKey::Quality::kValid && !country.empty() && !fallback.empty() &&
      fallback != country) {
    PhoneKey other = ReadIn(input, fallback);
    if (other.quality < key.quality) key = std::move(other);
  }
  if (key.digits.size() < kMinPhoneDigits) {
    return Status::InvalidArgument("not a phone number: it has fewer than " +
                                       std::to_string(kMinPhoneDigits) +
                                       " digits; write its digits, e.g. +86 138 0013 8000",
                                   kPhoneField);
  }
  return key;
}

bool SamePhone(const PhoneKey& a, const PhoneKey& b) {
  using Quality = PhoneKey::Quality;
  if (a.quality != Quality::kUnverified && b.quality != Quality::kUnverified) {
    return a.e164 == b.e164;
  }
  if (a.digits == b.digits) return true;
  return EndsWithCore(a, b) || EndsWithCore(b, a);
}

std::string CanonicalEmail(std::string_view email) {
  Result<std::string> normalized = NormalizeEmail(email);
  if (!normalized.ok()) return {};
  std::string folded = CaseFold(*normalized);
  const size_t at = folded.rfind('@');
  if (folded.empty() || at == std::string::npos) return {};
  const std::string_view domain = std::string_view(folded).substr(at + 1);
  if (domain != "gmail.com" && domain != "googlemail.com") return folded;

  std::string local;
  for (char c : std::string_view(folded).substr(0, at)) {
    if (c == '+') break;
    if (c != '.') local += c;
  }
  if (local.empty()) return {};
  return local + "@gmail.com";
}

char UsccCheckChar(std::string_view first17) {
  if (first17.size() > 3 * (kUsccLength - 1)) return '\0';
  // Fold through the 18-character path with a placeholder check character.
  std::string padded(first17);
  padded += '0';
  UsccChars code;
  if (!FoldUscc(padded, &code)) return '\0';
  const int check = UsccCheckValue(code.data());
  return check < 0 ? '\0' : kUsccChars[static_cast<size_t>(check)];
}

bool IsValidUscc(std::string_view code) {
  UsccChars folded;
  return FoldUscc(code, &folded) && IsValidFolded(folded);
}

std::optional<std::string> CorrectUscc(std::string_view code) {
  UsccChars folded;
  if (!FoldUscc(code, &folded)) return std::nullopt;
  if (IsValidFolded(folded)) return std::string(folded.begin(), folded.end());
  std::optional<std::string> found;
  for (size_t i = 0; i < kUsccLength; ++i) {
    const char original = folded[i];
    for (char c : kUsccChars) {
      if (c == original) continue;
      folded[i] = c;
      if (IsValidFolded(folded)) {
        if (found.has_value()) return std::nullopt;
        found.emplace(folded.begin(), folded.end());
      }
    }
    folded[i] = original;
  }
  return found;
}

bool UsccOneTypoApart(std::string_view a, std::string_view b) {
  UsccChars fa;
  UsccChars fb;
  if (!FoldUscc(a, &fa) || !FoldUscc(b, &fb)) return false;
  if (!IsValidFolded(fa) || IsValidFolded(fb)) return false;
  size_t differences = 0;
  for (size_t i = 0; i < kUsccLength; ++i) differences += fa[i] != fb[i] ? 1 : 0;
  return differences == 1;
}

}  // namespace crm::engine::identity
