/* The README's C example: load a bundle, decide for one function, print the decision. */
#include <stdio.h>
#include "hdrl.h"

int main(int argc, char **argv) {
  hdrl_model *model = NULL; /* immutable once loaded: share it between threads */
  hdrl_state *state = NULL; /* one per function, used by one thread at a time */
  hdrl_status st = hdrl_model_load_file(argc > 1 ? argv[1] : "bundle.hdrl", &model);
  if (st == HDRL_STATUS_OK) st = hdrl_state_new(&state);

  hdrl_observation obs = {0};        /* raw units, documented per field in hdrl.h */
  obs.app_memory_need_mb = 300.0f;   /* MB */
  obs.app_mean_duration_ms = 120.0f; /* ms per invocation */
  obs.step_request_rate = 12.0f;     /* requests/s over the last 15 s */
  hdrl_decision d = {0};
  if (st == HDRL_STATUS_OK) st = hdrl_decide(model, state, &obs, &d);

  char msg[HDRL_MESSAGE_MAX];
  size_t len;
  if (st == HDRL_STATUS_OK)
    printf("%s %s %u MB, %u warm instances\n", d.provider_name, d.region_name,
           (unsigned)d.memory_mb, (unsigned)d.concurrency);
  else if (hdrl_last_error_message(msg, sizeof msg, &len) == HDRL_STATUS_OK)
    fprintf(stderr, "hdrl error %u: %s\n", (unsigned)st, msg);
  hdrl_state_free(state); /* both accept NULL */
  hdrl_model_free(model);
  return st == HDRL_STATUS_OK ? 0 : 1;
}
