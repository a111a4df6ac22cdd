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

int diag_capped(const DiagSink *d) { return d->errors >= DIAG_ERROR_CAP; }

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
  /* columns count characters, not bytes, so carets line up under UTF-8 text */
  uint32_t c = 1;
  for (uint32_t i = s->lines[lo]; i < off; i++)
    if (((unsigned char)s->text[i] & 0xC0) != 0x80) c++;
  *col = c;
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
  buf_puts(out, "  ");
  uint32_t pad = 0;
  for (uint32_t i = from; i < to; i++) {
    unsigned char c = (unsigned char)s->text[i];
    buf_putc(out, c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c);
  }
  buf_puts(out, "\n  ");
  for (uint32_t i = from; i < g->off && i < to; i++)
    if (((unsigned char)s->text[i] & 0xC0) != 0x80) pad++;
  for (uint32_t i = 0; i < pad; i++) buf_putc(out, ' ');
  buf_putc(out, '^');
  uint32_t ul = 0;
  for (uint32_t i = g->off + 1; i < g->off + g->len && i < to; i++)
    if (((unsigned char)s->text[i] & 0xC0) != 0x80) ul++;
  for (uint32_t i = 0; i < ul; i++) buf_putc(out, '~');
  buf_putc(out, '\n');
  if (g->help) buf_printf(out, "  help: %s\n", g->help);
}

void diag_print(DiagSink *d, FILE *out) {
  Buf b = {0};
  for (int i = 0; i < d->n; i++) diag_print_one(d, &d->items[i], &b);
  if (d->suppressed)
    buf_printf(&b, "aigwc: note: %d more errors not shown (limit is %d)\n", d->suppressed,
               DIAG_ERROR_CAP);
  if (b.n) fwrite(b.p, 1, b.n, out);
  buf_free(&b);
}
