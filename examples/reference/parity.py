#!/usr/bin/env python3
"""Decision parity between a gateway and libhdrl, request by request.

    parity.py requests OUT.tsv [--overflow N] [--prefix P]   write a request sequence (seeded)
    parity.py spots OUT.tsv          write the spot checks (OUT.tsv, and OUT.tsv.want: status, label)
    parity.py mapping --ref HDRL_REF --bundle B   hdrl_ref --obs vs the README's header table
    parity.py compare --mode envoy|nginx --url URL --ref HDRL_REF --bundle B [--spots] REQUESTS.tsv

`requests` writes one request per line, its headers as "name: value" items separated by tabs
(the input of hdrl_ref). The default sequence: six functions (two per provider profile), 16
steps each, interleaved, so each state fills its 12-step window and the forecast switches from
"warming_up" to "model"; requests with bad values (NaN, negative, infinite, garbage, a missing
header) for the same functions in between, which must leave the state as it was; and
client-sent x-hdrl-provider/-steps/-forecast/-status headers the gateway must overwrite.
`--overflow N` writes N distinct functions, one request each, then one more request for the
first and the last of them (to check the function table's capacity). `spots` writes single
requests for the header contract (SPOTS below: good, missing, garbage, NaN, negative), each with
the x-hdrl-status the README says it gets.

`compare` sends every request in order with ONE curl process (curl -K, one keep-alive
connection, a separate operation per request), runs hdrl_ref on the same lines, and compares
each decision field (provider, region, memory_mb, concurrency, steps, forecast, status):
  --mode envoy  from the response's x-hdrl-* headers; the request must also have landed at
                the upstream named by x-hdrl-provider (upstream.py answers with its name and
                the headers it received, which must carry the same decision);
  --mode nginx  from the JSON body.
With --spots, hdrl_ref must also give each spot check its documented status, and every check
gets a line of its own. Prints "ok   ..." / "FAIL ..." lines (the tests count them), exits 0.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

FIELDS = ["provider", "region", "memory_mb", "concurrency", "steps", "forecast", "status"]

# Strategic/app context per profile, sent in x-hdrl-obs. With the seeded fixture bundle
# (fixture_bundle, seed 2) these lead to aws, azure and gcp respectively; with another bundle
# the providers differ, which only matters for the "all three providers" check.
PROFILES = {
    "aws": "app_cpu_share=1,app_home_region=1",
    "azure": "app_sla_ms=0,app_home_region=3",
    "gcp": "app_sla_ms=1,app_home_region=2",
}


def fmt(x):
    return f"{x:.6g}"


def line(headers):
    return "\t".join(f"{k}: {v}" for k, v in headers)


OK_HEADERS = ["x-hdrl-rps: 12.5", "x-hdrl-mem-mb: 300", "x-hdrl-duration-ms: 120", "x-hdrl-hour: 9.5"]
REST = ["x-hdrl-mem-mb: 300", "x-hdrl-duration-ms: 120"]
X = "x-hdrl-function: spot-x"
# (label, status the README's contract gives, headers). "ok" cases use a function id of their
# own, so hdrl_ref (a fresh state per id) and the gateway start from the same state.
SPOTS = [
    ("all headers; client claims provider/steps/forecast/status", "ok",
     ["x-hdrl-function: spot-a", *OK_HEADERS, "x-hdrl-cpu: 0.4", "x-hdrl-inflight: 7",
      "x-hdrl-mem-need-mb: 1500", "x-hdrl-provider: nope", "x-hdrl-steps: 99",
      "x-hdrl-forecast: x", "x-hdrl-status: ok"]),
    ("no x-hdrl-hour (the gateway's clock)", "ok", ["x-hdrl-function: spot-c", "x-hdrl-rps: 3", *REST]),
    ("x-hdrl-obs with spaces, home region 3", "ok",
     ["x-hdrl-function: spot-d", *OK_HEADERS,
      "x-hdrl-obs: app_home_region=3 , strategic_cost_usd_per_m = 12"]),
    ("numbers +1.5e2, .5, 7., 2.5E1", "ok",
     ["x-hdrl-function: spot-e", "x-hdrl-rps: +1.5e2", "x-hdrl-mem-mb: .5",
      "x-hdrl-duration-ms: 7.", "x-hdrl-hour: 2.5E1"]),
    ("huge values saturate", "ok",
     ["x-hdrl-function: spot-f", "x-hdrl-rps: 1e30", "x-hdrl-mem-mb: 99999999",
      "x-hdrl-duration-ms: 1e9", "x-hdrl-cpu: 7", "x-hdrl-hour: -30"]),
    ("function id with punctuation", "ok", ["x-hdrl-function: ns/fn:v2@eu~x", *OK_HEADERS]),
    ("no hdrl headers at all", "missing:x-hdrl-function", []),
    ("no function id, client claims gcp", "missing:x-hdrl-function", ["x-hdrl-provider: gcp", *OK_HEADERS]),
    ("empty function id", "invalid:x-hdrl-function", ["x-hdrl-function: ", *OK_HEADERS]),
    ("function id with a space", "invalid:x-hdrl-function", ["x-hdrl-function: two words", *OK_HEADERS]),
    ("function id of 200 bytes", "invalid:x-hdrl-function", ["x-hdrl-function: " + "f" * 200, *OK_HEADERS]),
    ("rps missing", "missing:x-hdrl-rps", [X, *REST]),
    ("memory missing", "missing:x-hdrl-mem-mb", [X, "x-hdrl-rps: 1", "x-hdrl-duration-ms: 120"]),
    ("duration missing", "missing:x-hdrl-duration-ms", [X, "x-hdrl-rps: 1", "x-hdrl-mem-mb: 300"]),
    *[(f"rps {bad!r}", "invalid:x-hdrl-rps", [X, f"x-hdrl-rps: {bad}", *REST])
      for bad in ["abc", "12 rps", "0x10", "", "1e", ".", "1,5", "--1", "1e+", "nan1"]],
    ("cpu 'high'", "invalid:x-hdrl-cpu", [X, *OK_HEADERS, "x-hdrl-cpu: high"]),
    ("memory need '1 GB'", "invalid:x-hdrl-mem-need-mb", [X, *OK_HEADERS, "x-hdrl-mem-need-mb: 1 GB"]),
    ("x-hdrl-obs unknown field", "invalid:x-hdrl-obs", [X, *OK_HEADERS, "x-hdrl-obs: strategic_cost=1"]),
    ("x-hdrl-obs home region 300", "invalid:x-hdrl-obs", [X, *OK_HEADERS, "x-hdrl-obs: app_home_region=300"]),
    ("x-hdrl-obs trailing comma", "invalid:x-hdrl-obs", [X, *OK_HEADERS, "x-hdrl-obs: app_sla_ms=5,"]),
    ("x-hdrl-obs item without '='", "invalid:x-hdrl-obs", [X, *OK_HEADERS, "x-hdrl-obs: app_sla_ms"]),
    ("rps nan", "non_finite_input:x-hdrl-rps", [X, "x-hdrl-rps: nan", *REST]),
    ("rps 1e999 (infinite)", "non_finite_input:x-hdrl-rps", [X, "x-hdrl-rps: 1e999", *REST]),
    ("rps -1", "out_of_range:x-hdrl-rps", [X, "x-hdrl-rps: -1", *REST]),
    ("memory -5", "out_of_range:x-hdrl-mem-mb", [X, "x-hdrl-rps: 1", "x-hdrl-mem-mb: -5", "x-hdrl-duration-ms: 120"]),
    ("duration -Infinity", "non_finite_input:x-hdrl-duration-ms",
     [X, "x-hdrl-rps: 1", "x-hdrl-mem-mb: 5", "x-hdrl-duration-ms: -Infinity"]),
    ("memory need -1", "out_of_range:x-hdrl-mem-need-mb", [X, *OK_HEADERS, "x-hdrl-mem-need-mb: -1"]),
    ("cpu -inf", "non_finite_input:x-hdrl-cpu", [X, *OK_HEADERS, "x-hdrl-cpu: -inf"]),
    ("inflight -2", "out_of_range:x-hdrl-inflight", [X, *OK_HEADERS, "x-hdrl-inflight: -2"]),
    ("hour NaN", "non_finite_input:x-hdrl-hour", [X, "x-hdrl-rps: 1", *REST, "x-hdrl-hour: NaN"]),
    ("x-hdrl-obs negative cost", "out_of_range:x-hdrl-obs.strategic_cost_usd_per_m",
     [X, *OK_HEADERS, "x-hdrl-obs: strategic_cost_usd_per_m=-1"]),
    ("x-hdrl-obs sets the memory need to NaN", "non_finite_input:x-hdrl-obs.app_memory_need_mb",
     [X, *OK_HEADERS, "x-hdrl-obs: app_memory_need_mb=nan"]),
]


def check_mapping(ref, bundle):
    """hdrl_ref --obs against the header table of examples/reference/README.md."""
    import time
    reqs = [
        ["x-hdrl-function: m", "x-hdrl-rps: 11", "x-hdrl-mem-mb: 22", "x-hdrl-duration-ms: 33",
         "x-hdrl-cpu: 0.5", "x-hdrl-inflight: 55", "x-hdrl-hour: 6.5", "x-hdrl-mem-need-mb: 77",
         "x-hdrl-obs: strategic_cost_usd_per_m=1.5,app_home_region=2,tactical_latency_ms=99,step_cpu_util=0.25"],
        ["x-hdrl-function: m", "x-hdrl-rps: 11", "x-hdrl-mem-mb: 22", "x-hdrl-duration-ms: 33"],
    ]
    readme = [
        {"step_request_rate": 11, "tactical_request_rate": 11, "step_memory_used_mb": 22,
         "tactical_memory_used_mb": 22, "app_memory_need_mb": 77, "app_mean_duration_ms": 33,
         "step_cpu_util": 0.25, "tactical_cpu_util": 0.5, "step_queue_depth": 55,
         "tactical_queue_depth": 55, "step_hour_of_day": 6.5, "strategic_cost_usd_per_m": 1.5,
         "app_home_region": 2, "tactical_latency_ms": 99},
        {"step_request_rate": 11, "tactical_request_rate": 11, "step_memory_used_mb": 22,
         "tactical_memory_used_mb": 22, "app_memory_need_mb": 22, "app_mean_duration_ms": 33},
    ]
    out = subprocess.run([ref, "--obs", bundle], input="".join("\t".join(r) + "\n" for r in reqs),
                         capture_output=True, text=True, timeout=60).stdout.splitlines()
    now = (time.time() % 86400) / 3600
    problems = []
    for n, (line_, want) in enumerate(zip(out, readme)):
        got = {k: float(v) for k, v in json.loads(line_).items() if k != "function_len"}
        if n == 1:  # no x-hdrl-hour: the clock
            hour = got.pop("step_hour_of_day")
            if abs(hour - now) > 0.05 and abs(abs(hour - now) - 24) > 0.05:
                problems.append(f"default hour {hour} is not the UTC clock {now:.3f}")
        for k, v in got.items():
            if v != want.get(k, 0):
                problems.append(f"request {n}: {k} = {v}, README says {want.get(k, 0)}")
    if len(out) != 2:
        problems.append(f"hdrl_ref --obs printed {len(out)} lines")
    if problems:
        print("FAIL header -> observation mapping: " + "; ".join(problems[:5]))
    else:
        print("ok   header -> observation mapping of hdrl_http.h (hdrl_ref --obs) is the README's table, "
              "defaults and the clock hour included")


def write_spots(out):
    with open(out, "w") as fh, open(out + ".want", "w") as want:
        for label, status, hdrs in SPOTS:
            fh.write("\t".join(hdrs) + "\n")
            want.write(f"{status}\t{label}\n")
    print(f"wrote {len(SPOTS)} spot checks to {out}")


def write_requests(out, overflow, prefix=""):
    rng = random.Random(20250505)
    rows = []
    if overflow:
        for i in range(overflow):
            rows.append([("x-hdrl-function", f"{prefix}fn-{i:05d}"), ("x-hdrl-rps", fmt(1 + i % 50)),
                         ("x-hdrl-mem-mb", "256"), ("x-hdrl-duration-ms", "80"),
                         ("x-hdrl-hour", "12")])
        rows.append(rows[0])
        rows.append(rows[overflow - 1])
    else:
        funcs = []
        for profile in ["aws", "azure", "gcp"]:
            for k in range(2):
                funcs.append({"id": f"{prefix}{profile}-fn-{k}", "profile": profile, "rps": rng.uniform(1, 400),
                              "mem": rng.choice([0, 200, 900, 2500]) + rng.uniform(50, 120),
                              "dur": rng.uniform(5, 900), "hour": rng.uniform(0, 24), "step": 0})
        schedule = [f for f in funcs for _ in range(16)]
        rng.shuffle(schedule)
        bad_values = [("x-hdrl-rps", "nan"), ("x-hdrl-rps", "-1"), ("x-hdrl-mem-mb", "-0.5"),
                      ("x-hdrl-cpu", "inf"), ("x-hdrl-inflight", "-3"), ("x-hdrl-hour", "NaN"),
                      ("x-hdrl-duration-ms", "1e999"), ("x-hdrl-rps", "12 rps"),
                      ("x-hdrl-mem-mb", "0x10"), ("x-hdrl-duration-ms", None),
                      ("x-hdrl-obs", "strategic_cost_usd_per_m=-5"),
                      ("x-hdrl-obs", "no_such_field=1"), ("x-hdrl-obs", "app_home_region=-1")]
        for n, f in enumerate(schedule):
            f["rps"] = max(0.0, f["rps"] * rng.uniform(0.7, 1.4) + rng.uniform(-5, 5))
            f["hour"] = (f["hour"] + 15 / 3600) % 24
            hdrs = [("x-hdrl-function", f["id"]), ("x-hdrl-rps", fmt(f["rps"])),
                    ("x-hdrl-mem-mb", fmt(f["mem"] * rng.uniform(0.9, 1.1))),
                    ("x-hdrl-duration-ms", fmt(f["dur"] * rng.uniform(0.8, 1.2))),
                    ("x-hdrl-cpu", fmt(rng.uniform(0, 1))), ("x-hdrl-inflight", fmt(rng.randint(0, 40))),
                    ("x-hdrl-hour", fmt(f["hour"])), ("x-hdrl-obs", PROFILES[f["profile"]])]
            if rng.random() < 0.3:
                hdrs.append(("x-hdrl-mem-need-mb", fmt(rng.uniform(100, 3000))))
            if n % 3 == 0:  # the gateway must overwrite what a client claims
                hdrs += [("x-hdrl-provider", "gcp" if f["profile"] != "gcp" else "aws"),
                         ("x-hdrl-steps", "99"), ("x-hdrl-forecast", "1 2 3 model"),
                         ("x-hdrl-status", "ok")]
            rows.append(hdrs)
            if n % 4 == 1:  # a bad request for the same function, state must not move
                name, value = bad_values[(n // 4) % len(bad_values)]
                bad = [(k, v) for k, v in hdrs if k != name]
                if value is not None:
                    bad.append((name, value))
                rows.append(bad)
    with open(out, "w") as fh:
        for r in rows:
            fh.write(line(r) + "\n")
    print(f"wrote {len(rows)} requests to {out}")


def parse_headers(path):
    """Last response's headers (curl -D may hold a 100-continue block first)."""
    blocks = open(path, encoding="latin-1", newline="").read().split("\r\n\r\n")
    blocks = [b for b in blocks if b.strip()]
    hdrs = {}
    lines = blocks[-1].split("\r\n") if blocks else []
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
    return (lines[0] if lines else ""), hdrs


