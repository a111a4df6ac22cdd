/* aigwc disasm: print a bundle's programs, after verifying it. Uses only aigw.h. */
#include <string.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_disasm_summary[] = "print a bundle's bytecode";
const char cmd_disasm_usage[] =
  "usage: aigwc disasm BUNDLE.aigwb | PATH...\n\n"
  "Verifies the bundle (or compiles the sources) and prints every program:\n"
  "  addr  OPCODE  arg  ; comment\n\n"
  "exit codes: 0 ok, 1 the sources have errors, 2 usage error or a bundle that does not verify\n";

static void put(void *ud, const char *s, size_t n) { fwrite(s, 1, n, ud); }

int cmd_disasm(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("disasm", "no bundle given");
  aigw_bundle *b;
  int rc = cli_open_bundle(NULL, argc - 1, argv + 1, &b);
  if (rc) return rc;
  aigw_disasm(b, put, stdout);
  aigw_bundle_close(b);
  return EXIT_OK;
}
