/*
 * hdrl_filter.c - an Envoy (1.40) dynamic-module HTTP filter that asks libhdrl where each
 * serverless function should run, and lets Envoy's router send the request to that
 * provider's cluster.
 *
 * Filter config (filter_config in the Envoy YAML, a google.protobuf.StringValue): the path of
 * an hdrl weight bundle. config_new loads it with hdrl_model_load_file on Envoy's main thread;
 * a missing or corrupt bundle logs
 *   hdrl: cannot load bundle '<path>': <hdrl status message> (<detail>); rejecting filter config '<name>'
 * and returns NULL, which makes Envoy reject the filter config (a static listener: Envoy exits).
 *
 * Per request (on_http_filter_request_headers, on the stream's worker thread):
 *   reads   the x-hdrl-* request headers (the contract is examples/reference/hdrl_http.h and
 *           the README): x-hdrl-function, x-hdrl-rps, x-hdrl-mem-mb, x-hdrl-duration-ms,
 *           x-hdrl-cpu, x-hdrl-inflight, x-hdrl-hour, x-hdrl-mem-need-mb, x-hdrl-obs;
 *   decides with hdrl_decide on the function's own hdrl_state;
 *   sets    x-hdrl-provider (aws|azure|gcp; the route table matches on it), x-hdrl-region,
 *           x-hdrl-memory-mb, x-hdrl-concurrency, x-hdrl-steps, x-hdrl-forecast and
 *           x-hdrl-status, replacing whatever the client sent in them;
 *   then clears the route cache so that the router matches again on the new x-hdrl-provider.
 * Missing or malformed headers, or an observation the library rejects (NaN, negative), never
 * fail the request: the default decision (aws, us-east-1, 128 MB, 1 instance) is used and
 * x-hdrl-status says why. The same headers are added to the response.
 *
 * Threads. The model is loaded once and then only read: every worker uses it with no lock
 * (hdrl.h: a model may be shared by any number of threads). The states are not: hdrl.h allows
 * one thread at a time per state, and one function's requests arrive on any worker. So the
 * config holds one table of states for all workers, keyed by function id: a fixed array of
 * 2 x HDRL_HTTP_MAX_FUNCTIONS slots, open addressing with linear probing, never shrinking.
 * Lookups take no lock (a slot is published with a release store once its id and state are
 * written, and never changes afterwards); inserting takes the table's mutex; deciding takes
 * the slot's own mutex, held only around hdrl_decide (tens of microseconds, no I/O), so two
 * functions never wait for each other. One table for all workers, rather than one per worker,
 * keeps each function's 12-step window whole whichever worker a request lands on. When
 * HDRL_HTTP_MAX_FUNCTIONS functions have a state, a new function is decided with a fresh
 * state each time (x-hdrl-status: ok:untracked).
 *
 * Measure mode (filter_config "measure bundle=PATH [functions=N] [step_s=S]
 * [function_header=H | function_from=route] [cold_header=H] [duration_ms= memory_mb=
 * home_region= sla_ms= cpu_share=] [test_clock=1]", keys in examples/reference/hdrl_measure.h):
 * the filter measures, it does not ask. The function id comes from a configurable request
 * header or, with function_from=route, from the matched route's metadata
 * (`metadata: { filter_metadata: { hdrl: { function: ID } } }` on the route); each function
 * gets a tracker in one libhdrl table (hdrl_table_*) for all workers, sized by functions=
 * (default 100000), with a lock per function inside the table, fed
 * with the request's start (request-headers hook, the clock) and end (stream-complete hook:
 * latency, and a cold start when the upstream's response carries cold_header: 1). A request
 * gets its function's cached decision, refreshed only at each layer's cadence (the DQN once a
 * UTC day, the PPO once an hour, the LSTM once a step); no x-hdrl-* metric header is read.
 * Request headers set (for the router and the upstream): x-hdrl-provider, -region, -memory-mb,
 * -concurrency and -status (ok, untracked when the table is full, missing:<header> or
 * missing:route:hdrl.function). The request's cost is the bundle's price of the placement for
 * its latency, its carbon the bundle's typical day (see hdrl_measure.h). With
 * diagnostics=1 also -forecast, -observed-rps (the last closed step's measured rate) and
 * -layers (HDRL_LAYER_* bits run by this request, 0 = cached), and all of them on the response
 * too; off by default, because each header write is an Envoy callback on the request path.
 * test_clock=1 (tests only) takes the clock from x-hdrl-test-start/-end/-cold request headers.
 *
 * Build (static libhdrl inside the module, nothing to install next to it):
 *   cc -shared -fPIC -std=c11 -O2 -fvisibility=hidden -Iinclude -Iexamples/reference \
 *      -o libhdrl_router.so examples/envoy/hdrl_filter.c target/release/libhdrl.a \
 *      -Wl,--exclude-libs,ALL -lpthread -ldl -lm
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_subset.h"
#include "hdrl.h"
#include "hdrl_http.h"
#include "hdrl_measure.h"

#define HDRL_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------------------ */
/* Logging                                                                              */
/* ------------------------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3))) static void hdrl_log(envoy_dynamic_module_type_log_level level,
                                                           const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
  envoy_dynamic_module_type_module_buffer msg = {buf, len};
  envoy_dynamic_module_callback_log(level, msg);
}

/* ------------------------------------------------------------------------------------ */
/* Header helpers                                                                       */
/* ------------------------------------------------------------------------------------ */

