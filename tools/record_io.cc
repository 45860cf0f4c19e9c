#include "record_io.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <type_traits>

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

  Status Object(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return Status::Ok();
    }
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
        if (member.first == key) return Error("member \"" + key + "\" appears twice");
      }
      out->members.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return Status::Ok();
      }
      return Error("expected ',' or '}'");
    }
  }

  Status Array(JsonValue* out, int depth) {
    out->type = JsonValue::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return Status::Ok();
    }
    for (;;) {
      JsonValue value;
      CRM_RETURN_IF_ERROR(Value(&value, depth + 1));
      out->items.push_back(std::move(value));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      return Error("expected ',' or ']'");
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

// ================================================================== fields

namespace {

using Type = JsonValue::Type;

Status Bad(const std::string& field, const std::string& what) {
  return Status::InvalidArgument(what, field);
}

// The text of a scalar (a string, a number or a boolean).
bool ScalarText(const JsonValue& v, std::string* out) {
  if (v.type == Type::kString || v.type == Type::kNumber) {
    *out = v.text;
    return true;
  }
  if (v.type == Type::kBool) {
    *out = v.boolean ? "true" : "false";
    return true;
  }
  return false;
}

Status ParseUnsigned(const std::string& field, const JsonValue& v, uint64_t max, uint64_t* out) {
  std::string text;
  if (!ScalarText(v, &text) || text.empty() || text[0] == '-' || text[0] == '+') {
    return Bad(field, "must be a whole number from 0 to " + std::to_string(max));
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n > max) {
    return Bad(field, "must be a whole number from 0 to " + std::to_string(max) + ", not \"" +
                          text + "\"");
  }
  *out = n;
  return Status::Ok();
}

Status ParseSigned(const std::string& field, const JsonValue& v, int64_t* out) {
  std::string text;
  if (!ScalarText(v, &text) || text.empty()) return Bad(field, "must be a whole number");
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return Bad(field, "must be a whole number, not \"" + text + "\"");
  *out = n;
  return Status::Ok();
}

// A list of strings: a JSON array of strings, or a cell "a;b;c" (a cell that
// starts with '[' is read as a JSON array).
Status ParseList(const std::string& field, const JsonValue& v, std::vector<std::string>* out) {
  out->clear();
  JsonValue parsed;
  const JsonValue* list = &v;
  if (v.type == Type::kString) {
    if (!v.text.empty() && v.text[0] == '[') {
      Status s = ParseJson(v.text, &parsed);
      if (!s.ok()) return Bad(field, s.message());
      list = &parsed;
    } else {
      size_t start = 0;
      while (start <= v.text.size() && !v.text.empty()) {
        size_t semi = v.text.find(';', start);
        if (semi == std::string::npos) semi = v.text.size();
        std::string item = v.text.substr(start, semi - start);
        if (!item.empty()) out->push_back(std::move(item));
        start = semi + 1;
      }
      return Status::Ok();
    }
  }
  if (list->type != Type::kArray) return Bad(field, "must be a list of strings");
  for (const JsonValue& item : list->items) {
    if (item.type != Type::kString) return Bad(field, "must be a list of strings");
    out->push_back(item.text);
  }
  return Status::Ok();
}

std::string ListCell(const std::vector<std::string>& items) {
  bool plain = true;
  for (const auto& s : items) {
    if (s.empty() || s.find(';') != std::string::npos || s[0] == '[') plain = false;
  }
  std::string out;
  if (plain) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += ';';
      out += items[i];
    }
    return out;
  }
  out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(items[i], &out);
  }
  return out + "]";
}

// A JSON value given directly, or as the text of a CSV cell.
Status Structured(const std::string& field, const JsonValue& v, Type want, JsonValue* scratch,
                  const JsonValue** out) {
  *out = &v;
  if (v.type == Type::kString && want != Type::kString) {
    Status s = ParseJson(v.text, scratch);
    if (!s.ok()) return Bad(field, s.message());
    *out = scratch;
  }
  if ((*out)->type != want) {
    return Bad(field, want == Type::kArray ? "must be a JSON array" : "must be a JSON object");
  }
  return Status::Ok();
}

