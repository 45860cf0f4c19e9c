// Crash safety: a child process writes under load from several threads and is
// killed with SIGKILL at a random moment; after reopening, every write the
// child saw acknowledged must be there and the store must be consistent.
// Several rounds run on the same data directory, so each round also proves
// that a killed directory opens and takes writes again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/test_util.h"

namespace crm::engine {
namespace {

struct Acked {
  std::map<Id, std::string> customers;  // id -> phone
  std::map<Id, Id> interactions;        // id -> customer
  std::map<Id, uint64_t> revisions;     // customer -> least revision
};

// Runs one child until `kill_after`, then SIGKILLs it. Returns the lines it
// printed completely before dying.
std::vector<std::string> RunAndKill(const std::string& dir, int round,
                                    std::chrono::milliseconds kill_after) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string r = std::to_string(round);
    execl(CRM_CRASH_WRITER, CRM_CRASH_WRITER, dir.c_str(), r.c_str(), "8", nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string buffer;
  bool ready = false;
  auto ready_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto deadline = ready_deadline;
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[65536];
    ssize_t n = read(fds[0], chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  // Kill `kill_after` past READY, but not before the writer has acknowledged
  // something (on a loaded machine that can take longer), within a minute.
  size_t acks_from = std::string::npos;
  auto acknowledged = [&] {
    return acks_from != std::string::npos && buffer.find('\n', acks_from) != std::string::npos;
  };
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= ready_deadline) break;
    if (ready && now >= deadline && acknowledged()) break;
    read_some(5);
    if (!ready && buffer.find("READY\n") != std::string::npos) {
      ready = true;
      acks_from = buffer.find("READY\n") + 6;
      deadline = std::chrono::steady_clock::now() + kill_after;
      ready_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    }
  }
  EXPECT_TRUE(ready) << "the writer never became ready";
  kill(pid, SIGKILL);
  while (read_some(100)) {
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the writer ended by itself (status " << status << "), not by the kill";

  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(buffer.substr(start, nl - start));
  }
  return lines;  // a cut-off last line (no '\n') is not an acknowledgement
}

void Record(const std::vector<std::string>& lines, Acked& acked) {
  for (const std::string& line : lines) {
    std::istringstream in(line);
    char kind = 0;
    in >> kind;
    if (kind == 'C') {
      Id id;
      std::string phone;
      in >> id >> phone;
      acked.customers[id] = phone;
    } else if (kind == 'I') {
      Id id, customer;
      in >> id >> customer;
      acked.interactions[id] = customer;
    } else if (kind == 'U') {
      Id id;
      uint64_t revision;
      in >> id >> revision;
      acked.revisions[id] = revision;
    }
  }
}

void Verify(Engine& engine, const Acked& acked) {
  for (const auto& [id, phone] : acked.customers) {
    Result<Id> found = engine.FindCustomer(CardKey::ByPhone(phone));
    ASSERT_TRUE(found.ok()) << "acknowledged customer " << id << " lost: "
                            << found.status().ToString();
    EXPECT_EQ(*found, id);
  }
  for (const auto& [id, customer] : acked.interactions) {
    Result<Interaction> found = engine.GetInteraction(id);
    ASSERT_TRUE(found.ok()) << "acknowledged interaction " << id << " lost";
    EXPECT_EQ(found->customer, customer);
  }
  for (const auto& [id, revision] : acked.revisions) {
    Result<Customer> found = engine.GetCustomer(id);
    ASSERT_TRUE(found.ok());
    EXPECT_GE(found->revision, revision) << "acknowledged update of customer " << id << " lost";
  }
  // Consistency: every customer's card and history agree with the counts.
  StoreCounts counts = engine.Counts();
  uint64_t customers = 0, interactions = 0;
  for (Id id = 1; customers < counts.customers && id < counts.customers + 1'000'000; ++id) {
    Result<CustomerCard> card = engine.Card(CardKey::ById(id));
    if (!card.ok()) continue;
    ++customers;
    ASSERT_FALSE(card->customer.phones.empty());
    Result<Id> by_phone = engine.FindCustomer(CardKey::ByPhone(card->customer.phones[0]));
    ASSERT_TRUE(by_phone.ok());
    EXPECT_EQ(*by_phone, id);
    HistoryQuery q;
    q.customer = id;
    q.limit = 1000;
    Result<HistoryPage> page = engine.History(q);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->entries.size(), card->interaction_count);
    interactions += card->interaction_count;
    // Atomic writes of three: a customer has 0, 3, ... interactions, never a part.
    EXPECT_EQ(card->interaction_count % 3, 0u) << "customer " << id << " has a torn batch";
  }
  EXPECT_EQ(customers, counts.customers);
  EXPECT_EQ(interactions, counts.interactions);
  // The audit log is gap-free and as long as the writes.
  uint64_t audited = 0;
  for (uint64_t after = 0;;) {
    auto entries = engine.AuditLog(after, 10000);
    ASSERT_TRUE(entries.ok());
    if (entries->empty()) break;
    for (const AuditEntry& e : *entries) EXPECT_EQ(e.sequence, ++after);
    audited += entries->size();
  }
  EXPECT_EQ(audited, counts.audit_entries);
}

TEST(CrashTest, KilledWriterLosesNothingAcknowledged) {
  testing::TempDir dir;
  Acked acked;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_ms(20, 400);
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    auto lines = RunAndKill(dir.path(), round, std::chrono::milliseconds(delay_ms(rng)));
    size_t before = acked.customers.size() + acked.interactions.size();
    Record(lines, acked);
    EXPECT_GT(acked.customers.size() + acked.interactions.size(), before)
        << "round " << round << " acknowledged nothing";
    Options options;
    options.data_dir = dir.path();
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    Verify(**engine, acked);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::cout << "acknowledged across " << kRounds << " kills: " << acked.customers.size()
            << " customers, " << acked.interactions.size() << " interactions\n";
}

}  // namespace
}  // namespace crm::engine
