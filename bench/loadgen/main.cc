// crm_loadgen: a load generator for crm, Redis and PostgreSQL with the same
// workload, keys and payloads for each.
//
//   crm_loadgen --system crm|redis|pg --port N [--host H] [--token T | --token-file F]
//               [--pg-conninfo "dbname=crm user=postgres"] [--pg-options "-c synchronous_commit=off"]
//               --keys DIR/keys.tsv [--connections 1] [--depth 1] [--threads 1]
//               [--duration 5] [--warmup 1] [--requests N] [--rate OPS_PER_S]
//               [--mix card_phone=70,card_id=10,history=10,insert_interaction=5,insert_transaction=5]
//               [--label TEXT] [--durability TEXT] [--json FILE] [--tsv FILE] [--seed S]
//   crm_loadgen table FILE.tsv      side by side, with ratios, as a Markdown table
//
// Connections are spread over the threads; each thread multiplexes its
// connections on one epoll loop with non-blocking sockets, keeping up to
// `depth` calls in flight on each (pipelining).
//
// Closed loop (default): a call is sent as soon as one completes; latency is
// from send to reply. Open loop (--rate): calls are due at a fixed rate per
// connection whatever the replies do; a call that cannot go because its
// connection has `depth` in flight waits, and its latency counts from when it
// was due, not when it went (no coordinated omission).
//
// Per operation: completions within the measured window (after the
// warm-up), errors, and latency percentiles from a log-linear histogram per
// thread (1.6% resolution), merged after the run.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/histogram.h"
#include "loadgen/loadgen.h"

namespace crm::loadgen {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "crm_loadgen: %s\n", what.c_str());
  std::exit(1);
}

struct Options {
  Target target;
  std::string keys_path;
  int connections = 1;
  int depth = 1;
  int threads = 1;
  double duration_s = 5;
  double warmup_s = 1;
  uint64_t requests = 0;  // 0 = run for duration_s
  double rate = 0;        // ops/s over all connections; 0 = closed loop
  std::vector<std::pair<Op, uint32_t>> mix = {{Op::kCardPhone, 1}};
  std::string label;
  std::string durability;
  std::string json_path;
  std::string tsv_path;
  uint64_t seed = 42;
};

Op ParseOp(const std::string& name) {
  for (const auto& info : kOps) {
    if (name == info.name) return info.op;
  }
  std::string known;
  for (const auto& info : kOps) known += std::string(known.empty() ? "" : ", ") + info.name;
  Fail("unknown operation \"" + name + "\" (known: " + known + ")");
}

