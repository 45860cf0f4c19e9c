#ifndef CRM_ENGINE_IDENTITY_NAME_KEYS_H_
#define CRM_ENGINE_IDENTITY_NAME_KEYS_H_

// Normalized keys for the ways one name is written down: traditional or
// simplified characters, full-width or half-width, any case, with or without
// accents, Chinese or pinyin, with or without a company's legal suffix and
// city prefix, Latin tokens in any order. Search and the duplicate check share
// these keys, so two spellings that agree here agree everywhere.
//
// Thread-safety: every function may be called from any thread at once. The
// ICU transliterators behind FoldName and PinyinKeys are created lazily, once
// per thread (thread_local instances; ICU's Transliterator::transliterate is
// not safe on a shared instance). The first call on a new thread pays for
// creating them (milliseconds for the first thread of the process, while ICU
// compiles the rules; less afterwards, ICU caches the compiled rules).
//
// Input: UTF-8. Invalid UTF-8 gives empty keys (callers validate earlier).
// Cost: every function allocates; FoldName and PinyinKeys run ICU transforms
// (microseconds per name, linear in its length): compute keys once per name
// and store them, never per comparison.

#include <string>
#include <string_view>
#include <vector>

namespace crm::engine::identity {

// The name folded to one canonical spelling: NFKC (full-width -> half-width),
// case folded, Traditional -> Simplified, Latin accents removed (Latin-ASCII:
// é -> e, ß -> ss, æ -> ae), every run of punctuation, symbols and white
// space turned into one space, apostrophes dropped (O'Brien -> obrien),
// white space (not punctuation) between two Han characters dropped
// (张 伟 -> 张伟, but 约翰·史密斯 -> "约翰 史密斯"), trimmed.
//   张偉 -> 张伟, "ＺＨＡＮＧ Wei" -> "zhang wei", "José Müller" -> "jose muller",
//   "Acme Trading Co., Ltd." -> "acme trading co ltd".
// Empty for invalid UTF-8 or a name with no letters or digits.
std::string FoldName(std::string_view name);

// Pinyin spellings of a folded name that contains Han characters; empty when
// it has none (or for invalid UTF-8). Readings come from ICU
// "Han-Latin/Names" (surname readings: 曾 -> zeng, 单 -> shan as a surname),
// tone marks removed; tokens that are not Han stay as they are.
// Order (deterministic, no duplicates): for each spelling of ü -- "u", then
// "v", then "yu", the last two only when the name has a ü -- the full pinyin
// joined, then spaced; the initials (first letter of each syllable) last.
//   张伟 -> {"zhangwei", "zhang wei", "zw"}
//   吕 -> {"lu", "lv", "lyu", "l"}
// Every element but the last is a full spelling; the last is the initials
// (unless they equal a full spelling, as for 阿 -> {"a"}).
std::vector<std::string> PinyinKeys(std::string_view folded);

// The distinctive part of a folded organization name: trailing legal
// suffixes removed (有限公司, 有限责任公司, 股份有限公司, 集团, 公司, co, ltd,
// inc, llc, gmbh, corp, corporation, limited, plc, pte ltd, ...) and
// trailing place tokens (the folded form of （深圳） or （中国）), repeatedly;
// then up to two leading Chinese provinces, municipalities or major cities
// (with or without 市 / 省 / 自治区) removed, from a table in name_keys.cc. A step that would leave fewer than two
// characters is not taken, so a name is never emptied.
//   上海华为技术有限公司 -> 华为技术, 华为技术 -> 华为技术,
//   "acme trading co ltd" -> "acme trading".
// Weaker evidence than the folded name: 上海华为技术 and 北京华为技术 share a
// core. Callers combine it with identifiers.
std::string CoreCompanyName(std::string_view folded);

// The folded name's space-separated tokens, sorted bytewise and joined by one
// space: "kelly william" for both "kelly william" and "william kelly".
std::string SortedTokens(std::string_view folded);

// The keys an index stores per name.
struct NameKeys {
  std::string folded;               // FoldName(name)
  std::string core;                 // CoreCompanyName(folded); organizations only
  std::string sorted;               // SortedTokens(folded)
  std::vector<std::string> pinyin;  // PinyinKeys(folded)
};

// All keys of one name; `organization` selects whether `core` is computed
// (left empty for persons). Invalid UTF-8 gives all keys empty.
NameKeys MakeNameKeys(std::string_view name, bool organization);

// True when two names agree after folding: equal folded names, equal cores
// (both organizations), equal sorted tokens, or a Han name whose full pinyin
// equals the other, Latin-only, name (joined or in any token order: 张伟 agrees
// with "Zhang Wei", "zhangwei" and "Wei Zhang"). Two Han names never agree by
// pinyin alone (王芳 and 汪芳 both read wang fang but are different names),
// nor by initials. Empty names agree with nothing. No allocation but the
// token sorts of the pinyin comparison; O(length).
bool SameName(const NameKeys& a, const NameKeys& b);

// True when `a` and `b`, as sequences of Unicode code points, are equal or one
// Damerau edit apart: one insertion, deletion, substitution or transposition
// of two adjacent code points. False when either is invalid UTF-8.
// O(length), allocates two code point buffers.
bool WithinOneEdit(std::string_view a, std::string_view b);

}  // namespace crm::engine::identity

#endif  // CRM_ENGINE_IDENTITY_NAME_KEYS_H_
