#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"

#if !defined(__SANITIZE_ADDRESS__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define __SANITIZE_ADDRESS__ 1   /* clang spells it this way */
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
/* The allocation tests ask for absurd sizes on purpose and expect NULL back, as from
 * any allocator; AddressSanitizer would otherwise abort the whole run. */
const char *__asan_default_options(void);
__attribute__((visibility("default"))) const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

enum { MAX_SUITES = 64 };
static struct { const char *name; const UnitCase *cases; } suites[MAX_SUITES];
static int nsuites;

void unit_add_suite(const char *name, const UnitCase *cases) {
  if (nsuites < MAX_SUITES) { suites[nsuites].name = name; suites[nsuites].cases = cases; nsuites++; }
}

int main(int argc, char **argv) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  for (int i = 0; i < nsuites; i++) {
    if (argc > 1 && strcmp(argv[1], suites[i].name)) continue;   /* run one suite by name */
    CU_pSuite s = CU_add_suite(suites[i].name, NULL, NULL);
    for (const UnitCase *c = suites[i].cases; c->name; c++) CU_add_test(s, c->name, c->fn);
  }
  CU_basic_set_mode(CU_BRM_NORMAL);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
