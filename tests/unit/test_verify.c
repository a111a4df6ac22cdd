/* The verifier's acceptance test. The shipped example is compiled, then every byte of
 * the bundle is flipped (xor 0xff, then xor 0x01) and the bundle truncated at every
 * length. Each mutant must be refused by aigw_bundle_open_mem with a message, or, when
 * it opens, be evaluated safely on a realistic input: the VM trusts what the verifier
 * accepts, so a crash or a sanitizer report there is a check the verifier is missing.
 *
 * Flipping bytes of a sealed file mostly tests SHA-256, so it is done twice: as is, and
 * with the header's checksum (and, for truncation, its file size) recomputed after the
 * mutation, which sends every mutant through the structural checks. The targeted cases
 * below craft one corruption each, reseal the file and pin the verifier's message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aigw.h"
#include "bundle.h"
#include "compile.h"
#include "sha256.h"
#include "unit.h"

static const char vt_policy[] = UNIT_DATA "/../examples/contoso/models.aigw";

enum { VT_NOW = 1795305600 };   /* 2026-11-22T00:00:00Z, before the exemption expires */

/* A request the exemption waives (its scope, model mistral-large), below the production
 * management group by ancestry (the dry-run guardrail fires), with a large prompt (a
 * warning), routed by the split rule and counted by the budget: one decision that
 * reaches every part of the evaluator. */
static const char vt_input[] =
  "{\"model\":\"mistral-large\",\"provider\":\"azure-openai\",\"region\":\"eastus\",\"task\":\"chat\","
  "\"scope\":\"/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rag-pilot/x\","
  "\"ancestors\":[\"/providers/Microsoft.Management/managementGroups/contoso-prod\"],"
  "\"principal\":\"bob\",\"team\":\"claims\",\"classification\":\"internal\","
  "\"prompt_tokens\":40000,\"tags\":{\"env\":\"pilot\"}}";

/* The compiled example, 8-byte aligned as the verifier requires, and its verified view
 * (whose pointers locate records for the targeted corruptions). */
static uint8_t *vt_orig;
static size_t vt_len;
static Bundle vt_view;

static int vt_load(void) {
  if (vt_orig) return 0;
  DiagSink d;
  diag_init(&d);
  Buf out = {0};
  int rc = -1;
  if (diag_load_file(&d, vt_policy) >= 0 && compile_bundle(&d, NULL, &out) == 0) {
    vt_len = out.n;
    vt_orig = malloc(vt_len);
    memcpy(vt_orig, out.p, vt_len);
    char err[256];
    rc = bundle_verify(vt_orig, vt_len, &vt_view, err, sizeof err);
    if (rc) printf("\n  the example does not verify: %s\n", err);
  } else {
    Buf b = {0};
    for (int i = 0; i < d.n; i++) diag_print_one(&d, &d.items[i], &b);
    printf("\n  the example does not compile:\n%s", b.p ? b.p : "");
    buf_free(&b);
  }
  buf_free(&out);
  diag_free(&d);
  return rc;
}

static BHeader *vt_header(uint8_t *m) { return (BHeader *)m; }

/* Recomputes the checksum of m[0..n) so that only the structural checks can object. */
static void vt_seal(uint8_t *m, size_t n) {
  if (n >= BUNDLE_HEADER) rt_sha256(m + BUNDLE_HEADER, n - BUNDLE_HEADER, vt_header(m)->checksum);
}

/* Resealing ~30,000 mutants is most of this suite's time (under the sanitizers above
 * all), and a mutant differs from the original only from one byte on, or is a prefix
 * of it. So the checksum resumes from the SHA-256 state saved at the 64-byte block
 * before the change (rt_sha256_block); vt_midstates_check() holds the result to
 * rt_sha256's answers. */
/* vt_mid[j]: the state after the first j blocks of the original's checksummed bytes. */
static uint32_t (*vt_mid)[8];

static void vt_midstates(void) {
  if (vt_mid) return;
  size_t nb = (vt_len - BUNDLE_HEADER) / 64;
  vt_mid = malloc((nb + 1) * sizeof *vt_mid);
  memcpy(vt_mid[0], rt_sha256_iv, sizeof vt_mid[0]);
  for (size_t j = 0; j < nb; j++) {
    memcpy(vt_mid[j + 1], vt_mid[j], sizeof vt_mid[0]);
    rt_sha256_block(vt_mid[j + 1], vt_orig + BUNDLE_HEADER + 64 * j);
  }
}

/* Seals m[0..n) where m equals the original before byte from (from >= the header). */
static void vt_reseal(uint8_t *m, size_t n, size_t from) {
  size_t len = n - BUNDLE_HEADER, j = (from - BUNDLE_HEADER) / 64, full = len / 64;
  if (j > full) j = full;
  uint32_t h[8];
  memcpy(h, vt_mid[j], sizeof h);
  const uint8_t *p = m + BUNDLE_HEADER;
  for (; j < full; j++) rt_sha256_block(h, p + 64 * j);
  rt_sha256_finish(h, p + 64 * full, len - 64 * full, len, vt_header(m)->checksum);
}

