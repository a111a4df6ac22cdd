/* Scope IDs and the scope trie. A scope is an Azure-style resource ID: segments compared
 * case-insensitively, empty segments (doubled or trailing slashes) dropped. A segment
 * holding '*' or '?' is a glob matched within that one segment. */
#include <string.h>
#include "comp.h"
#include "hash.h"

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
  else c->trie.n++;
  return id;
}

uint32_t scope_node(Comp *c, const Node *where, const char *s, uint32_t n) {
  if (!c->nodes.n) new_node(c, NONE32, comp_str(c, "", 0), 0);
  if (!n || s[0] != '/') {
    if (where) {
      comp_error(c, where, "a scope starts with '/', like \"/subscriptions/…\"");
    }
    return NONE32;
  }
  char seg[1024];
  uint32_t node = 0, depth = 0;
  for (uint32_t i = 0; i < n;) {
    while (i < n && s[i] == '/') i++;
    uint32_t j = i;
    while (j < n && s[j] != '/') j++;
    if (j == i) break;
    if (j - i >= sizeof seg || ++depth > LIMIT_SCOPE_DEPTH) {
      if (where) comp_error(c, where, j - i >= sizeof seg ? "scope segment too long (limit is %d bytes)" : "scope too deep (limit is %d segments)",
                            j - i >= sizeof seg ? (int)sizeof seg - 1 : LIMIT_SCOPE_DEPTH);
      return NONE32;
    }
    int wild = 0;
    for (uint32_t k = i; k < j; k++) {
      char ch = s[k];
      seg[k - i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
      wild |= ch == '*' || ch == '?';
    }
    uint32_t sid = comp_str(c, seg, j - i);
    uint32_t *slot = trie_slot(c, trie_key(node, sid | (wild ? 0x80000000u : 0)));
    if (*slot == NONE32) *slot = new_node(c, node, sid, wild);
    node = *slot;
    i = j;
  }
  if (c->nodes.v[node].scope_text == NOSTR) c->nodes.v[node].scope_text = comp_str(c, s, n);
  return node;
}

/* Declared hierarchy: each node's ancestor list becomes transitively closed, and a
 * cycle is an error. Depth-first with colours; lists are small. */
static int close_node(Comp *c, uint32_t v, uint8_t *colour) {
  if (colour[v] == 2) return 0;
  if (colour[v] == 1) {
    comp_error(c, NULL, "the scope hierarchy has a cycle through '%s'",
               c->nodes.v[v].scope_text != NOSTR ? c->strp.v[c->nodes.v[v].scope_text] : "?");
    return -1;
  }
  colour[v] = 1;
  uint32_t n0 = c->node_anc[v].n;
  for (uint32_t i = 0; i < n0; i++) {
    uint32_t p = c->node_anc[v].v[i];
    if (close_node(c, p, colour) != 0) return -1;
    for (uint32_t j = 0; j < c->node_anc[p].n; j++) {
      uint32_t q = c->node_anc[p].v[j], dup = 0;
      for (uint32_t k = 0; k < c->node_anc[v].n; k++) dup |= c->node_anc[v].v[k] == q;
      if (!dup) VEC_PUSH(c->node_anc[v], q);
    }
  }
  colour[v] = 2;
  return 0;
}

int scope_close_hierarchy(Comp *c) {
  uint8_t *colour = xcalloc(c->nodes.n ? c->nodes.n : 1, 1);
  int rc = 0;
  for (uint32_t v = 0; v < c->nodes.n && !rc; v++) rc = close_node(c, v, colour);
  xfree(colour);
  return rc;
}