static envoy_dynamic_module_type_module_buffer mbuf(const char* s) {
  envoy_dynamic_module_type_module_buffer b = {s, s == NULL ? 0 : strlen(s)};
  return b;
}

/* First value of a request header (ptr NULL when absent). The pointer is Envoy's and stays
 * valid until the hook returns or a header is set: hdrl_http_parse copies what it keeps. */
static hdrl_http_value get_request_header(void* ctx, const char* key) {
  envoy_dynamic_module_type_envoy_buffer out = {NULL, 0};
  hdrl_http_value v = {NULL, 0};
  if (envoy_dynamic_module_callback_http_get_header(
          (envoy_dynamic_module_type_http_filter_envoy_ptr)ctx,
          envoy_dynamic_module_type_http_header_type_RequestHeader, mbuf(key), &out, 0, NULL) &&
      out.ptr != NULL) {
    v.ptr = out.ptr;
    v.len = out.length;
  }
  return v;
}

/* Sets (value non-NULL) or removes (value NULL) a header. */
static void set_header(envoy_dynamic_module_type_http_filter_envoy_ptr f,
                       envoy_dynamic_module_type_http_header_type type, const char* key,
                       const char* value) {
  if (!envoy_dynamic_module_callback_http_set_header(f, type, mbuf(key), mbuf(value))) {
    hdrl_log(envoy_dynamic_module_type_log_level_Warn, "hdrl: could not set header %s", key);
  }
}

/* ------------------------------------------------------------------------------------ */
/* In-module objects                                                                    */
/* ------------------------------------------------------------------------------------ */

#define TABLE_SLOTS (2u * HDRL_HTTP_MAX_FUNCTIONS)
_Static_assert((TABLE_SLOTS & (TABLE_SLOTS - 1u)) == 0, "TABLE_SLOTS must be a power of two");

typedef struct fn_slot {
  atomic_int ready;    /* 1 once id, mutex and state are written; never reset */
  size_t id_len;
  char id[HDRL_HTTP_MAX_FUNCTION_LEN];
  pthread_mutex_t mu;  /* held around every use of state */
  hdrl_state* state;
} fn_slot;

typedef struct hdrl_config {
  char* filter_name;
  char* model_path;
  int measure;                 /* measure mode: the filter measures, it does not ask */
  hdrl_measure_options mopt;   /* measure mode's settings */
  hdrl_measure_table mtable;   /* measure mode's trackers, shared by all workers */
  hdrl_model* model;       /* read-only after config_new: shared by all workers */
  pthread_mutex_t insert_mu;
  size_t functions;        /* slots in use; guarded by insert_mu */
  fn_slot slots[TABLE_SLOTS];
} hdrl_config;

typedef struct hdrl_filter {
  hdrl_config* config;
  int decided;
  hdrl_http_decision decision;
  /* measure mode */
  double start, test_end;  /* the request's start; its end under test_clock=1 */
  int cold;                /* the platform reported a cold start */
  hdrl_measure_decision measured;
} hdrl_filter;

static uint64_t fnv1a64(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ull;
  }
  return h;
}

