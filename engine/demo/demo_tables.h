// Reference tables of the demo-data generator: countries and cities, personal
// and brand names, industries, email domains, occupations, tags, interaction
// topics and outcomes, product and opportunity wording, and sales teams. Each
// table is one `inline constexpr` definition shared by every file that draws
// from it; the order of entries is part of the generated output.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace crm::engine::demo_internal {

enum Country : uint8_t { kCN = 0, kUS = 1, kGB = 2, kDE = 3, kSG = 4 };
inline constexpr std::string_view kCountryCodes[] = {"CN", "US", "GB", "DE", "SG"};
inline constexpr uint32_t kCountryWeights[] = {68, 20, 4, 4, 4};

struct City {
  Country country;
  std::string_view province;
  std::string_view city;
  std::string_view admin_code;         // CN: administrative division code
  std::array<uint16_t, 3> area_codes;  // US: telephone area codes, 0 = none
  int8_t utc_offset_hours;
  uint8_t weight;
};

inline constexpr City kCities[] = {
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
inline constexpr size_t kCityCount = std::size(kCities);

struct Word {
  std::string_view text;
  std::string_view ascii;  // lower-case ASCII (pinyin for Chinese)
};

inline constexpr Word kCnSurnames[] = {
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
inline constexpr Word kCnGivenFemale[] = {
    {"芳", "fang"}, {"娜", "na"},   {"敏", "min"}, {"静", "jing"}, {"丽", "li"},
    {"艳", "yan"},  {"娟", "juan"}, {"霞", "xia"}, {"婷", "ting"}, {"雪", "xue"},
    {"慧", "hui"},  {"玲", "ling"}, {"琳", "lin"}, {"颖", "ying"}, {"倩", "qian"},
    {"欣", "xin"},  {"悦", "yue"},  {"佳", "jia"}, {"怡", "yi"},   {"梦", "meng"},
    {"雅", "ya"},   {"晓", "xiao"}, {"莉", "li"},  {"萍", "ping"}, {"洁", "jie"},
};
inline constexpr Word kCnGivenMale[] = {
    {"伟", "wei"},  {"强", "qiang"}, {"磊", "lei"},  {"军", "jun"},  {"勇", "yong"},
    {"杰", "jie"},  {"涛", "tao"},   {"明", "ming"}, {"超", "chao"}, {"华", "hua"},
    {"辉", "hui"},  {"刚", "gang"},  {"鹏", "peng"}, {"浩", "hao"},  {"宇", "yu"},
    {"凯", "kai"},  {"斌", "bin"},   {"鑫", "xin"},  {"波", "bo"},   {"峰", "feng"},
    {"建", "jian"}, {"国", "guo"},   {"志", "zhi"},  {"海", "hai"},  {"东", "dong"},
};
inline constexpr Word kCnGivenNeutral[] = {
    {"子", "zi"},   {"文", "wen"}, {"一", "yi"},  {"晨", "chen"}, {"思", "si"},
    {"嘉", "jia"},  {"俊", "jun"}, {"博", "bo"},  {"雨", "yu"},   {"天", "tian"},
    {"轩", "xuan"}, {"然", "ran"}, {"涵", "han"}, {"泽", "ze"},   {"安", "an"},
};

inline constexpr Word kEnFirstFemale[] = {
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
inline constexpr Word kEnFirstMale[] = {
    {"James", "james"},     {"Michael", "michael"}, {"Robert", "robert"},   {"David", "david"},
    {"William", "william"}, {"Daniel", "daniel"},   {"Matthew", "matthew"}, {"Andrew", "andrew"},
    {"Joshua", "joshua"},   {"Ryan", "ryan"},       {"Brian", "brian"},     {"Kevin", "kevin"},
    {"Jason", "jason"},     {"Thomas", "thomas"},   {"Oliver", "oliver"},   {"Henry", "henry"},
    {"Ethan", "ethan"},     {"Samuel", "samuel"},   {"Nathan", "nathan"},   {"Jack", "jack"},
};
inline constexpr Word kEnSurnames[] = {
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
inline constexpr Word kDeFirstFemale[] = {
    {"Anna", "anna"},     {"Lea", "lea"},   {"Sophie", "sophie"}, {"Marie", "marie"},
    {"Hannah", "hannah"}, {"Lena", "lena"}, {"Julia", "julia"},   {"Jürgen", "juergen"},
};
inline constexpr Word kDeFirstMale[] = {
    {"Lukas", "lukas"}, {"Jonas", "jonas"}, {"Felix", "felix"},   {"Maximilian", "maximilian"},
    {"Leon", "leon"},   {"Paul", "paul"},   {"Stefan", "stefan"}, {"Tobias", "tobias"},
};
inline constexpr Word kDeSurnames[] = {
    {"Müller", "mueller"},    {"Schmidt", "schmidt"},  {"Schneider", "schneider"},
    {"Fischer", "fischer"},   {"Weber", "weber"},      {"Meyer", "meyer"},
    {"Wagner", "wagner"},     {"Becker", "becker"},    {"Schulz", "schulz"},
    {"Hoffmann", "hoffmann"}, {"Schäfer", "schaefer"}, {"Koch", "koch"},
    {"Bauer", "bauer"},       {"Richter", "richter"},  {"Klein", "klein"},
    {"Wolf", "wolf"},
};
inline constexpr Word kSgSurnames[] = {
    {"Tan", "tan"},   {"Lim", "lim"}, {"Lee", "lee"},   {"Ng", "ng"},     {"Ong", "ong"},
    {"Wong", "wong"}, {"Goh", "goh"}, {"Chua", "chua"}, {"Chan", "chan"}, {"Koh", "koh"},
    {"Teo", "teo"},   {"Ang", "ang"}, {"Yeo", "yeo"},   {"Tay", "tay"},   {"Ho", "ho"},
};
inline constexpr Word kSgGivenFemale[] = {
    {"Hui Min", "huimin"}, {"Jia Hui", "jiahui"}, {"Mei Ling", "meiling"}, {"Xin Yi", "xinyi"},
    {"Shu Fen", "shufen"}, {"Li Ting", "liting"}, {"Rachel", "rachel"},    {"Michelle", "michelle"},
};
inline constexpr Word kSgGivenMale[] = {
    {"Wei Ming", "weiming"}, {"Kok Leong", "kokleong"}, {"Jun Jie", "junjie"},
    {"Zhi Hao", "zhihao"},   {"Wei Jie", "weijie"},     {"Kian Seng", "kianseng"},
    {"Marcus", "marcus"},    {"Darren", "darren"},
};

inline constexpr Word kCnBrands[] = {
    {"华强", "huaqiang"},  {"恒通", "hengtong"},   {"金源", "jinyuan"},    {"宏达", "hongda"},
    {"中联", "zhonglian"}, {"天成", "tiancheng"},  {"远航", "yuanhang"},   {"新世纪", "xinshiji"},
    {"瑞丰", "ruifeng"},   {"东方", "dongfang"},   {"长江", "changjiang"}, {"鼎盛", "dingsheng"},
    {"嘉禾", "jiahe"},     {"华美", "huamei"},     {"盛世", "shengshi"},   {"海纳", "haina"},
    {"博远", "boyuan"},    {"创新", "chuangxin"},  {"万邦", "wanbang"},    {"德信", "dexin"},
    {"永泰", "yongtai"},   {"光明", "guangming"},  {"锦华", "jinhua"},     {"同创", "tongchuang"},
    {"联合", "lianhe"},    {"众诚", "zhongcheng"}, {"兴业", "xingye"},     {"汇通", "huitong"},
    {"星辰", "xingchen"},  {"蓝海", "lanhai"},     {"启明", "qiming"},     {"凯达", "kaida"},
};
inline constexpr Word kLatinBrands[] = {
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
inline constexpr Industry kIndustries[] = {
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

inline constexpr std::string_view kCnIndividualDomains[] = {"qq.com",   "163.com",     "126.com",
                                                            "sina.com", "foxmail.com", "139.com"};
inline constexpr std::string_view kUsIndividualDomains[] = {"gmail.com", "outlook.com", "yahoo.com",
                                                            "icloud.com", "example.com"};
inline constexpr std::string_view kGbIndividualDomains[] = {"gmail.com", "btinternet.com",
                                                            "outlook.com", "example.co.uk"};
inline constexpr std::string_view kDeIndividualDomains[] = {"gmx.de", "web.de", "t-online.de",
                                                            "gmail.com"};
inline constexpr std::string_view kSgIndividualDomains[] = {"gmail.com", "singnet.com.sg",
                                                            "yahoo.com.sg", "outlook.com"};

inline constexpr std::string_view kOccupationsZh[] = {
    "教师",   "工程师", "医生", "个体经营", "公务员",   "销售经理", "会计",
    "设计师", "程序员", "律师", "护士",     "自由职业", "学生",     "退休"};
inline constexpr std::string_view kOccupationsEn[] = {"teacher",
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

inline constexpr std::string_view kTags[] = {"vip",        "key_account",     "price_sensitive",
                                             "newsletter", "trade_show_2025", "referral",
                                             "churn_risk", "wechat_follower", "early_adopter",
                                             "export",     "late_payer",      "upsell_candidate"};

inline constexpr std::string_view kContactTitlesZh[] = {
    "总经理", "采购经理", "财务总监", "技术负责人", "行政主管", "销售总监", "运营经理", "IT 主管"};
inline constexpr std::string_view kContactTitlesEn[] = {"CEO",
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
inline constexpr Topic kTopics[] = {
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
inline constexpr size_t kSurveyTopic = 11;
inline constexpr Topic kComplaintTopics[] = {
    {"投诉：发货延迟", "Complaint: late delivery", "订单延迟一周未发货，客户要求说明原因。",
     "Order is a week late; customer wants an explanation."},
    {"投诉：产品质量问题", "Complaint: product defect", "收到的货物有破损，要求换货。",
     "Goods arrived damaged; customer requests a replacement."},
    {"投诉：发票错误", "Complaint: billing error", "发票金额与合同不符。",
     "Invoice amount does not match the contract."},
    {"投诉：服务响应慢", "Complaint: slow support", "工单三天未响应，客户不满。",
     "Ticket unanswered for three days; customer unhappy."},
};
inline constexpr std::string_view kOutcomesZh[] = {
    "已解决", "待跟进", "已发送报价", "客户满意", "转技术支持", "已安排回访", "未接通", "已下单"};
inline constexpr std::string_view kOutcomesEn[] = {
    "resolved",           "follow-up needed",     "quote sent",
    "customer satisfied", "escalated to support", "callback scheduled",
    "no answer",          "order placed"};

inline constexpr std::string_view kProductCategories[] = {
    "hardware",    "software_license", "support_services",   "consumables",
    "spare_parts", "training",         "logistics_services", "subscription"};
inline constexpr uint32_t kProductCategoryWeights[] = {20, 12, 15, 18, 12, 5, 8, 10};

inline constexpr std::string_view kOppProductsZh[] = {
    "服务器",   "ERP 系统",   "仓储自动化", "办公设备", "维保服务",
    "物流外包", "生产线改造", "员工培训",   "云服务",   "安防系统"};
inline constexpr std::string_view kOppSuffixesZh[] = {"采购项目", "升级", "年度合同", "试点",
                                                      "扩容"};
inline constexpr std::string_view kOppNamesEn[] = {"Server refresh",
                                                   "ERP upgrade",
                                                   "Warehouse automation pilot",
                                                   "Annual support renewal",
                                                   "Fleet expansion",
                                                   "Training program",
                                                   "Cloud migration",
                                                   "Security system rollout",
                                                   "Office equipment",
                                                   "Production line retrofit"};
inline constexpr std::string_view kOppIndividualZh[] = {"家庭保险方案", "会员年卡", "家电套餐",
                                                        "理财咨询"};
inline constexpr std::string_view kOppIndividualEn[] = {"Premium membership", "Home insurance plan",
                                                        "Appliance bundle", "Financial planning"};
inline constexpr std::string_view kOppSources[] = {
    "website", "referral", "trade_show", "cold_call", "partner", "inbound_call", "campaign"};
inline constexpr std::string_view kCampaignsZh[] = {"2026春季新品发布会", "双十一大促",
                                                    "年中客户答谢会", "行业展会2025"};
inline constexpr std::string_view kCampaignsEn[] = {"Q2 Webinar Series", "Partner Summit 2025",
                                                    "Spring Launch 2026", "Year-end Promo"};
inline constexpr std::string_view kLostReasonsZh[] = {"价格过高", "选择了竞争对手", "预算取消",
                                                      "需求变更"};
inline constexpr std::string_view kLostReasonsEn[] = {"price too high", "chose a competitor",
                                                      "budget cancelled", "requirements changed"};
inline constexpr std::string_view kPaymentTermsZh[] = {"预付30%，验收后付清", "月结30天",
                                                       "月结60天", "分期付款（按季度）"};
inline constexpr std::string_view kPaymentTermsEn[] = {
    "Net 30", "Net 60", "50% upfront, 50% on delivery", "Quarterly installments"};
inline constexpr std::string_view kTaskTitlesZh[] = {
    "回访：确认满意度", "发送报价单",       "跟进合同续签", "催收应收账款",
    "安排上门拜访",     "准备季度业务回顾", "确认发货时间", "更新客户资料"};
inline constexpr std::string_view kTaskTitlesEn[] = {
    "Follow up on proposal",   "Send renewal quote",    "Schedule quarterly business review",
    "Collect overdue invoice", "Confirm delivery date", "Call back about support ticket",
    "Update account details",  "Arrange site visit"};

struct Team {
  std::string_view name;
  Country region;  // the customers it serves
  uint8_t weight;  // share of agents
};
inline constexpr Team kTeams[] = {
    {"华东大客户部", kCN, 5},    {"华南销售部", kCN, 5},    {"华北渠道部", kCN, 4},
    {"西南服务中心", kCN, 3},    {"North America", kUS, 4}, {"EMEA", kGB, 2},
    {"APAC Enterprise", kSG, 2},
};
inline constexpr size_t kTeamCount = std::size(kTeams);
inline constexpr std::string_view kAdminTeam = "总部运营";

}  // namespace crm::engine::demo_internal