template <typename E>
std::string EnumNames(E last) {
  std::string names;
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    names += (i ? ", " : "") + std::string(Name(static_cast<E>(i)));
  }
  return names;
}

template <typename E>
Status ParseEnumValue(const std::string& field, const JsonValue& v, E last, E* out) {
  std::string text;
  if (!ScalarText(v, &text)) return Bad(field, "must be one of: " + EnumNames(last));
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    if (Name(static_cast<E>(i)) == text) {
      *out = static_cast<E>(i);
      return Status::Ok();
    }
  }
  return Bad(field, "unknown value \"" + text + "\"; one of: " + EnumNames(last));
}

// Builds the FieldSpecs of record type T.
template <typename T>
class Builder {
 public:
  std::vector<FieldSpec> specs;

  using Setter = std::function<Status(T&, const JsonValue&)>;
  using JsonOut = std::function<void(const T&, std::string*)>;
  using CellOut = std::function<std::string(const T&)>;

  void Add(std::string name, bool required, Setter set, JsonOut json, CellOut cell) {
    FieldSpec f;
    f.name = name;
    f.required = required;
    f.set = [set = std::move(set)](Record& r, const JsonValue& v) { return set(std::get<T>(r), v); };
    f.json = [json = std::move(json)](const Record& r, std::string* out) {
      json(std::get<T>(r), out);
    };
    f.cell = [cell = std::move(cell)](const Record& r) { return cell(std::get<T>(r)); };
    specs.push_back(std::move(f));
  }

