// The child half of the crash test: writes under load from several threads
// and prints one line per acknowledged write, until it is killed.
//
//   crm_crash_writer DATA_DIR ROUND THREADS
//
// Lines (each printed only after Write() returned OK, i.e. after commit):
//   C <customer id> <phone>        a customer was created
//   I <interaction id> <customer>  an interaction was created
//   U <customer id> <revision>     a customer was updated to that revision
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crm/engine/engine.h"

namespace {

std::mutex out_mu;

void Emit(const std::string& line) {
  std::lock_guard lock(out_mu);
  std::string l = line + "\n";
  // One write(2) per line: a kill can cut a line short but never interleave.
  if (write(STDOUT_FILENO, l.data(), l.size()) < 0) std::_Exit(3);
}

void Run(crm::engine::Engine& engine, int round, int thread) {
  using namespace crm::engine;
  for (int seq = 0; seq < 100000; ++seq) {
    char phone[32];
    std::snprintf(phone, sizeof(phone), "+86139%02d%d%05d", round % 100, thread, seq);
    Customer c;
    c.kind = CustomerKind::kOrganization;
    c.name = "Crash Test " + std::to_string(round) + "-" + std::to_string(thread) + "-" +
             std::to_string(seq);
    c.phones = {phone};
    Result<Id> id = engine.Create(Actor{}, c);
    if (!id.ok()) {
      std::fprintf(stderr, "create failed: %s\n", id.status().ToString().c_str());
      std::_Exit(2);
    }
    Emit("C " + std::to_string(*id) + " " + phone);
    // Three interactions in one atomic write.
    std::vector<WriteOp> ops(3);
    for (int k = 0; k < 3; ++k) {
      Interaction i;
      i.customer = *id;
      i.channel = Channel::kCall;
      i.time = 1'700'000'000'000'000 + seq * 1000 + k;
      i.subject = "call " + std::to_string(k);
      ops[k].kind = WriteKind::kCreate;
      ops[k].record = i;
    }
    auto results = engine.Write(Actor{}, std::move(ops), true);
    for (const auto& r : results) {
      if (!r.status.ok()) std::_Exit(2);
      Emit("I " + std::to_string(r.id) + " " + std::to_string(*id));
    }
    c.id = *id;
    c.name += " (updated)";
    if (!engine.Update(Actor{}, c).ok()) std::_Exit(2);
    Emit("U " + std::to_string(*id) + " 2");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR ROUND THREADS\n", argv[0]);
    return 1;
  }
  crm::engine::Options options;
  options.data_dir = argv[1];
  options.initial_map_bytes = uint64_t{8} << 20;  // small, so the map grows under load
  auto engine = crm::engine::Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "open failed: %s\n", engine.status().ToString().c_str());
    return 2;
  }
  int round = std::atoi(argv[2]);
  int threads = std::atoi(argv[3]);
  Emit("READY");
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back(Run, std::ref(**engine), round, t);
  for (auto& w : workers) w.join();
  return 0;
}
