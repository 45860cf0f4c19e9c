// Normalized identifier keys: phones, emails and USCCs (统一社会信用代码) in
// the form duplicate checks and lookups compare them. These keys say whether
// two written identifiers are the same one; they do not decide whether a
// record may be stored (that stays with crm/engine/normalize.h).
//
// Thread-safety: every function here may be called from any thread at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crm/engine/status.h"

namespace crm::engine::identity {

// ---------------------------------------------------------------- phones

// A phone number as written on a record, reduced to what identifies it.
struct PhoneKey {
  enum class Quality {
    // libphonenumber calls the number valid: its range is allocated.
    kValid,
    // The right length for its country and type, but the installed metadata
    // does not list the range (metadata ages; e.g. +86 194..., +86 1749...).
    kPossible,
    // Neither: kept as written and matched by its digits only.
    kUnverified,
  };
  Quality quality = Quality::kUnverified;
  // "+8613800138000"; empty when unverified.
  std::string e164;
  // The national significant number ("13800138000", "2079460018"); empty
  // when unverified.
  std::string national;
  // Every digit as written (full-width and other decimal digits as ASCII),
  // without an extension libphonenumber recognized: "+86 138 0013 8000" ->
  // "8613800138000".
  std::string digits;
  // ISO 3166-1 alpha-2 of the number ("CN", "GB"; "001" for non-geographic
  // numbers) when verified; when unverified, the region it was read in, or
  // "" when there was none.
  std::string region;
};

// Reads `input` as a phone number. A number written nationally is read in
// `record_country` (ISO 3166-1 alpha-2, any case; "" or unknown: ignored),
// else in `default_region`; a number with "+" or an international prefix
// ("0086...") carries its own country. When both regions are given and they
// read the number differently, the better quality wins (valid over possible
// over unverified), the record's country on a tie: a "13800138000" on a
// record with country GB is the valid CN mobile, not an impossible UK number.
// An extension ("ext. 12", "x 23") is dropped from the key.
//
// Quality: kValid per IsValidNumber; kPossible when IsPossibleNumber says
// IS_POSSIBLE only; everything else (too short, too long, a local number that
// needs its area code (IS_POSSIBLE_LOCAL_ONLY), no country to read it in,
// text libphonenumber cannot parse) is kUnverified with its digits.
// Note: CN allows 8-digit national numbers, so a Shanghai landline written
// without its area code ("6123 4567", country CN) reads as kPossible
// +8661234567; it matches the same local number written the same way, not
// "021 6123 4567" (completing it from the city is a later step).
//
// Refuses with InvalidArgument (field "phone") only: input that is not valid
// UTF-8, longer than 64 bytes, or with fewer than 3 digits ("abc": "not a
// phone number"). Cost: one or two libphonenumber parses (a few µs);
// allocates.
Result<PhoneKey> ParsePhone(std::string_view input, std::string_view record_country,
                            std::string_view default_region);

// True when `a` and `b` are the same line. Both verified (valid or possible):
// the same national number in the same country code (equal e164). Either
// unverified: equal digits, or, when both have at least 7 digits, the digits
// of one end with the national number (for an unverified key, its digits) of
// the other ("tel 0086-21-6123-4567 (office)" read without a region, so
// unverified, vs the valid +86 21 6123 4567). O(length), allocates nothing.
bool SamePhone(const PhoneKey& a, const PhoneKey& b);

// ---------------------------------------------------------------- emails

// The email as a match key: NFKC, trimmed, the whole address case-folded
// (local part too: mailboxes differing only in case are treated as one).
// For gmail.com and googlemail.com the local part loses its dots and its
// "+tag", and the domain becomes gmail.com: "JohnSmith@Gmail.com",
// "john.smith@gmail.com" and "johnsmith+crm@googlemail.com" all give
// "johnsmith@gmail.com". Other domains keep "+tag" and dots (their rules are
// unknown; guessing would join different people). Returns "" for input
// NormalizeEmail refuses, and for a Gmail address with nothing left before
// the '@'. Cost: an ICU pass for non-ASCII input; allocates.
std::string CanonicalEmail(std::string_view email);

// ---------------------------------------------------------------- USCC

// GB 32100-2015: 18 characters from the 31-character set 0-9 A-H J-N P-R T-U
// W-Y (no I, O, S, V, Z). Position i (0-based) of the first 17 has weight
// 3^i mod 31; the check character (position 17) is the one of value
// 31 - (sum mod 31), with 31 written as '0'. Only the checksum and the
// character set are checked, not the registration authority, region code or
// embedded organization code.
//
// Input may use lower case and full-width forms ("９１ｂ..."), folded to
// ASCII upper case before checking. Nothing else is forgiven (no trimming,
// no separators).

// The check character for `first17` (17 characters, folded as above), or
// '\0' when it is not 17 characters of the set.
char UsccCheckChar(std::string_view first17);

// True when `code` folds to 18 characters of the set with a correct check
// character. Allocates nothing for ASCII input.
bool IsValidUscc(std::string_view code);

// The rule "a failed code one character from exactly one valid code is a
// typo of it", taken literally: `code` folded if valid; else the only valid
// code at one-character substitution distance (every position, every
// character of the set), if there is exactly one; else nullopt.
//
// Outcome: a mod-31 check is a bijection at every position, so an invalid
// 18-character code of set characters has exactly 18 valid neighbours (one
// per position) and never a unique one: random single-character typos within
// the set are corrected 0% of the time (measured in the tests). A correction
// comes only when the typo put an out-of-set character in (I, O, S, V, Z,
// e.g. 'O' for '0'): then only that position can be fixed, and the code is
// corrected 100% of the time. For dedup, use UsccOneTypoApart instead.
// Cost: up to 18 * 31 checksums.
std::optional<std::string> CorrectUscc(std::string_view code);

// The practical evidence rule for duplicates: true when `a` is valid, `b` is
// not, and, folded, they have the same length and differ in exactly one
// character. Since a failed code always has 18 valid neighbours, it is
// compared with the valid codes already on records, not corrected alone; an
// unrelated stored code being one of those 18 by chance is negligible (about
// 18 in 31^17). Allocates nothing for ASCII input.
bool UsccOneTypoApart(std::string_view a, std::string_view b);

}  // namespace crm::engine::identity
