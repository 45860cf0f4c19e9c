// Proves the normalization of customer keys (phones, emails, names), the UTF-8
// validator they rest on, and the Status they report errors with.
#include "crm/engine/normalize.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "crm/engine/status.h"

namespace crm::engine {
namespace {

using namespace std::string_view_literals;

// The UTF-8 byte pattern for `c`, built without any validity check so that
// surrogates and values above U+10FFFF can be produced as test input.
std::string Encode(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// Succeeds when `result` holds exactly `expected`.
::testing::AssertionResult Yields(const Result<std::string>& result, std::string_view expected) {
  if (!result.ok()) {
    return ::testing::AssertionFailure() << "refused: " << result.status().ToString();
  }
  if (result.value() != expected) {
    return ::testing::AssertionFailure()
           << "got \"" << result.value() << "\", want \"" << expected << "\"";
  }
  return ::testing::AssertionSuccess();
}

// Succeeds when `result` is InvalidArgument about `field`.
::testing::AssertionResult IsInvalid(const Result<std::string>& result, std::string_view field) {
  if (result.ok()) {
    return ::testing::AssertionFailure() << "accepted as \"" << result.value() << "\"";
  }
  if (result.status().code() != Code::kInvalidArgument || result.status().field() != field) {
    return ::testing::AssertionFailure() << "wrong error: " << result.status().ToString();
  }
  return ::testing::AssertionSuccess();
}

// Succeeds when `result` is InvalidArgument about `field` whose message
// contains `part`.
::testing::AssertionResult IsInvalidWith(const Result<std::string>& result, std::string_view field,
                                         std::string_view part) {
  ::testing::AssertionResult invalid = IsInvalid(result, field);
  if (!invalid) return invalid;
  if (result.status().message().find(part) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message \"" << result.status().message() << "\" lacks \"" << part << "\"";
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------- Status

TEST(StatusTest, DefaultIsOkAndHoldsNothing) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), Code::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.field(), "");
  EXPECT_EQ(status.existing_id(), 0u);
  EXPECT_EQ(status.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, ToStringIsCodeFieldMessage) {
  EXPECT_EQ(Status::InvalidArgument("must be valid UTF-8", "customer.name").ToString(),
            "invalid_argument: customer.name: must be valid UTF-8");
}

TEST(StatusTest, ToStringWithoutFieldIsCodeMessage) {
  EXPECT_EQ(Status::NotFound("customer 7 does not exist").ToString(),
            "not_found: customer 7 does not exist");
  EXPECT_EQ(Status::Internal("boom").ToString(), "internal: boom");
}

TEST(StatusTest, CodeNamesAreStable) {
  EXPECT_EQ(CodeName(Code::kOk), "ok");
  EXPECT_EQ(CodeName(Code::kNotFound), "not_found");
  EXPECT_EQ(CodeName(Code::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(CodeName(Code::kAlreadyExists), "already_exists");
  EXPECT_EQ(CodeName(Code::kPermissionDenied), "permission_denied");
  EXPECT_EQ(CodeName(Code::kConflict), "conflict");
  EXPECT_EQ(CodeName(Code::kUnavailable), "unavailable");
  EXPECT_EQ(CodeName(Code::kInternal), "internal");
  EXPECT_EQ(CodeName(static_cast<Code>(200)), "unknown");
}

TEST(StatusTest, FactoriesSetCodeFieldAndId) {
  Status exists = Status::AlreadyExists("phone is taken", "customer.phones[0]", 42);
  EXPECT_FALSE(exists.ok());
  EXPECT_EQ(exists.code(), Code::kAlreadyExists);
  EXPECT_EQ(exists.message(), "phone is taken");
  EXPECT_EQ(exists.field(), "customer.phones[0]");
  EXPECT_EQ(exists.existing_id(), 42u);
  EXPECT_EQ(Status::PermissionDenied("no").code(), Code::kPermissionDenied);
  EXPECT_EQ(Status::Conflict("stale", "version").field(), "version");
  EXPECT_EQ(Status::Unavailable("later").ToString(), "unavailable: later");
}

TEST(StatusTest, OkCodeThroughConstructorIsOk) {
  Status status(Code::kOk, "ignored", "ignored");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "ok");
}

TEST(StatusTest, CopiesAreDeepAndMovesTransfer) {
  Status original = Status::Conflict("stale version", "customer.version");
  Status copy = original;
  EXPECT_EQ(copy.ToString(), original.ToString());
  Status assigned;
  assigned = original;
  EXPECT_EQ(assigned.ToString(), "conflict: customer.version: stale version");
  Status moved = std::move(original);
  EXPECT_EQ(moved.ToString(), "conflict: customer.version: stale version");
  assigned = Status::Ok();
  EXPECT_TRUE(assigned.ok());
  EXPECT_EQ(copy.code(), Code::kConflict);
}

TEST(StatusTest, ResultFromOkStatusBecomesInternal) {
  Result<std::string> result{Status::Ok()};
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Code::kInternal);
}

// ---------------------------------------------------------------- IsValidUtf8

TEST(IsValidUtf8Test, EmptyAndAsciiAreValid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8(std::string_view()));
  EXPECT_TRUE(IsValidUtf8("hello, world"));
  EXPECT_TRUE(IsValidUtf8("\0"sv));
  EXPECT_TRUE(IsValidUtf8(std::string(1000, 'x')));
}

TEST(IsValidUtf8Test, BoundaryCodePointsAreValid) {
  for (char32_t c : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu,
                     0x10000u, 0x10FFFFu}) {
    SCOPED_TRACE(static_cast<unsigned>(c));
    const std::string bytes = Encode(c);
    EXPECT_TRUE(IsValidUtf8(bytes));
    // Inside long ASCII runs too, so the 8-byte fast path hands over cleanly.
    EXPECT_TRUE(IsValidUtf8(std::string(13, 'a') + bytes + std::string(17, 'b')));
  }
  EXPECT_EQ(Encode(0x7F).size(), 1u);
  EXPECT_EQ(Encode(0x80).size(), 2u);
  EXPECT_EQ(Encode(0x7FF).size(), 2u);
  EXPECT_EQ(Encode(0x800).size(), 3u);
  EXPECT_EQ(Encode(0xFFFF).size(), 3u);
  EXPECT_EQ(Encode(0x10000).size(), 4u);
  EXPECT_EQ(Encode(0x10FFFF).size(), 4u);
}

TEST(IsValidUtf8Test, RealTextIsValid) {
  EXPECT_TRUE(IsValidUtf8("张三 Zhāng Sān ｆｏｏ＠ｅｘａｍｐｌｅ．ｃｏｍ 😀"));
}

TEST(IsValidUtf8Test, SurrogatesAreInvalid) {
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_FALSE(IsValidUtf8(Encode(0xDBFF)));
  EXPECT_FALSE(IsValidUtf8(Encode(0xDC00)));
  // A CESU-8 style surrogate pair for U+1F600.
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\xBD\xED\xB8\x80"));
}

TEST(IsValidUtf8Test, AboveMaxCodePointIsInvalid) {
  EXPECT_FALSE(IsValidUtf8(Encode(0x110000)));  // F4 90 80 80
  EXPECT_FALSE(IsValidUtf8("\xF4\xBF\xBF\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF7\xBF\xBF\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));  // old 5-byte form
  EXPECT_FALSE(IsValidUtf8("\xFC\x84\x80\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFE"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(IsValidUtf8Test, OverlongFormsAreInvalid) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // '/' in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // NUL in 2 bytes (modified UTF-8)
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // U+007F in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // '/' in 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
  // The smallest legal forms right above them.
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));
}

TEST(IsValidUtf8Test, TruncatedSequencesAreInvalid) {
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82Z"));  // cut short by an ASCII byte
  EXPECT_FALSE(IsValidUtf8("\xF0\x9Fxy"));
  EXPECT_FALSE(IsValidUtf8("\xC3\xC3\xA9"));  // lead byte followed by a lead byte
  EXPECT_FALSE(IsValidUtf8(std::string(100, 'a') + "\xE4\xB8"));
}

TEST(IsValidUtf8Test, StrayContinuationBytesAreInvalid) {
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xBF"));
  EXPECT_FALSE(IsValidUtf8("a\x80z"));
  EXPECT_FALSE(IsValidUtf8("\xC3\xA9\xA9"));  // one continuation too many
}

TEST(IsValidUtf8Test, BadByteIsFoundAtEveryOffset) {
  // Moves one bad byte across 8-byte chunk boundaries of the ASCII fast path.
  for (size_t offset = 0; offset < 40; ++offset) {
    SCOPED_TRACE(offset);
    std::string text(40, 'x');
    text[offset] = '\xFF';
    EXPECT_FALSE(IsValidUtf8(text));
    text[offset] = '\x80';
    EXPECT_FALSE(IsValidUtf8(text));
    text[offset] = 'y';
    EXPECT_TRUE(IsValidUtf8(text));
  }
}

// ---------------------------------------------------------------- PhoneKey

TEST(PhoneKeyTest, DigitsBecomeTheKey) {
  EXPECT_EQ(PhoneKey("+8613800138000"), 8613800138000u);
  EXPECT_EQ(PhoneKey("+16502530000"), 16502530000u);
  EXPECT_EQ(PhoneKey("+1"), 1u);
  EXPECT_EQ(PhoneKey("+999999999999999"), 999999999999999u);  // 15 digits, the E.164 max
}

TEST(PhoneKeyTest, AnythingElseIsZero) {
  EXPECT_EQ(PhoneKey(""), 0u);
  EXPECT_EQ(PhoneKey("+"), 0u);
  EXPECT_EQ(PhoneKey("8613800138000"), 0u);
  EXPECT_EQ(PhoneKey("+1234567890123456"), 0u);  // 16 digits
  EXPECT_EQ(PhoneKey("++8613800138000"), 0u);
  EXPECT_EQ(PhoneKey("+86 138 0013 8000"), 0u);
  EXPECT_EQ(PhoneKey("+86-13800138000"), 0u);
  EXPECT_EQ(PhoneKey("+8613800138000 "), 0u);
  EXPECT_EQ(PhoneKey("+86a"), 0u);
  EXPECT_EQ(PhoneKey("+８６"), 0u);  // fullwidth digits are not ASCII digits
  EXPECT_EQ(PhoneKey("+86\0001"sv), 0u);
  // No country code starts with 0: "+0086..." must not alias "+86...".
  EXPECT_EQ(PhoneKey("+08613800138000"), 0u);
  EXPECT_EQ(PhoneKey("+0"), 0u);
}

// ---------------------------------------------------------------- NormalizePhone

TEST(NormalizePhoneTest, ChineseMobileWrittenManyWays) {
  for (std::string_view input :
       {"+86 138-0013-8000", "13800138000", "+8613800138000", "138 0013 8000", "138.0013.8000",
        "  13800138000  ", "0086 138 0013 8000", "+86 (138) 0013-8000", "tel:+86-138-0013-8000",
        "86 138 0013 8000"}) {
    SCOPED_TRACE(input);
    EXPECT_TRUE(Yields(NormalizePhone(input, "CN"), "+8613800138000"));
  }
}

TEST(NormalizePhoneTest, ChineseLandlineDropsTheTrunkZero) {
  EXPECT_TRUE(Yields(NormalizePhone("021 6123 4567", "CN"), "+862161234567"));
  EXPECT_TRUE(Yields(NormalizePhone("(021) 6123-4567", "CN"), "+862161234567"));
  EXPECT_TRUE(Yields(NormalizePhone("+86 (0)21 6123 4567", "CN"), "+862161234567"));
  EXPECT_TRUE(Yields(NormalizePhone("010 1234 5678", "CN"), "+861012345678"));
}

TEST(NormalizePhoneTest, FullwidthFormsAreRead) {
  EXPECT_TRUE(Yields(NormalizePhone("１３８００１３８０００", "CN"), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("＋８６ １３８－００１３－８０００", "CN"), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("１３８\u3000００１３\u3000８０００", "CN"), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("（０２１）６１２３ ４５６７", "CN"), "+862161234567"));
}

TEST(NormalizePhoneTest, UnitedStatesNumbers) {
  EXPECT_TRUE(Yields(NormalizePhone("(650) 253-0000", "US"), "+16502530000"));
  EXPECT_TRUE(Yields(NormalizePhone("650-253-0000", "US"), "+16502530000"));
  EXPECT_TRUE(Yields(NormalizePhone("1 (650) 253-0000", "US"), "+16502530000"));
  EXPECT_TRUE(Yields(NormalizePhone("+1 650 253 0000", "CN"), "+16502530000"));
}

TEST(NormalizePhoneTest, CountryCodeOverridesTheDefaultRegion) {
  EXPECT_TRUE(Yields(NormalizePhone("+86 138 0013 8000", "US"), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("011 86 138 0013 8000", "US"), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("+44 20 7946 0958", "CN"), "+442079460958"));
}

TEST(NormalizePhoneTest, InternationalFormNeedsNoRegion) {
  EXPECT_TRUE(Yields(NormalizePhone("+86 138 0013 8000", ""), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("+44 20 7946 0958", "ZZ"), "+442079460958"));
}

TEST(NormalizePhoneTest, RegionCodeIsCaseInsensitive) {
  EXPECT_TRUE(Yields(NormalizePhone("13800138000", "cn"), "+8613800138000"));
  EXPECT_TRUE(Yields(NormalizePhone("(650) 253-0000", "Us"), "+16502530000"));
}

TEST(NormalizePhoneTest, ResultIsAPhoneKey) {
  Result<std::string> e164 = NormalizePhone("+86 138-0013-8000", "CN");
  ASSERT_TRUE(e164.ok()) << e164.status().ToString();
  EXPECT_EQ(PhoneKey(*e164), 8613800138000u);
}

TEST(NormalizePhoneTest, LettersAreReadAsAVanityNumber) {
  // libphonenumber maps letters to keypad digits (1-800-FLOWERS).
  EXPECT_TRUE(Yields(NormalizePhone("1-800-FLOWERS", "US"), "+18003569377"));
}

TEST(NormalizePhoneTest, EmptyIsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("", "CN"), "phone", "phone is empty"));
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("   ", "CN"), "phone", "phone is empty"));
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("\u3000", "CN"), "phone", "phone is empty"));
}

