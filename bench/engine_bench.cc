// crm_engine_bench: the engine's own micro benchmarks on a generated dataset.
//
// The dataset is the deterministic demo data at benchmark scale, generated
// once into a directory and reused while it matches the requested size:
//   CRM_BENCH_DIR           dataset directory (default /tmp/crm-bench-<customers>)
//   CRM_BENCH_CUSTOMERS     customers (default 1000000)
//   CRM_BENCH_INTERACTIONS  interactions (default 10000000)
//   CRM_BENCH_TRANSACTIONS  transactions (default 2000000)
//   CRM_BENCH_NO_SYNC       1: open without fsync (diagnosis only; figures use sync)
//
// Before the benchmarks run it reports the start-up load time from LMDB and
// the resident memory the loaded store takes. Write benchmarks run a fixed
// number of writes in the engine's default, fully synced mode, and delete what
// they created (untimed) so that repeated runs measure the same dataset.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_dataset.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"

namespace {

using namespace crm::engine;

using crm::bench::EnvCount;

// Anonymous resident memory of this process (RssAnon in /proc/self/status):
// the heap the store lives in, without LMDB's file-backed mapped pages.
uint64_t RssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::strtoull(line.c_str() + 8, nullptr, 10) * 1024;
  }
  return 0;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct Dataset {
  std::unique_ptr<Engine> engine;
  DemoSummary summary;
  std::vector<std::string> phones;  // E.164 of sampled customers
  std::vector<Id> ids;              // sampled customer ids
};

Dataset* dataset = nullptr;

