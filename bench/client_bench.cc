// crm_client_bench: customer cards by phone through the client library over
// loopback TCP, against an in-process Server on a generated dataset (or an
// already running crmd), with 1 and 50 connections and pipeline depth 1 and
// 16. Reports ops/s and the latency percentiles of single requests.
//
//   CRM_BENCH_DIR           dataset directory (default /tmp/crm-client-bench-<customers>)
//   CRM_BENCH_CUSTOMERS     customers (default 10000: a smoke-sized default)
//   CRM_BENCH_INTERACTIONS  interactions (default 100000)
//   CRM_BENCH_TRANSACTIONS  transactions (default 20000)
//   CRM_BENCH_IO_THREADS    the in-process server's io threads (default 2)
//   CRM_BENCH_SERVER_BUSY_POLL_US  its ServerOptions::busy_poll (default 0)
//   CRM_BENCH_CLIENT_BUSY_POLL_US  RemoteOptions::busy_poll of every client (default 0)
//   CRM_BENCH_PORT          use the crmd on 127.0.0.1:<port> instead (with
//   CRM_BENCH_TOKEN         a token of one of its users)
//
// Latency: each thread times every batch it sends; a request's latency is
// the time from sending its batch to the batch's last response, so at depth
// 16 it includes waiting behind the other 15. The per-thread samples are
// merged after the run, and every thread reports the merged percentiles
// (counters averaged over threads, so the figures are the merged ones).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench_dataset.h"
#include "crm/client/client.h"
#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"
#include "crm/protocol/server.h"
#include "crm/protocol/users.h"