/* ---- the mutation loop ---- */

typedef struct Tally {
  long tried, rejected, opened, decided, unsafe;
  long silent;              /* rejections without a message */
  long first_silent;        /* the mutant's position, for the report */
} Tally;

static volatile size_t vt_sink;
static void vt_touch(const char *s) { if (s) vt_sink += strlen(s); }

/* Reads everything a decision offers, as a host would, so the sanitizers see every
 * string the accessors hand out. Returns 0 when the accessors keep their contracts. */
static int vt_walk(aigw_ctx *c) {
  int bad = 0;
  for (int l = AIGW_VIOLATIONS; l <= AIGW_ERRORS; l++) {
    size_t n = aigw_count(c, (aigw_list)l);
    aigw_finding f;
    for (size_t i = 0; i < n; i++) {
      if (aigw_get(c, (aigw_list)l, i, &f) != AIGW_OK) { bad = 1; continue; }
      vt_touch(f.guardrail); vt_touch(f.severity); vt_touch(f.effect); vt_touch(f.source);
      vt_touch(f.exemption); vt_touch(f.owner); vt_touch(f.expires);
      vt_touch(aigw_message(c, (aigw_list)l, i));
    }
    bad |= aigw_get(c, (aigw_list)l, n, &f) == AIGW_OK;
  }
  vt_touch(aigw_route(c));
  aigw_target t;
  for (size_t i = 0; i < aigw_route_count(c); i++) {
    if (aigw_route_target(c, i, &t) != AIGW_OK) { bad = 1; continue; }
    vt_touch(t.provider); vt_touch(t.model); vt_touch(t.region);
  }
  aigw_budget bu;
  for (size_t i = 0; i < aigw_budget_count(c); i++) {
    if (aigw_budget_get(c, i, &bu) != AIGW_OK) { bad = 1; continue; }
    vt_touch(bu.budget); vt_touch(bu.unit); vt_touch(bu.period);
    for (size_t k = 0; k < bu.key_len; k++) vt_sink += (unsigned char)bu.key[k];
  }
  size_t len = 0;
  const char *js = aigw_decision_json(c, &len);
  bad |= !js || len == 0 || strlen(js) != len || js[0] != '{' || js[len - 1] != '}';
  return bad;
}

/* Opens one mutant; a bundle that opens is evaluated, and its decision read. It is
 * evaluated even when its mutated schema refuses the input: the context is then empty,
 * and every guardrail must fail closed without crashing. */
static aigw_status vt_try(const uint8_t *m, size_t n, long where, Tally *t, char err[256]) {
  aigw_bundle *b = NULL;
  memset(err, 0, 256);
  t->tried++;
  aigw_status st = aigw_bundle_open_mem(m, n, NULL, &b, err, 256);
  if (st != AIGW_OK) {
    t->rejected++;
    if (b) t->unsafe++;
    if (!err[0] && !t->silent++) t->first_silent = where;
    return st;
  }
  t->opened++;
  vt_touch(aigw_bundle_id(b));
  vt_touch(aigw_bundle_policy(b));
  aigw_ctx *c = NULL;
  if (aigw_ctx_new(b, &c) == AIGW_OK) {
    aigw_input_json(c, vt_input, sizeof vt_input - 1);
    if (aigw_eval(c, VT_NOW) == AIGW_OK) {
      t->decided++;
      t->unsafe += vt_walk(c);
    }
    vt_touch(aigw_ctx_error(c));
    aigw_ctx_free(c);
  }
  aigw_bundle_close(b);
  return AIGW_OK;
}

static void vt_report(const char *what, const Tally *t) {
  printf("\n  %s: %ld mutants, %ld rejected, %ld opened and evaluated (%ld decided)", what, t->tried,
         t->rejected, t->opened, t->decided);
  if (t->silent) printf("; %ld rejected without a message, first at %ld", t->silent, t->first_silent);
  CU_ASSERT_EQUAL(t->silent, 0);
  CU_ASSERT_EQUAL(t->unsafe, 0);
  CU_ASSERT_EQUAL(t->tried, t->rejected + t->opened);
}

static double vt_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int vt_in_checksum(size_t i) {
  return i >= offsetof(BHeader, checksum) && i < offsetof(BHeader, checksum) + 32;
}

/* The resumed checksum agrees with rt_sha256 for prefixes and for changed bytes. */
static void test_midstates(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  vt_midstates();
  uint8_t *m = malloc(vt_len), *r = malloc(vt_len);
  memcpy(m, vt_orig, vt_len);
  memcpy(r, vt_orig, vt_len);
  int bad = 0;
  for (size_t n = BUNDLE_HEADER; n <= vt_len; n += 7) {
    vt_reseal(m, n, n);
    vt_seal(r, n);
    bad += memcmp(m, r, BUNDLE_HEADER) != 0;
  }
  for (size_t i = BUNDLE_HEADER; i < vt_len; i += 61) {
    m[i] ^= 0x5a; r[i] ^= 0x5a;
    vt_reseal(m, vt_len, i);
    vt_seal(r, vt_len);
    bad += memcmp(m, r, BUNDLE_HEADER) != 0;
    m[i] ^= 0x5a; r[i] ^= 0x5a;
  }
  vt_reseal(m, vt_len, BUNDLE_HEADER);
  bad += memcmp(m, vt_orig, vt_len) != 0;   /* the original seals to itself */
  CU_ASSERT_EQUAL(bad, 0);
  free(m);
  free(r);
}

