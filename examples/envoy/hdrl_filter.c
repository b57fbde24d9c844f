/*
 * hdrl_filter.c - an Envoy (1.40) dynamic-module HTTP filter that picks a cloud provider
 * for each request and lets Envoy's router send the request to that provider's cluster.
 *
 * Skeleton: the decision comes from hdrl_decide(), a stand-in (hash of the function id)
 * that will later be replaced by a call into libhdrl. Everything around it (config
 * loading, header parsing, header rewriting, route-cache clearing, response headers) is
 * the real thing.
 *
 * Per request (envoy_dynamic_module_on_http_filter_request_headers):
 *   reads   x-hdrl-function  (function id, required)
 *           x-hdrl-rps       (requests/s, non-negative decimal, required)
 *           x-hdrl-mem-mb    (observed memory in MB, integer 1..262144, required)
 *   sets    x-hdrl-provider  aws|azure|gcp  (the route table matches on it)
 *           x-hdrl-region, x-hdrl-memory-mb, x-hdrl-status (ok | missing:<h> | invalid:<h>)
 *   then clears the route cache so the router re-evaluates the route with the new header.
 * A missing or malformed header never fails the request: the default decision
 * (aws, us-east-1, 128 MB) is used and x-hdrl-status names the problem.
 * The same four headers are added to the response (on_http_filter_response_headers).
 *
 * Filter config (filter_config in the Envoy YAML, a google.protobuf.StringValue): the path
 * of the model file. If it cannot be opened, config_new logs an error and returns NULL,
 * which makes Envoy reject the filter config (and, for a static listener, refuse to start).
 *
 * Build: cc -shared -fPIC -std=c11 -Wall -Wextra -Werror -O2 -o libhdrl_router.so hdrl_filter.c
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abi_subset.h"

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
/* The decision (stand-in for libhdrl)                                                  */
/* ------------------------------------------------------------------------------------ */

enum { HDRL_AWS = 0, HDRL_AZURE = 1, HDRL_GCP = 2, HDRL_NPROVIDERS = 3 };

static const char* const kProviders[HDRL_NPROVIDERS] = {"aws", "azure", "gcp"};
static const char* const kRegions[HDRL_NPROVIDERS] = {"us-east-1", "eastus", "us-central1"};

#define HDRL_DEFAULT_PROVIDER HDRL_AWS
#define HDRL_DEFAULT_MEMORY_MB 128u
#define HDRL_MAX_FUNCTION_LEN 128u
#define HDRL_MAX_MEM_MB 262144ul
#define HDRL_MAX_MEMORY_MB 10240u

typedef struct hdrl_decision {
  int provider;        /* index into kProviders */
  unsigned memory_mb;  /* memory to provision */
  char status[64];     /* "ok", "missing:<header>" or "invalid:<header>" */
} hdrl_decision;

static uint64_t fnv1a64(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 1099511628211ull;
  }
  return h;
}

/* Stand-in: provider from a hash of the function id, memory = observed memory rounded up
 * to a 128 MB step, clamped to [128, 10240]. rps is parsed and validated but not used yet. */
static void hdrl_decide(const char* function_id, size_t function_len, double rps,
                        unsigned long mem_mb, hdrl_decision* out) {
  (void)rps;
  out->provider = (int)(fnv1a64(function_id, function_len) % HDRL_NPROVIDERS);
  unsigned long m = ((mem_mb + 127ul) / 128ul) * 128ul;
  if (m < HDRL_DEFAULT_MEMORY_MB) {
    m = HDRL_DEFAULT_MEMORY_MB;
  }
  if (m > HDRL_MAX_MEMORY_MB) {
    m = HDRL_MAX_MEMORY_MB;
  }
  out->memory_mb = (unsigned)m;
  snprintf(out->status, sizeof out->status, "ok");
}

static void hdrl_default(hdrl_decision* out, const char* problem, const char* header) {
  out->provider = HDRL_DEFAULT_PROVIDER;
  out->memory_mb = HDRL_DEFAULT_MEMORY_MB;
  snprintf(out->status, sizeof out->status, "%s:%s", problem, header);
}

/* ------------------------------------------------------------------------------------ */
/* Header helpers                                                                       */
/* ------------------------------------------------------------------------------------ */

static envoy_dynamic_module_type_module_buffer mbuf(const char* s) {
  envoy_dynamic_module_type_module_buffer b = {s, strlen(s)};
  return b;
}