// Creates the dataset if needed, then reopens it to measure the load.
void PrepareDataset() {
  DemoOptions demo;
  demo.customers = EnvCount("CRM_BENCH_CUSTOMERS", 1'000'000);
  demo.interactions = EnvCount("CRM_BENCH_INTERACTIONS", 10'000'000);
  demo.transactions = EnvCount("CRM_BENCH_TRANSACTIONS", 2'000'000);
  demo.users = 200;
  demo.heavy_customers = demo.customers >= 1'000'000 ? 5 : 1;
  demo.heavy_interactions = std::min<uint64_t>(60'000, demo.interactions / 10);
  std::string dir = std::getenv("CRM_BENCH_DIR") ? std::getenv("CRM_BENCH_DIR")
                                                 : "/tmp/crm-bench-" + std::to_string(demo.customers);
  Options options;
  options.data_dir = dir;
  options.initial_map_bytes = uint64_t{8} << 30;
  crm::bench::PrepareDemoDataset(options, demo);
  // CRM_BENCH_NO_SYNC=1 measures without fsync, to separate CPU from disk.
  options.no_sync = EnvCount("CRM_BENCH_NO_SYNC", 0) != 0;
  uint64_t rss_before = RssBytes();
  uint64_t heap_before = mallinfo2().uordblks;
  auto start = std::chrono::steady_clock::now();
  auto engine = Engine::Open(options);
  double load_seconds = Seconds(start);
  if (!engine.ok()) std::exit(1);
  uint64_t rss_after = RssBytes();
  uint64_t heap_after = mallinfo2().uordblks;
  dataset = new Dataset{std::move(engine).value(), {}, {}, {}};
  StoreCounts c = dataset->engine->Counts();
  uint64_t records = c.customers + c.contacts + c.interactions + c.transactions +
                     c.opportunities + c.contracts + c.tasks;
  std::printf(
      "dataset: %llu customers, %llu contacts, %llu interactions, %llu transactions, "
      "%llu opportunities, %llu contracts, %llu tasks\n"
      "load from LMDB: %.2f s (%.0f records/s)\n"
      "anonymous resident memory of the loaded store: %.2f GiB (malloc in use: %.2f GiB), "
      "%.0f bytes per record\n",
      (unsigned long long)c.customers, (unsigned long long)c.contacts,
      (unsigned long long)c.interactions, (unsigned long long)c.transactions,
      (unsigned long long)c.opportunities, (unsigned long long)c.contracts,
      (unsigned long long)c.tasks, load_seconds, records / load_seconds,
      (rss_after - rss_before) / double(1 << 30), (heap_after - heap_before) / double(1 << 30),
      double(rss_after - rss_before) / records);
  MemoryUsage m = dataset->engine->Memory();
  auto per = [](uint64_t bytes, uint64_t n) { return n ? double(bytes) / n : 0.0; };
  std::printf(
      "store memory (accounted, without malloc overhead): %.2f GiB; per customer %.0f B "
      "(with its contacts, opportunities, contracts, tasks: %.0f B), per interaction %.0f B, "
      "per transaction %.0f B, indexes %.0f MiB, value model %.0f B per customer\n",
      m.total() / double(1 << 30), per(m.customers, c.customers),
      per(m.customers + m.contacts + m.opportunities + m.contracts + m.tasks, c.customers),
      per(m.interactions, c.interactions), per(m.transactions, c.transactions),
      m.indexes / double(1 << 20), per(m.value_model, c.customers));
  // 100k customers drawn at random over the whole id range, so lookups miss
  // the CPU caches as they would on a real call-center floor.
  uint64_t x = 88172645463325252ULL;
  for (int n = 0; n < 100'000; ++n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    Id id = 1 + x % c.customers;
    auto customer = dataset->engine->GetCustomer(id);
    if (customer.ok() && !customer->phones.empty()) {
      dataset->ids.push_back(id);
      dataset->phones.push_back(customer->phones[0]);
    }
  }
  // The heaviest customer: the first heavy one the generator wrote.
  Id heaviest = 0;
  uint64_t most = 0;
  for (Id id = 1; id <= 64 && id <= c.customers; ++id) {
    auto card = dataset->engine->Card(CardKey::ById(id), CardOptions{0, 0});
    if (card.ok() && card->interaction_count > most) {
      most = card->interaction_count;
      heaviest = id;
    }
  }
  dataset->summary.heaviest_customer = heaviest;
  std::printf("heaviest customer: %llu with %llu interactions\n", (unsigned long long)heaviest,
              (unsigned long long)most);
  std::fflush(stdout);
}

void BM_Engine_CardById(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto card = dataset->engine->Card(CardKey::ById(dataset->ids[i++ % dataset->ids.size()]));
    benchmark::DoNotOptimize(card);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Engine_CardById)->Threads(1)->Threads(2);

// The call-center path: the phone arrives in E.164 from telephony.
void BM_Engine_CardByPhone(benchmark::State& state) {
  std::vector<CardKey> keys;
  for (const auto& p : dataset->phones) keys.push_back(CardKey::ByPhone(p));
  size_t i = 0;
  for (auto _ : state) {
    auto card = dataset->engine->Card(keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(card);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Engine_CardByPhone)->Threads(1)->Threads(2);

// Copies every byte of a card view into `out`, as a serializer would: the
// stand-in for "send the whole card" without a wire format.
void Flatten(const CardView& v, std::string& out) {
  auto text = [&](const std::string& s) { out.append(s); };
  auto num = [&](uint64_t x) { out.append(reinterpret_cast<const char*>(&x), sizeof(x)); };
  const Customer& c = *v.customer;
  num(c.id);
  for (const std::string* s : {&c.external_ref, &c.name, &c.tax_id, &c.region.country,
                               &c.region.province, &c.region.city, &c.industry, &c.category,
                               &c.team, &c.occupation}) {
    text(*s);
  }
  for (const auto& p : c.phones) text(p);
  for (const auto& e : c.emails) text(e);
  for (const auto& t : c.tags) text(t);
  for (const auto& a : c.attributes) text(a.key), text(a.value);
  for (const Contact* k : v.contacts) {
    text(k->name), text(k->title);
    for (const auto& p : k->phones) text(p);
    for (const auto& e : k->emails) text(e);
  }
  auto interaction = [&](const Interaction& i) {
    num(i.id), num(static_cast<uint64_t>(i.time)), text(i.subject), text(i.notes), text(i.outcome);
  };
  for (auto it = v.recent_interactions.rbegin(); it != v.recent_interactions.rend(); ++it) {
    interaction(*it);
  }
  for (const Interaction* i : v.open_complaints) interaction(*i);
  for (const Opportunity* o : v.open_opportunities) num(o->id), text(o->name), num(o->amount.minor_units);
  for (const Contract* k : v.active_contracts) num(k->id), text(k->number), num(k->amount.minor_units);
  for (const Task* t : v.due_tasks) num(t->id), text(t->title), num(static_cast<uint64_t>(t->due_at));
  for (const auto& r : v.related) num(r.id), text(*r.name);
  num(v.interaction_count), num(v.transaction_count);
}

// The server's path: find by phone and serialize from the view, no copy.
void BM_Engine_CardViewByPhone(benchmark::State& state) {
  std::vector<CardKey> keys;
  for (const auto& p : dataset->phones) keys.push_back(CardKey::ByPhone(p));
  std::string out;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    out.clear();
    Status s = dataset->engine->VisitCard(keys[i++ % keys.size()], CardOptions{},
                                          [&](const CardView& v) { Flatten(v, out); });
    bytes += out.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["card_bytes"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Engine_CardViewByPhone)->Threads(1)->Threads(2);

// A phone typed in national format: libphonenumber parses it first.
void BM_Engine_CardByPhoneNational(benchmark::State& state) {
  std::vector<CardKey> keys;
  for (const auto& p : dataset->phones) {
    if (p.rfind("+86", 0) == 0) keys.push_back(CardKey::ByPhone(p.substr(3)));
  }
  if (keys.empty()) {
    state.SkipWithError("no CN phones in the sample");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    auto card = dataset->engine->Card(keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(card);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Engine_CardByPhoneNational);

// Resolving the phone alone, no card copy.
void BM_Engine_FindByPhone(benchmark::State& state) {
  std::vector<CardKey> keys;
  for (const auto& p : dataset->phones) keys.push_back(CardKey::ByPhone(p));
  size_t i = 0;
  for (auto _ : state) {
    auto id = dataset->engine->FindCustomer(keys[i++ % keys.size()]);
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Engine_FindByPhone);

// One 1,000-entry page of the heaviest customer's history, at a random depth.
void BM_Engine_HistoryPage1000(benchmark::State& state) {
  HistoryQuery q;
  q.customer = dataset->summary.heaviest_customer;
  q.limit = 1000;
  // Collect cursors along the walk so pages come from every depth.
  std::vector<std::string> cursors = {""};
  for (;;) {
    q.cursor = cursors.back();
    auto page = dataset->engine->History(q);
    if (!page.ok() || page->next_cursor.empty()) break;
    cursors.push_back(page->next_cursor);
  }
  size_t i = 0;
  for (auto _ : state) {
    q.cursor = cursors[i++ % cursors.size()];
    auto page = dataset->engine->History(q);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["pages"] = static_cast<double>(cursors.size());
}
BENCHMARK(BM_Engine_HistoryPage1000);

// Records the write benchmarks created; deleted again (untimed) so that
// repeated runs measure the same dataset.
std::mutex created_mu;
std::vector<std::pair<EntityKind, Id>> created;

void Remember(Id id, EntityKind kind = EntityKind::kInteraction) {
  std::lock_guard lock(created_mu);
  created.emplace_back(kind, id);
}

void DeleteCreated() {
  std::vector<std::pair<EntityKind, Id>> ids;
  {
    std::lock_guard lock(created_mu);
    ids.swap(created);
  }
  for (size_t start = 0; start < ids.size(); start += 4096) {
    std::vector<WriteOp> ops;
    for (size_t i = start; i < std::min(ids.size(), start + 4096); ++i) {
      WriteOp op;
      op.kind = WriteKind::kDelete;
      op.entity = ids[i].first;
      op.id = ids[i].second;
      ops.push_back(std::move(op));
    }
    dataset->engine->Write(Actor{}, std::move(ops), false);
  }
}

Interaction NewInteraction(size_t i) {
  Interaction it;
  it.customer = dataset->ids[i % dataset->ids.size()];
  it.channel = Channel::kCall;
  it.direction = Direction::kInbound;
  it.subject = "benchmark call";
  it.notes = "caller asked about the delivery date of order 2024-118";
  it.duration_seconds = 95;
  return it;
}

// One durable (fsynced) create from a single writer: commit latency.
void BM_Engine_CommitInteraction(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto id = dataset->engine->Create(Actor{}, NewInteraction(i++));
    if (!id.ok()) state.SkipWithError(id.status().ToString().c_str());
    Remember(id.ok() ? *id : 0);
  }
  state.SetItemsProcessed(state.iterations());
  DeleteCreated();  // after the loop: not timed
}
BENCHMARK(BM_Engine_CommitInteraction)->UseRealTime()->Iterations(5000);

// Durable creates from many writer threads at once: group commit throughput.
void BM_Engine_GroupCommitInteraction(benchmark::State& state) {
  static std::atomic<size_t> counter{0};
  WriterStats before = dataset->engine->Writer();
  for (auto _ : state) {
    auto id = dataset->engine->Create(Actor{}, NewInteraction(counter++));
    if (!id.ok()) state.SkipWithError(id.status().ToString().c_str());
    Remember(id.ok() ? *id : 0);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    WriterStats after = dataset->engine->Writer();
    uint64_t batches = after.batches - before.batches;
    if (batches > 0) {
      state.counters["ops_per_commit"] =
          static_cast<double>(after.ops - before.ops) / static_cast<double>(batches);
      state.counters["us_per_commit"] =
          static_cast<double>(after.busy_micros - before.busy_micros) / static_cast<double>(batches);
    }
  }
}
BENCHMARK(BM_Engine_GroupCommitInteraction)->Threads(32)->UseRealTime()->Iterations(3000);

// Untimed: removes what the write benchmarks before it created.
void BM_Engine_Cleanup(benchmark::State& state) {
  for (auto _ : state) DeleteCreated();
}
BENCHMARK(BM_Engine_Cleanup)->Iterations(1);

// Durable creates from `range(0)` writers that each keep one write in
// flight, driven by completion callbacks rather than one blocked OS thread
// per writer: the way a server's I/O threads use the engine.
void BM_Engine_GroupCommitAsync(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  constexpr int kWritesPerIteration = 20'000;
  WriterStats before = dataset->engine->Writer();
  size_t next = 0;
  for (auto _ : state) {
    std::mutex mu;
    std::condition_variable cv;
    int submitted = 0, finished = 0;
    bool failed = false;
    std::function<void()> submit = [&] {
      std::vector<WriteOp> ops(1);
      ops[0].kind = WriteKind::kCreate;
      ops[0].record = NewInteraction(next++);
      dataset->engine->WriteAsync(Actor{}, std::move(ops), true,
                                  [&](std::vector<WriteResult> results) {
                                    bool resubmit;
                                    Remember(results[0].id);
                                    {
                                      std::lock_guard lock(mu);
                                      failed |= !results[0].status.ok();
                                      ++finished;
                                      resubmit = submitted < kWritesPerIteration;
                                      if (resubmit) ++submitted;
                                    }
                                    if (resubmit) {
                                      submit();
                                    } else {
                                      cv.notify_one();
                                    }
                                  });
    };
    {
      std::lock_guard lock(mu);
      submitted = writers;
    }
    for (int w = 0; w < writers; ++w) submit();
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return finished == kWritesPerIteration; });
    if (failed) state.SkipWithError("a write failed");
  }
  state.SetItemsProcessed(state.iterations() * kWritesPerIteration);
  WriterStats after = dataset->engine->Writer();
  if (after.batches > before.batches) {
    double batches = static_cast<double>(after.batches - before.batches);
    state.counters["ops_per_commit"] = static_cast<double>(after.ops - before.ops) / batches;
    state.counters["us_per_commit"] =
        static_cast<double>(after.busy_micros - before.busy_micros) / batches;
  }
  DeleteCreated();  // after the loop: not timed
}
BENCHMARK(BM_Engine_GroupCommitAsync)->Arg(32)->Arg(256)->UseRealTime()->Iterations(5)->Unit(benchmark::kMillisecond);

// ---- Value model and reports

// The in-memory cost of keeping values, scores, rankings and cut-offs current
// for one durable purchase: the writer's own clock around the value model's
// work while it publishes (the commit itself is not counted).
void BM_Value_IncrementalUpdate(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    WriterStats before = dataset->engine->Writer();
    Transaction t;
    t.customer = dataset->ids[(i++ * 7919) % dataset->ids.size()];
    t.time = 0;
    t.amount = Money{12345, Currency("CNY")};
    t.margin_minor_units = 2345;
    auto id = dataset->engine->Create(Actor{}, t);
    if (!id.ok()) state.SkipWithError(id.status().ToString().c_str());
    Remember(id.ok() ? *id : 0, EntityKind::kTransaction);
    WriterStats after = dataset->engine->Writer();
    state.SetIterationTime(static_cast<double>(after.value_nanos - before.value_nanos) * 1e-9);
  }
  state.SetItemsProcessed(state.iterations());
  DeleteCreated();  // after the loop: not timed
}
BENCHMARK(BM_Value_IncrementalUpdate)->UseManualTime()->Iterations(3000)->Unit(benchmark::kMicrosecond);

// A weight change: every customer rescored, re-ranked, the config stored and
// a tier snapshot written; end to end, as SetScoring's caller waits for it.
void BM_Value_RescoreAfterWeightChange(benchmark::State& state) {
  ScoringConfig original = dataset->engine->Scoring();
  int n = 0;
  for (auto _ : state) {
    ScoringConfig c = original;
    c.current_weights[static_cast<size_t>(Factor::kRevenue)] += (++n % 2) ? 0.1 : 0.2;
    auto r = dataset->engine->SetScoring(Actor{}, c);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(dataset->engine->Counts().customers));
  // Of the end-to-end time: the rescore itself (new scores and rankings
  // computed beside the live ones, then swapped in), without storing.
  state.counters["rescore_ms"] = dataset->engine->Writer().last_rescore_micros / 1000.0;
  (void)dataset->engine->SetScoring(Actor{}, original);  // after the loop: not timed
}
BENCHMARK(BM_Value_RescoreAfterWeightChange)->UseRealTime()->Iterations(10)->Unit(benchmark::kMillisecond);

// Re-ageing: the windows move to now, every customer's factors are summed
// again from its history, then rescored and re-ranked.
void BM_Value_Reage(benchmark::State& state) {
  for (auto _ : state) {
    Status s = dataset->engine->Reage(dataset->engine->Value(dataset->ids[0])->as_of + 1);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
}
BENCHMARK(BM_Value_Reage)->UseRealTime()->Iterations(3)->Unit(benchmark::kMillisecond);

// The customer's value summary alone (factors, contributions, tier, rank).
void BM_Value_Summary(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto v = dataset->engine->Value(dataset->ids[i++ % dataset->ids.size()]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Value_Summary);

template <typename Fn>
void RunReport(benchmark::State& state, Fn&& fn) {
  for (auto _ : state) {
    auto r = fn();
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
}
void BM_Report_ParetoCurrentValue(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Pareto({}); });
}
void BM_Report_ParetoRevenue(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Pareto({ParetoQuery::Metric::kRevenue, 20, 0}); });
}
void BM_Report_TiersWithMovements(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Tiers({1, 0}); });
}
void BM_Report_GroupByIndustry(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Group({Dimension::kIndustry, 0}); });
}
void BM_Report_GroupByOwner(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Group({Dimension::kOwner, 0}); });
}
void BM_Report_Pipeline(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Pipeline(); });
}
void BM_Report_Contracts(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Contracts(30, 0); });
}
void BM_Report_Churn(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Churn({}); });
}
void BM_Report_Satisfaction(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Satisfaction(0); });
}
void BM_Report_ConversionBySource(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->Conversion({false}); });
}
void BM_Report_OwnerKpis(benchmark::State& state) {
  RunReport(state, [] { return dataset->engine->OwnerKpis(0); });
}
// A report for another as-of time: the windows are recomputed from scratch.
void BM_Report_GroupByIndustryAsOfAnotherTime(benchmark::State& state) {
  RunReport(state, [] {
    return dataset->engine->Group({Dimension::kIndustry, dataset->engine->Value(dataset->ids[0])->as_of - 1});
  });
}
BENCHMARK(BM_Report_ParetoCurrentValue)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_ParetoRevenue)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_TiersWithMovements)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_GroupByIndustry)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_GroupByOwner)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_Pipeline)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_Contracts)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_Churn)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_Satisfaction)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_ConversionBySource)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_OwnerKpis)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_Report_GroupByIndustryAsOfAnotherTime)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  PrepareDataset();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
