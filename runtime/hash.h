/* Hashes fixed by the bundle format. Changing any of them changes the format version.
 * FNV-1a 64 over bytes, finished with the splitmix64 mixer so that the low bits used
 * for buckets and split arms are well distributed. Identical on every machine. */
#ifndef AIGW_HASH_H
#define AIGW_HASH_H
#include <stddef.h>
#include <stdint.h>

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

/* String table lookup (input interning). */
static inline uint32_t aigw_hash_str(const void *p, size_t n) {
  return (uint32_t)aigw_mix64(aigw_fnv1a(AIGW_FNV_SEED, p, n));
}
/* Scope trie edge: parent node and the lower-cased segment. */
static inline uint32_t aigw_hash_seg(uint32_t parent, const void *p, size_t n) {
  return (uint32_t)aigw_mix64(aigw_fnv1a(AIGW_FNV_SEED ^ ((uint64_t)parent * 0x9e3779b97f4a7c15ull), p, n));
}
/* Split bucket in [0, 10000): route name, a 0 byte, then the key's bytes. */
static inline uint32_t aigw_split_bucket(const char *route, size_t rn, const void *key, size_t kn) {
  uint64_t h = aigw_fnv1a(AIGW_FNV_SEED, route, rn);
  h = aigw_fnv1a(h, "", 1);
  h = aigw_fnv1a(h, key, kn);
  return (uint32_t)(aigw_mix64(h) % 10000u);
}
#endif
