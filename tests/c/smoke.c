/*
 * smoke.c: every call of include/hdrl.h, its success path and every error status a caller
 * can provoke: NULL pointers, short buffers, bad and missing files, corrupt bundles, NaN,
 * infinite and negative inputs, free(NULL). Run by tests/c_api.rs (static and dynamic
 * builds) and under valgrind by tests/c/memcheck.sh.
 *
 * usage: smoke FIXTURE_DIR
 *   FIXTURE_DIR holds model-f32.hdrl, model-i8.hdrl, dqn-only.hdrl, non-finite-output.hdrl,
 *   not-a-bundle.txt and the bad-*.hdrl bundles listed in `bad_bundles` below (all written
 *   by tests/c_api.rs).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrl.h"
#include "hdrl_test.h"

/* The layouts the library was compiled with (asserted on the Rust side too). */
_Static_assert(sizeof(hdrl_observation) == 204, "hdrl_observation layout");
_Static_assert(sizeof(hdrl_forecast) == 16, "hdrl_forecast layout");
_Static_assert(sizeof(hdrl_policy) == 196, "hdrl_policy layout");
_Static_assert(sizeof(void *) != 8 || sizeof(hdrl_decision) == 80, "hdrl_decision layout");
_Static_assert(sizeof(hdrl_app) == 20, "hdrl_app layout");
_Static_assert(sizeof(hdrl_carbon) == 96, "hdrl_carbon layout");

static char path_buf[4096];

static const char *fixture(const char *dir, const char *name) {
  int n = snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
  CHECK(n > 0 && (size_t)n < sizeof path_buf);
  return path_buf;
}

static void test_version(void) {
  CHECK(hdrl_version() == HDRL_VERSION_NUMBER);
  CHECK(HDRL_VERSION_COMPATIBLE(hdrl_version()));
  CHECK(HDRL_VERSION_COMPATIBLE(HDRL_VERSION_NUMBER + 1)); /* a later patch release */
  CHECK(!HDRL_VERSION_COMPATIBLE(HDRL_VERSION_NUMBER + (1u << 8)));
  CHECK(strcmp(hdrl_version_string(), HDRL_VERSION_STRING) == 0);
}

