#include "data_ops.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "crm/engine/normalize.h"
#include "record_io.h"

namespace crm::tools {

using namespace crm::engine;

bool ParseFormat(const std::string& text, Format* out) {
  if (text == "csv") {
    *out = Format::kCsv;
  } else if (text == "jsonl" || text == "json" || text == "ndjson") {
    *out = Format::kJsonl;
  } else {
    return false;
  }
  return true;
}

Format FormatOfPath(const std::string& path) {
  auto ends = [&](const std::string& ext) {
    return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  return ends(".csv") ? Format::kCsv : Format::kJsonl;
}

std::string ExportFileName(EntityKind kind, Format format) {
  static const char* kPlural[] = {"",          "customers",     "contacts",  "interactions",
                                  "transactions", "opportunities", "contracts", "tasks",
                                  "users"};
  return std::string(kPlural[static_cast<size_t>(kind)]) +
         (format == Format::kCsv ? ".csv" : ".jsonl");
}

const std::vector<EntityKind>& ImportOrder() {
  static const std::vector<EntityKind> kOrder = {
      EntityKind::kUser,        EntityKind::kCustomer,    EntityKind::kContact,
      EntityKind::kOpportunity, EntityKind::kInteraction, EntityKind::kTransaction,
      EntityKind::kContract,    EntityKind::kTask};
  return kOrder;
}

namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Rows parsed by the reader thread, on their way to one write request.
struct Chunk {
  std::vector<WriteOp> ops;
  std::vector<uint64_t> lines;  // per op
  // Per op: the whole customer, when its relations were held back for the
  // second pass (keep_ids).
  std::vector<std::optional<Customer>> deferred;
  std::vector<RowError> errors;  // rows refused while parsing
  uint64_t rows = 0;
  uint64_t bytes = 0;  // input consumed up to the end of this chunk
};

// A bounded hand-over from the reader thread to the sender.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t depth) : depth_(depth) {}
  // false when the consumer has given up.
  bool Push(Chunk chunk) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < depth_ || abandoned_; });
    if (abandoned_) return false;
    queue_.push_back(std::move(chunk));
    cv_.notify_all();
    return true;
  }
  void Close(Status status) {
    std::lock_guard lock(mu_);
    closed_ = true;
    close_status_ = std::move(status);
    cv_.notify_all();
  }
  // nullopt at the end; then status() says whether reading failed.
  std::optional<Chunk> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return c;
  }
  void Abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    cv_.notify_all();
  }
  Status status() {
    std::lock_guard lock(mu_);
    return close_status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  size_t depth_;
  bool closed_ = false;
  bool abandoned_ = false;
  Status close_status_;
};

// Turns input rows into chunks of write ops.
class RowReader {
 public:
  RowReader(std::FILE* in, const ImportOptions& options, ChunkQueue* queue)
      : in_(in), options_(options), queue_(queue), fields_(FieldsOf(options.kind)) {}

  Status Run() {
    if (options_.format == Format::kCsv) return RunCsv();
    return RunJsonl();
  }

 private:
  // Adds a parsed record (or, with `error` not OK, a refused row).
  bool Add(uint64_t line, Record record, const Status& error, uint64_t bytes) {
    ++chunk_.rows;
    if (!error.ok()) {
      chunk_.errors.push_back({line, error.ToString()});
    } else {
      WriteOp op;
      std::optional<Customer> deferred;
      if (options_.keep_ids) {
        op.kind = WriteKind::kImport;
        if (auto* c = std::get_if<Customer>(&record); c != nullptr && !c->relations.empty()) {
          deferred = *c;
          c->relations.clear();
        }
      } else {
        op.kind = WriteKind::kCreate;
        // The server assigns ids and owns revisions and times.
        std::visit(
            [](auto& r) {
              r.id = 0;
              r.revision = 0;
              r.created_at = 0;
              r.updated_at = 0;
            },
            record);
      }
      op.record = std::move(record);
      chunk_.ops.push_back(std::move(op));
      chunk_.lines.push_back(line);
      chunk_.deferred.push_back(std::move(deferred));
    }
    if (chunk_.ops.size() + chunk_.errors.size() >= options_.batch_rows) return Flush(bytes);
    return true;
  }

  bool Flush(uint64_t bytes) {
    chunk_.bytes = bytes;
    bool ok = queue_->Push(std::move(chunk_));
    chunk_ = Chunk();
    return ok;
  }

