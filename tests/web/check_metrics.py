#!/usr/bin/env python3
"""Checks a Prometheus text exposition (sluice's /metrics) with Prometheus's own parser.

Usage: check_metrics.py FILE [--require FAMILY ...]

Parses FILE with prometheus_client's text parser and checks the conventions sluice's
metrics promise: every family starts with sluice_; counters' samples and TYPE lines end in _total;
names use base units (no _ms, _milliseconds, _kb, _mb); labels come from a closed set (never ids); histograms have cumulative _bucket samples up
to le="+Inf", a _sum and a _count equal to the +Inf bucket. Prints "ok: ..." or each
problem, exit 1.
"""
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

ALLOWED_LABELS = {"topic", "partition", "stage", "kind", "dag", "state", "phase", "le", "version", "code", "sink",
                  "status", "source"}


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    required = []
    if "--require" in argv:
        i = argv.index("--require")
        required = argv[i + 1:]
        argv = argv[:i]
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    problems = []
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser's own error is the finding
        print(f"the exposition does not parse: {e}")
        return 1
    # The raw TYPE lines: the parser strips _total from counter family names.
    for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M):
        name, kind = m.group(1), m.group(2)
        if kind == "counter" and not name.endswith("_total"):
            problems.append(f"{name}: a counter's TYPE line must name it with _total")
        if re.search(r"_(ms|milliseconds|kb|mb|kilobytes|megabytes|minutes|hours)(_total|_bucket)?$", name):
            problems.append(f"{name}: not in base units (seconds, bytes)")
    samples = 0
    names = set()
    for fam in families:
        names.add(fam.name)
        if not fam.name.startswith("sluice_"):
            problems.append(f"{fam.name}: not prefixed sluice_")
        buckets = {}
        sums, counts = {}, {}
        for s in fam.samples:
            samples += 1
            bad = set(s.labels) - ALLOWED_LABELS
            if bad:
                problems.append(f"{s.name}: labels outside the closed set: {sorted(bad)}")
            if fam.type == "counter" and not (s.name.endswith("_total") or s.name.endswith("_created")):
                problems.append(f"{s.name}: a counter's sample must end in _total")
            if fam.type == "histogram":
                key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                if s.name.endswith("_bucket"):
                    buckets.setdefault(key, []).append((float(s.labels["le"]), s.value))
                elif s.name.endswith("_sum"):
                    sums[key] = s.value
                elif s.name.endswith("_count"):
                    counts[key] = s.value
        for key in set(sums) | set(counts):
            if key not in buckets:
                problems.append(f"{fam.name}{dict(key)}: a histogram with no _bucket samples")
        for key, bs in buckets.items():
            bs.sort()
            if not bs or not math.isinf(bs[-1][0]):
                problems.append(f"{fam.name}{dict(key)}: no le=\"+Inf\" bucket")
            if any(b[1] > c[1] for b, c in zip(bs, bs[1:])):
                problems.append(f"{fam.name}{dict(key)}: buckets are not cumulative")
            if key not in sums or key not in counts:
                problems.append(f"{fam.name}{dict(key)}: missing _sum or _count")
            elif bs and counts[key] != bs[-1][1]:
                problems.append(f"{fam.name}{dict(key)}: _count {counts[key]} != +Inf bucket {bs[-1][1]}")
    for r in required:
        base = r[:-len("_total")] if r.endswith("_total") else r
        if r not in names and base not in names:
            problems.append(f"{r}: required family absent")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {len(families)} families, {samples} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
