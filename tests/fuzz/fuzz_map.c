/* libFuzzer target: request headers and bodies through serve's input mapping (see
 * fuzz_map_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_map_one(data, size); }
