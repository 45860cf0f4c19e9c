// Backups: taking one (EngineImpl::BackupAsync), manifests, verification and
// restore (see crm/engine/backup.h).
#include "crm/engine/backup.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "crm/engine/codec.h"
#include "engine_impl.h"
#include "format.h"
#include "lmdb_env.h"
#include "stored_value.h"
#include "validate.h"

namespace crm::engine {
namespace {

namespace fs = std::filesystem;
using internal::Cursor;
using internal::Dbi;
using internal::GetBigEndian;
using internal::kBackupDbiCount;
using internal::kDbiNames;
using internal::MetaRecord;
using internal::ReadValue;
using internal::Txn;

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// XXH3-64 and size of a file, streamed in 1 MiB reads.
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

// Where a backup or data directory keeps its LMDB file and manifest.
struct Layout {
  std::string what;
  std::string data_file;
  std::string manifest;  // empty when the form has none
  bool single_file = false;
};

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

// An LMDB environment opened read-only on a backup or data directory.
class ReadOnlyEnv {
 public:
  ~ReadOnlyEnv() {
    if (env_ != nullptr) mdb_env_close(env_);
  }
  // A data directory that has a lock file is opened with locking (a running
  // crmd may be writing); a backup is opened without, and so left untouched.
  Status Open(const Layout& layout) {
    int rc = mdb_env_create(&env_);
    if (rc != 0) return internal::LmdbError(rc, "mdb_env_create");
    mdb_env_set_maxdbs(env_, 16);
    std::error_code ec;
    std::string dir = layout.single_file ? layout.data_file : fs::path(layout.data_file).parent_path().string();
    bool has_lock = !layout.single_file && fs::exists(dir + "/lock.mdb", ec) &&
                    layout.what == "data directory";
    unsigned flags = MDB_RDONLY | MDB_NOTLS | (has_lock ? 0 : MDB_NOLOCK) |
                     (layout.single_file ? MDB_NOSUBDIR : 0);
    rc = mdb_env_open(env_, dir.c_str(), flags, 0644);
    if (rc != 0) return internal::LmdbError(rc, "opening " + layout.data_file);
    return Status::Ok();
  }
  MDB_env* get() const { return env_; }

