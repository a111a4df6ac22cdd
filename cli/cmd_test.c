/* aigwc test: compile each policy set, run the `test` declarations the compiler hands
 * back through libaigw, and report every expectation that does not hold next to what
 * the decision held instead. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aigw.h"
#include "cli.h"
#include "compile.h"
#include "test_cov.h"

const char cmd_test_summary[] = "run the policies' test declarations";
const char cmd_test_usage[] =
  "usage: aigwc test [-v] [--coverage [--min-coverage N%]] [--format text|junit|json] PATH...\n\n"
  "Runs every `test \"name\" { … }` declaration: its input at its `now`, checked against\n"
  "all of its `expect` lines.\n\n"
  "Each policy set is compiled into a bundle of its own, so sets may declare different\n"
  "input schemas:\n"
  "  - the files named on the command line together form one set, tested first;\n"
  "  - a directory stands for every directory below it (itself included) that directly\n"
  "    holds .aigw files: each of those is one set, in name order.\n\n"
  "Prints a header line per set (`== SET`), a `FAIL file:line: test \"name\": …` line per\n"
  "failing test followed by one indented line per failed expectation, expected vs actual,\n"
  "and last `N passed, M failed`, summed over the sets. A set that does not compile\n"
  "prints its errors on stderr and counts as one failed test.\n"
  "  -v   also print a line per passing test\n"
  "  --coverage         list the guardrails, exemptions, route rules and budgets no test\n"
  "                     exercised (fired or waived, waived, routed, charged), per set\n"
  "  --min-coverage N%  fail when less than N% of them were exercised\n"
  "  --format F         text (default); junit or json: the results (and coverage) as a\n"
  "                     document on standard output, the text report on standard error\n\n"
  "exit codes: 0 all tests pass, 1 a test fails or a policy has errors, 2 usage error\n";

/* ---- policy sets ---- */

typedef struct Set { char *label; char **files; int n, cap; } Set;
typedef struct Sets { Set *v; int n, cap; } Sets;

static Set *set_new(Sets *s, char *label) {
  if (s->n == s->cap) { s->cap = s->cap ? s->cap * 2 : 8; s->v = xrealloc(s->v, sizeof *s->v * (size_t)s->cap); }
  Set *t = &s->v[s->n++];
  memset(t, 0, sizeof *t);
  t->label = label;
  return t;
}

static void set_add(Set *t, char *file) {
  if (t->n == t->cap) { t->cap = t->cap ? t->cap * 2 : 8; t->files = xrealloc(t->files, sizeof *t->files * (size_t)t->cap); }
  t->files[t->n++] = file;
}

static size_t dir_len(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? (size_t)(slash - path) : 0;
}

/* By directory, then by name: the files of one directory end up side by side. */
static int by_dir(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t dx = dir_len(x), dy = dir_len(y);
  int r = strncmp(x, y, dx < dy ? dx : dy);
  if (r) return r;
  if (dx != dy) return dx < dy ? -1 : 1;
  return strcmp(x + dx, y + dx);
}

