/* The one scan for the bytes a JSON string holds as they are, shared by the reader
 * (jsonin.c: a string without escapes is used in place) and the writer (decision.c: a
 * run without such bytes is copied as it is). */
#ifndef AIGW_JSCAN_H
#define AIGW_JSCAN_H
#include <stdint.h>
#include "hash.h"
#if defined(__SSE2__)
#include <emmintrin.h>

#endif

/* The first byte from p on that a string cannot take as it is: '"', a backslash, a
 * control character or a non-ASCII byte; e if none. Sixteen bytes at a time with SSE2
 * (every x86-64 has it), else eight as flags in each byte's high bit, exact for the
 * lowest flagged byte (which is all that is read). */
static inline __attribute__((always_inline)) const unsigned char *rt_json_plain(const unsigned char *p, const unsigned char *e) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
  while (e - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                             _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));       /* v <= 0x1f */
    unsigned bits = (unsigned)_mm_movemask_epi8(m) | (unsigned)_mm_movemask_epi8(v);  /* | non-ASCII */
    if (bits) return p + __builtin_ctz(bits);
    p += 16;
  }

#endif
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  while (e - p >= 8) {
    uint64_t w = aigw_le64(p), q, b;
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
    if ((m &= high)) return p + (__builtin_ctzll(m) >> 3);
    p += 8;
  }
  while (p < e && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) p++;
  return p;
}

/* The length of the valid UTF-8 sequence at p (not ASCII), 0 if there is none: no
 * overlong forms, no surrogates, nothing past U+10FFFF. */
static inline int rt_utf8_len(const unsigned char *p, const unsigned char *e) {
  unsigned c = p[0];
  if (c < 0xC2 || c > 0xF4) return 0;
  if (c < 0xE0) return e - p >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c < 0xF0) {
    if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return 0;
    return 3;
  }
  if (e - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
  if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)) return 0;
  return 4;
}

#endif
