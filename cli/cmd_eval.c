/* aigwc eval: decisions for one JSON input or for JSON Lines, through libaigw — the
 * same code path a gateway embeds, so the JSON is byte-identical to theirs. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_eval_summary[] = "evaluate inputs and print decisions";
const char cmd_eval_usage[] =
  "usage: aigwc eval (-b BUNDLE.aigwb | PATH...) [-i INPUT.json | -i -] [--now TIME]\n\n"
  "Prints one decision (JSON) per input. The input is one JSON object, or JSON Lines:\n"
  "one object per line, one decision per line.\n"
  "  -b FILE      evaluate a compiled bundle (otherwise PATHs are compiled first)\n"
  "  -i FILE      input file; '-' or none reads standard input\n"
  "  --now TIME   evaluation time: 2026-11-22 (start of that UTC day), an RFC 3339\n"
  "               timestamp, or Unix seconds; default: the clock\n\n"
  "exit codes: 0 every decision is allow, 1 some decision is deny, 2 usage or input error\n";

/* Opens the bundle named by -b, or compiles PATHs; shared with explain and test. */
int cli_open_bundle(const char *bpath, int npaths, char **paths, aigw_bundle **out) {
  Buf data = {0};
  int rc = bpath ? cli_read_bundle(bpath, &data) : cli_compile_paths(npaths, paths, &data, 1);
  if (rc) return rc;
  char err[256];
  aigw_status s = aigw_bundle_open_mem(data.p, data.n, NULL, out, err, sizeof err);
  buf_free(&data);
  if (s != AIGW_OK) {
    fprintf(stderr, "aigwc: %s: %s\n", bpath ? bpath : "bundle", err);
    return bpath ? EXIT_FINDINGS : EXIT_USAGE;
  }
  return EXIT_OK;
}

/* The options eval and explain share: (-b BUNDLE | PATH...) [-i INPUT] [--now TIME].
 * Opens the bundle and reads the input; returns an exit code. */
int cli_eval_setup(const char *cmd, int argc, char **argv, aigw_bundle **b, char **text,
                   size_t *len, int64_t *now, const char **ipath) {
  const char *bpath = NULL;
  int npaths = 0;
  char **paths = argv + 1;
  *now = (int64_t)time(NULL);
  *ipath = "-";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-b") && i + 1 < argc) bpath = argv[++i];
    else if (!strcmp(argv[i], "-i") && i + 1 < argc) *ipath = argv[++i];
    else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
      if (cli_parse_now(argv[++i], now) != 0) return cli_usage_error(cmd, "bad --now '%s'", argv[i]);
    } else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!bpath && !npaths) return cli_usage_error(cmd, "give -b BUNDLE or policy PATHs");
  int rc = cli_open_bundle(bpath, npaths, paths, b);
  if (rc) return rc;
  if (read_file(*ipath, text, len, (size_t)1 << 30) != 0) {
    fprintf(stderr, "aigwc %s: cannot read %s\n", cmd, *ipath);
    aigw_bundle_close(*b);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

int cmd_eval(int argc, char **argv) {
  aigw_bundle *b;
  char *text; size_t len;
  int64_t now;
  const char *ipath;
  int rc = cli_eval_setup("eval", argc, argv, &b, &text, &len, &now, &ipath);
  if (rc) return rc;
  aigw_ctx *c;
  if (aigw_ctx_new(b, &c) != AIGW_OK) { fprintf(stderr, "aigwc eval: out of memory\n"); exit(EXIT_USAGE); }
  /* one object spread over lines, or JSON Lines: try the whole text first */
  size_t start = 0;
  while (start < len && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' || text[start] == '\t')) start++;
  int whole = aigw_input_json(c, text + start, len - start) == AIGW_OK;
  int any_deny = 0, lineno = 0, errors = 0;
  Buf out = {0};
  for (size_t p = 0; p < len || whole;) {
    const char *line = text + p;
    size_t n;
    if (whole) { n = len; line = text; }
    else {
      const char *nl = memchr(line, '\n', len - p);
      n = nl ? (size_t)(nl - line) : len - p;
      p += n + 1;
      lineno++;
      size_t k = 0;
      while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
      if (k == n) continue;
      if (aigw_input_json(c, line, n) != AIGW_OK) {
        fprintf(stderr, "aigwc eval: %s:%d: %s\n", ipath, lineno, aigw_ctx_error(c));
        errors++;
        continue;
      }
    }
    if (aigw_eval(c, now) != AIGW_OK) {
      fprintf(stderr, "aigwc eval: %s: %s\n", ipath, aigw_ctx_error(c));
      errors++;
    } else {
      size_t jl;
      const char *j = aigw_decision_json(c, &jl);
      buf_put(&out, j, jl);
      buf_putc(&out, '\n');
      any_deny |= aigw_result(c) == AIGW_DENY;
      if (out.n > 1 << 20) { fwrite(out.p, 1, out.n, stdout); out.n = 0; }
    }
    if (whole) break;
  }
  if (!whole && !lineno) { fprintf(stderr, "aigwc eval: %s: no input\n", ipath); errors++; }
  if (!whole && lineno == 1 && errors) { /* a single bad document: the message above says why */ }
  fwrite(out.p, 1, out.n, stdout);
  buf_free(&out);
  xfree(text);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
  return errors ? EXIT_USAGE : any_deny ? EXIT_FINDINGS : EXIT_OK;
}
