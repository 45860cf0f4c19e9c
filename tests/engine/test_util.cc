#include "engine/test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace crm::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/crm-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {
engine::Micros FixedClock() { return kTestNow; }
}  // namespace

std::unique_ptr<engine::Engine> OpenEngine(const std::string& dir, bool no_sync) {
  engine::Options options;
  options.data_dir = dir;
  options.no_sync = no_sync;
  options.initial_map_bytes = uint64_t{16} << 20;
  options.clock = &FixedClock;
  auto opened = engine::Engine::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (!opened.ok()) return nullptr;
  return std::move(opened).value();
}

}  // namespace crm::testing