static void test_status_messages(void) {
  char buf[HDRL_MESSAGE_MAX];
  size_t written = 12345;
  unsigned known = 0;
  for (uint32_t s = 0; s < 1000; s++) {
    hdrl_status st = hdrl_status_message(s, buf, sizeof buf, &written);
    if (st == HDRL_STATUS_OK) {
      known++;
      CHECK(written > 0 && written == strlen(buf));
    } else {
      CHECK(st == HDRL_STATUS_INVALID_PARAMETER);
    }
  }
  CHECK(known == 31);
  CHECK_STATUS(hdrl_status_message(HDRL_STATUS_OK, buf, sizeof buf, &written), HDRL_STATUS_OK);
  CHECK(strcmp(buf, "success") == 0 && written == 7);

  /* Exactly long enough (7 + NUL), then one byte short: nothing written, not even a NUL. */
  char small[8];
  memset(small, 'x', sizeof small);
  CHECK_STATUS(hdrl_status_message(HDRL_STATUS_OK, small, 8, &written), HDRL_STATUS_OK);
  CHECK(memcmp(small, "success", 8) == 0);
  memset(small, 'x', sizeof small);
  written = 99;
  CHECK_STATUS(hdrl_status_message(HDRL_STATUS_OK, small, 7, &written),
               HDRL_STATUS_BUFFER_TOO_SMALL);
  CHECK(small[0] == 'x' && small[6] == 'x' && written == 99);
  CHECK(strcmp(last_detail(), "buffer of 7 bytes is too small, 8 needed") == 0);
  CHECK_STATUS(hdrl_status_message(HDRL_STATUS_IO, small, 0, &written),
               HDRL_STATUS_BUFFER_TOO_SMALL);

  CHECK_STATUS(hdrl_status_message(HDRL_STATUS_OK, NULL, 8, &written), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_status_message(HDRL_STATUS_OK, buf, sizeof buf, NULL),
               HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_status_message(7777, buf, sizeof buf, &written),
               HDRL_STATUS_INVALID_PARAMETER);

  /* The detail buffer: too small keeps the detail, a NULL is refused. */
  CHECK_STATUS(hdrl_last_error_message(small, 1, &written), HDRL_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(hdrl_last_error_message(NULL, 8, &written), HDRL_STATUS_NULL_POINTER);
  CHECK(strcmp(last_detail(), "unknown hdrl_status number") == 0);
}

/* Load from memory: success, NULLs, and every header-level corruption. */
static void test_load_memory(const char *dir) {
  size_t len = 0;
  uint8_t *bytes = read_file(fixture(dir, "model-i8.hdrl"), &len);
  CHECK(bytes != NULL && len > 100);

  hdrl_model *model = NULL;
  CHECK_STATUS(hdrl_model_load(bytes, len, &model), HDRL_STATUS_OK);
  CHECK(model != NULL);
  hdrl_quant q = 99;
  CHECK_STATUS(hdrl_model_quant(model, &q), HDRL_STATUS_OK);
  CHECK(q == HDRL_QUANT_I8);
  CHECK_STATUS(hdrl_model_quant(NULL, &q), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_quant(model, NULL), HDRL_STATUS_NULL_POINTER);
  hdrl_model_free(model);

  /* Failures leave *out alone: a sentinel survives every one of them. */
  hdrl_model *const sentinel = (hdrl_model *)&path_buf;
  model = sentinel;
  CHECK_STATUS(hdrl_model_load(NULL, len, &model), HDRL_STATUS_NULL_POINTER);
  CHECK(strcmp(last_detail(), "argument `bytes` is NULL") == 0);
  CHECK_STATUS(hdrl_model_load(bytes, len, NULL), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_load(bytes, 0, &model), HDRL_STATUS_TRUNCATED);
  CHECK_STATUS(hdrl_model_load(bytes, len - 1, &model), HDRL_STATUS_TRUNCATED);
  CHECK_STATUS(hdrl_model_load(bytes, (size_t)PTRDIFF_MAX + 1, &model),
               HDRL_STATUS_INVALID_PARAMETER);

  uint8_t *longer = malloc(len + 1);
  CHECK(longer != NULL);
  memcpy(longer, bytes, len);
  longer[len] = 0;
  CHECK_STATUS(hdrl_model_load(longer, len + 1, &model), HDRL_STATUS_TRAILING_BYTES);
  free(longer);

  bytes[len / 2] ^= 0x40; /* a flipped bit in the body */
  CHECK_STATUS(hdrl_model_load(bytes, len, &model), HDRL_STATUS_CHECKSUM_MISMATCH);
  bytes[len / 2] ^= 0x40;
  bytes[8] = 9; /* format version 9 */
  CHECK_STATUS(hdrl_model_load(bytes, len, &model), HDRL_STATUS_UNSUPPORTED_VERSION);
  bytes[8] = 1;
  bytes[0] = 'X';
  CHECK_STATUS(hdrl_model_load(bytes, len, &model), HDRL_STATUS_BAD_MAGIC);
  CHECK(strcmp(last_detail(), "not an hdrl weight file (bad magic bytes)") == 0);
  const uint8_t text[] = "{\"weights\": []}";
  CHECK_STATUS(hdrl_model_load(text, sizeof text - 1, &model), HDRL_STATUS_BAD_MAGIC);
  CHECK(model == sentinel);
  free(bytes);
}

/* Load from files: success, missing, unreadable, not UTF-8, and one bundle per bundle status
 * (written by tests/c_api.rs). */
static void test_load_file(const char *dir) {
  hdrl_model *model = NULL;
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "model-f32.hdrl"), &model), HDRL_STATUS_OK);
  hdrl_quant q = 99;
  CHECK_STATUS(hdrl_model_quant(model, &q), HDRL_STATUS_OK);
  CHECK(q == HDRL_QUANT_F32);
  hdrl_model_free(model);

  hdrl_model *const sentinel = (hdrl_model *)&path_buf;
  model = sentinel;
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "no-such-file.hdrl"), &model), HDRL_STATUS_IO);
  CHECK(strstr(last_detail(), "No such file or directory") != NULL);
  CHECK_STATUS(hdrl_model_load_file(dir, &model), HDRL_STATUS_IO); /* a directory */
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "not-a-bundle.txt"), &model),
               HDRL_STATUS_BAD_MAGIC);
  CHECK_STATUS(hdrl_model_load_file("\xff\xfe.hdrl", &model), HDRL_STATUS_INVALID_PATH);
  CHECK_STATUS(hdrl_model_load_file(NULL, &model), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "model-f32.hdrl"), NULL),
               HDRL_STATUS_NULL_POINTER);

  static const struct {
    const char *file;
    hdrl_status want;
  } bad_bundles[] = {
      {"bad-malformed.hdrl", HDRL_STATUS_MALFORMED},
      {"bad-unknown-kind.hdrl", HDRL_STATUS_UNKNOWN_KIND},
      {"bad-wrong-quant.hdrl", HDRL_STATUS_WRONG_QUANT},
      {"bad-shape.hdrl", HDRL_STATUS_SHAPE},
      {"bad-payload-size.hdrl", HDRL_STATUS_PAYLOAD_SIZE},
      {"bad-non-finite-weight.hdrl", HDRL_STATUS_NON_FINITE_WEIGHT},
      {"bad-encoder.hdrl", HDRL_STATUS_BAD_ENCODER},
      {"bad-duplicate-model.hdrl", HDRL_STATUS_DUPLICATE_MODEL},
  };
  for (size_t i = 0; i < sizeof bad_bundles / sizeof bad_bundles[0]; i++) {
    CHECK_STATUS(hdrl_model_load_file(fixture(dir, bad_bundles[i].file), &model),
                 bad_bundles[i].want);
  }
  CHECK(model == sentinel);
}

