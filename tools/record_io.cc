// The JSON reader and writer, RFC 4180 CSV and the time formats of
// record_io.h; the fields of each record kind are in record_fields.cc.
#include "record_io.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "crm/engine/normalize.h"

namespace crm::tools {

using namespace crm::engine;

// ================================================================== JSON

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Status Parse(JsonValue* out) {
    CRM_RETURN_IF_ERROR(Value(out, 0));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the JSON value");
    return Status::Ok();
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("invalid JSON at byte " + std::to_string(pos_ + 1) + ": " +
                                   what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Status Value(JsonValue* out, int depth) {
    if (depth > 64) return Error("nested more than 64 deep");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("a value is missing");
    char c = text_[pos_];
    if (c == '{') return Object(out, depth);
    if (c == '[') return Array(out, depth);
    if (c == '"') {
      out->type = JsonValue::Type::kString;
      return String(&out->text);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return Number(out);
    if (Literal("true")) {
      out->type = JsonValue::Type::kBool;
      out->boolean = true;
      return Status::Ok();
    }
    if (Literal("false")) {
      out->type = JsonValue::Type::kBool;
      out->boolean = false;
      return Status::Ok();
    }
    if (Literal("null")) {
      out->type = JsonValue::Type::kNull;
      return Status::Ok();
    }
    return Error("unexpected character '" + std::string(1, c) + "'");
  }

  // Enters the object or array whose opening bracket is at pos_; true when
  // `close` follows at once (the empty container, consumed whole).
  bool EnterEmpty(JsonValue* out, JsonValue::Type type, char close) {
    out->type = type;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
      return true;
    }
    return false;
  }

  Status Object(JsonValue* out, int depth) {
    if (EnterEmpty(out, JsonValue::Type::kObject, '}')) return Status::Ok();
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a member name");
      std::string key;
      CRM_RETURN_IF_ERROR(String(&key));
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      JsonValue value;
      CRM_RETURN_IF_ERROR(Value(&value, depth + 1));
      for (const auto& member : out->members) {
        if (member.key == key) return Error("member \"" + key + "\" appears twice");
      }
      out->members.push_back({std::move(key), std::move(value)});
      bool more = false;
      CRM_RETURN_IF_ERROR(AfterElement('}', &more));
      if (!more) return Status::Ok();
    }
  }

  // After a member or an item: a comma (*more: another follows) or `close`
  // (the object or array ends there).
  Status AfterElement(char close, bool* more) {
    SkipSpace();
    if (pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == close)) {
      *more = text_[pos_++] == ',';
      return Status::Ok();
    }
    return Error(std::string("expected ',' or '") + close + "'");
  }

  Status Array(JsonValue* out, int depth) {
    if (EnterEmpty(out, JsonValue::Type::kArray, ']')) return Status::Ok();
    for (;;) {
      JsonValue value;
      CRM_RETURN_IF_ERROR(Value(&value, depth + 1));
      out->items.push_back(std::move(value));
      bool more = false;
      CRM_RETURN_IF_ERROR(AfterElement(']', &more));
      if (!more) return Status::Ok();
    }
  }

  Status Number(JsonValue* out) {
    size_t start = pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        return Error("a number may not have leading zeros");
      }
    } else if (digits() == 0) {
      return Error("a number needs digits");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return Error("a fraction needs digits");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error("an exponent needs digits");
    }
    out->type = JsonValue::Type::kNumber;
    out->text = std::string(text_.substr(start, pos_ - start));
    return Status::Ok();
  }

  Status Hex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return Error("a \\u escape needs four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Error("a \\u escape needs four hex digits");
    }
    *out = v;
    return Status::Ok();
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Status String(std::string* out) {
    ++pos_;  // the opening quote
    size_t start = pos_;
    for (;;) {
      if (pos_ >= text_.size()) return Error("a string is never closed");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c < 0x20) return Error("a control character inside a string must be escaped");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return Error("a string is never closed");
      char e = text_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          CRM_RETURN_IF_ERROR(Hex4(&cp));
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (!Literal("\\u")) return Error("a lone high surrogate");
            CRM_RETURN_IF_ERROR(Hex4(&low));
            if (low < 0xDC00 || low > 0xDFFF) return Error("a lone high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("a lone low surrogate");
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Error("unknown escape \\" + std::string(1, e));
      }
    }
    (void)start;
    if (!IsValidUtf8(*out)) return Error("a string is not valid UTF-8");
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Status ParseJson(std::string_view text, JsonValue* out) {
  *out = JsonValue();
  return JsonParser(text).Parse(out);
}

