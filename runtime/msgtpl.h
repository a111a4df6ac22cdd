/* Message templates, as the compiler writes them and the runtime reads them: literal
 * text where `{}` is a hole (filled from the next argument program) and `{{` and `}}`
 * are literal braces. One reader for the renderer and the verifier, one writer for the
 * compiler, so the three cannot disagree on what a hole is. */
#ifndef AIGW_MSGTPL_H
#define AIGW_MSGTPL_H
#include <stddef.h>
#include "hash.h"

enum { TPL_END, TPL_TEXT, TPL_HOLE };
#define TPL_HOLE_TEXT "{}"

/* The first brace in t[k..n), or n: eight bytes a step, since every finding's message
 * is read through here. A byte of w equal to '{' or '}' is a zero byte of w ^ that
 * brace; the lowest flag that the zero-byte test raises is always a true one. */
static inline size_t tpl_plain(const char *t, size_t k, size_t n) {
  const uint64_t ones = 0x0101010101010101ull, high = ones << 7;
  for (; k + 8 <= n; k += 8) {
    uint64_t w = aigw_le64(t + k), a = w ^ (ones * '{'), b = w ^ (ones * '}');
    uint64_t m = (((a - ones) & ~a) | ((b - ones) & ~b)) & high;
    if (m) return k + (size_t)(__builtin_ctzll(m) >> 3);
  }
  while (k < n && t[k] != '{' && t[k] != '}') k++;
  return k;
}

/* The piece of t[0..n) at *i: TPL_TEXT with literal bytes t[*start .. *start + *len),
 * TPL_HOLE, or TPL_END; advances *i. A lone brace is literal text. */
static inline int tpl_next(const char *t, size_t n, size_t *i, size_t *start, size_t *len) {
  size_t k = *i;
  if (k >= n) return TPL_END;
  char ch = t[k], nx = k + 1 < n ? t[k + 1] : 0;
  if (ch == '{' && nx == '}') { *i = k + 2; return TPL_HOLE; }
  if ((ch == '{' && nx == '{') || (ch == '}' && nx == '}')) { *start = k; *len = 1; *i = k + 2; return TPL_TEXT; }
  size_t e = tpl_plain(t, k + 1, n);
  *start = k; *len = e - k; *i = e;
  return TPL_TEXT;
}

/* How the compiler writes a literal byte: braces doubled. */
static inline const char *tpl_literal(char ch, char buf[2]) {
  if (ch == '{') return "{{";
  if (ch == '}') return "}}";
  buf[0] = ch; buf[1] = 0;
  return buf;
}
#endif
