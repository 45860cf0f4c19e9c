// Proves the identifier keys duplicate checks and lookups share: phones read
// with the record's country, emails with Gmail's rules, USCC checksums and
// what a one-character typo of a USCC can and cannot tell.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

#include "crm/engine/status.h"
#include "identity/identifiers.h"

namespace crm::engine::identity {
namespace {

using Quality = PhoneKey::Quality;

PhoneKey Key(std::string_view input, std::string_view country, std::string_view fallback = "CN") {
  Result<PhoneKey> key = ParsePhone(input, country, fallback);
  EXPECT_TRUE(key.ok()) << input << ": " << key.status().message();
  return key.ok() ? *key : PhoneKey{};
}

// ---------------------------------------------------------------- phones

TEST(IdentifierPhoneTest, CnMobileIsValid) {
  const PhoneKey key = Key("+86 138 0013 8000", "");
  EXPECT_EQ(key.quality, Quality::kValid);
  EXPECT_EQ(key.e164, "+8613800138000");
  EXPECT_EQ(key.national, "13800138000");
  EXPECT_EQ(key.digits, "8613800138000");
  EXPECT_EQ(key.region, "CN");
}

// The installed metadata lists +86 190-193 and 195-199 but not 194, nor the
// 1749 satellite range: both are the right length, so possible.
TEST(IdentifierPhoneTest, UnlistedCnMobileRangeIsPossible) {
  for (std::string_view input : {"19412345678", "+86 1749 123 4567"}) {
    const PhoneKey key = Key(input, "CN");
    EXPECT_EQ(key.quality, Quality::kPossible) << input;
    EXPECT_EQ(key.region, "CN") << input;
  }
  const PhoneKey key = Key("194 1234 5678", "CN");
  EXPECT_EQ(key.e164, "+8619412345678");
  EXPECT_EQ(key.national, "19412345678");
}

TEST(IdentifierPhoneTest, UkAndUsWrittenNationallyUseTheRecordCountry) {
  const PhoneKey uk = Key("020 7946 0018", "GB");
  EXPECT_EQ(uk.quality, Quality::kValid);
  EXPECT_EQ(uk.e164, "+442079460018");
  EXPECT_EQ(uk.national, "2079460018");
  EXPECT_EQ(uk.region, "GB");

  const PhoneKey us = Key("(415) 555-0100", "us");
  EXPECT_EQ(us.quality, Quality::kValid);
  EXPECT_EQ(us.e164, "+14155550100");
  EXPECT_EQ(us.region, "US");
}

TEST(IdentifierPhoneTest, WithoutCountryFallsBackToDefaultRegion) {
  EXPECT_EQ(Key("13800138000", "").e164, "+8613800138000");
  EXPECT_EQ(Key("021 6123 4567", "").e164, "+862161234567");
  // An unknown record country is ignored, not an error.
  EXPECT_EQ(Key("13800138000", "XX").e164, "+8613800138000");
}

TEST(IdentifierPhoneTest, BetterReadingOfTheDefaultRegionWins) {
  // A CN mobile on a record whose country is GB: impossible in GB, valid in CN.
  const PhoneKey key = Key("13800138000", "GB", "CN");
  EXPECT_EQ(key.quality, Quality::kValid);
  EXPECT_EQ(key.e164, "+8613800138000");
  // A number with its own country code ignores both regions.
  EXPECT_EQ(Key("+44 20 7946 0018", "US", "CN").e164, "+442079460018");
}

TEST(IdentifierPhoneTest, ExtensionIsDroppedFromTheKey) {
  const PhoneKey key = Key("415 555 0100 x 23", "US");
  EXPECT_EQ(key.quality, Quality::kValid);
  EXPECT_EQ(key.e164, "+14155550100");
  EXPECT_EQ(key.digits, "4155550100");
  EXPECT_TRUE(SamePhone(key, Key("(415) 555-0100", "US")));
}

// CN allows 8-digit national numbers, so a landline without its area code
// reads as possible: it is not completed from a city here.
TEST(IdentifierPhoneTest, LandlineWithoutAreaCodeIsPossibleAsWritten) {
  const PhoneKey key = Key("6123 4567", "CN");
  EXPECT_EQ(key.quality, Quality::kPossible);
  EXPECT_EQ(key.national, "61234567");
  EXPECT_EQ(key.digits, "61234567");
  EXPECT_FALSE(SamePhone(key, Key("021 6123 4567", "CN")));
  EXPECT_TRUE(SamePhone(key, Key("61234567", "CN")));
}

TEST(IdentifierPhoneTest, UnparsableTextIsUnverifiedWithItsDigits) {
  const PhoneKey short_one = Key("12-34", "CN");
  EXPECT_EQ(short_one.quality, Quality::kUnverified);
  EXPECT_EQ(short_one.digits, "1234");
  EXPECT_EQ(short_one.e164, "");
  EXPECT_EQ(short_one.region, "CN");

  const PhoneKey words = Key("021-6123-4567 转 808", "CN");
  EXPECT_EQ(words.quality, Quality::kUnverified);
  EXPECT_EQ(words.digits, "02161234567808");

  // No region at all: a national number cannot be read, but is kept.
  const PhoneKey nowhere = Key("6123 4567", "", "");
  EXPECT_EQ(nowhere.quality, Quality::kUnverified);
  EXPECT_EQ(nowhere.digits, "61234567");
  EXPECT_EQ(nowhere.region, "");

  // Full-width digits are digits.
  EXPECT_EQ(Key("\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93", "", "").digits, "123");
}

TEST(IdentifierPhoneTest, FewerThanThreeDigitsIsRefused) {
  for (std::string_view input : {"abc", "", "  ", "1-2", "call me"}) {
    Result<PhoneKey> key = ParsePhone(input, "CN", "CN");
    ASSERT_FALSE(key.ok()) << input;
    EXPECT_EQ(key.status().code(), Code::kInvalidArgument);
    EXPECT_NE(key.status().message().find("not a phone number"), std::string::npos);
    EXPECT_EQ(key.status().field(), "phone");
  }
  EXPECT_FALSE(ParsePhone("\xFF"
                          "123",
                          "CN", "CN")
                   .ok());
  EXPECT_FALSE(ParsePhone(std::string(65, '1'), "CN", "CN").ok());
}

TEST(IdentifierPhoneTest, SamePhoneAcrossFormats) {
  const PhoneKey a = Key("+86 138 0013 8000", "");
  const PhoneKey b = Key("13800138000", "");
  const PhoneKey c = Key("008613800138000", "");
  const PhoneKey d = Key("+86 (138) 0013-8000", "GB");
  EXPECT_TRUE(SamePhone(a, b));
  EXPECT_TRUE(SamePhone(b, c));
  EXPECT_TRUE(SamePhone(a, d));
  EXPECT_FALSE(SamePhone(a, Key("13800138001", "")));
  // Same national digits, different country codes.
  EXPECT_FALSE(SamePhone(Key("+1 415 555 0100", ""), Key("+44 4155550100", "")));
}

TEST(IdentifierPhoneTest, UnverifiedMatchesByDigits) {
  const PhoneKey shanghai = Key("021 6123 4567", "CN");
  const PhoneKey noted = Key("tel 0086-21-6123-4567 (office)", "", "");
  ASSERT_EQ(noted.quality, Quality::kUnverified);
  EXPECT_EQ(noted.digits, "00862161234567");
  // Its digits end with the valid number's national number.
  EXPECT_TRUE(SamePhone(noted, shanghai));
  EXPECT_TRUE(SamePhone(shanghai, noted));

  const PhoneKey odd = Key("12-34", "CN");
  EXPECT_TRUE(SamePhone(odd, Key("1234", "", "")));
  // Short digits never match by suffix.
  EXPECT_FALSE(SamePhone(odd, Key("99-1234", "", "")));
  EXPECT_FALSE(SamePhone(noted, Key("tel 0086-21-6123-4568", "", "")));
}

// ---------------------------------------------------------------- emails

TEST(IdentifierEmailTest, GmailFormsAgree) {
  EXPECT_EQ(CanonicalEmail("JohnSmith@Gmail.com"), "johnsmith@gmail.com");
  EXPECT_EQ(CanonicalEmail("john.smith@gmail.com"), "johnsmith@gmail.com");
  EXPECT_EQ(CanonicalEmail("johnsmith+crm@googlemail.com"), "johnsmith@gmail.com");
  EXPECT_EQ(CanonicalEmail("  J.o.h.n.Smith+a+b@GoogleMail.COM "), "johnsmith@gmail.com");
  EXPECT_EQ(CanonicalEmail("+crm@gmail.com"), "");
}

TEST(IdentifierEmailTest, OtherDomainsFoldCaseOnly) {
  EXPECT_EQ(CanonicalEmail("Li.Wei@Example.com"), "li.wei@example.com");
  EXPECT_EQ(CanonicalEmail("li.wei@example.com"), "li.wei@example.com");
  EXPECT_EQ(CanonicalEmail("a+b@example.com"), "a+b@example.com");
  EXPECT_NE(CanonicalEmail("a+b@example.com"), CanonicalEmail("a@example.com"));
  EXPECT_NE(CanonicalEmail("li.wei@example.com"), CanonicalEmail("liwei@example.com"));
}

TEST(IdentifierEmailTest, UnicodeIsNfkcAndCaseFolded) {
  // Full-width "ＬＩ@Example.com" and a German sharp s folded to "ss".
  EXPECT_EQ(CanonicalEmail("\xEF\xBC\xAC\xEF\xBC\xA9@Example.com"), "li@example.com");
  EXPECT_EQ(CanonicalEmail("Stra\xC3\x9F"
                           "e@example.de"),
            "strasse@example.de");
  EXPECT_EQ(CanonicalEmail("\xE5\xBC\xA0\xE4\xBC\x9F@Example.CN"),
            "\xE5\xBC\xA0\xE4\xBC\x9F@example.cn");
}

TEST(IdentifierEmailTest, InvalidInputIsEmpty) {
  for (std::string_view input : {"", "nobody", "a@b", "a@@example.com", "@example.com",
                                 "a b@example.com", "a@example..com", "\xFF@example.com"}) {
    EXPECT_EQ(CanonicalEmail(input), "") << input;
  }
}

// ---------------------------------------------------------------- USCC

constexpr std::string_view kSet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// A valid code: 17 random characters of the set and their check character.
std::string RandomUscc(std::mt19937* rng) {
  std::uniform_int_distribution<size_t> pick(0, kSet.size() - 1);
  std::string code;
  for (int i = 0; i < 17; ++i) code += kSet[pick(*rng)];
  code += UsccCheckChar(code);
  return code;
}

// 91350100M000100Y43 is a published example code of GB 32100-2015's format.
constexpr std::string_view kValid = "91350100M000100Y43";

TEST(IdentifierUsccTest, ChecksumAndCharacterSet) {
  EXPECT_TRUE(IsValidUscc(kValid));
  EXPECT_EQ(UsccCheckChar(kValid.substr(0, 17)), '3');
  EXPECT_FALSE(IsValidUscc("91350100M000100Y44"));
  EXPECT_FALSE(IsValidUscc("91350100M000100Y4"));
  EXPECT_FALSE(IsValidUscc("91350100M000100Y433"));
  EXPECT_FALSE(IsValidUscc(""));
  // 'O' is not in the set even where the sum would work out.
  EXPECT_FALSE(IsValidUscc("91350100MO00100Y43"));
  EXPECT_EQ(UsccCheckChar("91350100M000100"), '\0');
  EXPECT_EQ(UsccCheckChar("91350100M000100YI"), '\0');
}

TEST(IdentifierUsccTest, CheckCharacterThirtyOneIsZero) {
  // Some body has sum % 31 == 0; its check character is '0', not out of range.
  std::mt19937 rng(7);
  bool seen = false;
  for (int i = 0; i < 2000 && !seen; ++i) {
    const std::string code = RandomUscc(&rng);
    if (code.back() == '0') {
      seen = true;
      EXPECT_TRUE(IsValidUscc(code));
    }
  }
  EXPECT_TRUE(seen);
}

TEST(IdentifierUsccTest, LowerCaseAndFullWidthAreFolded) {
  EXPECT_TRUE(IsValidUscc("91350100m000100y43"));
  // "９１３５０１００Ｍ０００１００Ｙ４３" in full-width forms.
  std::string full;
  for (char c : kValid) {
    const unsigned cp = 0xFEE0u + static_cast<unsigned char>(c);
    full += static_cast<char>(0xE0 | (cp >> 12));
    full += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    full += static_cast<char>(0x80 | (cp & 0x3F));
  }
  EXPECT_TRUE(IsValidUscc(full));
  EXPECT_EQ(CorrectUscc(full), std::string(kValid));
  EXPECT_FALSE(IsValidUscc(" 91350100M000100Y43"));
}

TEST(IdentifierUsccTest, CorrectionOnlyWhenUnique) {
  EXPECT_EQ(CorrectUscc(kValid), std::string(kValid));
  EXPECT_EQ(CorrectUscc("91350100m000100y43"), std::string(kValid));
  // A wrong check character: fixing it is one valid neighbour, and each body
  // position has one more, so there is no unique correction.
  EXPECT_EQ(CorrectUscc("91350100M000100Y44"), std::nullopt);
  // An out-of-set character can only be fixed where it stands.
  EXPECT_EQ(CorrectUscc("91350100MO00100Y43"), std::string(kValid));
  EXPECT_EQ(CorrectUscc("91350100M000100Y4Z"), std::string(kValid));
  EXPECT_EQ(CorrectUscc("short"), std::nullopt);
}

TEST(IdentifierUsccTest, CorrectionRateOnRandomTypos) {
  std::mt19937 rng(20151001);
  std::uniform_int_distribution<size_t> position(0, 17);
  std::uniform_int_distribution<size_t> pick(0, kSet.size() - 1);
  constexpr std::string_view kOutOfSet = "IOSVZ";
  std::uniform_int_distribution<size_t> pick_out(0, kOutOfSet.size() - 1);
  constexpr int kTrials = 2000;
  int in_set_corrected = 0;
  int out_of_set_corrected = 0;
  int one_apart = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    const std::string code = RandomUscc(&rng);
    ASSERT_TRUE(IsValidUscc(code));
    const size_t at = position(rng);

    std::string typo = code;
    while (typo[at] == code[at]) typo[at] = kSet[pick(rng)];
    ASSERT_FALSE(IsValidUscc(typo)) << code << " " << typo;
    if (CorrectUscc(typo).has_value()) ++in_set_corrected;
    if (UsccOneTypoApart(code, typo)) ++one_apart;

    std::string out = code;
    out[at] = kOutOfSet[pick_out(rng)];
    const std::optional<std::string> fixed = CorrectUscc(out);
    if (fixed.has_value()) {
      EXPECT_EQ(*fixed, code);
      ++out_of_set_corrected;
    }
  }
  // Every in-set typo has 18 valid neighbours: never a unique correction.
  EXPECT_EQ(in_set_corrected, 0);
  EXPECT_EQ(out_of_set_corrected, kTrials);
  EXPECT_EQ(one_apart, kTrials);
  RecordProperty("in_set_corrected_percent", in_set_corrected * 100 / kTrials);
  RecordProperty("out_of_set_corrected_percent", out_of_set_corrected * 100 / kTrials);
}

TEST(IdentifierUsccTest, OneTypoApart) {
  EXPECT_TRUE(UsccOneTypoApart(kValid, "91350100M000100Y44"));
  EXPECT_FALSE(UsccOneTypoApart(kValid, "91350100M0001OOY43"));  // two apart
  EXPECT_TRUE(UsccOneTypoApart(kValid, "91350100MO00100Y43"));
  EXPECT_TRUE(UsccOneTypoApart(kValid, "91350100m000100y44"));
  // The valid one must come first; two valid codes are not a typo pair.
  EXPECT_FALSE(UsccOneTypoApart("91350100M000100Y44", kValid));
  EXPECT_FALSE(UsccOneTypoApart(kValid, kValid));
  std::mt19937 rng(3);
  EXPECT_FALSE(UsccOneTypoApart(kValid, RandomUscc(&rng)));
  EXPECT_FALSE(UsccOneTypoApart(kValid, "91350100M000100Y4"));
}

}  // namespace
}  // namespace crm::engine::identity
