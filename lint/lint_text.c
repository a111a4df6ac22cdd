/* The line-oriented formats: text (as the compiler prints diagnostics, with the source
 * line and a caret), GitHub workflow commands (plus a Markdown job summary), TAP 13,
 * and Markdown for a pull-request comment. A suppressed finding is counted, not shown,
 * except in Markdown's list of suppressions; one whose suppression expired is shown
 * with a note that says so. */
#include <stdlib.h>
#include <string.h>
#include "lint.h"

static int active(const LintFinding *f) { return !f->supp || f->supp_expired; }

static void summary_line(const LintReport *r, Buf *o) {
  uint32_t e = r->count[LINT_ERROR], w = r->count[LINT_WARNING], n = r->count[LINT_NOTE];
  if (!e && !w && !n) buf_puts(o, "no findings");
  else buf_printf(o, "%u error%s, %u warning%s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s");
  if (n) buf_printf(o, ", %u note%s", n, n == 1 ? "" : "s");
  if (r->suppressed) buf_printf(o, " (%u suppressed)", r->suppressed);
  buf_printf(o, " in %u file%s, %u declaration%s", r->nfiles, r->nfiles == 1 ? "" : "s", r->facts, r->facts == 1 ? "" : "s");
}

static void expired_text(const LintFinding *f, Buf *o) {
  buf_printf(o, "suppressed by %s (owner %s) until %s; that suppression has expired", f->supp,
             f->supp_owner ? f->supp_owner : "?", f->supp_expires ? f->supp_expires : "?");
}

/* ---- text ---- */

/* Byte offset of column col (characters, from 1) on line `line` (from 1), as the
 * compiler counts them (lang/diag.c: a byte order mark takes no column). The line
 * starts come from the sink's table, built once per file. */
static uint32_t offset_of(DiagSink *d, int file, uint32_t line, uint32_t col) {
  const Source *s = d->files[file];
  uint32_t l0, c0;
  diag_linecol(d, file, 0, &l0, &c0);            /* builds the table of line starts */
  uint32_t off = line >= 1 && line <= s->nlines ? s->lines[line - 1] : s->len;
  if (off == 0 && s->len >= 3 && !memcmp(s->text, "\xEF\xBB\xBF", 3)) off = 3;
  for (uint32_t c = 1; c < col && off < s->len && s->text[off] != '\n'; c++) {
    off++;
    while (off < s->len && ((unsigned char)s->text[off] & 0xC0) == 0x80) off++;
  }
  return off;
}

static uint32_t bytes_of(const Source *s, uint32_t off, uint32_t cols) {
  uint32_t end = off;
  for (uint32_t c = 0; c < cols && end < s->len && s->text[end] != '\n'; c++) {
    end++;
    while (end < s->len && ((unsigned char)s->text[end] & 0xC0) == 0x80) end++;
  }
  return end - off;
}

void lint_write_text(const LintReport *r, FILE *out) {
  DiagSink d;
  diag_init(&d);
  const char *loaded = NULL;     /* findings come sorted by file: keep one file at a time */
  int file = -1;
  Buf o = {0};
  for (uint32_t i = 0; i < r->n; i++) {
    const LintFinding *f = &r->v[i];
    if (!active(f)) continue;
    Buf msg = {0};
    buf_printf(&msg, "%s [%s]", f->message ? f->message : "", r->rules[f->rule].id);
    buf_putc(&msg, 0);
    if (f->file && (!loaded || strcmp(loaded, f->file))) {
      diag_free(&d);
      diag_init(&d);
      /* a file that cannot be read (a bundle built elsewhere) is shown without its line */
      char *text; size_t len;
      file = read_file(f->file, &text, &len, DIAG_MAX_FILE) == 0 ? diag_add_source(&d, f->file, text, (uint32_t)len) : -1;
      loaded = f->file;
    }
    if (f->file && file >= 0) {
      uint32_t off = offset_of(&d, file, f->line, f->col);
      const Source *s = d.files[file];
      Diag g = {f->level == LINT_ERROR ? DIAG_ERR : f->level == LINT_WARNING ? DIAG_WARN : DIAG_NOTE, file, off,
                bytes_of(s, off, f->len ? f->len : 1), msg.p, f->help};
      diag_print_one(&d, &g, &o);
    } else {
      if (f->file) buf_printf(&o, "%s:%u:%u: ", f->file, f->line, f->col);
      else buf_puts(&o, "aigwc: ");
      buf_printf(&o, "%s: %s\n", lint_level_name[f->level], msg.p);
      if (f->help) buf_printf(&o, "  help: %s\n", f->help);
    }
    if (f->supp_expired) { buf_puts(&o, "  note: "); expired_text(f, &o); buf_putc(&o, '\n'); }
    buf_free(&msg);
    if (o.n > 1 << 16) { fwrite(o.p, 1, o.n, out); o.n = 0; }
  }
  diag_free(&d);
  buf_puts(&o, "aigwc lint: ");
  summary_line(r, &o);
  buf_putc(&o, '\n');
  fwrite(o.p, 1, o.n, out);
  buf_free(&o);
}

