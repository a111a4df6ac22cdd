/* Report tables and their 80-column text rendering. Every cell is made printable when
 * it is added (a hostile bundle's owner string must not drive the terminal), and
 * widths count code points, so UTF-8 owners align like ASCII ones. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "audit.h"
#include "audit_text.h"

void rtab_init(RTable *t, const RCol *cols, size_t ncols) {
  memset(t, 0, sizeof *t);
  t->cols = cols;
  t->ncols = ncols;
}

void rtab_free(RTable *t) {
  buf_free(&t->text);
  xfree(t->cell);
  xfree(t->color);
  memset(t, 0, sizeof *t);
}

void rtab_row(RTable *t, int color) {
  /* a row left short is completed with empty cells */
  while (t->nrows && t->ncells < t->nrows * t->ncols) rtab_cell(t, "");
  if (t->nrows + 1 > t->cap) {
    t->cap = t->cap ? t->cap * 2 : 16;
    t->cell = xrealloc(t->cell, sizeof *t->cell * t->cap * t->ncols);
    t->color = xrealloc(t->color, sizeof *t->color * t->cap);
  }
  t->color[t->nrows++] = color;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (!len || len > n) return 0;
  for (size_t i = 1; i < len; i++) if ((s[i] & 0xc0) != 0x80) return 0;
  if (c == 0xe0 && s[1] < 0xa0) return 0;                 /* overlong */
  if (c == 0xed && s[1] >= 0xa0) return 0;                /* surrogate */
  if (c == 0xf0 && s[1] < 0x90) return 0;                 /* overlong */
  if (c == 0xf4 && s[1] >= 0x90) return 0;                /* beyond U+10FFFF */
  return len;
}