TEST(NormalizePhoneTest, LettersOnlyIsRefused) {
  EXPECT_TRUE(
      IsInvalidWith(NormalizePhone("abc", "CN"), "phone", "phone \"abc\" is not a phone number"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("+", "CN"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("张三", "CN"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("---", "CN"), "phone"));
}

TEST(NormalizePhoneTest, TooShortIsRefusedForItsRegion) {
  Result<std::string> result = NormalizePhone("12", "CN");
  EXPECT_TRUE(IsInvalidWith(result, "phone", "phone \"12\" is not a valid number for region CN"));
  EXPECT_TRUE(IsInvalidWith(result, "phone", "too few digits"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("1", "CN"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("110", "CN"), "phone"));  // a short code, not a number
}

TEST(NormalizePhoneTest, WrongLengthMobilesAreRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("1380013800", "CN"), "phone",
                            "is not a valid number for region CN"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("138001380000", "CN"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("+86 138 0013 800", "CN"), "phone"));
}

TEST(NormalizePhoneTest, NumbersInvalidForTheirRegionAreRefused) {
  // A valid US number read as Chinese.
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("(650) 253-0000", "CN"), "phone",
                            "is not a valid number for region CN"));
  // A too-short US number, region taken from the country code.
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("+1 555 1234", "CN"), "phone",
                            "is not a valid number for country code +1"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("555-1234", "US"), "phone"));
}