static void test_state(const hdrl_model *model) {
  hdrl_state *state = NULL;
  CHECK_STATUS(hdrl_state_new(NULL), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_state_new(&state), HDRL_STATUS_OK);
  size_t steps = 99;
  CHECK_STATUS(hdrl_state_steps(state, &steps), HDRL_STATUS_OK);
  CHECK(steps == 0);

  hdrl_forecast f;
  CHECK_STATUS(hdrl_model_forecast(model, state, &f), HDRL_STATUS_OK);
  CHECK(f.source == HDRL_FORECAST_SOURCE_WARMING_UP && f.request_rate == 0.0f);

  hdrl_observation obs = {0};
  obs.step_request_rate = 12.0f;
  obs.step_memory_used_mb = 300.0f;
  for (size_t i = 1; i <= HDRL_WINDOW_STEPS + 3; i++) {
    CHECK_STATUS(hdrl_state_observe(state, model, &obs), HDRL_STATUS_OK);
    CHECK_STATUS(hdrl_state_steps(state, &steps), HDRL_STATUS_OK);
    CHECK(steps == (i < HDRL_WINDOW_STEPS ? i : HDRL_WINDOW_STEPS));
    CHECK_STATUS(hdrl_model_forecast(model, state, &f), HDRL_STATUS_OK);
    if (i < HDRL_WINDOW_STEPS) {
      /* Warm-up: the latest step repeated (through the encoder, so within rounding). */
      CHECK(f.source == HDRL_FORECAST_SOURCE_WARMING_UP);
      CHECK(fabsf(f.request_rate - 12.0f) < 0.05f && fabsf(f.memory_used_mb - 300.0f) < 1.0f);
    } else {
      CHECK(f.source == HDRL_FORECAST_SOURCE_MODEL);
      CHECK(isfinite(f.request_rate) && f.request_rate >= 0.0f);
      CHECK(f.cpu_util >= 0.0f && f.cpu_util <= 1.0f);
    }
  }

  obs.step_queue_depth = -1.0f;
  CHECK_STATUS(hdrl_state_observe(state, model, &obs), HDRL_STATUS_OUT_OF_RANGE);
  CHECK(strcmp(last_detail(), "input #26 is outside its documented range") == 0);
  obs.step_queue_depth = 0.0f;
  CHECK_STATUS(hdrl_state_observe(NULL, model, &obs), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_state_observe(state, NULL, &obs), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_state_observe(state, model, NULL), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_forecast(NULL, state, &f), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_forecast(model, NULL, &f), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_forecast(model, state, NULL), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_state_steps(NULL, &steps), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_state_steps(state, NULL), HDRL_STATUS_NULL_POINTER);

  CHECK_STATUS(hdrl_state_reset(state), HDRL_STATUS_OK);
  CHECK_STATUS(hdrl_state_steps(state, &steps), HDRL_STATUS_OK);
  CHECK(steps == 0);
  CHECK_STATUS(hdrl_state_reset(NULL), HDRL_STATUS_NULL_POINTER);
  hdrl_state_free(state);
}