/* The example itself opens and decides as its policy says. */
static void test_original(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  aigw_bundle *b = NULL;
  char err[256] = "";
  CU_ASSERT_FATAL(aigw_bundle_open_mem(vt_orig, vt_len, NULL, &b, err, sizeof err) == AIGW_OK);
  CU_ASSERT_STRING_EQUAL(aigw_bundle_policy(b), "contoso.ai");
  aigw_ctx *c = NULL;
  CU_ASSERT_FATAL(aigw_ctx_new(b, &c) == AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_json(c, vt_input, sizeof vt_input - 1), AIGW_OK);
  CU_ASSERT_EQUAL_FATAL(aigw_eval(c, VT_NOW), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_result(c), AIGW_ALLOW);
  CU_ASSERT_EQUAL(aigw_count(c, AIGW_WAIVED), 1);
  CU_ASSERT_EQUAL(aigw_count(c, AIGW_WARNINGS), 2);   /* prompt-size, dry-run cost-center-tag */
  CU_ASSERT_EQUAL(aigw_count(c, AIGW_ERRORS), 0);
  CU_ASSERT_STRING_EQUAL(aigw_route(c), "chat");
  CU_ASSERT_EQUAL(aigw_route_count(c), 2);            /* the split's arm, then the other */
  CU_ASSERT_EQUAL(aigw_budget_count(c), 1);
  CU_ASSERT_EQUAL(vt_walk(c), 0);
  const char *js = aigw_decision_json(c, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(js);
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"exemption\":\"EX-2026-014\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"guardrail\":\"cost-center-tag\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"budget\":\"team-tokens\",\"key\":\"claims\""));
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

/* (a) every byte flipped, as is: only the unchecked header bytes may survive. */
static void test_flip_sealed(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = malloc(vt_len);
  memcpy(m, vt_orig, vt_len);
  Tally t = {0};
  long survivors_outside_reserved = 0, wrong_message = 0;
  double t0 = vt_clock();
  static const uint8_t masks[2] = {0xff, 0x01};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; i < vt_len; i++) {
      m[i] ^= masks[k];
      char err[256];
      aigw_status st = vt_try(m, vt_len, (long)i, &t, err);
      if (st == AIGW_OK && i < offsetof(BHeader, reserved)) survivors_outside_reserved++;
      /* past the header, the checksum is what notices */
      if (i >= BUNDLE_HEADER && (st == AIGW_OK || !strstr(err, "bundle checksum mismatch")) && !wrong_message++)
        printf("\n  byte %zu xor 0x%02x: \"%s\"", i, masks[k], st ? err : "(accepted)");
      m[i] ^= masks[k];
    }
  vt_report("flipped bytes, checksum as is", &t);
  printf(" in %.2fs", vt_clock() - t0);
  CU_ASSERT_EQUAL(survivors_outside_reserved, 0);
  CU_ASSERT_EQUAL(wrong_message, 0);
  CU_ASSERT(t.opened <= 2 * (long)sizeof(((BHeader *)0)->reserved));
  free(m);
}

/* (b) truncated at every length, as is: always refused, for the right reason. */
static void test_truncate_sealed(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  Tally t = {0};
  long wrong_message = 0;
  for (size_t n = 0; n < vt_len; n++) {
    char err[256];
    aigw_status st = vt_try(vt_orig, n, (long)n, &t, err);
    const char *want = n < BUNDLE_HEADER ? "shorter than the header" : "bundle is truncated or padded";
    if (st == AIGW_OK || !strstr(err, want)) {
      if (!wrong_message++) printf("\n  truncated to %zu bytes: \"%s\", expected \"%s\"", n, err, want);
    }
  }
  vt_report("truncations, header as is", &t);
  CU_ASSERT_EQUAL(t.opened, 0);
  CU_ASSERT_EQUAL(wrong_message, 0);
}

/* (c) every byte flipped, then resealed: the structural checks must catch or tolerate
 * each one. */
static void test_flip_resealed(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = malloc(vt_len);
  memcpy(m, vt_orig, vt_len);
  uint8_t sum[32];
  memcpy(sum, vt_header(m)->checksum, 32);
  Tally t = {0};
  double t0 = vt_clock();
  vt_midstates();
  static const uint8_t masks[2] = {0xff, 0x01};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; i < vt_len; i++) {
      if (vt_in_checksum(i)) continue;   /* resealing would undo the flip */
      m[i] ^= masks[k];
      if (i >= BUNDLE_HEADER) vt_reseal(m, vt_len, i);   /* a header byte leaves the sum as it is */
      char err[256];
      vt_try(m, vt_len, (long)i, &t, err);
      m[i] ^= masks[k];
      memcpy(vt_header(m)->checksum, sum, 32);
    }
  vt_report("flipped bytes, checksum recomputed", &t);
  printf(" in %.2fs", vt_clock() - t0);
  CU_ASSERT(t.rejected > 0);
  CU_ASSERT(t.opened > 0);
  free(m);
}

