/* Signed bundles through the library: with verify keys configured, a bundle opens only
 * with a signature by one of them over its id; a bundle rewritten and resealed is
 * refused, an unsigned one too, and without keys nothing changes. */
#define _GNU_SOURCE 1   /* memmem */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include "bundle.h"
#include "sha256.h"
#include "test_rt.h"
#include "unit.h"

static const char SRC[] = "policy s\ninput request { model: string }\n"
                          "guardrail approved-model { deny when request.model != \"gpt-4o\" }\n";

static size_t sign(EVP_PKEY *k, const char *id, char *text, size_t n) {
  unsigned char msg[160], sig[64], pub[32];
  size_t ml = aigw_signature_message(id, msg, sizeof msg), sl = 64, pl = 32;
  EVP_MD_CTX *m = EVP_MD_CTX_new();
  int ok = EVP_DigestSignInit(m, NULL, NULL, NULL, k) == 1 && EVP_DigestSign(m, sig, &sl, msg, ml) == 1 &&
           EVP_PKEY_get_raw_public_key(k, pub, &pl) == 1;
  EVP_MD_CTX_free(m);
  return ok ? aigw_signature_text(pub, sig, id, text, n) : 0;
}

static void t_signed(void) {
  EVP_PKEY *good = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), *evil = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  CU_ASSERT_PTR_NOT_NULL_FATAL(good);
  CU_ASSERT_PTR_NOT_NULL_FATAL(evil);
  unsigned char keys[64];
  size_t pl = 32;
  EVP_PKEY_get_raw_public_key(evil, keys, &pl);
  EVP_PKEY_get_raw_public_key(good, keys + 32, &pl);
  size_t n;
  char *bytes = tu_compile_bytes(SRC, &n), err[256], text[512];
  CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
  aigw_bundle *b;
  CU_ASSERT_EQUAL_FATAL(aigw_bundle_open_mem(bytes, n, NULL, &b, err, sizeof err), AIGW_OK);
  size_t tl = sign(good, aigw_bundle_id(b), text, sizeof text);
  aigw_bundle_close(b);
  CU_ASSERT(tl > 0);
  aigw_config cfg;
  aigw_config_init(&cfg);
  cfg.verify_keys = keys;
  cfg.nverify_keys = 2;
  /* signed by the second configured key: opens */
  CU_ASSERT_EQUAL(aigw_bundle_open_signed(bytes, n, text, tl, &cfg, &b, err, sizeof err), AIGW_OK);
  aigw_bundle_close(b);
  /* no signature, with keys: refused */
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(bytes, n, &cfg, &b, err, sizeof err), AIGW_ERR_SIGNATURE);
  CU_ASSERT_PTR_NULL(b);
  CU_ASSERT_STRING_EQUAL(aigw_status_name(AIGW_ERR_SIGNATURE), "signature");
  /* rewritten and resealed: the seal passes, the signature does not */
  char *t = malloc(n);
  memcpy(t, bytes, n);
  char *s = memmem(t, n, "gpt-4o", 6);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  s[0] = 'G';
  rt_sha256(t + BUNDLE_HEADER, n - BUNDLE_HEADER, ((BHeader *)t)->checksum);
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(t, n, NULL, &b, err, sizeof err), AIGW_OK);   /* the attack, without keys */
  aigw_bundle_close(b);
  CU_ASSERT_EQUAL(aigw_bundle_open_signed(t, n, text, tl, &cfg, &b, err, sizeof err), AIGW_ERR_SIGNATURE);
  CU_ASSERT(strstr(err, "does not match its content") != NULL);
  /* signed by a key that is not configured */
  cfg.nverify_keys = 1;
  CU_ASSERT_EQUAL(aigw_bundle_open_signed(bytes, n, text, tl, &cfg, &b, err, sizeof err), AIGW_ERR_SIGNATURE);
  CU_ASSERT(strstr(err, "not a configured verify key") != NULL);
  /* a truncated signature text */
  cfg.nverify_keys = 2;
  CU_ASSERT_EQUAL(aigw_bundle_open_signed(bytes, n, text, tl / 2, &cfg, &b, err, sizeof err), AIGW_ERR_SIGNATURE);
  free(t);
  free(bytes);
  EVP_PKEY_free(good);
  EVP_PKEY_free(evil);
}

UNIT_SUITE(rt_sign, {"signed bundles", t_signed})
