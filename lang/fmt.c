/* aigwc fmt: prints the tree back in one canonical layout.
 *
 * Text is rebuilt from the nodes, never patched: names and literals are copied from
 * their token spans (so 2_000_000, escapes and dates stay as written), everything else
 * is spelled by the printer. The layout is fixed, except for what the source says on
 * purpose and the tree cannot: parentheses are printed where the source wrote them
 * (AST_PAREN) or precedence needs them, and a condition keeps its line breaks at `and`
 * and `or` (see "conditions broken over lines"). Comments are not in the tree; they
 * are byte spans from the lexer, placed by position as the printer passes them:
 *   - comments before a line's node go on their own lines above it ("leading"), with
 *     at most one blank line where the source had one;
 *   - comments after a line's last token on the same source line stay at the end of
 *     that line ("trailing");
 *   - comments inside something printed on one line (an expression, a levels list)
 *     have no place there, so they are hoisted above that line.
 * Every node's line starts in line_begin, which first prints all comments before the
 * node, and every closing bracket prints those before it, so none can be skipped;
 * fmt_file counts them anyway, and fmt_verify re-parses the result. */
#include "fmt.h"
#include <stdlib.h>
#include <string.h>
#include "parse.h"

typedef struct Fmt {
  const AstFile *f;
  const char *src;
  uint32_t len;
  Buf *out;
  int ind;                /* indentation depth, two spaces each */
  uint8_t *done;          /* per comment: printed */
  uint32_t cur;           /* first comment not yet printed */
  uint32_t nprinted;
  uint32_t lo;            /* comments before this offset belong to someone else */
  uint32_t last;          /* source offset just past what was printed last */
  int blank;              /* a blank line is wanted before the next line */
  int opened;             /* the last line opened a block: no blank line here */
  const Node *croot;      /* the condition being printed, and the end of its item */
  uint32_t cend;
} Fmt;

enum { P_QUANT = 0, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_NEG, P_PRIMARY };

static void value(const Fmt *F, Buf *b, const Node *v);

/* ---- source positions and comments ---- */

static uint32_t end_of(const Node *n) { return n->off + n->len; }
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static const Comment *cm(const Fmt *F, uint32_t i) { return &F->f->comments[i]; }

/* Index of the first comment starting at or after off; comments are in source order. */
static uint32_t comment_at(const Fmt *F, uint32_t off) {
  uint32_t lo = 0, hi = F->f->ncomments;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (cm(F, mid)->off < off) lo = mid + 1; else hi = mid;
  }
  return lo;
}

static int has_comment(const Fmt *F, uint32_t from, uint32_t to) {
  uint32_t i = comment_at(F, from);
  return i < F->f->ncomments && cm(F, i)->off < to;
}

/* Offset of the next token at or after p, skipping blanks and comments. */
static uint32_t next_token(const Fmt *F, uint32_t p) {
  for (;;) {
    while (p < F->len && is_space(F->src[p])) p++;
    uint32_t i = comment_at(F, p);
    if (i == F->f->ncomments || cm(F, i)->off != p) return p;
    p += cm(F, i)->len;
  }
}

/* Offset of the next `ch` token after p (the brace after a declaration's name, the
 * bracket after `controls`); only blanks, comments, `=` and `)` come in between. */
static uint32_t token_after(const Fmt *F, uint32_t p, char ch) {
  while ((p = next_token(F, p)) < F->len && F->src[p] != ch) p++;
  return p;
}

/* Is the token after p the word w? Tells `warn at 80%` from `warn when 80%` and
 * `expect x g by e` from `expect x g, e`, which the tree does not. */