TEST(NormalizePhoneTest, UnknownRegionWithoutPlusIsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("13800138000", ""), "phone",
                            "has no country code and no default region is set"));
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("13800138000", "XX"), "phone",
                            "the default region \"XX\" is not a known region"));
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("13800138000", "ZZ"), "phone", "+<country code>"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("13800138000", "China"), "phone"));
}

TEST(NormalizePhoneTest, GarbageRegionIsQuotedSafely) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("13800138000", "\xF0"), "phone",
                            "the default region \"\\xF0\" is not a known region"));
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("13800138000", "C\nN"), "phone",
                            "the default region \"C\\x0AN\""));
}

TEST(NormalizePhoneTest, UnknownCountryCodeIsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("+999 123456", "CN"), "phone",
                            "starts with an unknown country code"));
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("+999 123456", ""), "phone",
                            "starts with an unknown country code"));
}

TEST(NormalizePhoneTest, ExtensionsAreRefusedNotDropped) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("13800138000 ext. 123", "CN"), "phone",
                            "has an extension (\"123\")"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("(650) 253-0000 x 42", "US"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("tel:+1-650-253-0000;ext=42", "US"), "phone"));
}

TEST(NormalizePhoneTest, LengthLimitIsSixtyFourBytes) {
  std::string padded = "13800138000";
  padded.resize(64, ' ');
  EXPECT_TRUE(Yields(NormalizePhone(padded, "CN"), "+8613800138000"));
  padded += ' ';
  EXPECT_TRUE(IsInvalidWith(NormalizePhone(padded, "CN"), "phone",
                            "phone is 65 bytes long; the limit is 64"));
  EXPECT_TRUE(IsInvalid(NormalizePhone(std::string(1000, '1'), "CN"), "phone"));
}