/* Field by field: the struct has padding, whose bytes no call promises. */
static int same_decision(const hdrl_decision *a, const hdrl_decision *b) {
  return a->provider == b->provider && a->region == b->region && a->region_rank == b->region_rank &&
         a->memory_tier == b->memory_tier && a->memory_mb == b->memory_mb &&
         a->provider_name == b->provider_name && a->region_name == b->region_name &&
         memcmp(a->q_values, b->q_values, sizeof a->q_values) == 0 &&
         a->probability == b->probability && a->value == b->value &&
         memcmp(&a->forecast, &b->forecast, sizeof a->forecast) == 0 &&
         a->concurrency == b->concurrency;
}

static void test_decide(const hdrl_model *model) {
  static const char *const regions[HDRL_PROVIDER_COUNT][HDRL_REGION_SLOTS] = {
      {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"},
      {"eastus", "westus2", "westeurope", "southeastasia"},
      {"us-east1", "us-west1", "europe-west1", "asia-southeast1"},
  };
  static const char *const providers[HDRL_PROVIDER_COUNT] = {"aws", "azure", "gcp"};
  static const uint32_t tiers[HDRL_MEMORY_TIERS] = {128, 256, 512, 1024, 2048, 3008};

  hdrl_state *state = NULL;
  CHECK_STATUS(hdrl_state_new(&state), HDRL_STATUS_OK);
  uint64_t rng = 42;
  hdrl_decision d;
  for (uint32_t i = 0; i < 200; i++) {
    hdrl_observation obs = random_observation(&rng, i);
    memset(&d, 0xAB, sizeof d);
    CHECK_STATUS(hdrl_decide(model, state, &obs, &d), HDRL_STATUS_OK);
    CHECK(d.provider < HDRL_PROVIDER_COUNT);
    CHECK(strcmp(d.provider_name, providers[d.provider]) == 0);
    CHECK(d.region < HDRL_REGION_SLOTS);
    CHECK(strcmp(d.region_name, regions[d.provider][d.region]) == 0);
    CHECK(d.memory_tier < HDRL_MEMORY_TIERS && d.memory_mb == tiers[d.memory_tier]);
    CHECK(d.memory_mb >= obs.app_memory_need_mb || d.memory_mb == 3008);
    for (int p = 0; p < HDRL_PROVIDER_COUNT; p++) {
      CHECK(isfinite(d.q_values[p]) && d.q_values[d.provider] >= d.q_values[p]);
    }
    CHECK(d.probability >= 0.0f && d.probability <= 1.0f && isfinite(d.value));
    CHECK(d.forecast.source ==
          (i + 1 < HDRL_WINDOW_STEPS ? HDRL_FORECAST_SOURCE_WARMING_UP : HDRL_FORECAST_SOURCE_MODEL));
    CHECK(isfinite(d.forecast.request_rate) && d.forecast.request_rate >= 0.0f);

    /* The per-model calls agree with the decision. */
    float q[HDRL_PROVIDER_COUNT + 1] = {0};
    CHECK_STATUS(hdrl_model_q_values(model, &obs, q, HDRL_PROVIDER_COUNT), HDRL_STATUS_OK);
    CHECK(memcmp(q, d.q_values, sizeof d.q_values) == 0);
    hdrl_policy pol;
    CHECK_STATUS(hdrl_model_policy(model, &obs, d.provider, &pol), HDRL_STATUS_OK);
    CHECK(pol.value == d.value);
    CHECK(pol.probabilities[d.region_rank * HDRL_MEMORY_TIERS + d.memory_tier] == d.probability);
    float sum = 0.0f;
    for (int a = 0; a < HDRL_TACTICAL_ACTIONS; a++) sum += pol.probabilities[a];
    CHECK(fabsf(sum - 1.0f) < 1e-4f);
  }

  /* Bad inputs: a status, the output and the state untouched. */
  hdrl_observation obs = random_observation(&rng, 0);
  size_t steps_before = 0, steps_after = 0;
  CHECK_STATUS(hdrl_state_steps(state, &steps_before), HDRL_STATUS_OK);
  hdrl_decision before;
  memset(&d, 0x5A, sizeof d);
  before = d;

  hdrl_observation bad = obs;
  bad.strategic_latency_p95_ms = NAN;
  CHECK_STATUS(hdrl_decide(model, state, &bad, &d), HDRL_STATUS_NON_FINITE_INPUT);
  CHECK(strcmp(last_detail(), "input #3 is NaN or infinite") == 0);
  bad = obs;
  bad.tactical_cold_start_prob = INFINITY;
  CHECK_STATUS(hdrl_decide(model, state, &bad, &d), HDRL_STATUS_NON_FINITE_INPUT);
  CHECK(strcmp(last_detail(), "input #20 is NaN or infinite") == 0);
  bad = obs;
  bad.step_hour_of_day = -INFINITY;
  CHECK_STATUS(hdrl_decide(model, state, &bad, &d), HDRL_STATUS_NON_FINITE_INPUT);
  bad = obs;
  bad.app_memory_need_mb = -5.0f;
  CHECK_STATUS(hdrl_decide(model, state, &bad, &d), HDRL_STATUS_OUT_OF_RANGE);
  CHECK(strcmp(last_detail(), "input #10 is outside its documented range") == 0);
  CHECK_STATUS(hdrl_decide(NULL, state, &obs, &d), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_decide(model, NULL, &obs, &d), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_decide(model, state, NULL, &d), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_decide(model, state, &obs, NULL), HDRL_STATUS_NULL_POINTER);
  CHECK(strcmp(last_detail(), "argument `out` is NULL") == 0);
  CHECK(same_decision(&d, &before));
  CHECK_STATUS(hdrl_state_steps(state, &steps_after), HDRL_STATUS_OK);
  CHECK(steps_after == steps_before);

  /* The per-model calls refuse the same inputs and bad arguments. */
  float q[HDRL_PROVIDER_COUNT] = {-1.0f, -1.0f, -1.0f};
  CHECK_STATUS(hdrl_model_q_values(model, &obs, q, HDRL_PROVIDER_COUNT - 1),
               HDRL_STATUS_BUFFER_TOO_SMALL);
  CHECK(q[0] == -1.0f);
  bad = obs;
  bad.strategic_cost_usd_per_m = NAN;
  CHECK_STATUS(hdrl_model_q_values(model, &bad, q, HDRL_PROVIDER_COUNT),
               HDRL_STATUS_NON_FINITE_INPUT);
  CHECK(q[0] == -1.0f);
  CHECK_STATUS(hdrl_model_q_values(NULL, &obs, q, 3), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_q_values(model, NULL, q, 3), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_q_values(model, &obs, NULL, 3), HDRL_STATUS_NULL_POINTER);
  hdrl_policy pol;
  CHECK_STATUS(hdrl_model_policy(model, &obs, HDRL_PROVIDER_COUNT, &pol),
               HDRL_STATUS_INVALID_PARAMETER);
  CHECK_STATUS(hdrl_model_policy(model, &obs, 0xFFFFFFFFu, &pol), HDRL_STATUS_INVALID_PARAMETER);
  bad = obs;
  bad.tactical_request_rate = -1.0f;
  CHECK_STATUS(hdrl_model_policy(model, &bad, HDRL_PROVIDER_GCP, &pol), HDRL_STATUS_OUT_OF_RANGE);
  CHECK_STATUS(hdrl_model_policy(NULL, &obs, HDRL_PROVIDER_AWS, &pol), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_policy(model, NULL, HDRL_PROVIDER_AWS, &pol), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_model_policy(model, &obs, HDRL_PROVIDER_AWS, NULL), HDRL_STATUS_NULL_POINTER);
  hdrl_state_free(state);
}

/* A bundle holding only the DQN: the calls that need the others say so. */
static void test_missing_models(const char *dir) {
  hdrl_model *model = NULL;
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "dqn-only.hdrl"), &model), HDRL_STATUS_OK);
  hdrl_state *state = NULL;
  CHECK_STATUS(hdrl_state_new(&state), HDRL_STATUS_OK);
  hdrl_observation obs = {0};
  float q[HDRL_PROVIDER_COUNT];
  CHECK_STATUS(hdrl_model_q_values(model, &obs, q, HDRL_PROVIDER_COUNT), HDRL_STATUS_OK);
  hdrl_decision d;
  CHECK_STATUS(hdrl_decide(model, state, &obs, &d), HDRL_STATUS_MISSING_MODEL);
  CHECK(strcmp(last_detail(), "bundle holds no ppo model") == 0);
  hdrl_policy pol;
  CHECK_STATUS(hdrl_model_policy(model, &obs, HDRL_PROVIDER_AWS, &pol), HDRL_STATUS_MISSING_MODEL);
  hdrl_forecast f;
  CHECK_STATUS(hdrl_model_forecast(model, state, &f), HDRL_STATUS_MISSING_MODEL);
  /* Freed in the other order than created: neither points to the other. */
  hdrl_model_free(model);
  hdrl_state_free(state);
}

