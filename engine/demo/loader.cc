// Loader setup, planning and batched writing: the constructor and Run, the
// phone pools, the plan of every user and customer (kinds, regions,
// lifecycles, owners, and how many children and history records each gets),
// and Add/Flush, which queue records and write them through Engine::Write.
#include "loader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::engine::demo_internal {

Loader::Loader(Engine& engine, const DemoOptions& options, const DemoProgress& progress)
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

Result<DemoSummary> Loader::Run() {
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

void Loader::InitPhonePools() {
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

void Loader::PlanUsers() {
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

template <typename F>
void Loader::Distribute(const std::vector<double>& weights, double total, double cap, F&& set) {
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

Status Loader::PlanAll() {
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

PaymentMethod Loader::DrawPayment(Rng& rng, Country country, bool org) {
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

uint32_t Loader::DrawOwner(Rng& rng, Country country) {
  const std::vector<uint32_t>& pool = owner_pools_[country == kDE ? kGB : country];
  if (!pool.empty()) return pool[rng.Below(pool.size())] + 1;
  if (!non_admins_.empty()) return non_admins_[rng.Below(non_admins_.size())] + 1;
  if (options_.users > 0) return static_cast<uint32_t>(rng.Below(options_.users)) + 1;
  return 0;
}

Status Loader::Add(Record record, Sink sink, uint32_t index, uint64_t customer) {
  const EntityKind kind = KindOf(record);
  WriteOp op;
  op.kind = WriteKind::kCreate;
  op.record = std::move(record);
  pending_.push_back(std::move(op));
  slots_.push_back(Slot{kind, sink, index, customer});
  if (pending_.size() >= batch_) return Flush();
  return Status();
}

Status Loader::Flush() {
  if (pending_.empty()) return Status();
  const size_t n = pending_.size();
  std::vector<WriteResult> results = engine_.Write(Actor{}, std::move(pending_), /*atomic=*/false);
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

}  // namespace crm::engine::demo_internal
