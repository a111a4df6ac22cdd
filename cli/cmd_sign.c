/* aigwc sign: Ed25519 keys and detached bundle signatures (docs/bundle.md, Signing).
 * The library only verifies; the private key is used here and nowhere else. Keys are
 * PEM files as OpenSSL writes them, so `openssl genpkey -algorithm ed25519` keys work. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "aigw.h"
#include "cli.h"
#include "util.h"

const char cmd_sign_summary[] = "sign a bundle, or make a signing key";
const char cmd_sign_usage[] =
  "usage: aigwc sign -k KEY.pem BUNDLE.aigwb\n"
  "       aigwc sign --keygen NAME\n\n"
  "Signs the bundle's id with the Ed25519 private key KEY.pem and writes the detached\n"
  "signature to BUNDLE.aigwb.sig, which a host configured with the public key checks\n"
  "when it loads the bundle (aigwc eval --verify-key, aigwc serve --verify-key,\n"
  "aigw_config.verify_keys). --keygen writes NAME.key (private, mode 0600) and NAME.pub.\n\n"
  "exit codes: 0 done, 2 usage, key or file error\n";

int cli_load_pubkey(const char *path, unsigned char out[32]) {
  FILE *f = fopen(path, "rb");
  EVP_PKEY *k = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
  if (f) fclose(f);
  size_t n = 32;
  int ok = k && EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 && EVP_PKEY_get_raw_public_key(k, out, &n) == 1 && n == 32;
  EVP_PKEY_free(k);
  if (!ok) fprintf(stderr, "aigwc: %s: not an Ed25519 public key in PEM form\n", path);
  return ok ? 0 : -1;
}

/* Writes BUNDLE.sig for the bundle bytes, signed with the private key at keypath. */
int cli_sign_bundle(const char *keypath, const char *bundle_path, const void *bytes, size_t len) {
  FILE *f = fopen(keypath, "rb");
  EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
  if (f) fclose(f);
  if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
    fprintf(stderr, "aigwc: %s: not an Ed25519 private key in PEM form\n", keypath);
    EVP_PKEY_free(k);
    return EXIT_USAGE;
  }
  aigw_bundle *b;
  char err[256];
  if (aigw_bundle_open_mem(bytes, len, NULL, &b, err, sizeof err) != AIGW_OK) {
    fprintf(stderr, "aigwc: %s: %s\n", bundle_path, err);
    EVP_PKEY_free(k);
    return EXIT_USAGE;
  }
  unsigned char msg[160], sig[64], pub[32];
  size_t ml = aigw_signature_message(aigw_bundle_id(b), msg, sizeof msg), sl = sizeof sig, pl = sizeof pub;
  EVP_MD_CTX *m = EVP_MD_CTX_new();
  int ok = m && ml && EVP_DigestSignInit(m, NULL, NULL, NULL, k) == 1 && EVP_DigestSign(m, sig, &sl, msg, ml) == 1 &&
           sl == 64 && EVP_PKEY_get_raw_public_key(k, pub, &pl) == 1;
  EVP_MD_CTX_free(m);
  EVP_PKEY_free(k);
  char text[512], path[4096];
  size_t tl = ok ? aigw_signature_text(pub, sig, aigw_bundle_id(b), text, sizeof text) : 0;
  aigw_bundle_close(b);
  snprintf(path, sizeof path, "%s.sig", bundle_path);
  FILE *o = tl ? fopen(path, "wb") : NULL;
  if (!o || fwrite(text, 1, tl, o) != tl || fclose(o) != 0) {
    fprintf(stderr, "aigwc: cannot write the signature %s\n", path);
    return EXIT_USAGE;
  }
  char kid[17];
  aigw_key_id(pub, kid);
  fprintf(stderr, "%s: signed with key %s\n", path, kid);
  return EXIT_OK;
}

static int keygen(const char *name) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  char path[4096];
  int rc = EXIT_USAGE;
  if (!k) { fprintf(stderr, "aigwc sign: cannot make a key\n"); return rc; }
  snprintf(path, sizeof path, "%s.key", name);
  FILE *f = fopen(path, "wx");   /* never overwrite a key */
  if (f && chmod(path, 0600) == 0 && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1 && fclose(f) == 0) {
    f = NULL;
    snprintf(path, sizeof path, "%s.pub", name);
    FILE *p = fopen(path, "w");
    if (p && PEM_write_PUBKEY(p, k) == 1 && fclose(p) == 0) rc = EXIT_OK;
    else if (p) fclose(p);
  }
  if (f) fclose(f);
  if (rc) fprintf(stderr, "aigwc sign: cannot write %s (it may exist already)\n", path);
  else {
    unsigned char pub[32];
    size_t pl = 32;
    char kid[17];
    EVP_PKEY_get_raw_public_key(k, pub, &pl);
    aigw_key_id(pub, kid);
    fprintf(stderr, "%s.key, %s.pub: key %s\n", name, name, kid);
  }
  EVP_PKEY_free(k);
  return rc;
}

int cmd_sign(int argc, char **argv) {
  const char *key = NULL, *bundle = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--keygen") && i + 1 < argc) return keygen(argv[++i]);
    if (!strcmp(argv[i], "-k") && i + 1 < argc) key = argv[++i];
    else if (argv[i][0] == '-') return cli_usage_error("sign", "unknown or incomplete option '%s'", argv[i]);
    else if (!bundle) bundle = argv[i];
    else return cli_usage_error("sign", "one bundle at a time");
  }
  if (!key || !bundle) return cli_usage_error("sign", "give -k KEY.pem and a BUNDLE.aigwb");
  char *data;
  size_t len;
  if (read_file(bundle, &data, &len, (size_t)1 << 31) != 0) { fprintf(stderr, "aigwc sign: cannot read %s\n", bundle); return EXIT_USAGE; }
  int rc = cli_sign_bundle(key, bundle, data, len);
  xfree(data);
  return rc;
}