/* A bundle whose DQN weights are finite but huge: a status, never a NaN decision. */
static void test_non_finite_output(const char *dir) {
  hdrl_model *model = NULL;
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "non-finite-output.hdrl"), &model),
               HDRL_STATUS_OK);
  hdrl_state *state = NULL;
  CHECK_STATUS(hdrl_state_new(&state), HDRL_STATUS_OK);
  uint64_t rng = 7;
  hdrl_observation obs = random_observation(&rng, 0);
  float q[HDRL_PROVIDER_COUNT];
  CHECK_STATUS(hdrl_model_q_values(model, &obs, q, HDRL_PROVIDER_COUNT),
               HDRL_STATUS_NON_FINITE_OUTPUT);
  hdrl_decision d;
  CHECK_STATUS(hdrl_decide(model, state, &obs, &d), HDRL_STATUS_NON_FINITE_OUTPUT);
  CHECK(strcmp(last_detail(), "forward pass produced a non-finite value") == 0);
  hdrl_policy pol; /* the other two models are intact */
  CHECK_STATUS(hdrl_model_policy(model, &obs, HDRL_PROVIDER_AWS, &pol), HDRL_STATUS_OK);
  hdrl_state_free(state);
  hdrl_model_free(model);
}

/* Every state and decision test on both precisions. */
/* The tracker: measure requests, decide at each layer's cadence, read the cached decision. */
static void test_tracker(const hdrl_model *model) {
  hdrl_app app = {.mean_duration_ms = 200, .memory_need_mb = 300, .home_region = 1, .sla_ms = 1000};
  hdrl_tracker *t = NULL;
  hdrl_decision d, again;
  uint32_t layers = 99;
  CHECK_STATUS(hdrl_tracker_new(NULL, 15, &t), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_tracker_new(&app, 15, NULL), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_tracker_new(&app, 7, &t), HDRL_STATUS_BAD_EVENT);
  CHECK(strstr(last_detail(), "step length") != NULL);
  CHECK(t == NULL);
  CHECK_STATUS(hdrl_tracker_new(&app, 1, &t), HDRL_STATUS_OK);
  CHECK_STATUS(hdrl_tracker_decision(t, &d), HDRL_STATUS_NO_DECISION);
  CHECK_STATUS(hdrl_tracker_decision(NULL, &d), HDRL_STATUS_NULL_POINTER);
  const double day = 86400.0 * 20000; /* a UTC midnight */
  for (int k = 0; k < 30; k++) {
    CHECK_STATUS(hdrl_tracker_start(t, day + k), HDRL_STATUS_OK);
    CHECK_STATUS(hdrl_tracker_end(NULL, t, day + k + 0.25, 250.0f, k == 0, 2e-6f), HDRL_STATUS_OK);
  }
  CHECK_STATUS(hdrl_tracker_start(t, NAN), HDRL_STATUS_BAD_EVENT);
  CHECK(strstr(last_detail(), "clock") != NULL);
  CHECK_STATUS(hdrl_tracker_end(NULL, t, day + 30, NAN, false, 0), HDRL_STATUS_BAD_EVENT);
  CHECK(strstr(last_detail(), "latency") != NULL);
  CHECK_STATUS(hdrl_tracker_end(NULL, t, day + 30, 1, false, NAN), HDRL_STATUS_BAD_EVENT);
  /* Priced by the bundle: needs the model. */
  CHECK_STATUS(hdrl_tracker_end(NULL, t, day + 30, 1, false, HDRL_COST_FROM_BUNDLE), HDRL_STATUS_NULL_POINTER);
  uint32_t carries = 0;
  CHECK_STATUS(hdrl_model_carries(model, &carries), HDRL_STATUS_OK);
  CHECK(carries == (HDRL_BUNDLE_PRICES | HDRL_BUNDLE_CARBON_PROFILE)); /* fixture bundles carry both */
  CHECK_STATUS(hdrl_model_carries(model, NULL), HDRL_STATUS_NULL_POINTER);
  float cost = -1;
  CHECK_STATUS(hdrl_tracker_cost(model, t, 250.0f, &cost), HDRL_STATUS_OK);
  CHECK(cost == 0.0f); /* no decision yet: no placement to price */
  CHECK_STATUS(hdrl_tracker_refresh(model, t, day + 30.5, NULL, &layers), HDRL_STATUS_OK);
  CHECK(layers == (HDRL_LAYER_STRATEGIC | HDRL_LAYER_TACTICAL | HDRL_LAYER_OPERATIONAL));
  CHECK_STATUS(hdrl_tracker_decision(t, &d), HDRL_STATUS_OK);
  CHECK(d.memory_mb >= 512 && d.forecast.source == HDRL_FORECAST_SOURCE_MODEL);
  CHECK_STATUS(hdrl_tracker_cost(model, t, 250.0f, &cost), HDRL_STATUS_OK);
  float longer = 0;
  CHECK_STATUS(hdrl_tracker_cost(model, t, 2500.0f, &longer), HDRL_STATUS_OK);
  CHECK(cost > 0.0f && longer > cost);
  CHECK_STATUS(hdrl_tracker_cost(model, t, 250.0f, NULL), HDRL_STATUS_NULL_POINTER);
  /* What it measured: one request per 1-s step, 250 ms in flight each. */
  hdrl_observation seen;
  CHECK_STATUS(hdrl_tracker_observation(NULL, t, day + 30.5, NULL, &seen), HDRL_STATUS_OK);
  CHECK(seen.carbon_now_g_per_kwh[0][0] == 0.0f); /* no model, no carbon: unknown */
  CHECK_STATUS(hdrl_tracker_observation(model, t, day + 30.5, NULL, &seen), HDRL_STATUS_OK);
  CHECK(seen.carbon_now_g_per_kwh[0][0] > 0.0f); /* the bundle's typical day */
  CHECK(seen.step_request_rate == 1.0f && fabsf(seen.step_queue_depth - 0.25f) < 1e-6f);
  CHECK(seen.app_memory_need_mb == 300.0f && seen.app_home_region == 1);
  CHECK(seen.tactical_request_rate == 0.0f); /* no hour has closed with requests yet */
  CHECK_STATUS(hdrl_tracker_observation(model, t, INFINITY, NULL, &seen), HDRL_STATUS_BAD_EVENT);
  CHECK_STATUS(hdrl_tracker_observation(model, t, day + 30.5, NULL, NULL), HDRL_STATUS_NULL_POINTER);
  /* Same step: nothing runs, the cached decision stands. A new step: the LSTM only. */
  CHECK_STATUS(hdrl_tracker_refresh(model, t, day + 30.9, NULL, &layers), HDRL_STATUS_OK);
  CHECK(layers == 0);
  CHECK_STATUS(hdrl_tracker_decision(t, &again), HDRL_STATUS_OK);
  CHECK(same_decision(&d, &again));
  hdrl_carbon carbon = {0};
  for (int p = 0; p < 3; p++)
    for (int r = 0; r < 4; r++) carbon.now_g_per_kwh[p][r] = carbon.past_day_g_per_kwh[p][r] = 100 + 50 * p;
  CHECK_STATUS(hdrl_tracker_refresh(model, t, day + 31.5, &carbon, NULL), HDRL_STATUS_OK);
  CHECK_STATUS(hdrl_tracker_refresh(model, t, day + 3600, &carbon, &layers), HDRL_STATUS_OK);
  CHECK(layers == (HDRL_LAYER_TACTICAL | HDRL_LAYER_OPERATIONAL));
  carbon.now_g_per_kwh[1][2] = NAN;
  CHECK_STATUS(hdrl_tracker_refresh(model, t, day + 86400, &carbon, &layers),
               HDRL_STATUS_NON_FINITE_INPUT);
  CHECK_STATUS(hdrl_tracker_refresh(NULL, t, day, NULL, NULL), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_tracker_refresh(model, t, -1, NULL, NULL), HDRL_STATUS_BAD_EVENT);
  hdrl_tracker_free(t);
  hdrl_tracker_free(NULL);
}

