/* The disassembler: every program with its owner, one instruction per line,
 * `addr  OPCODE  arg  ; comment` with names resolved from the bundle (jq's style). */
#include <inttypes.h>
#include <stdio.h>
#include "bundle.h"
#include "disasm.h"

static void owner(const Bundle *b, uint32_t p, FILE *out) {
  for (uint32_t i = 0; i < b->nguardrails; i++) {
    const BGuardrail *g = &b->guardrails[i];
    if (g->cond == p) { fprintf(out, "guardrail %s", bundle_str(b, g->name)); return; }
    for (uint32_t j = 0; j < g->args_count; j++)
      if (b->u32s[g->args_first + j] == p) { fprintf(out, "guardrail %s message hole %u", bundle_str(b, g->name), j); return; }
  }
  for (uint32_t i = 0; i < b->nexemptions; i++)
    if (b->exemptions[i].when == p) { fprintf(out, "exemption %s when", bundle_str(b, b->exemptions[i].id)); return; }
  for (uint32_t r = 0; r < b->nroutes; r++)
    for (uint32_t k = 0; k < b->routes[r].nrules; k++)
      if (b->rules[b->routes[r].first_rule + k].prog == p) { fprintf(out, "route %s rule %u", bundle_str(b, b->routes[r].name), k + 1); return; }
  for (uint32_t i = 0; i < b->nbudgets; i++)
    if (b->budgets[i].key == p || b->budgets[i].when == p) { fprintf(out, "budget %s %s", bundle_str(b, b->budgets[i].name), b->budgets[i].key == p ? "key" : "when"); return; }
  fputs("program", out);
}

void rt_disasm(const Bundle *b, FILE *out) {
  fprintf(out, "; bundle %s  policy %s  (%s)\n", b->id, bundle_str(b, b->meta->policy), bundle_str(b, b->meta->compiler));
  fprintf(out, "; %u guardrails, %u exemptions, %u routes, %u budgets, %u programs, %u instructions, %u strings, %u scope nodes\n",
          b->nguardrails, b->nexemptions, b->nroutes, b->nbudgets, b->nprograms, b->ncode, b->nstrings, b->nnodes);
  fprintf(out, "; worst-case cost %u instructions per decision, stack %u\n", b->meta->cost, b->meta->max_stack);
  for (uint32_t i = 0; i < b->nfields; i++)
    fprintf(out, "; field %u: %s\n", i, bundle_str(b, b->fields[i].name));
  for (uint32_t p = 0; p < b->nprograms; p++) {
    const BProgram *pr = &b->programs[p];
    fprintf(out, "\n; program %u: ", p);
    owner(b, p, out);
    fprintf(out, "  (%s:%u)\n", bundle_str(b, pr->file), pr->line);
    for (uint32_t k = 0; k < pr->len; k++) {
      uint32_t pc = pr->start + k, w = b->code[pc], arg = INSN_ARG(w);
      const OpInfo *oi = &vm_opinfo[INSN_OP(w)];
      fprintf(out, "%04u  %-8s", pc, oi->name);
      switch (oi->arg) {
      case ARG_NONE: fputs("          ", out); break;
      case ARG_JUMP: fprintf(out, " %-8u ; -> %04u", arg, pc + 1 + arg); break;
      default: fprintf(out, " %-8u", arg);
      }
      switch (oi->arg) {
      case ARG_SLOT: fprintf(out, " ; %s", bundle_str(b, b->fields[arg].name)); break;
      case ARG_INT: fprintf(out, " ; %" PRId64, b->ints[arg]); break;
      case ARG_STR: fprintf(out, " ; \"%s\"", bundle_str(b, arg)); break;
      case ARG_SET: fprintf(out, " ; %u members", b->sets[arg].count); break;
      case ARG_NODE: fprintf(out, " ; %s", b->nodes[arg].scope_text != NOSTR ? bundle_str(b, b->nodes[arg].scope_text) : bundle_str(b, b->nodes[arg].segment)); break;
      default: break;
      }
      fputc('\n', out);
    }
  }
}
