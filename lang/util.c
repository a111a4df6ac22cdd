#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long util_fail_countdown = 0;

static void oom(void) {
  fputs("aigwc: out of memory\n", stderr);
  exit(2);
}

/* The countdown lets a test fail exactly the Nth allocation; the process then exits
 * cleanly with status 2, which is what the allocation-failure loop checks. */
static int should_fail(void) {
  return util_fail_countdown > 0 && --util_fail_countdown == 0;
}

void *xmalloc(size_t n) {
  void *p = should_fail() ? NULL : malloc(n ? n : 1);
  if (!p) oom();
  return p;
}
void *xrealloc(void *q, size_t n) {
  void *p = should_fail() ? NULL : realloc(q, n ? n : 1);
  if (!p) oom();
  return p;
}
void *xcalloc(size_t n, size_t m) {
  void *p = should_fail() ? NULL : calloc(n ? n : 1, m ? m : 1);
  if (!p) oom();
  return p;
}
void xfree(void *p) { free(p); }
char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n); p[n] = 0;
  return p;
}

void buf_put(Buf *b, const void *p, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
  b->p[b->n] = 0;
}
void buf_puts(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }
void buf_putc(Buf *b, char c) { buf_put(b, &c, 1); }
void buf_vprintf(Buf *b, const char *fmt, va_list ap) {
  char tmp[256];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  if (n < 0) { va_end(ap2); return; }
  if ((size_t)n < sizeof tmp) { buf_put(b, tmp, (size_t)n); va_end(ap2); return; }
  buf_put(b, NULL, 0);
  if (b->n + (size_t)n + 1 > b->cap) {
    b->cap = b->n + (size_t)n + 1;
    b->p = xrealloc(b->p, b->cap);
  }
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap2);
  b->n += (size_t)n;
  va_end(ap2);
}
void buf_printf(Buf *b, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); buf_vprintf(b, fmt, ap); va_end(ap);
}
void buf_free(Buf *b) { xfree(b->p); b->p = NULL; b->n = b->cap = 0; }

void buf_json_str(Buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_putc(b, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    buf_put(b, s + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': buf_puts(b, "\\\""); break;
    case '\\': buf_puts(b, "\\\\"); break;
    case '\n': buf_puts(b, "\\n"); break;
    case '\t': buf_puts(b, "\\t"); break;
    case '\r': buf_puts(b, "\\r"); break;
    default: {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_put(b, e, 6);
    }
    }
  }
  buf_put(b, s + run, n - run);
  buf_putc(b, '"');
}

int edit_distance(const char *a, size_t na, const char *b, size_t nb, int cap) {
  if (na > 64 || nb > 64) return cap + 1;
  if ((na > nb ? na - nb : nb - na) > (size_t)cap) return cap + 1;
  int row[65];
  for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= na; i++) {
    int prev = row[0], best;
    row[0] = (int)i;
    best = row[0];
    for (size_t j = 1; j <= nb; j++) {
      int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;   /* case-insensitive */
      int cur = row[j];
      int v = prev + (ca != cb);
      if (row[j] + 1 < v) v = row[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      prev = cur;
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
  }
  return row[nb] > cap ? cap + 1 : row[nb];
}

int read_file(const char *path, char **out, size_t *len, size_t limit) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return -1;
  Buf b = {0};
  char tmp[65536];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
    if (b.n + n > limit) { buf_free(&b); if (f != stdin) fclose(f); errno = EFBIG; return -1; }
    buf_put(&b, tmp, n);
  }
  int err = ferror(f);
  if (f != stdin) fclose(f);
  if (err) { buf_free(&b); errno = EIO; return -1; }
  buf_put(&b, NULL, 0);
  *out = b.p; *len = b.n;
  return 0;
}
