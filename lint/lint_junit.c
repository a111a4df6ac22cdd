/* JUnit XML: one test suite per rule, one test case per rule × file checked. A case
 * fails when a finding of its rule in its file is at or above --fail-on; findings
 * below it, and suppressed ones, are listed in the case's system-out. */
#include <stdlib.h>
#include <string.h>
#include "lint.h"

/* XML 1.0 text: the five entities; control characters it cannot hold become '?'. */
static void xml(Buf *o, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '&': buf_puts(o, "&amp;"); break;
    case '<': buf_puts(o, "&lt;"); break;
    case '>': buf_puts(o, "&gt;"); break;
    case '"': buf_puts(o, "&quot;"); break;
    case '\'': buf_puts(o, "&apos;"); break;
    default: buf_putc(o, c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : (char)c);
    }
  }
}

static void describe(const LintFinding *f, Buf *o) {
  Buf t = {0};
  if (f->file) buf_printf(&t, "%s:%u:%u: ", f->file, f->line, f->col);
  buf_printf(&t, "%s: %s", lint_level_name[f->level], f->message ? f->message : "");
  if (f->help) buf_printf(&t, "\n  help: %s", f->help);
  if (f->supp) buf_printf(&t, "\n  %s %s (owner %s) until %s", f->supp_expired ? "expired suppression" : "suppressed by",
                          f->supp, f->supp_owner ? f->supp_owner : "?", f->supp_expires ? f->supp_expires : "?");
  buf_putc(&t, '\n');
  buf_putc(&t, 0);
  xml(o, t.p);
  buf_free(&t);
}

static int fails(const LintReport *r, const LintFinding *f) {
  return (!f->supp || f->supp_expired) && (int)f->level >= r->fail_on;
}

/* Findings and files are both in strcmp order of their file (lint_finish), findings
 * without a file last: one merge walk per rule. */
static int file_cmp(const LintFinding *f, const char *name) {
  if (!f->file) return name ? 1 : 0;
  return name ? strcmp(f->file, name) : -1;
}

void lint_write_junit(const LintReport *r, FILE *out) {
  int loose = 0;
  for (uint32_t i = 0; i < r->n; i++) loose |= !r->v[i].file;
  uint32_t ncases = r->nfiles + (loose ? 1 : 0), nfail_all = 0;
  uint32_t *of = xmalloc(sizeof *of * (r->n ? r->n : 1));   /* findings of one rule, in file order */
  Buf body = {0};
  for (uint32_t k = 0; k < r->nrules; k++) {
    uint32_t m = 0;
    for (uint32_t i = 0; i < r->n; i++) if (r->v[i].rule == k) of[m++] = i;
    Buf cases = {0};
    uint32_t nfail = 0, j = 0;
    for (uint32_t c = 0; c < ncases; c++) {
      const char *name = c < r->nfiles ? r->files[c] : NULL;
      buf_puts(&cases, "    <testcase name=\"");
      xml(&cases, name ? name : "(no file)");
      buf_puts(&cases, "\" classname=\"aigwc.lint.");
      xml(&cases, r->rules[k].id);
      buf_putc(&cases, '"');
      const LintFinding *first = NULL;
      Buf failed = {0}, other = {0};
      while (j < m && file_cmp(&r->v[of[j]], name) < 0) j++;
      for (; j < m && file_cmp(&r->v[of[j]], name) == 0; j++) {
        const LintFinding *f = &r->v[of[j]];
        if (fails(r, f)) { if (!first) first = f; describe(f, &failed); }
        else describe(f, &other);
      }
      if (!first && !other.n) { buf_puts(&cases, "/>\n"); continue; }
      buf_puts(&cases, ">\n");
      if (first) {
        nfail++;
        buf_puts(&cases, "      <failure message=\"");
        xml(&cases, first->message);
        buf_printf(&cases, "\" type=\"%s\">", lint_level_name[first->level]);
        buf_put(&cases, failed.p, failed.n);
        buf_puts(&cases, "</failure>\n");
      }
      if (other.n) {
        buf_puts(&cases, "      <system-out>");
        buf_put(&cases, other.p, other.n);
        buf_puts(&cases, "</system-out>\n");
      }
      buf_puts(&cases, "    </testcase>\n");
      buf_free(&failed); buf_free(&other);
    }
    buf_puts(&body, "  <testsuite name=\"");
    xml(&body, r->rules[k].id);
    buf_printf(&body, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"0\">\n", ncases, nfail);
    buf_put(&body, cases.p, cases.n);
    buf_puts(&body, "  </testsuite>\n");
    buf_free(&cases);
    nfail_all += nfail;
  }
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"aigwc lint\" tests=\"%u\" failures=\"%u\" errors=\"0\">\n",
          ncases * r->nrules, nfail_all);
  fwrite(body.p, 1, body.n, out);
  fputs("</testsuites>\n", out);
  buf_free(&body);
  xfree(of);
}
