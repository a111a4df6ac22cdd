#include "opcodes.h"

const OpInfo vm_opinfo[OP__COUNT] = {
#define OP(name, arg, pops, pushes, in1, in2, out, syn) {#name, ARG_##arg, pops, pushes, in1, in2, out, syn},
  OPCODES(OP)
#undef OP
};
_Static_assert(sizeof vm_opinfo / sizeof vm_opinfo[0] == OP__COUNT, "one row per opcode");
_Static_assert(OP__COUNT <= 256, "opcodes fit in 8 bits");