std::vector<std::pair<Op, uint32_t>> ParseMix(const std::string& spec) {
  std::vector<std::pair<Op, uint32_t>> mix;
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t eq = item.find('=');
    const std::string name = item.substr(0, eq);
    uint32_t weight = 1;
    if (eq != std::string::npos) weight = static_cast<uint32_t>(std::stoul(item.substr(eq + 1)));
    if (weight > 0) mix.emplace_back(ParseOp(name), weight);
  }
  if (mix.empty()) Fail("--mix names no operation");
  return mix;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) Fail(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto number = [&](int& i) -> double {
    const std::string v = value(i);
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (!end || *end || d < 0) Fail(std::string(argv[i - 1]) + " wants a number, got " + v);
    return d;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--system") {
      o.target.system = value(i);
    } else if (a == "--host") {
      o.target.host = value(i);
    } else if (a == "--port") {
      o.target.port = static_cast<uint16_t>(number(i));
    } else if (a == "--token") {
      o.target.token = value(i);
    } else if (a == "--token-file") {
      std::ifstream f(value(i));
      std::getline(f, o.target.token);
      if (o.target.token.empty()) Fail("no token in " + std::string(argv[i]));
    } else if (a == "--pg-conninfo") {
      o.target.conninfo = value(i);
    } else if (a == "--pg-options") {
      o.target.pg_options = value(i);
    } else if (a == "--keys") {
      o.keys_path = value(i);
    } else if (a == "--connections") {
      o.connections = static_cast<int>(number(i));
    } else if (a == "--depth") {
      o.depth = static_cast<int>(number(i));
    } else if (a == "--threads") {
      o.threads = static_cast<int>(number(i));
    } else if (a == "--duration") {
      o.duration_s = number(i);
    } else if (a == "--warmup") {
      o.warmup_s = number(i);
    } else if (a == "--requests") {
      o.requests = static_cast<uint64_t>(number(i));
    } else if (a == "--rate") {
      o.rate = number(i);
    } else if (a == "--mix") {
      o.mix = ParseMix(value(i));
    } else if (a == "--label") {
      o.label = value(i);
    } else if (a == "--durability") {
      o.durability = value(i);
    } else if (a == "--json") {
      o.json_path = value(i);
    } else if (a == "--tsv") {
      o.tsv_path = value(i);
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(number(i));
    } else {
      Fail("unknown argument " + a + " (see the comment at the top of bench/loadgen/main.cc)");
    }
  }
  if (o.target.system != "crm" && o.target.system != "redis" && o.target.system != "pg") {
    Fail("--system must be crm, redis or pg");
  }
  if (o.target.port == 0) Fail("--port is required");
  if (o.keys_path.empty()) Fail("--keys is required (crm_dataset writes DIR/keys.tsv)");
  if (o.connections < 1 || o.depth < 1 || o.threads < 1) {
    Fail("--connections, --depth and --threads must be at least 1");
  }
  o.threads = std::min(o.threads, o.connections);
  if (o.requests == 0 && o.duration_s <= 0) Fail("--duration must be positive");
  if (o.label.empty()) o.label = "mix";
  return o;
}

std::vector<Key> LoadKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot read " + path);
  std::vector<Key> keys;
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    keys.push_back(Key{std::strtoull(line.c_str(), nullptr, 10), line.substr(tab + 1)});
  }
  if (keys.empty()) Fail(path + " holds no keys");
  return keys;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n ? Next() % n : 0; }

 private:
  uint64_t s_;
};

struct OpStats {
  Histogram latency;
  uint64_t errors = 0;
  std::string first_error;
  void Merge(const OpStats& o) {
    latency.Merge(o.latency);
    errors += o.errors;
    if (first_error.empty()) first_error = o.first_error;
  }
};

struct Shared {
  const Options* options = nullptr;
  const std::vector<Key>* keys = nullptr;
  std::vector<std::pair<Op, uint32_t>> mix;  // only supported operations
  uint32_t mix_total = 0;
  int64_t start_ns = 0, measure_ns = 0, end_ns = 0;
  std::atomic<uint64_t> budget{0};  // --requests: calls left to start
  std::mutex mu;
  OpStats stats[kOpCount];
  std::string transport_error;
  uint64_t unfinished = 0;
};

struct Conn {
  std::unique_ptr<Connection> c;
  std::vector<std::unique_ptr<Call>> calls;
  std::vector<Call*> free;
  std::deque<int64_t> due;  // open loop: calls due but not yet sent
  int64_t next_due = 0;
  int64_t interval_ns = 0;
  bool want_write = false;
  bool dead = false;
};

