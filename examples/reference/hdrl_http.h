/*
 * hdrl_http.h - the HTTP header contract of the hdrl gateway examples, in C.
 *
 * One definition, used by the Envoy filter (examples/envoy/hdrl_filter.c) and by the
 * reference program (examples/reference/hdrl_ref.c): which request headers fill which
 * hdrl_observation fields, which are required, the defaults, the number syntax, and the
 * x-hdrl-status strings. examples/reference/README.md is the human-readable version of the
 * same table; the nginx/LuaJIT example implements it again in Lua (examples/nginx-lua/hdrl.lua)
 * and its test checks the two agree.
 *
 * Header-only (static functions), C11 with _POSIX_C_SOURCE 200809L (clock_gettime), no
 * allocation.
 */
#ifndef HDRL_HTTP_H
#define HDRL_HTTP_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hdrl.h"

/* Longest accepted function id, in bytes (visible ASCII 0x21..0x7e only). */
#define HDRL_HTTP_MAX_FUNCTION_LEN 128u
/* Longest accepted numeric header value, and x-hdrl-obs value, in bytes. */
#define HDRL_HTTP_MAX_NUMBER_LEN 32u
#define HDRL_HTTP_MAX_OBS_LEN 1024u
/* Buffer size that holds any x-hdrl-status string and its NUL. */
#define HDRL_HTTP_STATUS_MAX 96u
/* The default decision, used when no decision could be made. */
#define HDRL_HTTP_DEFAULT_PROVIDER "aws"
#define HDRL_HTTP_DEFAULT_REGION "us-east-1"
#define HDRL_HTTP_DEFAULT_MEMORY_MB 128u
#define HDRL_HTTP_DEFAULT_CONCURRENCY 1u
/* How many functions get a state of their own; past that, a new function is decided with a
 * fresh state each time (status "ok:untracked"). */
#ifndef HDRL_HTTP_MAX_FUNCTIONS
#define HDRL_HTTP_MAX_FUNCTIONS 1024u
#endif

/* The 28 scalar fields of hdrl_observation, in order: the index is the one in the library's
 * HDRL_STATUS_NON_FINITE_INPUT / HDRL_STATUS_OUT_OF_RANGE detail ("input #23 ..."), and the
 * names are the ones x-hdrl-obs accepts. The carbon arrays (indices 28-51) are not set from
 * headers: they stay 0 (unknown). Fields 11, 21 and 22 are uint8_t. */
#define HDRL_HTTP_FIELDS 28
#define HDRL_HTTP_F(name) {#name, offsetof(hdrl_observation, name)}
static const struct {
  const char* name;
  size_t offset;
} hdrl_http_fields[HDRL_HTTP_FIELDS] = {
    HDRL_HTTP_F(strategic_cost_usd_per_m), HDRL_HTTP_F(strategic_cost_trend),
    HDRL_HTTP_F(strategic_latency_p50_ms), HDRL_HTTP_F(strategic_latency_p95_ms),
    HDRL_HTTP_F(strategic_latency_p99_ms), HDRL_HTTP_F(strategic_daily_invocations),
    HDRL_HTTP_F(strategic_daily_invocations_cv), HDRL_HTTP_F(strategic_peak_to_mean),
    HDRL_HTTP_F(strategic_volume_trend), HDRL_HTTP_F(app_mean_duration_ms),
    HDRL_HTTP_F(app_memory_need_mb), HDRL_HTTP_F(app_home_region),
    HDRL_HTTP_F(app_sla_ms), HDRL_HTTP_F(app_cpu_share),
    HDRL_HTTP_F(tactical_latency_ms), HDRL_HTTP_F(tactical_cost_usd_per_m),
    HDRL_HTTP_F(tactical_request_rate), HDRL_HTTP_F(tactical_memory_used_mb),
    HDRL_HTTP_F(tactical_cpu_util), HDRL_HTTP_F(tactical_queue_depth),
    HDRL_HTTP_F(tactical_cold_start_prob), HDRL_HTTP_F(tactical_region_rank),
    HDRL_HTTP_F(tactical_memory_tier), HDRL_HTTP_F(step_request_rate),
    HDRL_HTTP_F(step_memory_used_mb), HDRL_HTTP_F(step_cpu_util),
    HDRL_HTTP_F(step_queue_depth), HDRL_HTTP_F(step_hour_of_day),
};
#undef HDRL_HTTP_F

