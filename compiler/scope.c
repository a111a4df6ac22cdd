/* Scope IDs and the scope trie. A scope is an Azure-style resource ID: segments compared
 * case-insensitively, empty segments (doubled or trailing slashes) dropped. A segment
 * holding '*' or '?' is a glob matched within that one segment. */
#include <string.h>
#include "comp.h"
#include "hash.h"
#include "scopefmt.h"

static uint64_t trie_key(uint32_t parent, uint32_t sid) { return (uint64_t)parent << 32 | sid; }

static uint32_t *trie_slot(Comp *c, uint64_t key) {
  if (c->trie.n * 2 >= c->trie.cap) {
    uint32_t cap = c->trie.cap ? c->trie.cap * 2 : 1024;
    uint64_t *k = xmalloc(sizeof *k * cap);
    uint32_t *v = xmalloc(sizeof *v * cap);
    for (uint32_t i = 0; i < cap; i++) v[i] = NONE32;
    for (uint32_t i = 0; i < c->trie.cap; i++) {
      if (c->trie.v[i] == NONE32) continue;
      uint32_t h = (uint32_t)aigw_mix64(c->trie.k[i]) & (cap - 1);
      while (v[h] != NONE32) h = (h + 1) & (cap - 1);
      k[h] = c->trie.k[i]; v[h] = c->trie.v[i];
    }
    xfree(c->trie.k); xfree(c->trie.v);
    c->trie.k = k; c->trie.v = v; c->trie.cap = cap;
  }
  uint32_t h = (uint32_t)aigw_mix64(key) & (c->trie.cap - 1);
  while (c->trie.v[h] != NONE32 && c->trie.k[h] != key) h = (h + 1) & (c->trie.cap - 1);
  c->trie.k[h] = key;
  return &c->trie.v[h];
}

static uint32_t new_node(Comp *c, uint32_t parent, uint32_t seg, int wild) {
  BNode n;
  memset(&n, 0, sizeof n);
  n.segment = seg; n.parent = parent; n.wild = (uint32_t)wild; n.scope_text = NOSTR;
  VEC_PUSH(c->nodes, n);
  if (c->nodes.n > c->node_cap) {
    uint32_t cap = c->node_cap ? c->node_cap * 2 : 64;
    c->node_gr = xrealloc(c->node_gr, sizeof *c->node_gr * cap);
    c->node_anc = xrealloc(c->node_anc, sizeof *c->node_anc * cap);
    c->node_wild = xrealloc(c->node_wild, sizeof *c->node_wild * cap);
    memset(c->node_gr + c->node_cap, 0, sizeof *c->node_gr * (cap - c->node_cap));
    memset(c->node_anc + c->node_cap, 0, sizeof *c->node_anc * (cap - c->node_cap));
    memset(c->node_wild + c->node_cap, 0, sizeof *c->node_wild * (cap - c->node_cap));
    c->node_cap = cap;
  }
  uint32_t id = c->nodes.n - 1;
  if (wild) VEC_PUSH(c->node_wild[parent], id);
  c->trie.n++;   /* glob and literal children alike take a slot of the trie table */
  return id;
}

/* The trie node of scope s, added as needed. The scope is first put in the canonical
 * form the runtime gives input scopes (runtime/scopefmt.h), so both sides agree. */
uint32_t scope_node(Comp *c, const Node *where, const char *s, uint32_t n) {
  if (!c->nodes.n) new_node(c, NONE32, comp_str(c, "", 0), 0);
  char *canon = arena_alloc(&c->arena, (size_t)n + 2);
  size_t cn;
  uint32_t depth;
  ScopeStatus st = rt_scope_canon(s, n, canon, &cn, &depth);
  if (st != SCOPE_OK) {
    if (where) {
      if (st == SCOPE_TOO_DEEP) comp_error(c, where, "scope too deep (limit is %d segments)", LIMIT_SCOPE_DEPTH);
      else comp_error(c, where, "this scope %s; a scope is a resource ID like \"/subscriptions/…\"", rt_scope_status_text(st));
    }
    return NONE32;
  }
  uint32_t node = 0;
  for (size_t i = 1; i < cn;) {
    size_t j = i;
    int wild = 0;
    for (; j < cn && canon[j] != '/'; j++) wild |= canon[j] == '*' || canon[j] == '?';
    uint32_t sid = comp_str(c, canon + i, j - i);
    uint32_t *slot = trie_slot(c, trie_key(node, sid | (wild ? 0x80000000u : 0)));
    if (*slot == NONE32) *slot = new_node(c, node, sid, wild);
    node = *slot;
    i = j + 1;
  }
  if (c->nodes.v[node].scope_text == NOSTR) c->nodes.v[node].scope_text = comp_str(c, s, n);
  return node;
}

