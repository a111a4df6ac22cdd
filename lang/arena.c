#include "arena.h"
#include "util.h"
#include <string.h>

struct ArenaBlock {
  ArenaBlock *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK = 64 * 1024 };

void arena_init(Arena *a) { a->head = NULL; a->total = 0; }

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) { ArenaBlock *n = b->next; xfree(b); b = n; }
  a->head = NULL; a->total = 0;
}

void *arena_alloc(Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  ArenaBlock *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    b = xmalloc(sizeof *b + cap);
    b->used = 0; b->cap = cap;
    /* a large one-off block goes behind the current one so the current keeps filling */
    if (a->head && cap > ARENA_BLOCK) { b->next = a->head->next; a->head->next = b; }
    else { b->next = a->head; a->head = b; }
  }
  void *p = b->data + b->used;
  b->used += n;
  a->total += n;
  return p;
}

void *arena_zalloc(Arena *a, size_t n) { void *p = arena_alloc(a, n); memset(p, 0, n); return p; }

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n); p[n] = 0;
  return p;
}
