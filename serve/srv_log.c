/* The decision log: JSON Lines written by one thread, off the request path.
 *
 * A worker renders its entry into its own buffer and copies it into a byte ring under
 * a mutex held for one memcpy; the writer takes everything queued in one go and writes
 * it. The ring has a fixed size (decision_log.queue_bytes): when it is full — the disk
 * is slow, the pipe's reader stalled — the entry is dropped and counted, so a request
 * never waits for the log and the log never grows memory.
 *
 * Input fields are kept only where the configuration lists them (decision_log.input):
 * the worker hands over the input as it came (a JSON body, or the mapped headers) and
 * the writer keeps the listed fields, so filtering costs the request path nothing. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv.h"

struct SrvLog {
  FILE *f;
  int own;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *ring;
  size_t cap, head, used;
  int stop;
  atomic_ullong written, dropped;
  const SrvConfig *cfg;
};

typedef struct Frame { uint32_t line, input; } Frame;

static void ring_write(SrvLog *l, size_t at, const void *p, size_t n) {
  at %= l->cap;
  size_t first = n < l->cap - at ? n : l->cap - at;
  memcpy(l->ring + at, p, first);
  memcpy(l->ring, (const char *)p + first, n - first);
}

void srv_log_put(SrvLog *l, const char *line, size_t n, const char *input, size_t ilen) {
  Frame fr = {(uint32_t)n, (uint32_t)ilen};
  size_t need = sizeof fr + n + ilen;
  pthread_mutex_lock(&l->mu);
  if (l->used + need > l->cap || n > UINT32_MAX || ilen > UINT32_MAX) {
    pthread_mutex_unlock(&l->mu);
    atomic_fetch_add_explicit(&l->dropped, 1, memory_order_relaxed);
    return;
  }
  size_t at = l->head + l->used;
  ring_write(l, at, &fr, sizeof fr);
  ring_write(l, at + sizeof fr, line, n);
  if (ilen) ring_write(l, at + sizeof fr + n, input, ilen);
  l->used += need;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
}

void srv_log_counts(SrvLog *l, uint64_t *written, uint64_t *dropped) {
  *written = atomic_load(&l->written);
  *dropped = atomic_load(&l->dropped);
}

static int listed(const SrvConfig *c, const char *field) {
  for (size_t i = 0; i < c->nlog_fields; i++) if (!strcmp(c->log_fields[i], field)) return 1;
  return 0;
}

/* ,"input":{…listed fields…} */
static void put_input(SrvLog *l, Buf *o, const char *in, size_t n) {
  if (!n || (!l->cfg->log_all_fields && !l->cfg->nlog_fields)) return;
  json_t *root = json_loadb(in, n, 0, NULL);
  if (!json_is_object(root)) { json_decref(root); return; }
  json_t *keep = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(root, k, v) if (l->cfg->log_all_fields || listed(l->cfg, k)) json_object_set(keep, k, v);
  char *text = json_dumps(keep, JSON_COMPACT | JSON_PRESERVE_ORDER);
  if (text) {
    buf_puts(o, ",\"input\":");
    buf_puts(o, text);
    free(text);
  }
  json_decref(keep);
  json_decref(root);
}

static void *writer(void *arg) {
  SrvLog *l = arg;
  char *chunk = xmalloc(l->cap);
  Buf out = {0};
  for (;;) {
    pthread_mutex_lock(&l->mu);
    while (!l->used && !l->stop) pthread_cond_wait(&l->cv, &l->mu);
    size_t n = l->used, first = n < l->cap - l->head ? n : l->cap - l->head;
    memcpy(chunk, l->ring + l->head, first);
    memcpy(chunk + first, l->ring, n - first);
    l->head = (l->head + n) % l->cap;
    l->used = 0;
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    uint64_t lines = 0;
    for (size_t at = 0; at + sizeof(Frame) <= n;) {
      Frame fr;
      memcpy(&fr, chunk + at, sizeof fr);
      at += sizeof fr;
      buf_put(&out, chunk + at, fr.line);
      at += fr.line;
      put_input(l, &out, chunk + at, fr.input);
      at += fr.input;
      buf_puts(&out, "}\n");
      lines++;
    }
    if (out.n && (fwrite(out.p, 1, out.n, l->f) != out.n || fflush(l->f) != 0)) {
      /* a failed write loses these lines; they are counted as dropped */
      atomic_fetch_add(&l->dropped, lines);
      clearerr(l->f);
    } else atomic_fetch_add(&l->written, lines);
    out.n = 0;
    if (stop && !n) break;
  }
  buf_free(&out);
  xfree(chunk);
  return NULL;
}

SrvLog *srv_log_open(const char *path, size_t queue_bytes, const SrvConfig *cfg, char *err, size_t errlen) {
  SrvLog *l = xcalloc(1, sizeof *l);
  l->cfg = cfg;
  if (!strcmp(path, "-")) l->f = stdout;
  else if (!(l->f = fopen(path, "a"))) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    xfree(l);
    return NULL;
  } else l->own = 1;
  l->cap = queue_bytes;
  l->ring = xmalloc(queue_bytes);
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  if (pthread_create(&l->thread, NULL, writer, l)) {
    snprintf(err, errlen, "cannot start the decision log writer");
    if (l->own) fclose(l->f);
    xfree(l->ring);
    xfree(l);
    return NULL;
  }
  return l;
}

void srv_log_close(SrvLog *l) {
  if (!l) return;
  pthread_mutex_lock(&l->mu);
  l->stop = 1;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  if (l->own) fclose(l->f);
  else fflush(l->f);
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  xfree(l->ring);
  xfree(l);
}