  template <typename U, typename Get>
  void UnsignedOf(std::string name, Get get, uint64_t max, bool required = false) {
    Add(
        name, required,
        [name, get, max](T& r, const JsonValue& v) {
          uint64_t n = 0;
          CRM_RETURN_IF_ERROR(ParseUnsigned(name, v, max, &n));
          get(r) = static_cast<U>(n);
          return Status::Ok();
        },
        [get](const T& r, std::string* out) {
          *out += std::to_string(static_cast<uint64_t>(get(const_cast<T&>(r))));
        },
        [get](const T& r) {
          U v = get(const_cast<T&>(r));
          return v == 0 ? std::string() : std::to_string(static_cast<uint64_t>(v));
        });
  }
  template <typename U>
  void Unsigned(std::string name, U T::*m, bool required = false) {
    UnsignedOf<U>(name, [m](T& r) -> U& { return r.*m; },
                  static_cast<uint64_t>(std::numeric_limits<U>::max()), required);
  }
  template <typename Get>
  void SignedOf(std::string name, Get get, bool required = false) {
    Add(
        name, required,
        [name, get](T& r, const JsonValue& v) {
          int64_t n = 0;
          CRM_RETURN_IF_ERROR(ParseSigned(name, v, &n));
          get(r) = n;
          return Status::Ok();
        },
        [get](const T& r, std::string* out) { *out += std::to_string(get(const_cast<T&>(r))); },
        [get](const T& r) { return std::to_string(get(const_cast<T&>(r))); });
  }
  void Signed(std::string name, int64_t T::*m, bool required = false) {
    SignedOf(name, [m](T& r) -> int64_t& { return r.*m; }, required);
  }
  void Time(std::string name, Micros T::*m) {
    Add(
        name, false,
        [name, m](T& r, const JsonValue& v) {
          std::string text;
          if (!ScalarText(v, &text) || !ParseTimeText(text, &(r.*m))) {
            return Bad(name, "must be microseconds since 1970 or a UTC time such as "
                             "2026-12-01T09:30:00Z");
          }
          return Status::Ok();
        },
        [m](const T& r, std::string* out) { *out += std::to_string(r.*m); },
        [m](const T& r) { return FormatIsoTime(r.*m); });
  }
  template <typename Get>
  void TextOf(std::string name, Get get, bool required = false) {
    Add(
        name, required,
        [name, get](T& r, const JsonValue& v) {
          if (v.type != Type::kString) return Bad(name, "must be a string");
          get(r) = v.text;
          return Status::Ok();
        },
        [get](const T& r, std::string* out) { AppendJsonString(get(const_cast<T&>(r)), out); },
        [get](const T& r) { return get(const_cast<T&>(r)); });
  }
  void Text(std::string name, std::string T::*m, bool required = false) {
    TextOf(name, [m](T& r) -> std::string& { return r.*m; }, required);
  }
  void List(std::string name, std::vector<std::string> T::*m) {
    Add(
        name, false, [name, m](T& r, const JsonValue& v) { return ParseList(name, v, &(r.*m)); },
        [m](const T& r, std::string* out) {
          *out += '[';
          for (size_t i = 0; i < (r.*m).size(); ++i) {
            if (i) *out += ',';
            AppendJsonString((r.*m)[i], out);
          }
          *out += ']';
        },
        [m](const T& r) { return ListCell(r.*m); });
  }
  template <typename E>
  void Enum(std::string name, E T::*m, E last) {
    Add(
        name, false,
        [name, m, last](T& r, const JsonValue& v) { return ParseEnumValue(name, v, last, &(r.*m)); },
        [m](const T& r, std::string* out) { AppendJsonString(Name(r.*m), out); },
        [m](const T& r) { return std::string(Name(r.*m)); });
  }
  void Bool(std::string name, bool T::*m) {
    Add(
        name, false,
        [name, m](T& r, const JsonValue& v) {
          std::string text;
          if (v.type == Type::kBool) {
            r.*m = v.boolean;
          } else if (ScalarText(v, &text) && (text == "true" || text == "1" || text == "yes")) {
            r.*m = true;
          } else if (ScalarText(v, &text) && (text == "false" || text == "0" || text == "no")) {
            r.*m = false;
          } else {
            return Bad(name, "must be true or false");
          }
          return Status::Ok();
        },
        [m](const T& r, std::string* out) { *out += (r.*m) ? "true" : "false"; },
        [m](const T& r) { return std::string((r.*m) ? "true" : "false"); });
  }
  void MoneyOf(std::string prefix, Money T::*m, bool required = false) {
    SignedOf(prefix + ".minor_units", [m](T& r) -> int64_t& { return (r.*m).minor_units; },
             required);
    Add(
        prefix + ".currency", false,
        [m](T& r, const JsonValue& v) {
          if (v.type != Type::kString) return Bad("currency", "must be a string");
          (r.*m).currency = Currency(v.text);
          if ((r.*m).currency.code() != v.text) {
            return Bad("currency", "must be an ISO 4217 code such as CNY, not \"" + v.text + "\"");
          }
          return Status::Ok();
        },
        [m](const T& r, std::string* out) { AppendJsonString((r.*m).currency.code(), out); },
        [m](const T& r) { return std::string((r.*m).currency.code()); });
  }
  // id, revision first; created_at, updated_at last (call Finish()).
  void Start(bool id_required = false) {
    Unsigned<Id>("id", &T::id, id_required);
    Unsigned<uint64_t>("revision", &T::revision);
  }
  void Finish() {
    Time("created_at", &T::created_at);
    Time("updated_at", &T::updated_at);
  }
};

