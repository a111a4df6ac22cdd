/* Fuzz entry points. Each target's work is in fuzz_TARGET_entry.c, so the libFuzzer
 * driver (fuzz_TARGET.c) and the replay in the unit tests run the same code on the same
 * bytes. An entry returns 0 for every input: findings are crashes, sanitizer reports,
 * leaks and broken invariants (which abort). */
#ifndef AIGW_FUZZ_H
#define AIGW_FUZZ_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* source text → lexer, parser, AST dump and diagnostics */
int fuzz_parse_one(const uint8_t *data, size_t size);
/* source text → compile_bundle */
int fuzz_compile_one(const uint8_t *data, size_t size);
/* bundle bytes → aigw_bundle_open_mem, then one evaluation of a fixed input */
int fuzz_bundle_one(const uint8_t *data, size_t size);
/* first byte picks an embedded bundle and a time; the rest is the JSON input */
int fuzz_eval_one(const uint8_t *data, size_t size);
/* bytes → a generated type-correct policy → compile_bundle, the verifier, two evaluations */
int fuzz_gen_one(const uint8_t *data, size_t size);
/* "name: value" header lines, a blank line, a JSON body → serve's input mapping, one eval */
int fuzz_map_one(const uint8_t *data, size_t size);
/* JSON bytes → the input reader and jansson: same verdict, same values */
int fuzz_json_one(const uint8_t *data, size_t size);

/* The fixed evaluation time and input used where the input is not what is fuzzed. */
#define FUZZ_NOW 1795305600   /* 2026-11-22T00:00:00Z */
#define FUZZ_INPUT_JSON \
  "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"region\":\"eastus\"," \
  "\"task\":\"summarize\",\"scope\":\"/subscriptions/0b1f6471/resourceGroups/web\"," \
  "\"ancestors\":[\"/providers/Microsoft.Management/managementGroups/contoso-prod\"]," \
  "\"principal\":\"bob\",\"team\":\"claims\",\"classification\":\"confidential\"," \
  "\"prompt_tokens\":40000,\"tags\":{\"cost-center\":\"cc-42\"}}"

#endif
