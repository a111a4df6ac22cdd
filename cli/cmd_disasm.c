/* aigwc disasm: print a bundle's programs, after verifying it. */
#include <string.h>
#include "bundle.h"
#include "bundle_io.h"
#include "cli.h"
#include "disasm.h"

const char cmd_disasm_summary[] = "print a bundle's bytecode";
const char cmd_disasm_usage[] =
  "usage: aigwc disasm BUNDLE.aigwb | PATH...\n\n"
  "Verifies the bundle (or compiles the sources) and prints every program:\n"
  "  addr  OPCODE  arg  ; comment\n\n"
  "exit codes: 0 ok, 1 the bundle does not verify or the sources have errors, 2 usage\n";

int cmd_disasm(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("disasm", "no bundle given");
  Buf data = {0};
  size_t l = strlen(argv[1]);
  int rc = l > 6 && !strcmp(argv[1] + l - 6, ".aigwb") ? cli_read_bundle(argv[1], &data)
                                                       : cli_compile_paths(argc - 1, argv + 1, &data, 1);
  if (rc) return rc;
  /* the bytes must be 8-byte aligned for the verified view; Buf storage from malloc is */
  Bundle b;
  char err[256];
  if (bundle_verify((const uint8_t *)data.p, data.n, &b, err, sizeof err) != 0) {
    fprintf(stderr, "aigwc: %s: %s\n", argv[1], err);
    buf_free(&data);
    return EXIT_FINDINGS;
  }
  rt_disasm(&b, stdout);
  buf_free(&data);
  return EXIT_OK;
}
