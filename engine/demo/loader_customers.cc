// Loader records about people and organizations: names, phone numbers and
// email addresses; users; customers with their attributes, tags and relations;
// and, per chunk of customers, their contacts and opportunities.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader.h"

namespace crm::engine::demo_internal {

PersonName Loader::MakePerson(Rng& rng, Country country, Gender gender) {
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

Status Loader::NextPhone(Rng& rng, const City& city, std::string* out) {
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
    return Status::InvalidArgument(Concat({"demo data: ran out of distinct demo phone numbers for ",
                                           kCountryCodes[city.country], "; load fewer customers"}));
  }
  return Status();
}

std::string Loader::NextEmail(std::string_view local, std::string_view domain) {
  std::string out;
  out.reserve(local.size() + domain.size() + 12);
  out += local;
  out.push_back('.');
  AppendInt(out, ++email_seq_);
  out.push_back('@');
  out += domain;
  return out;
}

std::string Loader::OrgDomain(const Plan& plan) {
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

std::string_view Loader::IndividualDomain(Rng& rng, Country country) {
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

Status Loader::WriteUsers() {
  for (size_t k = 0; k < users_.size(); ++k) {
    if (Status s = Add(users_[k], Sink::kUser, static_cast<uint32_t>(k), UINT64_MAX); !s.ok()) {
      return s;
    }
  }
  return Flush();
}

Status Loader::WriteCustomers() {
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

Status Loader::MakeCustomer(uint64_t i, Rng& rng, Customer* out) {
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
    AppendInt(employees, static_cast<uint64_t>(rng.Range(kEmployees[static_cast<int>(p.size)][0],
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
    if (rng.Percent(70)) c.emails.push_back(NextEmail(name.ascii, IndividualDomain(rng, country)));
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
    if (org && target_org) kind = rng.Percent(50) ? RelationKind::kParent : RelationKind::kPartner;
    c.relations.push_back({target, kind});
    if (rng.Percent(15)) {
      const uint64_t other = rng.Below(i);
      if (other != target) c.relations.push_back({other, RelationKind::kRelated});
    }
  }
  return Status();
}

size_t Loader::WeightedIndustry(Rng& rng) {
  uint32_t weights[std::size(kIndustries)];
  for (size_t k = 0; k < std::size(kIndustries); ++k) weights[k] = kIndustries[k].weight;
  return rng.Weighted(weights);
}

Status Loader::WriteChildrenAndHistories() {
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

Status Loader::WriteChildren(uint64_t i) {
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

std::string Loader::OpportunityName(Rng& rng, const Plan& p, Micros close) {
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

}  // namespace crm::engine::demo_internal