def from_headers(h):
    """The decision as x-hdrl-* headers carry it, in hdrl_ref's JSON shape."""
    def one(name):
        v = h.get(name)
        return v[0] if v and len(v) == 1 else (None if not v else v)
    d = {"provider": one("x-hdrl-provider"), "region": one("x-hdrl-region"),
         "memory_mb": one("x-hdrl-memory-mb"), "concurrency": one("x-hdrl-concurrency"),
         "steps": one("x-hdrl-steps"), "forecast": one("x-hdrl-forecast"), "status": one("x-hdrl-status")}
    for k in ("memory_mb", "concurrency", "steps"):
        if isinstance(d[k], str) and d[k].isdigit():
            d[k] = int(d[k])
    return d


def curl_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def compare(args):
    reqs = [ln.rstrip("\n") for ln in open(args.requests)]
    ref = subprocess.run([args.ref, args.bundle], stdin=open(args.requests), capture_output=True,
                         text=True, timeout=120)
    if ref.returncode != 0:
        print(f"FAIL hdrl_ref exited {ref.returncode}: {ref.stderr.strip()}")
        return
    want = [json.loads(x) for x in ref.stdout.splitlines()]
    if len(want) != len(reqs):
        print(f"FAIL hdrl_ref printed {len(want)} decisions for {len(reqs)} requests")
        return
    tmp = tempfile.mkdtemp(prefix="hdrl-parity.", dir=args.work)
    cfg = os.path.join(tmp, "curl.cfg")
    with open(cfg, "w") as fh:
        for i, r in enumerate(reqs):
            if i:
                fh.write("next\n")
            fh.write(f"url = {curl_quote(args.url)}\n")
            fh.write(f'output = "{tmp}/{i}.body"\ndump-header = "{tmp}/{i}.hdr"\n')
            fh.write('silent\nshow-error\nmax-time = 10\nwrite-out = "%{num_connects}\\n"\n')
            if args.post is not None:
                fh.write(f"data-binary = {curl_quote(args.post)}\n")
            for item in filter(None, r.split("\t")):
                name, _, value = item.partition(": ")
                # curl drops "name:" with nothing after it; "name;" sends an empty value.
                fh.write(f"header = {curl_quote(item if value else name + ';')}\n")
    cp = subprocess.run(["curl", "-K", cfg], capture_output=True,
                        text=True, timeout=600)
    connects = sum(int(x) for x in cp.stdout.split() if x.isdigit())
    spots = None
    if args.spots:
        spots = [tuple(x.rstrip("\n").split("\t", 1)) for x in open(args.requests + ".want")]
    mismatches, checked, per_request = [], 0, {}
    providers, sources = set(), set()
    last_steps = {}
    for i, (r, w) in enumerate(zip(reqs, want)):
        try:
            status_line, hdrs = parse_headers(f"{tmp}/{i}.hdr")
            body = open(f"{tmp}/{i}.body", encoding="utf-8").read()
        except OSError as e:
            mismatches.append(f"#{i}: no response ({e})")
            continue
        problems = []
        if " 200" not in status_line:
            problems.append(f"HTTP status line {status_line!r}")
        if args.mode == "envoy":
            got = from_headers(hdrs)
            try:
                up = json.loads(body)
            except ValueError:
                up = {"provider": None, "headers": {}}
            if up.get("provider") != w["provider"]:
                problems.append(f"landed at upstream {up.get('provider')!r}")
            seen = from_headers({k: [v] for k, v in up.get("headers", {}).items()})
            if seen != w:
                problems.append(f"upstream saw {seen}")
        else:
            try:
                got = json.loads(body)
            except ValueError:
                got = {"body": body[:200]}
            got = {k: got.get(k) for k in FIELDS}
        if got != w:
            problems.append(f"gateway {got}")
        fn = dict(x.split(": ", 1) for x in r.split("\t") if ": " in x).get("x-hdrl-function")
        if w["steps"] is not None and fn is not None:
            prev = last_steps.get(fn, 0)
            if w["status"] == "ok" and w["steps"] != min(prev + 1, 12):
                problems.append(f"steps {w['steps']} after {prev}")
            last_steps[fn] = w["steps"]
        if w["status"] == "ok":
            providers.add(w["provider"])
            sources.add(w["forecast"].split()[-1])
        checked += 1
        if problems:
            mismatches.append(f"#{i} want {w}: " + "; ".join(problems))
            per_request[i] = "; ".join(problems)
    n_bad = sum(1 for w in want if not w["status"].startswith("ok"))
    label = f"{args.mode} parity ({os.path.basename(args.requests)})"
    if spots is not None:  # one line per spot check: the documented status, then parity
        for i, ((want_status, name), w) in enumerate(zip(spots, want)):
            if w["status"] != want_status:
                print(f"FAIL {name}: hdrl_ref says status {w['status']!r}, the contract says {want_status!r}")
            elif i in per_request:
                print(f"FAIL {name}: want {w}: {per_request[i]}")
            else:
                print(f"ok   {name}: {w['provider']} {w['region']} {w['memory_mb']} MB x{w['concurrency']} "
                      f"({w['status']}), as hdrl_ref")
        return
    if mismatches:
        print(f"FAIL {label}: {len(mismatches)} of {len(reqs)} requests differ from hdrl_ref:")
        for m in mismatches[:5]:
            print(f"       {m}")
    else:
        print(f"ok   {label}: {checked} requests in order over {connects} connection(s), every "
              f"decision equals hdrl_ref's ({len(reqs) - n_bad} decided, {n_bad} default with a status)")
    if args.expect_providers:
        want_p = set(args.expect_providers.split(","))
        if want_p <= providers:
            print(f"ok   {label}: providers decided: {', '.join(sorted(providers))}")
        else:
            print(f"FAIL {label}: providers decided {sorted(providers)}, want at least {sorted(want_p)}")
    if args.expect_model_forecasts:
        if "model" in sources and "warming_up" in sources:
            print(f"ok   {label}: forecasts from 'warming_up' and, once a window holds 12 steps, 'model'")
        else:
            print(f"FAIL {label}: forecast sources seen: {sorted(sources)}")
    if args.expect_statuses:
        got_s = {w["status"] for w in want}
        missing = [s for s in args.expect_statuses.split(",") if s not in got_s]
        if missing:
            print(f"FAIL {label}: statuses never produced: {missing}")
        else:
            print(f"ok   {label}: statuses include {args.expect_statuses}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("requests")
    g.add_argument("out")
    g.add_argument("--overflow", type=int, default=0)
    g.add_argument("--prefix", default="", help="prepended to every function id")
    sp = sub.add_parser("spots")
    sp.add_argument("out")
    mp = sub.add_parser("mapping")
    mp.add_argument("--ref", required=True)
    mp.add_argument("--bundle", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--mode", choices=["envoy", "nginx"], required=True)
    c.add_argument("--url", required=True)
    c.add_argument("--ref", required=True)
    c.add_argument("--bundle", required=True)
    c.add_argument("--work", default=None)
    c.add_argument("--expect-providers", default="")
    c.add_argument("--expect-model-forecasts", action="store_true")
    c.add_argument("--expect-statuses", default="")
    c.add_argument("--spots", action="store_true",
                   help="REQUESTS is a spot-check file from `spots` (with its .want beside it)")
    c.add_argument("--post", default=None, help="send this body with every request (POST)")
    c.add_argument("requests")
    args = ap.parse_args()
    if args.cmd == "requests":
        write_requests(args.out, args.overflow, args.prefix)
    elif args.cmd == "spots":
        write_spots(args.out)
    elif args.cmd == "mapping":
        check_mapping(args.ref, args.bundle)
    else:
        compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