/* The uint8_t fields: app_home_region, tactical_region_rank, tactical_memory_tier. */
static inline int hdrl_http_is_u8(int field) { return field == 11 || field == 21 || field == 22; }

/* The metric headers, applied in this order (a later one overwrites a field an earlier one
 * set; x-hdrl-obs comes after all of them). Field lists end at -1. */
enum { HDRL_HTTP_REQUIRED, HDRL_HTTP_ZERO, HDRL_HTTP_CLOCK, HDRL_HTTP_SKIP };
static const struct {
  const char* name;
  int absent; /* what an absent header means */
  int fields[4];
} hdrl_http_headers[] = {
    {"x-hdrl-rps", HDRL_HTTP_REQUIRED, {23, 16, -1}},      /* step + tactical request rate */
    {"x-hdrl-mem-mb", HDRL_HTTP_REQUIRED, {24, 17, 10, -1}}, /* step + tactical memory, need */
    {"x-hdrl-duration-ms", HDRL_HTTP_REQUIRED, {9, -1}},   /* app mean duration */
    {"x-hdrl-cpu", HDRL_HTTP_ZERO, {25, 18, -1}},          /* step + tactical CPU, 0..1 */
    {"x-hdrl-inflight", HDRL_HTTP_ZERO, {26, 19, -1}},     /* step + tactical queue depth */
    {"x-hdrl-hour", HDRL_HTTP_CLOCK, {27, -1}},            /* UTC hour of day */
    {"x-hdrl-mem-need-mb", HDRL_HTTP_SKIP, {10, -1}},      /* app memory need */
};
#define HDRL_HTTP_NHEADERS (sizeof hdrl_http_headers / sizeof hdrl_http_headers[0])

/* A header value as the gateway hands it over: not NUL-terminated; ptr == NULL when the
 * header is absent. */
typedef struct hdrl_http_value {
  const char* ptr;
  size_t len;
} hdrl_http_value;

/* Looks a request header up by its lower-case name (first value only). */
typedef hdrl_http_value (*hdrl_http_get_fn)(void* ctx, const char* name);

/* A parsed request: the function id, the observation, and where each field came from. */
typedef struct hdrl_http_request {
  char function[HDRL_HTTP_MAX_FUNCTION_LEN + 1];
  size_t function_len;
  hdrl_observation obs;
  /* The header that set each field (NULL: left at 0); for x-hdrl-obs the field name is
   * appended in statuses. */
  const char* source[HDRL_HTTP_FIELDS];
} hdrl_http_request;

/* The strict number syntax: [+-]digits[.digits][e[+-]digits] (digits on at least one side
 * of the point), or nan / inf / infinity (any case, optional sign). The last two exist so
 * that a NaN or infinite metric reaches the library and comes back as its status. The value
 * is parsed as a double and rounded to float, as the Lua implementation does. */
static inline int hdrl_http_parse_number(hdrl_http_value v, float* out) {
  char buf[HDRL_HTTP_MAX_NUMBER_LEN + 1];
  if (v.ptr == NULL || v.len == 0 || v.len > HDRL_HTTP_MAX_NUMBER_LEN) return 0;
  memcpy(buf, v.ptr, v.len);
  buf[v.len] = '\0';
  const char* p = buf + (buf[0] == '+' || buf[0] == '-');
  char word[10];
  size_t wl = strlen(p);
  if (wl < sizeof word) {
    for (size_t i = 0; i <= wl; i++) word[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
    if (strcmp(word, "nan") == 0) {
      *out = NAN;
      return 1;
    }
    if (strcmp(word, "inf") == 0 || strcmp(word, "infinity") == 0) {
      *out = buf[0] == '-' ? -INFINITY : INFINITY;
      return 1;
    }
  }
  size_t int_digits = 0, frac_digits = 0;
  while (*p >= '0' && *p <= '9') p++, int_digits++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') p++, frac_digits++;
  }
  if (int_digits + frac_digits == 0) return 0;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) return 0;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (*p != '\0') return 0;
  *out = (float)strtod(buf, NULL); /* overflow gives +-inf, as wanted */
  return 1;
}

/* A uint8_t field (app_home_region, tactical_region_rank, tactical_memory_tier): an integer
 * 0..255 (larger values than the last slot, rank or tier count as it). */