TEST(NormalizePhoneTest, InvalidUtf8IsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizePhone("138\xC0\xAF 0013 8000", "CN"), "phone",
                            "phone must be valid UTF-8"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("13800138000\xED\xA0\x80", "CN"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("13800138000\xE2\x82", "CN"), "phone"));
  EXPECT_TRUE(IsInvalid(NormalizePhone("\xFF", "CN"), "phone"));
}

TEST(NormalizePhoneTest, MessageEscapesControlCharacters) {
  Result<std::string> result = NormalizePhone("ab\x01\"", "CN");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message().find('\x01'), std::string::npos) << result.status().message();
  EXPECT_NE(result.status().message().find("ab\\x01\\\""), std::string::npos)
      << result.status().message();
}

// ---------------------------------------------------------------- NormalizeEmail

TEST(NormalizeEmailTest, PlainAddressIsUnchanged) {
  EXPECT_TRUE(Yields(NormalizeEmail("foo@example.com"), "foo@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("first.last+tag@mail.example.co.uk"),
                     "first.last+tag@mail.example.co.uk"));
  EXPECT_TRUE(Yields(NormalizeEmail("a@b.c"), "a@b.c"));
}

TEST(NormalizeEmailTest, DomainIsLowerCasedLocalPartKeepsCase) {
  EXPECT_TRUE(Yields(NormalizeEmail("Foo.Bar@Example.COM"), "Foo.Bar@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("ALICE@EXAMPLE.ORG"), "ALICE@example.org"));
  EXPECT_TRUE(Yields(NormalizeEmail("ÜSER@Example.com"), "ÜSER@example.com"));
}

TEST(NormalizeEmailTest, SurroundingWhiteSpaceIsTrimmed) {
  EXPECT_TRUE(Yields(NormalizeEmail("  foo@example.com \t\r\n"), "foo@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("\u3000foo@example.com\u3000"), "foo@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("\u00A0foo@example.com\u2003"), "foo@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("\u2028foo@example.com\u2029"), "foo@example.com"));
}

TEST(NormalizeEmailTest, FullwidthFormsFoldToAscii) {
  EXPECT_TRUE(Yields(NormalizeEmail("ｆｏｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"), "foo@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("ＦＯＯ＠ＥＸＡＭＰＬＥ．ＣＯＭ"), "FOO@example.com"));
  EXPECT_TRUE(Yields(NormalizeEmail("\u3000ｆｏｏ@example.com"), "foo@example.com"));
}

TEST(NormalizeEmailTest, NfkcAppliesToBothParts) {
  EXPECT_TRUE(Yields(NormalizeEmail("\uFB01le@example.com"), "file@example.com"));   // ﬁ
  EXPECT_TRUE(Yields(NormalizeEmail("e\u0301@example.com"), "\u00E9@example.com"));  // é
  EXPECT_TRUE(Yields(NormalizeEmail("foo@ex\u2460.com"), "foo@ex1.com"));            // ①
}

TEST(NormalizeEmailTest, NonAsciiDomainIsLowerCasedByIcu) {
  EXPECT_TRUE(Yields(NormalizeEmail("user@BÜCHER.DE"), "user@bücher.de"));
  EXPECT_TRUE(Yields(NormalizeEmail("user@ΠΑΡΆΔΕΙΓΜΑ.ΔΟΚΙΜΉ"), "user@παράδειγμα.δοκιμή"));
  EXPECT_TRUE(Yields(NormalizeEmail("用户@例子.公司"), "用户@例子.公司"));
  // Root locale, not Turkish: dotted capital I keeps its dot as U+0307.
  EXPECT_TRUE(Yields(NormalizeEmail("x@\u0130STANBUL.com"), "x@i\u0307stanbul.com"));
}

TEST(NormalizeEmailTest, EmptyIsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail(""), "email", "email is empty"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail(" \t "), "email", "email is empty"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("\u3000"), "email", "email is empty"));
}

TEST(NormalizeEmailTest, ExactlyOneAtIsRequired) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo.example.com"), "email", "has no '@'"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@@example.com"), "email", "more than one '@'"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("a@b@example.com"), "email", "more than one '@'"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo＠bar@example.com"), "email", "more than one '@'"));
  EXPECT_TRUE(IsInvalid(NormalizeEmail("@"), "email"));
}

TEST(NormalizeEmailTest, BothSidesOfTheAtMustBeNonEmpty) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("@example.com"), "email", "nothing before the '@'"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@"), "email", "no domain after the '@'"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("  @example.com"), "email", "nothing before"));
}

TEST(NormalizeEmailTest, DomainNeedsADotAndNoEmptyLabels) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@localhost"), "email", "has no dot"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@.example.com"), "email", "empty label"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@example.com."), "email", "empty label"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@example..com"), "email", "empty label"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@."), "email", "empty label"));
  // U+2025 (two dot leader) becomes ".." under NFKC.
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@example\u2025com"), "email", "empty label"));
  // NFKC leaves the ideographic full stop alone, so it is no dot.
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("用户@例子。公司"), "email", "has no dot"));
}