/* (c) truncated at every length, with the header's size and checksum made to agree. */
static void test_truncate_resealed(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = malloc(vt_len);
  memcpy(m, vt_orig, vt_len);
  Tally t = {0};
  vt_midstates();
  for (size_t n = BUNDLE_HEADER; n < vt_len; n++) {
    vt_header(m)->file_size = (uint32_t)n;
    vt_reseal(m, n, n);
    char err[256];
    vt_try(m, n, (long)n, &t, err);
  }
  vt_report("truncations, size and checksum recomputed", &t);
  CU_ASSERT(t.rejected > 0);
  free(m);
}

/* ---- targeted corruptions ---- */

/* A fresh copy of the example to corrupt; freed by vt_expect. */
static uint8_t *vt_copy(void) {
  uint8_t *m = malloc(vt_len);
  memcpy(m, vt_orig, vt_len);
  return m;
}

/* The offset in the file of a record the verified view points at. */
static size_t vt_off(const void *p) { return (size_t)((const uint8_t *)p - vt_orig); }

static void vt_put32(uint8_t *m, size_t off, uint32_t v) { memcpy(m + off, &v, 4); }

/* m (n bytes) must be refused by the verifier and by the public loader, both with a
 * message holding want. Frees m. */
static void vt_expect_n(uint8_t *m, size_t n, const char *want) {
  char err[256] = "", err2[256] = "";
  Bundle b;
  int rc = bundle_verify(m, n, &b, err, sizeof err);
  aigw_bundle *h = NULL;
  aigw_status st = aigw_bundle_open_mem(m, n, NULL, &h, err2, sizeof err2);
  if (rc == 0 || !strstr(err, want) || !strstr(err2, want))
    printf("\n  expected a refusal containing \"%s\"\n    verifier: %s\n    loader:   %s", want,
           rc ? err : "(accepted)", st ? err2 : "(accepted)");
  CU_ASSERT_EQUAL(rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
  CU_ASSERT_EQUAL(st, AIGW_ERR_CORRUPT);
  CU_ASSERT_PTR_NULL(h);
  CU_ASSERT_PTR_NOT_NULL(strstr(err2, want));
  if (h) aigw_bundle_close(h);
  free(m);
}
static void vt_expect(uint8_t *m, const char *want) { vt_expect_n(m, vt_len, want); }

static void test_bad_magic(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = vt_copy();
  m[0] = 'X';
  vt_seal(m, vt_len);
  vt_expect(m, "not a bundle: bad magic");
  /* a text file is not a bundle either */
  m = vt_copy();
  memcpy(m, "policy contoso.ai\n", 18);
  vt_expect(m, "not a bundle: bad magic");
}

/* Line-ending conversion in either direction, and a NUL that ends a C-string copy. */
static void test_mangled_magic(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  const char *want = "bundle mangled in transfer (line endings or NUL bytes changed)";
  /* LF → CRLF (a text-mode write on Windows) */
  uint8_t *m = malloc(vt_len * 2), *w = m;
  for (size_t i = 0; i < vt_len; i++) {
    if (vt_orig[i] == '\n') *w++ = '\r';
    *w++ = vt_orig[i];
  }
  vt_expect_n(m, (size_t)(w - m), want);
  /* CRLF → LF (a text-mode read) */
  m = malloc(vt_len);
  w = m;
  for (size_t i = 0; i < vt_len; i++)
    if (!(vt_orig[i] == '\r' && i + 1 < vt_len && vt_orig[i + 1] == '\n')) *w++ = vt_orig[i];
  vt_expect_n(m, (size_t)(w - m), want);
  /* the NUL replaced, as by a careless string copy */
  m = vt_copy();
  m[5] = ' ';
  vt_seal(m, vt_len);
  vt_expect(m, want);
}

static void test_wrong_version(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = vt_copy();
  vt_header(m)->version = BUNDLE_VERSION + 1;
  vt_seal(m, vt_len);
  char err[256] = "", want[128];
  Bundle b;
  snprintf(want, sizeof want, "unsupported bundle format version %d (this build reads %d)", BUNDLE_VERSION + 1, BUNDLE_VERSION);
  CU_ASSERT_EQUAL(bundle_verify(m, vt_len, &b, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, want);
  /* the loader names it as a version problem, not as corruption */
  aigw_bundle *h = NULL;
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(m, vt_len, NULL, &h, err, sizeof err), AIGW_ERR_VERSION);
  CU_ASSERT_PTR_NULL(h);
  snprintf(want, sizeof want, "bundle format version %d is not supported", BUNDLE_VERSION + 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
  free(m);
}

static void test_wrong_endian(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = vt_copy();
  vt_header(m)->endian = 0x04030201u;   /* as a big-endian writer would have stored it */
  vt_seal(m, vt_len);
  vt_expect(m, "bundle has the wrong byte order for this machine");
}

static void test_truncated_file(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  char want[128];
  snprintf(want, sizeof want, "bundle is truncated or padded: header says %zu bytes, file has %zu", vt_len, vt_len - 8);
  vt_expect_n(vt_copy(), vt_len - 8, want);
  vt_expect_n(vt_copy(), 10, "not a bundle: 10 bytes is shorter than the header");
  /* sealed for its new length, the missing tail is a section outside the file */
  uint8_t *m = vt_copy();
  vt_header(m)->file_size = (uint32_t)(vt_len - 8);
  vt_seal(m, vt_len - 8);
  snprintf(want, sizeof want, "section %d lies outside the file", SEC_META);
  vt_expect_n(m, vt_len - 8, want);
}

static void test_checksum(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint8_t *m = vt_copy();
  m[vt_len - 1] ^= 1;
  vt_expect(m, "bundle checksum mismatch: the file is corrupt");
}

/* The section table entry of section id. */
static size_t vt_section(uint32_t id) {
  const BSection *tab = (const BSection *)(vt_orig + BUNDLE_HEADER);
  for (uint32_t i = 0; i < vt_header(vt_orig)->nsections; i++)
    if (tab[i].id == id) return BUNDLE_HEADER + i * sizeof(BSection);
  CU_FAIL("section not found");
  return BUNDLE_HEADER;
}

static void test_section_bounds(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  char want[128];
  size_t s = vt_section(SEC_CODE);
  uint8_t *m = vt_copy();
  vt_put32(m, s + offsetof(BSection, size), (uint32_t)vt_len);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "section %d lies outside the file", SEC_CODE);
  vt_expect(m, want);
  /* an offset that wraps around 32 bits */
  m = vt_copy();
  vt_put32(m, s + offsetof(BSection, offset), 0xfffffff8u);
  vt_seal(m, vt_len);
  vt_expect(m, want);
  /* inside the section table itself */
  m = vt_copy();
  vt_put32(m, s + offsetof(BSection, offset), BUNDLE_HEADER);
  vt_seal(m, vt_len);
  vt_expect(m, want);
  m = vt_copy();
  vt_put32(m, s + offsetof(BSection, offset), ((const BSection *)(vt_orig + s))->offset + 4);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "section %d is misaligned", SEC_CODE);
  vt_expect(m, want);
  m = vt_copy();
  vt_put32(m, s + offsetof(BSection, id), SEC_PROGRAMS);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "section %d appears twice", SEC_PROGRAMS);
  vt_expect(m, want);
  m = vt_copy();
  vt_put32(m, s + offsetof(BSection, id), SEC__MAX);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "unknown section id %d", SEC__MAX);
  vt_expect(m, want);
  /* one section fewer in the header: the last one written (TABLES) goes missing */
  m = vt_copy();
  vt_header(m)->nsections--;
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "section %d is missing", SEC_TABLES);
  vt_expect(m, want);
  m = vt_copy();
  vt_header(m)->nsections = 0x40000000u;
  vt_seal(m, vt_len);
  vt_expect(m, "too many sections");
  /* a program record cut in half */
  s = vt_section(SEC_PROGRAMS);
  m = vt_copy();
  vt_put32(m, s + offsetof(BSection, size), ((const BSection *)(vt_orig + s))->size - 4);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "section %d: size %u is not a whole number of records", SEC_PROGRAMS,
           ((const BSection *)(vt_orig + s))->size - 4);
  vt_expect(m, want);
}

