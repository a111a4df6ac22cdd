/* The bundle target: bytes from outside through the loader and verifier. A bundle that
 * opens is trusted by the VM, so it is then evaluated once on a fixed input: any crash
 * there is a check the verifier is missing.
 *
 * A bundle is sealed by a SHA-256 of everything after its header, so almost every
 * mutation would stop at the checksum and the verifier behind it would go unexplored.
 * The seal is recomputed on a copy first; the checksum test itself is left to the unit
 * tests. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "bundle.h"
#include "fuzz.h"
#include "fuzz_walk.h"
#include "sha256.h"

int fuzz_bundle_one(const uint8_t *bytes, size_t size) {
  uint8_t *data = malloc(size ? size : 1);
  if (!data) return 0;
  if (size) memcpy(data, bytes, size);
  if (size >= BUNDLE_HEADER)
    rt_sha256(data + BUNDLE_HEADER, size - BUNDLE_HEADER, data + offsetof(BHeader, checksum));
  aigw_config cfg;
  aigw_config_init(&cfg);
  cfg.step_limit = 100000;   /* a looping bundle must end in AIGW_ERR_LIMIT, not a timeout */
  aigw_bundle *b = NULL;
  char err[128];
  memset(err, 'x', sizeof err);
  aigw_status s = aigw_bundle_open_mem(data, size, &cfg, &b, err, sizeof err);
  free(data);                /* the bundle keeps its own copy */
  if (s != AIGW_OK) {
    if (b || !memchr(err, 0, sizeof err)) abort();   /* no handle; a terminated message */
    fuzz_touch(aigw_status_name(s));
    return 0;
  }
  fuzz_touch(aigw_bundle_id(b));
  fuzz_touch(aigw_bundle_policy(b));
  aigw_ctx *c = NULL;
  if (aigw_ctx_new(b, &c) == AIGW_OK) {
    static const char input[] = FUZZ_INPUT_JSON;
    if (aigw_input_json(c, input, sizeof input - 1) == AIGW_OK && aigw_eval(c, FUZZ_NOW) == AIGW_OK)
      fuzz_walk_decision(c);
    fuzz_touch(aigw_ctx_error(c));
    aigw_ctx_free(c);
  }
  aigw_bundle_close(b);
  return 0;
}