TEST(NormalizeEmailTest, InnerWhiteSpaceIsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo bar@example.com"), "email", "white space"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@exa mple.com"), "email", "white space"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\t@example.com"), "email", "white space"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo @ example.com"), "email", "white space"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\u00A0bar@example.com"), "email", "white space"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\u3000bar@example.com"), "email", "white space"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\u2028bar@example.com"), "email", "white space"));
}

TEST(NormalizeEmailTest, MessageQuotesAtMost64BytesOfInput) {
  Result<std::string> result = NormalizeEmail("a b" + std::string(200, 'c') + "@example.com");
  EXPECT_TRUE(IsInvalidWith(result, "email", "email \"a b" + std::string(61, 'c') + "...\""));
  // A cut never splits a character.
  std::string wide = "a b";
  for (int i = 0; i < 40; ++i) wide += "张";
  result = NormalizeEmail(wide + "@example.com");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(IsValidUtf8(result.status().message()));
  EXPECT_NE(result.status().message().find("张...\""), std::string::npos);
}

TEST(NormalizeEmailTest, ControlAndInvisibleCharactersAreRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\x01@example.com"), "email", "U+0001"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\x7F@example.com"), "email", "U+007F"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\0@example.com"sv), "email", "U+0000"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\u0085@example.com"), "email", "U+0085"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\u200B@example.com"), "email", "U+200B"));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo@exam\u202Eple.com"), "email", "U+202E"));
}

