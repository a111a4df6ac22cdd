/* The lint bundle: the shipped rules (compiled into aigwc) and the user's rule files,
 * compiled together like any policy; and the rule table read from its guardrails. */
#include <string.h>
#include "compile.h"
#include "lint.h"

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int lint_rules_open(char **files, int nfiles, aigw_bundle **out) {
  DiagSink d;
  diag_init(&d);
  int loaded = 1;
  for (size_t i = 0; i < lint_nstdlib; i++) {
    const LintSource *s = &lint_stdlib[i];
    int replaced = 0;
    for (int k = 0; k < nfiles; k++) replaced |= !strcmp(base_name(files[k]), s->name);
    if (replaced) continue;
    char name[256], *text = xmalloc(s->len + 1);
    memcpy(text, s->text, s->len);
    text[s->len] = 0;
    snprintf(name, sizeof name, "stdlib-policies/lint/%s", s->name);
    diag_add_source(&d, name, text, (uint32_t)s->len);
  }
  for (int k = 0; k < nfiles; k++) if (diag_load_file(&d, files[k]) < 0) loaded = 0;
  Buf bundle = {0};
  int rc = loaded && compile_bundle(&d, NULL, &bundle) == 0 ? 0 : -1;
  if (rc || d.warnings) diag_print(&d, stderr);
  if (rc) fprintf(stderr, "aigwc lint: the lint rules do not compile (%d error%s)\n", d.errors, d.errors == 1 ? "" : "s");
  diag_free(&d);
  if (!rc) {
    char err[256];
    if (aigw_bundle_open_mem(bundle.p, bundle.n, NULL, out, err, sizeof err) != AIGW_OK) {
      fprintf(stderr, "aigwc lint: lint bundle: %s\n", err);
      rc = -1;
    }
  }
  buf_free(&bundle);
  return rc;
}

/* Line `line` (0-based) of a message template, holes shown as "…" and doubled braces
 * as one; NULL when the template has no such line. */
static char *template_line(const char *t, int line) {
  if (!t) return NULL;
  for (int i = 0; i < line; i++) {
    t = strchr(t, '\n');
    if (!t) return NULL;
    t++;
  }
  Buf o = {0};
  for (; *t && *t != '\n'; t++) {
    if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) { buf_putc(&o, *t++); continue; }
    if (t[0] == '{' && t[1] == '}') { buf_puts(&o, "…"); t++; continue; }
    buf_putc(&o, *t);
  }
  buf_putc(&o, 0);
  return o.p;
}

void lint_rules_table(LintReport *r, const aigw_bundle *rules) {
  size_t n = aigw_meta_count(rules, AIGW_META_GUARDRAILS);
  for (size_t g = 0; g < n; g++) {
    aigw_guardrail_info gi;
    if (aigw_meta_guardrail(rules, g, &gi) != AIGW_OK) continue;
    int known = 0;
    for (uint32_t i = 0; i < r->nrules; i++) known |= !strcmp(r->rules[i].id, gi.name);
    if (known) continue;
    LintLevel lv = !strcmp(gi.effect, "deny") ? LINT_ERROR : !strcmp(gi.effect, "warn") ? LINT_WARNING : LINT_NOTE;
    char *summary = template_line(gi.message, 0), *help = template_line(gi.message, 1);
    uint32_t k = lint_rule(r, gi.name, lv, summary ? summary : gi.name, help);
    LintRule *R = &r->rules[k];
    R->rationale = template_line(gi.message, 2);
    R->severity = xstrndup(gi.severity, strlen(gi.severity));
    if (gi.loc.file) { R->file = xstrndup(gi.loc.file, strlen(gi.loc.file)); R->line = gi.loc.line; }
    xfree(summary); xfree(help);
  }
}
