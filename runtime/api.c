/* libaigw's lifecycle: configuration, the allocator hook, opening bundles (verified
 * before anything reads them), contexts, status names.
 *
 * Every byte the library allocates goes through the config's hook, as in Lua's
 * lua_newstate: the host decides where memory comes from, and a test can count it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonin.h"
#include "vm.h"

enum { RT_MAX_BUNDLE = 0x7fffffff };   /* the header's file_size is 32 bits */

static void *default_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  (void)ud; (void)osize;
  if (!nsize) { free(p); return NULL; }
  return realloc(p, nsize);
}

void aigw_config_init(aigw_config *cfg) {
  if (!cfg) return;
  cfg->alloc = default_alloc;
  cfg->alloc_ud = NULL;
  cfg->step_limit = DEFAULT_STEP_LIMIT;
  cfg->verify_keys = NULL;
  cfg->nverify_keys = 0;
}

const char *aigw_status_name(aigw_status s) {
  /* short and stable: fit for logs and metric labels */
  static const char *const names[] = {"ok", "nomem", "io", "corrupt", "version", "input", "field", "arg", "limit",
                                      "signature"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

void *rt_alloc(const struct aigw_bundle *bh, void *p, size_t osize, size_t nsize) {
  return bh->cfg.alloc(bh->cfg.alloc_ud, p, osize, nsize);
}

/* Grows an array to hold at least need elements, doubling: after the first decisions
 * it is at its high-water mark and never grows again. */
int rt_grow_to(aigw_ctx *c, void **p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return 0;
  uint64_t n = *cap ? *cap : 8;
  while (n < need) n *= 2;
  if (n > UINT32_MAX || n * elem > SIZE_MAX / 2) return -1;
  void *q = rt_alloc(c->bh, *p, *cap * elem, (size_t)n * elem);
  if (!q) return -1;
  *p = q;
  *cap = (uint32_t)n;
  return 0;
}

int rt_growbytes(aigw_ctx *c, char **p, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 256;
  while (n < need) {
    if (n > SIZE_MAX / 4) return -1;
    n *= 2;
  }
  char *q = rt_alloc(c->bh, *p, *cap, n);
  if (!q) return -1;
  *p = q;
  *cap = n;
  return 0;
}

aigw_status rt_error(aigw_ctx *c, aigw_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
  va_end(ap);
  return s;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- bundles ---- */

static void bundle_free(aigw_bundle *bh) {
  if (bh->field_by_name) rt_alloc(bh, bh->field_by_name, (size_t)bh->b.nfields * 2 * sizeof(uint32_t), 0);
  if (bh->ts_gr) rt_alloc(bh, bh->ts_gr, (size_t)bh->nts * sizeof(uint32_t), 0);
  if (bh->field_types) rt_alloc(bh, bh->field_types, bh->field_types_size, 0);
  if (bh->field_type_off) rt_alloc(bh, bh->field_type_off, (size_t)bh->b.nfields * sizeof(uint32_t), 0);
  if (bh->base_active) rt_alloc(bh, bh->base_active, ((size_t)bh->b.nguardrails + 63) / 64 * 2 * sizeof(uint64_t), 0);
  if (bh->groups) rt_alloc(bh, bh->groups, (size_t)bh->b.nguards * sizeof *bh->groups, 0);
  if (bh->gcond_mem) rt_alloc(bh, bh->gcond_mem, (size_t)bh->b.nguardrails * sizeof *bh->gcond + 64, 0);
  if (bh->mplan_of) rt_alloc(bh, bh->mplan_of, (size_t)bh->b.nguardrails * sizeof *bh->mplan_of, 0);
  if (bh->mplan) rt_alloc(bh, bh->mplan, bh->nmplan * sizeof *bh->mplan, 0);
  if (bh->globbed) rt_alloc(bh, bh->globbed, ((size_t)bh->b.nnodes + 63) / 64 * sizeof *bh->globbed, 0);
  rt_json_frags_free(bh);
  if (bh->mem) rt_alloc(bh, bh->mem, bh->memsize, 0);
  rt_alloc(bh, bh, sizeof *bh, 0);
}

static aigw_bundle *bundle_new(const aigw_config *cfg, char *err, size_t errlen) {
  aigw_config def;
  aigw_config_init(&def);
  if (!cfg) cfg = &def;
  aigw_alloc_fn fn = cfg->alloc ? cfg->alloc : default_alloc;
  aigw_bundle *bh = fn(cfg->alloc ? cfg->alloc_ud : NULL, NULL, 0, sizeof *bh);
  if (!bh) { seterr(err, errlen, "out of memory"); return NULL; }
  memset(bh, 0, sizeof *bh);
  bh->cfg = *cfg;
  if (!cfg->alloc) { bh->cfg.alloc = default_alloc; bh->cfg.alloc_ud = NULL; }
  if (!bh->cfg.step_limit) bh->cfg.step_limit = DEFAULT_STEP_LIMIT;
  return bh;
}

/* An 8-byte-aligned block of len bytes from the allocator (which may align less). */
static uint8_t *bundle_buffer(aigw_bundle *bh, size_t len) {
  bh->memsize = len + 8;
  bh->mem = rt_alloc(bh, NULL, 0, bh->memsize);
  if (!bh->mem) return NULL;
  uintptr_t a = ((uintptr_t)bh->mem + 7) & ~(uintptr_t)7;
  return (uint8_t *)a;
}

static int cmp_pair(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Verifies the bytes at data and derives the lookup tables the runtime keeps per
 * bundle. Frees bh on failure. */
static aigw_status bundle_finish(aigw_bundle *bh, const uint8_t *data, size_t len, const char *sig,
                                 size_t siglen, aigw_bundle **out, char *err, size_t errlen) {
  const BHeader *h = (const BHeader *)data;
  if (len >= sizeof *h && !memcmp(h->magic, BUNDLE_MAGIC, 8) && h->endian == BUNDLE_ENDIAN &&
      h->version != BUNDLE_VERSION) {
    seterr(err, errlen, "bundle format version %u is not supported (this library reads version %d)",
           h->version, BUNDLE_VERSION);
    bundle_free(bh);
    return AIGW_ERR_VERSION;
  }
  char msg[256] = "";
  if (bundle_verify(data, len, &bh->b, msg, sizeof msg)) {
    seterr(err, errlen, "%s", msg[0] ? msg : "bundle failed verification");
    bundle_free(bh);
    return AIGW_ERR_CORRUPT;
  }
  if (bh->cfg.nverify_keys && rt_check_signature(&bh->cfg, bh->b.id, sig, siglen, msg, sizeof msg)) {
    seterr(err, errlen, "%s", msg);
    bundle_free(bh);
    return AIGW_ERR_SIGNATURE;
  }
  const Bundle *b = &bh->b;
  for (int r = 0; r < 6; r++) bh->role_slot[r] = NONE32;
  for (uint32_t i = b->nfields; i-- > 0;)
    if (b->fields[i].role < 6) bh->role_slot[b->fields[i].role] = i;
  if (b->meta->scope_field != NONE32) bh->role_slot[FIELD_ROLE_SCOPE] = b->meta->scope_field;
  if (b->meta->ancestors_field != NONE32) bh->role_slot[FIELD_ROLE_ANCESTORS] = b->meta->ancestors_field;
  bh->role_slot[FIELD_ROLE_NONE] = NONE32;
  /* The runtime reads these fields itself (the trie walk, the route target checks), so
   * their types are checked here whatever the verifier covers. */
  static const uint8_t want[6][2] = {{0, 0}, {T_SCOPE, 0}, {T_LIST, T_SCOPE}, {T_STR, 0}, {T_STR, 0}, {T_STR, 0}};
  for (int r = 1; r < 6; r++) {
    uint32_t f = bh->role_slot[r];
    if (f == NONE32) continue;
    if (f >= b->nfields || b->fields[f].type != want[r][0] || (want[r][1] && b->fields[f].elem != want[r][1])) {
      seterr(err, errlen, "input field %u has a role its type does not allow", f);
      bundle_free(bh);
      return AIGW_ERR_CORRUPT;
    }
  }
  if (b->nfields) {
    bh->field_by_name = rt_alloc(bh, NULL, 0, (size_t)b->nfields * 2 * sizeof(uint32_t));
    if (!bh->field_by_name) goto oom;
    for (uint32_t i = 0; i < b->nfields; i++) {
      bh->field_by_name[2 * i] = b->fields[i].name;
      bh->field_by_name[2 * i + 1] = i;
    }
    qsort(bh->field_by_name, b->nfields, 2 * sizeof(uint32_t), cmp_pair);
  }
  /* The guardrails a route target must pass: enforced denies that read the target. */
  for (int pass = 0; pass < 2; pass++) {
    uint32_t n = 0;
    for (uint32_t g = 0; g < b->nguardrails; g++) {
      const BGuardrail *G = &b->guardrails[g];
      if (!bundle_refuses_targets(G)) continue;
      if (pass) bh->ts_gr[n] = g;
      n++;
    }
    if (!pass) {
      if (!n) break;
      bh->ts_gr = rt_alloc(bh, NULL, 0, (size_t)n * sizeof(uint32_t));
      if (!bh->ts_gr) goto oom;
    }
    bh->nts = n;
  }
  /* Guardrail activation (bundle.h, BGuard): the always-active set, and the value
   * guards grouped by field so an input activates its guardrails by binary search. */
  size_t words = ((size_t)b->nguardrails + 63) / 64;
  if (words && !(bh->base_active = rt_alloc(bh, NULL, 0, words * 2 * sizeof(uint64_t)))) goto oom;
  if (words) memset(bh->base_active, 0, words * 2 * sizeof(uint64_t));
  bh->scoped = words ? bh->base_active + words : NULL;   /* no arithmetic on NULL */
  for (uint32_t g = 0; g < b->nguardrails; g++) {
    if (!(b->guardrails[g].flags & (GR_SCOPED | GR_GUARDED))) bh->base_active[g >> 6] |= 1ull << (g & 63);
    if (b->guardrails[g].flags & GR_SCOPED) bh->scoped[g >> 6] |= 1ull << (g & 63);
  }
  /* the scope walk tries a node's glob children only where it has some: the bit is
   * read where the node's record, far out in the bundle, need not be */
  size_t nwords = ((size_t)b->nnodes + 63) / 64;
  if (nwords && !(bh->globbed = rt_alloc(bh, NULL, 0, nwords * sizeof *bh->globbed))) goto oom;
  if (nwords) memset(bh->globbed, 0, nwords * sizeof *bh->globbed);
  for (uint32_t i = 0; i < b->nnodes; i++)
    if (b->nodes[i].wild_count) bh->globbed[i >> 6] |= 1ull << (i & 63);
  if (vm_load_conds(bh)) goto oom;
  if (b->nguards && !(bh->groups = rt_alloc(bh, NULL, 0, (size_t)b->nguards * sizeof *bh->groups))) goto oom;
  bh->under_first = b->nguards;
  for (uint32_t i = 0; i < b->nguards; i++) {
    const BGuard *k = &b->guards[i];
    if (k->sid == NOSTR) { if (!bh->nunder++) bh->under_first = i; continue; }
    if (!bh->ngroups || bh->groups[bh->ngroups - 1].slot != k->slot)
      bh->groups[bh->ngroups++] = (struct GuardGroup){k->slot, i, 0};
    bh->groups[bh->ngroups - 1].count++;
  }
  if (rt_json_frags(bh) || rt_msg_plans(bh)) goto oom;
  /* each field's type as text, for the metadata view */
  bh->field_types_size = (size_t)b->nfields * 80 + 1;
  bh->field_types = rt_alloc(bh, NULL, 0, bh->field_types_size);
  if (!bh->field_types) goto oom;
  if (b->nfields && !(bh->field_type_off = rt_alloc(bh, NULL, 0, (size_t)b->nfields * sizeof(uint32_t)))) goto oom;
  size_t at = 0;
  for (uint32_t i = 0; i < b->nfields; i++) {
    bh->field_type_off[i] = (uint32_t)at;
    rt_type_name(b, b->fields[i].type, b->fields[i].elem, b->fields[i].levels, bh->field_types + at, 80);
    at += strlen(bh->field_types + at) + 1;
  }
  *out = bh;
  return AIGW_OK;
oom:
  seterr(err, errlen, "out of memory");
  bundle_free(bh);
  return AIGW_ERR_NOMEM;
}

aigw_status aigw_bundle_open_mem(const void *data, size_t len, const aigw_config *cfg,
                                 aigw_bundle **out, char *err, size_t errlen) {
  return aigw_bundle_open_signed(data, len, NULL, 0, cfg, out, err, errlen);
}

aigw_status aigw_bundle_open_signed(const void *data, size_t len, const char *sig, size_t siglen,
                                    const aigw_config *cfg, aigw_bundle **out, char *err, size_t errlen) {
  if (!out || (!data && len)) { seterr(err, errlen, "bad argument"); return AIGW_ERR_ARG; }
  *out = NULL;
  if (len > RT_MAX_BUNDLE) { seterr(err, errlen, "bundle of %zu bytes is too large", len); return AIGW_ERR_LIMIT; }
  aigw_bundle *bh = bundle_new(cfg, err, errlen);
  if (!bh) return AIGW_ERR_NOMEM;
  uint8_t *p = bundle_buffer(bh, len);
  if (!p) { seterr(err, errlen, "out of memory"); bundle_free(bh); return AIGW_ERR_NOMEM; }
  if (len) memcpy(p, data, len);
  return bundle_finish(bh, p, len, sig, siglen, out, err, errlen);
}

aigw_status aigw_bundle_open_file(const char *path, const aigw_config *cfg, aigw_bundle **out,
                                  char *err, size_t errlen) {
  if (!out || !path) { seterr(err, errlen, "bad argument"); return AIGW_ERR_ARG; }
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) { seterr(err, errlen, "cannot open '%s': %s", path, strerror(errno)); return AIGW_ERR_IO; }
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    seterr(err, errlen, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    return AIGW_ERR_IO;
  }
  if (size > RT_MAX_BUNDLE) {
    seterr(err, errlen, "'%s' is too large for a bundle (%ld bytes)", path, size);
    fclose(f);
    return AIGW_ERR_LIMIT;
  }
  aigw_bundle *bh = bundle_new(cfg, err, errlen);
  if (!bh) { fclose(f); return AIGW_ERR_NOMEM; }
  uint8_t *p = bundle_buffer(bh, (size_t)size);
  if (!p) { seterr(err, errlen, "out of memory"); bundle_free(bh); fclose(f); return AIGW_ERR_NOMEM; }
  size_t got = size ? fread(p, 1, (size_t)size, f) : 0;
  int bad = ferror(f) || got != (size_t)size;
  fclose(f);
  if (bad) {
    seterr(err, errlen, "cannot read '%s': short read", path);
    bundle_free(bh);
    return AIGW_ERR_IO;
  }
  /* the detached signature beside the bundle, read only when it will be checked */
  char sig[1024], sigpath[4096];
  size_t siglen = 0;
  int has_sig = 0;
  if (bh->cfg.nverify_keys && snprintf(sigpath, sizeof sigpath, "%s.sig", path) < (int)sizeof sigpath) {
    FILE *sf = fopen(sigpath, "rb");
    if (sf) { siglen = fread(sig, 1, sizeof sig, sf); has_sig = !ferror(sf); fclose(sf); }
  }
  return bundle_finish(bh, p, (size_t)size, has_sig ? sig : NULL, siglen, out, err, errlen);
}

void aigw_bundle_close(aigw_bundle *bh) {
  if (bh) bundle_free(bh);
}

const char *aigw_bundle_id(const aigw_bundle *bh) { return bh ? bh->b.id : NULL; }

uint32_t aigw_bundle_cost(const aigw_bundle *bh) { return bh ? bh->b.meta->cost : 0; }

const char *aigw_bundle_policy(const aigw_bundle *bh) {
  return bh && bh->b.meta->policy < bh->b.nstrings ? bundle_str(&bh->b, bh->b.meta->policy) : NULL;
}

/* ---- contexts ---- */

aigw_status aigw_ctx_new(const aigw_bundle *bh, aigw_ctx **out) {
  if (!bh || !out) return AIGW_ERR_ARG;
  *out = NULL;
  aigw_ctx *c = rt_alloc(bh, NULL, 0, sizeof *c);
  if (!c) return AIGW_ERR_NOMEM;
  memset(c, 0, sizeof *c);
  c->bh = bh;
  c->b = &bh->b;
  c->scope_unknown = NONE32;
  size_t nslots = bh->b.nfields, nmark = (bh->b.nguardrails + 63) / 64;
  if (nslots && !(c->slots = rt_alloc(bh, NULL, 0, nslots * sizeof(Slot)))) goto oom;
  if (nmark && !(c->grmark = rt_alloc(bh, NULL, 0, nmark * sizeof(uint64_t)))) goto oom;
  if (nslots) memset(c->slots, 0, nslots * sizeof(Slot));
  size_t nb = bh->b.nbudgets;
  if (nb && !(c->busage = rt_alloc(bh, NULL, 0, nb * sizeof(int64_t)))) goto oom;
  if (nb && !(c->busage_gen = rt_alloc(bh, NULL, 0, nb * sizeof(uint32_t)))) goto oom;
  if (nb) memset(c->busage_gen, 0, nb * sizeof(uint32_t));
  rt_decision_reset(c);
  aigw_input_reset(c);
  *out = c;
  return AIGW_OK;
oom:
  aigw_ctx_free(c);
  return AIGW_ERR_NOMEM;
}

void aigw_ctx_free(aigw_ctx *c) {
  if (!c) return;
  const aigw_bundle *bh = c->bh;
  for (TextChunk *k = c->text, *nx; k; k = nx) {
    nx = k->next;
    rt_alloc(bh, k, sizeof *k + k->cap, 0);
  }
  if (c->slots) rt_alloc(bh, c->slots, (size_t)bh->b.nfields * sizeof(Slot), 0);
  if (c->grmark) rt_alloc(bh, c->grmark, ((bh->b.nguardrails + 63) / 64) * sizeof(uint64_t), 0);
  if (c->hits) rt_alloc(bh, c->hits, (size_t)c->caphits * sizeof *c->hits, 0);
  if (c->busage) rt_alloc(bh, c->busage, (size_t)bh->b.nbudgets * sizeof(int64_t), 0);
  if (c->busage_gen) rt_alloc(bh, c->busage_gen, (size_t)bh->b.nbudgets * sizeof(uint32_t), 0);
  if (c->items) rt_alloc(bh, c->items, (size_t)c->items_cap * sizeof(Item), 0);
  for (int k = 0; k < 4; k++)
    if (c->lists[k]) rt_alloc(bh, c->lists[k], (size_t)c->caplist[k] * sizeof(Finding), 0);
  if (c->budgets) rt_alloc(bh, c->budgets, (size_t)c->capbudgets * sizeof(BudgetOut), 0);
  if (c->msg) rt_alloc(bh, c->msg, c->capmsg, 0);
  rt_json_free(c);
  if (c->json) rt_alloc(bh, c->json, c->capjson, 0);
  rt_alloc(bh, c, sizeof *c, 0);
}

const char *aigw_ctx_error(const aigw_ctx *c) { return c ? c->errmsg : "no context"; }