/* The first instruction with opcode op (at or after from), as pc and its program. */
static int vt_find_op(int op, uint32_t from, uint32_t *pc, uint32_t *prog) {
  const Bundle *b = &vt_view;
  for (uint32_t p = 0; p < b->nprograms; p++)
    for (uint32_t k = 0; k < b->programs[p].len; k += insn_words(b->code[b->programs[p].start + k])) {
      uint32_t at = b->programs[p].start + k;
      if (at >= from && INSN_OP(b->code[at]) == (uint32_t)op) { *pc = at; *prog = p; return 0; }
    }
  return -1;
}

static void vt_put_insn(uint8_t *m, uint32_t pc, uint32_t w) { vt_put32(m, vt_off(&vt_view.code[pc]), w); }

/* Program 0 is approved-model's condition, `model not in approved`: FINSET model, set;
 * NOT; RET. The tests below take it apart unfused, as LDF model; INSET set; NOT; RET
 * (the same length, and as valid), one instruction per word. */
static uint8_t *vt_copy_plain0(void) {
  CU_ASSERT_FATAL(INSN_OP(vt_view.code[0]) == OP_FINSET && vt_view.programs[0].len == 4);
  uint8_t *m = vt_copy();
  vt_put_insn(m, 0, INSN(OP_LDF, INSN_ARG(vt_view.code[0])));
  vt_put_insn(m, 1, INSN(OP_INSET, vt_view.code[1]));
  return m;
}

