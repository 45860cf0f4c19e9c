// The demo dataset the benchmarks run on: generated once into a directory and
// reused while a marker file there names the requested size.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "crm/engine/demo_data.h"
#include "crm/engine/engine.h"

namespace crm::bench {

// The environment variable `name` read as a count; `fallback` when it is
// unset or empty.
uint64_t EnvCount(const char* name, uint64_t fallback);

// Whether the first line of the file `marker` is `want`; false when the file
// cannot be read.
bool MarkerHolds(const std::string& marker, const std::string& want);

// Writes `want` as the one line of the file `marker`.
void WriteMarker(const std::string& marker, const std::string& want);

// Makes `options.data_dir` hold the demo data `demo`, unless its marker file
// (`bench-dataset`) already names this size. Generating opens the directory
// without fsync, refuses one that already holds customers, loads the demo
// data, runs `on_generated` on the engine holding it, and writes the marker
// last; the engine is closed on return. Prints progress on stderr and exits
// the process with a message on any failure.
void PrepareDemoDataset(const engine::Options& options, const engine::DemoOptions& demo,
                        const std::function<void(engine::Engine&)>& on_generated = nullptr);

}  // namespace crm::bench
