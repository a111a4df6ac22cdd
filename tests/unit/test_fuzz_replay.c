/* Replays the committed fuzz corpora and every saved fuzz finding through the same entry
 * functions the libFuzzer targets call, so a fixed crash stays fixed without clang or a
 * fuzzing run.
 *
 * The bundle and eval entries use libaigw, which the unit runner links as an archive;
 * their functions are referenced weakly here, and those corpora are replayed when every
 * one of them is linked in (the runtime's own tests pull them), with a note otherwise.
 * The eval target's bundle is compiled here from the example, not embedded. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "aigw.h"
#include "compile.h"
#include "unit.h"

#define RT_FUNCS(X) \
  X(aigw_config_init) X(aigw_status_name) X(aigw_bundle_open_mem) X(aigw_bundle_close) \
  X(aigw_bundle_id) X(aigw_bundle_policy) X(aigw_ctx_new) X(aigw_ctx_free) X(aigw_ctx_error) \
  X(aigw_input_json) X(aigw_eval) X(aigw_result) X(aigw_count) X(aigw_get) X(aigw_message) \
  X(aigw_route) X(aigw_route_count) X(aigw_route_target) X(aigw_budget_count) \
  X(aigw_budget_get) X(aigw_decision_json)
#define RT_PRAGMA(s) _Pragma(#s)
#define RT_WEAK(f) RT_PRAGMA(weak f)
RT_FUNCS(RT_WEAK)

static int runtime_linked(void) {
#define RT_LINKED(f) && f
  return 1 RT_FUNCS(RT_LINKED);
#undef RT_LINKED
}

/* The eval entry's bundles, normally embedded at fuzz build time (fuzz_bundles.h). */
#define FUZZ_NBUNDLES 1
static struct { const char *name; const unsigned char *data; size_t len; } fuzz_bundles[FUZZ_NBUNDLES];

#include "../fuzz/fuzz_bundle_entry.c"
#include "../fuzz/fuzz_compile_entry.c"
#include "../fuzz/fuzz_eval_entry.c"
#include "../fuzz/fuzz_gen_entry.c"
#include "../fuzz/fuzz_parse_entry.c"

/* Feeds every regular file in dir to fn; returns how many, or -1 when dir is missing. */
static int replay_dir(const char *dir, unit_fuzz_fn fn) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    char *data;
    size_t len;
    CU_ASSERT_FATAL(read_file(path, &data, &len, DIAG_MAX_FILE) == 0);
    fn((const uint8_t *)data, len);
    xfree(data);
    n++;
  }
  closedir(d);
  return n;
}

/* The corpus must be there; the regressions directory exists once a finding is saved.
 * Shared with the suites that own a target (test_rt_jsonin, test_srv). */
void unit_replay(const char *target, unit_fuzz_fn fn) {
  char dir[256];
  snprintf(dir, sizeof dir, UNIT_DATA "/fuzz/corpus/%s", target);
  CU_ASSERT(replay_dir(dir, fn) > 0);
  snprintf(dir, sizeof dir, UNIT_DATA "/fuzz/regress/%s", target);
  replay_dir(dir, fn);
}

static void test_parse(void) { unit_replay("parse", fuzz_parse_one); }
static void test_compile(void) { unit_replay("compile", fuzz_compile_one); }

static void test_bundle(void) {
  if (!runtime_linked()) { printf("\n  note: libaigw not linked into the runner; not replayed\n"); return; }
  unit_replay("bundle", fuzz_bundle_one);
}

static void test_eval(void) {
  if (!runtime_linked()) { printf("\n  note: libaigw not linked into the runner; not replayed\n"); return; }
  static Buf bundle;   /* kept: the entry keeps the opened bundle for the whole run */
  if (!bundle.n) {
    DiagSink d;
    diag_init(&d);
    diag_load_file(&d, UNIT_DATA "/../examples/contoso/models.aigw");
    CompileOpts o = {FUZZ_NOW, 0};
    CU_ASSERT_FATAL(compile_bundle(&d, &o, &bundle) == 0);
    diag_free(&d);
    fuzz_bundles[0].name = "contoso";
    fuzz_bundles[0].data = (const unsigned char *)bundle.p;
    fuzz_bundles[0].len = bundle.n;
  }
  unit_replay("eval", fuzz_eval_one);
}

static void test_gen(void) {
  if (!runtime_linked()) { printf("\n  note: libaigw not linked into the runner; not replayed\n"); return; }
  unit_replay("gen", fuzz_gen_one);
}

UNIT_SUITE(fuzz_replay,
  {"parse corpus and regressions", test_parse},
  {"compile corpus and regressions", test_compile},
  {"bundle corpus and regressions", test_bundle},
  {"eval corpus and regressions", test_eval},
  {"gen corpus and regressions", test_gen})
