/* The disassembler: every program with its owner, one instruction per line,
 * `addr  OPCODE  arg  ; comment` with names resolved from the bundle (jq's style).
 * Each program's owner is found in one pass over the declarations, so a bundle of any
 * size prints in time linear in its size. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vm.h"

typedef struct Out { aigw_write_fn write; void *ud; } Out;

static void out(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(Out *o, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) o->write(o->ud, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Who a program belongs to: a kind and the declaration's index (and a detail). */
enum { OWN_NONE, OWN_COND, OWN_HOLE, OWN_WHEN, OWN_RULE, OWN_KEY, OWN_BWHEN, OWN_TARGET, OWN_CHARGE, OWN_LIMIT,
       OWN_CACHE };
typedef struct Owner { uint32_t kind, index, detail; } Owner;

static void owners(const Bundle *b, Owner *w) {
  for (uint32_t i = 0; i < b->nguardrails; i++) {
    const BGuardrail *g = &b->guardrails[i];
    w[g->cond] = (Owner){OWN_COND, i, 0};
    for (uint32_t j = 0; j < g->args_count; j++) w[b->u32s[g->args_first + j]] = (Owner){OWN_HOLE, i, j};
  }
  for (uint32_t i = 0; i < b->nexemptions; i++)
    if (b->exemptions[i].when != NONE32) w[b->exemptions[i].when] = (Owner){OWN_WHEN, i, 0};
  for (uint32_t r = 0; r < b->nroutes; r++)
    for (uint32_t k = 0; k < b->routes[r].nrules; k++) {
      const BRule *u = &b->rules[b->routes[r].first_rule + k];
      if (u->prog != NONE32) w[u->prog] = (Owner){OWN_RULE, r, k};
      if (u->cache_key != NONE32) w[u->cache_key] = (Owner){OWN_CACHE, r, k};
      for (uint32_t t = 0; t < u->ntargets; t++)
        for (int p = 0; p < 3; p++)
          if (b->targets[u->first_target + t].prog[p] != NONE32)
            w[b->targets[u->first_target + t].prog[p]] = (Owner){OWN_TARGET, r, k};
    }
  for (uint32_t i = 0; i < b->nbudgets; i++) {
    w[b->budgets[i].key] = (Owner){OWN_KEY, i, 0};
    if (b->budgets[i].when != NONE32) w[b->budgets[i].when] = (Owner){OWN_BWHEN, i, 0};
    if (b->budgets[i].charge != NONE32) w[b->budgets[i].charge] = (Owner){OWN_CHARGE, i, 0};
    if (b->budgets[i].limit_prog != NONE32) w[b->budgets[i].limit_prog] = (Owner){OWN_LIMIT, i, 0};
  }
}

static void owner(Out *o, const Bundle *b, Owner w) {
  switch (w.kind) {
  case OWN_COND: out(o, "guardrail %s", bundle_str(b, b->guardrails[w.index].name)); break;
  case OWN_HOLE: out(o, "guardrail %s message hole %u", bundle_str(b, b->guardrails[w.index].name), w.detail); break;
  case OWN_WHEN: out(o, "exemption %s when", bundle_str(b, b->exemptions[w.index].id)); break;
  case OWN_RULE: out(o, "route %s rule %u", bundle_str(b, b->routes[w.index].name), w.detail + 1); break;
  case OWN_TARGET: out(o, "route %s rule %u target", bundle_str(b, b->routes[w.index].name), w.detail + 1); break;
  case OWN_KEY: out(o, "budget %s key", bundle_str(b, b->budgets[w.index].name)); break;
  case OWN_BWHEN: out(o, "budget %s when", bundle_str(b, b->budgets[w.index].name)); break;
  case OWN_CHARGE: out(o, "budget %s charge", bundle_str(b, b->budgets[w.index].name)); break;
  case OWN_LIMIT: out(o, "budget %s limit", bundle_str(b, b->budgets[w.index].name)); break;
  case OWN_CACHE: out(o, "route %s rule %u cache key", bundle_str(b, b->routes[w.index].name), w.detail + 1); break;
  default: out(o, "program");
  }
}

