#include "identity/name_keys.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crm/engine/normalize.h"
#include "crm/engine/status.h"

namespace crm::engine::identity {
namespace {

// ---------------------------------------------------------------- ICU access

// One thread's transliterators, each created on first use by that thread.
class Transforms {
 public:
  icu::Transliterator& TraditionalSimplified() {
    return Get(trad_simp_, "Traditional-Simplified");
  }
  icu::Transliterator& LatinAscii() { return Get(latin_ascii_, "Latin-ASCII"); }
  icu::Transliterator& HanNames() { return Get(han_names_, "Han-Latin/Names"); }
  icu::Transliterator& HanPlain() { return Get(han_plain_, "Han-Latin"); }

 private:
  static icu::Transliterator& Get(std::unique_ptr<icu::Transliterator>& slot,
                                  const char* id) {
    if (!slot) {
      UErrorCode status = U_ZERO_ERROR;
      slot.reset(icu::Transliterator::createInstance(
          icu::UnicodeString(id, -1, US_INV), UTRANS_FORWARD, status));
      // The transforms ship with every ICU data build since ICU 4.
      CRM_CHECK(U_SUCCESS(status) && slot != nullptr);
    }
    return *slot;
  }

  std::unique_ptr<icu::Transliterator> trad_simp_;
  std::unique_ptr<icu::Transliterator> latin_ascii_;
  std::unique_ptr<icu::Transliterator> han_names_;
  std::unique_ptr<icu::Transliterator> han_plain_;
};

Transforms& ThreadTransforms() {
  thread_local Transforms transforms;
  return transforms;
}

const icu::Normalizer2& NfkcCasefold() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
  CRM_CHECK(U_SUCCESS(status) && n != nullptr);
  return *n;
}

const icu::Normalizer2& Nfd() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
  CRM_CHECK(U_SUCCESS(status) && n != nullptr);
  return *n;
}

// ---------------------------------------------------------------- code points

// Decodes UTF-8 into code points; false on any ill-formed sequence.
bool Decode(std::string_view s, std::u32string* out) {
  out->clear();
  out->reserve(s.size());
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto length = static_cast<int32_t>(s.size());
  if (static_cast<size_t>(length) != s.size()) return false;
  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(p, i, length, c);
    if (c < 0) return false;
    out->push_back(static_cast<char32_t>(c));
  }
  return true;
}

void AppendUtf8(char32_t c, std::string* out) {
  std::array<uint8_t, U8_MAX_LENGTH> buf{};
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(buf.data(), n, U8_MAX_LENGTH, static_cast<UChar32>(c), error);
  if (!error) out->append(reinterpret_cast<const char*>(buf.data()), n);
}

std::string Encode(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(c, &out);
  return out;
}

size_t CodePointCount(std::string_view s) {
  std::u32string cps;
  return Decode(s, &cps) ? cps.size() : 0;
}

bool IsHan(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  return uscript_getScript(c, &status) == USCRIPT_HAN && U_SUCCESS(status);
}

bool IsWordChar(UChar32 c) {
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0;
}

bool IsApostrophe(UChar32 c) {
  return c == 0x27 || c == 0x60 || c == 0xB4 || c == 0x2BC || c == 0x2018 ||
         c == 0x2019;
}

std::string ToUtf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string WithoutSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) tokens.push_back(s.substr(i, j - i));
    i = j;
  }
  return tokens;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

void PushUnique(std::string key, std::vector<std::string>* keys) {
  if (key.empty()) return;
  if (std::find(keys->begin(), keys->end(), key) == keys->end()) {
    keys->push_back(std::move(key));
  }
}

// ---------------------------------------------------------------- pinyin

// Transliterates `text` and drops the spaces ICU puts between some
// syllables (its output spacing depends on the phrase).
icu::UnicodeString Romanize(icu::Transliterator& t, icu::UnicodeString text) {
  t.transliterate(text);
  text.findAndReplace(icu::UnicodeString(u' '), icu::UnicodeString());
  return text;
}

bool MatchSyllables(const icu::UnicodeString& whole, int32_t pos, size_t i,
                    const std::vector<std::array<icu::UnicodeString, 2>>& cands,
                    std::vector<icu::UnicodeString>* out) {
  if (i == cands.size()) return pos == whole.length();
  for (const icu::UnicodeString& cand : cands[i]) {
    if (cand.isEmpty() || whole.compare(pos, cand.length(), cand) != 0) {
      continue;
    }
    out->push_back(cand);
    if (MatchSyllables(whole, pos + cand.length(), i + 1, cands, out)) {
      return true;
    }
    out->pop_back();
  }
  return false;
}

