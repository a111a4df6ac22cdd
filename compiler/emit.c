/* The bundle writer: lays the compiler's tables out as sections (docs/bundle.md),
 * builds the hash tables the runtime probes, and seals the file with a SHA-256
 * checksum. The same sources always give the same bytes: every table is built in
 * declaration order and nothing time- or address-dependent is written. */
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "comp.h"
#include "hash.h"
#include "sha256.h"

static int cmp_exref(const void *a, const void *b) {
  const BExRef *x = a, *y = b;
  if (x->node != y->node) return x->node < y->node ? -1 : 1;
  if (x->guardrail != y->guardrail) return x->guardrail < y->guardrail ? -1 : 1;
  return x->exemption < y->exemption ? -1 : x->exemption > y->exemption;
}

static int cmp_guard(const void *a, const void *b) {
  const BGuard *x = a, *y = b;
  if (x->slot != y->slot) return x->slot < y->slot ? -1 : 1;
  if (x->sid != y->sid) return x->sid < y->sid ? -1 : 1;
  return x->guardrail < y->guardrail ? -1 : x->guardrail > y->guardrail;
}

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 8;
  while (p < n) p *= 2;
  return p;
}

static void put_section(Buf *out, BSection *tab, uint32_t *ns, uint32_t id, const void *p, size_t n) {
  while (out->n % 8) buf_putc(out, 0);
  tab[*ns] = (BSection){id, (uint32_t)out->n, (uint32_t)n, 0};
  (*ns)++;
  buf_put(out, p, n);
}

/* The sections with a layout of their own (bundle.h, RAW). */
static void raw_section(Comp *c, Buf *out, BSection *tab, uint32_t *ns, uint32_t id, const Buf *strings,
                        const uint32_t *hash, uint32_t nb) {
  if (id == SEC_STRINGS) put_section(out, tab, ns, id, strings->p, strings->n);
  else if (id == SEC_STRHASH) put_section(out, tab, ns, id, hash, sizeof *hash * (nb + 1));
  else put_section(out, tab, ns, id, &c->meta, sizeof c->meta);
}

