/* Hashes fixed by the bundle format. Changing any of them changes the format version.
 * Identical on every machine: integer arithmetic modulo 2^64 over the bytes read as
 * little-endian words, whatever the host's byte order (docs/bundle.md, "Hashes").
 *
 * Table hashes (strings, trie edges) read eight bytes per step: they run on every
 * string of every request. The split bucket stays FNV-1a byte by byte: it decides
 * which arm a principal gets, so it must never change (a split is sticky). */
#ifndef AIGW_HASH_H
#define AIGW_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t aigw_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static inline uint64_t aigw_fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++) { h ^= s[i]; h *= 0x100000001b3ull; }
  return h;
}
#define AIGW_FNV_SEED 0xcbf29ce484222325ull

/* Little-endian loads: one instruction on x86 and arm64. */
static inline uint64_t aigw_le64(const void *p) {
  uint64_t w;
  memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}
static inline uint32_t aigw_le32(const void *p) {
  uint32_t w;
  memcpy(&w, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap32(w);
#endif
  return w;
}

/* Whether a and b hold the same n bytes. Table lookups compare short strings (names,
 * models, segments): overlapping word loads instead of a call to memcmp. */
static inline int aigw_eq(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  if (n >= 8 && n <= 16)
    return !((aigw_le64(x) ^ aigw_le64(y)) | (aigw_le64(x + n - 8) ^ aigw_le64(y + n - 8)));
  if (n >= 4 && n < 8) return !((aigw_le32(x) ^ aigw_le32(y)) | (aigw_le32(x + n - 4) ^ aigw_le32(y + n - 4)));
  return !memcmp(x, y, n);
}

/* The unfinished 64-bit hash of n bytes: the length, then each word w folded as
 * h = (rotl(h, 23) XOR w) * K. The last word overlaps the one before it when n is not
 * a multiple of 8; fewer than 8 bytes are read as two overlapping halves, or for under
 * 4 bytes as the first, middle and last byte. Every byte reaches h, and the length
 * tells apart inputs whose words coincide. */
#define AIGW_WORD_K 0x9fb21c651e98df25ull
static inline uint64_t aigw_fold(uint64_t h, uint64_t w) {
  return (((h << 23) | (h >> 41)) ^ w) * AIGW_WORD_K;
}
static inline uint64_t aigw_hash_raw(const void *p, size_t n) {
  const unsigned char *s = p;
  uint64_t h = AIGW_FNV_SEED ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 < n; i += 8) h = aigw_fold(h, aigw_le64(s + i));
    return aigw_fold(h, aigw_le64(s + n - 8));
  }
  if (n >= 4) return aigw_fold(h, (uint64_t)aigw_le32(s) << 32 | aigw_le32(s + n - 4));
  if (n) return aigw_fold(h, (uint64_t)s[0] << 16 | (uint64_t)s[n / 2] << 8 | s[n - 1]);
  return h;
}

/* String table lookup (input interning). */
static inline uint32_t aigw_hash_str(const void *p, size_t n) {
  return (uint32_t)aigw_mix64(aigw_hash_raw(p, n));
}
/* Scope trie paths: the root's path hash is AIGW_PATH_SEED, a node's is its parent's
 * folded with the raw hash of its lower-cased segment (a glob's pattern as written), and
 * its low 32 bits place the edge that reaches it. A place depends on the path, not on
 * node numbers, so a walk knows each level's place along the input's literal path
 * before it has found a single node, and asks for all of them at once. */
#define AIGW_PATH_SEED 0x243f6a8885a308d3ull
static inline uint64_t aigw_path_next(uint64_t path, uint64_t seg_raw) {
  return aigw_mix64(aigw_fold(path, seg_raw));
}
/* Split bucket in [0, 10000): route name, a 0 byte, then the key's bytes. */
static inline uint32_t aigw_split_bucket(const char *route, size_t rn, const void *key, size_t kn) {
  uint64_t h = aigw_fnv1a(AIGW_FNV_SEED, route, rn);
  h = aigw_fnv1a(h, "", 1);
  h = aigw_fnv1a(h, key, kn);
  return (uint32_t)(aigw_mix64(h) % 10000u);
}
#endif