void RunThread(Shared& shared, std::vector<Conn>& conns, uint64_t seed) {
  const Options& o = *shared.options;
  Rng rng(seed);
  OpStats stats[kOpCount];
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) Fail(std::string("epoll: ") + std::strerror(errno));
  for (size_t i = 0; i < conns.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].c->fd(), &ev) != 0) {
      Fail(std::string("epoll_ctl: ") + std::strerror(errno));
    }
  }
  const bool open_loop = o.rate > 0;
  int64_t in_flight = 0;
  std::vector<Call*> done;
  std::vector<epoll_event> events(conns.size() + 1);

  auto start_call = [&](Conn& conn, int64_t intended) {
    Call* call = conn.free.back();
    conn.free.pop_back();
    *call = Call{};
    uint64_t pick = rng.Below(shared.mix_total);
    for (const auto& [op, weight] : shared.mix) {
      if (pick < weight) {
        call->op = op;
        break;
      }
      pick -= weight;
    }
    call->key = &(*shared.keys)[rng.Below(shared.keys->size())];
    call->intended_ns = intended;
    conn.c->Start(call);
    ++in_flight;
  };
  auto take_budget = [&] {
    if (o.requests == 0) return true;
    uint64_t left = shared.budget.load(std::memory_order_relaxed);
    while (left > 0) {
      if (shared.budget.compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  };
  auto set_write_interest = [&](size_t i, bool want) {
    if (conns[i].want_write == want) return;
    conns[i].want_write = want;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_MOD, conns[i].c->fd(), &ev);
  };
  auto fail_conn = [&](Conn& conn) {
    std::lock_guard lock(shared.mu);
    if (shared.transport_error.empty()) shared.transport_error = conn.c->error();
    conn.dead = true;
    epoll_ctl(ep, EPOLL_CTL_DEL, conn.c->fd(), nullptr);
  };

  bool out_of_budget = false;
  for (;;) {
    int64_t now = NowNs();
    const bool issuing = !out_of_budget && (o.requests > 0 || now < shared.end_ns);
    int64_t wake_ns = INT64_MAX;
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& conn = conns[i];
      if (conn.dead) continue;
      if (issuing) {
        if (open_loop) {
          while (conn.next_due <= now) {
            conn.due.push_back(conn.next_due);
            conn.next_due += conn.interval_ns;
          }
          wake_ns = std::min(wake_ns, conn.next_due);
        }
        while (!conn.free.empty() && (!open_loop || !conn.due.empty())) {
          if (!take_budget()) {
            out_of_budget = true;
            break;
          }
          int64_t intended = now;
          if (open_loop) {
            intended = conn.due.front();
            conn.due.pop_front();
          }
          start_call(conn, intended);
        }
      }
      bool pending = false;
      if (!conn.c->Flush(&pending)) {
        fail_conn(conn);
        continue;
      }
      set_write_interest(i, pending);
    }
    // Starting may just have found the --requests budget spent; and with
    // every connection failed nothing more can complete.
    const bool live = std::any_of(conns.begin(), conns.end(), [](const Conn& c) { return !c.dead; });
    if (in_flight == 0 && (out_of_budget || !issuing || !live)) break;
    if (!issuing && now > shared.end_ns + 10'000'000'000LL) break;  // replies that never come
    if (o.requests == 0) wake_ns = std::min(wake_ns, shared.end_ns);
    timespec timeout{0, 0};
    timespec* wait = nullptr;
    if (wake_ns != INT64_MAX && issuing) {
      const int64_t left = std::max<int64_t>(0, wake_ns - now);
      timeout.tv_sec = left / 1'000'000'000;
      timeout.tv_nsec = left % 1'000'000'000;
      wait = &timeout;
    } else if (!issuing) {
      timeout.tv_nsec = 100'000'000;  // draining: look at the clock now and then
      wait = &timeout;
    }
    const int n = epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), wait, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail(std::string("epoll_pwait2: ") + std::strerror(errno));
    }
    for (int e = 0; e < n; ++e) {
      Conn& conn = conns[events[e].data.u64];
      if (conn.dead) continue;
      if (events[e].events & EPOLLOUT) {
        bool pending = false;
        if (!conn.c->Flush(&pending)) {
          fail_conn(conn);
          continue;
        }
        set_write_interest(events[e].data.u64, pending);
      }
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      done.clear();
      const bool ok = conn.c->Read(&done);
      const int64_t t = NowNs();
      for (Call* call : done) {
        ++call->steps;
        if (call->more && !call->failed && call->steps < kHistoryPages && !conn.dead) {
          conn.c->Start(call);  // the next page of a walk
          continue;
        }
        if (t >= shared.measure_ns && (o.requests > 0 || t <= shared.end_ns)) {
          OpStats& s = stats[static_cast<int>(call->op)];
          if (call->failed) {
            ++s.errors;
            if (s.first_error.empty()) s.first_error = call->error;
          } else {
            s.latency.Record(t - call->intended_ns);
          }
        }
        conn.free.push_back(call);
        --in_flight;
      }
      if (!ok) {
        fail_conn(conn);
        in_flight -= static_cast<int64_t>(conn.calls.size() - conn.free.size());
      }
    }
  }
  close(ep);
  std::lock_guard lock(shared.mu);
  for (int i = 0; i < kOpCount; ++i) shared.stats[i].Merge(stats[i]);
  shared.unfinished += static_cast<uint64_t>(std::max<int64_t>(in_flight, 0));
}

