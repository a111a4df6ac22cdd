/* Where bundles come from, and when they are read again.
 *
 * A file is checked every poll interval (its inode, size and modification time; an
 * atomic rename and an in-place write both show) and on SIGHUP. A URL is fetched with
 * libcurl every poll interval and on SIGHUP, with If-None-Match: the ETag of the last
 * answer, so an unchanged bundle costs a 304. With a cache directory, the last good
 * bundle and its ETag are kept there (written to a temporary name, then renamed), so a
 * restart serves at once and does not fetch again what it has. A bundle that fails
 * verification is refused: the old one keeps serving, and /ready, /metrics and
 * standard error say why. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "srv.h"

enum { MAX_BUNDLE_BYTES = 256 << 20 };   /* a fetched or read bundle */

static void say(const char *what, int rc, const char *from, const char *id, const char *err) {
  if (rc > 0) fprintf(stderr, "aigwc serve: %s %s from %s\n", what, id, from);
  else if (rc < 0) fprintf(stderr, "aigwc serve: refused %s\n", err);
}

/* A detached signature beside a bundle (PATH.sig), read only when keys will check it. */
enum { MAX_SIG_BYTES = 4096 };
static char *read_sig(const SrvServer *s, const char *path, size_t *n) {
  char p[1100], *text;
  *n = 0;
  if (!s->nverify_keys || snprintf(p, sizeof p, "%s.sig", path) >= (int)sizeof p) return NULL;
  return read_file(p, &text, n, MAX_SIG_BYTES) == 0 ? text : NULL;
}

static int install(SrvServer *s, const void *data, size_t len, const char *sig, size_t siglen, const char *from,
                   char *err, size_t errlen) {
  int rc = srv_holder_install(s, data, len, sig, siglen, from, err, errlen);
  SrvBundle *sb = rc > 0 ? srv_holder_acquire(&s->holder) : NULL;
  say("loaded", rc, from, sb ? sb->id : "", err);
  srv_bundle_release(sb);
  return rc;
}

/* ---- a file ---- */

static int file_changed(SrvSource *src, int *gone) {
  struct stat st;
  *gone = 0;
  if (stat(src->file, &st) != 0) { *gone = 1; return 0; }
  int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  int changed = mt != src->file_mtime_ns || (int64_t)st.st_size != src->file_size || (uint64_t)st.st_ino != src->file_ino;
  src->file_mtime_ns = mt;
  src->file_size = (int64_t)st.st_size;
  src->file_ino = (uint64_t)st.st_ino;
  return changed;
}

static int load_file(SrvServer *s, SrvSource *src, char *err, size_t errlen) {
  char *data;
  size_t len;
  if (read_file(src->file, &data, &len, MAX_BUNDLE_BYTES) != 0) {
    char why[256];
    snprintf(why, sizeof why, "%s", errno == EFBIG ? "larger than 256 MiB" : strerror(errno));
    snprintf(err, errlen, "%s: %s", src->file, why);
    pthread_mutex_lock(&s->holder.mu);
    snprintf(s->holder.last_error, sizeof s->holder.last_error, "%s", err);
    pthread_mutex_unlock(&s->holder.mu);
    atomic_fetch_add(&s->metrics.reloads_failed, 1);
    fprintf(stderr, "aigwc serve: refused %s\n", err);
    return -1;
  }
  size_t siglen;
  char *sig = read_sig(s, src->file, &siglen);
  int rc = install(s, data, len, sig, siglen, src->file, err, errlen);
  xfree(sig);
  xfree(data);
  return rc;
}

/* ---- a URL ---- */

typedef struct Fetch { Buf body, sig; char etag[256]; int too_big; } Fetch;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  Fetch *f = ud;
  if (f->body.n + size * n > MAX_BUNDLE_BYTES) { f->too_big = 1; return 0; }
  buf_put(&f->body, p, size * n);
  return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  Fetch *f = ud;
  size_t len = size * n;
  if (len > 5 && !strncasecmp(p, "etag:", 5)) {
    const char *v = p + 5;
    size_t vl = len - 5;
    while (vl && (*v == ' ' || *v == '\t')) { v++; vl--; }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
    if (vl < sizeof f->etag) { memcpy(f->etag, v, vl); f->etag[vl] = 0; }
  }
  return len;
}

static void cache_path(const SrvServer *s, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", s->cfg->cache_dir, name);
}

static int write_atomic(const char *path, const void *data, size_t len) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return -1;
  int ok = fwrite(data, 1, len, f) == len;
  ok &= fflush(f) == 0;
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path) != 0) { remove(tmp); return -1; }
  return 0;
}

static void cache_save(SrvServer *s, const Fetch *f) {
  if (!s->cfg->cache_dir) return;
  char pb[1024], pe[1024], ps[1100];
  cache_path(s, "bundle.aigwb", pb, sizeof pb);
  cache_path(s, "bundle.etag", pe, sizeof pe);
  snprintf(ps, sizeof ps, "%s.sig", pb);
  mkdir(s->cfg->cache_dir, 0755);
  /* the ETag last: a crash between the two leaves a bundle without its ETag, which
   * costs one fetch, never a wrong 304 */
  remove(pe);
  if (write_atomic(pb, f->body.p, f->body.n) || (f->sig.n && write_atomic(ps, f->sig.p, f->sig.n)) ||
      write_atomic(pe, f->etag, strlen(f->etag)))
    fprintf(stderr, "aigwc serve: cannot write the bundle cache in %s: %s\n", s->cfg->cache_dir, strerror(errno));
}

