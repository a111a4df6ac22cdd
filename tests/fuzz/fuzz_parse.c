/* libFuzzer target: source text through the front end (see fuzz_parse_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_parse_one(data, size); }
