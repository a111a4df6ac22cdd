/* The report as GitHub-flavoured Markdown, for a pull-request comment: headings, GFM
 * tables, and the long exemption listing folded in <details>. Every cell's punctuation
 * is escaped, so an owner or a scope can neither break a table nor inject HTML. */
#include <string.h>
#include "audit.h"
#include "audit_text.h"

/* Text with Markdown's active characters escaped; a '|' would end a cell. */
static void md_text(Buf *out, const char *text) {
  Buf c = {0};
  rtext_clean(&c, text);
  for (const char *s = c.p ? c.p : ""; *s; s++) {
    if (strchr("\\`*_[]<>|~&#", *s)) buf_putc(out, '\\');
    buf_putc(out, *s);
  }
  buf_free(&c);
}

static void md_title(RSink *s, const char *text) { buf_puts(s->out, "## "); md_text(s->out, text); buf_puts(s->out, "\n\n"); }
static void md_heading(RSink *s, const char *text) { buf_puts(s->out, "### "); md_text(s->out, text); buf_puts(s->out, "\n\n"); }
static void md_line(RSink *s, const char *text) { md_text(s->out, text); buf_puts(s->out, "\n\n"); }

static void md_table(RSink *s, const RTable *t) {
  Buf *o = s->out;
  for (size_t c = 0; c < t->ncols; c++) {
    if (t->cols[c].flags & RCOL_NOMD) continue;
    buf_puts(o, "| ");
    md_text(o, t->cols[c].head);
    buf_putc(o, ' ');
  }
  buf_puts(o, "|\n");
  for (size_t c = 0; c < t->ncols; c++)
    if (!(t->cols[c].flags & RCOL_NOMD)) buf_puts(o, t->cols[c].flags & RCOL_RIGHT ? "| ---: " : "| --- ");
  buf_puts(o, "|\n");
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->ncols; c++) {
      if (t->cols[c].flags & RCOL_NOMD) continue;
      buf_puts(o, "| ");
      md_text(o, rtab_at(t, r, c));
      buf_putc(o, ' ');
    }
    buf_puts(o, "|\n");
  }
  buf_putc(o, '\n');
}

/* GFM renders a table inside <details> when blank lines surround it. */
static void md_fold(RSink *s, const char *summary) {
  if (s->folded) buf_puts(s->out, "</details>\n\n");
  buf_puts(s->out, "<details>\n<summary>");
  Buf c = {0};
  rtext_clean(&c, summary);
  for (const char *p = c.p ? c.p : ""; *p; p++)   /* HTML, where Markdown escapes do not apply */
    buf_puts(s->out, *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" : (char[]){*p, 0});
  buf_free(&c);
  buf_puts(s->out, "</summary>\n\n");
  s->folded = 1;
}

static void md_end(RSink *s) {
  if (s->folded) buf_puts(s->out, "</details>\n");
  s->folded = 0;
  /* no blank line at the very end */
  while (s->out->n >= 2 && s->out->p[s->out->n - 1] == '\n' && s->out->p[s->out->n - 2] == '\n') s->out->n--;
  if (s->out->p) s->out->p[s->out->n] = 0;
}

void rsink_markdown(RSink *s, Buf *out) {
  memset(s, 0, sizeof *s);
  s->title = md_title; s->heading = md_heading; s->line = md_line;
  s->table = md_table; s->fold = md_fold; s->end = md_end;
  s->out = out;
}