/* A table of trackers in caller memory: functions until it is full, start/end, bad use. */
static void test_table(const hdrl_model *model) {
  hdrl_app app = {.mean_duration_ms = 100, .memory_need_mb = 256, .sla_ms = 1000, .cpu_share = 0.5};
  size_t len = hdrl_table_bytes(2), n = 99;
  CHECK(len > 2 * HDRL_TRACKER_BYTES && hdrl_table_bytes(0) == 0);
  void *mem = aligned_alloc(HDRL_TABLE_ALIGN, (len + HDRL_TABLE_ALIGN - 1) / HDRL_TABLE_ALIGN * HDRL_TABLE_ALIGN);
  CHECK(mem != NULL);
  CHECK_STATUS(hdrl_table_init(mem, len - 1, 2, &app, 15), HDRL_STATUS_INVALID_PARAMETER);
  CHECK_STATUS(hdrl_table_init(NULL, len, 2, &app, 15), HDRL_STATUS_NULL_POINTER);
  CHECK_STATUS(hdrl_table_init(mem, len, 2, &app, 15), HDRL_STATUS_OK);
  hdrl_table_answer a;
  const double t = 86400.0 * 20000;
  CHECK_STATUS(hdrl_table_start(model, mem, len, (const uint8_t *)"f1", 2, t, NULL, &a), HDRL_STATUS_OK);
  CHECK(a.layers == (HDRL_LAYER_STRATEGIC | HDRL_LAYER_TACTICAL | HDRL_LAYER_OPERATIONAL));
  uint32_t f1 = a.entry;
  CHECK_STATUS(hdrl_table_end(NULL, mem, len, f1, t + 0.1, 100, true, 1e-6f), HDRL_STATUS_OK);
  CHECK_STATUS(hdrl_table_start(model, mem, len, (const uint8_t *)"f1", 2, t + 1, NULL, &a), HDRL_STATUS_OK);
  CHECK(a.layers == 0 && a.entry == f1); /* same step: the cached decision */
  CHECK_STATUS(hdrl_table_start(model, mem, len, (const uint8_t *)"f2", 2, t + 2, NULL, &a), HDRL_STATUS_OK);
  CHECK(a.entry != f1);
  CHECK_STATUS(hdrl_table_start(model, mem, len, (const uint8_t *)"f3", 2, t + 3, NULL, &a), HDRL_STATUS_TABLE_FULL);
  CHECK_STATUS(hdrl_table_functions(mem, len, &n), HDRL_STATUS_OK);
  CHECK(n == 2);
  CHECK_STATUS(hdrl_table_start(model, mem, len, (const uint8_t *)"f1", 0, t, NULL, &a), HDRL_STATUS_INVALID_PARAMETER);
  CHECK_STATUS(hdrl_table_end(model, mem, len, 7, t, 1, false, 0), HDRL_STATUS_INVALID_PARAMETER);
  CHECK_STATUS(hdrl_table_end(model, mem, len, f1, NAN, 1, false, 0), HDRL_STATUS_BAD_EVENT);
  CHECK_STATUS(hdrl_table_end(model, mem, len, f1, t + 1.2, 100, false, HDRL_COST_FROM_BUNDLE), HDRL_STATUS_OK);
  CHECK_STATUS(hdrl_table_end(NULL, mem, len, f1, t + 1.3, 100, false, HDRL_COST_FROM_BUNDLE),
               HDRL_STATUS_NULL_POINTER);
  free(mem);
}

static void test_both_precisions(const char *dir) {
  hdrl_model *f32 = NULL, *i8 = NULL;
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "model-f32.hdrl"), &f32), HDRL_STATUS_OK);
  CHECK_STATUS(hdrl_model_load_file(fixture(dir, "model-i8.hdrl"), &i8), HDRL_STATUS_OK);
  test_state(f32);
  test_decide(f32);
  test_tracker(f32);
  test_table(f32);
  test_state(i8);
  test_decide(i8);
  test_tracker(i8);
  test_table(i8);
  hdrl_model_free(f32);
  hdrl_model_free(i8);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  test_version();
  test_status_messages();
  test_load_memory(dir);
  test_load_file(dir);
  test_both_precisions(dir);
  test_missing_models(dir);
  test_non_finite_output(dir);
  hdrl_model_free(NULL);
  hdrl_state_free(NULL);
  printf("smoke: ok (hdrl %s)\n", hdrl_version_string());
  return 0;
}
