// Helpers shared by the client library's tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
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

// Runs the crmctl binary built beside the client tests (CRM_CRMCTL_BINARY)
// with `args` (shell words); returns its exit status (-1 when it could not
// run or did not exit) and appends its stdout and stderr to `out`.
inline int RunCrmctl(const std::string& args, std::string* out) {
  const std::string command = std::string(CRM_CRMCTL_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace crm::testing
