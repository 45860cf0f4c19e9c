// Hot backups of a server under write load, restore, and verify: every write
// acknowledged before the backup began is in it; a damaged backup is found
// out and not restored; verify finds broken references in a data directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crm/client/client.h"
#include "crm/engine/backup.h"
#include "crm/engine/engine.h"
#include "crm/protocol/server.h"
#include "crm/protocol/users.h"
#include "engine/engine_test_base.h"
#include "engine/test_util.h"
// The on-disk format, an engine internal.
#include "../../engine/format.h"

namespace crm::testing {
namespace {

using engine::Verify;
using engine::VerifyReport;

std::string ReportText(const VerifyReport& r) { return r.ToText(); }

void FlipBytes(const std::string& path, off_t offset) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  unsigned char b[4];
  ASSERT_EQ(pread(fd, b, sizeof b, offset), 4);
  for (unsigned char& c : b) c ^= 0x5a;
  ASSERT_EQ(pwrite(fd, b, sizeof b, offset), 4);
  close(fd);
}

TEST(BackupTest, BackupUnderWriteLoadHoldsEveryAcknowledgedWrite) {
  TempDir dir, backups;
  auto engine = OpenEngine(dir.Sub("data"), /*no_sync=*/false);
  ASSERT_NE(engine, nullptr);
  auto token = protocol::CreateUserWithToken(*engine, {}, [] {
    engine::User admin = UserNamed("admin");
    admin.role = engine::Role::kAdmin;
    return admin;
  }());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  protocol::ServerOptions server_options;
  server_options.stop_timeout = std::chrono::milliseconds(2000);
  protocol::Server server(*engine, server_options);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  auto connect = [&] {
    client::RemoteOptions options;
    options.port = *port;
    options.token = *token;
    options.request_timeout = std::chrono::milliseconds(60000);
    auto c = client::Client::Connect(options);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  };

  // Four writers create customers (two at a time, pipelined) and log every
  // acknowledged id with the moment it was acknowledged.
  constexpr int kWriters = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> phase_writes{0};
  struct Acked {
    engine::Id id;
    std::string phone;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<std::vector<Acked>> acked(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = connect();
      if (!client) return;
      for (uint64_t n = 0; !stop.load() && n < 20000; ++n) {
        std::string phone = Mobile(static_cast<uint64_t>(w) * 1'000'000 + n);
        auto id = client->Create(Individual("Load " + std::to_string(w) + "-" + std::to_string(n),
                                            {phone}));
        auto at = std::chrono::steady_clock::now();
        if (!id.ok()) {
          ADD_FAILURE() << id.status().ToString();
          return;
        }
        acked[w].push_back({*id, phone, at});
        phase_writes.fetch_add(1);
      }
    });
  }
  // Let the load run, back up in the middle of it, let it run on.
  while (phase_writes.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto admin = connect();
  ASSERT_NE(admin, nullptr);
  engine::BackupOptions options;
  options.path = backups.Sub("hot");
  auto began = std::chrono::steady_clock::now();
  auto info = admin->Backup(options);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  int after_backup = phase_writes.load();
  while (phase_writes.load() < after_backup + 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop = true;
  for (auto& t : writers) t.join();

  VerifyReport report = Verify(options.path);
  EXPECT_TRUE(report.ok()) << ReportText(report);
  EXPECT_TRUE(report.manifest_ok);
  EXPECT_EQ(report.counts.customers, info->counts.customers);
  EXPECT_EQ(report.audit_sequence, info->audit_sequence);

  auto restored = engine::Restore(options.path, backups.Sub("restored"));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_TRUE(restored->ok()) << ReportText(*restored);
  auto copy = OpenEngine(backups.Sub("restored"));
  ASSERT_NE(copy, nullptr);
  size_t before = 0, total = 0;
  for (const auto& list : acked) {
    for (const Acked& a : list) {
      ++total;
      if (a.at >= began) continue;
      ++before;
      auto found = copy->FindCustomer(engine::CardKey::ByPhone(a.phone));
      ASSERT_TRUE(found.ok()) << "acknowledged before the backup, missing from it: " << a.phone;
      EXPECT_EQ(*found, a.id);
    }
  }
  EXPECT_GE(before, 200u);
  EXPECT_GT(total, before);  // writes went on during and after the backup
  // The copy is the store as of one moment: nothing more than the source had.
  EXPECT_LE(copy->Counts().customers, engine->Counts().customers);
  admin.reset();
  server.Stop();
}

TEST(BackupTest, CorruptedBackupIsReportedAndNotRestored) {
  TempDir dir, backups;
  auto engine = OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(engine->Create({}, Individual("C" + std::to_string(i), {Mobile(i)})).ok());
  }
  for (bool single_file : {false, true}) {
    engine::BackupOptions options;
    options.path = backups.Sub(single_file ? "one.mdb" : "dir");
    options.single_file = single_file;
    auto info = engine->Backup(options);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->counts.customers, 300u);
    EXPECT_TRUE(Verify(options.path).ok());
    // A second backup into the same place is refused, not mixed in.
    EXPECT_EQ(engine->Backup(options).status().code(), engine::Code::kInvalidArgument);

    FlipBytes(info->data_file, static_cast<off_t>(info->bytes / 2));
    VerifyReport report = Verify(options.path);
    EXPECT_FALSE(report.ok());
    EXPECT_FALSE(report.manifest_ok);
    EXPECT_NE(ReportText(report).find("the file is corrupted"), std::string::npos)
        << ReportText(report);
    EXPECT_NE(ReportText(report).find("CORRUPTED"), std::string::npos);
    auto restored = engine::Restore(options.path, backups.Sub(single_file ? "r1" : "r2"));
    ASSERT_FALSE(restored.ok());
    EXPECT_NE(restored.status().message().find("does not match its manifest"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(backups.Sub(single_file ? "r1" : "r2") + "/data.mdb"));
  }
  // A manifest that was tampered with is caught too.
  engine::BackupOptions options;
  options.path = backups.Sub("third");
  ASSERT_TRUE(engine->Backup(options).ok());
  {
    std::ofstream out(options.path + "/MANIFEST", std::ios::app);
    out << "count customers 1\nnonsense\n";
  }
  EXPECT_FALSE(Verify(options.path).ok());
}

TEST(BackupTest, VerifyFindsBrokenReferencesInADataDirectory) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_NE(engine, nullptr);
    auto a = engine->Create({}, Organization("Acme", {Mobile(1)}));
    auto b = engine->Create({}, Individual("Bea", {Mobile(2)}));
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(engine->Create({}, ContactOf(*a, "Carl", {Mobile(3)})).ok());
    ASSERT_TRUE(engine->Create({}, InteractionOf(*b, kTestNow)).ok());
  }
  EXPECT_TRUE(Verify(dir.path()).ok()) << ReportText(Verify(dir.path()));
  // Remove customer 2 behind the engine's back: its interaction dangles.
  {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    ASSERT_EQ(mdb_env_open(env, dir.path().c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi;
    ASSERT_EQ(mdb_dbi_open(txn, engine::internal::kDbiNames[engine::internal::kCustomers], 0, &dbi), 0);
    engine::internal::Key customer = engine::internal::IdKey(2);
    MDB_val key = customer.val();
    ASSERT_EQ(mdb_del(txn, dbi, &key, nullptr), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  VerifyReport report = Verify(dir.path());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.what, "data directory");
  EXPECT_NE(ReportText(report).find("interaction 1: customer 2 does not exist"), std::string::npos)
      << ReportText(report);
  EXPECT_EQ(report.counts.customers, 1u);
}

}  // namespace
}  // namespace crm::testing
