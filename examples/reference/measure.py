#!/usr/bin/env python3
"""The measuring gateway's test: drive traffic patterns through it and check that its
decisions follow what it measured, and equal the reference program's on the same events.

    measure.py run --url URL --ref HDRL_MEASURE_REF --config 'measure bundle=... step_s=1 test_clock=1 functions=4' --work DIR [--mode nginx --spread]

The gateway must run the same measure config with test_clock=1, so each request's clock comes
from its x-hdrl-test-start / x-hdrl-test-end / x-hdrl-test-cold headers and the run is
deterministic (no sleeping: 40 simulated seconds take a second). The traffic, 1-s steps:
  steady  2 requests/s for 40 s
  burst   1 request/s for 12 s, then 20/s for 8 s, then 15 s of silence, then one request
  quiet   a request at 5 s and one at 30 s
  late-1, late-2  one request each at 38 s (the table holds 4 functions: the fifth is untracked)
Each request runs 20 ms, so one ends before the function's next one starts. Requests are sent
in time order over one keep-alive connection.

Checks (one "ok"/"FAIL" line each, counted by the shell helper):
  - every response's provider, region, memory, concurrency, forecast, observed rate, layers
    and status equal hdrl_measure_ref's for the same events;
  - the measured rate follows the traffic: 1/s before the burst, 20/s during it, 0 after the
    silence; the suggested concurrency rises with the burst (every decision in it above every
    one before it) and is 0 after the silence (an idle window holds nothing warm);
  - the cadence: a function's first request runs all three layers, a request in the same step
    runs none (the cached decision), the first request of a new step runs the LSTM only;
  - a function the full table does not hold is "untracked" with the default decision, and a
    request without the function header is "missing:x-hdrl-function".
"""
import argparse
import http.client
import json
import subprocess
import sys
import urllib.parse

T0 = 20833 * 86400.0  # a UTC midnight (2027-01-15)
DURATION = 0.02
FIELDS = ("provider", "region", "memory_mb", "concurrency", "forecast", "observed_rps", "layers", "status")
STRATEGIC, TACTICAL, OPERATIONAL = 1, 2, 4


def traffic():
    ev = []
    ev += [("steady", 0.25 + 0.5 * k) for k in range(80)]
    ev += [("burst", 0.5 + k) for k in range(12)]
    ev += [("burst", 12.0 + 0.025 + 0.05 * k) for k in range(160)]
    ev += [("burst", 35.5)]
    ev += [("quiet", 5.1), ("quiet", 30.1)]
    ev += [("late-1", 38.3), ("late-2", 38.4)]
    ev.sort(key=lambda e: e[1])
    return [(f, T0 + t, T0 + t + DURATION, 0) for f, t in ev]


def send(url, events, mode="envoy", spread=False):
    """Send the events in order; Envoy answers in headers, nginx in a JSON body. With spread,
    each request opens its own connection, so a server with several workers spreads them."""
    u = urllib.parse.urlparse(url)
    conn = None
    out = []
    for f, start, end, cold in events:
        if conn is None:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        headers = {"x-hdrl-test-start": repr(start), "x-hdrl-test-end": repr(end), "x-hdrl-test-cold": str(cold)}
        if f is not None:
            headers["x-hdrl-function"] = f
        if spread:
            headers["connection"] = "close"
        conn.request("GET", u.path or "/", headers=headers)
        r = conn.getresponse()
        body = r.read()
        if spread:
            conn.close()
            conn = None
        if mode == "nginx":
            j = json.loads(body)
            out.append({k: j.get(k) for k in FIELDS} | {"worker": j.get("worker")})
            continue
        h = {k.lower(): v for k, v in r.getheaders()}
        out.append({
            "provider": h.get("x-hdrl-provider"),
            "region": h.get("x-hdrl-region"),
            "memory_mb": int(h.get("x-hdrl-memory-mb", "-1")),
            "concurrency": int(h.get("x-hdrl-concurrency", "-1")),
            "forecast": h.get("x-hdrl-forecast"),
            "observed_rps": h.get("x-hdrl-observed-rps"),
            "layers": int(h.get("x-hdrl-layers", "-1")),
            "status": h.get("x-hdrl-status"),
        })
    if conn is not None:
        conn.close()
    return out


def reference(ref, config, events, work):
    path = f"{work}/measure-events.tsv"
    with open(path, "w") as fh:
        for f, start, end, cold in events:
            fh.write(f"{f}\t{start!r}\t{end!r}\t{cold}\n")
    res = subprocess.run([ref, config], stdin=open(path), capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise SystemExit(f"FAIL hdrl_measure_ref exited {res.returncode}: {res.stderr.strip()}")
    return [json.loads(line) for line in res.stdout.splitlines()]


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + (f" ({detail})" if detail else ""))
    return cond