/* Whether pc starts an instruction of its program (and is not a second word). */
static int vt_insn_start(uint32_t prog, uint32_t pc) {
  const BProgram *P = &vt_view.programs[prog];
  uint32_t k = P->start;
  while (k < pc) k += insn_words(vt_view.code[k]);
  return k == pc;
}

static void test_bad_jump(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  uint32_t pc, p;
  CU_ASSERT_FATAL(vt_find_op(OP_JFK, 0, &pc, &p) == 0);
  const BProgram *P = &vt_view.programs[p];
  uint32_t k = pc - P->start;
  char want[128];
  snprintf(want, sizeof want, "bad jump target at pc %u in program %u", pc, p);
  /* one past the program's end, and the largest offset an instruction can hold */
  uint8_t *m = vt_copy();
  vt_put_insn(m, pc, INSN(OP_JFK, P->len - k - 1));
  vt_seal(m, vt_len);
  vt_expect(m, want);
  m = vt_copy();
  vt_put_insn(m, pc, INSN(OP_JFK, INSN_ARG_MAX));
  vt_seal(m, vt_len);
  vt_expect(m, want);
  /* a jump one short lands on an instruction whose stack differs from the jump's (where
   * that is a fused compare's second word, the compare is written unfused) */
  m = vt_copy();
  uint32_t t = pc + INSN_ARG(vt_view.code[pc]);
  if (!vt_insn_start(p, t)) {
    static const int unfused[][2] = {{OP_FSEQK, OP_SEQK}, {OP_FSNEK, OP_SNEK}, {OP_FINSET, OP_INSET}};
    uint32_t fw = vt_view.code[t - 1];
    for (int u = 0; u < 3; u++)
      if (INSN_OP(fw) == (uint32_t)unfused[u][0]) vt_put_insn(m, t, INSN(unfused[u][1], vt_view.code[t]));
    vt_put_insn(m, t - 1, INSN(OP_LDF, INSN_ARG(fw)));
  }
  vt_put_insn(m, pc, INSN(OP_JFK, INSN_ARG(vt_view.code[pc]) - 1));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "stack differs at jump target pc %u in program %u", pc + INSN_ARG(vt_view.code[pc]), p);
  vt_expect(m, want);
  /* a jump onto the second word of a fused instruction, which is data: the `and`
   * jump of `a and request.x == "k"` moved one word short of its end */
  uint32_t f = 0, fp = 0, found = 0;
  for (uint32_t from = 0; !found && vt_find_op(OP_JFK, from, &f, &fp) == 0; from = f + 1)
    found = INSN_ARG(vt_view.code[f]) == 2 && insn_words(vt_view.code[f + 1]) == 2;
  CU_ASSERT_FATAL(found);
  f++;                                     /* the fused instruction */
  m = vt_copy();
  vt_put_insn(m, f - 1, INSN(OP_JFK, 1));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "jump into the operand of pc %u in program %u", f, fp);
  vt_expect(m, want);
  /* a fused instruction cut short by the program's end */
  m = vt_copy_plain0();
  vt_put_insn(m, 3, INSN(OP_FINSET, INSN_ARG(vt_view.code[0])));
  vt_seal(m, vt_len);
  vt_expect(m, "missing operand at pc 3 in program 0");
}

static void test_bad_opcode(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  char want[128];
  uint32_t w = vt_view.code[0];
  uint8_t *m = vt_copy();
  vt_put_insn(m, 0, (w & ~0xffu) | OP__COUNT);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad opcode %d at pc 0 in program 0", OP__COUNT);
  vt_expect(m, want);
  m = vt_copy();
  vt_put_insn(m, 0, (w & ~0xffu) | 0xff);
  vt_seal(m, vt_len);
  vt_expect(m, "bad opcode 255 at pc 0 in program 0");
}

static void test_bad_operands(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  char want[128];
  uint8_t *m = vt_copy_plain0();
  vt_put_insn(m, 0, INSN(OP_LDF, vt_view.nfields));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad field %u at pc 0 in program 0", vt_view.nfields);
  vt_expect(m, want);
  m = vt_copy_plain0();
  vt_put_insn(m, 1, INSN(OP_INSET, vt_view.nsets));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad set %u at pc 1 in program 0", vt_view.nsets);
  vt_expect(m, want);
  m = vt_copy_plain0();
  vt_put_insn(m, 2, INSN(OP_NOT, 1));
  vt_seal(m, vt_len);
  vt_expect(m, "stray operand at pc 2 in program 0");
  uint32_t pc, p;
  CU_ASSERT_FATAL(vt_find_op(OP_LDS, 0, &pc, &p) == 0);
  m = vt_copy();
  vt_put_insn(m, pc, INSN(OP_LDS, vt_view.nstrings));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad string %u at pc %u in program %u", vt_view.nstrings, pc, p);
  vt_expect(m, want);
  CU_ASSERT_FATAL(vt_find_op(OP_LDI, 0, &pc, &p) == 0);
  m = vt_copy();
  vt_put_insn(m, pc, INSN(OP_LDI, vt_view.nints));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad constant %u at pc %u in program %u", vt_view.nints, pc, p);
  vt_expect(m, want);
  CU_ASSERT_FATAL(vt_find_op(OP_CAST, 0, &pc, &p) == 0);
  m = vt_copy();
  vt_put_insn(m, pc, INSN(OP_CAST, T_STR));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad cast at pc %u in program %u", pc, p);
  vt_expect(m, want);
  /* the fused form: its field, and its second word, are checked as LDF's and INSET's */
  m = vt_copy();
  vt_put_insn(m, 0, INSN(OP_FINSET, vt_view.nfields));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad field %u at pc 0 in program 0", vt_view.nfields);
  vt_expect(m, want);
  m = vt_copy();
  vt_put_insn(m, 1, vt_view.nsets);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "bad set %u at pc 0 in program 0", vt_view.nsets);
  vt_expect(m, want);
  /* LDB 2 */
  m = vt_copy_plain0();
  vt_put_insn(m, 0, INSN(OP_LDB, 2));
  vt_seal(m, vt_len);
  vt_expect(m, "bad immediate at pc 0 in program 0");
}

