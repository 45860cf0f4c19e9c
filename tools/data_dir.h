// Where crm tools keep their data when --data is not given.
#pragma once

#include <cstdlib>
#include <string>

namespace crm::tools {

// $CRM_DATA_DIR, else $XDG_DATA_HOME/crm, else ~/.local/share/crm.
inline std::string DefaultDataDir() {
  if (const char* dir = std::getenv("CRM_DATA_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/crm";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/crm";
}

}  // namespace crm::tools
