// Loader histories: order and deal amounts, and per customer its contracts,
// tasks, and interactions and transactions merged in time order.
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

void Loader::AmountRange(const Plan& p, int64_t* lo, int64_t* hi) {
  static constexpr int64_t kRanges[][2] = {{50, 3'000},       {500, 10'000},
                                           {2'000, 50'000},   {10'000, 200'000},
                                           {50'000, 800'000}, {100'000, 2'000'000}};
  const int band = p.kind == CustomerKind::kIndividual ? 0 : std::max(1, static_cast<int>(p.size));
  *lo = kRanges[band][0];
  *hi = kRanges[band][1];
  if (!Zh(p)) *lo = std::max<int64_t>(*lo / 7, 10), *hi /= 7;
}

int64_t Loader::TransactionAmount(Rng& rng, const Plan& p) {
  int64_t lo, hi;
  AmountRange(p, &lo, &hi);
  const int64_t units = rng.Skewed(lo, hi);
  return units * 100 +
         (p.kind == CustomerKind::kIndividual ? static_cast<int64_t>(rng.Below(100)) : 0);
}

int64_t Loader::OpportunityAmount(Rng& rng, const Plan& p) {
  int64_t lo, hi;
  AmountRange(p, &lo, &hi);
  const int64_t units = rng.Skewed(lo * 3, hi * 5);
  return (units / 100) * 100 * 100;  // round hundreds, in minor units
}

Status Loader::WriteHistory(uint64_t i, const ChunkEntry& entry) {
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

void Loader::DrawTimes(Rng& rng, uint32_t n, Micros from, Micros to, int utc_offset_hours,
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

Interaction Loader::MakeInteraction(Rng& rng, uint64_t i, const ChunkEntry& entry, Micros time) {
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

Transaction Loader::MakeTransaction(Rng& rng, const Plan& p, Id customer, Micros time) {
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

}  // namespace crm::engine::demo_internal