/* A string comparison fed an int: LDF of a string field becomes LDF of an int field. */
static void test_stack_types(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  const Bundle *b = &vt_view;
  uint32_t int_field = NONE32;
  for (uint32_t f = 0; f < b->nfields && int_field == NONE32; f++)
    if (b->fields[f].type == T_INT) int_field = f;
  CU_ASSERT_FATAL(int_field != NONE32);
  uint32_t seq, p;
  CU_ASSERT_FATAL(vt_find_op(OP_FSEQK, 0, &seq, &p) == 0);
  char want[128];
  uint8_t *m = vt_copy();
  vt_put_insn(m, seq, INSN(OP_FSEQK, int_field));
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "operand types do not fit FSEQK at pc %u in program %u", seq, p);
  vt_expect(m, want);
  /* a number cast applied to program 0's string */
  m = vt_copy_plain0();
  vt_put_insn(m, 1, INSN(OP_CAST, T_INT));
  vt_seal(m, vt_len);
  vt_expect(m, "operand types do not fit CAST at pc 1 in program 0");
  /* a bool program returning its string: LDF model; LDB 1; POP; RET */
  m = vt_copy_plain0();
  vt_put_insn(m, 1, INSN(OP_LDB, 1));
  vt_put_insn(m, 2, INSN(OP_POP, 0));
  vt_seal(m, vt_len);
  vt_expect(m, "operand types do not fit RET at pc 3 in program 0");
  /* two values left at RET: LDF model; LDB 1; NOT; RET */
  m = vt_copy_plain0();
  vt_put_insn(m, 1, INSN(OP_LDB, 1));
  vt_seal(m, vt_len);
  vt_expect(m, "operand types do not fit RET at pc 3 in program 0");
  /* one pop too many */
  m = vt_copy_plain0();
  vt_put_insn(m, 1, INSN(OP_POP, 0));
  vt_seal(m, vt_len);
  vt_expect(m, "stack underflow at pc 2 in program 0");
}

static void test_missing_ret(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  /* program 0 one instruction shorter: LDF; INSET; NOT and no RET */
  uint8_t *m = vt_copy_plain0();
  vt_put32(m, vt_off(&vt_view.programs[0].len), vt_view.programs[0].len - 1);
  vt_seal(m, vt_len);
  vt_expect(m, "program 0 does not end in RET");
  /* RET replaced by POP: the stack is empty and the program runs off its end */
  m = vt_copy_plain0();
  vt_put_insn(m, 3, INSN(OP_POP, 0));
  vt_seal(m, vt_len);
  vt_expect(m, "program 0 does not end in RET");
  /* RET in the middle leaves the rest unreachable */
  m = vt_copy_plain0();
  vt_put_insn(m, 1, INSN(OP_RET, 0));
  vt_seal(m, vt_len);
  vt_expect(m, "operand types do not fit RET at pc 1 in program 0");
  m = vt_copy_plain0();
  vt_put_insn(m, 2, INSN(OP_RET, 0));
  vt_seal(m, vt_len);
  vt_expect(m, "unreachable instruction at pc 3 in program 0");
  m = vt_copy_plain0();
  vt_put32(m, vt_off(&vt_view.programs[0].len), 0);
  vt_seal(m, vt_len);
  vt_expect(m, "program 0 is out of bounds");
}

