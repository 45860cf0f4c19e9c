// Building blocks of the demo-data generator that know nothing about CRM
// records: the PRNG (splitmix64 seeding, xoshiro256**) and its distributions,
// per-item stream seeds, a Zipf picker, integer and string formatting without
// streams, civil years, a keyed permutation, pools of distinct phone numbers,
// and Chinese unified social credit codes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "crm/engine/engine.h"

namespace crm::engine::demo_internal {

// ---------------------------------------------------------------------------
// Randomness: our own generator and distributions, so that the same options
// give the same records with any standard library.

inline constexpr Micros kSecond = 1'000'000;
inline constexpr Micros kMinute = 60 * kSecond;
inline constexpr Micros kHour = 60 * kMinute;
inline constexpr Micros kDay = 24 * kHour;
inline constexpr Micros kYear = 365 * kDay;

inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A seed for stream `stream`, item `index` of the generator seeded `seed`.
// Every customer draws from its own streams, so its records do not depend on
// how many draws other customers made, nor on the batch size.
uint64_t StreamSeed(uint64_t seed, uint64_t stream, uint64_t index);

enum Stream : uint64_t {
  kPlanStream = 1,
  kUserStream = 2,
  kCustomerStream = 3,
  kChildrenStream = 4,  // contacts and opportunities
  kHistoryStream = 5,   // contracts, tasks, interactions, transactions
  kPhoneStream = 6,     // keys of the phone number permutations
};

__extension__ typedef unsigned __int128 Uint128;

// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); 0 when n is 0. Unbiased: Lemire's multiply-shift with
  // rejection, no division on the common path.
  uint64_t Below(uint64_t n) {
    if (n <= 1) return 0;
    Uint128 m = static_cast<Uint128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi]; lo when hi < lo.
  int64_t Range(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1), 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // True with probability percent / 100.
  bool Percent(uint32_t percent) { return Below(100) < percent; }

  // A Pareto draw with alpha = 4/3 and minimum 1, truncated at 1000: the long
  // tail. Uses only sqrt (correctly rounded everywhere), not pow.
  double Pareto() {
    double u = 1.0 - Unit();  // (0, 1]
    u = std::max(u, 1e-4);    // caps the draw at 1e-4^(-3/4) = 1000
    return 1.0 / (std::sqrt(u) * std::sqrt(std::sqrt(u)));
  }

  // Skewed towards lo: lo + (hi - lo) * u^2 in integers.
  int64_t Skewed(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    const uint64_t r = Below(uint64_t{1} << 16);
    return lo + static_cast<int64_t>((static_cast<uint64_t>(hi - lo) * ((r * r) >> 16)) >> 16);
  }

  template <typename T, size_t N>
  const T& Of(const T (&items)[N]) {
    return items[Below(N)];
  }

  // An index drawn with the given weights.
  template <size_t N>
  size_t Weighted(const uint32_t (&weights)[N]) {
    uint64_t total = 0;
    for (uint32_t w : weights) total += w;
    uint64_t r = Below(total);
    for (size_t i = 0; i < N; ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return N - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Picks ranks with Zipf-like weights (rank r has weight ~ 1 / (r + 2)), so a
// few names are common and the rest make a long tail.
class ZipfTable {
 public:
  explicit ZipfTable(size_t n) {
    uint64_t total = 0;
    for (size_t r = 0; r < n; ++r) {
      total += 1'000'000 / (r + 2);
      cumulative_.push_back(total);
    }
  }
  size_t Pick(Rng& rng) const {
    uint64_t r = rng.Below(cumulative_.back());
    return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), r) -
                               cumulative_.begin());
  }

 private:
  std::vector<uint64_t> cumulative_;
};

// ---------------------------------------------------------------------------
// String helpers (no streams: this runs for millions of records).

// Appends `value` in decimal.
void AppendInt(std::string& out, uint64_t value);

// `value` in decimal, left-padded with zeros to `width` digits.
void AppendPadded(std::string& out, uint64_t value, int width);

// The parts joined, with one allocation.
std::string Concat(std::initializer_list<std::string_view> parts);

// a / b rounded towards negative infinity; requires b != 0.
int64_t FloorDiv(int64_t a, int64_t b);

// The proleptic Gregorian year of `t` (UTC).
int64_t CivilYear(Micros t);

// ---------------------------------------------------------------------------
// Phone numbers: a bijection from a per-pool sequence number to a valid
// number, so that every phone is distinct and valid per libphonenumber.

// A keyed bijection on [0, n): a 4-round Feistel network on the smallest
// even number of bits that holds n - 1, cycle-walked back into range.
class Permutation {
 public:
  Permutation() = default;
  Permutation(uint64_t n, uint64_t key) : n_(n) {
    int bits = 2;
    while (bits < 64 && (uint64_t{1} << bits) < n) bits += 2;
    half_ = bits / 2;
    mask_ = (uint64_t{1} << half_) - 1;
    for (uint64_t& k : keys_) k = SplitMix64(key);
  }
  // Requires x < n.
  uint64_t Apply(uint64_t x) const {
    do {
      x = Rounds(x);
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t Rounds(uint64_t x) const {
    uint64_t left = x >> half_, right = x & mask_;
    for (uint64_t key : keys_) {
      uint64_t f = (right ^ key) * 0xFF51AFD7ED558CCDull;
      f ^= f >> 33;
      f *= 0xC4CEB9FE1A85EC53ull;
      f ^= f >> 29;
      const uint64_t next = left ^ (f & mask_);
      left = right;
      right = next;
    }
    return (left << half_) | right;
  }

  uint64_t n_ = 1;
  int half_ = 1;
  uint64_t mask_ = 1;
  uint64_t keys_[4] = {};
};

// The distinct mobile numbers of one country (or one US area code), handed out
// in the keyed order of `permutation` so that consecutive numbers look random.
struct PhonePool {
  std::string country_code;                           // "+86"
  std::vector<std::string> prefixes;                  // national prefixes
  const std::vector<std::string>* middles = nullptr;  // optional middle part (US exchanges)
  int line_digits = 0;
  uint64_t line_space = 1;  // 10^line_digits
  uint64_t space = 0;       // prefixes x middles x lines
  Permutation permutation;
  uint64_t next = 0;  // sequence number of the next phone

  // Sizes the pool and keys its permutation from `seed` and the number's
  // leading digits; call once, after the fields above are set.
  void Init(uint64_t seed);

  // The next unused number in E.164, or "" when the pool is exhausted.
  std::string Next();
};

// ---------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015) with real check characters.

// The code of an enterprise registered in `admin_code` (six digits); `body_number`
// (< 10^8) is the organization code's serial part.
std::string MakeUscc(std::string_view admin_code, uint64_t body_number);

}  // namespace crm::engine::demo_internal
