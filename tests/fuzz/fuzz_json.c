/* libFuzzer target: the JSON input reader against jansson (see fuzz_json_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_json_one(data, size); }