std::vector<FieldSpec> CustomerFields() {
  Builder<Customer> b;
  b.Start();
  b.Text("external_ref", &Customer::external_ref);
  b.Enum("kind", &Customer::kind, CustomerKind::kOrganization);
  b.Text("name", &Customer::name, true);
  b.Text("tax_id", &Customer::tax_id);
  b.List("phones", &Customer::phones);
  b.List("emails", &Customer::emails);
  b.TextOf("region.country", [](Customer& c) -> std::string& { return c.region.country; });
  b.TextOf("region.province", [](Customer& c) -> std::string& { return c.region.province; });
  b.TextOf("region.city", [](Customer& c) -> std::string& { return c.region.city; });
  b.Text("industry", &Customer::industry);
  b.Enum("size_band", &Customer::size_band, SizeBand::kEnterprise);
  b.Text("category", &Customer::category);
  b.Enum("payment_method", &Customer::payment_method, PaymentMethod::kOther);
  b.Enum("credit_level", &Customer::credit_level, CreditLevel::kD);
  b.Enum("lifecycle", &Customer::lifecycle, Lifecycle::kChurned);
  b.Unsigned<Id>("owner", &Customer::owner);
  b.Text("team", &Customer::team);
  b.List("tags", &Customer::tags);
  b.Add(
      "attributes", false,
      [](Customer& c, const JsonValue& v) {
        JsonValue scratch;
        const JsonValue* obj = nullptr;
        CRM_RETURN_IF_ERROR(Structured("attributes", v, Type::kObject, &scratch, &obj));
        c.attributes.clear();
        for (const auto& [key, value] : obj->members) {
          if (value.type != Type::kString) return Bad("attributes." + key, "must be a string");
          c.attributes.push_back({key, value.text});
        }
        return Status::Ok();
      },
      [](const Customer& c, std::string* out) {
        *out += '{';
        for (size_t i = 0; i < c.attributes.size(); ++i) {
          if (i) *out += ',';
          AppendJsonString(c.attributes[i].key, out);
          *out += ':';
          AppendJsonString(c.attributes[i].value, out);
        }
        *out += '}';
      },
      [](const Customer& c) {
        if (c.attributes.empty()) return std::string();
        std::string out = "{";
        for (size_t i = 0; i < c.attributes.size(); ++i) {
          if (i) out += ',';
          AppendJsonString(c.attributes[i].key, &out);
          out += ':';
          AppendJsonString(c.attributes[i].value, &out);
        }
        return out + "}";
      });
  auto relations_json = [](const Customer& c, std::string* out) {
    *out += '[';
    for (size_t i = 0; i < c.relations.size(); ++i) {
      if (i) *out += ',';
      *out += "{\"customer\":" + std::to_string(c.relations[i].customer) + ",\"kind\":";
      AppendJsonString(Name(c.relations[i].kind), out);
      *out += '}';
    }
    *out += ']';
  };
  b.Add(
      "relations", false,
      [](Customer& c, const JsonValue& v) {
        JsonValue scratch;
        const JsonValue* list = nullptr;
        CRM_RETURN_IF_ERROR(Structured("relations", v, Type::kArray, &scratch, &list));
        c.relations.clear();
        for (size_t i = 0; i < list->items.size(); ++i) {
          const JsonValue& item = list->items[i];
          const std::string field = "relations[" + std::to_string(i) + "]";
          const JsonValue* customer = item.Find("customer");
          const JsonValue* kind = item.Find("kind");
          if (customer == nullptr || kind == nullptr || item.members.size() != 2) {
            return Bad(field, "must be {\"customer\": ID, \"kind\": KIND}");
          }
          Relation r;
          uint64_t id = 0;
          CRM_RETURN_IF_ERROR(ParseUnsigned(field + ".customer", *customer, UINT64_MAX, &id));
          r.customer = id;
          CRM_RETURN_IF_ERROR(ParseEnumValue(field + ".kind", *kind, RelationKind::kRelated, &r.kind));
          c.relations.push_back(r);
        }
        return Status::Ok();
      },
      relations_json,
      [relations_json](const Customer& c) {
        if (c.relations.empty()) return std::string();
        std::string out;
        relations_json(c, &out);
        return out;
      });
  b.Enum("gender", &Customer::gender, Gender::kOther);
  b.UnsignedOf<uint16_t>("birth_year", [](Customer& c) -> uint16_t& { return c.birth_year; },
                         65535);
  b.Text("occupation", &Customer::occupation);
  b.Enum("income_band", &Customer::income_band, IncomeBand::kHigh);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> ContactFields() {
  Builder<Contact> b;
  b.Start();
  b.Unsigned<Id>("customer", &Contact::customer, true);
  b.Text("name", &Contact::name, true);
  b.Text("title", &Contact::title);
  b.List("phones", &Contact::phones);
  b.List("emails", &Contact::emails);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> InteractionFields() {
  Builder<Interaction> b;
  b.Start();
  b.Unsigned<Id>("customer", &Interaction::customer, true);
  b.Unsigned<Id>("contact", &Interaction::contact);
  b.Enum("channel", &Interaction::channel, Channel::kSurvey);
  b.Enum("direction", &Interaction::direction, Direction::kOutbound);
  b.Time("time", &Interaction::time);
  b.Unsigned<Id>("agent", &Interaction::agent);
  b.Text("subject", &Interaction::subject);
  b.Text("notes", &Interaction::notes);
  b.Text("outcome", &Interaction::outcome);
  b.Unsigned<uint32_t>("duration_seconds", &Interaction::duration_seconds);
  b.Unsigned<uint8_t>("satisfaction", &Interaction::satisfaction);
  b.Enum("complaint", &Interaction::complaint, ComplaintState::kResolved);
  b.Unsigned<Id>("opportunity", &Interaction::opportunity);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> TransactionFields() {
  Builder<Transaction> b;
  b.Start();
  b.Unsigned<Id>("customer", &Transaction::customer, true);
  b.Time("time", &Transaction::time);
  b.MoneyOf("amount", &Transaction::amount, true);
  b.Signed("margin_minor_units", &Transaction::margin_minor_units);
  b.Text("product_category", &Transaction::product_category);
  b.Enum("payment_method", &Transaction::payment_method, PaymentMethod::kOther);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> OpportunityFields() {
  Builder<Opportunity> b;
  b.Start();
  b.Unsigned<Id>("customer", &Opportunity::customer, true);
  b.Text("name", &Opportunity::name, true);
  b.Enum("stage", &Opportunity::stage, Stage::kLost);
  b.MoneyOf("amount", &Opportunity::amount);
  b.Unsigned<uint8_t>("probability", &Opportunity::probability);
  b.Time("expected_close", &Opportunity::expected_close);
  b.Unsigned<Id>("owner", &Opportunity::owner);
  b.Text("source", &Opportunity::source);
  b.Text("campaign", &Opportunity::campaign);
  b.Text("lost_reason", &Opportunity::lost_reason);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> ContractFields() {
  Builder<Contract> b;
  b.Start();
  b.Unsigned<Id>("customer", &Contract::customer, true);
  b.Unsigned<Id>("opportunity", &Contract::opportunity);
  b.Text("number", &Contract::number);
  b.Enum("status", &Contract::status, ContractStatus::kTerminated);
  b.MoneyOf("amount", &Contract::amount);
  b.Time("signed_at", &Contract::signed_at);
  b.Time("start_at", &Contract::start_at);
  b.Time("end_at", &Contract::end_at);
  b.Text("payment_terms", &Contract::payment_terms);
  b.Signed("paid_minor_units", &Contract::paid_minor_units);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> TaskFields() {
  Builder<Task> b;
  b.Start();
  b.Unsigned<Id>("customer", &Task::customer);
  b.Unsigned<Id>("assignee", &Task::assignee);
  b.Time("due_at", &Task::due_at);
  b.Text("title", &Task::title, true);
  b.Text("notes", &Task::notes);
  b.Bool("done", &Task::done);
  b.Time("done_at", &Task::done_at);
  b.Finish();
  return std::move(b.specs);
}

std::vector<FieldSpec> UserFields() {
  Builder<User> b;
  b.Start();
  b.Text("name", &User::name, true);
  b.Enum("role", &User::role, Role::kAgent);
  b.Text("team", &User::team);
  b.Bool("active", &User::active);
  b.Finish();
  return std::move(b.specs);
}

}  // namespace

const std::vector<FieldSpec>& FieldsOf(EntityKind kind) {
  static const std::vector<FieldSpec> kTables[] = {
      {},
      CustomerFields(),
      ContactFields(),
      InteractionFields(),
      TransactionFields(),
      OpportunityFields(),
      ContractFields(),
      TaskFields(),
      UserFields(),
  };
  return kTables[static_cast<size_t>(kind)];
}

Record EmptyRecordOf(EntityKind kind) {
  switch (kind) {
    case EntityKind::kCustomer: return Customer{};
    case EntityKind::kContact: return Contact{};
    case EntityKind::kInteraction: return Interaction{};
    case EntityKind::kTransaction: return Transaction{};
    case EntityKind::kOpportunity: return Opportunity{};
    case EntityKind::kContract: return Contract{};
    case EntityKind::kTask: return Task{};
    case EntityKind::kUser: return User{};
  }
  return Customer{};
}

std::string RecordToJsonLine(const Record& record) {
  std::string out = "{\"kind\":";
  AppendJsonString(Name(KindOf(record)), &out);
  out += ",\"record\":{";
  std::string open;  // the nested object currently open ("region"), if any
  bool first = true;
  for (const FieldSpec& f : FieldsOf(KindOf(record))) {
    size_t dot = f.name.find('.');
    std::string prefix = dot == std::string::npos ? "" : f.name.substr(0, dot);
    std::string leaf = dot == std::string::npos ? f.name : f.name.substr(dot + 1);
    if (prefix != open) {
      if (!open.empty()) out += '}';
      if (!prefix.empty()) {
        if (!first) out += ',';
        AppendJsonString(prefix, &out);
        out += ":{";
        first = true;
      } else {
        first = false;
      }
      open = prefix;
    }
    if (!first) out += ',';
    first = false;
    AppendJsonString(leaf, &out);
    out += ':';
    f.json(record, &out);
  }
  if (!open.empty()) out += '}';
  out += "}}";
  return out;
}

Status RecordFromJson(EntityKind kind, const JsonValue& value, Record* out) {
  if (value.type != Type::kObject) return Status::InvalidArgument("a line must be a JSON object");
  const JsonValue* body = &value;
  if (const JsonValue* wrapped = value.Find("record");
      wrapped != nullptr && value.members.size() == 2 && value.Find("kind") != nullptr) {
    const JsonValue* k = value.Find("kind");
    if (k->type != Type::kString || k->text != Name(kind)) {
      return Status::InvalidArgument("the line holds a " +
                                         (k->type == Type::kString ? k->text : "?") +
                                         " record, not a " + std::string(Name(kind)),
                                     "kind");
    }
    body = wrapped;
    if (body->type != Type::kObject) {
      return Status::InvalidArgument("must be a JSON object", "record");
    }
  }
  *out = EmptyRecordOf(kind);
  const auto& fields = FieldsOf(kind);
  // Flatten one level of nesting ("region": {"city": ...} -> region.city).
  std::vector<std::pair<std::string, const JsonValue*>> flat;
  for (const auto& [name, v] : body->members) {
    bool nested = false;
    if (v.type == Type::kObject && name != "attributes") {
      for (const FieldSpec& f : fields) {
        if (f.name.size() > name.size() && f.name.compare(0, name.size(), name) == 0 &&
            f.name[name.size()] == '.') {
          nested = true;
          break;
        }
      }
    }
    if (!nested) {
      flat.emplace_back(name, &v);
      continue;
    }
    for (const auto& [leaf, lv] : v.members) flat.emplace_back(name + "." + leaf, &lv);
  }
  std::vector<bool> seen(fields.size());
  for (const auto& [name, v] : flat) {
    size_t i = 0;
    while (i < fields.size() && fields[i].name != name) ++i;
    if (i == fields.size()) {
      return Status::InvalidArgument("a " + std::string(Name(kind)) + " has no field \"" + name +
                                         "\"",
                                     name);
    }
    seen[i] = true;
    if (v->type == Type::kNull) continue;
    CRM_RETURN_IF_ERROR(fields[i].set(*out, *v));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].required && !seen[i]) {
      return Status::InvalidArgument("is required", fields[i].name);
    }
  }
  return Status::Ok();
}

}  // namespace crm::tools
