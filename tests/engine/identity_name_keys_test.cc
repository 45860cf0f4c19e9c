// Normalized name keys: every spelling variant search and the duplicate check
// must treat as one name, and the look-alikes they must keep apart.

#include "identity/name_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace crm::engine::identity {
namespace {

using Keys = std::vector<std::string>;

bool Contains(const Keys& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

NameKeys Person(std::string_view name) { return MakeNameKeys(name, false); }
NameKeys Org(std::string_view name) { return MakeNameKeys(name, true); }

TEST(NameKeysFold, TraditionalBecomesSimplified) {
  EXPECT_EQ(FoldName("張偉"), "张伟");
  EXPECT_EQ(FoldName("张伟"), "张伟");
  EXPECT_EQ(FoldName("劉德華"), "刘德华");
}

TEST(NameKeysFold, FullWidthAndCase) {
  EXPECT_EQ(FoldName("ＺＨＡＮＧ Wei"), "zhang wei");
  EXPECT_EQ(FoldName("ZHANG WEI"), "zhang wei");
  EXPECT_EQ(FoldName("ｚｈａｎｇ　ｗｅｉ"), "zhang wei");  // ideographic space
  EXPECT_EQ(FoldName("张伟１２３"), "张伟123");
}

TEST(NameKeysFold, LatinAccentsRemoved) {
  EXPECT_EQ(FoldName("José Müller"), "jose muller");
  EXPECT_EQ(FoldName("JOSÉ MÜLLER"), "jose muller");
  EXPECT_EQ(FoldName("François Ærø"), "francois aero");
  EXPECT_EQ(FoldName("Straße"), "strasse");
  // Decomposed input folds like precomposed input.
  EXPECT_EQ(FoldName("Jose\xCC\x81"), "jose");
}

TEST(NameKeysFold, PunctuationBecomesOneSpace) {
  EXPECT_EQ(FoldName("  Kelly,   William  "), "kelly william");
  EXPECT_EQ(FoldName("Jean-Pierre"), "jean pierre");
  EXPECT_EQ(FoldName("O'Brien"), "obrien");
  EXPECT_EQ(FoldName("O’Brien"), "obrien");
  EXPECT_EQ(FoldName("Acme Trading Co., Ltd."), "acme trading co ltd");
  EXPECT_EQ(FoldName("约翰·史密斯"), "约翰 史密斯");  // punctuation separates Han too
}

TEST(NameKeysFold, SpacesBetweenHanCharactersDropped) {
  EXPECT_EQ(FoldName("张 伟"), "张伟");
  EXPECT_EQ(FoldName("张　伟"), "张伟");
  EXPECT_EQ(FoldName("张伟 David"), "张伟 david");
  EXPECT_EQ(FoldName("华为技术（深圳）有限公司"), "华为技术 深圳 有限公司");
}

TEST(NameKeysFold, EmptyAndInvalid) {
  EXPECT_EQ(FoldName(""), "");
  EXPECT_EQ(FoldName(" ,.- "), "");
  EXPECT_EQ(FoldName("\xFF\xFE"), "");
  EXPECT_EQ(FoldName("ab\xC3"), "");  // truncated sequence
  EXPECT_EQ(FoldName("\xED\xA0\x80"), "");  // surrogate
  EXPECT_TRUE(PinyinKeys("\xFF").empty());
  EXPECT_EQ(CoreCompanyName("\xFF"), "");
  EXPECT_EQ(SortedTokens("\xFF"), "");
  const NameKeys keys = MakeNameKeys("张\xFF", true);
  EXPECT_TRUE(keys.folded.empty());
  EXPECT_TRUE(keys.core.empty());
  EXPECT_TRUE(keys.sorted.empty());
  EXPECT_TRUE(keys.pinyin.empty());
}

TEST(NameKeysPinyin, FullSpacedAndInitials) {
  EXPECT_EQ(PinyinKeys("张伟"), (Keys{"zhangwei", "zhang wei", "zw"}));
  EXPECT_EQ(PinyinKeys(FoldName("張偉")), (Keys{"zhangwei", "zhang wei", "zw"}));
  EXPECT_EQ(PinyinKeys("王小明"),
            (Keys{"wangxiaoming", "wang xiao ming", "wxm"}));
}

TEST(NameKeysPinyin, SurnameReadings) {
  EXPECT_EQ(PinyinKeys("曾伟"), (Keys{"zengwei", "zeng wei", "zw"}));
  EXPECT_EQ(PinyinKeys("单伟").front(), "shanwei");
  EXPECT_EQ(PinyinKeys("仇伟").front(), "qiuwei");
  // A given name keeps the common reading.
  EXPECT_EQ(PinyinKeys("王单").front(), "wangdan");
}

TEST(NameKeysPinyin, UmlautSpellings) {
  EXPECT_EQ(PinyinKeys("吕"), (Keys{"lu", "lv", "lyu", "l"}));
  const Keys lv_wei = PinyinKeys("吕伟");
  EXPECT_EQ(lv_wei, (Keys{"luwei", "lu wei", "lvwei", "lv wei", "lyuwei",
                          "lyu wei", "lw"}));
  EXPECT_TRUE(Contains(PinyinKeys("女"), "nv"));
  EXPECT_TRUE(Contains(PinyinKeys("女"), "nyu"));
  EXPECT_TRUE(Contains(PinyinKeys("女"), "nu"));
}

TEST(NameKeysPinyin, NoHanNoKeys) {
  EXPECT_TRUE(PinyinKeys("zhang wei").empty());
  EXPECT_TRUE(PinyinKeys("").empty());
}

TEST(NameKeysPinyin, MixedTokensKeptAsWritten) {
  EXPECT_EQ(PinyinKeys("张伟 david"),
            (Keys{"zhangweidavid", "zhang wei david", "zwd"}));
}

TEST(NameKeysPinyin, DeterministicAcrossThreads) {
  const Keys expected = PinyinKeys("曾伟");
  std::vector<Keys> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&got, i] {
      for (int n = 0; n < 20; ++n) got[i] = PinyinKeys(FoldName("曾偉"));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Keys& keys : got) EXPECT_EQ(keys, expected);
}

TEST(NameKeysCompany, ChineseSuffixesAndCities) {
  EXPECT_EQ(CoreCompanyName(FoldName("上海华为技术有限公司")), "华为技术");
  EXPECT_EQ(CoreCompanyName("华为技术"), "华为技术");
  EXPECT_EQ(CoreCompanyName("上海市华为技术有限公司"), "华为技术");
  EXPECT_EQ(CoreCompanyName("广东省深圳市华为技术股份有限公司"), "华为技术");
  EXPECT_EQ(CoreCompanyName("华为技术有限责任公司"), "华为技术");
  EXPECT_EQ(CoreCompanyName("阿里巴巴集团"), "阿里巴巴");
  EXPECT_EQ(CoreCompanyName("阿里巴巴集团有限公司"), "阿里巴巴");
  EXPECT_EQ(CoreCompanyName("新疆维吾尔自治区天山贸易公司"), "天山贸易");
  EXPECT_EQ(CoreCompanyName(FoldName("上海華為技術有限公司")), "华为技术");
  EXPECT_EQ(CoreCompanyName(FoldName("华为技术（深圳）有限公司")), "华为技术");
  EXPECT_EQ(CoreCompanyName(FoldName("华为技术(中国)有限公司")), "华为技术");
  EXPECT_EQ(CoreCompanyName(FoldName("华为技术-深圳市")), "华为技术");
  // A place inside a word stays: only a separate token is a place.
  EXPECT_EQ(CoreCompanyName("华为技术深圳"), "华为技术深圳");
}

TEST(NameKeysCompany, NeverEmptied) {
  EXPECT_EQ(CoreCompanyName("公司"), "公司");
  EXPECT_EQ(CoreCompanyName("上海"), "上海");
  EXPECT_EQ(CoreCompanyName("上海公司"), "上海");
  EXPECT_EQ(CoreCompanyName("上海银公司"), "上海银");
  EXPECT_EQ(CoreCompanyName("ltd"), "ltd");
  EXPECT_EQ(CoreCompanyName("co ltd"), "co");
  EXPECT_EQ(CoreCompanyName(""), "");
}

TEST(NameKeysCompany, LatinSuffixes) {
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Trading Co., Ltd.")), "acme trading");
  EXPECT_EQ(CoreCompanyName(FoldName("ACME TRADING")), "acme trading");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Inc.")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme, LLC")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme GmbH")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Corp.")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Corporation")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Limited")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme PLC")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Pte. Ltd.")), "acme");
  EXPECT_EQ(CoreCompanyName(FoldName("Acme Co. Ltd")), "acme");
  // A suffix word inside the name stays.
  EXPECT_EQ(CoreCompanyName(FoldName("Limited Brands Holding")),
            "limited brands holding");
}

