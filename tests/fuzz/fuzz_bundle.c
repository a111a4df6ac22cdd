/* libFuzzer target: untrusted bundle bytes through the loader (see fuzz_bundle_entry.c). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_bundle_one(data, size); }
