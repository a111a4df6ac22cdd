/* Message templates, as the compiler writes them and the runtime reads them: literal
 * text where `{}` is a hole (filled from the next argument program) and `{{` and `}}`
 * are literal braces. One reader for the renderer and the verifier, one writer for the
 * compiler, so the three cannot disagree on what a hole is. */
#ifndef AIGW_MSGTPL_H
#define AIGW_MSGTPL_H
#include <stddef.h>

enum { TPL_END, TPL_TEXT, TPL_HOLE };
#define TPL_HOLE_TEXT "{}"

/* The piece of t[0..n) at *i: TPL_TEXT with literal bytes t[*start .. *start + *len),
 * TPL_HOLE, or TPL_END; advances *i. A lone brace is literal text. */
static inline int tpl_next(const char *t, size_t n, size_t *i, size_t *start, size_t *len) {
  size_t k = *i;
  if (k >= n) return TPL_END;
  char ch = t[k], nx = k + 1 < n ? t[k + 1] : 0;
  if (ch == '{' && nx == '}') { *i = k + 2; return TPL_HOLE; }
  if ((ch == '{' && nx == '{') || (ch == '}' && nx == '}')) { *start = k; *len = 1; *i = k + 2; return TPL_TEXT; }
  size_t e = k + 1;
  while (e < n && t[e] != '{' && t[e] != '}') e++;
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
