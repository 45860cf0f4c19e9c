// Backups: taking one (EngineImpl::BackupAsync), its manifest, and restore
// (see crm/engine/backup.h).
#include "crm/engine/backup.h"

#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "backup_files.h"
#include "engine_impl.h"
#include "format.h"
#include "lmdb_env.h"

namespace crm::engine {

namespace fs = std::filesystem;
using internal::CountOf;
using internal::HashFile;
using internal::kBackupDbiCount;
using internal::kDbiNames;
using internal::Layout;
using internal::LayoutOf;
using internal::ManifestText;
using internal::MetaRecord;
using internal::ReadOnlyEnv;
using internal::SyncPath;
using internal::Txn;

Result<BackupInfo> WriteBackupManifest(const std::string& path, bool single_file) {
  Layout layout;
  layout.single_file = single_file;
  layout.what = single_file ? "backup file" : "backup directory";
  layout.data_file = single_file ? path : path + "/data.mdb";
  layout.manifest = single_file ? path + ".manifest" : path + "/" + kManifestName;
  BackupInfo info;
  info.path = path;
  info.data_file = layout.data_file;
  info.manifest_file = layout.manifest;
  MetaRecord meta;
  {
    ReadOnlyEnv env;
    CRM_RETURN_IF_ERROR(env.Open(layout));
    int rc = 0;
    Txn txn(env.get(), nullptr, MDB_RDONLY, &rc);
    if (rc != 0) return internal::LmdbError(rc, "reading the backup");
    std::array<MDB_dbi, kBackupDbiCount> dbis{};
    for (int i = 0; i < kBackupDbiCount; ++i) {
      rc = mdb_dbi_open(txn.get(), kDbiNames[i], 0, &dbis[i]);
      if (rc != 0) return internal::LmdbError(rc, std::string("opening ") + kDbiNames[i]);
      if (i == internal::kMeta) continue;
      MDB_stat stat;
      rc = mdb_stat(txn.get(), dbis[i], &stat);
      if (rc != 0) return internal::LmdbError(rc, std::string("counting ") + kDbiNames[i]);
      CountOf(info.counts, i) = stat.ms_entries;
    }
    CRM_RETURN_IF_ERROR(internal::ReadMeta(txn.get(), dbis[internal::kMeta], &meta));
  }
  info.audit_sequence = meta.counters.audit_sequence;
  CRM_RETURN_IF_ERROR(HashFile(layout.data_file, &info.xxh3, &info.bytes));
  const std::string text =
      ManifestText(info, meta.schema_version, fs::path(layout.data_file).filename().string());
  const std::string tmp = layout.manifest + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Status::Unavailable("cannot write " + tmp);
  }
  CRM_RETURN_IF_ERROR(SyncPath(tmp, false));
  std::error_code ec;
  fs::rename(tmp, layout.manifest, ec);
  if (ec) return Status::Unavailable("cannot rename " + tmp + ": " + ec.message());
  std::string dir = fs::path(layout.manifest).parent_path().string();
  CRM_RETURN_IF_ERROR(SyncPath(dir.empty() ? "." : dir, true));
  return info;
}

Result<VerifyReport> Restore(const std::string& backup, const std::string& data_dir,
                             const VerifyOptions& options) {
  std::error_code ec;
  VerifyOptions sums = options;
  sums.checksums_only = true;
  VerifyReport checked = Verify(backup, sums);
  if (!checked.manifest_present) {
    return Status::InvalidArgument(backup +
                                   " has no manifest: not a crm backup (take one with "
                                   "crmctl backup)");
  }
  if (!checked.ok()) {
    std::string why = checked.problems.empty() ? "" : ": " + checked.problems.front();
    return Status::InvalidArgument("refusing to restore " + backup +
                                   ", it does not match its manifest" + why);
  }
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec)) {
    return Status::InvalidArgument(data_dir + " is not empty; restore into a new directory");
  }
  fs::create_directories(data_dir, ec);
  if (ec) return Status::Unavailable("cannot create " + data_dir + ": " + ec.message());
  Layout layout = LayoutOf(backup);
  const std::string tmp = data_dir + "/data.mdb.restoring";
  fs::copy_file(layout.data_file, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::Unavailable("cannot copy into " + data_dir + ": " + ec.message());
  CRM_RETURN_IF_ERROR(SyncPath(tmp, false));
  fs::rename(tmp, data_dir + "/data.mdb", ec);
  if (ec) return Status::Unavailable("cannot rename " + tmp + ": " + ec.message());
  CRM_RETURN_IF_ERROR(SyncPath(data_dir, true));
  return Verify(data_dir, options);
}

// ------------------------------------------------------------ taking one

namespace internal {

void EngineImpl::BackupAsync(const BackupOptions& options,
                             std::function<void(Result<BackupInfo>)> done) {
  {
    MutexLock lock(backup_mu_);
    if (!backup_running_) {
      if (backup_thread_.joinable()) backup_thread_.join();  // the previous one, finished
      backup_running_ = true;
      backup_thread_ = std::thread([this, options, done = std::move(done)] {
        Result<BackupInfo> info = RunBackup(options);
        {
          MutexLock finished(backup_mu_);
          backup_running_ = false;
        }
        done(std::move(info));
      });
      return;
    }
  }
  done(Status::Unavailable("a backup is already running; wait for it to finish"));
}

Result<BackupInfo> EngineImpl::RunBackup(const BackupOptions& options) {
  namespace fs = std::filesystem;
  auto started = std::chrono::steady_clock::now();
  if (options.path.empty()) return Status::InvalidArgument("a backup needs a target", "path");
  const unsigned flags = options.compact ? MDB_CP_COMPACT : 0;
  std::error_code ec;
  std::string data_file;
  int rc = 0;
  if (options.single_file) {
    data_file = options.path;
    int fd = open(data_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status::InvalidArgument("cannot create backup file " + data_file + ": " +
                                         std::strerror(errno) + " (it must not exist yet)",
                                     "path");
    }
    {
      SharedLock map_lock(map_mu_);
      rc = mdb_env_copyfd2(env_, fd, flags);
    }
    if (rc == 0 && fsync(fd) != 0) rc = errno;
    close(fd);
  } else {
    if (fs::exists(options.path, ec) && !fs::is_empty(options.path, ec)) {
      return Status::InvalidArgument(
          "backup directory " + options.path + " is not empty; choose a new one", "path");
    }
    fs::create_directories(options.path, ec);
    if (ec) {
      return Status::InvalidArgument(
          "cannot create backup directory " + options.path + ": " + ec.message(), "path");
    }
    data_file = options.path + "/data.mdb";
    {
      SharedLock map_lock(map_mu_);
      rc = mdb_env_copy2(env_, options.path.c_str(), flags);
    }
    if (rc == 0) {
      int fd = open(data_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || fsync(fd) != 0) rc = errno;
      if (fd >= 0) close(fd);
    }
  }
  if (rc != 0) {
    fs::remove(data_file, ec);
    return LmdbError(rc, "copying the LMDB environment to " + options.path);
  }
  Result<BackupInfo> info = WriteBackupManifest(options.path, options.single_file);
  if (info.ok()) {
    info->micros = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count());
  }
  return info;
}

}  // namespace internal
}  // namespace crm::engine
