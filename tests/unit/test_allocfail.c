/* The allocation-failure loop. util_fail_countdown makes the Nth allocation fail, and
 * xmalloc then exits with status 2 (oom in util.c). For N = 1, 2, … a child process
 * fails the Nth allocation while it parses, and then while it compiles, a real policy
 * and a broken one. Each child must end cleanly: status 2, or 0 once N is past its last
 * allocation. A signal or a sanitizer report is a failure, printed with the child's
 * stderr.
 * Each loop stops at AF_MAX_N or AF_MAX_SECONDS, so the suite stays quick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "astdump.h"
#include "compile.h"
#include "parse.h"
#include "unit.h"

enum { AF_MAX_N = 4000 };
static const double AF_MAX_SECONDS = 1.5;

static const char af_policy[] = UNIT_DATA "/../examples/contoso/models.aigw";
static const char af_broken[] =
  "policy p\n"
  "guardrail a { severty high\n"
  "  deny when x == \"unterminated\n"
  "}\n"
  "set s = {1, @, 2026-02-30, 99999999999999999999}\n"
  "guardrail b { deny when ((((x) }\n"
  "/* open";

/* Loads the work's source: the example file, or the broken text. */
static int af_load(DiagSink *d, const char *which) {
  if (which != af_broken) return diag_load_file(d, which);
  size_t n = sizeof af_broken - 1;
  return diag_add_source(d, "broken.aigw", xstrndup(af_broken, n), (uint32_t)n);
}

static void af_report(DiagSink *d) {
  Buf b = {0};
  for (int i = 0; i < d->n; i++) diag_print_one(d, &d->items[i], &b);
  buf_free(&b);
}

static void af_parse(const char *which) {
  DiagSink d;
  diag_init(&d);
  Arena a;
  arena_init(&a);
  int f = af_load(&d, which);
  if (f >= 0) {
    AstFile *af = parse_file(&d, f, &a, 1);
    Buf b = {0};
    ast_dump(&b, &d, af);
    buf_free(&b);
  }
  af_report(&d);
  arena_free(&a);
  diag_free(&d);
}

static void af_compile(const char *which) {
  DiagSink d;
  diag_init(&d);
  af_load(&d, which);
  CompileOpts o = {0, 0};
  Buf out = {0};
  compile_bundle(&d, &o, &out);
  af_report(&d);
  buf_free(&out);
  diag_free(&d);
}

static double af_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* exit() in a child comes from oom(), whose message the parent looks for. Leaving at
 * once skips the leak checker's heap scan at exit, which would cost most of the child's
 * time in a sanitizer build, and would report the half-built state oom() abandons. */
static void af_exit_now(void) { _exit(2); }

/* Runs work(which) in a child with the Nth allocation failing; returns its wait status.
 * The child's stderr goes to log, so "out of memory" does not flood the test output. */
static int af_child(void (*work)(const char *), const char *which, long n, FILE *log) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    atexit(af_exit_now);
    dup2(fileno(log), 2);
    util_fail_countdown = n;
    work(which);
    _exit(0);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {}
  return st;
}

static int af_logged(FILE *log, const char *text) {
  char line[512];
  rewind(log);
  while (fgets(line, sizeof line, log))
    if (strstr(line, text)) return 1;
  return 0;
}

static void af_loop(const char *what, void (*work)(const char *), const char *which) {
  FILE *log = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(log);
  double start = af_now();
  long n;
  for (n = 1; n <= AF_MAX_N && af_now() - start < AF_MAX_SECONDS; n++) {
    rewind(log);
    if (ftruncate(fileno(log), 0) != 0) break;
    int st = af_child(work, which, n, log);
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2 && af_logged(log, "out of memory")) continue;
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      CU_ASSERT(n > 1);   /* the work allocates, so N = 1 must have failed */
      fclose(log);
      return;
    }
    printf("\n  %s, allocation %ld failing: ", what, n);
    if (st == -1) printf("fork failed\n");
    else if (WIFSIGNALED(st)) printf("killed by signal %d\n", WTERMSIG(st));
    else if (WEXITSTATUS(st) == 2) printf("exit status 2, but not from oom()\n");
    else printf("exit status %d, expected 2 from oom()\n", WEXITSTATUS(st));
    char line[512];
    rewind(log);
    for (int i = 0; i < 30 && fgets(line, sizeof line, log); i++) printf("    %s", line);
    CU_FAIL("allocation failure not handled cleanly");
    fclose(log);
    return;
  }
  printf("\n  note: %s: stopped after %ld allocations (%.1fs)\n", what, n - 1, af_now() - start);
  fclose(log);
}

static void test_parse_policy(void) { af_loop("parsing models.aigw", af_parse, af_policy); }
static void test_parse_broken(void) { af_loop("parsing a broken source", af_parse, af_broken); }

static void test_compile_policy(void) { af_loop("compiling models.aigw", af_compile, af_policy); }
static void test_compile_broken(void) { af_loop("compiling a broken source", af_compile, af_broken); }

UNIT_SUITE(allocfail,
  {"parse models.aigw, failing each allocation", test_parse_policy},
  {"parse a broken source, failing each allocation", test_parse_broken},
  {"compile models.aigw, failing each allocation", test_compile_policy},
  {"compile a broken source, failing each allocation", test_compile_broken})