void emit_bundle(Comp *c, Buf *out) {
  /* node lists */
  if (c->exindex.n) qsort(c->exindex.v, c->exindex.n, sizeof *c->exindex.v, cmp_exref);
  if (c->guards.n) qsort(c->guards.v, c->guards.n, sizeof *c->guards.v, cmp_guard);
  for (uint32_t i = 0; i < c->exindex.n; i++) {
    BNode *n = &c->nodes.v[c->exindex.v[i].node];
    if (!n->ex_count) n->ex_first = i;
    n->ex_count++;
  }
  for (uint32_t i = 0; i < c->nodes.n; i++) {
    BNode *n = &c->nodes.v[i];
    n->gr_first = comp_u32s(c, c->node_gr[i].v, c->node_gr[i].n); n->gr_count = c->node_gr[i].n;
    n->anc_first = comp_u32s(c, c->node_anc[i].v, c->node_anc[i].n); n->anc_count = c->node_anc[i].n;
    n->wild_first = comp_u32s(c, c->node_wild[i].v, c->node_wild[i].n); n->wild_count = c->node_wild[i].n;
  }
  /* literal trie edges, placed by their child's path hash (hash.h); a parent is
   * created before its children, so its path is known by then */
  uint32_t nlit = 0;
  for (uint32_t i = 1; i < c->nodes.n; i++) nlit += !c->nodes.v[i].wild;
  uint32_t ecap = pow2_at_least(nlit * 2);
  for (uint32_t i = 0; i < ecap; i++) VEC_PUSH(c->edges, ((BEdge){NONE32, NONE32, 0, 0}));
  BEdge *edges = c->edges.v;
  uint64_t *path = xmalloc(sizeof *path * (c->nodes.n ? c->nodes.n : 1));
  path[0] = AIGW_PATH_SEED;
  for (uint32_t i = 1; i < c->nodes.n; i++) {
    const BNode *n = &c->nodes.v[i];
    path[i] = aigw_path_next(path[n->parent], aigw_hash_raw(c->strp.v[n->segment], c->strl.v[n->segment]));
    if (n->wild) continue;
    uint32_t h = (uint32_t)path[i], s = h & (ecap - 1);
    while (edges[s].child != NONE32) s = (s + 1) & (ecap - 1);
    edges[s] = (BEdge){n->parent, i, edge_key(h, c->strl.v[n->segment]), 0};
  }
  free(path);
  /* meta */
  const char *pkg = "";
  uint32_t pl = 0;
  for (int i = 0; i < c->nfiles && !pl; i++)
    for (Node *d = c->files[i]->decls; d; d = d->next)
      if (d->kind == N_POLICY) { pkg = c->files[i]->text + d->a->off; pl = d->a->len; break; }
  c->meta.policy = comp_str(c, pkg, pl);
  c->meta.compiler = comp_strz(c, "aigwc " AIGW_VERSION_STRING);
  c->meta.files_first = c->u32s.n; c->meta.files_count = (uint32_t)c->nfiles;
  for (int i = 0; i < c->nfiles; i++) {
    uint32_t sid = comp_strz(c, c->d->files[c->files[i]->file]->name);
    VEC_PUSH(c->u32s, sid);
  }
  c->meta.nslots = c->fields.n;
  /* each program's worst case (cg.c: its length, and its loops at their most items) */
  uint64_t cost = 0, tcost = 0, ntargets = c->targets.n;
#define PCOST(i) ((i) < c->prog_cost.n ? c->prog_cost.v[i] : c->programs.v[i].len)
  for (uint32_t i = 0; i < c->programs.n; i++) {
    if (c->programs.v[i].max_stack > c->meta.max_stack) c->meta.max_stack = c->programs.v[i].max_stack;
    cost += PCOST(i);
    if (cost > 1ull << 62) cost = 1ull << 62;   /* far past LIMIT_COST: saturate, never wrap */
  }
  for (uint32_t i = 0; i < c->guardrails.n; i++)
    if (c->guardrails.v[i].flags & GR_TARGET_SENSITIVE && c->guardrails.v[i].cond != NONE32)
      if ((tcost += PCOST(c->guardrails.v[i].cond)) > 1ull << 40) tcost = 1ull << 40;
#undef PCOST
  uint64_t tt;
  if (__builtin_mul_overflow(tcost, ntargets, &tt) || tt > 1ull << 62) tt = 1ull << 62;
  cost += tt;
  c->meta.cost = cost > UINT32_MAX ? UINT32_MAX : (uint32_t)cost;
  c->cost = cost;
  /* the string table and its lookup hash come last: everything above interns */
  Buf offs = {0}, bytes = {0};
  uint32_t ns = c->strp.n, o = 0;
  buf_put(&offs, &ns, 4);
  for (uint32_t i = 0; i < ns; i++) {
    buf_put(&offs, &o, 4);
    buf_put(&bytes, c->strp.v[i], c->strl.v[i]);
    buf_putc(&bytes, 0);
    o += c->strl.v[i] + 1;
  }
  buf_put(&offs, &o, 4);
  /* now that strings have their places: each trie edge's segment bytes */
  for (uint32_t i = 0; i < c->edges.n; i++)
    if (c->edges.v[i].child != NONE32) {
      uint32_t seg = c->nodes.v[c->edges.v[i].child].segment;
      memcpy(&c->edges.v[i].seg, offs.p + 4 + (size_t)seg * 4, 4);
    }
  buf_put(&offs, bytes.p, bytes.n);
  uint32_t nb = pow2_at_least(ns * 2);
  uint32_t *hash = xcalloc(nb + 1, sizeof *hash);
  hash[0] = nb;
  for (uint32_t i = 0; i < ns; i++) {
    uint32_t h = aigw_hash_str(c->strp.v[i], c->strl.v[i]), s = h & (nb - 1);
    while (hash[1 + s]) s = (s + 1) & (nb - 1);
    hash[1 + s] = strhash_entry(i, h);
  }

  BHeader h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, BUNDLE_MAGIC, 8);
  h.version = BUNDLE_VERSION; h.endian = BUNDLE_ENDIAN;
  BSection tab[SEC__MAX];
  uint32_t nsec = 0;
  out->n = 0;
  buf_put(out, &h, sizeof h);
  size_t tab_at = out->n;
  BSection zero[SEC__MAX];
  memset(zero, 0, sizeof zero);
  buf_put(out, zero, sizeof(BSection) * (SEC__MAX - 1));
  /* in the order of the one section list (bundle.h) */
#define REC(N, id, T, sz, m) put_section(out, tab, &nsec, SEC_##N, c->m.v, sizeof *c->m.v * c->m.n);
#define RAW(N, id) raw_section(c, out, tab, &nsec, SEC_##N, &offs, hash, nb);
  SECTIONS(REC, RAW)
#undef REC
#undef RAW
  while (out->n % 8) buf_putc(out, 0);
  memcpy(out->p + tab_at, tab, sizeof(BSection) * nsec);
  BHeader *hp = (BHeader *)out->p;
  hp->file_size = (uint32_t)out->n;
  hp->nsections = nsec;
  rt_sha256(out->p + sizeof h, out->n - sizeof h, hp->checksum);
  buf_free(&offs); buf_free(&bytes);
  xfree(hash);
}
