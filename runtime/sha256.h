/* SHA-256 (FIPS 180-4), for bundle checksums and content-addressed ids. */
#ifndef AIGW_SHA256_H
#define AIGW_SHA256_H
#include <stddef.h>
#include <stdint.h>
void rt_sha256(const void *data, size_t len, uint8_t out[32]);
/* The pieces, for hashing that resumes from a saved state (the verifier's tests reseal
 * thousands of mutants that differ from one original only from some byte on):
 * state starts as rt_sha256_iv; each 64-byte block goes through rt_sha256_block; the
 * rest (under 64 bytes) and the total length finish it. */
extern const uint32_t rt_sha256_iv[8];
void rt_sha256_block(uint32_t state[8], const uint8_t block[64]);
void rt_sha256_finish(uint32_t state[8], const uint8_t *rest, size_t nrest, uint64_t total,
                      uint8_t out[32]);
void rt_sha256_hex(const uint8_t digest[32], char out[65]);
#endif