/* The edge child in parent as the source wrote it (whitespace runs as one space). */
static void edge_text(Comp *c, uint32_t child, uint32_t parent, Buf *b) {
  const Node *e = sema_hierarchy_edge(c, child, parent);
  if (!e) {
    uint32_t cs = c->nodes.v[child].scope_text, ps = c->nodes.v[parent].scope_text;
    buf_printf(b, "\"%s\" in \"%s\"", cs != NOSTR ? c->strp.v[cs] : "?", ps != NOSTR ? c->strp.v[ps] : "?");
    return;
  }
  const char *t = c->d->files[e->file]->text + e->off;
  for (uint32_t i = 0; i < e->len; i++) {
    int sp = t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r';
    if (!sp) buf_putc(b, t[i]);
    else if (b->n && b->p[b->n - 1] != ' ') buf_putc(b, ' ');
  }
}

/* A cycle: path[s] in path[s+1], …, path[n-1] in path[s]. Reported at the edge of the
 * cycle declared last, which is what closed it, listing the edges ending with it. */
static void report_cycle(Comp *c, const uint32_t *path, uint32_t s, uint32_t n) {
  uint32_t len = n - s, last = 0;
  const Node *at = NULL;
  for (uint32_t i = 0; i < len; i++) {
    const Node *e = sema_hierarchy_edge(c, path[s + i], path[s + (i + 1) % len]);
    if (e && (!at || e->file > at->file || (e->file == at->file && e->off > at->off))) { at = e; last = i; }
  }
  Buf b = {0};
  for (uint32_t j = 1; j <= len; j++) {
    uint32_t i = (last + j) % len;
    if (j > 1) buf_puts(&b, ", ");
    if (len > 8 && j == 4) { buf_puts(&b, "…"); j = len - 1; continue; }
    edge_text(c, path[s + i], path[s + (i + 1) % len], &b);
  }
  comp_error(c, at, "the scope hierarchy has a cycle: %s", b.p);
  buf_free(&b);
}

/* Declared hierarchy: each node's ancestor list becomes transitively closed, and a
 * cycle is an error. Depth-first with colours, path holding the nodes being visited;
 * lists are small. */
static int close_node(Comp *c, uint32_t v, uint8_t *colour, uint32_t *path, uint32_t depth) {
  if (colour[v] == 2) return 0;
  if (colour[v] == 1) {
    uint32_t s = depth;
    while (s > 0 && path[s - 1] != v) s--;
    report_cycle(c, path, s ? s - 1 : 0, depth);
    return -1;
  }
  colour[v] = 1;
  path[depth] = v;
  uint32_t n0 = c->node_anc[v].n;
  for (uint32_t i = 0; i < n0; i++) {
    uint32_t p = c->node_anc[v].v[i];
    /* named limits keep the recursion shallow and the closure small: without them a
     * long chain overflows the stack and its closure grows with its length squared */
    if (depth + 1 >= LIMIT_HIERARCHY_DEPTH) {
      comp_error(c, sema_hierarchy_edge(c, v, p), "the scope hierarchy is deeper than %d levels", LIMIT_HIERARCHY_DEPTH);
      return -1;
    }
    if (close_node(c, p, colour, path, depth + 1) != 0) return -1;
    for (uint32_t j = 0; j < c->node_anc[p].n; j++) {
      uint32_t q = c->node_anc[p].v[j], dup = 0;
      for (uint32_t k = 0; k < c->node_anc[v].n; k++) dup |= c->node_anc[v].v[k] == q;
      if (!dup) VEC_PUSH(c->node_anc[v], q);
    }
    if (c->node_anc[v].n > LIMIT_ANCESTORS) {
      comp_error(c, sema_hierarchy_edge(c, v, p), "a scope has more than %d ancestors in the hierarchy", LIMIT_ANCESTORS);
      return -1;
    }
  }
  colour[v] = 2;
  return 0;
}

int scope_close_hierarchy(Comp *c) {
  uint8_t *colour = xcalloc(c->nodes.n ? c->nodes.n : 1, 1);
  uint32_t *path = xmalloc(sizeof *path * (c->nodes.n ? c->nodes.n : 1));
  int rc = 0;
  for (uint32_t v = 0; v < c->nodes.n && !rc; v++) rc = close_node(c, v, colour, path, 0);
  xfree(path);
  xfree(colour);
  return rc;
}