static int slot_is(const fn_slot* s, const char* id, size_t len) {
  return s->id_len == len && memcmp(s->id, id, len) == 0;
}

/* The slot of a function, created on first use; NULL when the table is full (or out of
 * memory). */
static fn_slot* state_slot(hdrl_config* c, const char* id, size_t len) {
  uint64_t h = fnv1a64(id, len);
  for (size_t i = 0; i < TABLE_SLOTS; i++) { /* lock-free: published slots never change */
    fn_slot* s = &c->slots[(h + i) & (TABLE_SLOTS - 1u)];
    if (!atomic_load_explicit(&s->ready, memory_order_acquire)) {
      break;
    }
    if (slot_is(s, id, len)) {
      return s;
    }
  }
  fn_slot* found = NULL;
  pthread_mutex_lock(&c->insert_mu);
  for (size_t i = 0; i < TABLE_SLOTS; i++) { /* again under the lock: another worker may have won */
    fn_slot* s = &c->slots[(h + i) & (TABLE_SLOTS - 1u)];
    if (atomic_load_explicit(&s->ready, memory_order_relaxed)) {
      if (slot_is(s, id, len)) {
        found = s;
        break;
      }
      continue;
    }
    if (c->functions < HDRL_HTTP_MAX_FUNCTIONS && hdrl_state_new(&s->state) == HDRL_STATUS_OK) {
      if (pthread_mutex_init(&s->mu, NULL) == 0) {
        memcpy(s->id, id, len);
        s->id_len = len;
        c->functions++;
        atomic_store_explicit(&s->ready, 1, memory_order_release);
        found = s;
      } else {
        hdrl_state_free(s->state);
        s->state = NULL;
      }
    }
    break;
  }
  pthread_mutex_unlock(&c->insert_mu);
  return found;
}

static char* dup_buffer(envoy_dynamic_module_type_envoy_buffer b) {
  char* s = malloc(b.length + 1);
  if (s == NULL) {
    return NULL;
  }
  if (b.length > 0) {
    memcpy(s, b.ptr, b.length);
  }
  s[b.length] = '\0';
  return s;
}

static void config_free(hdrl_config* c) {
  for (size_t i = 0; i < TABLE_SLOTS; i++) {
    if (atomic_load_explicit(&c->slots[i].ready, memory_order_acquire)) {
      pthread_mutex_destroy(&c->slots[i].mu);
      hdrl_state_free(c->slots[i].state);
    }
  }
  hdrl_measure_table_free(&c->mtable);
  hdrl_model_free(c->model);
  pthread_mutex_destroy(&c->insert_mu);
  free(c->filter_name);
  free(c->model_path);
  free(c);
}

/* ------------------------------------------------------------------------------------ */
/* Event hooks: program                                                                 */
/* ------------------------------------------------------------------------------------ */

HDRL_EXPORT envoy_dynamic_module_type_abi_version_module_ptr
envoy_dynamic_module_on_program_init(void) {
  if (!HDRL_VERSION_COMPATIBLE(hdrl_version())) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error,
             "hdrl: libhdrl %s cannot serve a module built with hdrl.h %s", hdrl_version_string(),
             HDRL_VERSION_STRING);
    return NULL; /* Envoy refuses the module */
  }
  return HDRL_ENVOY_ABI_VERSION;
}

/* ------------------------------------------------------------------------------------ */
/* Event hooks: HTTP filter config (main thread)                                        */
/* ------------------------------------------------------------------------------------ */