  Status RunCsv() {
    CsvReader csv(in_);
    std::vector<std::string> header;
    std::string error;
    CsvReader::Next next = csv.Read(&header, &error);
    if (next == CsvReader::Next::kEnd) return Status::InvalidArgument("the file is empty: a CSV file starts with a header row");
    if (next == CsvReader::Next::kError) {
      return Status::InvalidArgument("line " + std::to_string(csv.line()) + " (the header): " + error);
    }
    // Column -> field index (-1: dropped).
    std::vector<int> column_field(header.size(), -1);
    std::vector<bool> mapped(fields_.size());
    for (const auto& [from, to] : options_.column_map) {
      if (std::find(header.begin(), header.end(), from) == header.end()) {
        return Status::InvalidArgument("--map names column \"" + from +
                                       "\", which the header does not have");
      }
    }
    for (size_t c = 0; c < header.size(); ++c) {
      if (!IsValidUtf8(header[c])) {
        return Status::InvalidArgument("header column " + std::to_string(c + 1) +
                                       " is not valid UTF-8");
      }
      std::string name = header[c];
      if (auto it = options_.column_map.find(name); it != options_.column_map.end()) name = it->second;
      if (name == "-") continue;
      size_t f = 0;
      while (f < fields_.size() && fields_[f].name != name) ++f;
      if (f == fields_.size()) {
        std::string names;
        for (const FieldSpec& spec : fields_) names += (names.empty() ? "" : " ") + spec.name;
        return Status::InvalidArgument(
            "header column " + std::to_string(c + 1) + " \"" + header[c] + "\" is not a field of " +
            std::string(Name(options_.kind)) + " (fields: " + names + "); map it with --map \"" +
            header[c] + "=FIELD\" or drop it with --map \"" + header[c] + "=-\"");
      }
      if (mapped[f]) {
        return Status::InvalidArgument("two columns map to field " + fields_[f].name);
      }
      mapped[f] = true;
      column_field[c] = static_cast<int>(f);
    }
    for (size_t f = 0; f < fields_.size(); ++f) {
      bool needed = fields_[f].required || (options_.keep_ids && fields_[f].name == "id");
      if (needed && !mapped[f]) {
        return Status::InvalidArgument("the header has no column for required field " +
                                       fields_[f].name);
      }
    }
    std::vector<std::string> row;
    JsonValue cell;
    cell.type = JsonValue::Type::kString;
    for (;;) {
      next = csv.Read(&row, &error);
      if (next == CsvReader::Next::kEnd) break;
      const uint64_t line = csv.line();
      if (next == CsvReader::Next::kError) {
        if (!Add(line, Record(), Status::InvalidArgument("malformed CSV: " + error), csv.bytes_read())) {
          return Status::Ok();
        }
        continue;
      }
      Record record = EmptyRecordOf(options_.kind);
      Status s = ParseRow(header, column_field, row, &cell, &record);
      if (!Add(line, std::move(record), s, csv.bytes_read())) return Status::Ok();
    }
    Flush(csv.bytes_read());
    return Status::Ok();
  }

  Status ParseRow(const std::vector<std::string>& header, const std::vector<int>& column_field,
                  std::vector<std::string>& row, JsonValue* cell, Record* record) {
    if (row.size() != header.size()) {
      return Status::InvalidArgument("the row has " + std::to_string(row.size()) +
                                     " fields, the header " + std::to_string(header.size()));
    }
    for (size_t c = 0; c < row.size(); ++c) {
      if (!IsValidUtf8(row[c])) {
        return Status::InvalidArgument("is not valid UTF-8", "column \"" + header[c] + "\"");
      }
    }
    for (size_t c = 0; c < row.size(); ++c) {
      int f = column_field[c];
      if (f < 0) continue;
      const FieldSpec& spec = fields_[static_cast<size_t>(f)];
      if (row[c].empty()) {
        if (spec.required || (options_.keep_ids && spec.name == "id")) {
          return Status::InvalidArgument("required field " + spec.name + " is missing",
                                         "column \"" + header[c] + "\"");
        }
        continue;
      }
      cell->text = std::move(row[c]);
      Status s = spec.set(*record, *cell);
      if (!s.ok()) {
        std::string where = "column \"" + header[c] + "\"";
        if (header[c] != spec.name) where += " (" + spec.name + ")";
        return Status(s.code(), s.message(), where);
      }
    }
    return Status::Ok();
  }

  Status RunJsonl() {
    char* buf = nullptr;
    size_t cap = 0;
    uint64_t line = 0;
    uint64_t bytes = 0;
    JsonValue value;
    for (;;) {
      ssize_t n = getline(&buf, &cap, in_);
      if (n < 0) break;
      ++line;
      bytes += static_cast<uint64_t>(n);
      std::string_view text(buf, static_cast<size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
      Record record;
      Status s;
      if (!IsValidUtf8(text)) {
        s = Status::InvalidArgument("the line is not valid UTF-8");
      } else {
        s = ParseJson(text, &value);
        if (s.ok()) s = RecordFromJson(options_.kind, value, &record);
        if (s.ok() && options_.keep_ids && IdOf(record) == 0) {
          s = Status::InvalidArgument("required field id is missing", "id");
        }
      }
      if (!Add(line, std::move(record), s, bytes)) break;
    }
    std::free(buf);
    Flush(bytes);
    return Status::Ok();
  }

  std::FILE* in_;
  const ImportOptions& options_;
  ChunkQueue* queue_;
  const std::vector<FieldSpec>& fields_;
  Chunk chunk_;
};

}  // namespace