/* First value of a request header; returns 0 if the header is absent. */
static int get_request_header(envoy_dynamic_module_type_http_filter_envoy_ptr f, const char* key,
                              const char** value, size_t* len) {
  envoy_dynamic_module_type_envoy_buffer out = {NULL, 0};
  if (!envoy_dynamic_module_callback_http_get_header(
          f, envoy_dynamic_module_type_http_header_type_RequestHeader, mbuf(key), &out, 0, NULL) ||
      out.ptr == NULL) {
    return 0;
  }
  *value = out.ptr;
  *len = out.length;
  return 1;
}

static void set_header(envoy_dynamic_module_type_http_filter_envoy_ptr f,
                       envoy_dynamic_module_type_http_header_type type, const char* key,
                       const char* value) {
  if (!envoy_dynamic_module_callback_http_set_header(f, type, mbuf(key), mbuf(value))) {
    hdrl_log(envoy_dynamic_module_type_log_level_Warn, "hdrl: could not set header %s", key);
  }
}

/* Copies a header value into a NUL-terminated buffer; 0 if empty or too long. */
static int copy_value(const char* v, size_t n, char* buf, size_t cap) {
  if (n == 0 || n >= cap) {
    return 0;
  }
  memcpy(buf, v, n);
  buf[n] = '\0';
  return 1;
}

static int parse_rps(const char* v, size_t n, double* out) {
  char buf[32];
  if (!copy_value(v, n, buf, sizeof buf)) {
    return 0;
  }
  /* Plain decimal only: strtod alone would also take "0x1p4", "nan", "inf", " 12". */
  for (size_t i = 0; i < n; i++) {
    char c = buf[i];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return 0;
    }
  }
  char* end = NULL;
  errno = 0;
  double d = strtod(buf, &end);
  if (errno != 0 || end != buf + n || !isfinite(d) || d < 0.0) {
    return 0;
  }
  *out = d;
  return 1;
}

static int parse_mem_mb(const char* v, size_t n, unsigned long* out) {
  char buf[16];
  if (!copy_value(v, n, buf, sizeof buf)) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (buf[i] < '0' || buf[i] > '9') {
      return 0;
    }
  }
  errno = 0;
  unsigned long m = strtoul(buf, NULL, 10);
  if (errno != 0 || m == 0 || m > HDRL_MAX_MEM_MB) {
    return 0;
  }
  *out = m;
  return 1;
}

static int valid_function_id(const char* v, size_t n) {
  if (n == 0 || n > HDRL_MAX_FUNCTION_LEN) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c < 0x21 || c > 0x7e) {
      return 0;
    }
  }
  return 1;
}

/* ------------------------------------------------------------------------------------ */
/* In-module objects                                                                    */
/* ------------------------------------------------------------------------------------ */

typedef struct hdrl_config {
  char* filter_name;
  char* model_path;
  long long model_bytes;
} hdrl_config;

typedef struct hdrl_filter {
  const hdrl_config* config;
  int decided;
  hdrl_decision decision;
} hdrl_filter;

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

/* ------------------------------------------------------------------------------------ */
/* Event hooks: program                                                                 */
/* ------------------------------------------------------------------------------------ */

HDRL_EXPORT envoy_dynamic_module_type_abi_version_module_ptr
envoy_dynamic_module_on_program_init(void) {
  return HDRL_ENVOY_ABI_VERSION;
}

/* ------------------------------------------------------------------------------------ */
/* Event hooks: HTTP filter config                                                      */
/* ------------------------------------------------------------------------------------ */

HDRL_EXPORT envoy_dynamic_module_type_http_filter_config_module_ptr
envoy_dynamic_module_on_http_filter_config_new(
    envoy_dynamic_module_type_http_filter_config_envoy_ptr filter_config_envoy_ptr,
    envoy_dynamic_module_type_envoy_buffer name, envoy_dynamic_module_type_envoy_buffer config) {
  (void)filter_config_envoy_ptr;
  hdrl_config* c = calloc(1, sizeof *c);
  if (c == NULL) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error, "hdrl: out of memory in config_new");
    return NULL;
  }
  c->filter_name = dup_buffer(name);
  c->model_path = dup_buffer(config);
  if (c->filter_name == NULL || c->model_path == NULL) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error, "hdrl: out of memory in config_new");
    goto fail;
  }
  if (c->model_path[0] == '\0' || strlen(c->model_path) != config.length) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error,
             "hdrl: filter_config must be the model file path (a StringValue); got %zu bytes",
             config.length);
    goto fail;
  }
  struct stat st;
  FILE* fp = fopen(c->model_path, "rb");
  if (fp == NULL) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error,
             "hdrl: model file '%s' cannot be opened: %s; rejecting filter config '%s'",
             c->model_path, strerror(errno), c->filter_name);
    goto fail;
  }
  if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
    hdrl_log(envoy_dynamic_module_type_log_level_Error,
             "hdrl: model file '%s' is not a regular file; rejecting filter config '%s'",
             c->model_path, c->filter_name);
    fclose(fp);
    goto fail;
  }
  fclose(fp);
  c->model_bytes = (long long)st.st_size;
  /* Later: load the model with libhdrl here and keep the handle in hdrl_config. */
  hdrl_log(envoy_dynamic_module_type_log_level_Info,
           "hdrl: filter config '%s' ready, model '%s' (%lld bytes)", c->filter_name,
           c->model_path, c->model_bytes);
  return c;

