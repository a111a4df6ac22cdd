/* Signed bundles: Ed25519 over the bundle id, checked on load when the host configures
 * public keys (aigw_config.verify_keys). The SHA-256 seal only detects corruption; a
 * signature also detects a bundle rewritten and resealed by someone without the key.
 *
 * The signature is detached, a small text file beside the bundle (BUNDLE.aigwb.sig):
 *
 *   aigw-signature 1
 *   key <16 hex digits: the first 8 bytes of SHA-256 of the raw public key>
 *   bundle sha256:<64 hex digits>
 *   ed25519 <128 hex digits>
 *
 * and the signed message is "aigw-bundle-signature-v1\n" followed by the id, so a
 * signature can never be replayed as anything else. Ed25519 comes from OpenSSL's
 * libcrypto, which the CLI's libcurl already brings in (its allocations are its own,
 * outside the allocator hook, as jansson's are). */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include "sha256.h"
#include "vm.h"

static const char SIG_CONTEXT[] = "aigw-bundle-signature-v1\n";

void rt_key_id(const uint8_t pub[32], char out[17]) {
  uint8_t d[32];
  char hex[65];
  rt_sha256(pub, 32, d);
  rt_sha256_hex(d, hex);
  memcpy(out, hex, 16);
  out[16] = 0;
}

static int unhex(const char *s, size_t n, uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    int v = 0;
    for (int k = 0; k < 2; k++) {
      char ch = s[2 * i + k];
      int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    out[i] = (uint8_t)v;
  }
  return 0;
}

/* One line "word value" of the signature text at *p; advances *p. */
static int line(const char **p, const char *end, const char *word, const char **val, size_t *vn) {
  size_t wl = strlen(word);
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  const char *e = nl ? nl : end;
  if ((size_t)(e - *p) <= wl + 1 || memcmp(*p, word, wl) || (*p)[wl] != ' ') return -1;
  *val = *p + wl + 1;
  *vn = (size_t)(e - *val);
  *p = nl ? nl + 1 : end;
  return 0;
}

size_t aigw_signature_message(const char *bundle_id, unsigned char *out, size_t n) {
  size_t ml = strlen(SIG_CONTEXT), il = strlen(bundle_id);
  if (ml + il > n) return 0;
  memcpy(out, SIG_CONTEXT, ml);
  memcpy(out + ml, bundle_id, il);
  return ml + il;
}

size_t aigw_signature_text(const unsigned char pub[32], const unsigned char sig[64], const char *bundle_id,
                           char *out, size_t n) {
  char kid[17], hex[129];
  rt_key_id(pub, kid);
  for (int i = 0; i < 64; i++) snprintf(hex + 2 * i, 3, "%02x", sig[i]);
  int k = snprintf(out, n, "aigw-signature 1\nkey %s\nbundle %s\ned25519 %s\n", kid, bundle_id, hex);
  return k > 0 && (size_t)k < n ? (size_t)k : 0;
}

void aigw_key_id(const unsigned char pub[32], char out[17]) { rt_key_id(pub, out); }

static int ed25519_ok(const uint8_t pub[32], const uint8_t sig[64], const char *id) {
  EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
  EVP_MD_CTX *m = EVP_MD_CTX_new();
  uint8_t msg[sizeof SIG_CONTEXT + 80];
  size_t ml = aigw_signature_message(id, msg, sizeof msg);
  int ok = k && m && ml && EVP_DigestVerifyInit(m, NULL, NULL, NULL, k) == 1 &&
           EVP_DigestVerify(m, sig, 64, msg, ml) == 1;
  EVP_MD_CTX_free(m);
  EVP_PKEY_free(k);
  return ok;
}

int rt_check_signature(const aigw_config *cfg, const char *id, const char *sig, size_t n, char *err, size_t errlen) {
  if (!sig) { snprintf(err, errlen, "the bundle is not signed, and a verify key is configured"); return -1; }
  const char *p = sig, *end = sig + n, *v;
  size_t vn;
  uint8_t s[64];
  char kid[17];
  if (line(&p, end, "aigw-signature", &v, &vn) || vn != 1 || *v != '1' || line(&p, end, "key", &v, &vn) || vn != 16) {
    snprintf(err, errlen, "the bundle's signature file is malformed");
    return -1;
  }
  memcpy(kid, v, 16);
  kid[16] = 0;
  if (line(&p, end, "bundle", &v, &vn) || line(&p, end, "ed25519", &v, &vn)) {
    snprintf(err, errlen, "the bundle's signature file is malformed");
    return -1;
  }
  /* the "bundle" line is informative; what is checked is the id computed from the bytes */
  if (vn != 128 || unhex(v, 64, s)) { snprintf(err, errlen, "the bundle's signature file is malformed"); return -1; }
  for (size_t k = 0; k < cfg->nverify_keys; k++) {
    const uint8_t *pub = cfg->verify_keys + 32 * k;
    char have[17];
    rt_key_id(pub, have);
    if (!strcmp(have, kid)) {
      if (ed25519_ok(pub, s, id)) return 0;
      snprintf(err, errlen, "the bundle's signature by key %s does not match its content (%s)", kid, id);
      return -1;
    }
  }
  snprintf(err, errlen, "the bundle is signed by key %s, which is not a configured verify key", kid);
  return -1;
}
