/* The instruction set, in one list. It generates the enum, the names, the operand
 * kinds, the verifier's type table and the disassembler; the VM's dispatch cases are
 * checked against it by a static assert on the count.
 *
 * An instruction is one 32-bit word:   | arg : 24 | op : 8 |
 * except the fused loads (FSEQK, FSNEK, FINSET), which take the word after as a second
 * operand: a field compared with a constant is most of what a guardrail tests, and one
 * dispatch instead of two is most of what it costs (insn_words).
 * The VM is a stack machine over 16-byte values; types are static, so values carry no
 * tags: the verifier proves every operand's type before the first instruction runs.
 * Jumps are forward only, except the jump back that closes a quantifier loop (below), so
 * every program terminates: one without loops in at most its length in steps.
 *
 * OP(name, arg kind, pops, pushes, in types, out type, synopsis)
 *   arg kinds: NONE, SLOT (input field), INT (index into ints), STR (string id),
 *              SET (set index), NODE (scope trie node), JUMP (forward offset), IMM (small int),
 *              TABLE (table index), BUDGET (budget index), BACK (backward offset: QNEXT only)
 *   in types: up to two, top of stack last; T_ANY matches any; T_SAME means equal types.
 *
 * Quantifiers are the one loop: QALL, QANY, QFALSE or QTRUE opens it over a list, a map's
 * keys or a constant set, and the matching QNEXT closes it, jumping back to the body
 * while items are left and the body has not decided. The verifier admits a backward
 * jump only in that shape (verify.c), and every jump back advances an iterator along a
 * finite chain, so every program still terminates; each jump back charges the body's
 * length to the step limit. */
#ifndef AIGW_OPCODES_H
#define AIGW_OPCODES_H
#include <stdint.h>

/* Value types, shared by the schema, the verifier and the compiler's type checker. */
#define VM_TYPES(X) \
  X(NONE, "none") X(BOOL, "bool") X(INT, "int") X(STR, "string") X(TIME, "time") \
  X(DUR, "duration") X(LEVEL, "level") X(SCOPE, "scope") X(LIST, "list") X(MAP, "map")
typedef enum {
#define X(n, s) T_##n,
  VM_TYPES(X)
#undef X
  T__COUNT,
  T_ANY = 0x40, T_NUM = 0x41 /* int, time, duration or level */, T_SAMENUM = 0x42,
  T_STRLIKE = 0x43 /* string or scope */,
  /* only on the stack, never a field's or a program's type: */
  T_ITER = 0x44 /* a quantifier's iterator */, T_SETV = 0x45 /* a constant set, to iterate */,
  T_COLL = 0x46 /* an operand: a list, a map or a set */
} VmType;

