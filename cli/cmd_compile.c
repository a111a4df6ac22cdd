/* aigwc compile: sources to one verified bundle. */
#include <stdio.h>
#include <string.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_compile_summary[] = "compile policies into a bundle (.aigwb)";
const char cmd_compile_usage[] =
  "usage: aigwc compile [-o FILE.aigwb] PATH...\n\n"
  "Parses, resolves, type checks and compiles every policy file into one bundle.\n"
  "The bundle is verified after it is written, exactly as a gateway would load it.\n"
  "  -o FILE   output file (default: policy.aigwb)\n"
  "  -q        print nothing on success\n"
  "  --sign KEY.pem  also sign it: FILE.aigwb.sig (see aigwc sign)\n\n"
  "exit codes: 0 compiled, 1 errors in the policies, 2 usage or file error\n";

int cmd_compile(int argc, char **argv) {
  const char *outpath = "policy.aigwb", *signkey = NULL;
  int quiet = 0, npaths = 0;
  char **paths = argv + 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-o")) {
      if (++i >= argc) return cli_usage_error("compile", "-o needs a file name");
      outpath = argv[i];
    } else if (!strcmp(argv[i], "-q")) quiet = 1;
    else if (!strcmp(argv[i], "--sign") && i + 1 < argc) signkey = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("compile", "unknown option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!npaths) return cli_usage_error("compile", "no input files");
  Buf out = {0};
  int rc = cli_compile_paths(npaths, paths, &out, 1);
  if (rc) { buf_free(&out); return rc; }
  /* verified exactly as a gateway would load it */
  aigw_bundle *b;
  char err[256];
  if (aigw_bundle_open_mem(out.p, out.n, NULL, &b, err, sizeof err) != AIGW_OK) {
    fprintf(stderr, "aigwc: internal error: the compiled bundle does not verify: %s\n", err);
    buf_free(&out);
    return EXIT_USAGE;
  }
  FILE *f = fopen(outpath, "wb");
  if (!f || fwrite(out.p, 1, out.n, f) != out.n || fclose(f) != 0) {
    fprintf(stderr, "aigwc: cannot write %s\n", outpath);
    aigw_bundle_close(b);
    buf_free(&out);
    return EXIT_USAGE;
  }
  if (!quiet)
    fprintf(stderr, "%s: %zu guardrails, %zu exemptions, %zu routes, %zu budgets; %zu bytes; "
            "worst-case cost %u instructions per decision\n%s\n",
            outpath, aigw_meta_count(b, AIGW_META_GUARDRAILS), aigw_meta_count(b, AIGW_META_EXEMPTIONS),
            aigw_meta_count(b, AIGW_META_ROUTES), aigw_meta_count(b, AIGW_META_BUDGETS), out.n,
            aigw_bundle_cost(b), aigw_bundle_id(b));
  aigw_bundle_close(b);
  rc = signkey ? cli_sign_bundle(signkey, outpath, out.p, out.n) : EXIT_OK;
  buf_free(&out);
  return rc;
}
