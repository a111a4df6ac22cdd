#include "scopefmt.h"
#include "bundle.h"
#include "hash.h"

/* Byte flags over a little-endian word, exact per byte (no carry crosses a byte, since
 * every sum is of two values below 0x80): the high bit of byte k says whether byte k
 * is ASCII upper case, and, in stop, whether it ends a segment's plain run: '/', a
 * control character or DEL. Non-ASCII bytes are neither. */
#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full
#define HIGH 0x8080808080808080ull
static inline uint64_t upper_bits(uint64_t w) {
  uint64_t x = w & LOW7;
  return (x + ONES * (0x80 - 'A')) & ~(x + ONES * (0x80 - 'Z' - 1)) & ~w & HIGH;
}
static inline uint64_t stop_bits(uint64_t w) {
  uint64_t x = w & LOW7, sl = (w ^ ONES * '/') & LOW7;
  uint64_t slash = ~((sl + LOW7) | w);
  uint64_t ctl = ~(x + ONES * (0x80 - 0x20));
  uint64_t del = x + ONES;
  return (slash | ctl | del) & ~w & HIGH;
}
static inline void store_le64(char *p, uint64_t w) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  memcpy(p, &w, 8);
}

/* The common case, a scope already in canonical form but for its case: no doubled or
 * trailing slash, no control character. Then the canonical form is the lower-cased
 * bytes and the depth the number of slashes: one pass of sixteen bytes at a time, the
 * last block overlapping. 0 when the scope needs the general walk below (always
 * without SSE2, which every x86-64 has). */
#if defined(__SSE2__)
#include <emmintrin.h>
static unsigned count16(unsigned m) {      /* set bits of a 16-bit mask */
  m = m - ((m >> 1) & 0x5555u);
  m = (m & 0x3333u) + ((m >> 2) & 0x3333u);
  m = (m + (m >> 4)) & 0x0f0fu;
  return (m + (m >> 8)) & 0x1fu;
}
static int canon_plain(const char *s, size_t n, char *out, uint32_t *depth) {
  if (n < 16 || s[n - 1] == '/') return 0;
  const __m128i slash = _mm_set1_epi8('/'), ctl = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f),
                a = _mm_set1_epi8((char)('A' + 128)), span = _mm_set1_epi8(-128 + 26), bit = _mm_set1_epi8(0x20);
  unsigned d = 0, prev = 0;
  for (size_t i = 0;; i += 16) {
    size_t at = i + 16 <= n ? i : n - 16;
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
    unsigned sl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, slash));
    __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl), _mm_cmpeq_epi8(v, del));
    if (_mm_movemask_epi8(bad) || (sl & (sl >> 1 | prev))) return 0;
    if (out) {
      __m128i up = _mm_cmplt_epi8(_mm_sub_epi8(v, a), span);     /* 'A'..'Z' */
      _mm_storeu_si128((__m128i *)(void *)(out + at), _mm_or_si128(v, _mm_and_si128(up, bit)));
    }
    d += count16(sl & (0xffffu << (i - at)));     /* not the bytes the block before counted */
    if (at + 16 == n) break;
    prev = sl >> 15;            /* a slash ending this block, against the next one's first byte */
  }
  if (d > LIMIT_SCOPE_DEPTH) return 0;
  if (out) out[n] = 0;
  *depth = d;
  return 1;
}
#else
static int canon_plain(const char *s, size_t n, char *out, uint32_t *depth) {
  (void)s; (void)n; (void)out; (void)depth;
  return 0;
}
#endif

ScopeStatus rt_scope_canon(const char *s, size_t n, char *out, size_t *outlen, uint32_t *depth) {
  if (!n) return SCOPE_EMPTY;
  if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == '\t') return SCOPE_BAD_CHAR;
  if (s[0] != '/') return SCOPE_NOT_ID;
  uint32_t pd;
  if (canon_plain(s, n, out, &pd)) {
    if (outlen) *outlen = n;
    if (depth) *depth = pd;
    return SCOPE_OK;
  }
  size_t o = 0;
  uint32_t d = 0;
  for (size_t i = 0; i < n;) {
    while (i < n && s[i] == '/') i++;
    if (i == n) break;
    if (++d > LIMIT_SCOPE_DEPTH) return SCOPE_TOO_DEEP;
    if (out) out[o] = '/';
    o++;
    /* Eight bytes at a time while they are plain. o <= i throughout (every segment's
     * '/' replaces at least one of the input's), so a whole word written at out + o
     * stays within the n bytes read. */
    while (n - i >= 8) {
      uint64_t w = aigw_le64(s + i), stop = stop_bits(w);
      if (out) store_le64(out + o, w | upper_bits(w) >> 2);
      if (!stop) { i += 8; o += 8; continue; }
      size_t k = (size_t)__builtin_ctzll(stop) >> 3;
      i += k; o += k;
      break;
    }
    for (; i < n && s[i] != '/'; i++) {
      unsigned char ch = (unsigned char)s[i];
      if (ch < 0x20 || ch == 0x7f) return SCOPE_BAD_CHAR;
      if (out) out[o] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : (char)ch;
      o++;
    }
  }
  if (!o && out) out[o] = '/';
  if (!o) o++;
  if (out) out[o] = 0;
  if (outlen) *outlen = o;
  if (depth) *depth = d;
  return SCOPE_OK;
}

const char *rt_scope_status_text(ScopeStatus st) {
  switch (st) {
  case SCOPE_OK: return "is a resource ID";
  case SCOPE_EMPTY: return "is empty";
  case SCOPE_NOT_ID: return "does not start with '/'";
  case SCOPE_BAD_CHAR: return "holds a control character or white space at an end";
  case SCOPE_TOO_DEEP: return "has too many segments";
  }
  return "is not a resource ID";
}
