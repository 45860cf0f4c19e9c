#include "bench_dataset.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

namespace crm::bench {

uint64_t EnvCount(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

bool MarkerHolds(const std::string& marker, const std::string& want) {
  std::string have;
  std::getline(std::ifstream(marker), have);
  return have == want;
}

void WriteMarker(const std::string& marker, const std::string& want) {
  std::ofstream(marker) << want << "\n";
}

void PrepareDemoDataset(const engine::Options& options, const engine::DemoOptions& demo,
                        const std::function<void(engine::Engine&)>& on_generated) {
  const std::string& dir = options.data_dir;
  // The marker names the size, so a reused dataset is not loaded just to
  // check it.
  const std::string marker = dir + "/bench-dataset";
  const std::string want = std::to_string(demo.customers) + " " +
                           std::to_string(demo.interactions) + " " +
                           std::to_string(demo.transactions);
  if (MarkerHolds(marker, want)) return;
  engine::Options load = options;
  load.no_sync = true;  // building the dataset is set-up, not measurement
  auto engine = engine::Engine::Open(load);
  if (!engine.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), engine.status().ToString().c_str());
    std::exit(1);
  }
  if ((*engine)->Counts().customers != 0) {
    std::fprintf(stderr, "%s holds another dataset; remove it or set CRM_BENCH_DIR\n", dir.c_str());
    std::exit(1);
  }
  std::fprintf(stderr, "generating %llu customers / %llu interactions into %s ...\n",
               static_cast<unsigned long long>(demo.customers),
               static_cast<unsigned long long>(demo.interactions), dir.c_str());
  const auto start = std::chrono::steady_clock::now();
  auto summary = engine::LoadDemoData(**engine, demo);
  if (!summary.ok()) {
    std::fprintf(stderr, "demo data: %s\n", summary.status().ToString().c_str());
    std::exit(1);
  }
  std::fprintf(stderr, "generated in %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (on_generated) on_generated(**engine);
  WriteMarker(marker, want);
}

}  // namespace crm::bench