namespace {

using namespace crm;
using Clock = std::chrono::steady_clock;

using bench::EnvCount;

[[noreturn]] void Die(const std::string& what, const engine::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

struct Setup {
  std::unique_ptr<engine::Engine> engine;  // null with CRM_BENCH_PORT
  std::unique_ptr<protocol::Server> server;
  uint16_t port = 0;
  std::string token;
  std::vector<std::string> phones;  // E.164 of sampled customers
};

Setup* setup = nullptr;

// Generates the dataset if the directory does not hold it yet, opens it, and
// makes (once) a user for the benchmark whose token is kept beside it.
void OpenDataset() {
  engine::DemoOptions demo;
  demo.customers = EnvCount("CRM_BENCH_CUSTOMERS", 10'000);
  demo.interactions = EnvCount("CRM_BENCH_INTERACTIONS", 100'000);
  demo.transactions = EnvCount("CRM_BENCH_TRANSACTIONS", 20'000);
  demo.heavy_interactions = std::min<uint64_t>(50'000, demo.interactions / 10);
  std::string dir = std::getenv("CRM_BENCH_DIR")
                        ? std::getenv("CRM_BENCH_DIR")
                        : "/tmp/crm-client-bench-" + std::to_string(demo.customers);
  engine::Options options;
  options.data_dir = dir;
  options.initial_map_bytes = uint64_t{1} << 30;
  bench::PrepareDemoDataset(options, demo, [&](engine::Engine& db) {
    engine::User user;
    user.name = "client-bench";
    user.role = engine::Role::kAdmin;
    auto token = protocol::CreateUserWithToken(db, engine::Actor{}, user);
    if (!token.ok()) Die("bench user", token.status());
    std::ofstream(dir + "/bench-token") << *token << "\n";
  });
  auto engine = engine::Engine::Open(options);
  if (!engine.ok()) Die("open " + dir, engine.status());
  setup->engine = std::move(engine).value();
  std::getline(std::ifstream(dir + "/bench-token"), setup->token);
  protocol::ServerOptions server_options;
  server_options.io_threads = static_cast<unsigned>(EnvCount("CRM_BENCH_IO_THREADS", 2));
  server_options.busy_poll = std::chrono::microseconds(EnvCount("CRM_BENCH_SERVER_BUSY_POLL_US", 0));
  setup->server = std::make_unique<protocol::Server>(*setup->engine, server_options);
  auto port = setup->server->Start();
  if (!port.ok()) Die("server", port.status());
  setup->port = *port;
}

client::RemoteOptions Remote() {
  client::RemoteOptions options;
  options.port = setup->port;
  options.token = setup->token;
  options.busy_poll = std::chrono::microseconds(EnvCount("CRM_BENCH_CLIENT_BUSY_POLL_US", 0));
  return options;
}

void Prepare() {
  setup = new Setup;
  if (uint64_t port = EnvCount("CRM_BENCH_PORT", 0)) {
    setup->port = static_cast<uint16_t>(port);
    setup->token = std::getenv("CRM_BENCH_TOKEN") ? std::getenv("CRM_BENCH_TOKEN") : "";
  } else {
    OpenDataset();
  }
  auto client = client::Client::Connect(Remote());
  if (!client.ok()) Die("connect", client.status());
  auto counts = (*client)->Counts();
  if (!counts.ok()) Die("counts", counts.status());
  // Up to 20k customers drawn at random over the id range, in batches.
  uint64_t x = 88172645463325252ULL;
  for (int round = 0; round < 40 && setup->phones.size() < 20'000; ++round) {
    client::Batch batch(**client);
    std::vector<client::Batch::Pending<engine::Record>> gets;
    for (int i = 0; i < 500; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      gets.push_back(batch.Get(engine::EntityKind::kCustomer, 1 + x % counts->customers));
    }
    engine::Status s = batch.Run();
    if (!s.ok()) Die("sample", s);
    for (auto& g : gets) {
      if (!g->ok()) continue;
      const auto& c = std::get<engine::Customer>(**g);
      if (!c.phones.empty()) setup->phones.push_back(c.phones[0]);
    }
  }
  if (setup->phones.empty()) {
    std::fprintf(stderr, "no customer with a phone in the dataset\n");
    std::exit(1);
  }
  std::printf("client bench: server 127.0.0.1:%u, %llu customers, %zu sampled phones\n",
              setup->port, static_cast<unsigned long long>(counts->customers),
              setup->phones.size());
  std::fflush(stdout);
}

// Shared by the threads of one run: their samples, merged after the loop.
std::mutex merged_mu;
std::vector<uint32_t> merged;  // nanoseconds
std::unique_ptr<std::barrier<>> merged_barrier;

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[i]) / 1000.0;  // microseconds
}

// Cards by phone; range(0) = pipeline depth; threads = connections.
void BM_Client_CardByPhone(benchmark::State& state) {
  const size_t depth = static_cast<size_t>(state.range(0));
  if (state.thread_index() == 0) {
    merged.clear();
    merged_barrier = std::make_unique<std::barrier<>>(state.threads());
  }
  // Every thread reaches the barriers below, even one that cannot connect.
  auto client = client::Client::Connect(Remote());
  if (!client.ok()) state.SkipWithError(client.status().ToString().c_str());
  std::vector<engine::CardKey> keys;
  for (const auto& p : setup->phones) keys.push_back(engine::CardKey::ByPhone(p));
  size_t next = static_cast<size_t>(state.thread_index()) * 7919;
  std::vector<uint32_t> samples;
  samples.reserve(1 << 16);
  uint64_t errors = 0;
  std::vector<client::Batch::Pending<engine::CustomerCard>> cards;
  cards.reserve(depth);
  for (auto _ : state) {
    if (!client.ok()) break;
    client::Batch batch(**client);
    cards.clear();
    for (size_t i = 0; i < depth; ++i) cards.push_back(batch.Card(keys[next++ % keys.size()]));
    auto start = Clock::now();
    engine::Status s = batch.Run();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    for (auto& card : cards) {
      if (!card->ok()) ++errors;
      samples.push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * depth));
  {
    std::lock_guard lock(merged_mu);
    merged.insert(merged.end(), samples.begin(), samples.end());
  }
  merged_barrier->arrive_and_wait();
  if (state.thread_index() == 0) std::sort(merged.begin(), merged.end());
  merged_barrier->arrive_and_wait();
  using benchmark::Counter;
  state.counters["p50_us"] = Counter(Percentile(merged, 0.50), Counter::kAvgThreads);
  state.counters["p99_us"] = Counter(Percentile(merged, 0.99), Counter::kAvgThreads);
  state.counters["p999_us"] = Counter(Percentile(merged, 0.999), Counter::kAvgThreads);
  state.counters["errors"] = Counter(static_cast<double>(errors));
}
BENCHMARK(BM_Client_CardByPhone)
    ->ArgName("depth")
    ->Arg(1)
    ->Arg(16)
    ->Threads(1)
    ->Threads(50)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Prepare();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (setup->server) setup->server->Stop();
  setup->server.reset();
  setup->engine.reset();
  return 0;
}