static inline int hdrl_http_parse_u8(hdrl_http_value v, uint8_t* out) {
  unsigned n = 0;
  if (v.ptr == NULL || v.len == 0 || v.len > 3) return 0;
  for (size_t i = 0; i < v.len; i++) {
    if (v.ptr[i] < '0' || v.ptr[i] > '9') return 0;
    n = n * 10u + (unsigned)(v.ptr[i] - '0');
  }
  if (n > 255u) return 0;
  *out = (uint8_t)n;
  return 1;
}

static inline void hdrl_http_set_field(hdrl_http_request* r, int field, float value, const char* source) {
  if (hdrl_http_is_u8(field)) return; /* never set from a float */
  memcpy((char*)&r->obs + hdrl_http_fields[field].offset, &value, sizeof value);
  r->source[field] = source;
}

/* x-hdrl-obs: "name=value,name=value" (spaces and tabs around names and values allowed),
 * any field by its name in hdrl.h; an empty value sets nothing. Returns 0 on any syntax error
 * (an empty item, a trailing comma) or an unknown name. */
static inline int hdrl_http_parse_obs(hdrl_http_value v, hdrl_http_request* r) {
  size_t i = 0;
  if (v.len > HDRL_HTTP_MAX_OBS_LEN || (v.len > 0 && v.ptr[v.len - 1] == ',')) return 0;
  while (i < v.len) {
    size_t end = i;
    while (end < v.len && v.ptr[end] != ',') end++;
    size_t a = i, b = end;
    while (a < b && (v.ptr[a] == ' ' || v.ptr[a] == '\t')) a++;
    while (b > a && (v.ptr[b - 1] == ' ' || v.ptr[b - 1] == '\t')) b--;
    const char* eq = memchr(v.ptr + a, '=', b - a);
    if (eq == NULL) return 0;
    size_t name_end = (size_t)(eq - v.ptr), value_start = name_end + 1;
    while (name_end > a && (v.ptr[name_end - 1] == ' ' || v.ptr[name_end - 1] == '\t')) name_end--;
    while (value_start < b && (v.ptr[value_start] == ' ' || v.ptr[value_start] == '\t')) value_start++;
    size_t name_len = name_end - a;
    hdrl_http_value val = {v.ptr + value_start, b - value_start};
    int field = -1;
    for (int f = 0; f < HDRL_HTTP_FIELDS; f++) {
      if (strlen(hdrl_http_fields[f].name) == name_len &&
          memcmp(hdrl_http_fields[f].name, v.ptr + a, name_len) == 0) {
        field = f;
      }
    }
    if (field < 0) return 0;
    if (hdrl_http_is_u8(field)) {
      if (!hdrl_http_parse_u8(val, (uint8_t*)((char*)&r->obs + hdrl_http_fields[field].offset))) return 0;
      r->source[field] = "x-hdrl-obs";
    } else {
      float x;
      if (!hdrl_http_parse_number(val, &x)) return 0;
      hdrl_http_set_field(r, field, x, "x-hdrl-obs");
    }
    i = end + 1;
  }
  return 1;
}

/* The gateway's UTC hour of day, fractional: the value of an absent x-hdrl-hour. */
static inline float hdrl_http_clock_hour(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0.0f;
  return (float)((double)(ts.tv_sec % 86400) / 3600.0 + (double)ts.tv_nsec / 3.6e12);
}

/* Reads the request headers into *r. Returns 1 when r->obs is ready for hdrl_decide;
 * otherwise 0, with status ("missing:<header>" or "invalid:<header>", the first problem in
 * the order function, metric headers, x-hdrl-obs) written to status. clock_hour is the value
 * of an absent x-hdrl-hour (the gateway's UTC hour of day). */
