/* Commands not built yet: each says so and exits 2. Removed as they land. */
#include "cli.h"
#define STUB(n) \
  const char cmd_##n##_summary[] = "(not available yet)"; \
  const char cmd_##n##_usage[] = "aigwc " #n ": not available yet\n"; \
  int cmd_##n(int argc, char **argv) { (void)argc; (void)argv; \
    fputs("aigwc " #n ": not available yet\n", stderr); return EXIT_USAGE; }
