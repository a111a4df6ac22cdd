/* libFuzzer target: bytes choose a type-correct policy, compiled, verified and evaluated
 * (see fuzz_gen_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_gen_one(data, size); }