TEST(NormalizeEmailTest, InvalidUtf8IsRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("foo\xC0\xAF@example.com"), "email",
                            "email must be valid UTF-8"));
  EXPECT_TRUE(IsInvalid(NormalizeEmail("foo@example.com\xED\xA0\x80"), "email"));
  EXPECT_TRUE(IsInvalid(NormalizeEmail("foo@example.co\xE2\x82"), "email"));
  EXPECT_TRUE(IsInvalid(NormalizeEmail("\xF4\x90\x80\x80@example.com"), "email"));
}

TEST(NormalizeEmailTest, LengthLimitIs254BytesAfterNormalization) {
  const std::string domain = std::string(248, 'b') + ".com";  // 252 bytes
  EXPECT_TRUE(Yields(NormalizeEmail("a@" + domain), "a@" + domain));
  EXPECT_TRUE(IsInvalidWith(NormalizeEmail("aa@" + domain), "email",
                            "email is 255 bytes long after normalization; the limit is 254"));
  // 3-byte fullwidth letters count as the 1-byte letters they become.
  std::string fullwidth;
  for (int i = 0; i < 200; ++i) fullwidth += "ａ";
  EXPECT_TRUE(
      Yields(NormalizeEmail(fullwidth + "@example.com"), std::string(200, 'a') + "@example.com"));
  // Trimmed white space does not count.
  EXPECT_TRUE(Yields(NormalizeEmail(std::string(300, ' ') + "a@" + domain), "a@" + domain));
}

