// HashIndex: an open-addressing multimap from 64-bit keys to 64-bit values.
//
// Keys are hashes or exact numeric keys (a phone's E.164 digits); several
// entries may share a key, so callers verify each candidate against the
// record it names. Linear probing over one flat array: a lookup touches one or
// two cache lines and allocates nothing.
//
// Thread-safety: none of its own; the store's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace crm::engine::internal {

class HashIndex {
 public:
  HashIndex() { slots_.resize(kInitialSlots); }

  // Adds (key, value). Duplicate pairs are allowed and kept. Amortized O(1).
  void Insert(uint64_t key, uint64_t value) {
    if ((used_ + 1) * 10 > slots_.size() * 7) Rehash(live_ * 2 >= slots_.size() / 2
                                                          ? slots_.size() * 2
                                                          : slots_.size());
    key = Normalize(key);
    for (size_t i = Home(key);; i = (i + 1) & Mask()) {
      Slot& s = slots_[i];
      if (s.key == kEmpty || s.key == kTombstone) {
        if (s.key == kEmpty) ++used_;
        s = Slot{key, value};
        ++live_;
        return;
      }
    }
  }

  // Removes one (key, value) pair; returns false when absent. O(1) expected.
  bool Erase(uint64_t key, uint64_t value) {
    key = Normalize(key);
    for (size_t i = Home(key);; i = (i + 1) & Mask()) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) return false;
      if (s.key == key && s.value == value) {
        s.key = kTombstone;
        --live_;
        return true;
      }
    }
  }

  // Calls fn(value) for each value stored under `key` until fn returns true;
  // returns whether one did. Allocates nothing.
  template <typename Fn>
  bool Find(uint64_t key, Fn&& fn) const {
    key = Normalize(key);
    for (size_t i = Home(key);; i = (i + 1) & Mask()) {
      const Slot& s = slots_[i];
      if (s.key == kEmpty) return false;
      if (s.key == key && fn(s.value)) return true;
    }
  }

  size_t size() const { return live_; }
  // Bytes held by the slot array.
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }
  // Makes room for `n` entries without rehashing on the way.
  void Reserve(size_t n) {
    size_t want = kInitialSlots;
    while (want * 7 < n * 10) want *= 2;
    if (want > slots_.size()) Rehash(want);
  }

 private:
  struct Slot {
    uint64_t key;
    uint64_t value;
  };
  static constexpr uint64_t kEmpty = 0;
  static constexpr uint64_t kTombstone = 1;
  static constexpr size_t kInitialSlots = 64;

  // Keys 0 and 1 mark empty and deleted slots; real keys 0/1 share 2/3's slot
  // chain, which is harmless since candidates are verified anyway.
  static uint64_t Normalize(uint64_t key) { return key < 2 ? key + 2 : key; }
  // Mixes the key (murmur3's finalizer) so exact numeric keys spread out.
  size_t Home(uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return static_cast<size_t>(key) & Mask();
  }
  size_t Mask() const { return slots_.size() - 1; }

  void Rehash(size_t new_size) {
    std::vector<Slot> old(new_size, Slot{kEmpty, 0});
    old.swap(slots_);
    used_ = live_ = 0;
    for (const Slot& s : old) {
      if (s.key == kEmpty || s.key == kTombstone) continue;
      for (size_t i = Home(s.key);; i = (i + 1) & Mask()) {
        if (slots_[i].key == kEmpty) {
          slots_[i] = s;
          ++used_;
          ++live_;
          break;
        }
      }
    }
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;  // live + tombstones
  size_t live_ = 0;
};

}  // namespace crm::engine::internal