void aigw_disasm(const aigw_bundle *bh, aigw_write_fn write, void *ud) {
  if (!bh || !write) return;
  const Bundle *b = &bh->b;
  Out o = {write, ud};
  out(&o, "; bundle %s  policy %s  (%s)\n", b->id, bundle_str(b, b->meta->policy), bundle_str(b, b->meta->compiler));
  out(&o, "; %u guardrails, %u exemptions, %u routes, %u budgets, %u programs, %u instructions, %u strings, %u scope nodes\n",
      b->nguardrails, b->nexemptions, b->nroutes, b->nbudgets, b->nprograms, b->ncode, b->nstrings, b->nnodes);
  out(&o, "; worst-case cost %u instructions per decision, stack %u\n", b->meta->cost, b->meta->max_stack);
  for (uint32_t i = 0; i < b->nfields; i++) out(&o, "; field %u: %s\n", i, bundle_str(b, b->fields[i].name));
  Owner *w = b->nprograms ? rt_alloc(bh, NULL, 0, (size_t)b->nprograms * sizeof *w) : NULL;
  if (w) {
    memset(w, 0, (size_t)b->nprograms * sizeof *w);
    owners(b, w);
  }
  for (uint32_t p = 0; p < b->nprograms; p++) {
    const BProgram *pr = &b->programs[p];
    out(&o, "\n; program %u: ", p);
    owner(&o, b, w ? w[p] : (Owner){OWN_NONE, 0, 0});
    out(&o, "  (%s:%u)\n", bundle_str(b, pr->file), pr->line);
    for (uint32_t k = 0; k < pr->len; k += insn_words(b->code[pr->start + k])) {
      uint32_t pc = pr->start + k, word = b->code[pc], arg = INSN_ARG(word);
      const OpInfo *oi = &vm_opinfo[INSN_OP(word)];
      out(&o, "%04u  %-8s", pc, oi->name);
      switch (oi->arg) {
      case ARG_NONE: out(&o, "          "); break;
      case ARG_JUMP: out(&o, " %-8u ; -> %04u", arg, pc + 1 + arg); break;
      case ARG_BACK: out(&o, " %-8u ; -> %04u", arg, pc - arg); break;
      default: out(&o, " %-8u", arg);
      }
      switch (oi->arg) {
      case ARG_SLOT: out(&o, " ; %s", bundle_str(b, b->fields[arg].name)); break;
      case ARG_SLOT_STR: out(&o, " ; %s, \"%.400s\"", bundle_str(b, b->fields[arg].name), bundle_str(b, b->code[pc + 1])); break;
      case ARG_SLOT_SET: out(&o, " ; %s, %u members", bundle_str(b, b->fields[arg].name), b->sets[b->code[pc + 1]].count); break;
      case ARG_INT: out(&o, " ; %" PRId64, b->ints[arg]); break;
      case ARG_STR: out(&o, " ; \"%.400s\"", bundle_str(b, arg)); break;
      case ARG_SET: out(&o, " ; %u members", b->sets[arg].count); break;
      case ARG_TABLE: out(&o, " ; table %s", bundle_str(b, b->tables[arg].name)); break;
      case ARG_BUDGET: out(&o, " ; budget %s", bundle_str(b, b->budgets[arg].name)); break;
      case ARG_NODE: out(&o, " ; %.400s", b->nodes[arg].scope_text != NOSTR ? bundle_str(b, b->nodes[arg].scope_text) : bundle_str(b, b->nodes[arg].segment)); break;
      default: break;
      }
      out(&o, "\n");
    }
  }
  if (w) rt_alloc(bh, w, (size_t)b->nprograms * sizeof *w, 0);
}