fail:
  free(c->filter_name);
  free(c->model_path);
  free(c);
  return NULL;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_config_destroy(
    envoy_dynamic_module_type_http_filter_config_module_ptr filter_config_ptr) {
  hdrl_config* c = (hdrl_config*)filter_config_ptr;
  if (c == NULL) {
    return;
  }
  free(c->filter_name);
  free(c->model_path);
  free(c);
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
  f->config = (const hdrl_config*)filter_config_ptr;
  return f;
}

static void decide_from_headers(envoy_dynamic_module_type_http_filter_envoy_ptr e,
                                hdrl_decision* d) {
  const char *fn = NULL, *rps_v = NULL, *mem_v = NULL;
  size_t fn_len = 0, rps_len = 0, mem_len = 0;
  double rps = 0.0;
  unsigned long mem_mb = 0;

  if (!get_request_header(e, "x-hdrl-function", &fn, &fn_len)) {
    hdrl_default(d, "missing", "x-hdrl-function");
  } else if (!valid_function_id(fn, fn_len)) {
    hdrl_default(d, "invalid", "x-hdrl-function");
  } else if (!get_request_header(e, "x-hdrl-rps", &rps_v, &rps_len)) {
    hdrl_default(d, "missing", "x-hdrl-rps");
  } else if (!parse_rps(rps_v, rps_len, &rps)) {
    hdrl_default(d, "invalid", "x-hdrl-rps");
  } else if (!get_request_header(e, "x-hdrl-mem-mb", &mem_v, &mem_len)) {
    hdrl_default(d, "missing", "x-hdrl-mem-mb");
  } else if (!parse_mem_mb(mem_v, mem_len, &mem_mb)) {
    hdrl_default(d, "invalid", "x-hdrl-mem-mb");
  } else {
    hdrl_decide(fn, fn_len, rps, mem_mb, d);
  }
}

static void write_decision(envoy_dynamic_module_type_http_filter_envoy_ptr e,
                           envoy_dynamic_module_type_http_header_type type,
                           const hdrl_decision* d) {
  char mem[16];
  snprintf(mem, sizeof mem, "%u", d->memory_mb);
  set_header(e, type, "x-hdrl-provider", kProviders[d->provider]);
  set_header(e, type, "x-hdrl-region", kRegions[d->provider]);
  set_header(e, type, "x-hdrl-memory-mb", mem);
  set_header(e, type, "x-hdrl-status", d->status);
}

HDRL_EXPORT envoy_dynamic_module_type_on_http_filter_request_headers_status
envoy_dynamic_module_on_http_filter_request_headers(
    envoy_dynamic_module_type_http_filter_envoy_ptr filter_envoy_ptr,
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr, bool end_of_stream) {
  (void)end_of_stream;
  hdrl_filter* f = (hdrl_filter*)filter_module_ptr;
  decide_from_headers(filter_envoy_ptr, &f->decision);
  f->decided = 1;
  /* Overwrites whatever the client sent in these headers: only the filter decides. */
  write_decision(filter_envoy_ptr, envoy_dynamic_module_type_http_header_type_RequestHeader,
                 &f->decision);
  /* The route may already have been resolved (by an earlier filter or by HCM); make the
   * router evaluate it again against the rewritten x-hdrl-provider header. */
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
  const hdrl_filter* f = (const hdrl_filter*)filter_module_ptr;
  if (f->decided) {
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
  (void)filter_module_ptr;
}

HDRL_EXPORT void envoy_dynamic_module_on_http_filter_destroy(
    envoy_dynamic_module_type_http_filter_module_ptr filter_module_ptr) {
  free((void*)filter_module_ptr);
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