void AppendJsonString(std::string_view s, std::string* out) {
  *out += '"';
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

// ================================================================== CSV

int CsvReader::Get() {
  int c;
  if (pushed_ != -2) {
    c = pushed_;
    pushed_ = -2;
  } else {
    c = getc_unlocked(in_);
  }
  if (c != EOF) {
    ++consumed_;
    if (c == '\n') ++line_;
  }
  return c;
}

void CsvReader::Unget(int c) {
  pushed_ = c;
  if (c != EOF) {
    --consumed_;
    if (c == '\n') --line_;
  }
}

CsvReader::Next CsvReader::Read(std::vector<std::string>* fields, std::string* error) {
  fields->clear();
  int c = Get();
  // Blank lines hold no record.
  while (c == '\n' || c == '\r') {
    if (c == '\r') {
      int next = Get();
      if (next != '\n') Unget(next);
    }
    c = Get();
  }
  if (c == EOF) return Next::kEnd;
  record_line_ = line_;
  auto skip_line = [&](int from) {
    while (from != '\n' && from != EOF) from = Get();
  };
  std::string field;
  for (;;) {
    field.clear();
    if (c == '"') {
      uint64_t opened = line_;
      for (;;) {
        c = Get();
        if (c == EOF) {
          *error = "a quoted field opened on line " + std::to_string(opened) + " is never closed";
          return Next::kError;
        }
        if (c == '"') {
          c = Get();
          if (c != '"') break;
        }
        field += static_cast<char>(c);
      }
      if (c == '\r') {
        int next = Get();
        if (next != '\n' && next != EOF) {
          *error = "a carriage return after a closing quote, not a line end";
          skip_line(next);
          return Next::kError;
        }
        c = '\n';
      }
      if (c != ',' && c != '\n' && c != EOF) {
        *error = std::string("'") + static_cast<char>(c) +
                 "' after a closing quote (a field that holds quotes must be wholly quoted, "
                 "its quotes doubled)";
        skip_line(c);
        return Next::kError;
      }
    } else {
      while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
        if (c == '"') {
          *error = "a quote inside an unquoted field (quote the whole field and double its "
                   "quotes)";
          skip_line(c);
          return Next::kError;
        }
        field += static_cast<char>(c);
        c = Get();
      }
      if (c == '\r') {
        int next = Get();
        if (next != '\n') Unget(next);
        c = '\n';
      }
    }
    fields->push_back(field);
    if (c != ',') return Next::kRecord;
    c = Get();
  }
}

void AppendCsvField(std::string_view field, std::string* out) {
  bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out->append(field);
    return;
  }
  *out += '"';
  for (char c : field) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

std::vector<std::string> SplitNonEmpty(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// ================================================================== times

std::string FormatIsoTime(Micros t) {
  if (t == 0) return "";
  Micros seconds = t / 1'000'000;
  Micros micros = t % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    seconds -= 1;
  }
  time_t s = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (micros != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06" PRId64, micros);
    out += frac;
  }
  return out + "Z";
}

bool ParseTimeText(std::string_view text, Micros* out) {
  if (text.empty()) return false;
  bool all_digits = true;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] >= '0' && text[i] <= '9') && !(i == 0 && text[i] == '-' && text.size() > 1)) {
      all_digits = false;
    }
  }
  if (all_digits) {
    std::string s(text);
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
  }
  // YYYY-MM-DD[THH:MM[:SS[.f{1,6}]]][Z]
  auto num = [&](size_t pos, size_t len, int* v) {
    if (pos + len > text.size()) return false;
    int r = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      r = r * 10 + (text[i] - '0');
    }
    *v = r;
    return true;
  };
  int y, mo, d, h = 0, mi = 0, s = 0;
  Micros micros = 0;
  if (!num(0, 4, &y) || text.size() < 10 || text[4] != '-' || !num(5, 2, &mo) || text[7] != '-' ||
      !num(8, 2, &d)) {
    return false;
  }
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    if (!num(pos + 1, 2, &h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !num(pos + 4, 2, &mi)) {
      return false;
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!num(pos + 1, 2, &s)) return false;
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (++digits > 6) return false;
          micros = micros * 10 + (text[pos] - '0');
          ++pos;
        }
        if (digits == 0) return false;
        for (int i = digits; i < 6; ++i) micros *= 10;
      }
    }
  }
  if (pos < text.size() && text[pos] == 'Z') ++pos;
  if (pos != text.size()) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  *out = UtcToMicros(y, mo, d, h, mi, s) + micros;
  return true;
}

Micros UtcToMicros(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<Micros>(timegm(&tm)) * 1'000'000;
}

}  // namespace crm::tools