// One toned syllable per character of a run of Han characters. The run is
// read as a whole by Han-Latin/Names (a surname reading depends on the
// position), then cut back into characters by matching each character's own
// readings; when the cut fails the first character takes its surname reading
// and the others their plain reading.
std::vector<icu::UnicodeString> HanSyllables(const std::u32string& run,
                                             Transforms& t) {
  std::vector<std::array<icu::UnicodeString, 2>> cands;
  cands.reserve(run.size());
  icu::UnicodeString text;
  for (char32_t c : run) {
    const icu::UnicodeString one(static_cast<UChar32>(c));
    text.append(one);
    cands.push_back({Romanize(t.HanNames(), one), Romanize(t.HanPlain(), one)});
  }
  const icu::UnicodeString whole = Romanize(t.HanNames(), text);
  std::vector<icu::UnicodeString> out;
  out.reserve(run.size());
  if (MatchSyllables(whole, 0, 0, cands, &out)) return out;
  out.clear();
  for (size_t i = 0; i < cands.size(); ++i) out.push_back(cands[i][i == 0 ? 0 : 1]);
  return out;
}

// One unit of a pinyin key: a syllable read from a Han character, or a token
// kept as written.
struct Unit {
  icu::UnicodeString decomposed;  // Han: NFD, tone marks on; else as written
  bool han = false;
};

// The ASCII spelling of a unit with ü written as `umlaut`.
std::string Spell(const Unit& unit, std::u16string_view umlaut) {
  if (!unit.han) return ToUtf8(unit.decomposed);
  icu::UnicodeString out;
  const icu::UnicodeString& s = unit.decomposed;
  for (int32_t i = 0; i < s.length(); ++i) {
    const char16_t c = s.charAt(i);
    if ((c == u'u' || c == u'U') && i + 1 < s.length() &&
        s.charAt(i + 1) == 0x0308) {
      out.append(umlaut.data(), static_cast<int32_t>(umlaut.size()));
      continue;
    }
    if ((U_GET_GC_MASK(c) & U_GC_MN_MASK) != 0) continue;  // tone marks
    out.append(c);
  }
  out.toLower();
  return ToUtf8(out);
}

// ---------------------------------------------------------------- companies

// Longest first where one ends another.
constexpr std::string_view kHanSuffixes[] = {
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司",
    "股份公司",     "分公司",       "集团",         "公司"};

constexpr std::string_view kLatinSuffixes[] = {
    "co",           "company", "corp", "corporation", "inc",
    "incorporated", "llc",     "llp",  "ltd",         "limited",
    "plc",          "pte",     "gmbh", "ag"};

// Provinces, autonomous regions, municipalities, special administrative
// regions and the larger prefecture-level cities.
constexpr std::string_view kPlaces[] = {
    "北京",     "上海",     "天津",   "重庆",   "河北",   "山西",   "辽宁",
    "吉林",     "黑龙江",   "江苏",   "浙江",   "安徽",   "福建",   "江西",
    "山东",     "河南",     "湖北",   "湖南",   "广东",   "海南",   "四川",
    "贵州",     "云南",     "陕西",   "甘肃",   "青海",   "台湾",   "内蒙古",
    "广西",     "西藏",     "宁夏",   "新疆",   "香港",   "澳门",   "深圳",
    "广州",     "杭州",     "南京",   "苏州",   "成都",   "武汉",   "西安",
    "长沙",     "郑州",     "青岛",   "大连",   "宁波",   "厦门",   "沈阳",
    "哈尔滨",   "长春",     "济南",   "合肥",   "福州",   "南昌",   "昆明",
    "贵阳",     "南宁",     "海口",   "太原",   "石家庄", "呼和浩特", "兰州",
    "西宁",     "银川",     "乌鲁木齐", "拉萨", "无锡",   "东莞",   "佛山",
    "珠海",     "温州",     "常州",   "南通",   "徐州",   "烟台",   "泉州",
    "绍兴",     "嘉兴",     "金华",   "台州",   "惠州",   "中山",   "汕头",
    "洛阳",     "唐山",     "保定",   "潍坊",   "扬州",   "镇江",   "芜湖",
    "三亚",     "昆山"};

// Longest first where one starts another.
constexpr std::string_view kPlaceSuffixes[] = {
    "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区",
    "自治区",     "省",         "市",           "地区"};

// Long enough to stand as a name on its own.
bool Substantial(std::string_view s) { return CodePointCount(TrimSpaces(s)) >= 2; }