 private:
  MDB_env* env_ = nullptr;
};

// The count of the records (or audit entries) in database `dbi`, one of
// customers to audit.
uint64_t& CountOf(StoreCounts& c, int dbi) {
  switch (dbi) {
    case internal::kCustomers: return c.customers;
    case internal::kContacts: return c.contacts;
    case internal::kInteractions: return c.interactions;
    case internal::kTransactions: return c.transactions;
    case internal::kOpportunities: return c.opportunities;
    case internal::kContracts: return c.contracts;
    case internal::kTasks: return c.tasks;
    case internal::kUsers: return c.users;
    default: return c.audit_entries;
  }
}

// ---- the manifest

struct Manifest {
  int version = 0;
  uint32_t schema_version = 0;
  uint64_t audit_sequence = 0;
  StoreCounts counts;
  std::string file;
  uint64_t size = 0;
  uint64_t xxh3 = 0;
};

std::string ManifestText(const BackupInfo& info, uint32_t schema_version,
                         const std::string& file_name) {
  std::string out = "crm-backup 1\n";
  out += "schema_version " + std::to_string(schema_version) + "\n";
  out += "audit_sequence " + std::to_string(info.audit_sequence) + "\n";
  StoreCounts counts = info.counts;
  for (int dbi = internal::kCustomers; dbi < kBackupDbiCount; ++dbi) {
    out += std::string("count ") + kDbiNames[dbi] + " " + std::to_string(CountOf(counts, dbi)) +
           "\n";
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
      for (int i = internal::kCustomers; i < kBackupDbiCount; ++i) {
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

// ---- the record walk

// Problems found, the first few kept.
class Problems {
 public:
  Problems(VerifyReport* report, size_t max) : report_(report), max_(max) {}
  void Add(std::string what) {
    ++report_->problem_count;
    if (report_->problems.size() < max_) report_->problems.push_back(std::move(what));
  }

 private:
  VerifyReport* report_;
  size_t max_;
};

// What the walk remembers of the records it has seen, for references and
// uniqueness.
struct Seen {
  std::vector<uint8_t> customers;   // by id: 0 none, 1 individual, 2 organization
  std::vector<Id> contact_customer;     // by id: the contact's customer, 0 none
  std::vector<Id> opportunity_customer; // by id
  std::vector<uint8_t> users;
  // key -> "customer N" / "contact N of customer M"
  std::unordered_map<std::string, std::string> keys;
  std::vector<std::pair<Id, Relation>> relations;
};

template <typename V>
void SetAt(std::vector<V>& v, Id id, V value) {
  if (id >= v.size()) v.resize(id + 1);
  v[id] = value;
}
template <typename V>
V At(const std::vector<V>& v, Id id) {
  return id < v.size() ? v[id] : V{};
}

class Walker {
 public:
  Walker(MDB_txn* txn, const std::array<MDB_dbi, kBackupDbiCount>& dbis, const MetaRecord& meta,
         const VerifyOptions& options, VerifyReport* report)
      : txn_(txn), dbis_(dbis), meta_(meta), options_(options), report_(report),
        problems_(report, options.max_problems) {}

  void Run() {
    Table<User>();
    Table<Customer>();
    Table<Contact>();
    Table<Opportunity>();
    Table<Interaction>();
    Table<Transaction>();
    Table<Contract>();
    Table<Task>();
    for (const auto& [from, rel] : seen_.relations) {
      if (At(seen_.customers, rel.customer) == 0) {
        problems_.Add("customer " + std::to_string(from) + ": relation to customer " +
                      std::to_string(rel.customer) + ", which does not exist");
      }
    }
    Audit();
  }

 private:
  template <typename T>
  void Table() {
    const Dbi dbi = internal::DbiFor(EntityOf<T>);
    const std::string table = kDbiNames[dbi];
    int rc = 0;
    Cursor cursor(txn_, dbis_[dbi], &rc);
    if (rc != 0) {
      problems_.Add(table + ": " + mdb_strerror(rc));
      return;
    }
    std::vector<capnp::word> scratch;
    MDB_val key, value;
    uint64_t last = meta_.counters.last_ids[dbi];
    for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
      ++CountOf(report_->counts, dbi);
      if (key.mv_size != 8) {
        problems_.Add(table + ": a key of " + std::to_string(key.mv_size) + " bytes, not 8");
        continue;
      }
      Id key_id = GetBigEndian(static_cast<const char*>(key.mv_data));
      T record;
      Status s = ReadValue<SchemaOf<T>>(value, scratch, [&](typename SchemaOf<T>::Reader r) {
        return Decode(r, &record);
      });
      const std::string where = std::string(Name(EntityOf<T>)) + " " + std::to_string(key_id);
      if (!s.ok()) {
        problems_.Add(where + ": " + s.message());
        continue;
      }
      if (record.id != key_id) {
        problems_.Add(where + ": stored under id " + std::to_string(key_id) + " but holds id " +
                      std::to_string(record.id));
        continue;
      }
      if (record.id > last) {
        problems_.Add(where + ": beyond the last " + std::string(Name(EntityOf<T>)) +
                      " id handed out (" + std::to_string(last) + ")");
      }
      Record copy(record);
      s = internal::ValidateFields(copy, options_.default_region);
      if (!s.ok()) {
        problems_.Add(where + ": " + s.ToString());
      } else if (!(std::get<T>(copy) == record)) {
        problems_.Add(where + ": not stored in normalized form");
      }
      Check(record, where);
    }
    if (rc != MDB_NOTFOUND) problems_.Add(table + ": " + mdb_strerror(rc));
  }

  void Key(const std::string& key, const std::string& holder, const std::string& where,
           const std::string& what) {
    auto [it, inserted] = seen_.keys.emplace(key, holder);
    if (!inserted) problems_.Add(where + ": " + what + " is also held by " + it->second);
  }

  void UserRef(Id user, const std::string& where, const char* field) {
    if (user != 0 && At(seen_.users, user) == 0) {
      problems_.Add(where + ": " + field + " is user " + std::to_string(user) +
                    ", which does not exist");
    }
  }

  // Returns false (after reporting) when `customer` does not exist.
  bool CustomerRef(Id customer, const std::string& where) {
    if (At(seen_.customers, customer) != 0) return true;
    problems_.Add(where + ": customer " + std::to_string(customer) + " does not exist");
    return false;
  }

  void SameCustomer(const std::vector<Id>& owners, Id id, Id customer, const std::string& where,
                    const char* kind) {
    if (id == 0) return;
    Id owner = At(owners, id);
    if (owner == 0) {
      problems_.Add(where + ": " + kind + " " + std::to_string(id) + " does not exist");
    } else if (owner != customer) {
      problems_.Add(where + ": " + kind + " " + std::to_string(id) + " belongs to customer " +
                    std::to_string(owner) + ", not " + std::to_string(customer));
    }
  }

  void Check(const User& u, const std::string&) { SetAt<uint8_t>(seen_.users, u.id, 1); }
  void Check(const Customer& c, const std::string& where) {
    SetAt<uint8_t>(seen_.customers, c.id, c.kind == CustomerKind::kOrganization ? 2 : 1);
    const std::string holder = "customer " + std::to_string(c.id);
    for (const auto& p : c.phones) Key("p" + p, holder, where, "phone " + p);
    for (const auto& e : c.emails) Key("e" + e, holder, where, "email " + e);
    if (!c.external_ref.empty()) {
      Key("r" + c.external_ref, holder, where, "external ref " + c.external_ref);
    }
    UserRef(c.owner, where, "owner");
    for (const Relation& r : c.relations) seen_.relations.emplace_back(c.id, r);
  }
  void Check(const Contact& c, const std::string& where) {
    if (CustomerRef(c.customer, where)) {
      SetAt(seen_.contact_customer, c.id, c.customer);
      if (At(seen_.customers, c.customer) != 2) {
        problems_.Add(where + ": belongs to customer " + std::to_string(c.customer) +
                      ", an individual (contacts belong to organizations)");
      }
    }
    const std::string holder =
        "contact " + std::to_string(c.id) + " of customer " + std::to_string(c.customer);
    for (const auto& p : c.phones) Key("p" + p, holder, where, "phone " + p);
    for (const auto& e : c.emails) Key("e" + e, holder, where, "email " + e);
  }
  void Check(const Opportunity& o, const std::string& where) {
    if (CustomerRef(o.customer, where)) SetAt(seen_.opportunity_customer, o.id, o.customer);
    UserRef(o.owner, where, "owner");
  }
  void Check(const Interaction& i, const std::string& where) {
    if (!CustomerRef(i.customer, where)) return;
    SameCustomer(seen_.contact_customer, i.contact, i.customer, where, "contact");
    SameCustomer(seen_.opportunity_customer, i.opportunity, i.customer, where, "opportunity");
    UserRef(i.agent, where, "agent");
  }
  void Check(const Transaction& t, const std::string& where) { CustomerRef(t.customer, where); }
  void Check(const Contract& k, const std::string& where) {
    if (!CustomerRef(k.customer, where)) return;
    SameCustomer(seen_.opportunity_customer, k.opportunity, k.customer, where, "opportunity");
  }
  void Check(const Task& t, const std::string& where) {
    if (t.customer != 0) CustomerRef(t.customer, where);
    UserRef(t.assignee, where, "assignee");
  }

  void Audit() {
    int rc = 0;
    Cursor cursor(txn_, dbis_[internal::kAudit], &rc);
    if (rc != 0) {
      problems_.Add(std::string("audit: ") + mdb_strerror(rc));
      return;
    }
    std::vector<capnp::word> scratch;
    MDB_val key, value;
    uint64_t expected = 1;
    bool gap_reported = false;
    for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
      ++report_->counts.audit_entries;
      uint64_t seq = key.mv_size == 8 ? GetBigEndian(static_cast<const char*>(key.mv_data)) : 0;
      AuditEntry entry;
      Status s = ReadValue<schema::AuditEntry>(
          value, scratch, [&](schema::AuditEntry::Reader r) { return Decode(r, &entry); });
      if (!s.ok()) {
        problems_.Add("audit entry " + std::to_string(seq) + ": " + s.message());
      } else if (entry.sequence != seq) {
        problems_.Add("audit entry " + std::to_string(seq) + ": holds sequence " +
                      std::to_string(entry.sequence));
      }
      if (seq != expected && !gap_reported) {
        problems_.Add("audit log: sequence " + std::to_string(seq) + " where " +
                      std::to_string(expected) + " was expected (a gap)");
        gap_reported = true;
      }
      expected = seq + 1;
    }
    if (rc != MDB_NOTFOUND) problems_.Add(std::string("audit: ") + mdb_strerror(rc));
    if (expected - 1 != meta_.counters.audit_sequence) {
      problems_.Add("audit log ends at sequence " + std::to_string(expected - 1) +
                    " but the meta record says " + std::to_string(meta_.counters.audit_sequence));
    }
  }

  MDB_txn* txn_;
  const std::array<MDB_dbi, kBackupDbiCount>& dbis_;
  const MetaRecord& meta_;
  const VerifyOptions& options_;
  VerifyReport* report_;
  Problems problems_;
  Seen seen_;
};

// Opens the LMDB file of `layout` read-only and walks it into `report`.
void WalkRecords(const Layout& layout, const VerifyOptions& options, VerifyReport* report) {
  Problems problems(report, options.max_problems);
  ReadOnlyEnv env;
  Status s = env.Open(layout);
  if (!s.ok()) return problems.Add(s.message());
  int rc = 0;
  Txn txn(env.get(), nullptr, MDB_RDONLY, &rc);
  if (rc != 0) return problems.Add(std::string("begin read transaction: ") + mdb_strerror(rc));
  std::array<MDB_dbi, kBackupDbiCount> dbis{};
  for (int i = 0; i < kBackupDbiCount; ++i) {
    rc = mdb_dbi_open(txn.get(), kDbiNames[i], 0, &dbis[i]);
    if (rc != 0) {
      return problems.Add(std::string("database ") + kDbiNames[i] + ": " + mdb_strerror(rc));
    }
  }
  MetaRecord meta;
  s = internal::ReadMeta(txn.get(), dbis[internal::kMeta], &meta);
  if (!s.ok()) return problems.Add("meta record: " + s.message());
  report->schema_version = meta.schema_version;
  report->audit_sequence = meta.counters.audit_sequence;
  if (meta.schema_version == 0 || meta.schema_version > kSchemaVersion) {
    problems.Add("meta record: schema version " + std::to_string(meta.schema_version) +
                 "; this build reads 1 to " + std::to_string(kSchemaVersion));
    return;
  }
  report->records_checked = true;
  Walker(txn.get(), dbis, meta, options, report).Run();
}

}  // namespace

// ------------------------------------------------------------------ public

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

VerifyReport Verify(const std::string& path, const VerifyOptions& options) {
  VerifyReport report;
  report.path = path;
  Problems problems(&report, options.max_problems);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    report.what = "nothing";
    problems.Add(path + " does not exist");
    return report;
  }
  Layout layout = LayoutOf(path);
  report.what = layout.what;
  if (fs::exists(layout.manifest, ec)) {
    report.manifest_present = true;
    Manifest manifest;
    Status s = ParseManifest(layout.manifest, &manifest);
    if (!s.ok()) {
      problems.Add("manifest: " + s.message());
      return report;
    }
    report.schema_version = manifest.schema_version;
    report.audit_sequence = manifest.audit_sequence;
    report.counts = manifest.counts;
    std::string named = (fs::path(layout.manifest).parent_path() / manifest.file).string();
    if (named != layout.data_file && fs::path(named) != fs::path(layout.data_file)) {
      problems.Add("manifest names " + manifest.file + ", not " +
                   fs::path(layout.data_file).filename().string());
      return report;
    }
    uint64_t hash = 0, size = 0;
    s = HashFile(layout.data_file, &hash, &size);
    if (!s.ok()) {
      problems.Add(s.message());
      return report;
    }
    if (size != manifest.size) {
      problems.Add(manifest.file + ": " + std::to_string(size) + " bytes, the manifest says " +
                   std::to_string(manifest.size) + " (truncated or changed)");
    }
    if (hash != manifest.xxh3) {
      problems.Add(manifest.file + ": XXH3-64 is " + Hex64(hash) + ", the manifest says " +
                   Hex64(manifest.xxh3) + " (the file is corrupted)");
    }
    if (!report.ok()) return report;  // a damaged LMDB file is not safe to walk
    report.manifest_ok = true;
    if (options.checksums_only) return report;
    report.counts = {};
  } else if (layout.single_file) {
    report.what = "LMDB file";
  } else if (!fs::exists(layout.data_file, ec)) {
    problems.Add(path + " holds no data.mdb: not a crm data directory or backup");
    return report;
  }
  if (options.checksums_only) {
    problems.Add("no manifest to check (" + layout.manifest + ")");
    return report;
  }
  uint64_t manifest_sequence = report.audit_sequence;
  WalkRecords(layout, options, &report);
  if (report.manifest_present && report.records_checked) {
    if (manifest_sequence != report.audit_sequence) {
      problems.Add("the manifest says audit sequence " + std::to_string(manifest_sequence) +
                   ", the meta record " + std::to_string(report.audit_sequence));
    }
  }
  return report;
}

Result<VerifyReport> Restore(const std::string& backup, const std::string& data_dir,
                             const VerifyOptions& options) {
  std::error_code ec;
  VerifyOptions sums = options;
  sums.checksums_only = true;
  VerifyReport checked = Verify(backup, sums);
  if (!checked.manifest_present) {
    return Status::InvalidArgument(backup + " has no manifest: not a crm backup (take one with "
                                   "crmctl backup)");
  }
  if (!checked.ok()) {
    std::string why = checked.problems.empty() ? "" : ": " + checked.problems.front();
    return Status::InvalidArgument("refusing to restore " + backup + ", it does not match its manifest" + why);
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

std::string VerifyReport::ToText() const {
  std::string out = "verify " + path + " (" + what + ")\n";
  if (manifest_present) {
    out += std::string("  manifest        ") + (manifest_ok ? "checksum and size match" : "MISMATCH") +
           "\n";
  } else {
    out += "  manifest        none\n";
  }
  if (schema_version != 0) out += "  schema version  " + std::to_string(schema_version) + "\n";
  out += "  audit sequence  " + std::to_string(audit_sequence) + "\n";
  if (records_checked) {
    const std::pair<const char*, uint64_t> rows[] = {
        {"customers", counts.customers},         {"contacts", counts.contacts},
        {"interactions", counts.interactions},   {"transactions", counts.transactions},
        {"opportunities", counts.opportunities}, {"contracts", counts.contracts},
        {"tasks", counts.tasks},                 {"users", counts.users},
        {"audit entries", counts.audit_entries}};
    for (const auto& [name, n] : rows) {
      char line[64];
      std::snprintf(line, sizeof line, "  %-15s %" PRIu64 "\n", name, n);
      out += line;
    }
    out += "  checked         records decode and validate, indexes rebuild, references "
           "resolve, audit log gap-free\n";
  }
  for (const std::string& p : problems) out += "  problem: " + p + "\n";
  if (problems.size() < problem_count) {
    out += "  ... and " + std::to_string(problem_count - problems.size()) + " more problems\n";
  }
  out += ok() ? "OK\n" : "CORRUPTED: " + std::to_string(problem_count) + " problems\n";
  return out;
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