TEST(NameKeysSorted, TokenOrderIgnored) {
  EXPECT_EQ(SortedTokens(FoldName("Kelly, William")), "kelly william");
  EXPECT_EQ(SortedTokens(FoldName("William Kelly")), "kelly william");
  EXPECT_EQ(SortedTokens("张伟"), "张伟");
  EXPECT_EQ(SortedTokens(""), "");
}

TEST(NameKeysMake, CombinesTheKeys) {
  const NameKeys p = Person("張偉");
  EXPECT_EQ(p.folded, "张伟");
  EXPECT_EQ(p.core, "");
  EXPECT_EQ(p.sorted, "张伟");
  EXPECT_EQ(p.pinyin, (Keys{"zhangwei", "zhang wei", "zw"}));
  const NameKeys o = Org("上海华为技术有限公司");
  EXPECT_EQ(o.folded, "上海华为技术有限公司");
  EXPECT_EQ(o.core, "华为技术");
  EXPECT_EQ(o.pinyin.back(), "shhwjsyxgs");
}

TEST(NameKeysSame, VariantsAgree) {
  EXPECT_TRUE(SameName(Person("張偉"), Person("张伟")));
  EXPECT_TRUE(SameName(Person("张 伟"), Person("张伟")));
  EXPECT_TRUE(SameName(Person("Zhang Wei"), Person("张伟")));
  EXPECT_TRUE(SameName(Person("张伟"), Person("Zhang Wei")));
  EXPECT_TRUE(SameName(Person("Wei Zhang"), Person("張偉")));
  EXPECT_TRUE(SameName(Person("ZHANGWEI"), Person("张伟")));
  EXPECT_TRUE(SameName(Person("ＺＨＡＮＧ Wei"), Person("zhang wei")));
  EXPECT_TRUE(SameName(Person("Zeng Wei"), Person("曾伟")));
  EXPECT_TRUE(SameName(Person("Lv Wei"), Person("吕伟")));
  EXPECT_TRUE(SameName(Person("Lyu Wei"), Person("吕伟")));
  EXPECT_TRUE(SameName(Person("Lu Wei"), Person("吕伟")));
  EXPECT_TRUE(SameName(Person("Kelly, William"), Person("William Kelly")));
  EXPECT_TRUE(SameName(Person("José Müller"), Person("jose muller")));
  EXPECT_TRUE(SameName(Person("Müller, José"), Person("JOSE MULLER")));
  EXPECT_TRUE(SameName(Org("上海华为技术有限公司"), Org("华为技术")));
  EXPECT_TRUE(SameName(Org("Acme Trading Co., Ltd."), Org("ACME TRADING")));
}