/* ---- GitHub workflow commands ---- */

/* Workflow command escaping: data escapes %, CR and LF; a property also ':' and ','. */
static void gh_escape(Buf *o, const char *s, int property) {
  for (; s && *s; s++) {
    if (*s == '%') buf_puts(o, "%25");
    else if (*s == '\r') buf_puts(o, "%0D");
    else if (*s == '\n') buf_puts(o, "%0A");
    else if (property && *s == ':') buf_puts(o, "%3A");
    else if (property && *s == ',') buf_puts(o, "%2C");
    else buf_putc(o, *s);
  }
}

void lint_write_github(const LintReport *r, FILE *out) {
  Buf o = {0};
  for (uint32_t i = 0; i < r->n; i++) {
    const LintFinding *f = &r->v[i];
    if (!active(f)) continue;
    static const char *const cmd[] = {"notice", "warning", "error"};
    buf_printf(&o, "::%s ", cmd[f->level]);
    if (f->file) {
      buf_puts(&o, "file=");
      gh_escape(&o, f->file, 1);
      buf_printf(&o, ",line=%u,col=%u,endColumn=%u,", f->line, f->col, f->col + f->len);
    }
    buf_puts(&o, "title=");
    gh_escape(&o, r->rules[f->rule].id, 1);
    buf_puts(&o, "::");
    gh_escape(&o, f->message, 0);
    if (f->help) { gh_escape(&o, "\nhelp: ", 0); gh_escape(&o, f->help, 0); }
    if (f->supp_expired) {
      Buf n = {0};
      expired_text(f, &n);
      buf_putc(&n, 0);
      gh_escape(&o, "\nnote: ", 0);
      gh_escape(&o, n.p, 0);
      buf_free(&n);
    }
    buf_putc(&o, '\n');
  }
  buf_puts(&o, "aigwc lint: ");
  summary_line(r, &o);
  buf_putc(&o, '\n');
  fwrite(o.p, 1, o.n, out);
  buf_free(&o);
  /* GitHub shows 10 annotations of a kind per step: the summary lists them all */
  const char *path = getenv("GITHUB_STEP_SUMMARY");
  FILE *s = path && *path ? fopen(path, "a") : NULL;
  if (s) { lint_write_markdown(r, s); fclose(s); }
}

/* ---- TAP 13: one test point per file ---- */

static void yaml_str(Buf *o, const char *s) { buf_json_str(o, s ? s : "", s ? strlen(s) : 0); }

