// Verification of a backup or a data directory (see crm/engine/backup.h).
#include <lmdb.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "backup_files.h"
#include "crm/engine/backup.h"
#include "crm/engine/codec.h"
#include "format.h"
#include "lmdb_env.h"
#include "stored_value.h"
#include "validate.h"

namespace crm::engine {
namespace {

namespace fs = std::filesystem;
using internal::CountOf;
using internal::Cursor;
using internal::Dbi;
using internal::GetBigEndian;
using internal::HashFile;
using internal::Hex64;
using internal::kBackupDbiCount;
using internal::kDbiNames;
using internal::Layout;
using internal::LayoutOf;
using internal::Manifest;
using internal::MetaRecord;
using internal::ParseManifest;
using internal::ReadOnlyEnv;
using internal::ReadValue;
using internal::Txn;

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
  std::vector<uint8_t> customers;        // by id: 0 none, 1 individual, 2 organization
  std::vector<Id> contact_customer;      // by id: the contact's customer, 0 none
  std::vector<Id> opportunity_customer;  // by id
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
      : txn_(txn),
        dbis_(dbis),
        meta_(meta),
        options_(options),
        report_(report),
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
      Status s = ReadValue<SchemaOf<T>>(
          value, scratch, [&](typename SchemaOf<T>::Reader r) { return Decode(r, &record); });
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

std::string VerifyReport::ToText() const {
  std::string out = "verify " + path + " (" + what + ")\n";
  if (manifest_present) {
    out += std::string("  manifest        ") +
           (manifest_ok ? "checksum and size match" : "MISMATCH") + "\n";
  } else {
    out += "  manifest        none\n";
  }
  if (schema_version != 0) out += "  schema version  " + std::to_string(schema_version) + "\n";
  out += "  audit sequence  " + std::to_string(audit_sequence) + "\n";
  if (records_checked) {
    const std::pair<const char*, uint64_t> rows[] = {{"customers", counts.customers},
                                                     {"contacts", counts.contacts},
                                                     {"interactions", counts.interactions},
                                                     {"transactions", counts.transactions},
                                                     {"opportunities", counts.opportunities},
                                                     {"contracts", counts.contracts},
                                                     {"tasks", counts.tasks},
                                                     {"users", counts.users},
                                                     {"audit entries", counts.audit_entries}};
    for (const auto& [name, n] : rows) {
      char line[64];
      std::snprintf(line, sizeof line, "  %-15s %" PRIu64 "\n", name, n);
      out += line;
    }
    out +=
        "  checked         records decode and validate, indexes rebuild, references "
        "resolve, audit log gap-free\n";
  }
  for (const std::string& p : problems) out += "  problem: " + p + "\n";
  if (problems.size() < problem_count) {
    out += "  ... and " + std::to_string(problem_count - problems.size()) + " more problems\n";
  }
  out += ok() ? "OK\n" : "CORRUPTED: " + std::to_string(problem_count) + " problems\n";
  return out;
}

}  // namespace crm::engine
