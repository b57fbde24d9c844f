/*
 * hdrl_measure.h - the measuring gateway: a table of per-function hdrl_trackers fed with the
 * requests the gateway itself sees, and the request path that reads each function's cached
 * decision. Used by the Envoy filter in measure mode (examples/envoy/hdrl_filter.c) and by
 * the reference program examples/reference/hdrl_measure_ref.c, so the test can compare the
 * two on the same recorded events.
 *
 * Per request:  hdrl_measure_start(model, &table, id, id_len, now, &decision)
 *   ...the request runs...
 *               hdrl_measure_end(model, &table, &decision, end, latency_ms, cold)
 * The table is libhdrl's (hdrl_table_*): the trackers of every function in one block, each
 * with its own lock. hdrl_measure_start refreshes the function's tracker (only the layers whose cadence came run: the DQN
 * once a day, the PPO once an hour, the LSTM once a step; otherwise nothing) and copies the
 * cached decision, then records the request's start. A full table answers with the default
 * decision and status "untracked": a function the table does not hold is not guessed.
 * hdrl_measure_end records the latency, the cold start and the cost: the bundle's price of the
 * function's current placement for that latency (HDRL_COST_FROM_BUNDLE). Carbon is the bundle's
 * typical day for the hour (a NULL hdrl_carbon).
 *
 * Memory: hdrl_measure_bytes(functions) = hdrl_table_bytes(functions), allocated up front: the
 * index slots (2 x functions rounded up to a power of two, 144 bytes each, zeroed at init) and
 * one entry per function (HDRL_TRACKER_BYTES + 8), touched as functions arrive.
 *
 * Header-only (static inline functions), C11 + _POSIX_C_SOURCE 200809L.
 */
#ifndef HDRL_MEASURE_H
#define HDRL_MEASURE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hdrl.h"
#include "hdrl_http.h"

#define HDRL_MEASURE_HEADER_MAX 64u

/* What the filter config says (filter_config: "measure bundle=PATH key=value ..."). */
typedef struct hdrl_measure_options {
  char bundle[1024];
  size_t functions;                            /* functions=N, default 100000 */
  float step_s;                                /* step_s=S, default 15 (the LSTM's); must
                                                  divide an hour */
  char function_header[HDRL_MEASURE_HEADER_MAX]; /* function_header=H, default x-hdrl-function */
  int function_from_route; /* function_from=route: the function id is the matched route's
                              metadata hdrl.function (Envoy: filter_metadata of the route);
                              function_from=header (default): the function_header's value */
  char cold_header[HDRL_MEASURE_HEADER_MAX];   /* cold_header=H: a response header "1" marks a
                                                  cold start (the platform's report), default
                                                  x-hdrl-cold */
  int diagnostics; /* diagnostics=1: also answer x-hdrl-forecast, -observed-rps and -layers
                      (three more header writes per direction; off by default) */
  int test_clock; /* test_clock=1: the request headers x-hdrl-test-start, x-hdrl-test-end
                     (seconds) and x-hdrl-test-cold (0/1) replace the clock and the response's
                     cold header: for tests only */
  hdrl_app app;   /* facts of every function: duration_ms=, memory_mb=, home_region=,
                     sla_ms=, cpu_share= (defaults 100, 256, 0, 1000, 0.5) */
} hdrl_measure_options;

static inline void hdrl_measure_defaults(hdrl_measure_options* o) {
  memset(o, 0, sizeof *o);
  o->functions = 100000;
  o->step_s = 15.0f;
  strcpy(o->function_header, "x-hdrl-function");
  strcpy(o->cold_header, "x-hdrl-cold");
  o->app.mean_duration_ms = 100.0f;
  o->app.memory_need_mb = 256.0f;
  o->app.sla_ms = 1000.0f;
  o->app.cpu_share = 0.5f;
}

/* A header name: 1 … 63 bytes of lower-case letters, digits and '-'. */
static inline int hdrl_measure_header_ok(const char* v) {
  size_t n = strlen(v);
  if (n == 0 || n >= HDRL_MEASURE_HEADER_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
  }
  return 1;
}