#define OPCODES(OP) \
  OP(LDF,     SLOT, 0, 1, 0, 0,               T_ANY,  "push input[slot]; error if unset") \
  OP(HAS,     SLOT, 0, 1, 0, 0,               T_BOOL, "push input[slot] is set") \
  OP(LDI,     INT,  0, 1, 0, 0,               T_INT,  "push ints[arg]") \
  OP(LDS,     STR,  0, 1, 0, 0,               T_STR,  "push strings[arg]") \
  OP(LDB,     IMM,  0, 1, 0, 0,               T_BOOL, "push arg != 0") \
  OP(LDNOW,   NONE, 0, 1, 0, 0,               T_TIME, "push now") \
  OP(CAST,    IMM,  1, 1, T_NUM, 0,           T_ANY,  "retype a number as type arg (int, time, duration, level)") \
  OP(EQ,      NONE, 2, 1, T_NUM, T_SAMENUM,   T_BOOL, "push a == b (numbers)") \
  OP(NE,      NONE, 2, 1, T_NUM, T_SAMENUM,   T_BOOL, "push a != b") \
  OP(LT,      NONE, 2, 1, T_NUM, T_SAMENUM,   T_BOOL, "push a < b") \
  OP(LE,      NONE, 2, 1, T_NUM, T_SAMENUM,   T_BOOL, "push a <= b") \
  OP(GT,      NONE, 2, 1, T_NUM, T_SAMENUM,   T_BOOL, "push a > b") \
  OP(GE,      NONE, 2, 1, T_NUM, T_SAMENUM,   T_BOOL, "push a >= b") \
  OP(SEQ,     NONE, 2, 1, T_STRLIKE, T_STRLIKE, T_BOOL, "push a == b (strings: by id when both interned)") \
  OP(SNE,     NONE, 2, 1, T_STRLIKE, T_STRLIKE, T_BOOL, "push a != b (strings)") \
  OP(SEQK,    STR,  1, 1, T_STRLIKE, 0,       T_BOOL, "push a == strings[arg] (by id: a constant is always interned)") \
  OP(SNEK,    STR,  1, 1, T_STRLIKE, 0,       T_BOOL, "push a != strings[arg]") \
  OP(ADD,     NONE, 2, 1, T_NUM, T_NUM,       T_INT,  "push a + b; error on overflow (result retyped by CAST)") \
  OP(SUB,     NONE, 2, 1, T_NUM, T_NUM,       T_INT,  "push a - b; error on overflow") \
  OP(MUL,     NONE, 2, 1, T_INT, T_INT,       T_INT,  "push a * b; error on overflow") \
  OP(DIV,     NONE, 2, 1, T_INT, T_INT,       T_INT,  "push a / b; error on b == 0 or overflow") \
  OP(NEG,     NONE, 1, 1, T_NUM, 0,           T_INT,  "push -a; error on overflow") \
  OP(NOT,     NONE, 1, 1, T_BOOL, 0,          T_BOOL, "push !a") \
  OP(INSET,   SET,  1, 1, T_ANY, 0,           T_BOOL, "push a in sets[arg] (string or int set, by hash)") \
  OP(INLIST,  NONE, 2, 1, T_ANY, T_LIST,      T_BOOL, "push a in list b (input list)") \
  OP(HASKEY,  NONE, 2, 1, T_STRLIKE, T_MAP,   T_BOOL, "push map b has key a") \
  OP(INDEX,   NONE, 2, 1, T_MAP, T_STRLIKE,   T_ANY,  "push map a[b]; error if missing (type from the map)") \
  OP(UNDER,   NODE, 1, 1, T_SCOPE, 0,         T_BOOL, "push scope a is at or below trie node arg") \
  OP(STARTS,  NONE, 2, 1, T_STRLIKE, T_STRLIKE, T_BOOL, "push a starts with b") \
  OP(ENDS,    NONE, 2, 1, T_STRLIKE, T_STRLIKE, T_BOOL, "push a ends with b") \
  OP(CONTAINS,NONE, 2, 1, T_STRLIKE, T_STRLIKE, T_BOOL, "push b occurs in a") \
  OP(GLOB,    NONE, 2, 1, T_STRLIKE, T_STRLIKE, T_BOOL, "push a matches glob b (* and ?)") \
  OP(LEN,     NONE, 1, 1, T_ANY, 0,           T_INT,  "push length of string, list or map") \
  OP(JFK,     JUMP, 1, 1, T_BOOL, 0,          T_BOOL, "if !a jump +arg keeping a, else drop a (and)") \
  OP(JTK,     JUMP, 1, 1, T_BOOL, 0,          T_BOOL, "if a jump +arg keeping a, else drop a (or)") \
  OP(POP,     NONE, 1, 0, T_ANY, 0,           T_NONE, "drop a") \
  OP(RET,     NONE, 1, 0, T_ANY, 0,           T_NONE, "return a") \
  OP(PICK,    IMM,  0, 1, 0, 0,               T_ANY,  "push a copy of the value arg below the top (a quantifier's element)") \
  OP(LDSET,   SET,  0, 1, 0, 0,               T_SETV, "push sets[arg] as a collection to iterate") \
  OP(QALL,    JUMP, 1, 2, T_COLL, 0,          T_ANY,  "open a loop over a: empty -> push true, jump +arg; else push iterator, first element") \
  OP(QANY,    JUMP, 1, 2, T_COLL, 0,          T_ANY,  "as QALL; empty -> push false") \
  OP(QFALSE,  JUMP, 1, 2, T_COLL, 0,          T_ANY,  "as QALL, to find the first element whose body is false; empty -> error") \
  OP(QTRUE,   JUMP, 1, 2, T_COLL, 0,          T_ANY,  "as QFALSE, for the first element whose body is true") \
  OP(QNEXT,   BACK, 3, 1, T_ANY, T_BOOL,      T_ANY,  "body result b: decided or no item left -> leave the loop with b (QFALSE, QTRUE: the element; none left: error); else next element, jump -arg") \
  OP(TGET,    TABLE,1, 1, T_ANY, 0,           T_ANY,  "push tables[arg][a]; error if missing and no default (type from the table)") \
  OP(TOTIME,  NONE, 1, 1, T_STRLIKE, 0,       T_TIME, "push string a read as a date or RFC 3339 time; error if it is neither") \
  OP(BUSED,   BUDGET,0, 1, 0, 0,              T_INT,  "push the usage of budgets[arg] the host supplied; error if none") \
  OP(FSEQK,   SLOT_STR, 0, 1, 0, 0,           T_BOOL, "push input[arg] == strings[next word]: LDF then SEQK, in two words") \
  OP(FSNEK,   SLOT_STR, 0, 1, 0, 0,           T_BOOL, "push input[arg] != strings[next word]: LDF then SNEK, in two words") \
  OP(FINSET,  SLOT_SET, 0, 1, 0, 0,           T_BOOL, "push input[arg] in sets[next word]: LDF then INSET, in two words")

typedef enum {
#define OP(name, ...) OP_##name,
  OPCODES(OP)
#undef OP
  OP__COUNT
} Opcode;

typedef enum { ARG_NONE, ARG_SLOT, ARG_INT, ARG_STR, ARG_SET, ARG_NODE, ARG_JUMP, ARG_IMM, ARG_TABLE,
               ARG_BUDGET, ARG_BACK,
               ARG_SLOT_STR, ARG_SLOT_SET   /* a field, then a string or a set in the next word */ } ArgKind;

#define INSN(op, arg) ((uint32_t)(op) | ((uint32_t)(arg) << 8))
#define INSN_OP(w) ((w) & 0xffu)
#define INSN_ARG(w) ((w) >> 8)
enum { INSN_ARG_MAX = 0xffffff };


/* The operand table generated from OPCODES: the verifier, the disassembler and the
 * compiler's stack accounting all read it. */
typedef struct OpInfo {
  const char *name;
  uint8_t arg, pops, pushes, in1, in2, out;
  const char *synopsis;
} OpInfo;
extern const OpInfo vm_opinfo[OP__COUNT];

/* Both from the operand kinds of the one list, for a valid opcode. The words an
 * instruction takes, 1 or 2 (everything that walks code steps by this), and whether it
 * reads input field INSN_ARG(w). */
static inline uint32_t insn_words(uint32_t w) {
  uint8_t k = vm_opinfo[INSN_OP(w)].arg;
  return k == ARG_SLOT_STR || k == ARG_SLOT_SET ? 2 : 1;
}
static inline int insn_reads_field(uint32_t w) {
  uint8_t k = vm_opinfo[INSN_OP(w)].arg;
  return k == ARG_SLOT || k == ARG_SLOT_STR || k == ARG_SLOT_SET;
}
#endif