static inline int hdrl_http_parse(hdrl_http_get_fn get, void* ctx, float clock_hour, hdrl_http_request* r,
                           char status[HDRL_HTTP_STATUS_MAX]) {
  memset(r, 0, sizeof *r);
  hdrl_http_value v = get(ctx, "x-hdrl-function");
  if (v.ptr == NULL) {
    snprintf(status, HDRL_HTTP_STATUS_MAX, "missing:x-hdrl-function");
    return 0;
  }
  int ok = v.len > 0 && v.len <= HDRL_HTTP_MAX_FUNCTION_LEN;
  for (size_t i = 0; ok && i < v.len; i++) ok = v.ptr[i] >= 0x21 && v.ptr[i] <= 0x7e;
  if (!ok) {
    snprintf(status, HDRL_HTTP_STATUS_MAX, "invalid:x-hdrl-function");
    return 0;
  }
  memcpy(r->function, v.ptr, v.len);
  r->function[v.len] = '\0';
  r->function_len = v.len;

  for (size_t h = 0; h < HDRL_HTTP_NHEADERS; h++) {
    const char* name = hdrl_http_headers[h].name;
    float x = 0.0f;
    v = get(ctx, name);
    if (v.ptr == NULL) {
      switch (hdrl_http_headers[h].absent) {
        case HDRL_HTTP_REQUIRED:
          snprintf(status, HDRL_HTTP_STATUS_MAX, "missing:%s", name);
          return 0;
        case HDRL_HTTP_SKIP:
          continue;
        case HDRL_HTTP_CLOCK:
          x = clock_hour;
          break;
        default:
          x = 0.0f;
      }
    } else if (!hdrl_http_parse_number(v, &x)) {
      snprintf(status, HDRL_HTTP_STATUS_MAX, "invalid:%s", name);
      return 0;
    }
    for (const int* f = hdrl_http_headers[h].fields; *f >= 0; f++) hdrl_http_set_field(r, *f, x, name);
  }
  v = get(ctx, "x-hdrl-obs");
  if (v.ptr != NULL && !hdrl_http_parse_obs(v, r)) {
    snprintf(status, HDRL_HTTP_STATUS_MAX, "invalid:x-hdrl-obs");
    return 0;
  }
  return 1;
}

/* The lower-case name of a status, as the enum in hdrl.h spells it (HDRL_STATUS_OUT_OF_RANGE
 * -> "out_of_range"); "status_<n>" for a number this header does not know. */
static inline const char* hdrl_http_status_name(hdrl_status st, char buf[24]) {
  switch ((uint32_t)st) {
    case HDRL_STATUS_OK: return "ok";
    case HDRL_STATUS_NULL_POINTER: return "null_pointer";
    case HDRL_STATUS_INVALID_PARAMETER: return "invalid_parameter";
    case HDRL_STATUS_BUFFER_TOO_SMALL: return "buffer_too_small";
    case HDRL_STATUS_IO: return "io";
    case HDRL_STATUS_INVALID_PATH: return "invalid_path";
    case HDRL_STATUS_PANIC: return "panic";
    case HDRL_STATUS_INTERNAL: return "internal";
    case HDRL_STATUS_NO_DECISION: return "no_decision";
    case HDRL_STATUS_TABLE_FULL: return "table_full";
    case HDRL_STATUS_BAD_MAGIC: return "bad_magic";
    case HDRL_STATUS_UNSUPPORTED_VERSION: return "unsupported_version";
    case HDRL_STATUS_TRUNCATED: return "truncated";
    case HDRL_STATUS_TRAILING_BYTES: return "trailing_bytes";
    case HDRL_STATUS_CHECKSUM_MISMATCH: return "checksum_mismatch";
    case HDRL_STATUS_MALFORMED: return "malformed";
    case HDRL_STATUS_UNKNOWN_KIND: return "unknown_kind";
    case HDRL_STATUS_WRONG_QUANT: return "wrong_quant";
    case HDRL_STATUS_SHAPE: return "shape";
    case HDRL_STATUS_PAYLOAD_SIZE: return "payload_size";
    case HDRL_STATUS_NON_FINITE_WEIGHT: return "non_finite_weight";
    case HDRL_STATUS_BAD_ENCODER: return "bad_encoder";
    case HDRL_STATUS_DUPLICATE_MODEL: return "duplicate_model";
    case HDRL_STATUS_MISSING_MODEL: return "missing_model";
    case HDRL_STATUS_NON_FINITE_INPUT: return "non_finite_input";
    case HDRL_STATUS_OUT_OF_RANGE: return "out_of_range";
    case HDRL_STATUS_NON_FINITE_OUTPUT: return "non_finite_output";
    case HDRL_STATUS_BAD_EVENT: return "bad_event";
    default: snprintf(buf, 24, "status_%u", (unsigned)st); return buf;
  }
}

/* x-hdrl-status for a failed hdrl_decide: "<status name>:<header>", where the header is the
 * one that set the field the library names in its detail ("input #N ..."); for x-hdrl-obs
 * "x-hdrl-obs.<field>". Just "<status name>" when the detail names no field. Call it on the
 * thread that made the failing call (the detail is per thread). */