std::string Micros(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), ns >= 10'000'000 ? "%.0f" : "%.1f", static_cast<double>(ns) / 1000);
  return buf;
}

int Run(const Options& o) {
  const std::vector<Key> keys = LoadKeys(o.keys_path);
  Shared shared;
  shared.options = &o;
  shared.keys = &keys;

  // Connect everything first (blocking set-up), then spread over the threads.
  std::vector<std::vector<Conn>> per_thread(static_cast<size_t>(o.threads));
  for (int i = 0; i < o.connections; ++i) {
    std::string error;
    std::unique_ptr<Connection> c = o.target.system == "crm"     ? ConnectCrm(o.target, &error)
                                    : o.target.system == "redis" ? ConnectRedis(o.target, &error)
                                                                 : ConnectPg(o.target, &error);
    if (!c) Fail(o.target.system + ": " + error);
    Conn conn;
    conn.c = std::move(c);
    for (int d = 0; d < o.depth; ++d) conn.calls.push_back(std::make_unique<Call>());
    for (auto& call : conn.calls) conn.free.push_back(call.get());
    per_thread[static_cast<size_t>(i % o.threads)].push_back(std::move(conn));
  }
  const Connection& probe = *per_thread[0][0].c;
  std::string skipped;
  for (const auto& [op, weight] : o.mix) {
    if (probe.Supports(op)) {
      shared.mix.emplace_back(op, weight);
      shared.mix_total += weight;
    } else {
      skipped += std::string(skipped.empty() ? "" : ", ") + OpName(op);
    }
  }
  if (!skipped.empty()) {
    std::fprintf(stderr, "crm_loadgen: %s has no %s; left out of the mix\n",
                 o.target.system.c_str(), skipped.c_str());
  }
  if (shared.mix.empty()) {
    std::fprintf(stderr, "crm_loadgen: nothing in the mix that %s supports\n",
                 o.target.system.c_str());
    return 3;
  }

  shared.start_ns = NowNs();
  shared.measure_ns = shared.start_ns + static_cast<int64_t>(o.warmup_s * 1e9);
  shared.end_ns = shared.measure_ns + static_cast<int64_t>(o.duration_s * 1e9);
  if (o.requests > 0) {
    shared.measure_ns = shared.start_ns;
    shared.budget = o.requests;
  }
  if (o.rate > 0) {
    const int64_t interval = static_cast<int64_t>(1e9 * o.connections / o.rate);
    int k = 0;
    for (auto& conns : per_thread) {
      for (auto& conn : conns) {
        conn.interval_ns = std::max<int64_t>(interval, 1);
        conn.next_due = shared.start_ns + interval * (k++) / o.connections;
      }
    }
  }
  std::vector<std::thread> threads;
  for (size_t t = 0; t < per_thread.size(); ++t) {
    threads.emplace_back(RunThread, std::ref(shared), std::ref(per_thread[t]), o.seed * 1000 + t);
  }
  for (auto& t : threads) t.join();
  const double window_s =
      o.requests > 0 ? static_cast<double>(NowNs() - shared.start_ns) / 1e9 : o.duration_s;

  // Report.
  const std::string mode =
      o.rate > 0 ? "open loop at " + std::to_string(static_cast<uint64_t>(o.rate)) + " ops/s"
                 : std::string("closed loop");
  std::printf("%s: %s on %s:%u, %d connections x depth %d, %s, %.1f s measured, %d thread(s)%s%s\n",
              o.label.c_str(), o.target.system.c_str(), o.target.host.c_str(), o.target.port,
              o.connections, o.depth, mode.c_str(), window_s, o.threads,
              o.durability.empty() ? "" : ", ", o.durability.c_str());
  std::printf("  %-20s %10s %8s %9s %9s %9s %9s %9s\n", "operation", "ops/s", "errors", "p50 us",
              "p90 us", "p99 us", "p99.9 us", "max us");
  std::string json = "{\"label\":\"" + o.label + "\",\"system\":\"" + o.target.system +
                     "\",\"durability\":\"" + o.durability +
                     "\",\"connections\":" + std::to_string(o.connections) +
                     ",\"depth\":" + std::to_string(o.depth) +
                     ",\"rate\":" + std::to_string(o.rate) +
                     ",\"seconds\":" + std::to_string(window_s) + ",\"operations\":{";
  std::string tsv;
  bool first = true;
  uint64_t total = 0, errors = 0;
  for (const auto& [op, weight] : shared.mix) {
    const OpStats& s = shared.stats[static_cast<int>(op)];
    const Histogram& h = s.latency;
    const double ops = static_cast<double>(h.count()) / window_s;
    total += h.count();
    errors += s.errors;
    std::printf("  %-20s %10.0f %8llu %9s %9s %9s %9s %9s\n", OpName(op), ops,
                static_cast<unsigned long long>(s.errors), Micros(h.Quantile(0.5)).c_str(),
                Micros(h.Quantile(0.9)).c_str(), Micros(h.Quantile(0.99)).c_str(),
                Micros(h.Quantile(0.999)).c_str(), Micros(h.max()).c_str());
    if (!s.first_error.empty()) {
      std::printf("    first error: %s\n", s.first_error.c_str());
    }
    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "%s\"%s\":{\"count\":%llu,\"ops_per_s\":%.1f,\"errors\":%llu,\"p50_us\":%.2f,"
                  "\"p90_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"max_us\":%.2f}",
                  first ? "" : ",", OpName(op), static_cast<unsigned long long>(h.count()), ops,
                  static_cast<unsigned long long>(s.errors), h.Quantile(0.5) / 1e3,
                  h.Quantile(0.9) / 1e3, h.Quantile(0.99) / 1e3, h.Quantile(0.999) / 1e3,
                  static_cast<double>(h.max()) / 1e3);
    json += buf;
    first = false;
    std::snprintf(buf, sizeof(buf), "%s\t%s\t%s\t%d\t%d\t%.0f\t%s\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%llu\n",
                  o.label.c_str(), o.target.system.c_str(), o.durability.c_str(), o.connections,
                  o.depth, o.rate, OpName(op), ops, h.Quantile(0.5) / 1e3, h.Quantile(0.9) / 1e3,
                  h.Quantile(0.99) / 1e3, h.Quantile(0.999) / 1e3,
                  static_cast<double>(h.max()) / 1e3, static_cast<unsigned long long>(s.errors));
    tsv += buf;
  }
  json += "},\"total_ops_per_s\":" + std::to_string(static_cast<double>(total) / window_s) +
          ",\"unfinished\":" + std::to_string(shared.unfinished) + "}\n";
  if (shared.mix.size() > 1) {
    std::printf("  %-20s %10.0f %8llu\n", "total", static_cast<double>(total) / window_s,
                static_cast<unsigned long long>(errors));
  }
  std::fflush(stdout);
  if (!o.json_path.empty()) std::ofstream(o.json_path, std::ios::app) << json;
  if (!o.tsv_path.empty()) std::ofstream(o.tsv_path, std::ios::app) << tsv;
  if (!shared.transport_error.empty()) {
    std::fprintf(stderr, "crm_loadgen: a connection failed: %s\n", shared.transport_error.c_str());
    return 1;
  }
  if (total == 0) {
    std::fprintf(stderr, "crm_loadgen: no operation completed\n");
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// `table`: the side-by-side view of a results file.

struct Row {
  std::string label, system, durability, op;
  int connections = 0, depth = 0;
  double rate = 0, ops = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  uint64_t errors = 0;
};

std::string Fmt(double v, const char* f) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string Rate(double ops) {
  if (ops >= 10'000) return Fmt(ops / 1000, "%.0fk");
  if (ops >= 1000) return Fmt(ops / 1000, "%.1fk");
  return Fmt(ops, "%.0f");
}

std::string Lat(double us) { return us >= 1000 ? Fmt(us / 1000, "%.1f ms") : Fmt(us, "%.0f"); }

int Table(const std::string& path) {
  std::ifstream in(path);
  if (!in) Fail("cannot read " + path);
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    Row r;
    std::string f[14];
    for (auto& x : f) std::getline(ss, x, '\t');
    r.label = f[0];
    r.system = f[1];
    r.durability = f[2];
    r.connections = std::atoi(f[3].c_str());
    r.depth = std::atoi(f[4].c_str());
    r.rate = std::atof(f[5].c_str());
    r.op = f[6];
    r.ops = std::atof(f[7].c_str());
    r.p50 = std::atof(f[8].c_str());
    r.p90 = std::atof(f[9].c_str());
    r.p99 = std::atof(f[10].c_str());
    r.p999 = std::atof(f[11].c_str());
    r.max = std::atof(f[12].c_str());
    r.errors = std::strtoull(f[13].c_str(), nullptr, 10);
    if (!r.label.empty()) rows.push_back(r);
  }
  // Keys in first-seen order; the last row of a (label, op, system) wins.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::map<std::string, Row>> cells;
  for (const Row& r : rows) {
    auto key = std::make_pair(r.label, r.op);
    if (!cells.count(key)) order.push_back(key);
    cells[key][r.system] = r;
  }
  const char* systems[] = {"crm", "redis", "pg"};
  std::printf("| workload | op | crm ops/s | Redis ops/s | PostgreSQL ops/s | crm / Redis | crm / PG |"
              " p50 / p99 µs crm | Redis | PostgreSQL |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& key : order) {
    const auto& by = cells[key];
    std::printf("| %s | %s |", key.first.c_str(), key.second.c_str());
    for (const char* s : systems) {
      auto it = by.find(s);
      std::printf(" %s |", it == by.end() ? "-" : (Rate(it->second.ops) +
                                                  (it->second.errors ? " (" + std::to_string(it->second.errors) + " errors)" : "")).c_str());
    }
    auto crm = by.find("crm");
    for (const char* peer : {"redis", "pg"}) {
      auto it = by.find(peer);
      if (crm == by.end() || it == by.end() || it->second.ops <= 0) {
        std::printf(" - |");
      } else {
        std::printf(" **%sx** |", Fmt(crm->second.ops / it->second.ops, "%.2f").c_str());
      }
    }
    for (const char* s : systems) {
      auto it = by.find(s);
      std::printf(" %s |", it == by.end() ? "-"
                                          : (Lat(it->second.p50) + " / " + Lat(it->second.p99)).c_str());
    }
    std::printf("\n");
  }
  // Durability, as each run stated it.
  std::map<std::string, std::string> durability;
  for (const Row& r : rows) {
    if (!r.durability.empty()) durability[r.system + ": " + r.durability] = r.label;
  }
  if (!durability.empty()) {
    std::printf("\nDurability as run:");
    for (const auto& [d, label] : durability) std::printf(" %s;", d.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace
}  // namespace crm::loadgen

int main(int argc, char** argv) {
  using namespace crm::loadgen;
  if (argc >= 2 && std::string(argv[1]) == "table") {
    if (argc != 3) Fail("usage: crm_loadgen table FILE.tsv");
    return Table(argv[2]);
  }
  return Run(ParseArgs(argc, argv));
}
