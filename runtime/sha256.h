/* SHA-256 (FIPS 180-4), for bundle checksums and content-addressed ids. */
#ifndef AIGW_SHA256_H
#define AIGW_SHA256_H
#include <stddef.h>
#include <stdint.h>
void rt_sha256(const void *data, size_t len, uint8_t out[32]);
void rt_sha256_hex(const uint8_t digest[32], char out[65]);
#endif
