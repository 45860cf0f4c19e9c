// Deterministic demo data: realistic customers, contacts and histories.
//
// The same options produce the same records, byte for byte, on every machine
// (the generator uses its own PRNG and distributions, not <random>'s
// implementation-defined ones). Interactions and transactions per customer
// follow a long-tailed distribution, and `heavy_customers` customers get
// `heavy_interactions` interactions each, so queries meet real shapes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "crm/engine/engine.h"

namespace crm::engine {

struct DemoOptions {
  uint64_t seed = 20261123;
  uint64_t users = 50;
  uint64_t customers = 10'000;
  // Total interactions and transactions across all customers (approximate:
  // the long tail is drawn per customer, then scaled to hit the total).
  uint64_t interactions = 200'000;
  uint64_t transactions = 50'000;
  uint64_t heavy_customers = 1;          // part of `customers`
  uint64_t heavy_interactions = 50'000;  // each, part of `interactions`
  // "Now" for the generated timeline: histories span the 3 years before it.
  Micros now = 1'790'000'000'000'000;  // 2026-09-21
  // Ops per Engine::Write call while loading.
  size_t batch = 4096;
};

struct DemoSummary {
  uint64_t users = 0, customers = 0, contacts = 0, interactions = 0, transactions = 0,
           opportunities = 0, contracts = 0, tasks = 0;
  // Ids of a few customers worth looking at, and one phone each can be found by.
  Id heaviest_customer = 0;
  std::string sample_phone;  // E.164 of a customer with a full card
  Id sample_customer = 0;
};

// Called after each committed batch with the records written so far and the
// total to write.
using DemoProgress = std::function<void(uint64_t done, uint64_t total)>;

// Writes demo data into `engine` through its normal write path. Stops at the
// first failed write and returns its status.
Result<DemoSummary> LoadDemoData(Engine& engine, const DemoOptions& options,
                                 const DemoProgress& progress = nullptr);

}  // namespace crm::engine