static inline void hdrl_http_decide_status(hdrl_status st, const hdrl_http_request* r,
                                    char status[HDRL_HTTP_STATUS_MAX]) {
  char num[24], detail[HDRL_MESSAGE_MAX];
  size_t n;
  const char* name = hdrl_http_status_name(st, num);
  int field = -1;
  if ((st == HDRL_STATUS_NON_FINITE_INPUT || st == HDRL_STATUS_OUT_OF_RANGE) &&
      hdrl_last_error_message(detail, sizeof detail, &n) == HDRL_STATUS_OK) {
    const char* hash = strchr(detail, '#');
    if (hash != NULL && hash[1] >= '0' && hash[1] <= '9') field = atoi(hash + 1);
  }
  if (field < 0 || field >= HDRL_HTTP_FIELDS || r->source[field] == NULL) {
    snprintf(status, HDRL_HTTP_STATUS_MAX, "%s", name);
  } else if (strcmp(r->source[field], "x-hdrl-obs") == 0) {
    snprintf(status, HDRL_HTTP_STATUS_MAX, "%s:x-hdrl-obs.%s", name, hdrl_http_fields[field].name);
  } else {
    snprintf(status, HDRL_HTTP_STATUS_MAX, "%s:%s", name, r->source[field]);
  }
}

/* The decision as the gateways report it (x-hdrl-* headers, JSON fields). */
typedef struct hdrl_http_decision {
  const char* provider;
  const char* region;
  unsigned memory_mb;
  unsigned concurrency;
  int decided;                /* 0: the default decision; steps and forecast are empty */
  unsigned steps;             /* steps in the function's state after this decision */
  hdrl_forecast raw_forecast; /* the library's forecast (decided only) */
  char forecast[80];          /* "<rps> <mem MB> <cpu> <model|warming_up>", %.9g: written by
                                 hdrl_http_forecast_text, empty until then */
  char status[HDRL_HTTP_STATUS_MAX];
} hdrl_http_decision;

static inline void hdrl_http_default(hdrl_http_decision* d) {
  d->provider = HDRL_HTTP_DEFAULT_PROVIDER;
  d->region = HDRL_HTTP_DEFAULT_REGION;
  d->memory_mb = HDRL_HTTP_DEFAULT_MEMORY_MB;
  d->concurrency = HDRL_HTTP_DEFAULT_CONCURRENCY;
  d->decided = 0;
  d->steps = 0;
  d->forecast[0] = '\0';
}

/* A library decision as the gateways report it, with `steps` in the window and `status`. */
static inline void hdrl_http_fill(hdrl_http_decision* d, const hdrl_decision* dec, unsigned steps,
                                  const char* status) {
  d->provider = dec->provider_name;
  d->region = dec->region_name;
  d->memory_mb = dec->memory_mb;
  d->concurrency = dec->concurrency;
  d->decided = 1;
  d->steps = steps;
  d->raw_forecast = dec->forecast;
  d->forecast[0] = '\0';
  snprintf(d->status, sizeof d->status, "%s", status);
}

/* The forecast as text, in d->forecast (three %.9g conversions: only where it is shown, not on
 * the measuring gateway's cached path). Returns it; "" for the default decision. */
static inline const char* hdrl_http_forecast_text(hdrl_http_decision* d) {
  if (d->decided) {
    const hdrl_forecast* f = &d->raw_forecast;
    snprintf(d->forecast, sizeof d->forecast, "%.9g %.9g %.9g %s", (double)f->request_rate,
             (double)f->memory_used_mb, (double)f->cpu_util,
             f->source == HDRL_FORECAST_SOURCE_MODEL ? "model" : "warming_up");
  }
  return d->forecast;
}

/* Calls hdrl_decide and fills *d: the library's decision with status "ok" (or the given
 * ok_status), or the default decision with the library's status. */
static inline void hdrl_http_decide(const hdrl_model* model, hdrl_state* state, const hdrl_http_request* r,
                             const char* ok_status, hdrl_http_decision* d) {
  hdrl_decision out;
  hdrl_status st = hdrl_decide(model, state, &r->obs, &out);
  if (st != HDRL_STATUS_OK) {
    hdrl_http_default(d);
    hdrl_http_decide_status(st, r, d->status);
    return;
  }
  size_t steps = 0;
  (void)hdrl_state_steps(state, &steps);
  hdrl_http_fill(d, &out, (unsigned)steps, ok_status);
  hdrl_http_forecast_text(d);
}

#endif /* HDRL_HTTP_H */
