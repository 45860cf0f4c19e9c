// Helpers shared by the client library's tests.
#pragma once

#include <string>

#include "crm/engine/engine.h"
#include "engine/test_util.h"

namespace crm::testing {

// The engine options the client tests open `dir` with: no_sync (tests need
// no power-loss safety) and a clock fixed at kTestNow, as OpenEngine's.
inline engine::Options ClientEngineOptions(const std::string& dir) {
  engine::Options options;
  options.data_dir = dir;
  options.no_sync = true;
  options.clock = [] { return kTestNow; };
  return options;
}

}  // namespace crm::testing
