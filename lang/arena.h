/* One arena per compilation owns the AST and every table built from it; freeing the
 * arena frees them all, so no node needs a destructor and no error path can leak. */
#ifndef AIGW_ARENA_H
#define AIGW_ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  ArenaBlock *head;
  size_t total;            /* bytes handed out, for reports and limits */
} Arena;

void  arena_init(Arena *a);
void  arena_free(Arena *a);
/* Never returns NULL: the compiler aborts with a message when memory runs out
 * (see xmalloc in util.c), which keeps every caller free of error paths. */
void *arena_alloc(Arena *a, size_t n);
void *arena_zalloc(Arena *a, size_t n);
char *arena_strndup(Arena *a, const char *s, size_t n);
#define ARENA_NEW(a, T) ((T *)arena_zalloc((a), sizeof(T)))

#endif
