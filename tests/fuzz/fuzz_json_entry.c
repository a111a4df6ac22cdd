/* The JSON target: the input reader (runtime/jsonin.c) against jansson, its oracle. The
 * same bytes go to the reader and to the jansson path (rt_input_json_jansson) for a
 * policy with a field of every kind; both must accept or both refuse the bytes as
 * JSON, and when they accept, report the same status and message and leave the same
 * values in every slot, list and map item and budget usage. aigw_input_json itself
 * must then say exactly what the jansson path says. A disagreement aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "compile.h"
#include "fuzz.h"
#include "jsonin.h"

static const char fuzz_json_policy[] =
  "policy fuzz.json\n"
  "levels cls { low < high }\n"
  "input request {\n"
  "  s: string, i: int, b: bool, t: time, d: duration, sc: scope, c: cls\n"
  "  l: list<string>, li: list<int, max 3>, ls: list<scope>, m: map<string>, mi: map<int, max 2>\n"
  "}\n"
  "guardrail g { deny when request.i > 5 and request.s == \"x\" and \"k\" in request.m }\n"
  "budget k {\n  key request.s\n  charge request.i\n  limit 100 tokens per day\n}\n"
  "budget kk {\n  key request.s\n  charge request.i\n  limit 100 tokens per day\n}\n";

static aigw_bundle *fuzz_json_bundle;
static aigw_ctx *fuzz_json_ctx[3];

static void fuzz_json_setup(void) {
  if (fuzz_json_bundle) return;
  DiagSink d;
  diag_init(&d);
  char *text = xstrndup(fuzz_json_policy, sizeof fuzz_json_policy - 1);
  diag_add_source(&d, "fuzz_json.aigw", text, (uint32_t)(sizeof fuzz_json_policy - 1));
  CompileOpts o = {FUZZ_NOW, 0};
  Buf out = {0};
  char err[300];
  if (compile_bundle(&d, &o, &out) != 0) { diag_print(&d, stderr); abort(); }
  diag_free(&d);
  if (aigw_bundle_open_mem(out.p, out.n, NULL, &fuzz_json_bundle, err, sizeof err) != AIGW_OK) {
    fprintf(stderr, "fuzz json: %s\n", err);
    abort();
  }
  buf_free(&out);
  for (int i = 0; i < 3; i++)
    if (aigw_ctx_new(fuzz_json_bundle, &fuzz_json_ctx[i]) != AIGW_OK) abort();
}

static int fuzz_json_text_type(uint32_t t) { return t == T_STR || t == T_SCOPE; }

static int fuzz_json_same_value(uint32_t type, Value a, Value b) {
  if (!fuzz_json_text_type(type)) return a.u.i == b.u.i;
  return a.len == b.len && a.sid == b.sid && (!a.len || !memcmp(a.u.p, b.u.p, a.len));
}

/* Where two contexts' inputs differ, or NULL. */
static const char *fuzz_json_diff(const aigw_ctx *x, const aigw_ctx *y) {
  static char why[96];
  const Bundle *b = x->b;
  for (uint32_t f = 0; f < b->nfields; f++) {
    const BField *F = &b->fields[f];
    const Slot *p = &x->slots[f], *q = &y->slots[f];
    snprintf(why, sizeof why, "field %s", bundle_str(b, F->name));
    if (p->set != q->set) return why;
    if (!p->set) continue;
    if (F->type != T_LIST && F->type != T_MAP) {
      if (!fuzz_json_same_value(F->type, p->v, q->v)) return why;
      continue;
    }
    if (p->v.len != q->v.len) return why;
    for (uint32_t i = p->head, j = q->head; i != NONE32 || j != NONE32; i = x->items[i].next, j = y->items[j].next) {
      if (i == NONE32 || j == NONE32) return why;
      if (!fuzz_json_same_value(F->elem, x->items[i].val, y->items[j].val)) return why;
      if (F->type == T_MAP && !fuzz_json_same_value(T_STR, x->items[i].key, y->items[j].key)) return why;
    }
  }
  for (uint32_t k = 0; k < b->nbudgets; k++) {
    int sx = x->busage_gen && x->busage_gen[k] == x->input_gen, sy = y->busage_gen && y->busage_gen[k] == y->input_gen;
    snprintf(why, sizeof why, "budget %u usage", k);
    if (sx != sy || (sx && x->busage[k] != y->busage[k])) return why;
  }
  return NULL;
}

int fuzz_json_one(const uint8_t *data, size_t size) {
  fuzz_json_setup();
  aigw_ctx *r = fuzz_json_ctx[0], *j = fuzz_json_ctx[1], *pub = fuzz_json_ctx[2];
  const char *s = (const char *)data;
  aigw_status rs = AIGW_OK, js = rt_input_json_jansson(j, s, size);
  int rok = rt_json_read(r, s, size, &rs) == 0;
  uint32_t line, col;
  aigw_ctx_error_at(j, &line, &col);
  int jok = line == 0;                      /* jansson places only its own parse errors */
  const char *why = NULL;
  if (rok != jok) why = rok ? "the reader accepts what jansson refuses" : "the reader refuses what jansson accepts";
  else if (rok && rs != js) why = "status";
  else if (rok && js && strcmp(aigw_ctx_error(r), aigw_ctx_error(j))) why = "message";
  else if (rok && !js) why = fuzz_json_diff(r, j);
  if (!why) {
    aigw_status ps = aigw_input_json(pub, s, size);
    if (ps != js || (js && strcmp(aigw_ctx_error(pub), aigw_ctx_error(j)))) why = "aigw_input_json";
    else if (!js) why = fuzz_json_diff(pub, j);
  }
  if (why) {
    fprintf(stderr, "fuzz json: %s\n  reader:  %s %s\n  jansson: %s %s\n", why, rok ? aigw_status_name(rs) : "refused",
            rok && rs ? aigw_ctx_error(r) : "", aigw_status_name(js), js ? aigw_ctx_error(j) : "");
    abort();
  }
  return 0;
}