void lint_write_tap(const LintReport *r, FILE *out) {
  Buf o = {0};
  int loose = 0;                 /* findings tied to no file: one more test point */
  for (uint32_t i = 0; i < r->n; i++) loose |= !r->v[i].file && active(&r->v[i]);
  buf_printf(&o, "TAP version 13\n1..%u\n", r->nfiles + (loose ? 1 : 0));
  for (uint32_t k = 0; k <= r->nfiles; k++) {
    const char *name = k < r->nfiles ? r->files[k] : NULL;
    if (!name && !loose) break;
    uint32_t nfail = 0, nall = 0;
    for (uint32_t i = 0; i < r->n; i++) {
      const LintFinding *f = &r->v[i];
      if (!active(f) || (name ? !f->file || strcmp(f->file, name) : f->file != NULL)) continue;
      nall++;
      nfail += (int)f->level >= r->fail_on;
    }
    buf_printf(&o, "%s %u - %s\n", nfail ? "not ok" : "ok", k + 1, name ? name : "(no file)");
    if (!nall) continue;
    buf_printf(&o, "  ---\n  message: \"%u finding%s\"\n  severity: %s\n  findings:\n", nall, nall == 1 ? "" : "s",
               nfail ? "fail" : "comment");
    for (uint32_t i = 0; i < r->n; i++) {
      const LintFinding *f = &r->v[i];
      if (!active(f) || (name ? !f->file || strcmp(f->file, name) : f->file != NULL)) continue;
      buf_printf(&o, "    - rule: %s\n      level: %s\n      line: %u\n      column: %u\n      message: ",
                 r->rules[f->rule].id, lint_level_name[f->level], f->line, f->col);
      yaml_str(&o, f->message);
      if (f->help) { buf_puts(&o, "\n      help: "); yaml_str(&o, f->help); }
      if (f->supp_expired) { buf_puts(&o, "\n      expired_suppression: "); yaml_str(&o, f->supp); }
      buf_putc(&o, '\n');
    }
    buf_puts(&o, "  ...\n");
    if (o.n > 1 << 16) { fwrite(o.p, 1, o.n, out); o.n = 0; }
  }
  fwrite(o.p, 1, o.n, out);
  buf_free(&o);
}

/* ---- Markdown, for a pull-request comment or a job summary ---- */

static void md_cell(Buf *o, const char *s) {
  for (; s && *s; s++) {
    if (*s == '|') buf_puts(o, "\\|");
    else if (*s == '\n' || *s == '\r') buf_putc(o, ' ');
    else if (*s == '<') buf_puts(o, "&lt;");
    else buf_putc(o, *s);
  }
}

void lint_write_markdown(const LintReport *r, FILE *out) {
  Buf o = {0};
  buf_puts(&o, "### aigwc lint: ");
  summary_line(r, &o);
  buf_puts(&o, "\n\n");
  uint32_t shown = r->count[0] + r->count[1] + r->count[2];
  if (shown) {
    buf_puts(&o, "| level | rule | where | finding |\n|---|---|---|---|\n");
    for (uint32_t i = 0; i < r->n; i++) {
      const LintFinding *f = &r->v[i];
      if (!active(f)) continue;
      buf_printf(&o, "| %s | `%s` | ", lint_level_name[f->level], r->rules[f->rule].id);
      if (f->file) { buf_putc(&o, '`'); md_cell(&o, f->file); buf_printf(&o, ":%u:%u`", f->line, f->col); }
      buf_puts(&o, " | ");
      md_cell(&o, f->message);
      if (f->help) { buf_puts(&o, "<br>*fix:* "); md_cell(&o, f->help); }
      if (f->supp_expired) { buf_puts(&o, "<br>*suppression "); md_cell(&o, f->supp); buf_puts(&o, " has expired*"); }
      buf_puts(&o, " |\n");
    }
    buf_putc(&o, '\n');
  }
  if (r->suppressed) {
    buf_printf(&o, "<details><summary>%u suppressed finding%s</summary>\n\n| rule | where | suppressed by | owner | until |\n|---|---|---|---|---|\n",
               r->suppressed, r->suppressed == 1 ? "" : "s");
    for (uint32_t i = 0; i < r->n; i++) {
      const LintFinding *f = &r->v[i];
      if (active(f)) continue;
      buf_printf(&o, "| `%s` | ", r->rules[f->rule].id);
      if (f->file) { buf_putc(&o, '`'); md_cell(&o, f->file); buf_printf(&o, ":%u`", f->line); }
      buf_puts(&o, " | ");
      md_cell(&o, f->supp);
      buf_puts(&o, " | ");
      md_cell(&o, f->supp_owner);
      buf_puts(&o, " | ");
      md_cell(&o, f->supp_expires);
      buf_puts(&o, " |\n");
    }
    buf_puts(&o, "\n</details>\n");
  }
  fwrite(o.p, 1, o.n, out);
  buf_free(&o);
}