/* Splits PATHs into sets (see the usage text). Returns an exit code. */
static int collect_sets(int npaths, char **paths, Sets *sets) {
  Buf label = {0};
  int rc = EXIT_OK, named = 0;
  for (int i = 0; i < npaths; i++) {
    struct stat st;
    if (strcmp(paths[i], "-") && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) continue;
    if (!named++) set_new(sets, NULL);   /* the first set: nothing else is added before it */
    buf_printf(&label, "%s%s", named > 1 ? " " : "", paths[i]);
    char **one; int n;
    if (cli_collect_sources(1, &paths[i], &one, &n) != 0) rc = EXIT_USAGE;
    for (int k = 0; k < n; k++) set_add(&sets->v[0], one[k]);
    xfree(one);
  }
  if (named) sets->v[0].label = xstrndup(label.p ? label.p : "", label.n);
  buf_free(&label);
  for (int i = 0; i < npaths; i++) {
    struct stat st;
    if (!strcmp(paths[i], "-") || stat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    char **files; int n;
    cli_collect_sources(1, &paths[i], &files, &n);
    if (!n) { fprintf(stderr, "aigwc test: %s: no .aigw files\n", paths[i]); rc = EXIT_USAGE; }
    if (n) qsort(files, (size_t)n, sizeof *files, by_dir);
    Set *t = NULL;
    for (int k = 0; k < n; k++) {
      size_t dl = dir_len(files[k]);
      if (!t || dir_len(t->files[0]) != dl || memcmp(t->files[0], files[k], dl))
        t = set_new(sets, dl ? xstrndup(files[k], dl) : xstrndup(".", 1));
      set_add(t, files[k]);
    }
    xfree(files);
  }
  return rc;
}

static void free_sets(Sets *s) {
  for (int i = 0; i < s->n; i++) { cli_free_sources(s->v[i].files, s->v[i].n); xfree(s->v[i].label); }
  xfree(s->v);
}

/* ---- the decision, told as text ---- */

static const char *const list_word[] = {"violation", "waived", "warning", "error"};
static const char *const list_plural[] = {"violations", "waived", "warnings", "errors"};

static int find(aigw_ctx *c, aigw_list which, const char *name, aigw_finding *out) {
  for (size_t i = 0; i < aigw_count(c, which); i++)
    if (aigw_get(c, which, i, out) == AIGW_OK && !strcmp(out->guardrail, name)) return 1;
  return 0;
}

/* "a, b by EX-1, c", or "none" */
static void put_list(aigw_ctx *c, aigw_list which, Buf *o) {
  size_t n = aigw_count(c, which);
  if (!n) { buf_puts(o, "none"); return; }
  for (size_t i = 0; i < n; i++) {
    aigw_finding f;
    if (aigw_get(c, which, i, &f) != AIGW_OK) continue;
    buf_printf(o, "%s%s", i ? ", " : "", f.guardrail);
    if (which == AIGW_WAIVED && f.exemption) buf_printf(o, " by %s", f.exemption);
  }
}

static void put_target(const aigw_target *t, Buf *o) {
  buf_printf(o, "%s:%s%s%s", t->provider, t->model, t->region ? "@" : "", t->region ? t->region : "");
}

/* "route chat -> p:m@r, p:m2@r", "route chat -> no targets" or "route none" */
static void put_route(aigw_ctx *c, Buf *o) {
  const char *r = aigw_route(c);
  if (!r) { buf_puts(o, "route none"); return; }
  buf_printf(o, "route %s -> ", r);
  size_t n = aigw_route_count(c);
  if (!n) buf_puts(o, "no targets");
  for (size_t i = 0; i < n; i++) {
    aigw_target t;
    if (i) buf_puts(o, ", ");
    if (aigw_route_target(c, i, &t) == AIGW_OK) put_target(&t, o);
  }
}

static void put_budgets(aigw_ctx *c, Buf *o) {
  size_t n = aigw_budget_count(c);
  if (!n) buf_puts(o, "none");
  for (size_t i = 0; i < n; i++) {
    aigw_budget b;
    if (aigw_budget_get(c, i, &b) == AIGW_OK) buf_printf(o, "%s%s", i ? ", " : "", b.budget);
  }
}

/* The whole decision in one line, for a wrong allow/deny. */
static void put_decision(aigw_ctx *c, Buf *o) {
  buf_puts(o, "fired: ");
  put_list(c, AIGW_VIOLATIONS, o);
  static const aigw_list more[] = {AIGW_ERRORS, AIGW_WARNINGS, AIGW_WAIVED};
  for (int i = 0; i < 3; i++)
    if (aigw_count(c, more[i])) { buf_printf(o, "; %s: ", list_plural[more[i]]); put_list(c, more[i], o); }
  buf_puts(o, "; ");
  put_route(c, o);
}

/* Where a finding expected in one list went: " (g is waived by EX)", " (g did not fire)". */
static void put_whereabouts(aigw_ctx *c, const char *g, aigw_list except, Buf *o) {
  static const aigw_list order[] = {AIGW_VIOLATIONS, AIGW_ERRORS, AIGW_WARNINGS, AIGW_WAIVED};
  aigw_finding f;
  for (int i = 0; i < 4; i++) {
    if (order[i] == except || !find(c, order[i], g, &f)) continue;
    if (order[i] == AIGW_WAIVED) buf_printf(o, " (%s is waived by %s)", g, f.exemption ? f.exemption : "an exemption");
    else buf_printf(o, " (%s is %s %s)", g, order[i] == AIGW_ERRORS ? "an" : "a", list_word[order[i]]);
    return;
  }
  buf_printf(o, " (%s did not fire)", g);
}

/* ---- expectations ---- */

/* `expect violation g1, g2` (warning, error, waived): each is in the list. */
static int check_list(aigw_ctx *c, const TestExpect *e, aigw_list l, Buf *why) {
  aigw_finding f;
  Buf missing = {0}, notes = {0};
  for (uint32_t i = 0; i < e->nnames; i++)
    if (!find(c, l, e->names[i], &f)) {
      buf_printf(&missing, "%s%s", missing.n ? ", " : "", e->names[i]);
      put_whereabouts(c, e->names[i], l, &notes);
    }
  int ok = !missing.n;
  if (!ok) {
    buf_printf(why, "expected %s %s; actual %s: ", list_word[l], missing.p, list_plural[l]);
    put_list(c, l, why);
    buf_puts(why, notes.p);
  }
  buf_free(&missing); buf_free(&notes);
  return ok;
}

/* Checks one expectation; when it does not hold, says so in why and returns 0. */
static int check(aigw_ctx *c, const TestExpect *e, Buf *why) {
  aigw_finding f;
  switch (e->kind) {
  case EXPECT_ALLOW: case EXPECT_DENY: {
    aigw_decision want = e->kind == EXPECT_DENY ? AIGW_DENY : AIGW_ALLOW;
    if (aigw_result(c) == want) return 1;
    buf_printf(why, "expected %s, got %s (", want == AIGW_DENY ? "deny" : "allow", want == AIGW_DENY ? "allow" : "deny");
    put_decision(c, why);
    buf_putc(why, ')');
    return 0;
  }
  case EXPECT_VIOLATION: return check_list(c, e, AIGW_VIOLATIONS, why);
  case EXPECT_WARNING: return check_list(c, e, AIGW_WARNINGS, why);
  case EXPECT_ERROR: return check_list(c, e, AIGW_ERRORS, why);
  case EXPECT_WAIVED: {
    if (!e->by) return check_list(c, e, AIGW_WAIVED, why);
    const char *g = e->names[0];
    if (find(c, AIGW_WAIVED, g, &f) && f.exemption && !strcmp(f.exemption, e->by)) return 1;
    buf_printf(why, "expected waived %s by %s; actual: ", g, e->by);
    if (find(c, AIGW_WAIVED, g, &f)) buf_printf(why, "waived by %s", f.exemption ? f.exemption : "another exemption");
    else { buf_puts(why, "not waived"); put_whereabouts(c, g, AIGW_WAIVED, why); }
    return 0;
  }
  case EXPECT_ROUTE: {
    const char *got = aigw_route(c);
    int ok = e->route ? got && !strcmp(got, e->route) : !got;
    if (ok && e->nnames) {
      ok = aigw_route_count(c) == e->nnames;
      for (uint32_t i = 0; ok && i < e->nnames; i++) {
        aigw_target t;
        Buf have = {0};
        if (aigw_route_target(c, i, &t) == AIGW_OK) put_target(&t, &have);
        ok = have.n && !strcmp(have.p, e->names[i]);
        buf_free(&have);
      }
    }
    if (ok) return 1;
    buf_printf(why, "expected route %s", e->route ? e->route : "none");
    for (uint32_t i = 0; i < e->nnames; i++) buf_printf(why, "%s%s", i ? ", " : " -> ", e->names[i]);
    buf_puts(why, "; actual ");
    put_route(c, why);
    return 0;
  }
  case EXPECT_BUDGET:
    for (size_t i = 0; i < aigw_budget_count(c); i++) {
      aigw_budget b;
      if (aigw_budget_get(c, i, &b) == AIGW_OK && !strcmp(b.budget, e->names[0])) return 1;
    }
    buf_printf(why, "expected budget %s charged; budgets charged: ", e->names[0]);
    put_budgets(c, why);
    return 0;
  }
  buf_puts(why, "unknown expectation");
  return 0;
}

typedef struct Tally { int pass, fail; } Tally;

static void quoted(const char *s, Buf *o) { buf_json_str(o, s, strlen(s)); }

/* Runs one test; prints its FAIL block (or its PASS line with -v). */
static void run_test(aigw_ctx *c, const TestCase *t, int verbose, Tally *n, Tcov *cov) {
  Buf name = {0}, why = {0};
  quoted(t->name, &name);
  uint32_t failed = 0;
  int decided = 0;
  if (aigw_input_json(c, t->input, t->input_len) != AIGW_OK) {
    buf_printf(&why, "bad input: %s", aigw_ctx_error(c));
    failed = 1;
  } else if (aigw_eval(c, t->now) != AIGW_OK) {
    buf_printf(&why, "evaluation failed: %s", aigw_ctx_error(c));
    failed = 1;
  } else {
    Buf one = {0};
    decided = 1;
    for (uint32_t i = 0; i < t->nexpects; i++) {
      one.n = 0;
      if (check(c, &t->expects[i], &one)) continue;
      failed++;
      buf_printf(&why, "\n    line %u: %.*s", t->expects[i].line, (int)one.n, one.p);
    }
    buf_free(&one);
    if (failed) {
      Buf head = {0};
      buf_printf(&head, "%u of %u expectations failed", failed, t->nexpects);
      buf_put(&head, why.p, why.n);
      buf_free(&why);
      why = head;
    }
  }
  if (!failed) {
    n->pass++;
    if (verbose) printf("PASS %s:%u: test %s\n", t->file, t->line, name.p);
  } else {
    n->fail++;
    printf("FAIL %s:%u: test %s: %s\n", t->file, t->line, name.p, why.p);
  }
  if (cov) tcov_test(cov, t->name, t->file, t->line, !failed, failed ? why.p : NULL, decided ? c : NULL);
  buf_free(&name); buf_free(&why);
}

/* Compiles one set and runs its tests. */
static void run_set(const Set *s, int verbose, Tally *n, Tcov *cov) {
  printf("== %s\n", s->label);
  fflush(stdout);   /* the header comes before the set's diagnostics on a shared terminal */
  DiagSink d; diag_init(&d);
  int loaded = 1;
  for (int i = 0; i < s->n; i++) if (diag_load_file(&d, s->files[i]) < 0) loaded = 0;
  Buf bundle = {0};
  TestList tests;
  int rc = compile_bundle_tests(&d, NULL, &bundle, &tests);
  if (!loaded) rc = -1;
  if (rc || d.warnings) diag_print(&d, stderr);
  if (rc) {
    fprintf(stderr, "aigwc: %d error%s\n", d.errors, d.errors == 1 ? "" : "s");
    printf("FAIL %s: does not compile\n", s->label);
    n->fail++;
    if (cov) tcov_set(cov, s->label, NULL);
  } else {
    aigw_bundle *b = NULL;
    aigw_ctx *c = NULL;
    char err[256];
    if (aigw_bundle_open_mem(bundle.p, bundle.n, NULL, &b, err, sizeof err) != AIGW_OK) {
      printf("FAIL %s: bundle: %s\n", s->label, err);
      n->fail++;
    } else if (aigw_ctx_new(b, &c) != AIGW_OK) {
      fputs("aigwc test: out of memory\n", stderr);
      exit(EXIT_USAGE);
    } else {
      if (cov) tcov_set(cov, s->label, b);
      for (uint32_t i = 0; i < tests.n; i++) run_test(c, &tests.v[i], verbose, n, cov);
      if (cov) tcov_set_done(cov, stdout);
    }
    aigw_ctx_free(c);
    aigw_bundle_close(b);
  }
  compile_tests_free(&tests);
  buf_free(&bundle);
  diag_free(&d);
  fflush(stdout);
}

int cmd_test(int argc, char **argv) {
  int verbose = 0, npaths = 0, coverage = 0, min_bp = -1;
  TcovFormat fmt = TCOV_TEXT;
  char **paths = argv + 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-v")) verbose = 1;
    else if (!strcmp(argv[i], "--coverage")) coverage = 1;
    else if (!strcmp(argv[i], "--min-coverage") && i + 1 < argc) {
      char *end;
      double pct = strtod(argv[++i], &end);
      if (end == argv[i] || (*end && strcmp(end, "%")) || pct < 0 || pct > 100)
        return cli_usage_error("test", "--min-coverage takes a percentage, like 80%%, not '%s'", argv[i]);
      min_bp = (int)(pct * 100 + 0.5);
      coverage = 1;
    } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
      const char *f = argv[++i];
      if (!strcmp(f, "text")) fmt = TCOV_TEXT;
      else if (!strcmp(f, "json")) fmt = TCOV_JSON;
      else if (!strcmp(f, "junit")) fmt = TCOV_JUNIT;
      else return cli_usage_error("test", "--format is text, junit or json, not '%s'", f);
    }
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("test", "unknown option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!npaths) return cli_usage_error("test", "no input files");
  Sets sets = {0};
  int rc = collect_sets(npaths, paths, &sets);
  if (rc) { free_sets(&sets); return rc; }
  Tally n = {0, 0};
  Tcov *cov = coverage || fmt != TCOV_TEXT ? tcov_new(fmt, coverage) : NULL;
  /* a document on standard output: the text report moves to standard error */
  int saved = -1;
  if (fmt != TCOV_TEXT) { fflush(stdout); saved = dup(1); dup2(2, 1); }
  for (int i = 0; i < sets.n; i++) run_set(&sets.v[i], verbose, &n, cov);
  int bp = 10000;
  if (fmt == TCOV_TEXT && cov) bp = tcov_finish(cov, n.pass, n.fail, stdout);
  printf("%d passed, %d failed\n", n.pass, n.fail);
  fflush(stdout);
  if (saved >= 0) { dup2(saved, 1); close(saved); }
  if (fmt != TCOV_TEXT) bp = tcov_finish(cov, n.pass, n.fail, stdout);
  free_sets(&sets);
  int low = coverage && min_bp >= 0 && bp < min_bp;
  if (low) fprintf(stderr, "aigwc test: coverage %d.%02d%% is below --min-coverage %d.%02d%%\n", bp / 100, bp % 100, min_bp / 100, min_bp % 100);
  tcov_free(cov);
  return n.fail || low ? EXIT_FINDINGS : EXIT_OK;
}
