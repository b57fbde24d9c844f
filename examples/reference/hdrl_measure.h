/*
 * hdrl_measure.h - the measuring gateway: a table of per-function hdrl_trackers fed with the
 * requests the gateway itself sees, and the request path that reads each function's cached
 * decision. Used by the Envoy filter in measure mode (examples/envoy/hdrl_filter.c) and by
 * the reference program examples/reference/hdrl_measure_ref.c, so the test can compare the
 * two on the same recorded events.
 *
 * Per request:  slot = hdrl_measure_slot_for(table, id)     (created on the first request)
 *               lock slot; hdrl_measure_start(model, slot, now, &decision); unlock
 *   ...the request runs...
 *               lock slot; hdrl_measure_end(slot, end, latency_ms, cold); unlock
 * hdrl_measure_start refreshes the tracker (only the layers whose cadence came run: the DQN
 * once a day, the PPO once an hour, the LSTM once a step; otherwise nothing) and copies the
 * cached decision, then records the request's start. A full table answers with the default
 * decision and status "untracked": a function the table does not hold is not guessed.
 *
 * Memory: hdrl_measure_bytes(functions): a slot array of 2 x functions (rounded up to a power
 * of two) of sizeof(hdrl_measure_slot), allocated zeroed up front (pages are touched only
 * when used), plus HDRL_TRACKER_BYTES per function seen.
 *
 * Header-only (static functions), C11 + pthreads + _POSIX_C_SOURCE 200809L.
 */
#ifndef HDRL_MEASURE_H
#define HDRL_MEASURE_H

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
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

typedef struct hdrl_measure_slot {
  atomic_int ready; /* 1 once id, mutex and tracker are written; never reset */
  size_t id_len;
  char id[HDRL_HTTP_MAX_FUNCTION_LEN];
  pthread_mutex_t mu; /* held around every use of tracker and observed_rps */
  hdrl_tracker* tracker;
  float observed_rps; /* the last closed step's measured rate, read when a step closes */
} hdrl_measure_slot;

typedef struct hdrl_measure_table {
  size_t mask;     /* slots - 1, slots a power of two >= 2 x capacity */
  size_t capacity; /* functions tracked at most */
  size_t used;     /* guarded by insert_mu */
  pthread_mutex_t insert_mu;
  hdrl_measure_slot* slots;
} hdrl_measure_table;

static inline size_t hdrl_measure_slots(size_t functions) {
  size_t n = 1;
  while (n < 2 * functions) n <<= 1;
  return n;
}

/* Bytes the table takes when every one of `functions` functions has called. */
static inline size_t hdrl_measure_bytes(size_t functions) {
  return hdrl_measure_slots(functions) * sizeof(hdrl_measure_slot) + functions * HDRL_TRACKER_BYTES;
}

static inline int hdrl_measure_table_init(hdrl_measure_table* t, size_t functions) {
  size_t n = hdrl_measure_slots(functions);
  t->slots = calloc(n, sizeof *t->slots);
  if (t->slots == NULL) return 0;
  if (pthread_mutex_init(&t->insert_mu, NULL) != 0) {
    free(t->slots);
    t->slots = NULL;
    return 0;
  }
  t->mask = n - 1;
  t->capacity = functions;
  t->used = 0;
  return 1;
}

static inline void hdrl_measure_table_free(hdrl_measure_table* t) {
  if (t->slots == NULL) return;
  for (size_t i = 0; i <= t->mask; i++) {
    if (atomic_load_explicit(&t->slots[i].ready, memory_order_acquire)) {
      pthread_mutex_destroy(&t->slots[i].mu);
      hdrl_tracker_free(t->slots[i].tracker);
    }
  }
  pthread_mutex_destroy(&t->insert_mu);
  free(t->slots);
  t->slots = NULL;
}

static inline uint64_t hdrl_measure_hash(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ull;
  }
  return h;
}

/* The slot of a function, created on its first request; NULL when the table is full (or out
 * of memory). Lookups take no lock: a slot is published with a release store once written and
 * never changes afterwards; inserting takes the table's mutex and looks again under it. */
