#ifndef AIGW_DISASM_H
#define AIGW_DISASM_H
#include <stdio.h>
#include "bundle.h"
void rt_disasm(const Bundle *b, FILE *out);
#endif
