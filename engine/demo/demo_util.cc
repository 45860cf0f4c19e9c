// Out-of-line parts of the demo-data building blocks declared in demo_util.h:
// stream seeds, number and string formatting, civil years, phone pools and
// unified social credit codes.
#include "demo_util.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crm::engine::demo_internal {

uint64_t StreamSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t s = seed;
  uint64_t a = SplitMix64(s);
  s = a ^ (stream * 0xD6E8FEB86659FD93ull);
  uint64_t b = SplitMix64(s);
  s = b ^ (index * 0xA0761D6478BD642Full);
  return SplitMix64(s);
}

void AppendInt(std::string& out, uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out.append(buf, end);
}

void AppendPadded(std::string& out, uint64_t value, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  for (int n = static_cast<int>(end - buf); n < width; ++n) out.push_back('0');
  out.append(buf, end);
}

std::string Concat(std::initializer_list<std::string_view> parts) {
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  std::string out;
  out.reserve(size);
  for (std::string_view p : parts) out.append(p);
  return out;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t CivilYear(Micros t) {
  const int64_t z = FloorDiv(t, kDay) + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (month <= 2 ? 1 : 0);
}

void PhonePool::Init(uint64_t seed) {
  line_space = 1;
  for (int d = 0; d < line_digits; ++d) line_space *= 10;
  const uint64_t m = middles ? middles->size() : 1;
  space = prefixes.size() * m * line_space;
  uint64_t key = 0;
  for (char c : country_code + prefixes[0]) key = key * 31 + static_cast<unsigned char>(c);
  permutation = Permutation(space, StreamSeed(seed, kPhoneStream, key));
}

std::string PhonePool::Next() {
  if (next >= space) return {};
  uint64_t k = permutation.Apply(next++);
  const uint64_t line = k % line_space;
  k /= line_space;
  std::string out;
  out.reserve(16);
  out += country_code;
  if (middles) {
    const uint64_t m = middles->size();
    out += prefixes[k / m];
    out += (*middles)[k % m];
  } else {
    out += prefixes[k];
  }
  AppendPadded(out, line, line_digits);
  return out;
}

constexpr std::string_view kUsccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";

std::string MakeUscc(std::string_view admin_code, uint64_t body_number) {
  std::string code = "91";  // registered with market regulation; enterprise
  code += admin_code;
  // Organization code (GB 11714): 8 body digits, then its own check character.
  std::string body;
  AppendPadded(body, body_number, 8);
  static constexpr int kOrgWeights[] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (body[i] - '0') * kOrgWeights[i];
  const int c9 = 11 - sum % 11;
  code += body;
  code.push_back(c9 == 10 ? 'X' : c9 == 11 ? '0' : static_cast<char>('0' + c9));
  static constexpr int kWeights[] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};
  int total = 0;
  for (int i = 0; i < 17; ++i) {
    total += static_cast<int>(kUsccCharset.find(code[i])) * kWeights[i];
  }
  const int check = (31 - total % 31) % 31;
  code.push_back(kUsccCharset[check]);
  return code;
}

}  // namespace crm::engine::demo_internal
