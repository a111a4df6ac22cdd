/* `aigwc parse --ast`: the tree as an S-expression with line:col, for golden tests. */
#include "astdump.h"
#include "lex.h"
#include <string.h>

static void dump(Buf *b, DiagSink *d, const AstFile *f, const Node *n, int ind);

static void dump_list(Buf *b, DiagSink *d, const AstFile *f, const Node *n, int ind) {
  for (; n; n = n->next) dump(b, d, f, n, ind);
}

static const char *op_name(int op) {
  switch (op) {
  case TK_NOTIN: return "not in";
  case TK_UNDER: return "under";
  case TK_MINUS: return "-";
  default: return lex_token_name(op);
  }
}

static void dump(Buf *b, DiagSink *d, const AstFile *f, const Node *n, int ind) {
  uint32_t line, col;
  diag_linecol(d, f->file, n->off, &line, &col);
  buf_printf(b, "\n%*s(%s", ind * 2, "", ast_kind_name[n->kind]);
  switch (n->kind) {
  case N_BINARY: case N_UNARY: case N_PROP: case N_QUANT: {
    const char *o = op_name(n->op);
    if (o[0] == '\'') buf_printf(b, " %.*s", (int)strlen(o) - 2, o + 1); else buf_printf(b, " %s", o);
    break;
  }
  case N_INT: case N_DATE: case N_TIME: case N_DUR: case N_PCT: case N_BOOL: case N_ARM:
    buf_printf(b, " %lld", (long long)n->ival);
    break;
  default: break;
  }
  switch (n->kind) {
  case N_LEVELS: case N_INPUT: case N_FIELD: case N_TYPE: case N_SCOPE: case N_SET:
  case N_GUARDRAIL: case N_EXEMPTION: case N_ROUTE: case N_BUDGET: case N_TEST: case N_TARGET:
  case N_NAME: case N_MEMBER: case N_CALL: case N_STR: case N_PAIR: case N_QUANT: case N_TABLE:
    buf_printf(b, " %.*s", (int)n->name_len, f->text + n->name_off);
    break;
  default: break;
  }
  buf_printf(b, " @%u:%u", line, col);
  dump_list(b, d, f, n->a, ind + 1);
  dump_list(b, d, f, n->b, ind + 1);
  buf_putc(b, ')');
}

void ast_dump(Buf *b, DiagSink *d, const AstFile *f) {
  dump_list(b, d, f, f->decls, 0);
  buf_putc(b, '\n');
}
