#include "ast.h"

const char *const ast_kind_name[] = {
#define X(k) #k,
  AST_KINDS(X)
#undef X
};

Node *ast_node(Arena *a, int kind, int file, uint32_t off, uint32_t len) {
  Node *n = ARENA_NEW(a, Node);
  n->kind = (uint8_t)kind; n->file = (uint16_t)file;
  n->off = off; n->len = len;
  n->name_off = off; n->name_len = len;
  n->depth = 1;
  return n;
}

/* Appending walks the list; lists are short (a declaration's props) except the
 * file's declaration list, which the parser appends to through a tail pointer. */
Node *ast_append(Node *list, Node *item) {
  if (!list) return item;
  Node *p = list;
  while (p->next) p = p->next;
  p->next = item;
  return list;
}

int ast_count(const Node *list) {
  int n = 0;
  for (; list; list = list->next) n++;
  return n;
}
