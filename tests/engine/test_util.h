// Shared test helpers: scratch directories and quick engine setup.
#pragma once

#include <memory>
#include <string>

#include "crm/engine/engine.h"

namespace crm::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Opens an engine on `dir` with no_sync (tests need no power-loss safety) and
// a fixed clock; fails the current test if it cannot.
std::unique_ptr<engine::Engine> OpenEngine(const std::string& dir, bool no_sync = true);

// The fixed time OpenEngine's clock returns: 2026-01-01T00:00:00Z.
inline constexpr engine::Micros kTestNow = 1'767'225'600'000'000;

}  // namespace crm::testing
