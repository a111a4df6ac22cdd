#include "scopefmt.h"
#include "bundle.h"

ScopeStatus rt_scope_canon(const char *s, size_t n, char *out, size_t *outlen, uint32_t *depth) {
  if (!n) return SCOPE_EMPTY;
  if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == '\t') return SCOPE_BAD_CHAR;
  if (s[0] != '/') return SCOPE_NOT_ID;
  size_t o = 0;
  uint32_t d = 0;
  for (size_t i = 0; i < n;) {
    while (i < n && s[i] == '/') i++;
    if (i == n) break;
    if (++d > LIMIT_SCOPE_DEPTH) return SCOPE_TOO_DEEP;
    if (out) out[o] = '/';
    o++;
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
