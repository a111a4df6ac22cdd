/* The VM's arithmetic and comparisons, in one place. The VM runs them and the compiler
 * folds constants with them (as Lua's code generator folds with luaO_rawarith), so a
 * folded expression and an evaluated one cannot disagree. op is an Opcode; called with
 * a constant op, each use compiles to the one operation. */
#ifndef AIGW_ARITH_H
#define AIGW_ARITH_H
#include <stdint.h>
#include "opcodes.h"

/* Why a program could not be evaluated. */
enum { VM_OK = 0, VM_ERR_UNSET, VM_ERR_NOKEY, VM_ERR_DIVZERO, VM_ERR_OVERFLOW, VM_ERR_SCOPE,
       VM_ERR_LIMIT,
       VM_ERR_TABLE,     /* a key a table does not hold, and it has no default */
       VM_ERR_CONVERT,   /* a string that is not a date or a time */
       VM_ERR_USAGE,     /* a budget's usage the host did not supply */
       VM_ERR_WITNESS }; /* no element decided a quantifier (a message hole's value) */

/* *r = a op b; VM_OK, or the error the VM reports (never a trap). */
static inline int vm_arith(int op, int64_t a, int64_t b, int64_t *r) {
  switch (op) {
  case OP_ADD: return __builtin_add_overflow(a, b, r) ? VM_ERR_OVERFLOW : VM_OK;
  case OP_SUB: return __builtin_sub_overflow(a, b, r) ? VM_ERR_OVERFLOW : VM_OK;
  case OP_MUL: return __builtin_mul_overflow(a, b, r) ? VM_ERR_OVERFLOW : VM_OK;
  case OP_DIV:
    if (b == 0) return VM_ERR_DIVZERO;
    if (b == -1 && a == INT64_MIN) return VM_ERR_OVERFLOW;
    *r = a / b;
    return VM_OK;
  case OP_NEG:
    if (a == INT64_MIN) return VM_ERR_OVERFLOW;
    *r = -a;
    return VM_OK;
  case OP_EQ: *r = a == b; return VM_OK;
  case OP_NE: *r = a != b; return VM_OK;
  case OP_LT: *r = a < b; return VM_OK;
  case OP_LE: *r = a <= b; return VM_OK;
  case OP_GT: *r = a > b; return VM_OK;
  case OP_GE: *r = a >= b; return VM_OK;
  default: return VM_ERR_LIMIT;
  }
}
#endif