HDRL_EXPORT envoy_dynamic_module_type_http_filter_config_module_ptr
envoy_dynamic_module_on_http_filter_config_new(
    envoy_dynamic_module_type_http_filter_config_envoy_ptr filter_config_envoy_ptr,
    envoy_dynamic_module_type_envoy_buffer name, envoy_dynamic_module_type_envoy_buffer config) {
  (void)filter_config_envoy_ptr;
  hdrl_config* c = calloc(1, sizeof *c);
  if (c == NULL || pthread_mutex_init(&c->insert_mu, NULL) != 0) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error, "hdrl: out of memory in config_new");
    free(c);
    return NULL;
  }
  c->filter_name = dup_buffer(name);
  c->model_path = dup_buffer(config);
  if (c->filter_name == NULL || c->model_path == NULL) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error, "hdrl: out of memory in config_new");
    config_free(c);
    return NULL;
  }
  if (strncmp(c->model_path, "measure", 7) == 0) {
    char err[256];
    if (strlen(c->model_path) != config.length ||
        hdrl_measure_parse(c->model_path, &c->mopt, err, sizeof err) != NULL) {
      hdrl_log(envoy_dynamic_module_type_log_level_Error,
               "hdrl: bad measure config: %s; rejecting filter config '%s'",
               strlen(c->model_path) != config.length ? "NUL byte in config" : err, c->filter_name);
      config_free(c);
      return NULL;
    }
    if (!hdrl_measure_table_init(&c->mtable, &c->mopt)) {
      hdrl_log(envoy_dynamic_module_type_log_level_Error,
               "hdrl: out of memory for %zu functions; rejecting filter config '%s'", c->mopt.functions,
               c->filter_name);
      config_free(c);
      return NULL;
    }
    c->measure = 1;
    char* path = strdup(c->mopt.bundle);
    if (path == NULL) {
      config_free(c);
      return NULL;
    }
    free(c->model_path);
    c->model_path = path;
  } else if (c->model_path[0] == '\0' || strlen(c->model_path) != config.length) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error,
             "hdrl: filter_config must be the bundle path (a StringValue); got %zu bytes; "
             "rejecting filter config '%s'",
             config.length, c->filter_name);
    config_free(c);
    return NULL;
  }
  hdrl_status st = hdrl_model_load_file(c->model_path, &c->model);
  if (st != HDRL_STATUS_OK) {
    char msg[HDRL_MESSAGE_MAX] = "?", detail[HDRL_MESSAGE_MAX] = "?";
    size_t n;
    (void)hdrl_status_message(st, msg, sizeof msg, &n);
    (void)hdrl_last_error_message(detail, sizeof detail, &n);
    hdrl_log(envoy_dynamic_module_type_log_level_Error,
             "hdrl: cannot load bundle '%s': %s (%s); rejecting filter config '%s'",
             c->model_path, msg, detail, c->filter_name);
    config_free(c);
    return NULL;
  }
  hdrl_quant quant = HDRL_QUANT_F32;
  (void)hdrl_model_quant(c->model, &quant);
  if (c->measure) {
    hdrl_log(envoy_dynamic_module_type_log_level_Info,
             "hdrl: filter config '%s' ready (measure mode): bundle '%s' (%s), libhdrl %s, "
             "trackers for %zu functions (%.1f MB when all have called), %g-s steps, function id "
             "from %s%s",
             c->filter_name, c->model_path, quant == HDRL_QUANT_I8 ? "int8" : "f32",
             hdrl_version_string(), c->mopt.functions, (double)hdrl_measure_bytes(c->mopt.functions) / 1e6,
             (double)c->mopt.step_s, c->mopt.function_from_route ? "route metadata hdrl.function" : c->mopt.function_header,
             c->mopt.test_clock ? ", TEST CLOCK from x-hdrl-test-* headers" : "");
    return c;
  }
  hdrl_log(envoy_dynamic_module_type_log_level_Info,
           "hdrl: filter config '%s' ready: bundle '%s' (%s), libhdrl %s, states for %u functions",
           c->filter_name, c->model_path, quant == HDRL_QUANT_I8 ? "int8" : "f32",
           hdrl_version_string(), (unsigned)HDRL_HTTP_MAX_FUNCTIONS);
  return c;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_config_destroy(
    envoy_dynamic_module_type_http_filter_config_module_ptr filter_config_ptr) {
  /* Every filter holds a reference to its config, so no worker uses it any more. */
  if (filter_config_ptr != NULL) {
    config_free((hdrl_config*)filter_config_ptr);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Event hooks: HTTP filter (one per stream, called on the stream's worker thread)      */
/* ------------------------------------------------------------------------------------ */

HDRL_EXPORT envoy_dynamic_module_type_http_filter_module_ptr envoy_dynamic_module_on_http_filter_new(
    envoy_dynamic_module_type_http_filter_config_module_ptr filter_config_ptr,
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr) {
  (void)filter_envoy_ptr;
  hdrl_filter* f = calloc(1, sizeof *f);
  if (f == NULL) {
    return NULL;
  }
  f->config = (hdrl_config*)filter_config_ptr;
  return f;
}

static void decide_from_headers(hdrl_config* c, envoy_dynamic_module_type_http_filter_envoy_ptr e,
                                hdrl_http_decision* d) {
  hdrl_http_request req;
  char status[HDRL_HTTP_STATUS_MAX];
  if (!hdrl_http_parse(get_request_header, e, hdrl_http_clock_hour(), &req, status)) {
    hdrl_http_default(d);
    memcpy(d->status, status, sizeof status);
    return;
  }
  fn_slot* s = state_slot(c, req.function, req.function_len);
  if (s != NULL) {
    pthread_mutex_lock(&s->mu);
    hdrl_http_decide(c->model, s->state, &req, "ok", d);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  hdrl_state* fresh = NULL;
  if (hdrl_state_new(&fresh) == HDRL_STATUS_OK) {
    hdrl_http_decide(c->model, fresh, &req, "ok:untracked", d);
    hdrl_state_free(fresh);
  } else {
    hdrl_http_default(d);
    snprintf(d->status, sizeof d->status, "no_state");
  }
}

/* `v` in decimal, in buf (at least 11 bytes), without snprintf's format parsing: the measuring
 * filter's cached path writes two of these per request. */
static const char* decimal(unsigned v, char* buf) {
  char tmp[12];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return buf;
}

static void write_decision(envoy_dynamic_module_type_http_filter_envoy_ptr e,
                           envoy_dynamic_module_type_http_header_type type,
                           const hdrl_http_decision* d) {
  char memory[16], concurrency[16], steps[16];
  set_header(e, type, "x-hdrl-provider", d->provider);
  set_header(e, type, "x-hdrl-region", d->region);
  set_header(e, type, "x-hdrl-memory-mb", decimal(d->memory_mb, memory));
  set_header(e, type, "x-hdrl-concurrency", decimal(d->concurrency, concurrency));
  /* Only a decision of the library has these two; remove any the client sent otherwise. */
  set_header(e, type, "x-hdrl-steps", d->decided ? decimal(d->steps, steps) : NULL);
  set_header(e, type, "x-hdrl-forecast", d->decided ? d->forecast : NULL);
  set_header(e, type, "x-hdrl-status", d->status);
}

/* An Envoy string, when `found`, as a NUL-terminated copy in buf ("" when absent or too long). */
static const char* copy_out(bool found, envoy_dynamic_module_type_envoy_buffer out, char* buf, size_t cap) {
  buf[0] = '\0';
  if (found && out.ptr != NULL && out.length < cap) {
    memcpy(buf, out.ptr, out.length);
    buf[out.length] = '\0';
  }
  return buf;
}

/* First value of a header as a NUL-terminated copy in buf ("" when absent or too long). */
static const char* header_copy(envoy_dynamic_module_type_http_filter_envoy_ptr e,
                               envoy_dynamic_module_type_http_header_type type, const char* key,
                               char* buf, size_t cap) {
  envoy_dynamic_module_type_envoy_buffer out = {NULL, 0};
  bool found = envoy_dynamic_module_callback_http_get_header(e, type, mbuf(key), &out, 0, NULL);
  return copy_out(found, out, buf, cap);
}

/* The matched route's metadata hdrl.function (filter_metadata: { hdrl: { function: ID } }) as a
 * NUL-terminated copy in buf ("" when the route has none, or it is too long). Reading the
 * route resolves it with the request as it arrived, before this filter sets x-hdrl-provider. */
static const char* route_function(envoy_dynamic_module_type_http_filter_envoy_ptr e, char* buf, size_t cap) {
  envoy_dynamic_module_type_envoy_buffer out = {NULL, 0};
  bool found = envoy_dynamic_module_callback_http_get_metadata_string(
      e, envoy_dynamic_module_type_metadata_source_Route, mbuf("hdrl"), mbuf("function"), &out);
  return copy_out(found, out, buf, cap);
}

/* Measure mode: the function's tracker records this request's start and answers with its
 * cached decision (refreshed at the layers' cadence). */
static void measure_request(hdrl_filter* f, envoy_dynamic_module_type_http_filter_envoy_ptr e) {
  hdrl_config* c = f->config;
  const envoy_dynamic_module_type_http_header_type req = envoy_dynamic_module_type_http_header_type_RequestHeader;
  char id[HDRL_HTTP_MAX_FUNCTION_LEN + 2], num[64], status[HDRL_HTTP_STATUS_MAX];
  const char* source = c->mopt.function_from_route ? "route:hdrl.function" : c->mopt.function_header;
  if (c->mopt.function_from_route) {
    route_function(e, id, sizeof id);
  } else {
    header_copy(e, req, c->mopt.function_header, id, sizeof id);
  }
  if (id[0] == '\0' || strlen(id) > HDRL_HTTP_MAX_FUNCTION_LEN) {
    snprintf(status, sizeof status, "%s:%s", id[0] == '\0' ? "missing" : "invalid", source);
    hdrl_measure_untracked(&f->measured, status);
    return;
  }
  double now = hdrl_measure_clock();
  f->test_end = now;
  f->cold = 0;
  if (c->mopt.test_clock) {
    double end, cold = 0;
    if (!hdrl_measure_number(header_copy(e, req, "x-hdrl-test-start", num, sizeof num), 0, 1e12, &now) ||
        !hdrl_measure_number(header_copy(e, req, "x-hdrl-test-end", num, sizeof num), now, 1e12, &end) ||
        (header_copy(e, req, "x-hdrl-test-cold", num, sizeof num)[0] != '\0' &&
         !hdrl_measure_number(num, 0, 1, &cold))) {
      hdrl_measure_untracked(&f->measured, "invalid:x-hdrl-test-clock");
      return;
    }
    f->test_end = end;
    f->cold = cold == 1.0;
  }
  hdrl_measure_start(c->model, &c->mtable, id, strlen(id), now, &f->measured);
  f->start = now;
}

/* The decision's headers; the diagnostic ones (forecast, measured rate, layers run) only with
 * diagnostics=1: every header write is an Envoy callback, and the cached path is meant to
 * cost a few microseconds. */
static void write_measured(envoy_dynamic_module_type_http_filter_envoy_ptr e,
                           envoy_dynamic_module_type_http_header_type type, hdrl_measure_decision* m,
                           int diagnostics) {
  char memory[16], concurrency[16];
  set_header(e, type, "x-hdrl-provider", m->d.provider);
  set_header(e, type, "x-hdrl-region", m->d.region);
  set_header(e, type, "x-hdrl-memory-mb", decimal(m->d.memory_mb, memory));
  set_header(e, type, "x-hdrl-concurrency", decimal(m->d.concurrency, concurrency));
  if (diagnostics) { /* formatted only here: three %.9g conversions cost about a microsecond */
    char rps[32], layers[16];
    snprintf(rps, sizeof rps, "%.9g", (double)m->observed_rps);
    set_header(e, type, "x-hdrl-forecast", m->d.decided ? hdrl_http_forecast_text(&m->d) : NULL);
    set_header(e, type, "x-hdrl-observed-rps", rps);
    set_header(e, type, "x-hdrl-layers", decimal(m->layers, layers));
  }
  set_header(e, type, "x-hdrl-status", m->d.status);
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_request_headers_status
envoy_dynamic_module_on_http_filter_request_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream) {
  (void)end_of_stream;
  hdrl_filter* f = (hdrl_filter*)filter_module_ptr;
  if (f->config->measure) {
    measure_request(f, filter_envoy_ptr);
    f->decided = 1;
    write_measured(filter_envoy_ptr, envoy_dynamic_module_type_http_header_type_RequestHeader, &f->measured,
                   f->config->mopt.diagnostics);
    envoy_dynamic_module_callback_http_clear_route_cache(filter_envoy_ptr);
    return envoy_dynamic_module_type_on_http_filter_request_headers_status_Continue;
  }
  /* Reads every header it needs before the first set_header (which may invalidate them). */
  decide_from_headers(f->config, filter_envoy_ptr, &f->decision);
  f->decided = 1;
  /* Overwrites whatever the client sent in these headers: only the filter decides. */
  write_decision(filter_envoy_ptr, envoy_dynamic_module_type_http_header_type_RequestHeader,
                 &f->decision);
  /* Envoy resolved the route before this filter ran; make the router evaluate it again
   * against the rewritten x-hdrl-provider header. */
  envoy_dynamic_module_callback_http_clear_route_cache(filter_envoy_ptr);
  return envoy_dynamic_module_type_on_http_filter_request_headers_status_Continue;
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_request_body_status
envoy_dynamic_module_on_http_filter_request_body(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)end_of_stream;
  return envoy_dynamic_module_type_on_http_filter_request_body_status_Continue;
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_request_trailers_status
envoy_dynamic_module_on_http_filter_request_trailers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  return envoy_dynamic_module_type_on_http_filter_request_trailers_status_Continue;
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_response_headers_status
envoy_dynamic_module_on_http_filter_response_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream) {
  (void)end_of_stream;
  hdrl_filter* f = (hdrl_filter*)filter_module_ptr;
  if (f->decided && f->config->measure) {
    if (!f->config->mopt.test_clock) {
      char cold[8];
      header_copy(filter_envoy_ptr, envoy_dynamic_module_type_http_header_type_ResponseHeader,
                  f->config->mopt.cold_header, cold, sizeof cold);
      f->cold = strcmp(cold, "1") == 0;
    }
    /* The upstream got the decision with the request; the client sees it with diagnostics=1. */
    if (f->config->mopt.diagnostics) {
      write_measured(filter_envoy_ptr, envoy_dynamic_module_type_http_header_type_ResponseHeader, &f->measured, 1);
    }
  } else if (f->decided) {
    write_decision(filter_envoy_ptr, envoy_dynamic_module_type_http_header_type_ResponseHeader,
                   &f->decision);
  }
  return envoy_dynamic_module_type_on_http_filter_response_headers_status_Continue;
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_response_body_status
envoy_dynamic_module_on_http_filter_response_body(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)end_of_stream;
  return envoy_dynamic_module_type_on_http_filter_response_body_status_Continue;
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_response_trailers_status
envoy_dynamic_module_on_http_filter_response_trailers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  return envoy_dynamic_module_type_on_http_filter_response_trailers_status_Continue;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_stream_complete(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  (void)filter_envoy_ptr;
  hdrl_filter* f = (hdrl_filter*)filter_module_ptr;
  /* Measure mode: the request ended (answered, reset or failed): its latency goes into the
   * function's telemetry. */
  if (f->config->measure && f->measured.tracked) {
    double end = f->config->mopt.test_clock ? f->test_end : hdrl_measure_clock();
    hdrl_measure_end(f->config->model, &f->config->mtable, &f->measured, end, (float)((end - f->start) * 1000.0), f->cold);
  }
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_destroy(
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  hdrl_filter* f = (hdrl_filter*)filter_module_ptr;
  if (f != NULL && f->config->measure && f->measured.tracked) { /* never completed: it still ended */
    double end = f->config->mopt.test_clock ? f->test_end : hdrl_measure_clock();
    hdrl_measure_end(f->config->model, &f->config->mtable, &f->measured, end, (float)((end - f->start) * 1000.0), f->cold);
  }
  free(f);
}

/* The hooks below are required by Envoy 1.40 (it refuses the filter config if any is not
 * exported) but this filter starts no callouts, streams or scheduled events, so they are
 * never called. */

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_http_callout_done(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t callout_id,
    envoy_dynamic_module_type_http_callout_result result,
    envoy_dynamic_module_type_envoy_http_header* headers, size_t headers_size,
    envoy_dynamic_module_type_envoy_buffer* body_chunks, size_t body_chunks_size) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)callout_id;
  (void)result;
  (void)headers;
  (void)headers_size;
  (void)body_chunks;
  (void)body_chunks_size;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_http_stream_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    envoy_dynamic_module_type_envoy_http_header* headers, size_t headers_size, bool end_stream) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)stream_id;
  (void)headers;
  (void)headers_size;
  (void)end_stream;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_http_stream_data(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    const envoy_dynamic_module_type_envoy_buffer* data, size_t data_count, bool end_stream) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)stream_id;
  (void)data;
  (void)data_count;
  (void)end_stream;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_http_stream_trailers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    envoy_dynamic_module_type_envoy_http_header* trailers, size_t trailers_size) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)stream_id;
  (void)trailers;
  (void)trailers_size;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_http_stream_complete(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)stream_id;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_http_stream_reset(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t stream_id,
    envoy_dynamic_module_type_http_stream_reset_reason reason) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)stream_id;
  (void)reason;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_scheduled(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, uint64_t event_id) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
  (void)event_id;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  (void)filter_envoy_ptr;
  (void)filter_module_ptr;
}
