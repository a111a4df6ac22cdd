/* The compile target: one source through compile_bundle. The compiler must either
 * succeed with a bundle and no errors, or fail with at least one error; and a bundle it
 * produces must pass the runtime's verifier, when the runtime is linked in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "compile.h"
#include "fuzz.h"

/* Weak: the unit replay links libaigw.a as an archive and may not pull these in; run.sh
 * forces them into the fuzz target when the runtime provides them. */
#pragma weak aigw_bundle_open_mem
#pragma weak aigw_bundle_close
#pragma weak aigw_config_init

static void fuzz_verify_bundle(const Buf *out) {
  if (!aigw_bundle_open_mem || !aigw_bundle_close || !aigw_config_init) return;
  aigw_config cfg;
  aigw_config_init(&cfg);
  aigw_bundle *b = NULL;
  char err[256] = "";
  aigw_status s = aigw_bundle_open_mem(out->p, out->n, &cfg, &b, err, sizeof err);
  if (s != AIGW_OK) {
    fprintf(stderr, "fuzz compile: the compiler's bundle fails verification: %s\n", err);
    abort();
  }
  aigw_bundle_close(b);
}

int fuzz_compile_one(const uint8_t *data, size_t size) {
  if (size > DIAG_MAX_FILE) return 0;
  char *text = xmalloc(size + 1);
  if (size) memcpy(text, data, size);
  text[size] = 0;
  DiagSink d;
  diag_init(&d);
  diag_add_source(&d, "fuzz.aigw", text, (uint32_t)size);
  CompileOpts o = {FUZZ_NOW, 0};
  Buf out = {0};
  int rc = compile_bundle(&d, &o, &out);
  if (rc == 0 && (d.errors || !out.n)) abort();
  if (rc != 0 && !d.errors) abort();
  if (rc == 0) fuzz_verify_bundle(&out);
  Buf msg = {0};
  for (int i = 0; i < d.n; i++) diag_print_one(&d, &d.items[i], &msg);
  buf_free(&msg);
  buf_free(&out);
  diag_free(&d);
  return 0;
}
