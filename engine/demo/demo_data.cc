#include "crm/engine/demo_data.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::engine {
namespace {

// ---------------------------------------------------------------------------
// Randomness: our own generator and distributions, so that the same options
// give the same records with any standard library.

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
constexpr Micros kYear = 365 * kDay;

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A seed for stream `stream`, item `index` of the generator seeded `seed`.
// Every customer draws from its own streams, so its records do not depend on
// how many draws other customers made, nor on the batch size.
uint64_t StreamSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t s = seed;
  uint64_t a = SplitMix64(s);
  s = a ^ (stream * 0xD6E8FEB86659FD93ull);
  uint64_t b = SplitMix64(s);
  s = b ^ (index * 0xA0761D6478BD642Full);
  return SplitMix64(s);
}

enum Stream : uint64_t {
  kPlanStream = 1,
  kUserStream = 2,
  kCustomerStream = 3,
  kChildrenStream = 4,  // contacts and opportunities
  kHistoryStream = 5,   // contracts, tasks, interactions, transactions
  kPhoneStream = 6,     // keys of the phone number permutations
};

__extension__ typedef unsigned __int128 Uint128;

// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); 0 when n is 0. Unbiased: Lemire's multiply-shift with
  // rejection, no division on the common path.
  uint64_t Below(uint64_t n) {
    if (n <= 1) return 0;
    Uint128 m = static_cast<Uint128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi]; lo when hi < lo.
  int64_t Range(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1), 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // True with probability percent / 100.
  bool Percent(uint32_t percent) { return Below(100) < percent; }

  // A Pareto draw with alpha = 4/3 and minimum 1, truncated at 1000: the long
  // tail. Uses only sqrt (correctly rounded everywhere), not pow.
  double Pareto() {
    double u = 1.0 - Unit();  // (0, 1]
    u = std::max(u, 1e-4);    // caps the draw at 1e-4^(-3/4) = 1000
    return 1.0 / (std::sqrt(u) * std::sqrt(std::sqrt(u)));
  }

  // Skewed towards lo: lo + (hi - lo) * u^2 in integers.
  int64_t Skewed(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    const uint64_t r = Below(uint64_t{1} << 16);
    return lo + static_cast<int64_t>((static_cast<uint64_t>(hi - lo) * ((r * r) >> 16)) >> 16);
  }

  template <typename T, size_t N>
  const T& Of(const T (&items)[N]) {
    return items[Below(N)];
  }

  // An index drawn with the given weights.
  template <size_t N>
  size_t Weighted(const uint32_t (&weights)[N]) {
    uint64_t total = 0;
    for (uint32_t w : weights) total += w;
    uint64_t r = Below(total);
    for (size_t i = 0; i < N; ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return N - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Picks ranks with Zipf-like weights (rank r has weight ~ 1 / (r + 2)), so a
// few names are common and the rest make a long tail.
class ZipfTable {
 public:
  explicit ZipfTable(size_t n) {
    uint64_t total = 0;
    for (size_t r = 0; r < n; ++r) {
      total += 1'000'000 / (r + 2);
      cumulative_.push_back(total);
    }
  }
  size_t Pick(Rng& rng) const {
    uint64_t r = rng.Below(cumulative_.back());
    return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), r) -
                               cumulative_.begin());
  }

 private:
  std::vector<uint64_t> cumulative_;
};

// ---------------------------------------------------------------------------
// String helpers (no streams: this runs for millions of records).

void AppendInt(std::string& out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out.append(buf, end);
}

// `value` in decimal, left-padded with zeros to `width` digits.
void AppendPadded(std::string& out, uint64_t value, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  for (int n = static_cast<int>(end - buf); n < width; ++n) out.push_back('0');
  out.append(buf, end);
}