TEST(NameKeysSame, LookAlikesDoNotAgree) {
  EXPECT_FALSE(SameName(Person("张伟"), Person("张伟明")));
  EXPECT_FALSE(SameName(Person("张伟"), Person("张玮")));  // same reading
  // Han against Han never agrees by pinyin alone: 王 and 汪 both read wang.
  EXPECT_FALSE(SameName(Person("王芳"), Person("汪芳")));
  EXPECT_FALSE(SameName(Person("张伟"), Person("ZW")));  // initials only
  EXPECT_FALSE(SameName(Person("张伟"), Person("Zhang Wei Ming")));
  EXPECT_FALSE(SameName(Person("张伟"), Person("Zhang")));
  EXPECT_FALSE(SameName(Person("William Kelly"), Person("William Kelley")));
  EXPECT_FALSE(SameName(Org("华为技术有限公司"), Org("华为软件有限公司")));
  EXPECT_FALSE(SameName(Org("Acme Trading Co., Ltd."), Org("Acme Co., Ltd.")));
  // Persons have no core: a person is not an organization's suffix-less name.
  EXPECT_FALSE(SameName(Person("Acme Ltd"), Person("Acme")));
  EXPECT_FALSE(SameName(Person(""), Person("")));
  EXPECT_FALSE(SameName(Person("\xFF"), Person("\xFF")));
}

TEST(NameKeysEdit, WithinOneEdit) {
  EXPECT_TRUE(WithinOneEdit("kelly", "kelly"));
  EXPECT_TRUE(WithinOneEdit("kelly", "kelley"));   // insertion
  EXPECT_TRUE(WithinOneEdit("kelley", "kelly"));   // deletion
  EXPECT_TRUE(WithinOneEdit("kelly", "kelli"));    // substitution
  EXPECT_TRUE(WithinOneEdit("kelly", "kelyl"));    // transposition
  EXPECT_TRUE(WithinOneEdit("kelly", "eklly"));    // transposition at start
  EXPECT_TRUE(WithinOneEdit("", "a"));
  EXPECT_TRUE(WithinOneEdit("", ""));
  EXPECT_FALSE(WithinOneEdit("kelly", "kellyyy"));
  EXPECT_FALSE(WithinOneEdit("kelly", "kylle"));
  EXPECT_FALSE(WithinOneEdit("kelly", "keylp"));
  EXPECT_FALSE(WithinOneEdit("abcd", "badc"));     // two transpositions
  EXPECT_FALSE(WithinOneEdit("abc", "cab"));
}

TEST(NameKeysEdit, CountsCodePointsNotBytes) {
  EXPECT_TRUE(WithinOneEdit("张伟", "张玮"));
  EXPECT_TRUE(WithinOneEdit("张伟", "张伟明"));
  EXPECT_TRUE(WithinOneEdit("张伟明", "张明伟"));
  EXPECT_TRUE(WithinOneEdit("müller", "muller"));
  EXPECT_FALSE(WithinOneEdit("张伟", "李明"));
  EXPECT_FALSE(WithinOneEdit("张", "张伟明"));
  EXPECT_FALSE(WithinOneEdit("kelly", "kell\xFF"));
}

}  // namespace
}  // namespace crm::engine::identity
