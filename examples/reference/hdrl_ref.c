/*
 * hdrl_ref.c - the reference the gateway tests compare against: the decisions libhdrl makes
 * for a sequence of requests, given as their x-hdrl-* header values, with one state per
 * function exactly as a gateway keeps them.
 *
 *   hdrl_ref BUNDLE < requests.tsv          one JSON decision per request line
 *   hdrl_ref --obs BUNDLE < requests.tsv    the hdrl_observation each line maps to
 *
 * Input: one request per line, its headers as "name: value" items separated by tabs (an
 * empty line is a request without headers). Names are matched in lower case as written.
 * Output, one line per request:
 *   {"provider":"gcp","region":"us-west1","memory_mb":1024,"concurrency":3,"steps":5,
 *    "forecast":"12.5 300 0.25 warming_up","status":"ok"}
 * with "steps" and "forecast" null for the default decision. These are the values the Envoy
 * filter puts in x-hdrl-provider, -region, -memory-mb, -concurrency, -steps, -forecast and
 * -status, and the nginx example in its JSON answer.
 *
 * The header contract (which header sets which field) is examples/reference/hdrl_http.h.
 * Exit status: 0, or 2 when the bundle cannot be loaded (the library's message on stderr).
 *
 * Build: cc -std=c11 -O2 -Iinclude examples/reference/hdrl_ref.c -Ltarget/release -lhdrl \
 *           -lm -Wl,-rpath,$PWD/target/release -o hdrl_ref
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrl.h"
#include "hdrl_http.h"

#define MAX_LINE 8192
#define MAX_ITEMS 64

typedef struct line_headers {
  size_t n;
  hdrl_http_value name[MAX_ITEMS], value[MAX_ITEMS];
} line_headers;

static hdrl_http_value lookup(void* ctx, const char* name) {
  const line_headers* h = ctx;
  for (size_t i = 0; i < h->n; i++) {
    if (h->name[i].len == strlen(name) && memcmp(h->name[i].ptr, name, h->name[i].len) == 0) {
      return h->value[i];
    }
  }
  hdrl_http_value absent = {NULL, 0};
  return absent;
}

/* Splits "name: value\tname: value" in place (the value starts after ": "). */
static void split_line(char* line, line_headers* h) {
  h->n = 0;
  char* save = NULL;
  for (char* item = strtok_r(line, "\t", &save); item != NULL && h->n < MAX_ITEMS;
       item = strtok_r(NULL, "\t", &save)) {
    char* colon = strchr(item, ':');
    if (colon == NULL) continue;
    char* value = colon + 1;
    if (*value == ' ') value++;
    h->name[h->n].ptr = item;
    h->name[h->n].len = (size_t)(colon - item);
    h->value[h->n].ptr = value;
    h->value[h->n].len = strlen(value);
    h->n++;
  }
}

/* One state per function id, first come first served, HDRL_HTTP_MAX_FUNCTIONS at most. */
static struct {
  char id[HDRL_HTTP_MAX_FUNCTION_LEN + 1];
  hdrl_state* state;
} table[HDRL_HTTP_MAX_FUNCTIONS];
static size_t table_len;

static hdrl_state* state_for(const char* id) {
  for (size_t i = 0; i < table_len; i++) {
    if (strcmp(table[i].id, id) == 0) return table[i].state;
  }
  if (table_len == HDRL_HTTP_MAX_FUNCTIONS) return NULL;
  if (hdrl_state_new(&table[table_len].state) != HDRL_STATUS_OK) return NULL;
  strcpy(table[table_len].id, id);
  return table[table_len++].state;
}

static void print_decision(const hdrl_http_decision* d) {
  printf("{\"provider\":\"%s\",\"region\":\"%s\",\"memory_mb\":%u,\"concurrency\":%u,", d->provider,
         d->region, d->memory_mb, d->concurrency);
  if (d->decided) {
    printf("\"steps\":%u,\"forecast\":\"%s\",", d->steps, d->forecast);
  } else {
    printf("\"steps\":null,\"forecast\":null,");
  }
  printf("\"status\":\"%s\"}\n", d->status);
}

static void print_observation(const hdrl_http_request* r, int parsed, const char* status) {
  if (!parsed) {
    printf("{\"status\":\"%s\"}\n", status);
    return;
  }
  printf("{\"function_len\":%zu", r->function_len);
  for (int f = 0; f < HDRL_HTTP_FIELDS; f++) {
    if (hdrl_http_is_u8(f)) {
      printf(",\"%s\":\"%u\"", hdrl_http_fields[f].name,
             (unsigned)*((const uint8_t*)&r->obs + hdrl_http_fields[f].offset));
    } else {
      float x;
      memcpy(&x, (const char*)&r->obs + hdrl_http_fields[f].offset, sizeof x);
      printf(",\"%s\":\"%.9g\"", hdrl_http_fields[f].name, (double)x);
    }
  }
  printf("}\n");
}

int main(int argc, char** argv) {
  int obs_only = argc == 3 && strcmp(argv[1], "--obs") == 0;
  if (argc != 2 && !obs_only) {
    fprintf(stderr, "usage: hdrl_ref [--obs] BUNDLE < requests.tsv\n");
    return 2;
  }
  hdrl_model* model = NULL;
  hdrl_status st = hdrl_model_load_file(argv[argc - 1], &model);
  if (st != HDRL_STATUS_OK) {
    char msg[HDRL_MESSAGE_MAX], detail[HDRL_MESSAGE_MAX];
    size_t n;
    if (hdrl_status_message(st, msg, sizeof msg, &n) != HDRL_STATUS_OK) strcpy(msg, "?");
    if (hdrl_last_error_message(detail, sizeof detail, &n) != HDRL_STATUS_OK) strcpy(detail, "?");
    fprintf(stderr, "hdrl_ref: cannot load %s: %s (%s)\n", argv[argc - 1], msg, detail);
    return 2;
  }
  static char line[MAX_LINE];
  line_headers h;
  hdrl_http_request r;
  hdrl_http_decision d;
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    split_line(line, &h);
    char status[HDRL_HTTP_STATUS_MAX];
    int parsed = hdrl_http_parse(lookup, &h, hdrl_http_clock_hour(), &r, status);
    if (obs_only) {
      print_observation(&r, parsed, status);
      continue;
    }
    if (!parsed) {
      hdrl_http_default(&d);
      snprintf(d.status, sizeof d.status, "%s", status);
    } else {
      hdrl_state* s = state_for(r.function);
      if (s != NULL) {
        hdrl_http_decide(model, s, &r, "ok", &d);
      } else if (hdrl_state_new(&s) == HDRL_STATUS_OK) {
        hdrl_http_decide(model, s, &r, "ok:untracked", &d);
        hdrl_state_free(s);
      } else {
        hdrl_http_default(&d);
        snprintf(d.status, sizeof d.status, "no_state");
      }
    }
    print_decision(&d);
  }
  fflush(stdout);
  for (size_t i = 0; i < table_len; i++) hdrl_state_free(table[i].state);
  hdrl_model_free(model);
  return 0;
}
