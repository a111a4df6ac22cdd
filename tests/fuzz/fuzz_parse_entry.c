/* The parse target: lexer, parser with error recovery, AST dump and diagnostic printing,
 * all into buffers. Besides the sanitizers it checks that every span the front end
 * produces lies inside the source, since the formatter and the caret printer slice the
 * text with them. */
#include <stdlib.h>
#include <string.h>
#include "astdump.h"
#include "fuzz.h"
#include "parse.h"

static void fuzz_check_spans(const Node *n, uint32_t len) {
  for (; n; n = n->next) {
    if (n->off > len || n->len > len - n->off) abort();
    if (n->name_off > len || n->name_len > len - n->name_off) abort();
    fuzz_check_spans(n->a, len);
    fuzz_check_spans(n->b, len);
  }
}

int fuzz_parse_one(const uint8_t *data, size_t size) {
  if (size > DIAG_MAX_FILE) return 0;
  char *text = xmalloc(size + 1);   /* exactly sized, so a read past the NUL is caught */
  if (size) memcpy(text, data, size);
  text[size] = 0;
  DiagSink d;
  diag_init(&d);
  int f = diag_add_source(&d, "fuzz.aigw", text, (uint32_t)size);
  Arena a;
  arena_init(&a);
  AstFile *af = parse_file(&d, f, &a, 1);
  fuzz_check_spans(af->decls, (uint32_t)size);
  for (uint32_t i = 0; i < af->ncomments; i++)
    if (af->comments[i].off > size || af->comments[i].len > size - af->comments[i].off) abort();
  Buf out = {0};
  ast_dump(&out, &d, af);
  int shown = 0;
  for (int i = 0; i < d.n; i++) {
    const Diag *g = &d.items[i];
    if (g->file == f && (g->off > size || g->len > size - g->off)) abort();
    shown += g->level == DIAG_ERR;
    diag_print_one(&d, g, &out);
  }
  if (d.errors && !shown) abort();   /* every counted error is also shown */
  buf_free(&out);
  arena_free(&a);
  diag_free(&d);
  return 0;
}