static void test_strings(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  const Bundle *b = &vt_view;
  uint32_t i = b->nstrings / 2;
  char want[128];
  uint8_t *m = vt_copy();
  m[vt_off(b->str_bytes + b->str_off[i + 1] - 1)] = 'x';
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "string %u is not terminated", i);
  vt_expect(m, want);
  m = vt_copy();
  vt_put32(m, vt_off(&b->str_off[i + 1]), b->str_off[i]);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "string %u out of bounds", i);
  vt_expect(m, want);
  m = vt_copy();
  vt_put32(m, vt_off(b->str_off) - 4, 0xffffffffu);   /* the count before the offsets */
  vt_seal(m, vt_len);
  vt_expect(m, "too many strings");
  /* a hash bucket naming a string past the table */
  m = vt_copy();
  vt_put32(m, vt_off(&b->strhash[0]), b->nstrings + 1);
  vt_seal(m, vt_len);
  vt_expect(m, "string hash bucket 0 out of range");
  /* hash bits over no string: not empty, yet naming nothing */
  m = vt_copy();
  vt_put32(m, vt_off(&b->strhash[0]), ~(uint32_t)STRHASH_ID_MASK);
  vt_seal(m, vt_len);
  vt_expect(m, "string hash bucket 0 out of range");
  /* a trie edge whose segment is not its child's: a walk would compare other bytes */
  uint32_t e = 0;
  while (e < b->nedges && b->edges[e].child == NONE32) e++;
  CU_ASSERT_FATAL(e < b->nedges);
  m = vt_copy();
  vt_put32(m, vt_off(&b->edges[e].seg), b->edges[e].seg + 1);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "edge %u is inconsistent", e);
  vt_expect(m, want);
  /* or a length that is not its segment's: the bytes compared would run past it */
  m = vt_copy();
  vt_put32(m, vt_off(&b->edges[e].key), b->edges[e].key + 1);
  vt_seal(m, vt_len);
  vt_expect(m, want);
}

/* Records that point outside their tables. */
static void test_records(void) {
  CU_ASSERT_FATAL(vt_load() == 0);
  const Bundle *b = &vt_view;
  uint8_t *m = vt_copy();
  vt_put32(m, vt_off(&b->guardrails[0].cond), b->nprograms);
  vt_seal(m, vt_len);
  vt_expect(m, "guardrail 0 has a bad condition");
  m = vt_copy();
  vt_put32(m, vt_off(&b->guardrails[0].cond), b->guardrails[0].args_count ? b->u32s[b->guardrails[0].args_first] : 1);
  vt_seal(m, vt_len);
  vt_expect(m, "guardrail 0 has a bad condition");   /* a string program is not a condition */
  m = vt_copy();
  vt_put32(m, vt_off(&b->guardrails[0].args_count), b->guardrails[0].args_count + 1);
  vt_seal(m, vt_len);
  vt_expect(m, "guardrail 0: message holes and arguments differ");
  m = vt_copy();
  vt_put32(m, vt_off(&b->exemptions[0].node), b->nnodes);
  vt_seal(m, vt_len);
  vt_expect(m, "exemption 0 has a bad scope or condition");
  m = vt_copy();
  vt_put32(m, vt_off(&b->exindex[0].guardrail), b->nguardrails);
  vt_seal(m, vt_len);
  vt_expect(m, "exemption index entry 0 out of range");
  m = vt_copy();
  vt_put32(m, vt_off(&b->nodes[1].parent), 1);
  vt_seal(m, vt_len);
  vt_expect(m, "scope node 1 has a bad parent");
  /* a split whose last arm stops short of 100% */
  uint32_t r = NONE32;
  for (uint32_t i = 0; i < b->nrules && r == NONE32; i++)
    if (b->rules[i].kind == RULE_SPLIT) r = i;
  CU_ASSERT_FATAL(r != NONE32);
  char want[128];
  m = vt_copy();
  vt_put32(m, vt_off(&b->u32s[b->rules[r].weights_first + b->rules[r].ntargets - 1]), 9999);
  vt_seal(m, vt_len);
  snprintf(want, sizeof want, "rule %u weights do not reach 100%%", r);
  vt_expect(m, want);
  m = vt_copy();
  vt_put32(m, vt_off(&b->meta->max_stack), LIMIT_STACK + 1);
  vt_seal(m, vt_len);
  vt_expect(m, "declared stack too deep");
  m = vt_copy();
  m[vt_off(&b->programs[0].result)] = T_NONE;
  vt_seal(m, vt_len);
  vt_expect(m, "program 0 has a bad result type");
  m = vt_copy();
  m[vt_off(&b->programs[0].max_stack)] = 0;
  vt_seal(m, vt_len);
  vt_expect(m, "program 0 needs more stack than it declares");
}

UNIT_SUITE(verify,
  {"the example opens and decides", test_original},
  {"the resumed checksum agrees with rt_sha256", test_midstates},
  {"every byte flipped: refused or evaluated safely", test_flip_sealed},
  {"every truncation: refused", test_truncate_sealed},
  {"every byte flipped, checksum recomputed: refused or evaluated safely", test_flip_resealed},
  {"every truncation, size and checksum recomputed: refused or evaluated safely", test_truncate_resealed},
  {"bad magic", test_bad_magic},
  {"magic mangled by line endings or a lost NUL", test_mangled_magic},
  {"wrong version", test_wrong_version},
  {"wrong byte order", test_wrong_endian},
  {"truncated file", test_truncated_file},
  {"checksum mismatch", test_checksum},
  {"section table: bounds, alignment, ids", test_section_bounds},
  {"bad jump target", test_bad_jump},
  {"bad opcode", test_bad_opcode},
  {"bad operands", test_bad_operands},
  {"operand types and stack depth", test_stack_types},
  {"missing RET and unreachable code", test_missing_ret},
  {"strings and the string hash", test_strings},
  {"records out of range", test_records})
