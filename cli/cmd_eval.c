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
  "usage: aigwc eval (-b BUNDLE.aigwb | PATH...) [-i INPUT.json | -i -] [--now TIME]\n"
  "                  [--format json|table] [--verify-key PUB.pem]\n\n"
  "Prints one decision (JSON) per input. The input is one JSON object, or JSON Lines:\n"
  "one object per line, decided as it arrives, and line N of the output answers line N\n"
  "of the input: a line that is not a valid input gives {\"decision\":\"deny\",\"line\":N,\n"
  "\"error\":…} there, and FILE:N:COL: why on standard error (docs/input.md).\n"
  "  -b FILE      evaluate a compiled bundle (so is a lone PATH ending in .aigwb;\n"
  "               otherwise PATHs are compiled first)\n"
  "  -i FILE      input file; '-' or none reads standard input\n"
  "  --now TIME   evaluation time: 2026-11-22 (start of that UTC day), an RFC 3339\n"
  "               timestamp, or Unix seconds; default: the clock\n"
  "  --format F   json (the default: the decision contract, one object per line) or\n"
  "               table (one aligned line per decision, for people; colour on a terminal)\n"
  "  --verify-key PUB.pem  accept the bundle only with a signature by this key\n"
  "               (BUNDLE.aigwb.sig; repeat for several keys)\n\n"
  "exit codes: 0 every decision is allow, 1 some decision is deny, 2 usage or input error\n";

/* Opens the bundle named by -b, or compiles PATHs; shared with explain and test. A
 * single PATH ending in .aigwb is a bundle too: `aigwc eval policy.aigwb` means it. */
int cli_open_bundle(const char *bpath, int npaths, char **paths, aigw_bundle **out) {
  return cli_open_bundle_keys(bpath, npaths, paths, NULL, 0, out);
}

/* The same, accepting the bundle only when signed by one of the keys (when any): a
 * bundle file's signature is read from BUNDLE.sig by the library. */
int cli_open_bundle_keys(const char *bpath, int npaths, char **paths, const unsigned char *keys, size_t nkeys,
                         aigw_bundle **out) {
  size_t l = npaths == 1 ? strlen(paths[0]) : 0;
  if (!bpath && l > 6 && !strcmp(paths[0] + l - 6, ".aigwb")) { bpath = paths[0]; npaths = 0; }
  aigw_config cfg;
  aigw_config_init(&cfg);
  cfg.verify_keys = keys;
  cfg.nverify_keys = nkeys;
  char err[256];
  aigw_status s;
  if (bpath && nkeys) {
    if ((s = aigw_bundle_open_file(bpath, &cfg, out, err, sizeof err)) != AIGW_OK) {
      fprintf(stderr, "aigwc: %s: %s\n", bpath, err);
      return EXIT_USAGE;
    }
    return EXIT_OK;
  }
  if (nkeys) {
    fprintf(stderr, "aigwc: --verify-key needs a signed bundle (-b BUNDLE.aigwb), not sources\n");
    return EXIT_USAGE;
  }
  Buf data = {0};
  int rc = bpath ? cli_read_bundle(bpath, &data) : cli_compile_paths(npaths, paths, &data, 1);
  if (rc) return rc;
  s = aigw_bundle_open_mem(data.p, data.n, &cfg, out, err, sizeof err);
  buf_free(&data);
  if (s != AIGW_OK) {
    fprintf(stderr, "aigwc: %s: %s\n", bpath ? bpath : "bundle", err);
    return EXIT_USAGE;                /* a bundle that cannot be used is an input error */
  }
  return EXIT_OK;
}

/* The options eval and explain share: (-b BUNDLE | PATH...) [-i INPUT] [--now TIME].
 * Opens the bundle and the input; returns an exit code. */
