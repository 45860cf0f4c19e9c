// What backup, verify and restore share (see backup_files.h).
#include "backup_files.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "crm/engine/backup.h"
#include "format.h"
#include "lmdb_env.h"

namespace crm::engine::internal {

namespace fs = std::filesystem;

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

Status HashFile(const std::string& path, uint64_t* hash, uint64_t* size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("cannot open " + path + ": " + std::strerror(errno));
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  Status status;
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status = Status::Unavailable("reading " + path + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    XXH3_64bits_update(state, buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  *hash = XXH3_64bits_digest(state);
  *size = total;
  XXH3_freeState(state);
  close(fd);
  return status;
}

Status SyncPath(const std::string& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Status::Unavailable("cannot sync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Layout LayoutOf(const std::string& path) {
  Layout l;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    l.data_file = path + "/data.mdb";
    l.manifest = path + "/" + kManifestName;
    l.what = fs::exists(l.manifest, ec) ? "backup directory" : "data directory";
  } else {
    l.single_file = true;
    l.data_file = path;
    l.manifest = path + ".manifest";
    l.what = "backup file";
  }
  return l;
}

Status ReadOnlyEnv::Open(const Layout& layout) {
  int rc = mdb_env_create(&env_);
  if (rc != 0) return LmdbError(rc, "mdb_env_create");
  mdb_env_set_maxdbs(env_, 16);
  std::error_code ec;
  std::string dir =
      layout.single_file ? layout.data_file : fs::path(layout.data_file).parent_path().string();
  bool has_lock =
      !layout.single_file && fs::exists(dir + "/lock.mdb", ec) && layout.what == "data directory";
  unsigned flags = MDB_RDONLY | MDB_NOTLS | (has_lock ? 0 : MDB_NOLOCK) |
                   (layout.single_file ? MDB_NOSUBDIR : 0);
  rc = mdb_env_open(env_, dir.c_str(), flags, 0644);
  if (rc != 0) return LmdbError(rc, "opening " + layout.data_file);
  return Status::Ok();
}

uint64_t& CountOf(StoreCounts& c, int dbi) {
  switch (dbi) {
    case kCustomers:
      return c.customers;
    case kContacts:
      return c.contacts;
    case kInteractions:
      return c.interactions;
    case kTransactions:
      return c.transactions;
    case kOpportunities:
      return c.opportunities;
    case kContracts:
      return c.contracts;
    case kTasks:
      return c.tasks;
    case kUsers:
      return c.users;
    default:
      return c.audit_entries;
  }
}

std::string ManifestText(const BackupInfo& info, uint32_t schema_version,
                         const std::string& file_name) {
  std::string out = "crm-backup 1\n";
  out += "schema_version " + std::to_string(schema_version) + "\n";
  out += "audit_sequence " + std::to_string(info.audit_sequence) + "\n";
  StoreCounts counts = info.counts;
  for (int dbi = kCustomers; dbi < kBackupDbiCount; ++dbi) {
    out +=
        std::string("count ") + kDbiNames[dbi] + " " + std::to_string(CountOf(counts, dbi)) + "\n";
  }
  out += "file " + file_name + " " + std::to_string(info.bytes) + " xxh3-64 " + Hex64(info.xxh3) +
         "\n";
  return out;
}

Status ParseManifest(const std::string& path, Manifest* out) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::string line;
  int line_no = 0;
  bool have_file = false;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(path + " line " + std::to_string(line_no) + ": " + why);
  };
  auto number = [](const std::string& text, uint64_t* v, int base = 10) {
    if (text.empty()) return false;
    char* end = nullptr;
    errno = 0;
    *v = std::strtoull(text.c_str(), &end, base);
    return errno == 0 && *end == '\0' && text[0] != '-';
  };
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (line_no == 1) {
      if (w.size() != 2 || w[0] != "crm-backup" || w[1] != "1") {
        return bad("not a crm backup manifest (expected \"crm-backup 1\")");
      }
      out->version = 1;
      continue;
    }
    if (w.empty()) continue;
    uint64_t v = 0, v2 = 0;
    if (w[0] == "schema_version" && w.size() == 2 && number(w[1], &v)) {
      out->schema_version = static_cast<uint32_t>(v);
    } else if (w[0] == "audit_sequence" && w.size() == 2 && number(w[1], &v)) {
      out->audit_sequence = v;
    } else if (w[0] == "count" && w.size() == 3 && number(w[2], &v)) {
      int dbi = 0;
      for (int i = kCustomers; i < kBackupDbiCount; ++i) {
        if (w[1] == kDbiNames[i]) dbi = i;
      }
      if (dbi == 0) return bad("unknown count \"" + w[1] + "\"");
      CountOf(out->counts, dbi) = v;
    } else if (w[0] == "file" && w.size() == 5 && w[3] == "xxh3-64" && number(w[2], &v) &&
               w[4].size() == 16 && number(w[4], &v2, 16)) {
      if (have_file) return bad("a second file line");
      if (w[1].find('/') != std::string::npos || w[1] == "." || w[1] == "..") {
        return bad("the file must be named relative to the manifest");
      }
      out->file = w[1];
      out->size = v;
      out->xxh3 = v2;
      have_file = true;
    } else {
      return bad("cannot read \"" + line + "\"");
    }
  }
  if (out->version != 1) return Status::InvalidArgument(path + " is empty");
  if (!have_file) return Status::InvalidArgument(path + " names no file");
  return Status::Ok();
}

}  // namespace crm::engine::internal