TEST(NormalizeEmailTest, IsIdempotent) {
  for (std::string_view input : {"Foo.Bar@Example.COM", "ｆｏｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                                 "user@BÜCHER.DE", " e\u0301@x.org "}) {
    SCOPED_TRACE(input);
    Result<std::string> once = NormalizeEmail(input);
    ASSERT_TRUE(once.ok()) << once.status().ToString();
    EXPECT_TRUE(Yields(NormalizeEmail(*once), *once));
  }
}

// ---------------------------------------------------------------- NormalizeName

TEST(NormalizeNameTest, PlainNamesAreUnchanged) {
  EXPECT_TRUE(Yields(NormalizeName("Alice"), "Alice"));
  EXPECT_TRUE(Yields(NormalizeName("ALICE smith"), "ALICE smith"));
  EXPECT_TRUE(Yields(NormalizeName("张三"), "张三"));
  EXPECT_TRUE(Yields(NormalizeName("O'Brien-Smith, Jr."), "O'Brien-Smith, Jr."));
}

TEST(NormalizeNameTest, WhiteSpaceIsTrimmedAndFolded) {
  EXPECT_TRUE(Yields(NormalizeName("  Alice   Smith  "), "Alice Smith"));
  EXPECT_TRUE(Yields(NormalizeName("a b  c   d"), "a b c d"));
  EXPECT_TRUE(Yields(NormalizeName("\u3000张\u3000\u3000三\u3000"), "张 三"));
  EXPECT_TRUE(Yields(NormalizeName("Alice\u00A0Smith"), "Alice Smith"));
  EXPECT_TRUE(Yields(NormalizeName("Alice\u2003 \u2009Smith"), "Alice Smith"));
  // White space NFKC keeps as it is: line separator, Ogham space mark.
  EXPECT_TRUE(Yields(NormalizeName("Alice\u2028Smith"), "Alice Smith"));
  EXPECT_TRUE(Yields(NormalizeName("Alice\u1680\u2029Smith"), "Alice Smith"));
}

TEST(NormalizeNameTest, BlankBecomesEmpty) {
  EXPECT_TRUE(Yields(NormalizeName(""), ""));
  EXPECT_TRUE(Yields(NormalizeName("   "), ""));
  EXPECT_TRUE(Yields(NormalizeName("\u3000\u00A0 "), ""));
}

TEST(NormalizeNameTest, NfkcFoldsCompatibilityForms) {
  EXPECT_TRUE(Yields(NormalizeName("Ａｌｉｃｅ"), "Alice"));
  EXPECT_TRUE(Yields(NormalizeName("\uFB01ona"), "fiona"));        // ﬁ ligature
  EXPECT_TRUE(Yields(NormalizeName("Jose\u0301"), "Jos\u00E9"));   // composed
  EXPECT_TRUE(Yields(NormalizeName("\uFF76\uFF9E"), "\u30AC"));    // halfwidth ｶﾞ -> ガ
  EXPECT_TRUE(Yields(NormalizeName("Louis \u2163"), "Louis IV"));  // Ⅳ
}

TEST(NormalizeNameTest, ControlCharactersAreRefused) {
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Alice\tSmith"), "name", "U+0009"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Alice\nSmith"), "name", "U+000A"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Alice\r"), "name", "U+000D"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Al\0ice"sv), "name", "U+0000 at byte 2"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("\x1B[31mAlice"), "name", "U+001B"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Alice\x7F"), "name", "U+007F"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Alice\u0080"), "name", "U+0080"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("Alice\u0085Smith"), "name", "U+0085"));
  EXPECT_TRUE(IsInvalidWith(NormalizeName("张三\u009F"), "name", "U+009F"));
  // The first character after the C1 block is an ordinary (if invisible) one.
  EXPECT_TRUE(Yields(NormalizeName("Alice\u00A0"), "Alice"));
}

