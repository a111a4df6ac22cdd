/* aigwc serve: the decision server (serve/, docs/serve.md). This file reads the options,
 * wires the layers together and runs the main thread, which owns the signals: SIGHUP
 * reloads, SIGTERM and SIGINT drain and stop; between signals it polls the bundle's
 * source and sweeps expired budget reservations. Every other thread starts with those
 * signals blocked, so they arrive here and nowhere else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "bundle_io.h"
#include "cli.h"
#include "srv.h"

const char cmd_serve_summary[] = "serve decisions over HTTP (nginx, Envoy, JSON)";
const char cmd_serve_usage[] =
  "usage: aigwc serve (-b BUNDLE.aigwb | --bundle-url URL) [--listen ADDR:PORT] [--threads N]\n"
  "                   [--decision-log FILE|-] [--poll DURATION] [--config FILE]\n"
  "                   [--cache-dir DIR] [--budget-store redis://HOST:PORT[/DB]] [--now TIME]\n"
  "                   [--shadow-bundle FILE [--shadow-log FILE|-]] [--verify-key PUB.pem]...\n\n"
  "Answers decisions over HTTP with the same VM as 'aigwc eval': POST /v1/decide (the\n"
  "decision JSON), /v1/authz/nginx (nginx auth_request), /v1/authz/envoy/... (Envoy\n"
  "ext_authz HTTP), POST /v1/data (OPA's result shape), POST /v1/settle (budget usage),\n"
  "GET /health, /ready and /metrics (Prometheus). docs/serve.md has the contracts.\n"
  "  -b FILE            the bundle; reloaded when it changes and on SIGHUP\n"
  "  --bundle-url URL   fetch the bundle over HTTP(S), again every poll (ETag)\n"
  "  --listen ADDR:PORT where to listen (default 127.0.0.1:8181; port 0: any free port)\n"
  "  --threads N        worker threads, each with its own evaluation context\n"
  "                     (default: one per processor)\n"
  "  --decision-log F   JSON Lines, one per decision ('-': standard output)\n"
  "  --poll DURATION    how often the source is checked: 500ms, 2s, 1m (default 2s for\n"
  "                     a file, 30s for a URL)\n"
  "  --config FILE      input mapping, limits, budgets, decision log, Envoy prefix (JSON)\n"
  "  --cache-dir DIR    keep the last fetched bundle and its ETag here (--bundle-url)\n"
  "  --budget-store URL keep budget counters in Redis, shared by every replica naming it\n"
  "                     (default: in this process; docs/deploy.md)\n"
  "  --shadow-bundle F  a candidate bundle that decides every request beside the active\n"
  "                     one, off the response path: differences in GET /v1/shadow, /metrics\n"
  "  --shadow-log F     the requests whose decision differs, as 'aigwc diff --inputs' reads\n"
  "  --now TIME         decide at this time instead of the clock (tests, replays)\n"
  "  --verify-key PUB.pem  load only bundles signed by this key (BUNDLE.sig beside a file,\n"
  "                     URL.sig beside a URL); others are refused and the last good one\n"
  "                     keeps serving; repeat for several keys\n\n"
  "SIGHUP reloads; SIGTERM stops accepting, lets in-flight requests finish (at most\n"
  "limits.drain_seconds) and exits 0.\n"
  "exit codes: 0 stopped by a signal, 2 usage error or the server cannot start\n";

/* 500ms, 2s, 1m, 1h, or plain seconds; milliseconds out */
static int parse_duration(const char *s, int64_t *ms) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || v <= 0 || errno) return -1;
  if (!strcmp(end, "ms")) *ms = v;
  else if (!*end || !strcmp(end, "s")) *ms = v * 1000;
  else if (!strcmp(end, "m")) *ms = v * 60000;
  else if (!strcmp(end, "h")) *ms = v * 3600000;
  else return -1;
  return *ms > 0 && *ms <= 86400000LL ? 0 : -1;
}

static uint64_t boot_id(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
  }
  return v;
}

