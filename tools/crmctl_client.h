// How every crmctl command reaches the store.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "crm/client/client.h"
#include "crmctl_args.h"

namespace crm::tools {

// The port crmctl looks for crmd on, and the one --server HOST defaults to.
inline constexpr uint16_t kCrmdPort = 7411;

// A client on the store: through crmd at --server HOST[:PORT] when given;
// else embedded on `data_dir`, or, when a crmd holds that directory (Open
// says kInUse), through that crmd on 127.0.0.1:7411. The token is
// ReadToken's. `request_timeout` replaces the client's default deadline for
// one call (for long imports, exports and backups). Fails (exit 2) when no
// client can be had.
std::unique_ptr<client::Client> OpenClient(
    const CommandArgs& args, const std::string& data_dir,
    std::optional<std::chrono::milliseconds> request_timeout = std::nullopt);

}  // namespace crm::tools