static inline hdrl_measure_slot* hdrl_measure_slot_for(hdrl_measure_table* t, const char* id, size_t len,
                                                const hdrl_measure_options* o) {
  if (len == 0 || len > HDRL_HTTP_MAX_FUNCTION_LEN) return NULL;
  uint64_t h = hdrl_measure_hash(id, len);
  for (size_t i = 0; i <= t->mask; i++) {
    hdrl_measure_slot* s = &t->slots[(h + i) & t->mask];
    if (!atomic_load_explicit(&s->ready, memory_order_acquire)) break;
    if (s->id_len == len && memcmp(s->id, id, len) == 0) return s;
  }
  hdrl_measure_slot* found = NULL;
  pthread_mutex_lock(&t->insert_mu);
  for (size_t i = 0; i <= t->mask; i++) {
    hdrl_measure_slot* s = &t->slots[(h + i) & t->mask];
    if (atomic_load_explicit(&s->ready, memory_order_relaxed)) {
      if (s->id_len == len && memcmp(s->id, id, len) == 0) {
        found = s;
        break;
      }
      continue;
    }
    if (t->used < t->capacity && hdrl_tracker_new(&o->app, o->step_s, &s->tracker) == HDRL_STATUS_OK) {
      if (pthread_mutex_init(&s->mu, NULL) == 0) {
        memcpy(s->id, id, len);
        s->id_len = len;
        t->used++;
        atomic_store_explicit(&s->ready, 1, memory_order_release);
        found = s;
      } else {
        hdrl_tracker_free(s->tracker);
        s->tracker = NULL;
      }
    }
    break;
  }
  pthread_mutex_unlock(&t->insert_mu);
  return found;
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
} hdrl_measure_decision;

/* A request of the slot's function starts at `now` (caller holds slot->mu): refresh the
 * tracker's decision (only the layers whose cadence came), copy it into *out, then record the
 * start. A library error gives the default decision with the status's name. */
static inline void hdrl_measure_start(const hdrl_model* model, hdrl_measure_slot* s, double now,
                               hdrl_measure_decision* out) {
  hdrl_decision dec;
  hdrl_observation seen;
  out->layers = 0;
  hdrl_status st = hdrl_tracker_refresh(model, s->tracker, now, NULL, &out->layers);
  if (st == HDRL_STATUS_OK) st = hdrl_tracker_decision(s->tracker, &dec);
  /* The measured rate changes only when a step closes, which is when the LSTM runs. */
  if (st == HDRL_STATUS_OK && (out->layers & HDRL_LAYER_OPERATIONAL)) {
    st = hdrl_tracker_observation(s->tracker, now, NULL, &seen);
    if (st == HDRL_STATUS_OK) s->observed_rps = seen.step_request_rate;
  }
  if (st != HDRL_STATUS_OK) {
    char num[24];
    hdrl_http_default(&out->d);
    snprintf(out->d.status, sizeof out->d.status, "%s", hdrl_http_status_name(st, num));
    out->observed_rps = 0.0f;
  } else {
    out->d.provider = dec.provider_name;
    out->d.region = dec.region_name;
    out->d.memory_mb = dec.memory_mb;
    out->d.concurrency = dec.concurrency;
    out->d.decided = 1;
    out->d.steps = 0;
    snprintf(out->d.forecast, sizeof out->d.forecast, "%.9g %.9g %.9g %s",
             (double)dec.forecast.request_rate, (double)dec.forecast.memory_used_mb,
             (double)dec.forecast.cpu_util,
             dec.forecast.source == HDRL_FORECAST_SOURCE_MODEL ? "model" : "warming_up");
    snprintf(out->d.status, sizeof out->d.status, "ok");
    out->observed_rps = s->observed_rps;
  }
  (void)hdrl_tracker_start(s->tracker, now);
}

/* The request ended at `end` (caller holds slot->mu). */
static inline void hdrl_measure_end(hdrl_measure_slot* s, double end, float latency_ms, int cold) {
  (void)hdrl_tracker_end(s->tracker, end, latency_ms, cold != 0, 0.0f);
}

/* The answer for a function the table does not hold. */
static inline void hdrl_measure_untracked(hdrl_measure_decision* out) {
  hdrl_http_default(&out->d);
  snprintf(out->d.status, sizeof out->d.status, "untracked");
  out->observed_rps = 0.0f;
  out->layers = 0;
}

#endif /* HDRL_MEASURE_H */
