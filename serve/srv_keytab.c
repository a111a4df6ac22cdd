/* Keyed counters: the striped table both budget stores keep their entries in
 * (srv_keytab.h). */
#include <stdlib.h>
#include <string.h>
#include "srv_keytab.h"

static uint64_t hash_of(const char *budget, const char *key, size_t klen) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char *p = budget; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
  h = (h ^ 0) * 0x100000001b3ull;
  for (size_t i = 0; i < klen; i++) h = (h ^ (uint8_t)key[i]) * 0x100000001b3ull;
  return h ^ h >> 29;
}

int srv_keytab_init(SrvKeyTab *t, size_t size, size_t max, size_t buckets) {
  t->size = size;
  t->max = max ? max : 1;
  atomic_init(&t->n, 0);
  int ok = 1;
  for (int i = 0; i < SRV_KEY_STRIPES; i++) {
    SrvKeyStripe *s = &t->stripes[i];
    pthread_mutex_init(&s->mu, NULL);
    s->n = 0;
    s->b = calloc(buckets, sizeof *s->b);
    s->nb = s->b ? buckets : 0;
    ok &= s->b != NULL;
  }
  return ok ? 0 : -1;
}

void srv_keytab_fini(SrvKeyTab *t) {
  for (int i = 0; i < SRV_KEY_STRIPES; i++) {
    SrvKeyStripe *s = &t->stripes[i];
    for (size_t b = 0; b < s->nb; b++)
      for (SrvKeyEnt *e = s->b[b], *next; e; e = next) { next = e->next; free(e); }
    free(s->b);
    pthread_mutex_destroy(&s->mu);
  }
}

static void stripe_grow(SrvKeyStripe *s) {
  size_t nb = s->nb * 2;
  SrvKeyEnt **b = calloc(nb, sizeof *b);
  if (!b) return;                 /* longer chains, still correct */
  for (size_t i = 0; i < s->nb; i++)
    for (SrvKeyEnt *e = s->b[i], *next; e; e = next) {
      next = e->next;
      size_t k = (e->hash / SRV_KEY_STRIPES) % nb;
      e->next = b[k];
      b[k] = e;
    }
  free(s->b);
  s->b = b;
  s->nb = nb;
}

/* Under the stripe's lock. */
static SrvKeyEnt *find_or_add(SrvKeyTab *t, SrvKeyStripe *s, uint64_t h, const SrvCharge *ch) {
  size_t blen = strlen(ch->budget);
  SrvKeyEnt **slot = &s->b[(h / SRV_KEY_STRIPES) % s->nb];
  for (SrvKeyEnt *e = *slot; e; e = e->next)
    if (e->hash == h && e->blen == blen && e->klen == ch->key_len && !memcmp(e->budget, ch->budget, blen) &&
        !memcmp(e->key, ch->key, ch->key_len))
      return e;
  if (atomic_fetch_add(&t->n, 1) >= t->max) {
    atomic_fetch_sub(&t->n, 1);
    return NULL;
  }
  size_t ulen = strlen(ch->unit);
  SrvKeyEnt *e = malloc(t->size + blen + ulen + ch->key_len + 3);
  if (!e) { atomic_fetch_sub(&t->n, 1); return NULL; }
  memset(e, 0, t->size);
  e->hash = h;
  e->blen = blen;
  e->klen = ch->key_len;
  e->budget = (char *)e + t->size;
  memcpy(e->budget, ch->budget, blen + 1);
  e->unit = e->budget + blen + 1;
  memcpy(e->unit, ch->unit, ulen + 1);
  e->key = e->unit + ulen + 1;
  memcpy(e->key, ch->key, ch->key_len);
  e->key[ch->key_len] = 0;
  e->window_start = ch->window_start;
  e->window_end = ch->window_end;
  e->limit = ch->limit;
  e->next = *slot;
  *slot = e;
  if (++s->n > 2 * s->nb) stripe_grow(s);
  return e;
}

SrvKeyEnt *srv_keytab_get(SrvKeyTab *t, const SrvCharge *ch) {
  uint64_t h = hash_of(ch->budget, ch->key, ch->key_len);
  SrvKeyStripe *s = &t->stripes[h % SRV_KEY_STRIPES];
  pthread_mutex_lock(&s->mu);
  SrvKeyEnt *e = find_or_add(t, s, h, ch);
  if (!e) pthread_mutex_unlock(&s->mu);
  return e;
}

int srv_keytab_roll(SrvKeyEnt *e, const SrvCharge *ch) {
  if (e->window_start >= ch->window_start) return 0;
  e->window_start = ch->window_start;
  e->window_end = ch->window_end;
  e->used = 0;
  return 1;
}

void srv_keytab_give(SrvKeyTab *t, SrvKeyEnt *e, int64_t window_start, int64_t delta, uint64_t now_ns) {
  srv_keytab_lock(t, e);
  if (e->window_start == window_start) {
    e->used += delta;
    if (e->used < 0) e->used = 0;
    if (now_ns) e->last_ns = now_ns;
  }
  e->pins--;
  srv_keytab_unlock(t, e);
}

void srv_keytab_each(SrvKeyTab *t, int (*fn)(void *ud, SrvKeyEnt *e), void *ud) {
  for (int i = 0; i < SRV_KEY_STRIPES; i++) {
    SrvKeyStripe *s = &t->stripes[i];
    int stop = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb && !stop; b++)
      for (SrvKeyEnt *e = s->b[b]; e && !stop; e = e->next) stop = fn(ud, e);
    pthread_mutex_unlock(&s->mu);
    if (stop) return;
  }
}

void srv_keytab_sweep(SrvKeyTab *t, int (*spent)(void *ud, const SrvKeyEnt *e), void *ud) {
  for (int i = 0; i < SRV_KEY_STRIPES; i++) {
    SrvKeyStripe *s = &t->stripes[i];
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb; b++)
      for (SrvKeyEnt **pe = &s->b[b]; *pe;) {
        SrvKeyEnt *e = *pe;
        if (!e->pins && spent(ud, e)) {
          *pe = e->next;
          free(e);
          s->n--;
          atomic_fetch_sub(&t->n, 1);
        } else pe = &e->next;
      }
    pthread_mutex_unlock(&s->mu);
  }
}