static inline int hdrl_measure_number(const char* v, double lo, double hi, double* out) {
  char* end = NULL;
  double x = strtod(v, &end);
  if (end == v || *end != '\0' || !(x >= lo && x <= hi)) return 0;
  *out = x;
  return 1;
}

/* Parses "measure key=value key=value ..." (space separated). Returns NULL when valid, else a
 * sentence naming the problem (written into err). */
static inline const char* hdrl_measure_parse(const char* config, hdrl_measure_options* o, char* err,
                                      size_t err_len) {
  hdrl_measure_defaults(o);
  if (strncmp(config, "measure", 7) != 0 || (config[7] != ' ' && config[7] != '\0')) {
    snprintf(err, err_len, "not a measure config (it must start with 'measure')");
    return err;
  }
  char buf[4096];
  if (strlen(config) >= sizeof buf) {
    snprintf(err, err_len, "config longer than %zu bytes", sizeof buf - 1);
    return err;
  }
  strcpy(buf, config + 7);
  char* save = NULL;
  for (char* item = strtok_r(buf, " \t\n", &save); item != NULL; item = strtok_r(NULL, " \t\n", &save)) {
    char* eq = strchr(item, '=');
    if (eq == NULL) {
      snprintf(err, err_len, "'%s' is not key=value", item);
      return err;
    }
    *eq = '\0';
    const char *k = item, *v = eq + 1;
    double x;
    if (strcmp(k, "bundle") == 0 && strlen(v) > 0 && strlen(v) < sizeof o->bundle) {
      strcpy(o->bundle, v);
    } else if (strcmp(k, "functions") == 0 && hdrl_measure_number(v, 1, 1e7, &x) && x == (size_t)x) {
      o->functions = (size_t)x;
    } else if (strcmp(k, "step_s") == 0 && hdrl_measure_number(v, 0.01, 3600, &x) &&
               fabs(3600.0 / x - round(3600.0 / x)) < 1e-9) { /* steps tile an hour */
      o->step_s = (float)x;
    } else if (strcmp(k, "function_header") == 0 && hdrl_measure_header_ok(v)) {
      strcpy(o->function_header, v);
    } else if (strcmp(k, "function_from") == 0 && (strcmp(v, "header") == 0 || strcmp(v, "route") == 0)) {
      o->function_from_route = strcmp(v, "route") == 0;
    } else if (strcmp(k, "cold_header") == 0 && hdrl_measure_header_ok(v)) {
      strcpy(o->cold_header, v);
    } else if (strcmp(k, "diagnostics") == 0 && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
      o->diagnostics = v[0] == '1';
    } else if (strcmp(k, "test_clock") == 0 && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
      o->test_clock = v[0] == '1';
    } else if (strcmp(k, "duration_ms") == 0 && hdrl_measure_number(v, 0, 6e5, &x)) {
      o->app.mean_duration_ms = (float)x;
    } else if (strcmp(k, "memory_mb") == 0 && hdrl_measure_number(v, 0, 10240, &x)) {
      o->app.memory_need_mb = (float)x;
    } else if (strcmp(k, "home_region") == 0 && hdrl_measure_number(v, 0, 3, &x) && x == (int)x) {
      o->app.home_region = (uint8_t)x;
    } else if (strcmp(k, "sla_ms") == 0 && hdrl_measure_number(v, 0, 6e4, &x)) {
      o->app.sla_ms = (float)x;
    } else if (strcmp(k, "cpu_share") == 0 && hdrl_measure_number(v, 0, 1, &x)) {
      o->app.cpu_share = (float)x;
    } else {
      snprintf(err, err_len, "bad or unknown setting '%s=%s'", k, v);
      return err;
    }
  }
  if (o->bundle[0] == '\0') {
    snprintf(err, err_len, "bundle=PATH is missing");
    return err;
  }
  return NULL;
}

/* The trackers of every function: one libhdrl table (hdrl_table_*, include/hdrl.h) in a heap
 * block, shared by all threads; a function's tracker is made on its first request and has its
 * own lock inside the table, so two functions never wait for each other. */
