/*
 * Helpers shared by the C tests of include/hdrl.h: checks that print the status message and
 * the library's detail, a seeded observation generator, and a file reader.
 */
#ifndef HDRL_TEST_H
#define HDRL_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrl.h"

static inline void fail_at(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  exit(1);
}

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (!(cond)) fail_at(__FILE__, __LINE__, #cond);                                         \
  } while (0)

/* Run a call and compare its status with the expected one; on mismatch print both messages
 * and the detail of the last failure. */
#define CHECK_STATUS(call, want) check_status((call), (want), #call, __FILE__, __LINE__)

static inline void check_status(hdrl_status got, hdrl_status want, const char *call, const char *file,
                         int line) {
  if (got == want) return;
  char msg[HDRL_MESSAGE_MAX], detail[HDRL_MESSAGE_MAX];
  size_t n;
  if (hdrl_status_message(got, msg, sizeof msg, &n) != HDRL_STATUS_OK) strcpy(msg, "?");
  if (hdrl_last_error_message(detail, sizeof detail, &n) != HDRL_STATUS_OK) strcpy(detail, "?");
  fprintf(stderr, "%s:%d: %s returned %u (%s; detail: %s), expected %u\n", file, line, call,
          (unsigned)got, msg, detail, (unsigned)want);
  exit(1);
}

/* The calling thread's last error detail, in a static buffer (single-threaded callers). */
static inline const char *last_detail(void) {
  static char detail[HDRL_MESSAGE_MAX];
  size_t n;
  CHECK_STATUS(hdrl_last_error_message(detail, sizeof detail, &n), HDRL_STATUS_OK);
  CHECK(n == strlen(detail));
  return detail;
}

/* SplitMix64: a seeded, portable random stream. */
static inline uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static inline float uniform(uint64_t *s, float lo, float hi) {
  return lo + (hi - lo) * (float)(next_u64(s) >> 40) / (float)(1ull << 24);
}

/* A plausible observation of a function at 15-second step `i`. */
static inline hdrl_observation random_observation(uint64_t *s, uint32_t i) {
  hdrl_observation o = {0};
  o.strategic_cost_usd_per_m = uniform(s, 0.2f, 40.0f);
  o.strategic_cost_trend = uniform(s, -0.3f, 0.3f);
  o.strategic_latency_p50_ms = uniform(s, 20.0f, 400.0f);
  o.strategic_latency_p95_ms = o.strategic_latency_p50_ms * uniform(s, 1.2f, 3.0f);
  o.strategic_latency_p99_ms = o.strategic_latency_p95_ms * uniform(s, 1.0f, 2.0f);
  o.strategic_daily_invocations = uniform(s, 10.0f, 2.0e6f);
  o.strategic_daily_invocations_cv = uniform(s, 0.0f, 2.0f);
  o.strategic_peak_to_mean = uniform(s, 1.0f, 50.0f);
  o.strategic_volume_trend = uniform(s, -0.5f, 0.5f);
  o.app_mean_duration_ms = uniform(s, 5.0f, 3000.0f);
  o.app_memory_need_mb = uniform(s, 64.0f, 2500.0f);
  o.app_home_region = (uint8_t)(next_u64(s) % HDRL_REGION_SLOTS);
  o.app_sla_ms = uniform(s, 100.0f, 5000.0f);
  o.app_cpu_share = uniform(s, 0.2f, 0.9f);
  o.tactical_latency_ms = uniform(s, 20.0f, 2000.0f);
  o.tactical_cost_usd_per_m = uniform(s, 0.2f, 40.0f);
  o.tactical_request_rate = uniform(s, 0.0f, 200.0f);
  o.tactical_memory_used_mb = uniform(s, 30.0f, 2000.0f);
  o.tactical_cpu_util = uniform(s, 0.0f, 1.0f);
  o.tactical_queue_depth = uniform(s, 0.0f, 50.0f);
  o.tactical_cold_start_prob = uniform(s, 0.0f, 0.3f);
  o.tactical_region_rank = (uint8_t)(next_u64(s) % HDRL_REGION_SLOTS);
  o.tactical_memory_tier = (uint8_t)(next_u64(s) % HDRL_MEMORY_TIERS);
  o.step_request_rate = uniform(s, 0.0f, 200.0f);
  o.step_memory_used_mb = uniform(s, 30.0f, 2000.0f);
  o.step_cpu_util = uniform(s, 0.0f, 1.0f);
  o.step_queue_depth = uniform(s, 0.0f, 50.0f);
  o.step_hour_of_day = (float)((i / 240u) % 24u) + uniform(s, 0.0f, 1.0f);
  for (int p = 0; p < HDRL_PROVIDER_COUNT; p++) {
    for (int r = 0; r < HDRL_REGION_SLOTS; r++) {
      o.carbon_now_g_per_kwh[p][r] = uniform(s, 30.0f, 800.0f);
      o.carbon_past_day_g_per_kwh[p][r] = uniform(s, 30.0f, 800.0f);
    }
  }
  return o;
}

/* Read a whole file; NULL if it cannot be read. The caller frees the result. */
static inline uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 1u << 16;
      uint8_t *grown = realloc(buf, cap);
      if (!grown) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  *len = n;
  return buf;
}

#endif /* HDRL_TEST_H */