int cli_eval_setup(const char *cmd, int argc, char **argv, aigw_bundle **b, FILE **in,
                   int64_t *now, const char **ipath, const char **format) {
  const char *bpath = NULL;
  int npaths = 0;
  char **paths = argv + 1;
  unsigned char keys[32 * 8];
  size_t nkeys = 0;
  *now = (int64_t)time(NULL);
  *ipath = "-";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-b") && i + 1 < argc) bpath = argv[++i];
    else if (!strcmp(argv[i], "-i") && i + 1 < argc) *ipath = argv[++i];
    else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
      if (cli_parse_now(argv[++i], now) != 0) return cli_usage_error(cmd, "bad --now '%s'\n  help: %s", argv[i], cli_now_forms);
    } else if (format && !strcmp(argv[i], "--format") && i + 1 < argc) {
      *format = argv[++i];
      if (strcmp(*format, "json") && strcmp(*format, "table")) return cli_usage_error(cmd, "--format is json or table");
    } else if (!strcmp(argv[i], "--verify-key") && i + 1 < argc) {
      if (nkeys == 8) return cli_usage_error(cmd, "at most 8 verify keys");
      if (cli_load_pubkey(argv[++i], keys + 32 * nkeys)) return EXIT_USAGE;
      nkeys++;
    } else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!bpath && !npaths) return cli_usage_error(cmd, "give -b BUNDLE or policy PATHs");
  int rc = cli_open_bundle_keys(bpath, npaths, paths, keys, nkeys, b);
  if (rc) return rc;
  *in = strcmp(*ipath, "-") ? fopen(*ipath, "rb") : stdin;
  if (!*in) {
    fprintf(stderr, "aigwc %s: cannot read %s\n", cmd, *ipath);
    aigw_bundle_close(*b);
    return EXIT_USAGE;
  }
  *ipath = strcmp(*ipath, "-") ? *ipath : "stdin";
  return EXIT_OK;
}

/* Sets the context's input from one record; on failure prints FILE:LINE[:COL]: why
 * (the position within the whole input) and returns EXIT_USAGE. Shared with explain. */
int cli_set_input(aigw_ctx *c, const char *name, const char *text, size_t len, unsigned line, const char *cmd) {
  if (!len) {
    fprintf(stderr, "aigwc %s: %s:%u: empty line (JSON Lines has one object per line)\n", cmd, name, line);
    return EXIT_USAGE;
  }
  if (aigw_input_json(c, text, len) == AIGW_OK) return EXIT_OK;
  uint32_t l, col;
  aigw_ctx_error_at(c, &l, &col);
  if (l) fprintf(stderr, "aigwc %s: %s:%u:%u: %s\n", cmd, name, line + l - 1, col, aigw_ctx_error(c));
  else fprintf(stderr, "aigwc %s: %s:%u: %s\n", cmd, name, line, aigw_ctx_error(c));
  return EXIT_USAGE;
}

typedef struct Eval { aigw_ctx *c; const char *name; int64_t now; Buf out; int any_deny, table, color; } Eval;

static void put_error(Eval *e, unsigned line, const char *why) {
  if (e->table) { cli_table_row(&e->out, e->c, line, why, e->color); return; }
  buf_printf(&e->out, "{\"decision\":\"deny\",\"line\":%u,\"error\":", line);
  buf_json_str(&e->out, why, strlen(why));
  buf_puts(&e->out, "}\n");
}

static int eval_record(void *ud, const char *text, size_t len, unsigned line) {
  Eval *e = ud;
  int rc = cli_set_input(e->c, e->name, text, len, line, "eval");
  if (rc) put_error(e, line, len ? aigw_ctx_error(e->c) : "empty line");
  else if (aigw_eval(e->c, e->now) != AIGW_OK) {
    fprintf(stderr, "aigwc eval: %s:%u: %s\n", e->name, line, aigw_ctx_error(e->c));
    put_error(e, line, aigw_ctx_error(e->c));
    rc = EXIT_USAGE;
  } else {
    if (e->table) cli_table_row(&e->out, e->c, line, NULL, e->color);
    else {
      size_t jl;
      const char *j = aigw_decision_json(e->c, &jl);
      buf_put(&e->out, j, jl);
      buf_putc(&e->out, '\n');
    }
    e->any_deny |= aigw_result(e->c) == AIGW_DENY;
  }
  /* written as decided: a gateway's log piped through eval sees each answer at once */
  if (e->out.n) { fwrite(e->out.p, 1, e->out.n, stdout); fflush(stdout); e->out.n = 0; }
  return rc;
}

int cmd_eval(int argc, char **argv) {
  aigw_bundle *b;
  FILE *in;
  Eval e = {0};
  const char *format = "json";
  int rc = cli_eval_setup("eval", argc, argv, &b, &in, &e.now, &e.name, &format);
  if (rc) return rc;
  e.table = !strcmp(format, "table");
  e.color = e.table && cli_use_color(stdout);
  if (e.table) cli_table_header(&e.out, e.color);
  if (aigw_ctx_new(b, &e.c) != AIGW_OK) { fprintf(stderr, "aigwc eval: out of memory\n"); exit(EXIT_USAGE); }
  rc = cli_each_input(in, e.name, eval_record, &e);
  if (in != stdin) fclose(in);
  buf_free(&e.out);
  aigw_ctx_free(e.c);
  aigw_bundle_close(b);
  return rc ? EXIT_USAGE : e.any_deny ? EXIT_FINDINGS : EXIT_OK;
}