std::string Concat(std::initializer_list<std::string_view> parts) {
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  std::string out;
  out.reserve(size);
  for (std::string_view p : parts) out.append(p);
  return out;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The proleptic Gregorian year of `t` (UTC).
int64_t CivilYear(Micros t) {
  const int64_t z = FloorDiv(t, kDay) + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (month <= 2 ? 1 : 0);
}

// ---------------------------------------------------------------------------
// Reference tables.

enum Country : uint8_t { kCN = 0, kUS = 1, kGB = 2, kDE = 3, kSG = 4 };
constexpr std::string_view kCountryCodes[] = {"CN", "US", "GB", "DE", "SG"};
constexpr uint32_t kCountryWeights[] = {68, 20, 4, 4, 4};

struct City {
  Country country;
  std::string_view province;
  std::string_view city;
  std::string_view admin_code;         // CN: administrative division code
  std::array<uint16_t, 3> area_codes;  // US: telephone area codes, 0 = none
  int8_t utc_offset_hours;
  uint8_t weight;
};

constexpr City kCities[] = {
    {kCN, "广东", "广州", "440100", {}, 8, 8},
    {kCN, "广东", "深圳", "440300", {}, 8, 9},
    {kCN, "广东", "东莞", "441900", {}, 8, 4},
    {kCN, "广东", "佛山", "440600", {}, 8, 4},
    {kCN, "上海", "上海", "310115", {}, 8, 10},
    {kCN, "北京", "北京", "110105", {}, 8, 10},
    {kCN, "天津", "天津", "120116", {}, 8, 3},
    {kCN, "重庆", "重庆", "500112", {}, 8, 4},
    {kCN, "浙江", "杭州", "330106", {}, 8, 6},
    {kCN, "浙江", "宁波", "330212", {}, 8, 3},
    {kCN, "浙江", "温州", "330302", {}, 8, 2},
    {kCN, "江苏", "南京", "320106", {}, 8, 4},
    {kCN, "江苏", "苏州", "320505", {}, 8, 5},
    {kCN, "江苏", "无锡", "320214", {}, 8, 2},
    {kCN, "四川", "成都", "510107", {}, 8, 5},
    {kCN, "湖北", "武汉", "420106", {}, 8, 4},
    {kCN, "山东", "济南", "370102", {}, 8, 2},
    {kCN, "山东", "青岛", "370212", {}, 8, 3},
    {kCN, "福建", "厦门", "350206", {}, 8, 2},
    {kCN, "福建", "福州", "350102", {}, 8, 2},
    {kCN, "河南", "郑州", "410105", {}, 8, 3},
    {kCN, "湖南", "长沙", "430104", {}, 8, 3},
    {kCN, "陕西", "西安", "610113", {}, 8, 3},
    {kCN, "辽宁", "大连", "210204", {}, 8, 2},
    {kCN, "辽宁", "沈阳", "210102", {}, 8, 2},
    {kCN, "安徽", "合肥", "340104", {}, 8, 2},
    {kUS, "California", "Los Angeles", "", {213, 310, 818}, -8, 8},
    {kUS, "California", "San Francisco", "", {415, 0, 0}, -8, 5},
    {kUS, "California", "San Jose", "", {408, 0, 0}, -8, 4},
    {kUS, "California", "San Diego", "", {619, 858, 0}, -8, 3},
    {kUS, "New York", "New York", "", {212, 646, 718}, -5, 9},
    {kUS, "New York", "Buffalo", "", {716, 0, 0}, -5, 1},
    {kUS, "Texas", "Houston", "", {713, 0, 0}, -6, 4},
    {kUS, "Texas", "Dallas", "", {214, 972, 0}, -6, 4},
    {kUS, "Texas", "Austin", "", {512, 0, 0}, -6, 3},
    {kUS, "Washington", "Seattle", "", {206, 0, 0}, -8, 4},
    {kUS, "Illinois", "Chicago", "", {312, 773, 0}, -6, 5},
    {kUS, "Massachusetts", "Boston", "", {617, 0, 0}, -5, 3},
    {kUS, "Florida", "Miami", "", {305, 0, 0}, -5, 3},
    {kUS, "Georgia", "Atlanta", "", {404, 0, 0}, -5, 3},
    {kUS, "Colorado", "Denver", "", {303, 0, 0}, -7, 2},
    {kUS, "Arizona", "Phoenix", "", {602, 0, 0}, -7, 2},
    {kUS, "Oregon", "Portland", "", {503, 0, 0}, -8, 2},
    {kUS, "Nevada", "Las Vegas", "", {702, 0, 0}, -8, 2},
    {kUS, "Pennsylvania", "Philadelphia", "", {215, 0, 0}, -5, 3},
    {kUS, "Michigan", "Detroit", "", {313, 0, 0}, -5, 2},
    {kUS, "Minnesota", "Minneapolis", "", {612, 0, 0}, -6, 2},
    {kGB, "England", "London", "", {}, 0, 8},
    {kGB, "England", "Manchester", "", {}, 0, 3},
    {kGB, "England", "Birmingham", "", {}, 0, 3},
    {kGB, "Scotland", "Edinburgh", "", {}, 0, 2},
    {kGB, "Scotland", "Glasgow", "", {}, 0, 2},
    {kDE, "Bayern", "München", "", {}, 1, 4},
    {kDE, "Berlin", "Berlin", "", {}, 1, 5},
    {kDE, "Hamburg", "Hamburg", "", {}, 1, 3},
    {kDE, "Hessen", "Frankfurt am Main", "", {}, 1, 3},
    {kDE, "Baden-Württemberg", "Stuttgart", "", {}, 1, 2},
    {kDE, "Nordrhein-Westfalen", "Köln", "", {}, 1, 2},
    {kSG, "Singapore", "Singapore", "", {}, 8, 1},
};
constexpr size_t kCityCount = std::size(kCities);

struct Word {
  std::string_view text;
  std::string_view ascii;  // lower-case ASCII (pinyin for Chinese)
};

constexpr Word kCnSurnames[] = {
    {"王", "wang"},     {"李", "li"},          {"张", "zhang"},  {"刘", "liu"},     {"陈", "chen"},
    {"杨", "yang"},     {"黄", "huang"},       {"赵", "zhao"},   {"吴", "wu"},      {"周", "zhou"},
    {"徐", "xu"},       {"孙", "sun"},         {"马", "ma"},     {"朱", "zhu"},     {"胡", "hu"},
    {"郭", "guo"},      {"何", "he"},          {"高", "gao"},    {"林", "lin"},     {"罗", "luo"},
    {"郑", "zheng"},    {"梁", "liang"},       {"谢", "xie"},    {"宋", "song"},    {"唐", "tang"},
    {"许", "xu"},       {"韩", "han"},         {"冯", "feng"},   {"邓", "deng"},    {"曹", "cao"},
    {"彭", "peng"},     {"曾", "zeng"},        {"肖", "xiao"},   {"田", "tian"},    {"董", "dong"},
    {"袁", "yuan"},     {"潘", "pan"},         {"于", "yu"},     {"蒋", "jiang"},   {"蔡", "cai"},
    {"余", "yu"},       {"杜", "du"},          {"叶", "ye"},     {"程", "cheng"},   {"苏", "su"},
    {"魏", "wei"},      {"吕", "lv"},          {"丁", "ding"},   {"任", "ren"},     {"沈", "shen"},
    {"姚", "yao"},      {"卢", "lu"},          {"姜", "jiang"},  {"崔", "cui"},     {"钟", "zhong"},
    {"谭", "tan"},      {"陆", "lu"},          {"汪", "wang"},   {"范", "fan"},     {"金", "jin"},
    {"石", "shi"},      {"廖", "liao"},        {"贾", "jia"},    {"夏", "xia"},     {"韦", "wei"},
    {"方", "fang"},     {"白", "bai"},         {"邹", "zou"},    {"孟", "meng"},    {"熊", "xiong"},
    {"秦", "qin"},      {"邱", "qiu"},         {"江", "jiang"},  {"尹", "yin"},     {"薛", "xue"},
    {"欧阳", "ouyang"}, {"上官", "shangguan"}, {"司马", "sima"}, {"诸葛", "zhuge"},
};
constexpr Word kCnGivenFemale[] = {
    {"芳", "fang"}, {"娜", "na"},   {"敏", "min"}, {"静", "jing"}, {"丽", "li"},
    {"艳", "yan"},  {"娟", "juan"}, {"霞", "xia"}, {"婷", "ting"}, {"雪", "xue"},
    {"慧", "hui"},  {"玲", "ling"}, {"琳", "lin"}, {"颖", "ying"}, {"倩", "qian"},
    {"欣", "xin"},  {"悦", "yue"},  {"佳", "jia"}, {"怡", "yi"},   {"梦", "meng"},
    {"雅", "ya"},   {"晓", "xiao"}, {"莉", "li"},  {"萍", "ping"}, {"洁", "jie"},
};
constexpr Word kCnGivenMale[] = {
    {"伟", "wei"},  {"强", "qiang"}, {"磊", "lei"},  {"军", "jun"},  {"勇", "yong"},
    {"杰", "jie"},  {"涛", "tao"},   {"明", "ming"}, {"超", "chao"}, {"华", "hua"},
    {"辉", "hui"},  {"刚", "gang"},  {"鹏", "peng"}, {"浩", "hao"},  {"宇", "yu"},
    {"凯", "kai"},  {"斌", "bin"},   {"鑫", "xin"},  {"波", "bo"},   {"峰", "feng"},
    {"建", "jian"}, {"国", "guo"},   {"志", "zhi"},  {"海", "hai"},  {"东", "dong"},
};
constexpr Word kCnGivenNeutral[] = {
    {"子", "zi"},   {"文", "wen"}, {"一", "yi"},  {"晨", "chen"}, {"思", "si"},
    {"嘉", "jia"},  {"俊", "jun"}, {"博", "bo"},  {"雨", "yu"},   {"天", "tian"},
    {"轩", "xuan"}, {"然", "ran"}, {"涵", "han"}, {"泽", "ze"},   {"安", "an"},
};

constexpr Word kEnFirstFemale[] = {
    {"Emily", "emily"},     {"Olivia", "olivia"},
    {"Emma", "emma"},       {"Sophia", "sophia"},
    {"Ava", "ava"},         {"Isabella", "isabella"},
    {"Mia", "mia"},         {"Charlotte", "charlotte"},
    {"Amelia", "amelia"},   {"Harper", "harper"},
    {"Grace", "grace"},     {"Chloe", "chloe"},
    {"Hannah", "hannah"},   {"Rachel", "rachel"},
    {"Laura", "laura"},     {"Sarah", "sarah"},
    {"Jessica", "jessica"}, {"Megan", "megan"},
    {"Lucy", "lucy"},       {"Natalie", "natalie"},
};
constexpr Word kEnFirstMale[] = {
    {"James", "james"},     {"Michael", "michael"}, {"Robert", "robert"},   {"David", "david"},
    {"William", "william"}, {"Daniel", "daniel"},   {"Matthew", "matthew"}, {"Andrew", "andrew"},
    {"Joshua", "joshua"},   {"Ryan", "ryan"},       {"Brian", "brian"},     {"Kevin", "kevin"},
    {"Jason", "jason"},     {"Thomas", "thomas"},   {"Oliver", "oliver"},   {"Henry", "henry"},
    {"Ethan", "ethan"},     {"Samuel", "samuel"},   {"Nathan", "nathan"},   {"Jack", "jack"},
};
constexpr Word kEnSurnames[] = {
    {"Smith", "smith"},       {"Johnson", "johnson"}, {"Williams", "williams"},
    {"Brown", "brown"},       {"Jones", "jones"},     {"Miller", "miller"},
    {"Davis", "davis"},       {"Garcia", "garcia"},   {"Wilson", "wilson"},
    {"Anderson", "anderson"}, {"Taylor", "taylor"},   {"Thomas", "thomas"},
    {"Moore", "moore"},       {"Martin", "martin"},   {"Jackson", "jackson"},
    {"Thompson", "thompson"}, {"White", "white"},     {"Harris", "harris"},
    {"Clark", "clark"},       {"Lewis", "lewis"},     {"Robinson", "robinson"},
    {"Walker", "walker"},     {"Young", "young"},     {"Allen", "allen"},
    {"King", "king"},         {"Wright", "wright"},   {"Scott", "scott"},
    {"Green", "green"},       {"Baker", "baker"},     {"Adams", "adams"},
    {"Nelson", "nelson"},     {"Carter", "carter"},   {"Mitchell", "mitchell"},
    {"Roberts", "roberts"},   {"Turner", "turner"},   {"Phillips", "phillips"},
    {"Campbell", "campbell"}, {"Parker", "parker"},   {"Evans", "evans"},
    {"Edwards", "edwards"},
};
constexpr Word kDeFirstFemale[] = {
    {"Anna", "anna"},     {"Lea", "lea"},   {"Sophie", "sophie"}, {"Marie", "marie"},
    {"Hannah", "hannah"}, {"Lena", "lena"}, {"Julia", "julia"},   {"Jürgen", "juergen"},
};
constexpr Word kDeFirstMale[] = {
    {"Lukas", "lukas"}, {"Jonas", "jonas"}, {"Felix", "felix"},   {"Maximilian", "maximilian"},
    {"Leon", "leon"},   {"Paul", "paul"},   {"Stefan", "stefan"}, {"Tobias", "tobias"},
};
constexpr Word kDeSurnames[] = {
    {"Müller", "mueller"},    {"Schmidt", "schmidt"},  {"Schneider", "schneider"},
    {"Fischer", "fischer"},   {"Weber", "weber"},      {"Meyer", "meyer"},
    {"Wagner", "wagner"},     {"Becker", "becker"},    {"Schulz", "schulz"},
    {"Hoffmann", "hoffmann"}, {"Schäfer", "schaefer"}, {"Koch", "koch"},
    {"Bauer", "bauer"},       {"Richter", "richter"},  {"Klein", "klein"},
    {"Wolf", "wolf"},
};
constexpr Word kSgSurnames[] = {
    {"Tan", "tan"},   {"Lim", "lim"}, {"Lee", "lee"},   {"Ng", "ng"},     {"Ong", "ong"},
    {"Wong", "wong"}, {"Goh", "goh"}, {"Chua", "chua"}, {"Chan", "chan"}, {"Koh", "koh"},
    {"Teo", "teo"},   {"Ang", "ang"}, {"Yeo", "yeo"},   {"Tay", "tay"},   {"Ho", "ho"},
};
constexpr Word kSgGivenFemale[] = {
    {"Hui Min", "huimin"}, {"Jia Hui", "jiahui"}, {"Mei Ling", "meiling"}, {"Xin Yi", "xinyi"},
    {"Shu Fen", "shufen"}, {"Li Ting", "liting"}, {"Rachel", "rachel"},    {"Michelle", "michelle"},
};
constexpr Word kSgGivenMale[] = {
    {"Wei Ming", "weiming"}, {"Kok Leong", "kokleong"}, {"Jun Jie", "junjie"},
    {"Zhi Hao", "zhihao"},   {"Wei Jie", "weijie"},     {"Kian Seng", "kianseng"},
    {"Marcus", "marcus"},    {"Darren", "darren"},
};

constexpr Word kCnBrands[] = {
    {"华强", "huaqiang"},  {"恒通", "hengtong"},   {"金源", "jinyuan"},    {"宏达", "hongda"},
    {"中联", "zhonglian"}, {"天成", "tiancheng"},  {"远航", "yuanhang"},   {"新世纪", "xinshiji"},
    {"瑞丰", "ruifeng"},   {"东方", "dongfang"},   {"长江", "changjiang"}, {"鼎盛", "dingsheng"},
    {"嘉禾", "jiahe"},     {"华美", "huamei"},     {"盛世", "shengshi"},   {"海纳", "haina"},
    {"博远", "boyuan"},    {"创新", "chuangxin"},  {"万邦", "wanbang"},    {"德信", "dexin"},
    {"永泰", "yongtai"},   {"光明", "guangming"},  {"锦华", "jinhua"},     {"同创", "tongchuang"},
    {"联合", "lianhe"},    {"众诚", "zhongcheng"}, {"兴业", "xingye"},     {"汇通", "huitong"},
    {"星辰", "xingchen"},  {"蓝海", "lanhai"},     {"启明", "qiming"},     {"凯达", "kaida"},
};
constexpr Word kLatinBrands[] = {
    {"Northwind", "northwind"},    {"Acme", "acme"},
    {"Contoso", "contoso"},        {"Fabrikam", "fabrikam"},
    {"Globex", "globex"},          {"Initech", "initech"},
    {"Blue Harbor", "blueharbor"}, {"Summit", "summit"},
    {"Redwood", "redwood"},        {"Silverline", "silverline"},
    {"Pinecrest", "pinecrest"},    {"Brightwave", "brightwave"},
    {"Ironbridge", "ironbridge"},  {"Evergreen", "evergreen"},
    {"Keystone", "keystone"},      {"Lakeside", "lakeside"},
    {"Harborview", "harborview"},  {"Granite Peak", "granitepeak"},
    {"Clearwater", "clearwater"},  {"Westfield", "westfield"},
    {"Oakridge", "oakridge"},      {"Sterling", "sterling"},
    {"Vertex", "vertex"},          {"Atlas", "atlas"},
    {"Horizon", "horizon"},        {"Bluebird", "bluebird"},
    {"Crescent", "crescent"},      {"Meridian", "meridian"},
};

struct Industry {
  std::string_view code;
  std::string_view zh;
  std::string_view en;
  uint8_t weight;
};
constexpr Industry kIndustries[] = {
    {"electronics", "电子", "Electronics", 10},
    {"logistics", "物流", "Logistics", 8},
    {"trading", "贸易", "Trading", 10},
    {"software", "软件", "Software", 8},
    {"machinery", "机械", "Machinery", 7},
    {"food", "食品", "Foods", 6},
    {"pharma", "医药", "Pharma", 4},
    {"construction", "建设工程", "Construction", 5},
    {"retail", "商贸", "Retail", 7},
    {"energy", "新能源", "Energy", 4},
    {"textiles", "纺织", "Textiles", 4},
    {"automotive", "汽车零部件", "Auto Parts", 5},
    {"education", "教育科技", "Learning", 3},
    {"healthcare", "医疗器械", "Medical", 4},
    {"chemicals", "化工", "Chemicals", 3},
    {"packaging", "印刷包装", "Packaging", 3},
};

constexpr std::string_view kCnIndividualDomains[] = {"qq.com",   "163.com",     "126.com",
                                                     "sina.com", "foxmail.com", "139.com"};
constexpr std::string_view kUsIndividualDomains[] = {"gmail.com", "outlook.com", "yahoo.com",
                                                     "icloud.com", "example.com"};
constexpr std::string_view kGbIndividualDomains[] = {"gmail.com", "btinternet.com", "outlook.com",
                                                     "example.co.uk"};
constexpr std::string_view kDeIndividualDomains[] = {"gmx.de", "web.de", "t-online.de",
                                                     "gmail.com"};
constexpr std::string_view kSgIndividualDomains[] = {"gmail.com", "singnet.com.sg", "yahoo.com.sg",
                                                     "outlook.com"};

constexpr std::string_view kOccupationsZh[] = {
    "教师",   "工程师", "医生", "个体经营", "公务员",   "销售经理", "会计",
    "设计师", "程序员", "律师", "护士",     "自由职业", "学生",     "退休"};
constexpr std::string_view kOccupationsEn[] = {"teacher",
                                               "engineer",
                                               "physician",
                                               "small business owner",
                                               "civil servant",
                                               "sales manager",
                                               "accountant",
                                               "designer",
                                               "software developer",
                                               "lawyer",
                                               "nurse",
                                               "freelancer",
                                               "student",
                                               "retired"};

constexpr std::string_view kTags[] = {"vip",        "key_account",     "price_sensitive",
                                      "newsletter", "trade_show_2025", "referral",
                                      "churn_risk", "wechat_follower", "early_adopter",
                                      "export",     "late_payer",      "upsell_candidate"};

constexpr std::string_view kContactTitlesZh[] = {"总经理",   "采购经理", "财务总监", "技术负责人",
                                                 "行政主管", "销售总监", "运营经理", "IT 主管"};
constexpr std::string_view kContactTitlesEn[] = {"CEO",
                                                 "Purchasing Manager",
                                                 "CFO",
                                                 "Operations Director",
                                                 "IT Manager",
                                                 "Office Manager",
                                                 "Head of Procurement",
                                                 "Sales Director"};

struct Topic {
  std::string_view subject_zh, subject_en;
  std::string_view notes_zh, notes_en;
};
constexpr Topic kTopics[] = {
    {"产品咨询", "Product inquiry", "客户咨询新款产品的规格和交货周期。",
     "Asked about specs and lead time for the new model."},
    {"报价跟进", "Quote follow-up", "跟进上周发送的报价，客户希望再优惠5%。",
     "Followed up on last week's quote; customer asks for 5% off."},
    {"售后服务", "Support request", "设备运行异常，已远程协助排查。",
     "Device malfunction; walked through remote troubleshooting."},
    {"发票问题", "Invoice question", "客户需要重开增值税专用发票。",
     "Customer needs a corrected invoice."},
    {"物流查询", "Delivery status", "查询订单物流进度，预计三天内送达。",
     "Checked shipment status; delivery expected within three days."},
    {"续约沟通", "Renewal discussion", "讨论明年服务合同续签条款。",
     "Discussed renewal terms for next year's service contract."},
    {"付款提醒", "Payment reminder", "提醒客户本月应付款项。",
     "Reminded the customer of the invoice due this month."},
    {"新品推荐", "New product intro", "介绍新品并发送产品手册。",
     "Introduced the new product line and sent the brochure."},
    {"技术培训", "Training session", "为客户团队安排系统操作培训。",
     "Scheduled onboarding training for the customer's team."},
    {"需求调研", "Needs assessment", "了解客户下季度采购计划。",
     "Reviewed next quarter's purchasing plan."},
    {"合同条款确认", "Contract review", "确认合同付款条款与交付时间。",
     "Confirmed payment terms and delivery schedule."},
    {"满意度回访", "Satisfaction survey", "回访客户对近期服务的满意度。",
     "Satisfaction check after recent service."},
};
constexpr size_t kSurveyTopic = 11;
constexpr Topic kComplaintTopics[] = {
    {"投诉：发货延迟", "Complaint: late delivery", "订单延迟一周未发货，客户要求说明原因。",
     "Order is a week late; customer wants an explanation."},
    {"投诉：产品质量问题", "Complaint: product defect", "收到的货物有破损，要求换货。",
     "Goods arrived damaged; customer requests a replacement."},
    {"投诉：发票错误", "Complaint: billing error", "发票金额与合同不符。",
     "Invoice amount does not match the contract."},
    {"投诉：服务响应慢", "Complaint: slow support", "工单三天未响应，客户不满。",
     "Ticket unanswered for three days; customer unhappy."},
};
constexpr std::string_view kOutcomesZh[] = {"已解决",     "待跟进",     "已发送报价", "客户满意",
                                            "转技术支持", "已安排回访", "未接通",     "已下单"};
constexpr std::string_view kOutcomesEn[] = {
    "resolved",           "follow-up needed",     "quote sent",
    "customer satisfied", "escalated to support", "callback scheduled",
    "no answer",          "order placed"};

constexpr std::string_view kProductCategories[] = {
    "hardware",    "software_license", "support_services",   "consumables",
    "spare_parts", "training",         "logistics_services", "subscription"};
constexpr uint32_t kProductCategoryWeights[] = {20, 12, 15, 18, 12, 5, 8, 10};

constexpr std::string_view kOppProductsZh[] = {"服务器",   "ERP 系统", "仓储自动化", "办公设备",
                                               "维保服务", "物流外包", "生产线改造", "员工培训",
                                               "云服务",   "安防系统"};
constexpr std::string_view kOppSuffixesZh[] = {"采购项目", "升级", "年度合同", "试点", "扩容"};
constexpr std::string_view kOppNamesEn[] = {"Server refresh",
                                            "ERP upgrade",
                                            "Warehouse automation pilot",
                                            "Annual support renewal",
                                            "Fleet expansion",
                                            "Training program",
                                            "Cloud migration",
                                            "Security system rollout",
                                            "Office equipment",
                                            "Production line retrofit"};
constexpr std::string_view kOppIndividualZh[] = {"家庭保险方案", "会员年卡", "家电套餐",
                                                 "理财咨询"};
constexpr std::string_view kOppIndividualEn[] = {"Premium membership", "Home insurance plan",
                                                 "Appliance bundle", "Financial planning"};
constexpr std::string_view kOppSources[] = {"website", "referral",     "trade_show", "cold_call",
                                            "partner", "inbound_call", "campaign"};
constexpr std::string_view kCampaignsZh[] = {"2026春季新品发布会", "双十一大促", "年中客户答谢会",
                                             "行业展会2025"};
constexpr std::string_view kCampaignsEn[] = {"Q2 Webinar Series", "Partner Summit 2025",
                                             "Spring Launch 2026", "Year-end Promo"};
constexpr std::string_view kLostReasonsZh[] = {"价格过高", "选择了竞争对手", "预算取消",
                                               "需求变更"};
constexpr std::string_view kLostReasonsEn[] = {"price too high", "chose a competitor",
                                               "budget cancelled", "requirements changed"};
constexpr std::string_view kPaymentTermsZh[] = {"预付30%，验收后付清", "月结30天", "月结60天",
                                                "分期付款（按季度）"};
constexpr std::string_view kPaymentTermsEn[] = {"Net 30", "Net 60", "50% upfront, 50% on delivery",
                                                "Quarterly installments"};
constexpr std::string_view kTaskTitlesZh[] = {
    "回访：确认满意度", "发送报价单",       "跟进合同续签", "催收应收账款",
    "安排上门拜访",     "准备季度业务回顾", "确认发货时间", "更新客户资料"};
constexpr std::string_view kTaskTitlesEn[] = {
    "Follow up on proposal",   "Send renewal quote",    "Schedule quarterly business review",
    "Collect overdue invoice", "Confirm delivery date", "Call back about support ticket",
    "Update account details",  "Arrange site visit"};

struct Team {
  std::string_view name;
  Country region;  // the customers it serves
  uint8_t weight;  // share of agents
};
constexpr Team kTeams[] = {
    {"华东大客户部", kCN, 5},    {"华南销售部", kCN, 5},    {"华北渠道部", kCN, 4},
    {"西南服务中心", kCN, 3},    {"North America", kUS, 4}, {"EMEA", kGB, 2},
    {"APAC Enterprise", kSG, 2},
};
constexpr size_t kTeamCount = std::size(kTeams);
constexpr std::string_view kAdminTeam = "总部运营";

// ---------------------------------------------------------------------------
// Phone numbers: a bijection from a per-pool sequence number to a valid
// number, so that every phone is distinct and valid per libphonenumber.

// A keyed bijection on [0, n): a 4-round Feistel network on the smallest
// even number of bits that holds n - 1, cycle-walked back into range.
class Permutation {
 public:
  Permutation() = default;
  Permutation(uint64_t n, uint64_t key) : n_(n) {
    int bits = 2;
    while (bits < 64 && (uint64_t{1} << bits) < n) bits += 2;
    half_ = bits / 2;
    mask_ = (uint64_t{1} << half_) - 1;
    for (uint64_t& k : keys_) k = SplitMix64(key);
  }
  // Requires x < n.
  uint64_t Apply(uint64_t x) const {
    do {
      x = Rounds(x);
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t Rounds(uint64_t x) const {
    uint64_t left = x >> half_, right = x & mask_;
    for (uint64_t key : keys_) {
      uint64_t f = (right ^ key) * 0xFF51AFD7ED558CCDull;
      f ^= f >> 33;
      f *= 0xC4CEB9FE1A85EC53ull;
      f ^= f >> 29;
      const uint64_t next = left ^ (f & mask_);
      left = right;
      right = next;
    }
    return (left << half_) | right;
  }

  uint64_t n_ = 1;
  int half_ = 1;
  uint64_t mask_ = 1;
  uint64_t keys_[4] = {};
};

struct PhonePool {
  std::string country_code;                           // "+86"
  std::vector<std::string> prefixes;                  // national prefixes
  const std::vector<std::string>* middles = nullptr;  // optional middle part (US exchanges)
  int line_digits = 0;
  uint64_t line_space = 1;  // 10^line_digits
  uint64_t space = 0;       // prefixes x middles x lines
  Permutation permutation;
  uint64_t next = 0;  // sequence number of the next phone

  void Init(uint64_t seed) {
    line_space = 1;
    for (int d = 0; d < line_digits; ++d) line_space *= 10;
    const uint64_t m = middles ? middles->size() : 1;
    space = prefixes.size() * m * line_space;
    uint64_t key = 0;
    for (char c : country_code + prefixes[0]) key = key * 31 + static_cast<unsigned char>(c);
    permutation = Permutation(space, StreamSeed(seed, kPhoneStream, key));
  }

  // The next unused number in E.164, or "" when the pool is exhausted.
  std::string Next() {
    if (next >= space) return {};
    uint64_t k = permutation.Apply(next++);
    const uint64_t line = k % line_space;
    k /= line_space;
    std::string out;
    out.reserve(16);
    out += country_code;
    if (middles) {
      const uint64_t m = middles->size();
      out += prefixes[k / m];
      out += (*middles)[k % m];
    } else {
      out += prefixes[k];
    }
    AppendPadded(out, line, line_digits);
    return out;
  }
};

// ---------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015) with real check characters.

constexpr std::string_view kUsccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// `body` (< 10^8) is the organization code's serial part.
std::string MakeUscc(std::string_view admin_code, uint64_t body_number) {
  std::string code = "91";  // registered with market regulation; enterprise
  code += admin_code;
  // Organization code (GB 11714): 8 body digits, then its own check character.
  std::string body;
  AppendPadded(body, body_number, 8);
  static constexpr int kOrgWeights[] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (body[i] - '0') * kOrgWeights[i];
  const int c9 = 11 - sum % 11;
  code += body;
  code.push_back(c9 == 10 ? 'X' : c9 == 11 ? '0' : static_cast<char>('0' + c9));
  static constexpr int kWeights[] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};
  int total = 0;
  for (int i = 0; i < 17; ++i) {
    total += static_cast<int>(kUsccCharset.find(code[i])) * kWeights[i];
  }
  const int check = (31 - total % 31) % 31;
  code.push_back(kUsccCharset[check]);
  return code;
}

// ---------------------------------------------------------------------------
// The plan: what each customer is, decided up front (cheaply, from its own
// stream) so the totals are known before the first write.

struct Plan {
  Micros since = 0;    // first activity
  Micros until = 0;    // last activity (now, or when it went quiet)
  uint32_t owner = 0;  // index into users + 1; 0 = none
  uint32_t interactions = 0;
  uint32_t transactions = 0;
  uint16_t city = 0;
  uint16_t brand = 0;  // organizations: index into the country's brand table
  CustomerKind kind = CustomerKind::kIndividual;
  Lifecycle lifecycle = Lifecycle::kLead;
  SizeBand size = SizeBand::kUnknown;
  PaymentMethod payment = PaymentMethod::kUnknown;
  uint8_t domain_tld = 0;
  uint8_t contacts = 0;
  uint8_t opportunities = 0;
  uint8_t won = 0;  // the first `won` opportunities are won and get a contract
  uint8_t extra_contracts = 0;
  uint8_t tasks = 0;
};

struct OppInfo {
  Id id = 0;
  Stage stage = Stage::kQualification;
  int64_t amount = 0;  // minor units
  Micros close = 0;
};

// Where a write's returned id goes.
enum class Sink : uint8_t { kNone, kUser, kCustomer, kContact, kOpportunity };

struct Slot {
  EntityKind kind;
  Sink sink;
  uint32_t index;     // into the sink's table
  uint64_t customer;  // customer ordinal, for error messages; UINT64_MAX = none
};

struct PersonName {
  std::string display;
  std::string ascii;  // "wang.fang", for email local parts
};

class Loader {
 public:
  Loader(Engine& engine, const DemoOptions& options, const DemoProgress& progress)
      : engine_(engine),
        options_(options),
        progress_(progress),
        batch_(std::max<size_t>(options.batch, 1)),
        cn_surnames_(std::size(kCnSurnames)) {
    heavy_ = std::min(options_.heavy_customers, options_.customers);
    sample_ = options_.customers == 0 ? UINT64_MAX : heavy_ < options_.customers ? heavy_ : 0;
    InitPhonePools();
    org_codes_ = Permutation(kOrgCodeSpace, StreamSeed(options_.seed, kPhoneStream, 0));
    pending_.reserve(batch_);
    slots_.reserve(batch_);
  }

  Result<DemoSummary> Run() {
    PlanUsers();
    if (Status s = PlanAll(); !s.ok()) return s;
    if (Status s = WriteUsers(); !s.ok()) return s;
    if (Status s = WriteCustomers(); !s.ok()) return s;
    if (Status s = WriteChildrenAndHistories(); !s.ok()) return s;
    if (Status s = Flush(); !s.ok()) return s;
    if (sample_ != UINT64_MAX) summary_.sample_customer = customer_ids_[sample_];
    summary_.sample_phone = sample_phone_;
    summary_.heaviest_customer = heaviest_ == UINT64_MAX ? 0 : customer_ids_[heaviest_];
    return summary_;
  }

 private:
  // ---- Setup.

  void InitPhonePools() {
    // CN mobile: 13x, 150-153, 155-159, 18x, then 8 digits.
    PhonePool cn;
    cn.country_code = "+86";
    for (int p = 130; p <= 139; ++p) cn.prefixes.push_back(std::to_string(p));
    for (int p : {150, 151, 152, 153, 155, 156, 157, 158, 159})
      cn.prefixes.push_back(std::to_string(p));
    for (int p = 180; p <= 189; ++p) cn.prefixes.push_back(std::to_string(p));
    cn.line_digits = 8;
    pools_[kCN] = std::move(cn);
    // GB mobile: 7400-7409, 7510-7519, 7720-7729, 7800-7809, then 6 digits.
    PhonePool gb;
    gb.country_code = "+44";
    for (int base : {7400, 7510, 7720, 7800}) {
      for (int d = 0; d < 10; ++d) gb.prefixes.push_back(std::to_string(base + d));
    }
    gb.line_digits = 6;
    pools_[kGB] = std::move(gb);
    // DE mobile: 151, 152, 157, 159, 160, 162, 163, 170-179, then 8 digits.
    PhonePool de;
    de.country_code = "+49";
    for (int p : {151, 152, 157, 159, 160, 162, 163}) de.prefixes.push_back(std::to_string(p));
    for (int p = 170; p <= 179; ++p) de.prefixes.push_back(std::to_string(p));
    de.line_digits = 8;
    pools_[kDE] = std::move(de);
    // SG mobile: 81-88, 90-98, then 6 digits.
    PhonePool sg;
    sg.country_code = "+65";
    for (int p = 81; p <= 88; ++p) sg.prefixes.push_back(std::to_string(p));
    for (int p = 90; p <= 98; ++p) sg.prefixes.push_back(std::to_string(p));
    sg.line_digits = 6;
    pools_[kSG] = std::move(sg);
    for (Country c : {kCN, kGB, kDE, kSG}) pools_[c].Init(options_.seed);
    // US: one pool per area code; exchanges 200-999 except N11 and 555.
    for (int ex = 200; ex <= 999; ++ex) {
      if (ex % 100 == 11 || ex == 555) continue;
      us_exchanges_.push_back(std::to_string(ex));
    }
    for (const City& city : kCities) {
      for (uint16_t area : city.area_codes) {
        if (area == 0) continue;
        bool seen = false;
        for (const PhonePool& p : us_pools_) seen = seen || p.prefixes[0] == std::to_string(area);
        if (seen) continue;
        PhonePool us;
        us.country_code = "+1";
        us.prefixes.push_back(std::to_string(area));
        us.middles = &us_exchanges_;
        us.line_digits = 4;
        us.Init(options_.seed);
        us_pools_.push_back(std::move(us));
      }
    }
  }

  static Country CountryOf(const Plan& plan) { return kCities[plan.city].country; }
  static bool Zh(const Plan& plan) { return CountryOf(plan) == kCN; }
  static std::string_view CurrencyCode(const Plan& plan) { return Zh(plan) ? "CNY" : "USD"; }

  // ---- Planning.

  Status PlanAll() {
    const uint64_t n = options_.customers;
    plans_.resize(n);
    customer_ids_.assign(n, 0);
    const Micros now = options_.now;
    std::vector<double> iweights(n, 0.0), tweights(n, 0.0);
    for (uint64_t i = 0; i < n; ++i) {
      Rng rng(StreamSeed(options_.seed, kPlanStream, i));
      Plan& p = plans_[i];
      const bool heavy = i < heavy_;
      const bool sample = i == sample_;
      p.kind = (heavy || sample || rng.Percent(35)) ? CustomerKind::kOrganization
                                                    : CustomerKind::kIndividual;
      const bool org = p.kind == CustomerKind::kOrganization;
      // Region: country by weight, then a city in it by weight.
      // The heavy and the sample customers are Chinese, like the default region.
      Country country = static_cast<Country>(rng.Weighted(kCountryWeights));
      if (heavy || sample) country = kCN;
      {
        uint32_t total = 0;
        for (const City& c : kCities) total += c.country == country ? c.weight : 0;
        uint64_t r = rng.Below(total);
        for (size_t c = 0; c < kCityCount; ++c) {
          if (kCities[c].country != country) continue;
          if (r < kCities[c].weight) {
            p.city = static_cast<uint16_t>(c);
            break;
          }
          r -= kCities[c].weight;
        }
      }
      static constexpr uint32_t kLifecycleWeights[] = {10, 12, 55, 13, 10};
      p.lifecycle = (heavy || sample) ? Lifecycle::kActive
                                      : static_cast<Lifecycle>(rng.Weighted(kLifecycleWeights));
      if (org) {
        static constexpr uint32_t kSizeWeights[] = {0, 25, 35, 22, 12, 6};
        p.size = heavy ? SizeBand::kEnterprise : static_cast<SizeBand>(rng.Weighted(kSizeWeights));
        p.brand = static_cast<uint16_t>(
            rng.Below(country == kCN ? std::size(kCnBrands) : std::size(kLatinBrands)));
        p.domain_tld = static_cast<uint8_t>(rng.Below(3));
      }
      p.payment = DrawPayment(rng, country, org);
      p.owner = DrawOwner(rng, country);
      // Timeline.
      const Micros three_years = 3 * kYear;
      if (heavy) {
        p.since = now - three_years;
      } else if (sample) {
        p.since = now - 2 * kYear;
      } else if (p.lifecycle == Lifecycle::kLead) {
        p.since = now - rng.Range(2 * kDay, 180 * kDay);
      } else {
        p.since = now - rng.Range(30 * kDay, three_years);
      }
      p.until = now;
      if (p.lifecycle == Lifecycle::kChurned) p.until = now - rng.Range(90 * kDay, 400 * kDay);
      if (p.lifecycle == Lifecycle::kDormant) p.until = now - rng.Range(90 * kDay, 240 * kDay);
      if (p.until < p.since + 30 * kDay) p.until = std::min(now, p.since + 30 * kDay);
      // Children.
      if (org) {
        static constexpr uint32_t kContactWeights[] = {40, 30, 15, 10, 5};
        p.contacts = heavy ? 5 : static_cast<uint8_t>(1 + rng.Weighted(kContactWeights));
      }
      int opps = 0, won_percent = 0, tasks = 0;
      switch (p.lifecycle) {
        case Lifecycle::kLead:
          opps = static_cast<int>(rng.Below(2));
          tasks = static_cast<int>(rng.Below(2));
          break;
        case Lifecycle::kProspect:
          opps = 1 + static_cast<int>(rng.Below(2));
          tasks = 1 + static_cast<int>(rng.Below(2));
          break;
        case Lifecycle::kActive:
          opps = static_cast<int>(rng.Below(4));
          won_percent = 45;
          tasks = static_cast<int>(rng.Below(4));
          break;
        case Lifecycle::kDormant:
        case Lifecycle::kChurned:
          opps = static_cast<int>(rng.Below(2));
          won_percent = 30;
          tasks = static_cast<int>(rng.Below(2));
          break;
      }
      if (heavy) opps = 8, tasks = 12;
      int won = 0;
      for (int k = 0; k < opps; ++k) won += rng.Percent(static_cast<uint32_t>(won_percent)) ? 1 : 0;
      if (heavy) won = 4;
      if (sample) {
        opps = std::max(opps, 2);
        won = std::clamp(won, 1, opps - 1);
        tasks = std::max(tasks, 2);
      }
      p.opportunities = static_cast<uint8_t>(opps);
      p.won = static_cast<uint8_t>(won);
      p.tasks = static_cast<uint8_t>(tasks);
      p.extra_contracts = heavy                                                           ? 2
                          : (org && p.lifecycle == Lifecycle::kActive && rng.Percent(15)) ? 1
                                                                                          : 0;
      // Long-tail weights for histories.
      double iw = rng.Pareto();
      double tw = std::sqrt(iw * rng.Pareto());  // correlated with how much they talk
      if (org) iw *= 1.5, tw *= 1.5;
      if (p.lifecycle == Lifecycle::kLead) iw *= 0.3;
      if (p.lifecycle == Lifecycle::kChurned) iw *= 0.5, tw *= 0.5;
      if (p.lifecycle == Lifecycle::kLead || p.lifecycle == Lifecycle::kProspect) tw = 0;
      if (heavy) iw = 0, tw = 1000;
      iweights[i] = iw;
      tweights[i] = tw;
    }
    // Interactions: heavy customers get exactly heavy_interactions; the rest
    // share what is left, scaled to the total, none above half a heavy one.
    const uint64_t heavy_total = heavy_ * options_.heavy_interactions;
    const double rest = options_.interactions > heavy_total
                            ? static_cast<double>(options_.interactions - heavy_total)
                            : 0.0;
    const double cap =
        heavy_ > 0 ? std::max<double>(1.0, static_cast<double>(options_.heavy_interactions / 2))
                   : 1e300;
    Distribute(iweights, rest, cap, [this](uint64_t i, uint32_t count) {
      plans_[i].interactions =
          i < heavy_ ? static_cast<uint32_t>(options_.heavy_interactions) : count;
    });
    Distribute(tweights, static_cast<double>(options_.transactions), 1e300,
               [this](uint64_t i, uint32_t count) { plans_[i].transactions = count; });
    if (sample_ != UINT64_MAX) {
      plans_[sample_].interactions = std::max<uint32_t>(plans_[sample_].interactions, 3);
    }
    // Totals and the heaviest customer.
    total_ = options_.users + n;
    uint32_t most = 0;
    heaviest_ = n > 0 ? 0 : UINT64_MAX;
    for (uint64_t i = 0; i < n; ++i) {
      const Plan& p = plans_[i];
      total_ += uint64_t{p.contacts} + p.opportunities + p.won + p.extra_contracts + p.tasks +
                p.interactions + p.transactions;
      if (p.interactions > most) most = p.interactions, heaviest_ = i;
    }
    return Status();
  }

  // Scales `weights` so that they sum to `total`, none above `cap` (water
  // filling), and hands each customer its rounded share; the rounding carries
  // over so the shares add up to the total.
  template <typename F>
  static void Distribute(const std::vector<double>& weights, double total, double cap, F&& set) {
    double sum = 0;
    for (double w : weights) sum += w;
    double scale = sum > 0 ? total / sum : 0;
    for (int iter = 0; iter < 64 && scale > 0; ++iter) {
      double capped = 0, free_weight = 0;
      for (double w : weights) {
        if (w * scale >= cap) {
          capped += cap;
        } else {
          free_weight += w;
        }
      }
      if (free_weight <= 0 || capped >= total) break;
      const double next = (total - capped) / free_weight;
      if (next <= scale) break;
      scale = next;
    }
    double acc = 0;
    uint64_t given = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      acc += std::min(weights[i] * scale, cap);
      const uint64_t upto = static_cast<uint64_t>(std::floor(acc + 0.5));
      const uint64_t count = upto > given ? upto - given : 0;
      given += count;
      set(i, static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX)));
    }
  }

  static PaymentMethod DrawPayment(Rng& rng, Country country, bool org) {
    using P = PaymentMethod;
    if (country == kCN && !org) {
      static constexpr P kMethods[] = {P::kAlipay, P::kWechatPay, P::kCard, P::kCash};
      static constexpr uint32_t kWeights[] = {35, 40, 15, 10};
      return kMethods[rng.Weighted(kWeights)];
    }
    if (country == kCN) {
      static constexpr P kMethods[] = {P::kBankTransfer, P::kCreditTerms, P::kAlipay};
      static constexpr uint32_t kWeights[] = {60, 35, 5};
      return kMethods[rng.Weighted(kWeights)];
    }
    if (!org) {
      static constexpr P kMethods[] = {P::kCard, P::kBankTransfer, P::kCash, P::kOther};
      static constexpr uint32_t kWeights[] = {80, 10, 5, 5};
      return kMethods[rng.Weighted(kWeights)];
    }
    static constexpr P kMethods[] = {P::kBankTransfer, P::kCreditTerms, P::kCard};
    static constexpr uint32_t kWeights[] = {50, 45, 5};
    return kMethods[rng.Weighted(kWeights)];
  }

  // A user of a team serving `country` (index + 1), else any non-admin user,
  // else any user; 0 when there are no users.
  uint32_t DrawOwner(Rng& rng, Country country) {
    const std::vector<uint32_t>& pool = owner_pools_[country == kDE ? kGB : country];
    if (!pool.empty()) return pool[rng.Below(pool.size())] + 1;
    if (!non_admins_.empty()) return non_admins_[rng.Below(non_admins_.size())] + 1;
    if (options_.users > 0) return static_cast<uint32_t>(rng.Below(options_.users)) + 1;
    return 0;
  }

  // ---- Names, phones, emails.

  PersonName MakePerson(Rng& rng, Country country, Gender gender) {
    const bool female = gender == Gender::kFemale || (gender != Gender::kMale && rng.Percent(50));
    PersonName out;
    switch (country) {
      case kCN: {
        const Word& surname = kCnSurnames[cn_surnames_.Pick(rng)];
        out.display = surname.text;
        out.ascii = Concat({surname.ascii, "."});
        const int chars = rng.Percent(35) ? 1 : 2;
        for (int c = 0; c < chars; ++c) {
          const Word& w = rng.Percent(30) ? rng.Of(kCnGivenNeutral)
                          : female        ? rng.Of(kCnGivenFemale)
                                          : rng.Of(kCnGivenMale);
          out.display += w.text;
          out.ascii += w.ascii;
        }
        return out;
      }
      case kSG: {
        const Word& surname = rng.Of(kSgSurnames);
        const Word& given = female ? rng.Of(kSgGivenFemale) : rng.Of(kSgGivenMale);
        out.display = Concat({surname.text, " ", given.text});
        out.ascii = Concat({given.ascii, ".", surname.ascii});
        return out;
      }
      case kDE: {
        const Word& first = female ? rng.Of(kDeFirstFemale) : rng.Of(kDeFirstMale);
        const Word& last = rng.Of(kDeSurnames);
        out.display = Concat({first.text, " ", last.text});
        out.ascii = Concat({first.ascii, ".", last.ascii});
        return out;
      }
      default: {
        const Word& first = female ? rng.Of(kEnFirstFemale) : rng.Of(kEnFirstMale);
        const Word& last = rng.Of(kEnSurnames);
        out.display = Concat({first.text, " ", last.text});
        out.ascii = Concat({first.ascii, ".", last.ascii});
        return out;
      }
    }
  }

  // The next phone for someone in `city`, or a failed status when the
  // country's number space is used up (not reachable at sane sizes).
  Status NextPhone(Rng& rng, const City& city, std::string* out) {
    PhonePool* pool = &pools_[city.country];
    if (city.country == kUS) {
      size_t n = 0;
      while (n < city.area_codes.size() && city.area_codes[n] != 0) ++n;
      const std::string area = std::to_string(city.area_codes[rng.Below(n)]);
      for (PhonePool& p : us_pools_) {
        if (p.prefixes[0] == area) pool = &p;
      }
    }
    *out = pool->Next();
    if (out->empty()) {
      return Status::InvalidArgument(
          Concat({"demo data: ran out of distinct demo phone numbers for ",
                  kCountryCodes[city.country], "; load fewer customers"}));
    }
    return Status();
  }

  // "<local>.<n>@<domain>": unique because n is.
  std::string NextEmail(std::string_view local, std::string_view domain) {
    std::string out;
    out.reserve(local.size() + domain.size() + 12);
    out += local;
    out.push_back('.');
    AppendInt(out, ++email_seq_);
    out.push_back('@');
    out += domain;
    return out;
  }

  static std::string OrgDomain(const Plan& plan) {
    const Country country = CountryOf(plan);
    if (country == kCN) {
      static constexpr std::string_view kTlds[] = {".com", ".com.cn", ".cn"};
      return Concat({kCnBrands[plan.brand].ascii, kTlds[plan.domain_tld]});
    }
    static constexpr std::string_view kTlds[][3] = {{},
                                                    {".com", ".com", ".io"},
                                                    {".co.uk", ".com", ".co.uk"},
                                                    {".de", ".com", ".de"},
                                                    {".com.sg", ".com", ".sg"}};
    return Concat({kLatinBrands[plan.brand].ascii, kTlds[country][plan.domain_tld]});
  }

  static std::string_view IndividualDomain(Rng& rng, Country country) {
    switch (country) {
      case kCN:
        return rng.Of(kCnIndividualDomains);
      case kGB:
        return rng.Of(kGbIndividualDomains);
      case kDE:
        return rng.Of(kDeIndividualDomains);
      case kSG:
        return rng.Of(kSgIndividualDomains);
      default:
        return rng.Of(kUsIndividualDomains);
    }
  }

  // ---- Writing.

  Status Add(Record record, Sink sink, uint32_t index, uint64_t customer) {
    const EntityKind kind = KindOf(record);
    WriteOp op;
    op.kind = WriteKind::kCreate;
    op.record = std::move(record);
    pending_.push_back(std::move(op));
    slots_.push_back(Slot{kind, sink, index, customer});
    if (pending_.size() >= batch_) return Flush();
    return Status();
  }

  Status Flush() {
    if (pending_.empty()) return Status();
    const size_t n = pending_.size();
    std::vector<WriteResult> results =
        engine_.Write(Actor{}, std::move(pending_), /*atomic=*/false);
    pending_.clear();
    pending_.reserve(batch_);
    if (results.size() != n) {
      std::string msg = "demo data: Engine::Write returned ";
      AppendInt(msg, results.size());
      msg += " results for ";
      AppendInt(msg, n);
      msg += " ops";
      return Status::Internal(std::move(msg));
    }
    for (size_t k = 0; k < n; ++k) {
      const Slot& slot = slots_[k];
      const WriteResult& r = results[k];
      if (!r.status.ok()) {
        std::string msg = Concat({"demo data: creating ", Name(slot.kind)});
        if (slot.customer != UINT64_MAX) {
          msg += " of demo customer #";
          AppendInt(msg, slot.customer);
        }
        msg += " failed: ";
        msg += r.status.message();
        return Status(r.status.code(), std::move(msg), r.status.field(), r.status.existing_id());
      }
      switch (slot.sink) {
        case Sink::kNone:
          break;
        case Sink::kUser:
          user_ids_[slot.index] = r.id;
          break;
        case Sink::kCustomer:
          customer_ids_[slot.index] = r.id;
          break;
        case Sink::kContact:
          chunk_contacts_[slot.index] = r.id;
          break;
        case Sink::kOpportunity:
          chunk_opps_[slot.index].id = r.id;
          break;
      }
      switch (slot.kind) {
        case EntityKind::kCustomer:
          ++summary_.customers;
          break;
        case EntityKind::kContact:
          ++summary_.contacts;
          break;
        case EntityKind::kInteraction:
          ++summary_.interactions;
          break;
        case EntityKind::kTransaction:
          ++summary_.transactions;
          break;
        case EntityKind::kOpportunity:
          ++summary_.opportunities;
          break;
        case EntityKind::kContract:
          ++summary_.contracts;
          break;
        case EntityKind::kTask:
          ++summary_.tasks;
          break;
        case EntityKind::kUser:
          ++summary_.users;
          break;
      }
    }
    slots_.clear();
    done_ += n;
    if (progress_) progress_(done_, total_);
    return Status();
  }

  // ---- Users.

  // Decides every user (roles and teams depend only on the index), so that
  // customer owners can be drawn before the users are written.
  void PlanUsers() {
    const uint64_t n = options_.users;
    users_.assign(n, User{});
    user_ids_.assign(n, 0);
    const uint64_t admins = std::min<uint64_t>(2, n);
    const uint64_t managers = std::min<uint64_t>(kTeamCount, (n - admins) / 6);
    for (uint64_t k = 0; k < n; ++k) {
      Rng rng(StreamSeed(options_.seed, kUserStream, k));
      User& u = users_[k];
      size_t team = 0;
      if (k < admins) {
        u.role = Role::kAdmin;
        u.team = kAdminTeam;
      } else if (k < admins + managers) {
        u.role = Role::kManager;
        team = static_cast<size_t>(k - admins);
        u.team = kTeams[team].name;
      } else {
        u.role = Role::kAgent;
        uint32_t weights[kTeamCount];
        for (size_t t = 0; t < kTeamCount; ++t) weights[t] = kTeams[t].weight;
        team = rng.Weighted(weights);
        u.team = kTeams[team].name;
      }
      const Country region = u.role == Role::kAdmin ? kCN : kTeams[team].region;
      Country name_country = region;
      if (region == kGB && rng.Percent(40)) name_country = kDE;
      u.name = MakePerson(rng, name_country, Gender::kUnknown).display;
      u.active = true;
      if (u.role != Role::kAdmin) {
        owner_pools_[region].push_back(static_cast<uint32_t>(k));
        non_admins_.push_back(static_cast<uint32_t>(k));
      }
    }
  }

  Status WriteUsers() {
    for (size_t k = 0; k < users_.size(); ++k) {
      if (Status s = Add(users_[k], Sink::kUser, static_cast<uint32_t>(k), UINT64_MAX); !s.ok()) {
        return s;
      }
    }
    return Flush();
  }

  Id UserId(uint32_t owner) const { return owner == 0 ? 0 : user_ids_[owner - 1]; }

  // ---- Customers.

  Status WriteCustomers() {
    for (uint64_t i = 0; i < options_.customers; ++i) {
      Rng rng(StreamSeed(options_.seed, kCustomerStream, i));
      Customer c;
      if (Status s = MakeCustomer(i, rng, &c); !s.ok()) return s;
      // Edges point only at customers already written; flush first when the
      // target is still pending, so the records do not depend on the batch size.
      for (const Relation& rel : c.relations) {
        if (customer_ids_[rel.customer] == 0) {
          if (Status s = Flush(); !s.ok()) return s;
          break;
        }
      }
      for (Relation& rel : c.relations) rel.customer = customer_ids_[rel.customer];
      if (i == sample_) sample_phone_ = c.phones.empty() ? std::string() : c.phones[0];
      if (Status s = Add(std::move(c), Sink::kCustomer, static_cast<uint32_t>(i), i); !s.ok()) {
        return s;
      }
    }
    return Flush();
  }

  // Builds customer `i`; relations hold customer ordinals, not ids, yet.
  Status MakeCustomer(uint64_t i, Rng& rng, Customer* out) {
    const Plan& p = plans_[i];
    const City& city = kCities[p.city];
    const Country country = city.country;
    const bool org = p.kind == CustomerKind::kOrganization;
    const bool zh = country == kCN;
    const bool heavy = i < heavy_;
    Customer& c = *out;
    c.kind = p.kind;
    if (heavy || i == sample_ || rng.Percent(85)) {
      c.external_ref = "ERP-";
      AppendPadded(c.external_ref, i + 1, 6);
    }
    c.region.country = kCountryCodes[country];
    c.region.province = city.province;
    c.region.city = city.city;
    c.lifecycle = p.lifecycle;
    c.owner = UserId(p.owner);
    if (p.owner != 0) c.team = users_[p.owner - 1].team;
    c.size_band = p.size;
    c.payment_method = p.payment;
    std::string phone;
    if (Status s = NextPhone(rng, city, &phone); !s.ok()) return s;
    c.phones.push_back(std::move(phone));
    if (org) {
      const Industry& ind = kIndustries[WeightedIndustry(rng)];
      c.industry = ind.code;
      if (zh) {
        const bool listed = p.size >= SizeBand::kLarge && rng.Percent(40);
        c.name = Concat({city.city, rng.Percent(60) ? "市" : "", kCnBrands[p.brand].text, ind.zh,
                         listed ? "股份有限公司" : "有限公司"});
        c.tax_id = MakeUscc(city.admin_code, org_codes_.Apply(i % kOrgCodeSpace));
      } else {
        static constexpr std::string_view kUsSuffixes[] = {"Inc.", "LLC", "Co., Ltd", "Corp."};
        static constexpr std::string_view kGbSuffixes[] = {"Ltd", "PLC", "Ltd"};
        static constexpr std::string_view kDeSuffixes[] = {"GmbH", "AG", "GmbH & Co. KG"};
        std::string_view suffix = country == kGB   ? rng.Of(kGbSuffixes)
                                  : country == kDE ? rng.Of(kDeSuffixes)
                                  : country == kSG ? std::string_view("Pte. Ltd.")
                                                   : rng.Of(kUsSuffixes);
        c.name = Concat({kLatinBrands[p.brand].text, " ", ind.en, " ", suffix});
      }
      const std::string domain = OrgDomain(p);
      if (heavy || rng.Percent(80)) {
        static constexpr std::string_view kBoxes[] = {"info", "sales", "service", "contact"};
        c.emails.push_back(NextEmail(rng.Of(kBoxes), domain));
      }
      static constexpr std::string_view kOrgCategories[] = {"direct", "distributor", "reseller",
                                                            "oem",    "government",  "partner"};
      static constexpr uint32_t kOrgCategoryWeights[] = {40, 20, 15, 10, 5, 10};
      c.category = heavy ? "direct" : kOrgCategories[rng.Weighted(kOrgCategoryWeights)];
      static constexpr int kEmployees[][2] = {{0, 0},    {2, 9},      {10, 49},
                                              {50, 299}, {300, 1999}, {2000, 50000}};
      std::string employees;
      AppendInt(employees,
                static_cast<uint64_t>(rng.Range(kEmployees[static_cast<int>(p.size)][0],
                                                kEmployees[static_cast<int>(p.size)][1])));
      c.attributes.push_back({"employees", std::move(employees)});
      if (rng.Percent(60)) {
        std::string founded;
        AppendInt(founded, static_cast<uint64_t>(CivilYear(options_.now) - rng.Range(1, 40)));
        c.attributes.push_back({"founded", std::move(founded)});
      }
      if (rng.Percent(50)) c.attributes.push_back({"website", Concat({"https://www.", domain})});
    } else {
      static constexpr uint32_t kGenderWeights[] = {2, 49, 48, 1};
      c.gender = static_cast<Gender>(rng.Weighted(kGenderWeights));
      PersonName name = MakePerson(rng, country, c.gender);
      c.name = std::move(name.display);
      c.birth_year = static_cast<uint16_t>(rng.Percent(90) ? rng.Range(1950, 2006) : 0);
      c.occupation = zh ? rng.Of(kOccupationsZh) : rng.Of(kOccupationsEn);
      static constexpr uint32_t kIncomeWeights[] = {8, 15, 27, 30, 14, 6};
      c.income_band = static_cast<IncomeBand>(rng.Weighted(kIncomeWeights));
      if (rng.Percent(15)) {
        std::string second;
        if (Status s = NextPhone(rng, city, &second); !s.ok()) return s;
        c.phones.push_back(std::move(second));
      }
      if (rng.Percent(70))
        c.emails.push_back(NextEmail(name.ascii, IndividualDomain(rng, country)));
      static constexpr std::string_view kCategories[] = {"retail", "vip", "online", "walk_in"};
      static constexpr uint32_t kCategoryWeights[] = {60, 10, 25, 5};
      c.category = kCategories[rng.Weighted(kCategoryWeights)];
      static constexpr std::string_view kChannelsPreferred[] = {"phone", "wechat", "email", "sms"};
      c.attributes.push_back(
          {"preferred_channel", zh ? std::string(rng.Of(kChannelsPreferred)) : "email"});
      if (rng.Percent(30)) {
        static constexpr std::string_view kLevels[] = {"silver", "gold", "platinum"};
        c.attributes.push_back({"member_level", std::string(rng.Of(kLevels))});
      }
    }
    // Credit.
    if (p.lifecycle == Lifecycle::kLead && rng.Percent(70)) {
      c.credit_level = CreditLevel::kUnrated;
    } else {
      static constexpr uint32_t kCreditWeights[] = {5, 5, 15, 35, 25, 12, 3};
      c.credit_level =
          heavy ? CreditLevel::kAAA : static_cast<CreditLevel>(rng.Weighted(kCreditWeights));
    }
    // Tags: 0-3 distinct.
    const uint64_t tag_count = heavy ? 2 : rng.Below(4);
    uint32_t used = 0;
    for (uint64_t t = 0; t < tag_count; ++t) {
      const uint32_t k = static_cast<uint32_t>(rng.Below(std::size(kTags)));
      if (used & (1u << k)) continue;
      used |= 1u << k;
      c.tags.emplace_back(kTags[k]);
    }
    if (heavy && !(used & 2u)) c.tags.emplace_back("key_account");
    // Relations to earlier customers (ordinals; ids are filled in by the caller).
    if (i > 0 && !heavy && rng.Percent(7)) {
      uint64_t target = rng.Below(i);
      if (org && heavy_ > 0 && rng.Percent(25)) target = rng.Below(std::min(heavy_, i));
      const bool target_org = plans_[target].kind == CustomerKind::kOrganization;
      RelationKind kind = RelationKind::kReferredBy;
      if (org && target_org)
        kind = rng.Percent(50) ? RelationKind::kParent : RelationKind::kPartner;
      c.relations.push_back({target, kind});
      if (rng.Percent(15)) {
        const uint64_t other = rng.Below(i);
        if (other != target) c.relations.push_back({other, RelationKind::kRelated});
      }
    }
    return Status();
  }

  static size_t WeightedIndustry(Rng& rng) {
    uint32_t weights[std::size(kIndustries)];
    for (size_t k = 0; k < std::size(kIndustries); ++k) weights[k] = kIndustries[k].weight;
    return rng.Weighted(weights);
  }

  // ---- Per-customer children and histories, in chunks: first the contacts
  // and opportunities of a chunk of customers (their ids are needed), then
  // the contracts, tasks, interactions and transactions that refer to them.

  struct ChunkEntry {
    uint32_t first_contact = 0, contacts = 0;
    uint32_t first_opp = 0, opps = 0;
  };

  Status WriteChildrenAndHistories() {
    const uint64_t n = options_.customers;
    uint64_t begin = 0;
    while (begin < n) {
      chunk_.clear();
      chunk_contacts_.clear();
      chunk_opps_.clear();
      uint64_t end = begin;
      size_t ops = 0;
      while (end < n && (end == begin || ops < batch_)) {
        if (Status s = WriteChildren(end); !s.ok()) return s;
        ops += plans_[end].contacts + plans_[end].opportunities;
        ++end;
      }
      if (Status s = Flush(); !s.ok()) return s;
      for (uint64_t i = begin; i < end; ++i) {
        if (Status s = WriteHistory(i, chunk_[i - begin]); !s.ok()) return s;
      }
      begin = end;
    }
    return Status();
  }

  Status WriteChildren(uint64_t i) {
    const Plan& p = plans_[i];
    const City& city = kCities[p.city];
    const Country country = city.country;
    const bool zh = country == kCN;
    const Id customer = customer_ids_[i];
    const Micros now = options_.now;
    Rng rng(StreamSeed(options_.seed, kChildrenStream, i));
    ChunkEntry entry;
    entry.first_contact = static_cast<uint32_t>(chunk_contacts_.size());
    entry.contacts = p.contacts;
    entry.first_opp = static_cast<uint32_t>(chunk_opps_.size());
    entry.opps = p.opportunities;
    chunk_.push_back(entry);
    if (p.contacts > 0) {
      const std::string domain = OrgDomain(p);
      for (uint32_t k = 0; k < p.contacts; ++k) {
        Contact ct;
        ct.customer = customer;
        Country name_country = country;
        if (country == kCN && rng.Percent(3)) name_country = kUS;  // the odd expat
        PersonName name = MakePerson(rng, name_country, Gender::kUnknown);
        ct.name = std::move(name.display);
        ct.title = zh ? rng.Of(kContactTitlesZh) : rng.Of(kContactTitlesEn);
        std::string phone;
        if (Status s = NextPhone(rng, city, &phone); !s.ok()) return s;
        ct.phones.push_back(std::move(phone));
        if (rng.Percent(90)) ct.emails.push_back(NextEmail(name.ascii, domain));
        const uint32_t slot = static_cast<uint32_t>(chunk_contacts_.size());
        chunk_contacts_.push_back(0);
        if (Status s = Add(std::move(ct), Sink::kContact, slot, i); !s.ok()) return s;
      }
    }
    const bool quiet = p.lifecycle == Lifecycle::kDormant || p.lifecycle == Lifecycle::kChurned;
    bool forced_open = false;
    for (uint32_t k = 0; k < p.opportunities; ++k) {
      Opportunity o;
      o.customer = customer;
      o.owner = UserId(p.owner);
      const int64_t amount = OpportunityAmount(rng, p);
      o.amount = Money{amount, Currency(CurrencyCode(p))};
      if (k < p.won) {
        o.stage = Stage::kWon;
        o.probability = 100;
        o.expected_close = (i == sample_ && k == 0)
                               ? now - rng.Range(10 * kDay, 150 * kDay)
                               : p.since + rng.Below(static_cast<uint64_t>(p.until - p.since));
      } else if ((i == sample_ && !forced_open) || !rng.Percent(quiet ? 70 : 25)) {
        forced_open = true;
        static constexpr uint32_t kStageWeights[] = {35, 25, 25, 15};
        static constexpr uint8_t kProbabilities[] = {10, 25, 50, 75};
        const size_t stage = rng.Weighted(kStageWeights);
        o.stage = static_cast<Stage>(stage);
        o.probability = kProbabilities[stage];
        o.expected_close = now + rng.Range(7 * kDay, 180 * kDay);
      } else {
        o.stage = Stage::kLost;
        o.probability = 0;
        o.expected_close = p.since + rng.Below(static_cast<uint64_t>(p.until - p.since));
        o.lost_reason = zh ? rng.Of(kLostReasonsZh) : rng.Of(kLostReasonsEn);
      }
      o.name = OpportunityName(rng, p, o.expected_close);
      o.source = rng.Of(kOppSources);
      if (o.source == "campaign" || rng.Percent(20)) {
        o.campaign = zh ? rng.Of(kCampaignsZh) : rng.Of(kCampaignsEn);
      }
      const uint32_t slot = static_cast<uint32_t>(chunk_opps_.size());
      chunk_opps_.push_back(OppInfo{0, o.stage, amount, o.expected_close});
      if (Status s = Add(std::move(o), Sink::kOpportunity, slot, i); !s.ok()) return s;
    }
    return Status();
  }

  std::string OpportunityName(Rng& rng, const Plan& p, Micros close) {
    const bool zh = Zh(p);
    if (p.kind == CustomerKind::kIndividual) {
      return std::string(zh ? rng.Of(kOppIndividualZh) : rng.Of(kOppIndividualEn));
    }
    if (zh) {
      std::string name;
      AppendInt(name, static_cast<uint64_t>(CivilYear(close)));
      name += "年";
      name += rng.Of(kOppProductsZh);
      name += rng.Of(kOppSuffixesZh);
      return name;
    }
    std::string name(rng.Of(kOppNamesEn));
    name += " ";
    AppendInt(name, static_cast<uint64_t>(CivilYear(close)));
    return name;
  }

  // Typical order sizes, in whole currency units (CNY; USD is about a seventh).
  static void AmountRange(const Plan& p, int64_t* lo, int64_t* hi) {
    static constexpr int64_t kRanges[][2] = {{50, 3'000},       {500, 10'000},
                                             {2'000, 50'000},   {10'000, 200'000},
                                             {50'000, 800'000}, {100'000, 2'000'000}};
    const int band =
        p.kind == CustomerKind::kIndividual ? 0 : std::max(1, static_cast<int>(p.size));
    *lo = kRanges[band][0];
    *hi = kRanges[band][1];
    if (!Zh(p)) *lo = std::max<int64_t>(*lo / 7, 10), *hi /= 7;
  }

  static int64_t TransactionAmount(Rng& rng, const Plan& p) {
    int64_t lo, hi;
    AmountRange(p, &lo, &hi);
    const int64_t units = rng.Skewed(lo, hi);
    return units * 100 +
           (p.kind == CustomerKind::kIndividual ? static_cast<int64_t>(rng.Below(100)) : 0);
  }

  static int64_t OpportunityAmount(Rng& rng, const Plan& p) {
    int64_t lo, hi;
    AmountRange(p, &lo, &hi);
    const int64_t units = rng.Skewed(lo * 3, hi * 5);
    return (units / 100) * 100 * 100;  // round hundreds, in minor units
  }

  Status WriteHistory(uint64_t i, const ChunkEntry& entry) {
    const Plan& p = plans_[i];
    const City& city = kCities[p.city];
    const bool zh = city.country == kCN;
    const Id customer = customer_ids_[i];
    const Micros now = options_.now;
    Rng rng(StreamSeed(options_.seed, kHistoryStream, i));

    // Contracts: one per won opportunity, and a few standalone ones.
    const uint32_t contracts = static_cast<uint32_t>(p.won) + p.extra_contracts;
    for (uint32_t k = 0; k < contracts; ++k) {
      Contract c;
      c.customer = customer;
      const bool from_opp = k < p.won;
      const OppInfo* opp = from_opp ? &chunk_opps_[entry.first_opp + k] : nullptr;
      if (opp) {
        c.opportunity = opp->id;
        c.amount = Money{opp->amount, Currency(CurrencyCode(p))};
        c.signed_at = opp->close;
      } else {
        c.amount = Money{OpportunityAmount(rng, p), Currency(CurrencyCode(p))};
        c.signed_at = p.since + rng.Below(static_cast<uint64_t>(p.until - p.since));
      }
      c.start_at = c.signed_at + rng.Range(0, 14) * kDay;
      c.end_at = c.start_at + rng.Range(1, 3) * kYear;
      const bool force_active = i == sample_ && k == 0;
      if (force_active) c.end_at = std::max(c.end_at, now + 180 * kDay);
      if (c.end_at > now) {
        c.status = (force_active || !rng.Percent(10)) ? ContractStatus::kActive
                                                      : ContractStatus::kTerminated;
      } else {
        c.status = rng.Percent(90) ? ContractStatus::kFulfilled : ContractStatus::kTerminated;
      }
      switch (c.status) {
        case ContractStatus::kFulfilled:
          c.paid_minor_units = c.amount.minor_units;
          break;
        case ContractStatus::kActive:
          c.paid_minor_units = c.amount.minor_units / 100 * rng.Range(0, 100);
          break;
        default:
          c.paid_minor_units = c.amount.minor_units / 100 * rng.Range(0, 60);
          break;
      }
      c.number = zh ? "HT-" : "CT-";
      AppendInt(c.number, static_cast<uint64_t>(CivilYear(c.signed_at)));
      c.number += "-";
      AppendPadded(c.number, ++contract_seq_, 6);
      c.payment_terms = zh ? rng.Of(kPaymentTermsZh) : rng.Of(kPaymentTermsEn);
      if (Status s = Add(std::move(c), Sink::kNone, 0, i); !s.ok()) return s;
    }

    // Tasks: some done, some overdue, some coming up.
    for (uint32_t k = 0; k < p.tasks; ++k) {
      Task t;
      t.customer = customer;
      t.assignee = UserId(p.owner);
      t.title = zh ? rng.Of(kTaskTitlesZh) : rng.Of(kTaskTitlesEn);
      if (i == sample_ && k == 0) {
        t.due_at = now + 3 * kDay + rng.Range(0, 8) * kHour;
      } else {
        t.due_at = now + rng.Range(-60, 30) * kDay + rng.Range(0, 23) * kHour;
        if (t.due_at < now && rng.Percent(70)) {
          t.done = true;
          t.done_at = t.due_at - rng.Range(-48, 48) * kHour;
          if (t.done_at > now) t.done_at = now - kHour;
        }
      }
      if (rng.Percent(30))
        t.notes = zh ? "请提前准备相关资料。" : "Prepare the account summary first.";
      if (Status s = Add(std::move(t), Sink::kNone, 0, i); !s.ok()) return s;
    }

    // Interactions and transactions, merged in time order.
    DrawTimes(rng, p.interactions, p.since, p.until, city.utc_offset_hours, &itimes_);
    DrawTimes(rng, p.transactions, p.since, p.until, city.utc_offset_hours, &ttimes_);
    size_t a = 0, b = 0;
    while (a < itimes_.size() || b < ttimes_.size()) {
      Status s;
      if (b == ttimes_.size() || (a < itimes_.size() && itimes_[a] <= ttimes_[b])) {
        s = Add(MakeInteraction(rng, i, entry, itimes_[a++]), Sink::kNone, 0, i);
      } else {
        s = Add(MakeTransaction(rng, p, customer, ttimes_[b++]), Sink::kNone, 0, i);
      }
      if (!s.ok()) return s;
    }
    return Status();
  }

  // `n` times in [from, to), mostly in local business hours on weekdays, sorted.
  static void DrawTimes(Rng& rng, uint32_t n, Micros from, Micros to, int utc_offset_hours,
                        std::vector<Micros>* out) {
    static constexpr uint32_t kHourWeights[24] = {0, 0, 0,  0,  0, 0, 0, 1, 4, 9, 10, 10,
                                                  6, 8, 10, 10, 9, 7, 4, 3, 2, 1, 1,  0};
    out->clear();
    out->reserve(n);
    const uint64_t span = static_cast<uint64_t>(std::max<Micros>(to - from, 1));
    const Micros offset = utc_offset_hours * kHour;
    for (uint32_t k = 0; k < n; ++k) {
      Micros t = from + static_cast<Micros>(rng.Below(span));
      for (int attempt = 0; attempt < 4; ++attempt) {
        const Micros candidate = from + static_cast<Micros>(rng.Below(span));
        const int64_t local_day = FloorDiv(candidate + offset, kDay);
        const int64_t weekday = ((local_day + 4) % 7 + 7) % 7;  // 0 = Sunday
        if ((weekday == 0 || weekday == 6) && rng.Percent(75)) continue;
        const Micros shaped = local_day * kDay - offset +
                              static_cast<Micros>(rng.Weighted(kHourWeights)) * kHour +
                              static_cast<Micros>(rng.Below(static_cast<uint64_t>(kHour)));
        if (shaped >= from && shaped < to) {
          t = shaped;
          break;
        }
      }
      out->push_back(t);
    }
    std::sort(out->begin(), out->end());
  }

  Interaction MakeInteraction(Rng& rng, uint64_t i, const ChunkEntry& entry, Micros time) {
    const Plan& p = plans_[i];
    const bool zh = Zh(p);
    const bool org = p.kind == CustomerKind::kOrganization;
    const Micros now = options_.now;
    Interaction x;
    x.customer = customer_ids_[i];
    x.time = time;
    static constexpr uint32_t kOrgChannels[kChannelCount] = {35, 25, 10, 12, 8, 2, 5, 3};
    static constexpr uint32_t kPersonChannels[kChannelCount] = {40, 10, 3, 2, 20, 12, 8, 5};
    x.channel = static_cast<Channel>(rng.Weighted(org ? kOrgChannels : kPersonChannels));
    static constexpr uint8_t kInboundPercent[kChannelCount] = {60, 50, 0, 10, 70, 10, 95, 0};
    x.direction = rng.Percent(kInboundPercent[static_cast<int>(x.channel)]) ? Direction::kInbound
                                                                            : Direction::kOutbound;
    // Agent: mostly the owner, sometimes a colleague.
    x.agent = UserId(p.owner);
    if (!non_admins_.empty() && (x.agent == 0 || rng.Percent(30))) {
      x.agent = user_ids_[non_admins_[rng.Below(non_admins_.size())]];
    }
    if (entry.contacts > 0 && rng.Percent(80)) {
      x.contact = chunk_contacts_[entry.first_contact + rng.Below(entry.contacts)];
    }
    const bool complaint = x.channel != Channel::kSurvey && rng.Below(1000) < 25;
    const Topic& topic = complaint                       ? rng.Of(kComplaintTopics)
                         : x.channel == Channel::kSurvey ? kTopics[kSurveyTopic]
                                                         : rng.Of(kTopics);
    x.subject = zh ? topic.subject_zh : topic.subject_en;
    x.notes = zh ? topic.notes_zh : topic.notes_en;
    if (rng.Percent(30)) {
      x.notes += zh ? " 订单号 SO" : " Order SO-";
      AppendPadded(x.notes, rng.Below(100'000'000), 8);
    }
    if (complaint) {
      const Micros age = now - time;
      if (age < 14 * kDay) {
        x.complaint = rng.Percent(50) ? ComplaintState::kOpen : ComplaintState::kInProgress;
      } else if (age < 60 * kDay && rng.Percent(20)) {
        x.complaint = ComplaintState::kInProgress;
      } else {
        x.complaint = ComplaintState::kResolved;
      }
      x.outcome = x.complaint == ComplaintState::kResolved ? (zh ? "已解决" : "resolved")
                                                           : (zh ? "处理中" : "in progress");
    } else {
      x.outcome = zh ? rng.Of(kOutcomesZh) : rng.Of(kOutcomesEn);
    }
    switch (x.channel) {
      case Channel::kCall:
        x.duration_seconds =
            static_cast<uint32_t>(rng.Percent(20) ? rng.Range(300, 1800) : rng.Range(30, 300));
        break;
      case Channel::kVisit:
      case Channel::kMeeting:
        x.duration_seconds = static_cast<uint32_t>(rng.Range(3, 16) * 600);
        break;
      case Channel::kChat:
        x.duration_seconds = static_cast<uint32_t>(rng.Range(60, 1200));
        break;
      default:
        break;
    }
    if (x.channel == Channel::kSurvey || rng.Percent(complaint ? 40 : 15)) {
      static constexpr uint32_t kHappy[] = {3, 5, 15, 37, 40};
      static constexpr uint32_t kUnhappy[] = {30, 30, 25, 10, 5};
      x.satisfaction = static_cast<uint8_t>(1 + rng.Weighted(complaint ? kUnhappy : kHappy));
    }
    if (entry.opps > 0 && rng.Percent(12)) {
      x.opportunity = chunk_opps_[entry.first_opp + rng.Below(entry.opps)].id;
    }
    return x;
  }

  static Transaction MakeTransaction(Rng& rng, const Plan& p, Id customer, Micros time) {
    Transaction t;
    t.customer = customer;
    t.time = time;
    t.amount = Money{TransactionAmount(rng, p), Currency(CurrencyCode(p))};
    t.margin_minor_units = t.amount.minor_units / 100 * rng.Range(5, 40);
    t.product_category = kProductCategories[rng.Weighted(kProductCategoryWeights)];
    t.payment_method = rng.Percent(80)
                           ? p.payment
                           : DrawPayment(rng, CountryOf(p), p.kind == CustomerKind::kOrganization);
    return t;
  }

  Engine& engine_;
  const DemoOptions& options_;
  const DemoProgress& progress_;
  const size_t batch_;
  ZipfTable cn_surnames_;
  uint64_t heavy_ = 0;
  uint64_t sample_ = UINT64_MAX;  // ordinal of the sample customer
  uint64_t heaviest_ = UINT64_MAX;

  std::array<PhonePool, 5> pools_;  // by Country (the US entry is unused)
  std::vector<std::string> us_exchanges_;
  std::vector<PhonePool> us_pools_;
  static constexpr uint64_t kOrgCodeSpace = 100'000'000;
  Permutation org_codes_;  // customer ordinal -> organization code serial
  uint64_t email_seq_ = 0;
  uint64_t contract_seq_ = 0;

  std::vector<Plan> plans_;
  std::vector<User> users_;
  std::vector<Id> user_ids_;
  std::array<std::vector<uint32_t>, 5> owner_pools_;  // user indexes by region served
  std::vector<uint32_t> non_admins_;
  std::vector<Id> customer_ids_;
  std::string sample_phone_;

  std::vector<ChunkEntry> chunk_;
  std::vector<Id> chunk_contacts_;
  std::vector<OppInfo> chunk_opps_;
  std::vector<Micros> itimes_, ttimes_;

  std::vector<WriteOp> pending_;
  std::vector<Slot> slots_;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  DemoSummary summary_;
};

}  // namespace

Result<DemoSummary> LoadDemoData(Engine& engine, const DemoOptions& options,
                                 const DemoProgress& progress) {
  Loader loader(engine, options, progress);
  return loader.Run();
}

}  // namespace crm::engine
