#include "diag.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(DiagSink *d) { memset(d, 0, sizeof *d); }

void diag_free(DiagSink *d) {
  for (int i = 0; i < d->nfiles; i++) {
    xfree(d->files[i]->name); xfree(d->files[i]->text); xfree(d->files[i]->lines);
    xfree(d->files[i]);
  }
  for (int i = 0; i < d->n; i++) { xfree(d->items[i].msg); xfree(d->items[i].help); }
  xfree(d->files); xfree(d->items);
  memset(d, 0, sizeof *d);
}

int diag_add_source(DiagSink *d, const char *name, char *text, uint32_t len) {
  Source *s = xcalloc(1, sizeof *s);
  s->name = xstrndup(name, strlen(name));
  s->text = text; s->len = len;
  d->files = xrealloc(d->files, sizeof *d->files * (size_t)(d->nfiles + 1));
  d->files[d->nfiles] = s;
  return d->nfiles++;
}

int diag_load_file(DiagSink *d, const char *path) {
  char *text; size_t len;
  if (read_file(path, &text, &len, DIAG_MAX_FILE) != 0) {
    if (errno == EFBIG)
      diag_report(d, DIAG_ERR, -1, 0, 0, "%s: file too large (limit is %u MiB)", path,
                  (unsigned)(DIAG_MAX_FILE >> 20));
    else
      diag_report(d, DIAG_ERR, -1, 0, 0, "%s: cannot read: %s", path, strerror(errno));
    return -1;
  }
  return diag_add_source(d, path, text, (uint32_t)len);
}

static char *vfmt(const char *fmt, va_list ap) {
  Buf b = {0};
  buf_vprintf(&b, fmt, ap);
  buf_put(&b, NULL, 0);
  return b.p;
}

void diag_report(DiagSink *d, DiagLevel lv, int file, uint32_t off, uint32_t len,
                 const char *fmt, ...) {
  if (lv == DIAG_ERR) d->errors++;
  else if (lv == DIAG_WARN) d->warnings++;
  if (lv == DIAG_ERR && d->errors > DIAG_ERROR_CAP) { d->suppressed++; return; }
  if (d->n == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 16;
    d->items = xrealloc(d->items, sizeof *d->items * (size_t)d->cap);
  }
  va_list ap;
  va_start(ap, fmt);
  d->items[d->n++] = (Diag){lv, file, off, len, vfmt(fmt, ap), NULL};
  va_end(ap);
}

void diag_help(DiagSink *d, const char *fmt, ...) {
  if (!d->n || (d->errors > DIAG_ERROR_CAP)) return;
  Diag *g = &d->items[d->n - 1];
  va_list ap;
  va_start(ap, fmt);
  xfree(g->help);
  g->help = vfmt(fmt, ap);
  va_end(ap);
}

/* True once an error past the cap was counted: callers may stop, and the report ends
 * with a note saying that errors were left out. */
int diag_capped(const DiagSink *d) { return d->suppressed > 0; }

/* Length of the valid UTF-8 sequence at p (before end), or 0 when the byte at p does
 * not start one. Columns count one per character and one per invalid byte, and the
 * printed line shows each invalid byte as '?', so the caret stays under its target. */
