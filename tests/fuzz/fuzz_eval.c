/* libFuzzer target: untrusted JSON input against shipped policies (see fuzz_eval_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_eval_one(data, size); }
