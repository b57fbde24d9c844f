/*
 * threads.c: one model shared by N threads, each with its own state, each making D
 * decisions on a seeded sequence of observations (threads alternate between SEQUENCES
 * different sequences, so neighbours work on different data at different steps); every
 * thread's results (every field of every decision, hashed) must equal a single-threaded run
 * of its sequence. Every 1000th observation carries a NaN, which must fail with its own
 * status and per-thread detail without disturbing the state. First, a load and a few
 * decisions on a thread with a 64 KiB stack.
 *
 * usage: threads BUNDLE [THREADS=8] [DECISIONS=100000]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hdrl.h"
#include "hdrl_test.h"

#define MAX_THREADS 64
/* Distinct observation sequences; the single-threaded reference runs each once. */
#define SEQUENCES 2

typedef struct job {
  const hdrl_model *model;
  uint64_t seed;
  size_t decisions;
  uint64_t digest; /* FNV-1a over every decision */
  size_t refused;  /* NaN observations refused as expected */
  int failed;      /* set when something went wrong */
} job;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3ull;
  return h;
}

static uint64_t hash_decision(uint64_t h, const hdrl_decision *d) {
  h = fnv(h, &d->provider, sizeof d->provider);
  h = fnv(h, d->provider_name, strlen(d->provider_name));
  h = fnv(h, &d->region, sizeof d->region);
  h = fnv(h, d->region_name, strlen(d->region_name));
  h = fnv(h, &d->memory_tier, sizeof d->memory_tier);
  h = fnv(h, &d->memory_mb, sizeof d->memory_mb);
  h = fnv(h, d->q_values, sizeof d->q_values);
  h = fnv(h, &d->probability, sizeof d->probability);
  h = fnv(h, &d->value, sizeof d->value);
  h = fnv(h, &d->forecast.request_rate, sizeof d->forecast.request_rate);
  h = fnv(h, &d->forecast.memory_used_mb, sizeof d->forecast.memory_used_mb);
  h = fnv(h, &d->forecast.cpu_util, sizeof d->forecast.cpu_util);
  h = fnv(h, &d->forecast.source, sizeof d->forecast.source);
  return fnv(h, &d->concurrency, sizeof d->concurrency);
}

static void *run(void *arg) {
  job *j = arg;
  hdrl_state *state = NULL;
  if (hdrl_state_new(&state) != HDRL_STATUS_OK) {
    j->failed = 1;
    return NULL;
  }
  uint64_t rng = j->seed, h = 0xCBF29CE484222325ull;
  hdrl_decision d;
  for (uint32_t i = 0; i < j->decisions; i++) {
    hdrl_observation obs = random_observation(&rng, i);
    if (i % 1000 == 999) {
      hdrl_observation bad = obs;
      bad.step_cpu_util = NAN;
      char detail[HDRL_MESSAGE_MAX];
      size_t n;
      if (hdrl_decide(j->model, state, &bad, &d) != HDRL_STATUS_NON_FINITE_INPUT ||
          hdrl_last_error_message(detail, sizeof detail, &n) != HDRL_STATUS_OK ||
          strcmp(detail, "input #25 is NaN or infinite") != 0) {
        j->failed = 1;
        break;
      }
      j->refused++;
    }
    hdrl_status st = hdrl_decide(j->model, state, &obs, &d);
    if (st != HDRL_STATUS_OK) {
      fprintf(stderr, "seed %llu decision %u: status %u\n", (unsigned long long)j->seed, i,
              (unsigned)st);
      j->failed = 1;
      break;
    }
    h = hash_decision(h, &d);
  }
  hdrl_state_free(state);
  j->digest = h;
  return NULL;
}

/* Loading and deciding work on a thread with a small stack (gateway workers often have
 * 128-256 KiB; the library loads on a helper thread of its own). */
typedef struct small_stack_job {
  const char *path;
  hdrl_status status;
} small_stack_job;

static void *load_and_decide(void *arg) {
  small_stack_job *j = arg;
  hdrl_model *model = NULL;
  hdrl_state *state = NULL;
  j->status = hdrl_model_load_file(j->path, &model);
  if (j->status == HDRL_STATUS_OK) j->status = hdrl_state_new(&state);
  uint64_t rng = 3;
  hdrl_decision d;
  for (uint32_t i = 0; i < 20 && j->status == HDRL_STATUS_OK; i++) {
    hdrl_observation obs = random_observation(&rng, i);
    j->status = hdrl_decide(model, state, &obs, &d);
  }
  hdrl_state_free(state);
  hdrl_model_free(model);
  return NULL;
}

static void small_stack(const char *path) {
  pthread_attr_t attr;
  CHECK(pthread_attr_init(&attr) == 0);
  CHECK(pthread_attr_setstacksize(&attr, 64 * 1024) == 0);
  small_stack_job j = {.path = path, .status = HDRL_STATUS_PANIC};
  pthread_t tid;
  CHECK(pthread_create(&tid, &attr, load_and_decide, &j) == 0);
  CHECK(pthread_join(tid, NULL) == 0);
  CHECK(pthread_attr_destroy(&attr) == 0);
  CHECK_STATUS(j.status, HDRL_STATUS_OK);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s BUNDLE [THREADS=8] [DECISIONS=100000]\n", argv[0]);
    return 2;
  }
  size_t threads = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
  size_t decisions = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
  CHECK(threads >= 1 && threads <= MAX_THREADS && decisions >= 1);

  small_stack(argv[1]);

  hdrl_model *model = NULL;
  CHECK_STATUS(hdrl_model_load_file(argv[1], &model), HDRL_STATUS_OK);

  /* Single-threaded reference, sequence by sequence. */
  job ref[SEQUENCES], par[MAX_THREADS];
  size_t sequences = threads < SEQUENCES ? threads : SEQUENCES;
  double t0 = now_s();
  for (size_t k = 0; k < sequences; k++) {
    ref[k] = (job){.model = model, .seed = 1000 + k, .decisions = decisions};
    run(&ref[k]);
    CHECK(!ref[k].failed);
  }
  double t1 = now_s();

  /* All threads at once on one shared model, thread t on sequence t % SEQUENCES. */
  pthread_t tid[MAX_THREADS];
  for (size_t t = 0; t < threads; t++) {
    par[t] = (job){.model = model, .seed = 1000 + t % SEQUENCES, .decisions = decisions};
    CHECK(pthread_create(&tid[t], NULL, run, &par[t]) == 0);
  }
  for (size_t t = 0; t < threads; t++) CHECK(pthread_join(tid[t], NULL) == 0);
  double t2 = now_s();

  for (size_t t = 0; t < threads; t++) {
    const job *want = &ref[t % SEQUENCES];
    CHECK(!par[t].failed);
    CHECK(par[t].refused == decisions / 1000 && par[t].refused == want->refused);
    if (par[t].digest != want->digest) {
      fprintf(stderr, "thread %zu: digest %016llx, single-threaded %016llx\n", t,
              (unsigned long long)par[t].digest, (unsigned long long)want->digest);
      return 1;
    }
  }
  hdrl_model_free(model);
  printf("threads: ok, %zu threads x %zu decisions, identical to the single-threaded run "
         "(single-threaded %.2f s = %.1f us/decision; %zu threads %.2f s)\n",
         threads, decisions, t1 - t0, (t1 - t0) * 1e6 / (double)(sequences * decisions), threads,
         t2 - t1);
  return 0;
}