TEST(NormalizeNameTest, InvalidUtf8IsRefused) {
  for (std::string_view input : {"\xC0\xAF", "\xED\xA0\x80", "Al\xE4", "Alice\xF0\x9F\x98", "\x80",
                                 "Zo\xC3", "\xF4\x90\x80\x80"}) {
    SCOPED_TRACE(::testing::PrintToString(std::string(input)));
    EXPECT_TRUE(IsInvalidWith(NormalizeName(input), "name", "name must be valid UTF-8"));
  }
}

TEST(NormalizeNameTest, IsIdempotent) {
  for (std::string_view input :
       {"  Alice   Smith  ", "\u3000张\u3000\u3000三\u3000", "Ａｌｉｃｅ", "Jose\u0301"}) {
    SCOPED_TRACE(input);
    Result<std::string> once = NormalizeName(input);
    ASSERT_TRUE(once.ok()) << once.status().ToString();
    EXPECT_TRUE(Yields(NormalizeName(*once), *once));
  }
}

// ---------------------------------------------------------------- threads

TEST(NormalizeConcurrencyTest, ManyThreadsGetTheSameAnswers) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 300;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < kRounds; ++i) {
        Result<std::string> phone = NormalizePhone("＋８６ １３８－００１３－８０００", "CN");
        Result<std::string> us = NormalizePhone("(650) 253-0000", "US");
        Result<std::string> email = NormalizeEmail("ｆｏｏ＠ＥＸＡＭＰＬＥ．ｃｏｍ");
        Result<std::string> name = NormalizeName("\u3000张\u3000\u3000三 ");
        if (!phone.ok() || *phone != "+8613800138000" || !us.ok() || *us != "+16502530000" ||
            !email.ok() || *email != "foo@example.com" || !name.ok() || *name != "张 三" ||
            NormalizePhone("12", "CN").ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace crm::engine
