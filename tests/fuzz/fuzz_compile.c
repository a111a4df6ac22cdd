/* libFuzzer target: source text through the whole compiler (see fuzz_compile_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_compile_one(data, size); }