static unsigned u8len(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0], n, min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
  else return 0;
  if (end - p < (long)n) return 0;
  unsigned cp = c & (0x7F >> n);
  for (unsigned i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* Columns between byte offsets from and to, stepping by characters. */
static uint32_t columns(const Source *s, uint32_t from, uint32_t to) {
  const unsigned char *t = (const unsigned char *)s->text, *end = t + s->len;
  uint32_t c = 0;
  for (uint32_t i = from; i < to; c++) {
    unsigned n = u8len(t + i, end);
    i += n ? n : 1;
  }
  return c;
}

static void build_lines(Source *s) {
  uint32_t n = 1;
  for (uint32_t i = 0; i < s->len; i++) n += s->text[i] == '\n';
  s->lines = xmalloc(sizeof *s->lines * n);
  s->lines[0] = 0;
  n = 1;
  for (uint32_t i = 0; i < s->len; i++)
    if (s->text[i] == '\n') s->lines[n++] = i + 1;
  s->nlines = n;
}

void diag_linecol(DiagSink *d, int file, uint32_t off, uint32_t *line, uint32_t *col) {
  Source *s = d->files[file];
  if (!s->lines) build_lines(s);
  if (off > s->len) off = s->len;
  uint32_t lo = 0, hi = s->nlines;           /* last line start <= off */
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (s->lines[mid] <= off) lo = mid; else hi = mid;
  }
  *line = lo + 1;
  /* columns count characters, not bytes, so carets line up under UTF-8 text; a byte
   * order mark (which the lexer skips) takes no column */
  uint32_t start = s->lines[lo];
  if (start == 0 && s->len >= 3 && !memcmp(s->text, "\xEF\xBB\xBF", 3) && off >= 3) start = 3;
  *col = columns(s, start, off) + 1;
}

static const char *level_name[] = {"error", "warning", "note"};

void diag_print_one(DiagSink *d, const Diag *g, Buf *out) {
  if (g->file < 0) {
    buf_printf(out, "aigwc: %s: %s\n", level_name[g->level], g->msg);
    if (g->help) buf_printf(out, "  help: %s\n", g->help);
    return;
  }
  Source *s = d->files[g->file];
  uint32_t line, col;
  diag_linecol(d, g->file, g->off, &line, &col);
  buf_printf(out, "%s:%u:%u: %s: %s\n", s->name, line, col, level_name[g->level], g->msg);
  uint32_t start = s->lines[line - 1], end = start;
  while (end < s->len && s->text[end] != '\n' && s->text[end] != '\r') end++;
  /* a very long line is cut around the caret so the report stays readable */
  uint32_t from = start, to = end;
  if (to - from > 160) {
    from = g->off > start + 60 ? g->off - 60 : start;
    to = from + 160 < end ? from + 160 : end;
  }
  /* a cut may land inside a character: move to the start of the next one */
  while (from > start && from < g->off && ((unsigned char)s->text[from] & 0xC0) == 0x80) from++;
  buf_puts(out, "  ");
  const unsigned char *t = (const unsigned char *)s->text, *tend = t + to;
  for (uint32_t i = from; i < to;) {
    unsigned n = u8len(t + i, tend);
    unsigned char c = t[i];
    if (n > 1) buf_put(out, t + i, n);
    else buf_putc(out, c == '\t' ? ' ' : (n == 0 || c < 0x20 || c == 0x7f) ? '?' : (char)c);
    i += n ? n : 1;
  }
  buf_puts(out, "\n  ");
  uint32_t caret = g->off < to ? g->off : to;
  uint32_t pad = columns(s, from, caret);
  for (uint32_t i = 0; i < pad; i++) buf_putc(out, ' ');
  buf_putc(out, '^');
  uint32_t uend = g->off + g->len < to ? g->off + g->len : to;
  uint32_t ul = uend > caret ? columns(s, caret, uend) : 0;
  for (uint32_t i = 1; i < ul; i++) buf_putc(out, '~');
  buf_putc(out, '\n');
  if (g->help) buf_printf(out, "  help: %s\n", g->help);
}

void diag_print(DiagSink *d, FILE *out) {
  Buf b = {0};
  for (int i = 0; i < d->n; i++) diag_print_one(d, &d->items[i], &b);
  if (d->suppressed)   /* callers stop at the cap, so how many more is not known */
    buf_printf(&b, "aigwc: note: too many errors; the rest are not shown (limit is %d)\n",
               DIAG_ERROR_CAP);
  if (b.n) fwrite(b.p, 1, b.n, out);
  buf_free(&b);
}
