/*
 * hdrl_measure_ref.c - the reference a measuring gateway is compared against: the decisions
 * libhdrl makes for a recorded sequence of requests (function, start, end, cold), with one
 * tracker per function exactly as the gateway keeps them (examples/reference/hdrl_measure.h).
 *
 *   hdrl_measure_ref 'measure bundle=PATH step_s=1 ...' < events.tsv
 *
 * The argument is the Envoy filter's measure config (the same keys). Input: one request per
 * line, "function<TAB>start_s<TAB>end_s<TAB>cold(0|1)", in the order the gateway saw them
 * (each request ends before the next line starts). Output, one JSON line per request:
 *   {"provider":"gcp","region":"us-west1","memory_mb":1024,"concurrency":3,
 *    "forecast":"12.5 300 0.25 model","observed_rps":"2","layers":4,"status":"ok"}
 * with "forecast" null for the default decision. Exit status 2 for a bad config or bundle.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrl.h"
#include "hdrl_measure.h"

static void print_decision(hdrl_measure_decision* m) {
  const hdrl_http_decision* d = &m->d;
  printf("{\"provider\":\"%s\",\"region\":\"%s\",\"memory_mb\":%u,\"concurrency\":%u,", d->provider,
         d->region, d->memory_mb, d->concurrency);
  if (d->decided) {
    printf("\"forecast\":\"%s\",", hdrl_http_forecast_text(&m->d));
  } else {
    printf("\"forecast\":null,");
  }
  printf("\"observed_rps\":\"%.9g\",\"layers\":%u,\"status\":\"%s\"}\n", (double)m->observed_rps,
         (unsigned)m->layers, d->status);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: hdrl_measure_ref 'measure bundle=PATH ...' < events.tsv\n");
    return 2;
  }
  hdrl_measure_options o;
  char err[256];
  if (hdrl_measure_parse(argv[1], &o, err, sizeof err) != NULL) {
    fprintf(stderr, "hdrl_measure_ref: %s\n", err);
    return 2;
  }
  hdrl_model* model = NULL;
  hdrl_status st = hdrl_model_load_file(o.bundle, &model);
  if (st != HDRL_STATUS_OK) {
    char msg[HDRL_MESSAGE_MAX];
    size_t n;
    if (hdrl_status_message(st, msg, sizeof msg, &n) != HDRL_STATUS_OK) strcpy(msg, "?");
    fprintf(stderr, "hdrl_measure_ref: cannot load %s: %s\n", o.bundle, msg);
    return 2;
  }
  hdrl_measure_table table;
  if (!hdrl_measure_table_init(&table, &o)) {
    fprintf(stderr, "hdrl_measure_ref: out of memory\n");
    return 2;
  }
  char line[1024], id[HDRL_HTTP_MAX_FUNCTION_LEN + 1];
  while (fgets(line, sizeof line, stdin) != NULL) {
    double start, end;
    int cold;
    hdrl_measure_decision m;
    if (sscanf(line, "%128[^\t]\t%lf\t%lf\t%d", id, &start, &end, &cold) != 4) {
      fprintf(stderr, "hdrl_measure_ref: bad line: %s", line);
      return 2;
    }
    hdrl_measure_start(model, &table, id, strlen(id), start, &m);
    hdrl_measure_decision shown = m;
    hdrl_measure_end(model, &table, &m, end, (float)((end - start) * 1000.0), cold);
    print_decision(&shown);
  }
  fflush(stdout);
  hdrl_measure_table_free(&table);
  hdrl_model_free(model);
  return 0;
}