// Removes one trailing legal suffix; false when there is none to remove.
bool StripLegalSuffix(std::string_view* s) {
  for (std::string_view suffix : kHanSuffixes) {
    if (s->ends_with(suffix)) {
      std::string_view rest = TrimSpaces(s->substr(0, s->size() - suffix.size()));
      if (!Substantial(rest)) return false;
      *s = rest;
      return true;
    }
  }
  const size_t space = s->rfind(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view last = s->substr(space + 1);
  if (std::find(std::begin(kLatinSuffixes), std::end(kLatinSuffixes), last) ==
      std::end(kLatinSuffixes)) {
    return false;
  }
  std::string_view rest = TrimSpaces(s->substr(0, space));
  if (!Substantial(rest)) return false;
  *s = rest;
  return true;
}

// Removes one leading place name with its optional 省 / 市 / 自治区.
bool StripPlacePrefix(std::string_view* s) {
  std::string_view best;
  for (std::string_view place : kPlaces) {
    if (s->starts_with(place) && place.size() > best.size()) best = place;
  }
  if (best.empty()) return false;
  std::string_view rest = s->substr(best.size());
  for (std::string_view suffix : kPlaceSuffixes) {
    if (rest.starts_with(suffix)) {
      rest.remove_prefix(suffix.size());
      break;
    }
  }
  rest = TrimSpaces(rest);
  if (!Substantial(rest)) return false;
  *s = rest;
  return true;
}

// Removes a trailing separate token that only names a place, as written in
// parentheses: 华为技术（深圳）有限公司 folds to "华为技术 深圳 有限公司".
bool StripPlaceToken(std::string_view* s) {
  const size_t space = s->rfind(' ');
  if (space == std::string_view::npos) return false;
  std::string_view last = s->substr(space + 1);
  bool place = last == "中国";
  for (std::string_view name : kPlaces) {
    if (!last.starts_with(name)) continue;
    std::string_view rest = last.substr(name.size());
    for (std::string_view suffix : kPlaceSuffixes) {
      if (rest == suffix) rest = {};
    }
    place = place || rest.empty();
  }
  if (!place) return false;
  std::string_view rest = TrimSpaces(s->substr(0, space));
  if (!Substantial(rest)) return false;
  *s = rest;
  return true;
}

}  // namespace

std::string FoldName(std::string_view name) {
  if (!IsValidUtf8(name)) return {};
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  UErrorCode status = U_ZERO_ERROR;
  u = NfkcCasefold().normalize(u, status);
  if (U_FAILURE(status)) return {};
  Transforms& t = ThreadTransforms();
  t.TraditionalSimplified().transliterate(u);
  t.LatinAscii().transliterate(u);
  u.foldCase();

  std::u32string out;
  out.reserve(static_cast<size_t>(u.length()));
  // Between two written code points: nothing, only white space, or
  // punctuation (which separates even Han characters: 约翰·史密斯).
  enum class Gap { kNone, kSpace, kPunctuation };
  Gap gap = Gap::kNone;
  UChar32 previous = 0;  // last code point written, 0 at the start
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
    const UChar32 c = u.char32At(i);
    if (IsApostrophe(c)) continue;
    if (!IsWordChar(c)) {
      if (u_isUWhiteSpace(c)) {
        if (gap == Gap::kNone) gap = Gap::kSpace;
      } else {
        gap = Gap::kPunctuation;
      }
      continue;
    }
    const bool joined_han =
        gap == Gap::kSpace && IsHan(previous) && IsHan(c);
    if (gap != Gap::kNone && previous != 0 && !joined_han) out.push_back(U' ');
    gap = Gap::kNone;
    out.push_back(static_cast<char32_t>(c));
    previous = c;
  }
  return Encode(out);
}

std::vector<std::string> PinyinKeys(std::string_view folded) {
  std::u32string cps;
  if (!Decode(folded, &cps)) return {};
  if (std::none_of(cps.begin(), cps.end(),
                   [](char32_t c) { return IsHan(static_cast<UChar32>(c)); })) {
    return {};
  }
  Transforms& t = ThreadTransforms();
  const icu::Normalizer2& nfd = Nfd();
  std::vector<Unit> units;
  bool has_umlaut = false;
  size_t i = 0;
  while (i < cps.size()) {
    if (cps[i] == U' ') {
      ++i;
      continue;
    }
    const bool han = IsHan(static_cast<UChar32>(cps[i]));
    size_t j = i;
    while (j < cps.size() && cps[j] != U' ' &&
           IsHan(static_cast<UChar32>(cps[j])) == han) {
      ++j;
    }
    const std::u32string run = cps.substr(i, j - i);
    i = j;
    if (!han) {
      const std::string token = Encode(run);
      units.push_back({icu::UnicodeString::fromUTF8(icu::StringPiece(
                           token.data(), static_cast<int32_t>(token.size()))),
                       false});
      continue;
    }
    for (icu::UnicodeString& syllable : HanSyllables(run, t)) {
      UErrorCode status = U_ZERO_ERROR;
      icu::UnicodeString decomposed = nfd.normalize(syllable, status);
      if (U_FAILURE(status)) return {};
      if (decomposed.indexOf(static_cast<char16_t>(0x0308)) >= 0) {
        has_umlaut = true;
      }
      units.push_back({std::move(decomposed), true});
    }
  }

  std::vector<std::u16string_view> umlauts = {u"u"};
  if (has_umlaut) {
    umlauts.push_back(u"v");
    umlauts.push_back(u"yu");
  }
  std::vector<std::string> keys;
  for (std::u16string_view umlaut : umlauts) {
    std::string joined;
    std::string spaced;
    for (const Unit& unit : units) {
      const std::string spelled = Spell(unit, umlaut);
      joined += spelled;
      if (!spaced.empty()) spaced += ' ';
      spaced += spelled;
    }
    PushUnique(std::move(joined), &keys);
    PushUnique(std::move(spaced), &keys);
  }
  std::string initials;
  for (const Unit& unit : units) {
    const std::string spelled = Spell(unit, u"u");
    std::u32string first;
    if (!spelled.empty() && Decode(spelled, &first) && !first.empty()) {
      AppendUtf8(first.front(), &initials);
    }
  }
  PushUnique(std::move(initials), &keys);
  return keys;
}