def run(args):
    events = traffic()
    got = send(args.url, events, args.mode, args.spread)
    want = reference(args.ref, args.config, events, args.work)
    mismatches = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if any(g[k] != w[k] for k in FIELDS)]
    detail = ""
    if mismatches:
        i, g, w = mismatches[0]
        detail = f"first at request {i} {events[i][0]}: gateway {g} vs reference {w}"
    check(f"measure: all {len(events)} decisions equal hdrl_measure_ref's on the same events "
          f"(provider, region, memory, concurrency, forecast, observed rate, layers, status)",
          not mismatches and len(got) == len(want) == len(events), detail)

    by = {}
    for e, g in zip(events, got):
        by.setdefault(e[0], []).append((e[1] - T0, g))
    burst = by["burst"]
    before = [g for t, g in burst if 2 <= t < 12]
    during = [g for t, g in burst if 13.5 <= t < 20]
    after = [g for t, g in burst if t > 35]
    check("measure: the rate the gateway measured follows the traffic (1/s, then 20/s in the burst, 0 after the silence)",
          all(g["observed_rps"] == "1" for g in before) and all(g["observed_rps"] == "20" for g in during)
          and after[0]["observed_rps"] == "0",
          f"before {sorted({g['observed_rps'] for g in before})}, during {sorted({g['observed_rps'] for g in during})}, after {after[0]['observed_rps']}")
    conc = lambda gs: [g["concurrency"] for g in gs]
    check("measure: the suggested concurrency rises with the burst and falls to 0 after the silence",
          min(conc(during)) > max(conc(before)) and after[0]["concurrency"] == 0,
          f"burst concurrency before {sorted(set(conc(before)))}, during {sorted(set(conc(during)))}, after {after[0]['concurrency']}")
    check("measure: the steady function's measured rate is 2/s once its first step closed",
          all(g["observed_rps"] == "2" for t, g in by["steady"] if t >= 1.0))

    firsts = [gs[0][1]["layers"] for f, gs in by.items() if not f.startswith("late-2")]
    check("measure: each function's first request runs all three layers", all(x == STRATEGIC | TACTICAL | OPERATIONAL for x in firsts), str(firsts))
    same_step = [g["layers"] for (t0, _), (t, g) in zip(burst, burst[1:]) if int(t0) == int(t) and t > 13]
    new_step = [g["layers"] for (t0, _), (t, g) in zip(burst, burst[1:]) if int(t0) != int(t) and 13 <= t < 20]
    check("measure: requests in the same step read the cached decision (no layer runs); the first of a new step runs the LSTM only",
          same_step and all(x == 0 for x in same_step) and new_step and all(x == OPERATIONAL for x in new_step),
          f"{len(same_step)} same-step requests, layers {sorted(set(same_step))}; {len(new_step)} new-step, layers {sorted(set(new_step))}")
    check("measure: with 4 functions tracked, a fifth is untracked and gets the default decision, not a guess",
          by["late-1"][0][1]["status"] == "ok" and by["late-2"][0][1]["status"] == "untracked"
          and by["late-2"][0][1]["provider"] == "aws" and by["late-2"][0][1]["forecast"] is None,
          f"late-1 {by['late-1'][0][1]['status']}, late-2 {by['late-2'][0][1]['status']}")
    if args.spread:
        workers = {g["worker"] for g in got}
        check(f"measure: the requests were served by {len(workers)} workers sharing one table (rates and decisions above still whole)",
              len(workers) >= 2, str(sorted(workers)))
    missing = send(args.url, [(None, T0 + 39, T0 + 39.01, 0)], args.mode)[0]
    check("measure: a request without the function header is missing:x-hdrl-function", missing["status"] == "missing:x-hdrl-function", missing["status"])
    with open(f"{args.work}/measure-summary.json", "w") as fh:
        json.dump({"events": len(events), "burst": {"before": conc(before), "during": conc(during), "after": conc(after)}}, fh)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--url", required=True)
    r.add_argument("--ref", required=True)
    r.add_argument("--config", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--mode", choices=("envoy", "nginx"), default="envoy",
                   help="envoy: the decision in x-hdrl-* response headers; nginx: a JSON body")
    r.add_argument("--spread", action="store_true",
                   help="a new connection per request, so several workers share the traffic")
    args = ap.parse_args()
    run(args)


if __name__ == "__main__":
    main()
