// crmd: the crm database server. Opens a data directory and serves it over
// TCP with the protocol in protocol/crm.capnp.
//
//   crmd [--data DIR] [--listen ADDR] [--port N] [--threads N] [--no-sync]
//        [--max-frame-bytes N] [--busy-poll-us N] [--metrics-port N] [--metrics-listen ADDR]
//
// Unless DIR/admin.token holds an active admin's token, it creates the admin
// user "admin" and writes its token there (mode 0600). SIGINT / SIGTERM: graceful shutdown
// (in-flight requests finish and are answered), then the store is closed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "crm/engine/engine.h"
#include "crm/protocol/asio.h"
#include "crm/protocol/metrics_http.h"
#include "crm/protocol/server.h"
#include "crm/protocol/users.h"
#include "data_dir.h"

namespace {

using namespace crm;

constexpr const char* kUsage = R"(crmd: serve a crm data directory over TCP.

usage: crmd [options]

  --data DIR             data directory ($CRM_DATA_DIR, else $XDG_DATA_HOME/crm,
                         else ~/.local/share/crm)
  --listen ADDR          address to listen on (127.0.0.1)
  --port N               TCP port (7411; 0 = any free port)
  --threads N            io threads (2)
  --no-sync              skip fsync on commit (a machine crash may lose the last
                         acknowledged writes)
  --max-frame-bytes N    largest request frame accepted (16777216)
  --busy-poll-us N       io threads poll N us before sleeping: lower latency
                         for CPU time (0, never)
  --metrics-port N       serve Prometheus metrics at http://ADDR:N/metrics (off)
  --metrics-listen ADDR  address of the metrics endpoint (127.0.0.1)
  --help                 this text

Unless DIR/admin.token already holds an active admin's token, an admin user
"admin" is created and its token written there (mode 0600). SIGINT or SIGTERM
shuts down gracefully.
)";

[[noreturn]] void Fail(const std::string& message) {
  protocol::LogLine("crmd: " + message);
  std::exit(2);
}

uint64_t ParseNumber(const std::string& name, const std::string& text, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-' || errno != 0 || v > max) {
    Fail("--" + name + " takes a whole number up to " + std::to_string(max) + ", not \"" + text +
         "\"");
  }
  return v;
}

// Writes `token` to `path`, readable by the owner only.
bool WriteTokenFile(const std::string& path, const std::string& token) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, 0600) == 0;
  const std::string line = token + "\n";
  ok = ok && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = tools::DefaultDataDir();
  protocol::ServerOptions server_options;
  server_options.port = 7411;
  bool no_sync = false;
  std::optional<uint16_t> metrics_port;
  protocol::MetricsOptions metrics_options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.rfind("--", 0) != 0) Fail("unexpected argument \"" + a + "\" (see crmd --help)");
    std::string name = a.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "no-sync") {
      no_sync = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) Fail("--" + name + " needs a value (see crmd --help)");
      value = argv[++i];
    }
    if (name == "data") {
      data_dir = value;
    } else if (name == "listen") {
      server_options.listen_address = value;
    } else if (name == "port") {
      server_options.port = static_cast<uint16_t>(ParseNumber(name, value, 65535));
    } else if (name == "threads") {
      server_options.io_threads = static_cast<unsigned>(ParseNumber(name, value, 256));
      if (server_options.io_threads == 0) Fail("--threads must be at least 1");
    } else if (name == "busy-poll-us") {
      server_options.busy_poll = std::chrono::microseconds(ParseNumber(name, value, 1'000'000));
    } else if (name == "metrics-port") {
      metrics_port = static_cast<uint16_t>(ParseNumber(name, value, 65535));
    } else if (name == "metrics-listen") {
      metrics_options.listen_address = value;
    } else if (name == "max-frame-bytes") {
      server_options.limits.max_frame_bytes = ParseNumber(name, value, uint64_t{1} << 31);
      if (server_options.limits.max_frame_bytes < 64) Fail("--max-frame-bytes must be at least 64");
    } else {
      Fail("unknown option --" + name + " (see crmd --help)");
    }
  }

  engine::Options engine_options;
  engine_options.data_dir = data_dir;
  engine_options.no_sync = no_sync;
  auto opened = engine::Engine::Open(engine_options);
  if (!opened.ok()) Fail("cannot open " + data_dir + ": " + opened.status().ToString());
  std::unique_ptr<engine::Engine> engine = std::move(opened).value();
  protocol::LogLine("crmd: opened " + data_dir + (no_sync ? " (no-sync)" : ""));

  // DIR/admin.token is how operators and crmctl get in: make sure it holds
  // the token of an active admin (a fresh store, or one loaded with users
  // but no tokens, gets a new admin user).
  const std::string token_path = data_dir + "/admin.token";
  std::string existing;
  std::getline(std::ifstream(token_path), existing);
  auto holder = protocol::FindUserByToken(*engine, existing);
  if (existing.empty() || !holder.ok() || holder->role != engine::Role::kAdmin) {
    engine::User admin;
    admin.name = "admin";
    admin.role = engine::Role::kAdmin;
    auto token = protocol::CreateUserWithToken(*engine, engine::Actor{}, admin);
    if (!token.ok()) Fail("cannot create the admin user: " + token.status().ToString());
    if (!WriteTokenFile(token_path, *token)) {
      Fail("cannot write " + token_path + ": " + std::strerror(errno));
    }
    protocol::LogLine("crmd: created admin user \"admin\"; its token is in " + token_path);
  }

  int status = 0;
  {
    protocol::Server server(*engine, server_options);
    auto port = server.Start();
    if (!port.ok()) Fail(port.status().ToString());
    std::unique_ptr<protocol::MetricsServer> metrics;
    if (metrics_port) {
      metrics_options.port = *metrics_port;
      protocol::Handler* handler = server.handler();
      // A scrape never walks the store (see Handler::Stats).
      metrics = std::make_unique<protocol::MetricsServer>(
          [handler] { return protocol::ToPrometheus(handler->Stats(false)); }, metrics_options);
      auto bound = metrics->Start();
      if (!bound.ok()) Fail(bound.status().ToString());
    }

    // Signals are waited for on this thread's own io_context.
    protocol::asio::io_context signals_io;
    protocol::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([](const boost::system::error_code& ec, int signal) {
      if (!ec) protocol::LogLine(std::string("crmd: ") + strsignal(signal) + ", shutting down");
    });
    signals_io.run();
    if (metrics) metrics->Stop();
    server.Stop();
  }
  engine.reset();  // finishes queued writes, closes LMDB
  protocol::LogLine("crmd: closed " + data_dir);
  return status;
}