int cmd_serve(int argc, char **argv) {
  const char *bundle = NULL, *url = NULL, *listen = "127.0.0.1:8181", *logpath = NULL, *cfgpath = NULL,
             *cache = NULL, *store_url = NULL, *shadow = NULL, *shadow_log = NULL;
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  int64_t poll_ms = 0, fixed_now = INT64_MIN;
  unsigned char keys[32 * 8];
  size_t nkeys = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int more = i + 1 < argc;
    if (!strcmp(a, "-b") && more) bundle = argv[++i];
    else if (!strcmp(a, "--bundle-url") && more) url = argv[++i];
    else if (!strcmp(a, "--listen") && more) listen = argv[++i];
    else if (!strcmp(a, "--decision-log") && more) logpath = argv[++i];
    else if (!strcmp(a, "--config") && more) cfgpath = argv[++i];
    else if (!strcmp(a, "--cache-dir") && more) cache = argv[++i];
    else if (!strcmp(a, "--budget-store") && more) store_url = argv[++i];
    else if (!strcmp(a, "--shadow-bundle") && more) shadow = argv[++i];
    else if (!strcmp(a, "--shadow-log") && more) shadow_log = argv[++i];
    else if (!strcmp(a, "--threads") && more) {
      char *end;
      threads = strtol(argv[++i], &end, 10);
      if (*end || threads < 1 || threads > 256) return cli_usage_error("serve", "--threads takes 1 to 256, not '%s'", argv[i]);
    } else if (!strcmp(a, "--poll") && more) {
      if (parse_duration(argv[++i], &poll_ms)) return cli_usage_error("serve", "bad --poll '%s' (e.g. 500ms, 2s, 1m)", argv[i]);
    } else if (!strcmp(a, "--verify-key") && more) {
      if (nkeys == 8) return cli_usage_error("serve", "at most 8 verify keys");
      if (cli_load_pubkey(argv[++i], keys + 32 * nkeys)) return EXIT_USAGE;
      nkeys++;
    } else if (!strcmp(a, "--now") && more) {
      if (cli_parse_now(argv[++i], &fixed_now)) return cli_usage_error("serve", "bad --now '%s'\n  help: %s", argv[i], cli_now_forms);
    } else return cli_usage_error("serve", "unknown or incomplete option '%s'", a);
  }
  if (!bundle == !url) return cli_usage_error("serve", "give -b BUNDLE or --bundle-url URL (one of them)");
  if (threads < 1) threads = 1;
  if (!poll_ms) poll_ms = url ? 30000 : 2000;

  SrvConfig cfg;
  char err[600];
  srv_config_defaults(&cfg);
  if (cfgpath && srv_config_load(cfgpath, &cfg, err, sizeof err)) {
    fprintf(stderr, "aigwc serve: %s\n", err);
    srv_config_free(&cfg);
    return EXIT_USAGE;
  }
  if (cache) { xfree(cfg.cache_dir); cfg.cache_dir = xstrndup(cache, strlen(cache)); }

  /* before any thread: every thread inherits the mask, so the signals come here */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGHUP);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  SrvServer s;
  memset(&s, 0, sizeof s);
  s.cfg = &cfg;
  s.boot = boot_id();
  s.fixed_now = fixed_now;
  s.verify_keys = nkeys ? keys : NULL;
  s.nverify_keys = nkeys;
  s.started_at = (int64_t)time(NULL);
  srv_holder_init(&s.holder);
  srv_metrics_init(&s.metrics);
  pthread_key_create(&s.worker_key, srv_worker_free);
  int rc = EXIT_USAGE;
  SrvSource src = {.file = bundle, .url = url, .poll_ms = poll_ms};
  if (store_url) {
    SrvRedisOptions ro = {.timeout_ms = cfg.store_timeout_ms, .mode = srv_config_store_mode, .ud = &cfg,
                          .lease_percent = srv_config_leases(&cfg) ? srv_config_lease_percent : NULL,
                          .lease_idle_ms = cfg.lease_idle_ms, .boot = s.boot, .max_counters = cfg.max_counters,
                          .max_reservations = cfg.max_reservations};
    if (!(s.store = srv_store_redis_new(store_url, &ro, err, sizeof err))) {
      fprintf(stderr, "aigwc serve: %s\n", err);
      goto out;
    }
  } else s.store = srv_store_mem_new(cfg.max_counters, cfg.max_reservations);
  if (!s.store) { fprintf(stderr, "aigwc serve: out of memory for the budget store\n"); goto out; }
  if (logpath && !(s.log = srv_log_open(logpath, cfg.log_queue_bytes, &cfg, err, sizeof err))) {
    fprintf(stderr, "aigwc serve: decision log: %s\n", err);
    goto out;
  }
  if (shadow_log && !shadow) { fprintf(stderr, "aigwc serve: --shadow-log needs --shadow-bundle\n"); goto out; }
  if (shadow && !(s.shadow = srv_shadow_open(shadow, shadow_log, err, sizeof err))) {
    fprintf(stderr, "aigwc serve: %s\n", err);
    goto out;
  }
  if (s.shadow) fprintf(stderr, "aigwc serve: shadow: %s from %s\n", srv_shadow_id(s.shadow), shadow);
  if (!cfg.nrules)
    fprintf(stderr, "aigwc serve: no input mapping (--config \"input\"): the nginx and Envoy endpoints "
                    "see no fields; /v1/decide takes the input as JSON\n");
  if (srv_reload_start(&s, &src, err, sizeof err)) {
    fprintf(stderr, "aigwc serve: %s\n", err);
    goto out;
  }
  if (srv_http_start(&s, listen, (unsigned)threads, err, sizeof err)) {
    fprintf(stderr, "aigwc serve: %s\n", err);
    goto out;
  }
  rc = EXIT_OK;
  uint64_t next_poll = srv_mono_ns() + (uint64_t)poll_ms * 1000000u, next_sweep = 0;
  for (;;) {
    uint64_t now = srv_mono_ns();
    if (now >= next_poll) {
      srv_reload_check(&s, &src, 0);
      next_poll = srv_mono_ns() + (uint64_t)poll_ms * 1000000u;
    }
    if (now >= next_sweep) {
      s.store->ops->sweep(s.store, srv_now(&s));
      next_sweep = now + 1000000000u;
    }
    uint64_t wake = next_poll < next_sweep ? next_poll : next_sweep;
    now = srv_mono_ns();
    uint64_t wait = wake > now ? wake - now : 0;
    struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
    int sig = sigtimedwait(&sigs, NULL, &ts);
    if (sig == SIGHUP) {
      fprintf(stderr, "aigwc serve: SIGHUP: checking %s\n", bundle ? bundle : url);
      srv_reload_check(&s, &src, 1);
    } else if (sig == SIGTERM || sig == SIGINT) {
      fprintf(stderr, "aigwc serve: %s: draining (at most %us)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
              cfg.limits.drain_seconds);
      break;
    }
  }
  srv_http_stop(&s);
  fprintf(stderr, "aigwc serve: stopped\n");
out:
  srv_http_stop(&s);
  srv_log_close(s.log);
  srv_shadow_close(s.shadow);
  srv_reload_stop(&src);
  if (s.store) s.store->ops->close(s.store);
  srv_holder_destroy(&s.holder);
  srv_metrics_destroy(&s.metrics);
  pthread_key_delete(s.worker_key);
  srv_config_free(&cfg);
  return rc;
}
