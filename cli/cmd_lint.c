/* aigwc lint: compile errors first, then what the lint rules find in the bundle's
 * declarations (docs/lint.md). The rules are guardrails in the policy language, run
 * by the VM over one fact document per declaration; a finding is suppressed by an
 * exemption of the lint rules, with owner, reason and expiry like any other. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"
#include "compile.h"
#include "lint.h"

const char cmd_lint_summary[] = "check policies and exemption hygiene (CI)";
const char cmd_lint_usage[] =
  "usage: aigwc lint [options] PATH...\n\n"
  "Compiles PATHs, then runs the lint rules over every exemption, guardrail, route rule\n"
  "and budget: expired, expiring, open-ended, unowned or too broad exemptions, thin\n"
  "reasons, overlaps, long renewal chains, guardrails and routes nothing can reach\n"
  "(docs/lint.md lists every rule). The rules are policies: stdlib-policies/lint, built\n"
  "in, plus --rules.\n"
  "  --now TIME        the time to judge expiry at: 2026-11-22 (start of that UTC day), an\n"
  "                    RFC 3339 timestamp, or Unix seconds; default: the clock\n"
  "  --format F        text (default), json, sarif, junit, github, tap or markdown\n"
  "  --fail-on L       error (default), warning or never: exit 1 on findings at or above L\n"
  "  --rules DIR       more rules and suppressions, every .aigw file below DIR (repeatable);\n"
  "                    a file named like a shipped rule file replaces it\n"
  "  -o FILE           write the report to FILE instead of standard output\n"
  "  --facts FILE      also write each fact document, one JSON object a line ('-': stdout)\n\n"
  "exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error\n";

typedef struct Opts {
  int64_t now;
  int format, fail_on;
  char **rules; int nrules;
  const char *out, *facts;
  char **paths; int npaths;
} Opts;

static int parse(int argc, char **argv, Opts *o) {
  o->now = (int64_t)time(NULL);
  o->format = LINT_FMT_text;
  o->fail_on = LINT_ERROR;
  o->paths = argv + 1;
  o->rules = xcalloc((size_t)argc, sizeof *o->rules);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--now") && v) {
      if (cli_parse_now(v, &o->now) != 0) return cli_usage_error("lint", "bad --now '%s'\n  help: %s", v, cli_now_forms);
      i++;
    } else if (!strcmp(a, "--format") && v) {
      if ((o->format = lint_format_parse(v)) < 0)
        return cli_usage_error("lint", "unknown format '%s' (one of %s)", v, lint_format_names + 1);
      i++;
    } else if (!strcmp(a, "--fail-on") && v) {
      if (!strcmp(v, "error")) o->fail_on = LINT_ERROR;
      else if (!strcmp(v, "warning")) o->fail_on = LINT_WARNING;
      else if (!strcmp(v, "never")) o->fail_on = LINT_ERROR + 1;
      else return cli_usage_error("lint", "--fail-on takes error, warning or never, not '%s'", v);
      i++;
    } else if (!strcmp(a, "--rules") && v) o->rules[o->nrules++] = argv[++i];
    else if (!strcmp(a, "-o") && v) o->out = argv[++i];
    else if (!strcmp(a, "--facts") && v) o->facts = argv[++i];
    else if (a[0] == '-' && a[1]) return cli_usage_error("lint", "unknown or incomplete option '%s'", a);
    else o->paths[o->npaths++] = argv[i];
  }
  if (!o->npaths) return cli_usage_error("lint", "no PATH to lint");
  return EXIT_OK;
}

/* The lint bundle: the shipped rules and every file below the --rules directories. */
static int open_rules(const Opts *o, aigw_bundle **rules) {
  char **files = NULL;
  int n = 0;
  if (o->nrules && cli_collect_sources(o->nrules, o->rules, &files, &n) != 0) { cli_free_sources(files, n); return EXIT_USAGE; }
  int rc = lint_rules_open(files, n, rules) == 0 ? EXIT_OK : EXIT_USAGE;
  cli_free_sources(files, n);
  return rc;
}

/* Compiles the policy; its diagnostics become findings. *policy stays NULL when it
 * does not compile. */
static int compile_policy(const Opts *o, LintReport *r, aigw_bundle **policy) {
  char **files;
  int n;
  *policy = NULL;
  if (cli_collect_sources(o->npaths, o->paths, &files, &n) != 0 || !n) {
    if (!n) fprintf(stderr, "aigwc lint: no .aigw files found\n");
    cli_free_sources(files, n);
    return EXIT_USAGE;
  }
  DiagSink d;
  diag_init(&d);
  int loaded = 1;
  for (int i = 0; i < n; i++) if (diag_load_file(&d, files[i]) < 0) loaded = 0;
  Buf bundle = {0};
  CompileOpts co = {o->now, 0};
  int ok = loaded && compile_bundle(&d, &co, &bundle) == 0;
  lint_add_diags(r, &d);
  diag_free(&d);
  cli_free_sources(files, n);
  if (!loaded) { buf_free(&bundle); return EXIT_USAGE; }
  if (ok) {
    char err[256];
    if (aigw_bundle_open_mem(bundle.p, bundle.n, NULL, policy, err, sizeof err) != AIGW_OK) {
      fprintf(stderr, "aigwc lint: bundle: %s\n", err);
      buf_free(&bundle);
      return EXIT_USAGE;
    }
  }
  buf_free(&bundle);
  return EXIT_OK;
}

int cmd_lint(int argc, char **argv) {
  Opts o;
  memset(&o, 0, sizeof o);
  int rc = parse(argc, argv, &o);
  aigw_bundle *rules = NULL, *policy = NULL;
  LintReport r;
  lint_report_init(&r, o.now);
  r.fail_on = o.fail_on;
  FILE *facts = NULL, *out = stdout;
  if (!rc) rc = open_rules(&o, &rules);
  if (!rc) lint_rules_table(&r, rules);    /* every rule is listed, even when nothing compiles */
  if (!rc) rc = compile_policy(&o, &r, &policy);
  if (!rc && o.facts && !(facts = strcmp(o.facts, "-") ? fopen(o.facts, "w") : stdout)) {
    fprintf(stderr, "aigwc lint: cannot write %s\n", o.facts);
    rc = EXIT_USAGE;
  }
  if (!rc && policy && lint_check(&r, policy, rules, facts) != 0) rc = EXIT_USAGE;
  if (facts && facts != stdout) fclose(facts);
  if (!rc && o.out && !(out = fopen(o.out, "w"))) {
    fprintf(stderr, "aigwc lint: cannot write %s\n", o.out);
    rc = EXIT_USAGE;
  }
  if (!rc) {
    lint_finish(&r);
    lint_write(&r, (LintFormat)o.format, out);
    if (out != stdout && fclose(out) != 0) { fprintf(stderr, "aigwc lint: cannot write %s\n", o.out); rc = EXIT_USAGE; }
    else if (out == stdout) fflush(stdout);
    for (int lv = o.fail_on; !rc && lv <= LINT_ERROR; lv++) if (r.count[lv]) rc = EXIT_FINDINGS;
  }
  lint_report_free(&r);
  aigw_bundle_close(policy);
  aigw_bundle_close(rules);
  xfree(o.rules);
  return rc;
}