static int word_after(const Fmt *F, uint32_t p, const char *w) {
  size_t n = strlen(w);
  p = next_token(F, p);
  if (p + n > F->len || memcmp(F->src + p, w, n)) return 0;
  char c = F->src[p + n];
  return !(c == '_' || c == '-' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'));
}

/* Was there a blank line in the source between a and b? */
static int blank_between(const Fmt *F, uint32_t a, uint32_t b) {
  int seen_nl = 0, empty = 0;
  for (uint32_t i = a; i < b && i < F->len; i++) {
    if (F->src[i] == '\n') { if (seen_nl && empty) return 1; seen_nl = empty = 1; }
    else if (!is_space(F->src[i])) empty = 0;
  }
  return 0;
}

/* ---- lines ---- */

static void start_line(Fmt *F) {
  if (F->blank && F->out->n && !F->opened) buf_putc(F->out, '\n');
  F->blank = F->opened = 0;
  for (int i = 0; i < F->ind; i++) buf_puts(F->out, "  ");
}

static void put_comment(Fmt *F, uint32_t i) {
  const Comment *c = cm(F, i);
  uint32_t n = c->len;
  if (F->src[c->off] == '#')        /* trailing blanks (a CR) would make the next run differ */
    while (n && is_space(F->src[c->off + n - 1])) n--;
  buf_put(F->out, F->src + c->off, n);
  F->done[i] = 1; F->nprinted++;
  while (F->cur < F->f->ncomments && F->done[F->cur]) F->cur++;
  F->last = c->off + c->len;
}

/* Comments in [F->lo, to) not yet printed, each on its own line. Hoisted comments
 * (keep_blank 0) come from inside a construct, so their source blank lines mean nothing. */
static void comments_before(Fmt *F, uint32_t to, int keep_blank) {
  uint32_t i = F->lo ? comment_at(F, F->lo) : F->cur;
  for (; i < F->f->ncomments && cm(F, i)->off < to; i++) {
    if (F->done[i]) continue;
    if (keep_blank && blank_between(F, F->last, cm(F, i)->off)) F->blank = 1;
    start_line(F);
    put_comment(F, i);
    buf_putc(F->out, '\n');
  }
}

/* Starts the line of a node at off whose one-line part ends at own. */
static void line_begin(Fmt *F, uint32_t off, uint32_t own) {
  comments_before(F, off, 1);
  if (blank_between(F, F->last, off)) F->blank = 1;
  comments_before(F, own, 0);
  start_line(F);
}

/* Ends a line whose text ran to source offset end. Comments that follow on the same
 * source line, with only separators in between (a list's comma, or the ')' that a
 * parenthesized expression's span may leave out), stay on this line. */
static void line_end(Fmt *F, uint32_t end) {
  for (uint32_t i = comment_at(F, end); i < F->f->ncomments && !F->done[i]; i++) {
    uint32_t p = end;
    while (p < cm(F, i)->off && F->src[p] && strchr(" \t\r,)", F->src[p])) p++;
    if (p != cm(F, i)->off) break;
    buf_putc(F->out, ' ');
    put_comment(F, i);
    end = F->last;
  }
  buf_putc(F->out, '\n');
  F->last = end;
}

/* ---- one-line pieces, written to any buffer so that widths can be measured ---- */

static void name(const Fmt *F, Buf *b, const Node *n) { buf_put(b, F->src + n->name_off, n->name_len); }

static void literal(const Fmt *F, Buf *b, const Node *n) {
  /* `-5` in a set or record is one literal whose span covers both tokens (in an
   * expression it is a unary minus); a parenthesized literal's span starts at '(' */
  if (n->off < n->name_off && F->src[n->off] == '-') buf_putc(b, '-');
  name(F, b, n);
}

static void names(const Fmt *F, Buf *b, const Node *n) {
  for (; n; n = n->next) { name(F, b, n); if (n->next) buf_puts(b, ", "); }
}

static int prec(const Node *n) {
  if (n->kind == N_QUANT) return P_QUANT;
  if (n->kind == N_UNARY) return n->op == TK_NOT ? P_NOT : P_NEG;
  if (n->kind != N_BINARY) return P_PRIMARY;
  switch (n->op) {
  case TK_OR: return P_OR;
  case TK_AND: return P_AND;
  case TK_PLUS: case TK_MINUS: return P_ADD;
  case TK_STAR: case TK_SLASH: case TK_AMP: return P_MUL;
  default: return P_CMP;
  }
}

static const char *op_text(int op) {
  switch (op) {
  case TK_EQ: return "=="; case TK_NE: return "!="; case TK_LT: return "<";
  case TK_LE: return "<="; case TK_GT: return ">"; case TK_GE: return ">=";
  case TK_PLUS: return "+"; case TK_MINUS: return "-"; case TK_STAR: return "*";
  case TK_SLASH: return "/"; case TK_NOTIN: return "not in"; case TK_AMP: return "&";
  default: return lex_token_name(op);   /* and, or, in, under */
  }
}

/* Parentheses around n where its parent asks for precedence min: the ones the source
 * wrote (two pairs around one expression are one), and the ones precedence needs. A
 * parsed tree lacks the latter only where `not` meets a comparison: the grammar reads
 * `a == not b` and `not a in b` without them, a reader would not. */
static int parens(const Node *n, int min) { return (n->flags & AST_PAREN) || prec(n) < min; }

/* The precedence a binary node asks of its left and right operands: left-associative,
 * so the left operand may share the level and the right may not; comparisons do not
 * associate, so neither may: (a == b) == c. */
static int left_min(const Node *n) { return prec(n) == P_CMP ? P_CMP + 1 : prec(n); }
static int right_min(const Node *n) { return prec(n) + 1; }

/* The precedence a unary node asks of its operand. `not (a in b)` keeps its
 * parentheses: the grammar does not need them, but `not a in b` reads as if `not`
 * bound to a. */
static int operand_min(const Node *n) {
  return n->op == TK_NOT && prec(n->a) == P_CMP ? P_PRIMARY : prec(n);
}

static void bare(const Fmt *F, Buf *b, const Node *n);

/* Prints n where its parent asks for precedence min. A quantifier's body reaches to
 * the end, so a quantifier anywhere but last is parenthesized: (all t in s: p) and q. */
static void expr(const Fmt *F, Buf *b, const Node *n, int min) {
  if (!parens(n, min)) { bare(F, b, n); return; }
  buf_putc(b, '('); bare(F, b, n); buf_putc(b, ')');
}

/* Prints n without parentheses of its own. */
static void bare(const Fmt *F, Buf *b, const Node *n) {
  switch (n->kind) {
  case N_BINARY:
    expr(F, b, n->a, left_min(n));
    buf_printf(b, " %s ", op_text(n->op));
    expr(F, b, n->b, right_min(n));
    break;
  case N_UNARY:
    /* "- -a", not "--a", which reads like a decrement */
    buf_puts(b, n->op == TK_NOT ? "not " : n->a->kind == N_UNARY && n->a->op == TK_MINUS &&
                !parens(n->a, operand_min(n)) ? "- " : "-");
    expr(F, b, n->a, operand_min(n));
    break;
  case N_MEMBER:
    expr(F, b, n->a, P_PRIMARY); buf_putc(b, '.'); name(F, b, n);
    break;
  case N_QUANT:
    buf_printf(b, "%s ", lex_token_name(n->op)); name(F, b, n); buf_puts(b, " in ");
    expr(F, b, n->a, P_PRIMARY); buf_puts(b, ": "); expr(F, b, n->b, P_QUANT);
    break;
  case N_INDEX:
    expr(F, b, n->a, P_PRIMARY); buf_putc(b, '['); expr(F, b, n->b, 0); buf_putc(b, ']');
    break;
  case N_CALL: case N_LIST:
    if (n->kind == N_CALL) name(F, b, n);
    buf_putc(b, n->kind == N_CALL ? '(' : '[');
    for (const Node *a = n->a; a; a = a->next) { expr(F, b, a, 0); if (a->next) buf_puts(b, ", "); }
    buf_putc(b, n->kind == N_CALL ? ')' : ']');
    break;
  default:
    literal(F, b, n);
  }
}

static void type(const Fmt *F, Buf *b, const Node *t) {
  name(F, b, t);
  if (!t->a) return;
  buf_putc(b, '<'); type(F, b, t->a);
  if (t->b) { buf_puts(b, ", max "); literal(F, b, t->b); }
  buf_putc(b, '>');
}

/* Set algebra: names, member lists and + - & between them. */
static void setexpr(const Fmt *F, Buf *b, const Node *n, int min) {
  int par = (n->flags & AST_PAREN) || (n->kind == N_BINARY && prec(n) < min);
  if (par) buf_putc(b, '(');
  if (n->kind == N_BINARY) {
    setexpr(F, b, n->a, prec(n));
    buf_printf(b, " %s ", op_text(n->op));
    setexpr(F, b, n->b, prec(n) + 1);
  } else if (n->kind == N_LIST) {
    buf_putc(b, '{');
    for (const Node *e = n->a; e; e = e->next) { literal(F, b, e); if (e->next) buf_puts(b, ", "); }
    buf_putc(b, '}');
  } else name(F, b, n);
  if (par) buf_putc(b, ')');
}

/* A budget's window: `month`, `10s`, `5 minutes`. */
static void window(const Fmt *F, Buf *b, const Node *w) {
  literal(F, b, w);
  if (w->kind == N_INT && w->a) { buf_putc(b, ' '); name(F, b, w->a); }
}

/* A response cache hint: `cache 1h by request.prompt_hash`. */
static void cache(const Fmt *F, Buf *b, const Node *c) {
  buf_puts(b, "cache "); literal(F, b, c->b); buf_puts(b, " by "); expr(F, b, c->a, 0);
}

/* A rule's own cache hint, after its condition or key (grammar.y), or NULL. */
static const Node *rule_cache(const Node *r) {
  for (const Node *x = r->a; x; x = x->next) if (x->kind == N_CACHE) return x;
  return NULL;
}

static void pair(const Fmt *F, Buf *b, const Node *p) {
  name(F, b, p);
  buf_puts(b, ": ");
  value(F, b, p->a);
}

static void value(const Fmt *F, Buf *b, const Node *v) {
  if (v->kind != N_RECORD && v->kind != N_LIST) { literal(F, b, v); return; }
  buf_putc(b, v->kind == N_RECORD ? '{' : '[');
  for (const Node *e = v->a; e; e = e->next) {
    if (v->kind == N_RECORD) pair(F, b, e); else value(F, b, e);
    if (e->next) buf_puts(b, ", ");
  }
  buf_putc(b, v->kind == N_RECORD ? '}' : ']');
}

/* Columns, counting UTF-8 characters. */
static size_t width(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
  return w;
}
/* The column where the output's last line ends. */
static size_t column(const Buf *b) {
  size_t i = b->n;
  while (i && b->p[i - 1] != '\n') i--;
  return width(b->p + i, b->n - i);
}

/* Does the bracketed list in source [open, close] go on one line after col? Only when
 * it holds no comment and, with `extra` columns after it, fits in FMT_WIDTH. */
static int fits(const Fmt *F, const Buf *inl, uint32_t open, uint32_t close, size_t col, size_t extra) {
  return !has_comment(F, open, close) && col + width(inl->p, inl->n) + extra <= FMT_WIDTH;
}

/* ---- blocks: one element per line ---- */

typedef void ElemFn(Fmt *F, const Node *n);

/* { elements } with open and close the source offsets of the brackets; an empty block
 * without comments stays `{}`. */
static void block(Fmt *F, const Node *list, uint32_t open, uint32_t close, ElemFn *el) {
  char o = F->src[open], c = F->src[close];
  if (!list && !has_comment(F, open, close)) { buf_putc(F->out, o); buf_putc(F->out, c); return; }
  buf_putc(F->out, o);
  line_end(F, open + 1);
  F->ind++; F->opened = 1;
  for (; list; list = list->next) el(F, list);
  comments_before(F, close, 1);
  F->ind--; F->blank = 0;
  start_line(F);
  buf_putc(F->out, c);
  F->last = close + 1;
}

static void value_line(Fmt *F, const Node *v);

/* Does value v, starting at col, go on lines of its own (a block)? Decided before its
 * line begins, so that comments inside a one-line value are hoisted and those inside a
 * block stay in it. */
static int value_is_block(const Fmt *F, const Node *v, size_t col, size_t extra) {
  if (v->kind != N_RECORD && v->kind != N_LIST) return 0;
  Buf inl = {0};
  value(F, &inl, v);
  int r = !fits(F, &inl, v->off, end_of(v) - 1, col, extra);
  buf_free(&inl);
  return r;
}

static void pair_line(Fmt *F, const Node *p) {
  size_t col = (size_t)F->ind * 2 + width(F->src + p->name_off, p->name_len) + 2;
  int blk = value_is_block(F, p->a, col, 1);
  line_begin(F, p->off, blk ? p->a->off : end_of(p));
  if (blk) {
    name(F, F->out, p); buf_puts(F->out, ": ");
    block(F, p->a->a, p->a->off, end_of(p->a) - 1, p->a->kind == N_RECORD ? pair_line : value_line);
  } else pair(F, F->out, p);
  buf_putc(F->out, ',');
  line_end(F, end_of(p));
}

static void value_line(Fmt *F, const Node *v) {
  int blk = value_is_block(F, v, (size_t)F->ind * 2, 1);
  line_begin(F, v->off, blk ? v->off : end_of(v));
  if (blk) block(F, v->a, v->off, end_of(v) - 1, v->kind == N_RECORD ? pair_line : value_line);
  else value(F, F->out, v);
  buf_putc(F->out, ',');
  line_end(F, end_of(v));
}

static void literal_line(Fmt *F, const Node *n) {
  line_begin(F, n->off, end_of(n));
  literal(F, F->out, n);
  buf_putc(F->out, ',');
  line_end(F, end_of(n));
}

static void arm_line(Fmt *F, const Node *n) {
  line_begin(F, n->off, end_of(n));
  name(F, F->out, n); buf_putc(F->out, ' '); name(F, F->out, n->a); buf_putc(F->out, ',');
  line_end(F, end_of(n));
}

/* A table entry: `"gpt-4o": 128000`. */
static void entry(const Fmt *F, Buf *b, const Node *e) {
  literal(F, b, e->a); buf_puts(b, ": "); literal(F, b, e->b);
}

static void entry_line(Fmt *F, const Node *n) {
  line_begin(F, n->off, end_of(n));
  entry(F, F->out, n); buf_putc(F->out, ',');
  line_end(F, end_of(n));
}

static void field_line(Fmt *F, const Node *n) {
  line_begin(F, n->off, end_of(n));
  name(F, F->out, n); buf_puts(F->out, ": "); type(F, F->out, n->a);
  line_end(F, end_of(n));
}

static void edge_line(Fmt *F, const Node *n) {
  line_begin(F, n->off, end_of(n));
  name(F, F->out, n->a); buf_puts(F->out, " in "); name(F, F->out, n->b);
  line_end(F, end_of(n));
}

/* A set's elements or a controls list: one line when short, else one per line. */
static void literals(Fmt *F, const Node *list, uint32_t open, uint32_t close) {
  Buf inl = {0};
  buf_putc(&inl, F->src[open]);
  for (const Node *e = list; e; e = e->next) { literal(F, &inl, e); if (e->next) buf_puts(&inl, ", "); }
  buf_putc(&inl, F->src[close]);
  if (fits(F, &inl, open, close, column(F->out), 0)) { buf_put(F->out, inl.p, inl.n); F->last = close + 1; }
  else block(F, list, open, close, literal_line);
  buf_free(&inl);
}

/* ---- conditions broken over lines ----
 *
 * A condition stays on one line unless the source broke it between the operands of an
 * `and` or `or` (one reached from the top through and, or, not and parentheses). Each
 * such break is kept, the operator starts the continuation line (whichever line the
 * source put it on), and the continuation is indented one level deeper than the item,
 * plus one level per parenthesis open at that point:
 *
 *   deny when request.a
 *     and (request.b
 *       or request.c)
 *
 * Comments on the line where the left operand ends stay at the end of that line; the
 * others before a continuation line's last token go on their own lines above it. */

static int is_bool(const Node *n) {
  return n->kind == N_BINARY && (n->op == TK_AND || n->op == TK_OR);
}

/* Does the source break the line between n's operands? */
static int breaks(const Fmt *F, const Node *n) {
  return is_bool(n) && memchr(F->src + end_of(n->a), '\n', n->b->off - end_of(n->a));
}

/* The end of the left operand of the first kept break in n at or after from, which is
 * where an output line ends; UINT32_MAX when there is none. The in-order walk meets
 * breaks in source order, and skips what ends before from. */
static uint32_t next_break(const Fmt *F, const Node *n, uint32_t from) {
  while (n->kind == N_UNARY && n->op == TK_NOT) n = n->a;
  if (!is_bool(n) || end_of(n) <= from) return UINT32_MAX;
  uint32_t r = next_break(F, n->a, from);
  if (r != UINT32_MAX) return r;
  if (end_of(n->a) >= from && breaks(F, n)) return end_of(n->a);
  return next_break(F, n->b, from);
}

/* Where the output line that starts at source offset from ends. */
static uint32_t line_stop(const Fmt *F, uint32_t from) {
  uint32_t r = next_break(F, F->croot, from);
  return r == UINT32_MAX ? F->cend : r;
}

/* Starts the first line of an item at off that ends at end and holds condition c. */
static void cond_begin(Fmt *F, uint32_t off, const Node *c, uint32_t end) {
  F->croot = c; F->cend = end;
  line_begin(F, off, line_stop(F, c->off));
}

/* Ends the line after n's left operand and starts the one of its operator. */
static void cond_break(Fmt *F, const Node *n, int open) {
  uint32_t at = end_of(n->a), to = n->b->off;
  /* comments on the source line where the left operand ends stay on its line */
  for (uint32_t i = comment_at(F, at); i < F->f->ncomments && cm(F, i)->off < to; i++) {
    if (F->done[i]) continue;
    if (memchr(F->src + at, '\n', cm(F, i)->off - at)) break;
    buf_putc(F->out, ' ');
    put_comment(F, i);
  }
  buf_putc(F->out, '\n');
  F->ind += 1 + open;
  comments_before(F, line_stop(F, to), 0);
  start_line(F);
  F->ind -= 1 + open;
  buf_printf(F->out, "%s ", op_text(n->op));
}

/* Prints condition n, where its parent asks for precedence min, inside open
 * parentheses; what holds no kept break is printed by expr. */
static void cond(Fmt *F, const Node *n, int min, int open) {
  if (next_break(F, n, n->off) == UINT32_MAX) { expr(F, F->out, n, min); return; }
  int par = parens(n, min);
  if (par) { buf_putc(F->out, '('); open++; }
  if (n->kind == N_UNARY) {
    buf_puts(F->out, "not ");
    cond(F, n->a, operand_min(n), open);
  } else {
    cond(F, n->a, left_min(n), open);
    if (breaks(F, n)) cond_break(F, n, open);
    else buf_printf(F->out, " %s ", op_text(n->op));
    cond(F, n->b, right_min(n), open);
  }
  if (par) buf_putc(F->out, ')');
}

/* ---- declaration items ---- */

static void rule_line(Fmt *F, const Node *r) {
  Buf *o = F->out;
  if (r->kind == N_SPLIT) {
    uint32_t open = token_after(F, end_of(r->a), '{');
    line_begin(F, r->off, open);
    buf_puts(o, "split by "); expr(F, o, r->a, 0); buf_putc(o, ' ');
    const Node *ch = rule_cache(r), *last = r->b;
    while (last && last->next) last = last->next;
    block(F, r->b, open, ch && last ? token_after(F, end_of(last), '}') : end_of(r) - 1, arm_line);
    if (ch) { buf_putc(o, ' '); cache(F, o, ch); }
    line_end(F, end_of(r));
    return;
  }
  if (r->kind == N_RULE) {
    cond_begin(F, r->off, r->a, end_of(r));
    buf_puts(o, "when "); cond(F, r->a, 0, 0); buf_puts(o, " -> ");
  } else {
    line_begin(F, r->off, end_of(r));
    buf_puts(o, "default -> ");
  }
  names(F, o, r->b);
  if (rule_cache(r)) { buf_putc(o, ' '); cache(F, o, rule_cache(r)); }
  line_end(F, end_of(r));
}

static int is_word(const Fmt *F, const Node *n, const char *w) {
  return n->name_len == strlen(w) && !memcmp(F->src + n->name_off, w, n->name_len);
}

static void expect(const Fmt *F, Buf *o, const Node *p) {
  const Node *what = p->a, *b = p->b;
  name(F, o, what);
  if (!b) return;
  buf_putc(o, ' ');
  name(F, o, b);
  if (is_word(F, what, "route") && b->next) { buf_puts(o, " -> "); names(F, o, b->next); }
  else if (b->next && word_after(F, end_of(b), "by")) { buf_puts(o, " by "); name(F, o, b->next); }
  else if (b->next) { buf_puts(o, ", "); names(F, o, b->next); }
}

static void prop_line(Fmt *F, const Node *p) {
  Buf *o = F->out;
  const char *kw = lex_token_name(p->op);
  uint32_t end = end_of(p);
  if (p->op == TK_INPUT) {                       /* test input: always a block */
    line_begin(F, p->off, p->a->off);
    buf_printf(o, "%s ", kw);
    block(F, p->a->a, p->a->off, end - 1, pair_line);
    line_end(F, end);
    return;
  }
  if (p->op == TK_CONTROLS) {
    uint32_t open = token_after(F, p->off + (uint32_t)strlen(kw), '[');
    int blk = has_comment(F, open, end - 1);
    line_begin(F, p->off, blk ? open : end);
    buf_printf(o, "%s ", kw);
    literals(F, p->a, open, end - 1);
    line_end(F, end);
    return;
  }
  int warn_at = p->op == TK_WARN && word_after(F, p->off + (uint32_t)strlen(kw), "at");
  int is_cond = p->op == TK_DENY || p->op == TK_AUDIT || p->op == TK_WHEN ||
                (p->op == TK_WARN && !warn_at);
  if (is_cond) cond_begin(F, p->off, p->a, end);
  else line_begin(F, p->off, end);
  buf_puts(o, kw);
  buf_putc(o, ' ');
  switch (p->op) {
  case TK_WARN:
    if (warn_at) { buf_puts(o, "at "); literal(F, o, p->a); break; }
    /* fall through */
  case TK_DENY: case TK_AUDIT:
    buf_puts(o, "when ");
    /* fall through */
  case TK_WHEN:
    cond(F, p->a, 0, 0);
    break;
  case TK_KEY: case TK_CHARGE:
    expr(F, o, p->a, 0);
    break;
  case TK_SCOPE: case TK_WAIVES: names(F, o, p->a); break;
  case TK_LIMIT:
    expr(F, o, p->a, P_PRIMARY); buf_putc(o, ' '); name(F, o, p->b);
    buf_puts(o, " per "); window(F, o, p->a->next);
    break;
  case TK_EXPECT: expect(F, o, p); break;
  default: literal(F, o, p->a);    /* severity, message, owner, created, expires, now, … */
  }
  line_end(F, end);
}

/* ---- declarations ---- */

static const char *decl_keyword(int kind) {
  switch (kind) {
  case N_POLICY: return "policy"; case N_IMPORT: return "import"; case N_LEVELS: return "levels";
  case N_INPUT: return "input"; case N_SCOPE: return "scope"; case N_HIERARCHY: return "hierarchy";
  case N_SET: return "set"; case N_GUARDRAIL: return "guardrail"; case N_EXEMPTION: return "exemption";
  case N_ROUTE: return "route"; case N_BUDGET: return "budget"; case N_TEST: return "test";
  case N_TABLE: return "table";
  }
  return "?";
}

static void decl(Fmt *F, const Node *n) {
  Buf *o = F->out;
  uint32_t end = end_of(n);
  const char *kw = decl_keyword(n->kind);
  ElemFn *el = NULL;
  switch (n->kind) {
  case N_POLICY: case N_IMPORT:
    /* a dotted name is one span; copied whole unless a comment sits inside it */
    line_begin(F, n->off, end);
    buf_printf(o, "%s ", kw);
    if (!has_comment(F, n->a->off, end)) name(F, o, n->a);
    else for (uint32_t p = next_token(F, n->a->off); p < end; p = next_token(F, p + 1))
      buf_putc(o, F->src[p]);            /* identifier characters and dots only */
    line_end(F, end);
    return;
  case N_SCOPE:
    line_begin(F, n->off, end);
    buf_puts(o, "scope "); name(F, o, n); buf_puts(o, " = "); name(F, o, n->a);
    line_end(F, end);
    return;
  case N_LEVELS:
    line_begin(F, n->off, end);
    buf_puts(o, "levels "); name(F, o, n); buf_puts(o, " { ");
    for (const Node *l = n->a; l; l = l->next) { name(F, o, l); if (l->next) buf_puts(o, " < "); }
    buf_puts(o, " }");
    line_end(F, end);
    return;
  case N_SET: {
    if (n->b) {                          /* set algebra: one line */
      line_begin(F, n->off, end);
      buf_puts(o, "set "); name(F, o, n); buf_puts(o, " = ");
      setexpr(F, o, n->b, 0);
      line_end(F, end);
      return;
    }
    uint32_t open = token_after(F, n->name_off + n->name_len, '{');
    line_begin(F, n->off, has_comment(F, open, end) ? open : end);
    buf_puts(o, "set "); name(F, o, n); buf_puts(o, " = ");
    literals(F, n->a, open, end - 1);
    line_end(F, end);
    return;
  }
  case N_TABLE: {
    uint32_t open = token_after(F, n->name_off + n->name_len, '{');
    const Node *last = n->a;
    while (last && last->next) last = last->next;
    uint32_t close = token_after(F, last ? end_of(last) : open + 1, '}');
    Buf inl = {0};
    buf_putc(&inl, '{');
    for (const Node *e = n->a; e; e = e->next) { entry(F, &inl, e); if (e->next) buf_puts(&inl, ", "); }
    buf_putc(&inl, '}');
    size_t col = 2 * (size_t)F->ind + 9 + width(F->src + n->name_off, n->name_len);
    int one = fits(F, &inl, open, close, col, n->b ? 9 + n->b->len : 0);
    line_begin(F, n->off, one ? end : open);
    buf_puts(o, "table "); name(F, o, n); buf_puts(o, " = ");
    if (one) { buf_put(o, inl.p, inl.n); F->last = close + 1; }
    else block(F, n->a, open, close, entry_line);
    buf_free(&inl);
    if (n->b) { buf_puts(o, " default "); literal(F, o, n->b); }
    line_end(F, end);
    return;
  }
  case N_INPUT: el = field_line; break;
  case N_HIERARCHY: el = edge_line; break;
  case N_ROUTE: el = rule_line; break;
  default: el = prop_line;    /* guardrail, exemption, budget, test */
  }
  uint32_t head = n->kind == N_HIERARCHY ? n->off + (uint32_t)strlen(kw) : n->name_off + n->name_len;
  if (n->kind == N_ROUTE && n->b) head = end_of(n->b);   /* after its cache hint */
  uint32_t open = token_after(F, head, '{');
  line_begin(F, n->off, open);
  buf_printf(o, "%s ", kw);
  if (n->kind != N_HIERARCHY) { name(F, o, n); buf_putc(o, ' '); }
  if (n->kind == N_ROUTE && n->b) { cache(F, o, n->b); buf_putc(o, ' '); }
  block(F, n->a, open, end - 1, el);
  line_end(F, end);
}

int fmt_file(DiagSink *d, const AstFile *f, Buf *out) {
  Fmt F = {.f = f, .src = f->text, .len = d->files[f->file]->len, .out = out};
  F.done = xcalloc(f->ncomments ? f->ncomments : 1, 1);
  /* the policy declaration goes first, with the comments on the lines between it and
   * the one before (a comment on that one's last line is its own) */
  const Node *pol = f->decls, *prev = NULL;
  while (pol && pol->kind != N_POLICY) prev = pol, pol = pol->next;
  if (pol && prev) {
    F.lo = end_of(prev);
    while (F.lo < F.len && F.src[F.lo] != '\n') F.lo++;
    decl(&F, pol);
    F.lo = 0;
  } else pol = NULL;
  prev = pol;
  for (const Node *n = f->decls; n; n = n->next) {
    if (n == pol) continue;
    /* one blank line between declarations, except that a run of imports or of scopes
     * written on adjacent lines stays together */
    F.blank = !prev || prev->kind != n->kind || (n->kind != N_IMPORT && n->kind != N_SCOPE) ||
              blank_between(&F, end_of(prev), n->off);
    decl(&F, n);
    prev = n;
  }
  comments_before(&F, UINT32_MAX, 1);    /* after the last declaration */
  int rc = 0;
  if (F.nprinted != f->ncomments) {
    uint32_t i = 0;
    while (F.done[i]) i++;
    diag_report(d, DIAG_ERR, f->file, cm(&F, i)->off, 1,
                "internal error: the formatter lost this comment; file left unchanged");
    rc = -1;
  }
  xfree(F.done);
  return rc;
}

/* ---- verification ---- */

/* Same tree, positions aside: kinds, operators, flags, values, and the texts of names
 * and literals (which the printer promises to copy as written). Parentheses mean
 * nothing the tree's shape does not say; the ones written must still be there, and
 * the printer may have added some (`not (a in b)`). */
static int same_list(const AstFile *x, const Node *a, const AstFile *y, const Node *b);
static int same_node(const AstFile *x, const Node *a, const AstFile *y, const Node *b) {
  if (a->kind != b->kind || a->op != b->op || a->ival != b->ival ||
      (a->flags & ~AST_PAREN) != (b->flags & ~AST_PAREN) || (a->flags & ~b->flags & AST_PAREN))
    return 0;
  switch (a->kind) {
  case N_BINARY: case N_UNARY: case N_INDEX: case N_PROP: case N_EDGE: case N_LIST: case N_RECORD: case N_ENTRY:
    break;    /* their name span is their whole source text, spacing, commas and all */
  default:
    if (a->name_len != b->name_len || memcmp(x->text + a->name_off, y->text + b->name_off, a->name_len))
      return 0;
  }
  return same_list(x, a->a, y, b->a) && same_list(x, a->b, y, b->b);
}
static int same_list(const AstFile *x, const Node *a, const AstFile *y, const Node *b) {
  for (; a && b; a = a->next, b = b->next)
    if (!same_node(x, a, y, b)) return 0;
  return !a && !b;
}

/* x's declarations, with its first policy moved to the front as fmt_file does, against y's. */
static int same_file(const AstFile *x, const AstFile *y) {
  const Node *pol = x->decls, *b = y->decls;
  while (pol && pol->kind != N_POLICY) pol = pol->next;
  if (pol) {
    if (!b || !same_node(x, pol, y, b)) return 0;
    b = b->next;
  }
  for (const Node *a = x->decls; a; a = a->next) {
    if (a == pol) continue;
    if (!b || !same_node(x, a, y, b)) return 0;
    b = b->next;
  }
  return !b;
}

typedef struct Span { const char *s; uint32_t n; } Span;

static int span_cmp(const void *a, const void *b) {
  const Span *x = a, *y = b;
  int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The comments' texts, trimmed as put_comment trims them, sorted: the policy
 * declaration may move, and its comments with it. */
static Span *comment_texts(const AstFile *f) {
  Span *s = xmalloc(sizeof *s * (f->ncomments + 1));
  for (uint32_t i = 0; i < f->ncomments; i++) {
    const char *t = f->text + f->comments[i].off;
    uint32_t n = f->comments[i].len;
    if (t[0] == '#') while (n && is_space(t[n - 1])) n--;
    s[i] = (Span){t, n};
  }
  qsort(s, f->ncomments, sizeof *s, span_cmp);
  return s;
}

int fmt_verify(DiagSink *d, const AstFile *f, const char *text, size_t n) {
  int errors = d->errors;
  int file = diag_add_source(d, "(formatted text)", xstrndup(text, n), (uint32_t)n);
  Arena a;
  arena_init(&a);
  const AstFile *g = parse_file(d, file, &a, 1);
  int same = d->errors == errors && g->ncomments == f->ncomments && same_file(f, g);
  if (same) {
    Span *s = comment_texts(f), *t = comment_texts(g);
    for (uint32_t i = 0; same && i < f->ncomments; i++) same = !span_cmp(&s[i], &t[i]);
    xfree(s); xfree(t);
  }
  arena_free(&a);
  if (same) return 0;
  diag_report(d, DIAG_ERR, -1, 0, 0, "%s: internal error: the formatted text differs in meaning "
              "or comments; file left unchanged", d->files[f->file]->name);
  return -1;
}