typedef struct hdrl_measure_table {
  void* mem;
  size_t len;
} hdrl_measure_table;

/* Bytes the table takes for `functions` functions (allocated up front; pages are touched as
 * functions arrive, plus the index slots at init). */
static inline size_t hdrl_measure_bytes(size_t functions) { return hdrl_table_bytes(functions); }

static inline int hdrl_measure_table_init(hdrl_measure_table* t, const hdrl_measure_options* o) {
  t->len = hdrl_table_bytes(o->functions);
  t->mem = NULL;
  if (t->len == 0) return 0;
  size_t rounded = (t->len + HDRL_TABLE_ALIGN - 1) / HDRL_TABLE_ALIGN * HDRL_TABLE_ALIGN;
  t->mem = aligned_alloc(HDRL_TABLE_ALIGN, rounded);
  if (t->mem == NULL) return 0;
  if (hdrl_table_init(t->mem, t->len, o->functions, &o->app, o->step_s) != HDRL_STATUS_OK) {
    free(t->mem);
    t->mem = NULL;
    return 0;
  }
  return 1;
}

static inline void hdrl_measure_table_free(hdrl_measure_table* t) {
  free(t->mem);
  t->mem = NULL;
}

/* Seconds since the Unix epoch (a UTC clock: days and hours fall on UTC midnights). */
static inline double hdrl_measure_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The decision a measuring gateway reports. */
typedef struct hdrl_measure_decision {
  hdrl_http_decision d;
  float observed_rps; /* the function's request rate over the last closed step, as measured */
  uint32_t layers;    /* HDRL_LAYER_* bits of the layers this request's refresh ran (0: cached) */
  uint32_t entry;     /* the function's table entry, for hdrl_measure_end */
  int tracked;        /* the start was recorded: hdrl_measure_end must follow */
} hdrl_measure_decision;

/* The answer for a function the table does not hold, or a request without a function id. */
static inline void hdrl_measure_untracked(hdrl_measure_decision* out, const char* status) {
  hdrl_http_default(&out->d);
  snprintf(out->d.status, sizeof out->d.status, "%s", status);
  out->observed_rps = 0.0f;
  out->layers = 0;
  out->tracked = 0;
}

/* A request of function `id` starts at `now`: the table refreshes the function's decision
 * (only the layers whose cadence came), answers it and records the start. A full table gives
 * the default decision with status "untracked" (a function it does not hold is not guessed);
 * another library error the default decision with the status's name. */
static inline void hdrl_measure_start(const hdrl_model* model, hdrl_measure_table* t, const char* id,
                                      size_t id_len, double now, hdrl_measure_decision* out) {
  hdrl_table_answer a;
  hdrl_status st = hdrl_table_start(model, t->mem, t->len, (const uint8_t*)id, id_len, now, NULL, &a);
  if (st == HDRL_STATUS_TABLE_FULL) {
    hdrl_measure_untracked(out, "untracked");
    return;
  }
  if (st != HDRL_STATUS_OK) {
    char num[24];
    hdrl_measure_untracked(out, hdrl_http_status_name(st, num));
    return;
  }
  hdrl_http_fill(&out->d, &a.decision, 0, "ok");
  out->observed_rps = a.observed_rps;
  out->layers = a.layers;
  out->entry = a.entry;
  out->tracked = 1;
}

/* The request hdrl_measure_start answered ended at `end`. Its cost is the bundle's price of the
 * function's current placement for `latency_ms` (the gateway sees no execution time or bill). */
static inline void hdrl_measure_end(const hdrl_model* model, hdrl_measure_table* t, hdrl_measure_decision* m,
                                    double end, float latency_ms, int cold) {
  if (m->tracked) {
    (void)hdrl_table_end(model, t->mem, t->len, m->entry, end, latency_ms, cold != 0, HDRL_COST_FROM_BUNDLE);
    m->tracked = 0;
  }
}

#endif /* HDRL_MEASURE_H */
