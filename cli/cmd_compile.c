/* aigwc compile: sources to one verified bundle. */
#include <stdio.h>
#include <string.h>
#include "bundle.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_compile_summary[] = "compile policies into a bundle (.aigwb)";
const char cmd_compile_usage[] =
  "usage: aigwc compile [-o FILE.aigwb] PATH...\n\n"
  "Parses, resolves, type checks and compiles every policy file into one bundle.\n"
  "The bundle is verified after it is written, exactly as a gateway would load it.\n"
  "  -o FILE   output file (default: policy.aigwb)\n"
  "  -q        print nothing on success\n\n"
  "exit codes: 0 compiled, 1 errors in the policies, 2 usage or file error\n";

int cmd_compile(int argc, char **argv) {
  const char *outpath = "policy.aigwb";
  int quiet = 0, npaths = 0;
  char **paths = argv + 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-o")) {
      if (++i >= argc) return cli_usage_error("compile", "-o needs a file name");
      outpath = argv[i];
    } else if (!strcmp(argv[i], "-q")) quiet = 1;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("compile", "unknown option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!npaths) return cli_usage_error("compile", "no input files");
  Buf out = {0};
  int rc = cli_compile_paths(npaths, paths, &out, 1);
  if (rc) { buf_free(&out); return rc; }
  Bundle b;
  char err[256];
  if (bundle_verify((const uint8_t *)out.p, out.n, &b, err, sizeof err) != 0) {
    fprintf(stderr, "aigwc: internal error: the compiled bundle does not verify: %s\n", err);
    buf_free(&out);
    return EXIT_USAGE;
  }
  FILE *f = fopen(outpath, "wb");
  if (!f || fwrite(out.p, 1, out.n, f) != out.n || fclose(f) != 0) {
    fprintf(stderr, "aigwc: cannot write %s\n", outpath);
    buf_free(&out);
    return EXIT_USAGE;
  }
  if (!quiet)
    fprintf(stderr, "%s: %u guardrails, %u exemptions, %u routes, %u budgets; %zu bytes; "
            "worst-case cost %u instructions per decision\n%s\n",
            outpath, b.nguardrails, b.nexemptions, b.nroutes, b.nbudgets, out.n, b.meta->cost, b.id);
  buf_free(&out);
  return EXIT_OK;
}