Result<ImportReport> ImportRecords(client::Client& client, std::FILE* in, uint64_t size_bytes,
                                   const ImportOptions& options) {
  auto start = std::chrono::steady_clock::now();
  ImportReport report;
  ChunkQueue queue(2);
  Status read_status;
  std::thread reader([&] {
    RowReader rows(in, options, &queue);
    queue.Close(rows.Run());
  });
  struct Deferred {
    uint64_t line;
    Customer customer;
  };
  std::vector<Deferred> deferred;
  Status fatal;
  auto settle = [&](const std::vector<WriteResult>& results, const std::vector<uint64_t>& lines,
                    bool count_applied) {
    for (size_t i = 0; i < results.size(); ++i) {
      const Status& s = results[i].status;
      if (s.ok()) {
        if (count_applied) ++report.applied;
      } else if (s.code() == Code::kAlreadyExists && options.skip_duplicates) {
        ++report.duplicates;
      } else {
        ++report.failed;
        report.errors.push_back({lines[i], s.ToString()});
      }
    }
  };
  uint64_t bytes_done = 0;
  while (std::optional<Chunk> chunk = queue.Pop()) {
    report.rows += chunk->rows;
    report.failed += chunk->errors.size();
    for (RowError& e : chunk->errors) report.errors.push_back(std::move(e));
    bytes_done = chunk->bytes;
    if (!chunk->ops.empty()) {
      size_t n = chunk->ops.size();
      Result<std::vector<WriteResult>> results =
          options.dry_run ? client.DryRun(std::move(chunk->ops), false)
                          : client.Write(std::move(chunk->ops), false);
      if (results.ok() && results->size() != n) {
        results = Status::Internal("a write of " + std::to_string(n) + " ops was answered with " +
                                   std::to_string(results->size()) + " results");
      }
      if (!results.ok()) {
        fatal = results.status();
        queue.Abandon();
        break;
      }
      settle(*results, chunk->lines, true);
      for (size_t i = 0; i < n; ++i) {
        if (chunk->deferred[i] && (*results)[i].status.ok()) {
          deferred.push_back({chunk->lines[i], std::move(*chunk->deferred[i])});
        }
      }
    }
    if (options.progress) options.progress(bytes_done, size_bytes, report.rows);
  }
  reader.join();
  if (!fatal.ok()) return fatal;
  CRM_RETURN_IF_ERROR(queue.status());
  // Second pass: relations between customers, now that every customer is in.
  if (!options.dry_run) {
    for (size_t from = 0; from < deferred.size(); from += options.batch_rows) {
      size_t to = std::min(deferred.size(), from + options.batch_rows);
      std::vector<WriteOp> ops;
      std::vector<uint64_t> lines;
      for (size_t i = from; i < to; ++i) {
        WriteOp op;
        op.kind = WriteKind::kImport;
        op.replace = true;
        op.record = deferred[i].customer;
        ops.push_back(std::move(op));
        lines.push_back(deferred[i].line);
      }
      Result<std::vector<WriteResult>> results = client.Write(std::move(ops), false);
      if (!results.ok()) return results.status();
      // A row whose relations fail was applied without them: it counts as failed.
      for (size_t i = 0; i < results->size(); ++i) {
        if (!(*results)[i].status.ok()) {
          --report.applied;
          ++report.failed;
          report.errors.push_back(
              {lines[i], (*results)[i].status.ToString() + " (the customer was imported without "
                                                            "its relations)"});
        }
      }
    }
  }
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [](const RowError& a, const RowError& b) { return a.line < b.line; });
  report.seconds = Since(start);
  return report;
}

Result<ExportReport> ExportRecords(client::Client& client, EntityKind kind, Format format,
                                   std::FILE* out, const ProgressFn& progress) {
  auto start = std::chrono::steady_clock::now();
  ExportReport report;
  uint64_t total = 0;
  if (progress) {
    Result<StoreCounts> counts = client.Counts();
    if (counts.ok()) {
      const uint64_t by_kind[] = {0,
                                  counts->customers,
                                  counts->contacts,
                                  counts->interactions,
                                  counts->transactions,
                                  counts->opportunities,
                                  counts->contracts,
                                  counts->tasks,
                                  counts->users};
      total = by_kind[static_cast<size_t>(kind)];
    }
  }
  const std::vector<FieldSpec>& fields = FieldsOf(kind);
  std::string buf;
  if (format == Format::kCsv) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) buf += ',';
      AppendCsvField(fields[i].name, &buf);
    }
    buf += '\n';
  }
  Id after = 0;
  for (;;) {
    Result<std::vector<Record>> page = client.Scan(kind, after, 4096);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const Record& r : *page) {
      if (format == Format::kCsv) {
        for (size_t i = 0; i < fields.size(); ++i) {
          if (i) buf += ',';
          AppendCsvField(fields[i].cell(r), &buf);
        }
      } else {
        buf += RecordToJsonLine(r);
      }
      buf += '\n';
    }
    after = IdOf(page->back());
    report.records += page->size();
    if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
      return Status::Unavailable("cannot write the export: the disk may be full");
    }
    buf.clear();
    if (progress) progress(report.records, total, report.records);
  }
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
    return Status::Unavailable("cannot write the export: the disk may be full");
  }
  if (std::fflush(out) != 0) return Status::Unavailable("cannot write the export");
  report.seconds = Since(start);
  return report;
}

}  // namespace crm::tools