std::string CoreCompanyName(std::string_view folded) {
  if (!IsValidUtf8(folded)) return {};
  std::string_view s = TrimSpaces(folded);
  while (StripLegalSuffix(&s) || StripPlaceToken(&s)) {
  }
  for (int places = 0; places < 2 && StripPlacePrefix(&s); ++places) {
  }
  return std::string(s);
}

std::string SortedTokens(std::string_view folded) {
  if (!IsValidUtf8(folded)) return {};
  std::vector<std::string_view> tokens = SplitSpaces(folded);
  std::sort(tokens.begin(), tokens.end());
  std::string out;
  out.reserve(folded.size());
  for (std::string_view token : tokens) {
    if (!out.empty()) out += ' ';
    out += token;
  }
  return out;
}

NameKeys MakeNameKeys(std::string_view name, bool organization) {
  NameKeys keys;
  keys.folded = FoldName(name);
  if (keys.folded.empty()) return keys;
  if (organization) keys.core = CoreCompanyName(keys.folded);
  keys.sorted = SortedTokens(keys.folded);
  keys.pinyin = PinyinKeys(keys.folded);
  return keys;
}

namespace {

// A Han name against a name without Han characters: full pinyin spellings
// only, never the initials (the last key when there are several).
bool PinyinAgrees(const NameKeys& han, const NameKeys& latin) {
  const size_t full = han.pinyin.size() > 1 ? han.pinyin.size() - 1 : 1;
  const std::string latin_joined = WithoutSpaces(latin.folded);
  for (size_t i = 0; i < full && i < han.pinyin.size(); ++i) {
    const std::string& key = han.pinyin[i];
    if (key.find(' ') == std::string::npos) {
      if (key == latin_joined) return true;
    } else if (SortedTokens(key) == latin.sorted) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool SameName(const NameKeys& a, const NameKeys& b) {
  if (a.folded.empty() || b.folded.empty()) return false;
  if (a.folded == b.folded) return true;
  if (!a.core.empty() && a.core == b.core) return true;
  if (!a.sorted.empty() && a.sorted == b.sorted) return true;
  if (!a.pinyin.empty() && b.pinyin.empty()) return PinyinAgrees(a, b);
  if (a.pinyin.empty() && !b.pinyin.empty()) return PinyinAgrees(b, a);
  return false;
}

bool WithinOneEdit(std::string_view a, std::string_view b) {
  std::u32string x;
  std::u32string y;
  if (!Decode(a, &x) || !Decode(b, &y)) return false;
  if (x.size() < y.size()) std::swap(x, y);  // x is the longer
  if (x.size() - y.size() > 1) return false;
  size_t prefix = 0;
  while (prefix < y.size() && x[prefix] == y[prefix]) ++prefix;
  if (prefix == x.size()) return true;  // equal
  if (x.size() != y.size()) {
    // One deletion from x at `prefix`.
    return std::u32string_view(x).substr(prefix + 1) ==
           std::u32string_view(y).substr(prefix);
  }
  // Same length: one substitution or one adjacent transposition.
  if (std::u32string_view(x).substr(prefix + 1) ==
      std::u32string_view(y).substr(prefix + 1)) {
    return true;
  }
  return prefix + 1 < x.size() && x[prefix] == y[prefix + 1] &&
         x[prefix + 1] == y[prefix] &&
         std::u32string_view(x).substr(prefix + 2) ==
             std::u32string_view(y).substr(prefix + 2);
}

}  // namespace crm::engine::identity