void rtext_clean(Buf *out, const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t n = strlen((const char *)p);
  for (size_t i = 0; i < n;) {
    size_t run = i;   /* printable ASCII, the common case, is copied a run at a time */
    while (run < n && p[run] >= 0x20 && p[run] < 0x7f) run++;
    if (run > i) { buf_put(out, p + i, run - i); i = run; continue; }
    size_t len = utf8_len(p + i, n - i);
    if (len == 1) { buf_putc(out, p[i] == '\t' || p[i] == '\n' || p[i] == '\r' ? ' ' : '?'); i++; continue; }
    /* C1 controls (U+0080-U+009F) act on some terminals */
    if (!len || (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) { buf_putc(out, '?'); i += len ? len : 1; continue; }
    buf_put(out, p + i, len);
    i += len;
  }
}

void rtab_cell(RTable *t, const char *s) {
  if (!t->nrows || t->ncells >= t->nrows * t->ncols) return;
  t->cell[t->ncells++] = t->text.n;
  rtext_clean(&t->text, s);
  buf_putc(&t->text, 0);
}

void rtab_cellf(RTable *t, const char *fmt, ...) {
  Buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  rtab_cell(t, b.p ? b.p : "");
  buf_free(&b);
}

const char *rtab_at(const RTable *t, size_t row, size_t col) {
  size_t k = row * t->ncols + col;
  return k < t->ncells ? t->text.p + t->cell[k] : "";
}

size_t rtext_width(const char *s) {
  size_t w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
  return w;
}

/* Byte offset after the first k code points of s. */
static size_t cp_bytes(const char *s, size_t k) {
  size_t i = 0;
  while (s[i] && k) {
    i++;
    while (((unsigned char)s[i] & 0xc0) == 0x80) i++;
    k--;
  }
  return i;
}

size_t rtext_cut(Buf *out, const char *s, size_t w, int middle) {
  size_t have = rtext_width(s);
  if (have <= w) { buf_puts(out, s); return have; }
  if (!w) return 0;
  size_t keep = w - 1, head = middle ? keep / 3 : keep;
  size_t hb = cp_bytes(s, head);
  buf_put(out, s, hb);
  buf_puts(out, "\xe2\x80\xa6");
  if (middle) buf_puts(out, s + cp_bytes(s, have - (keep - head)));
  return w;
}

/* ---- the text sink ---- */

enum { INDENT = 2, GAP = 2, DETAIL_INDENT = 4, FLEX_MIN = 8 };

static const char *const ansi[AUDIT_NSTATUS] = {"\033[32m", "\033[33m", "\033[31m", "\033[36m"};

static void pad(Buf *out, size_t n) {
  static const char spaces[] = "                                                                                ";
  while (n) {
    size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
    buf_put(out, spaces, k);
    n -= k;
  }
}
/* Ends a line without trailing blanks (an empty last cell leaves padding behind). */
static void end_line(Buf *out) {
  while (out->n && out->p[out->n - 1] == ' ') out->n--;
  buf_putc(out, '\n');
}

/* Prose made printable and wrapped at spaces to AUDIT_WIDTH; continuation lines are
 * indented; a word wider than a line is cut in the middle. */
static void wrap(Buf *out, const char *text) {
  Buf c = {0};
  rtext_clean(&c, text);
  size_t col = 0;
  const char *p = c.p ? c.p : "";
  while (*p) {
    while (*p == ' ') p++;
    if (!*p) break;
    const char *e = strchr(p, ' ');
    if (!e) e = p + strlen(p);
    Buf w = {0};
    buf_put(&w, p, (size_t)(e - p));
    size_t ww = rtext_width(w.p);
    if (col && col + 1 + ww > AUDIT_WIDTH) { buf_puts(out, "\n  "); col = 2; }
    else if (col) { buf_putc(out, ' '); col++; }
    col += rtext_cut(out, w.p, AUDIT_WIDTH - col, 1);
    buf_free(&w);
    p = e;
  }
  buf_putc(out, '\n');
  buf_free(&c);
}

static void text_title(RSink *s, const char *text) { wrap(s->out, text); }
static void text_heading(RSink *s, const char *text) { buf_putc(s->out, '\n'); wrap(s->out, text); }
static void text_line(RSink *s, const char *text) { wrap(s->out, text); }
static void text_fold(RSink *s, const char *summary) { text_heading(s, summary); }
static void text_end(RSink *s) { (void)s; }

/* Widths for the columns on a row's first line, cut to fit AUDIT_WIDTH. */
static void widths(const RTable *t, size_t *w) {
  size_t total = INDENT, shown = 0;
  for (size_t c = 0; c < t->ncols; c++) {
    w[c] = 0;
    if (t->cols[c].flags & (RCOL_DETAIL | RCOL_NOTEXT)) continue;
    w[c] = rtext_width(t->cols[c].head);
    for (size_t r = 0; r < t->nrows; r++) {
      size_t cw = rtext_width(rtab_at(t, r, c));
      if (cw > w[c]) w[c] = cw;
    }
    total += w[c] + (shown++ ? GAP : 0);
  }
  while (total > AUDIT_WIDTH) {
    size_t best = t->ncols;
    for (size_t c = 0; c < t->ncols; c++) {
      if (!(t->cols[c].flags & RCOL_FLEX) || (t->cols[c].flags & RCOL_DETAIL)) continue;
      size_t min = rtext_width(t->cols[c].head);
      if (min < FLEX_MIN) min = FLEX_MIN;
      if (w[c] > min && (best == t->ncols || w[c] > w[best])) best = c;
    }
    if (best == t->ncols) break;   /* nothing left to cut: the table is as narrow as it gets */
    w[best]--;
    total--;
  }
}

static void cell_out(RSink *s, const RTable *t, size_t r, size_t c, size_t w, int last) {
  const char *text = rtab_at(t, r, c);
  unsigned fl = t->cols[c].flags;
  size_t cw = rtext_width(text);
  if (cw > w) cw = w;
  if ((fl & RCOL_RIGHT)) pad(s->out, w - cw);
  int col = s->color && (fl & RCOL_STATUS) && t->color[r] >= 0 && t->color[r] < AUDIT_NSTATUS;
  if (col) buf_puts(s->out, ansi[t->color[r]]);
  rtext_cut(s->out, text, w, (fl & RCOL_MIDDLE) != 0);
  if (col) buf_puts(s->out, "\033[0m");
  if (!(fl & RCOL_RIGHT) && !last) pad(s->out, w - cw);
}

/* A row's further lines: each RCOL_ALONE detail on a line of its own ("scope …", cut
 * in the middle), then the other details as "label value · label value", cut to fit. */
static void detail_out(RSink *s, const RTable *t, size_t r) {
  size_t room = AUDIT_WIDTH - DETAIL_INDENT;
  Buf line = {0};
  for (size_t c = 0; c < t->ncols; c++) {
    const char *v = rtab_at(t, r, c);
    unsigned fl = t->cols[c].flags;
    if (!(fl & RCOL_DETAIL) || (fl & RCOL_NOTEXT) || !*v) continue;
    if (fl & RCOL_ALONE) {
      size_t lw = *t->cols[c].label ? rtext_width(t->cols[c].label) + 1 : 0;
      pad(s->out, DETAIL_INDENT);
      if (lw) buf_printf(s->out, "%s ", t->cols[c].label);
      rtext_cut(s->out, v, room > lw ? room - lw : 1, (fl & RCOL_MIDDLE) != 0);
      end_line(s->out);
      continue;
    }
    if (line.n) buf_puts(&line, " \xc2\xb7 ");
    buf_printf(&line, "%s %s", t->cols[c].label, v);
  }
  if (line.n) {
    pad(s->out, DETAIL_INDENT);
    rtext_cut(s->out, line.p, room, 0);
    end_line(s->out);
  }
  buf_free(&line);
}

static void text_table(RSink *s, const RTable *t) {
  size_t *w = xmalloc(sizeof *w * (t->ncols ? t->ncols : 1)), lastc = 0;
  widths(t, w);
  for (size_t c = 0; c < t->ncols; c++) if (!(t->cols[c].flags & (RCOL_DETAIL | RCOL_NOTEXT))) lastc = c;
  pad(s->out, INDENT);
  for (size_t c = 0, k = 0; c < t->ncols; c++) {
    if (t->cols[c].flags & (RCOL_DETAIL | RCOL_NOTEXT)) continue;
    if (k++) pad(s->out, GAP);
    Buf h = {0};
    for (const char *p = t->cols[c].head; *p; p++) buf_putc(&h, *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p);
    size_t hw = rtext_width(h.p);
    if (t->cols[c].flags & RCOL_RIGHT) pad(s->out, w[c] > hw ? w[c] - hw : 0);
    rtext_cut(s->out, h.p, w[c], 0);
    if (!(t->cols[c].flags & RCOL_RIGHT) && c != lastc) pad(s->out, w[c] > hw ? w[c] - hw : 0);
    buf_free(&h);
  }
  end_line(s->out);
  for (size_t r = 0; r < t->nrows; r++) {
    pad(s->out, INDENT);
    for (size_t c = 0, k = 0; c < t->ncols; c++) {
      if (t->cols[c].flags & (RCOL_DETAIL | RCOL_NOTEXT)) continue;
      if (k++) pad(s->out, GAP);
      cell_out(s, t, r, c, w[c], c == lastc);
    }
    end_line(s->out);
    detail_out(s, t, r);
  }
  xfree(w);
}

void rsink_text(RSink *s, Buf *out, int color) {
  memset(s, 0, sizeof *s);
  s->title = text_title; s->heading = text_heading; s->line = text_line;
  s->table = text_table; s->fold = text_fold; s->end = text_end;
  s->out = out; s->color = color;
}