static void cache_load(SrvServer *s, SrvSource *src) {
  if (!s->cfg->cache_dir) return;
  char pb[1024], pe[1024], err[512];
  cache_path(s, "bundle.aigwb", pb, sizeof pb);
  cache_path(s, "bundle.etag", pe, sizeof pe);
  char *data, *etag;
  size_t len, elen;
  if (read_file(pb, &data, &len, MAX_BUNDLE_BYTES) != 0) return;
  size_t siglen;
  char *sig = read_sig(s, pb, &siglen);
  if (install(s, data, len, sig, siglen, pb, err, sizeof err) > 0 && read_file(pe, &etag, &elen, sizeof src->etag - 1) == 0) {
    memcpy(src->etag, etag, elen + 1);
    xfree(etag);
  }
  xfree(sig);
  xfree(data);
}

/* What every fetch of ours sets: redirects, bounds in time, http and https only. */
static void transfer_limits(const SrvServer *s, CURL *c) {
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, s->cfg->fetch_seconds);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
}

static size_t on_sig(char *p, size_t size, size_t n, void *ud) {
  Buf *b = ud;
  if (b->n + size * n > MAX_SIG_BYTES) return 0;
  buf_put(b, p, size * n);
  return size * n;
}

/* URL.sig into out (left empty when it cannot be had: the bundle is then refused as
 * unsigned). A handle of its own, so the bundle's transfer settings stay as they are. */
static void fetch_sig(const SrvServer *s, const SrvSource *src, Buf *out) {
  char url[4200];
  if (snprintf(url, sizeof url, "%s.sig", src->url) >= (int)sizeof url) return;
  CURL *c = curl_easy_init();
  if (!c) return;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_sig);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  transfer_limits(s, c);
  long code = 0;
  if (curl_easy_perform(c) != CURLE_OK || (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code), code != 200)) out->n = 0;
  curl_easy_cleanup(c);
}

static void fetch_url(SrvServer *s, SrvSource *src) {
  CURL *c = src->curl;
  Fetch f = {0};
  char err[512], cerr[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdrs = NULL;
  char inm[300];
  if (src->etag[0]) {
    snprintf(inm, sizeof inm, "If-None-Match: %s", src->etag);
    hdrs = curl_slist_append(hdrs, inm);
  }
  curl_easy_setopt(c, CURLOPT_URL, src->url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
  transfer_limits(s, c);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(hdrs);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  char why[700];
  why[0] = 0;
  if (rc != CURLE_OK)
    snprintf(why, sizeof why, "%s", f.too_big ? "larger than 256 MiB" : cerr[0] ? cerr : curl_easy_strerror(rc));
  else if (code == 304) atomic_fetch_add(&s->metrics.reloads_unchanged, 1);
  else if (code != 200) snprintf(why, sizeof why, "HTTP status %ld", code);
  else {
    /* with verify keys, the signature is fetched from URL.sig beside the bundle */
    if (s->nverify_keys) fetch_sig(s, src, &f.sig);
    int r = install(s, f.body.p, f.body.n, f.sig.n ? f.sig.p : NULL, f.sig.n, src->url, err, sizeof err);
    /* a refused bundle's ETag too: it is not fetched again until it changes */
    snprintf(src->etag, sizeof src->etag, "%s", f.etag);
    if (r > 0) cache_save(s, &f);
  }
  if (why[0]) {
    /* a long URL and reason are cut to the error buffer: the message is for people */
    int k = snprintf(err, sizeof err, "%.300s: %.200s", src->url, why);
    (void)k;
    pthread_mutex_lock(&s->holder.mu);
    snprintf(s->holder.last_error, sizeof s->holder.last_error, "%s", err);
    s->holder.last_error_at = (int64_t)time(NULL);
    pthread_mutex_unlock(&s->holder.mu);
    atomic_fetch_add(&s->metrics.reloads_failed, 1);
    fprintf(stderr, "aigwc serve: cannot fetch %s\n", err);
  }
  buf_free(&f.body);
  buf_free(&f.sig);
}

int srv_reload_start(SrvServer *s, SrvSource *src, char *err, size_t errlen) {
  if (src->file) {
    int gone;
    file_changed(src, &gone);
    return load_file(s, src, err, errlen) < 0 ? -1 : 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (!(src->curl = curl_easy_init())) { snprintf(err, errlen, "libcurl does not start"); return -1; }
  snprintf(s->holder.source, sizeof s->holder.source, "%s", src->url);
  cache_load(s, src);
  fetch_url(s, src);
  return 0;
}

void srv_reload_check(SrvServer *s, SrvSource *src, int force) {
  char err[512];
  if (src->file) {
    int gone;
    if (file_changed(src, &gone) || (force && !gone)) load_file(s, src, err, sizeof err);
    else if (gone && force) fprintf(stderr, "aigwc serve: %s: %s\n", src->file, strerror(ENOENT));
    return;
  }
  (void)force;
  fetch_url(s, src);
}

void srv_reload_stop(SrvSource *src) {
  if (src->curl) {
    curl_easy_cleanup(src->curl);
    src->curl = NULL;
    curl_global_cleanup();
  }
}
