/* Unit tests register themselves: each test file lists its cases and a constructor
 * adds the suite, so adding a file needs no edit anywhere else. */
#ifndef AIGW_UNIT_H
#define AIGW_UNIT_H
#include <CUnit/CUnit.h>

typedef struct UnitCase { const char *name; void (*fn)(void); } UnitCase;
void unit_add_suite(const char *name, const UnitCase *cases);

#define UNIT_SUITE(name, ...) \
  static const UnitCase name##_cases[] = {__VA_ARGS__, {0, 0}}; \
  __attribute__((constructor)) static void name##_register(void) { unit_add_suite(#name, name##_cases); }

/* Replays a fuzz target's committed corpus (which must exist) and its saved
 * regressions through fn (test_fuzz_replay.c). */
#include <stddef.h>
#include <stdint.h>
typedef int (*unit_fuzz_fn)(const uint8_t *data, size_t size);
void unit_replay(const char *target, unit_fuzz_fn fn);

/* Directory of test data, relative to where the runner starts (tests/). */
#define UNIT_DATA "."
#endif
