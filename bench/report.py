#!/usr/bin/env python3
"""Turns JMH's JSON results into bench/RESULTS.md: each benchmark against its baselines, with the
ratios the targets are stated in. Scores are the median over forks of each fork's mean."""
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone


def load(path):
    with open(path) as f:
        return json.load(f)


def median_of_forks(metric):
    raw = metric.get("rawData") or []
    means = [statistics.fmean(fork) for fork in raw if fork]
    return statistics.median(means) if means else metric["score"]


def index(results):
    scores, alloc, units = {}, {}, {}
    for r in results:
        name = r["benchmark"].rsplit(".", 2)
        key = (name[-2], name[-1], tuple(sorted((r.get("params") or {}).items())))
        scores[key] = median_of_forks(r["primaryMetric"])
        units[key] = r["primaryMetric"]["scoreUnit"]
        gc = (r.get("secondaryMetrics") or {}).get("·gc.alloc.rate.norm") or (r.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
        if gc:
            alloc[key] = gc["score"]
        for sec, m in (r.get("secondaryMetrics") or {}).items():
            if not sec.startswith("·") and not sec.startswith("gc"):
                k2 = (name[-2], name[-1] + ":" + sec, key[2])
                scores[k2] = median_of_forks(m)
                units[k2] = m["scoreUnit"]
    return scores, alloc, units


def get(scores, cls, method, **params):
    key = (cls, method, tuple(sorted((k, str(v)) for k, v in params.items())))
    return scores.get(key)


def ok(flag):
    return "met" if flag else "**missed**"


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def end_to_end(path, w, targets):
    """Section 9 from EndToEnd's JSON lines (one per round and mode): the median of the rounds."""
    if not path or not os.path.exists(path):
        return
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        return
    med = {}
    for mode in ("workload", "devices", "both"):
        picked = [r for r in rows if r["mode"] == mode]
        if picked:
            med[mode] = {k: statistics.median(r[k] for r in picked) for k in ("ops", "accesses", "faults", "retries")}
            med[mode]["violations"] = sum(r["violations"] for r in picked)
            med[mode]["rounds"] = len(picked)
    if len(med) < 3:
        return
    w("## 9. The whole machine: the workload and the three drivers' devices at once")
    w("")
    w("`org.mmunotifier.bench.EndToEnd` (run by `bench/run.sh`, not a JMH benchmark): the launcher's workload"
      " (2 threads, 4 processes, forks, seed 1) alone; the devices alone (KVM, RDMA and GRU attached to the same"
      " processes, one engine each, no primary operation); both at once. Each round measures the three in turn on a"
      " fresh machine in the same JVM (2 s warm-up, then the measurement); the table gives the median of the rounds,"
      " and the ratios are each round's, their median and range."
      " Accesses are the drivers' oracle-checked device accesses.")
    w("")
    w("| run | rounds | primary ops/s | device accesses/s | device faults/s | retries/s | violations |")
    w("|---|---|---|---|---|---|---|")
    names = {"workload": "workload alone", "devices": "devices alone", "both": "both at once"}
    for mode, m in med.items():
        w(f"| {names[mode]} | {m['rounds']} | {m['ops']:,.0f} | {m['accesses']:,.0f} | {m['faults']:,.0f}"
          f" | {m['retries']:,.0f} | {m['violations']} |")
    # Each round's both / alone, then their median: a round's three runs share the host's state of the moment.
    rounds = sorted({r["round"] for r in rows})
    by = {(r["round"], r["mode"]): r for r in rows}
    ops_r = [by[(n, "both")]["ops"] / by[(n, "workload")]["ops"] for n in rounds
             if (n, "both") in by and (n, "workload") in by and by[(n, "workload")]["ops"]]
    acc_r = [by[(n, "both")]["accesses"] / by[(n, "devices")]["accesses"] for n in rounds
             if (n, "both") in by and (n, "devices") in by and by[(n, "devices")]["accesses"]]
    ops = statistics.median(ops_r) if ops_r else 0
    acc = statistics.median(acc_r) if acc_r else 0
    w(f"| **both / alone, median of the rounds' ratios (range)** | | **{100 * ops:.0f} %** ({100 * min(ops_r):.0f}–{100 * max(ops_r):.0f} %)"
      f" | **{100 * acc:.0f} %** ({100 * min(acc_r):.0f}–{100 * max(acc_r):.0f} %) | | | |")
    w("")
    targets.append(("all three drivers attached: the primary at ≥25 % of the workload alone", f"{100 * ops:.0f} %",
                    ops >= 0.25))
    targets.append(("at the same time the devices at ≥25 % of the devices alone", f"{100 * acc:.0f} %", acc >= 0.25))
    both_met = [n for n in rounds if (n, "both") in by and (n, "workload") in by and (n, "devices") in by
                and by[(n, "workload")]["ops"] and by[(n, "devices")]["accesses"]
                and by[(n, "both")]["ops"] >= 0.25 * by[(n, "workload")]["ops"]
                and by[(n, "both")]["accesses"] >= 0.25 * by[(n, "devices")]["accesses"]]
    targets.append(("both at ≥25 % in the same round", f"{len(both_met)} of {len(ops_r)} rounds",
                    ops_r and len(both_met) == len(ops_r)))
    targets.append(("no coherence violation end to end", str(sum(m["violations"] for m in med.values())),
                    all(m["violations"] == 0 for m in med.values())))


def main(path, e2e_path=None):
    results = load(path)
    scores, alloc, _ = index(results)
    jvm = results[0].get("vmName", "?") + " " + results[0].get("vmVersion", "?") if results else "?"
    jdk = results[0].get("jdkVersion", "?") if results else "?"
    out = []
    w = out.append
    w("# Benchmark results")
    w("")
    w(f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {machine()}; JDK {jdk} ({jvm}).")
    w("Command: `bench/run.sh` (JMH 1.37, 2 forks, 3×1 s warm-up, 5×1 s measurement, `-prof gc`).")
    w("Scores are the median over forks of each fork's mean. Lower is better everywhere.")
    w("")

    w("## 1. Dispatch: `invalidateRangeStart` + `invalidateRangeEnd` over all notifiers (ns/op)")
    w("")
    w("Floor: the bare loop inside one read-side section of our `Srcu` (enter + exit, one StoreLoad fence),"
      " the least a dispatch can cost and still let `unregister` wait for its callbacks; floor + check: the same"
      " through a wrapper whose volatile state is read before each call, the least a dispatch can cost that never"
      " calls a dead registration (stricter than the kernel, which may call one until its grace period ends);"
      " bare + fence: the bare loop and one `VarHandle.fullFence()` alone.")
    w("")
    w("| notifiers | ours | bare array | floor: bare + section | floor + check | bare + fence | CopyOnWriteArrayList | RW lock + list | synchronized list | ServiceTracker | ours / bare | floor / bare | floor + check / bare | ours / floor | tracker / ours | ours / COWAL | ours alloc B/op |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    targets = []
    for n in (0, 1, 4, 16):
        o = get(scores, "DispatchBench", "ours", notifiers=n)
        b = get(scores, "DispatchBench", "bareArray", notifiers=n)
        c = get(scores, "DispatchBench", "copyOnWriteArrayList", notifiers=n)
        rw = get(scores, "DispatchBench", "readWriteLockList", notifiers=n)
        sy = get(scores, "DispatchBench", "synchronizedList", notifiers=n)
        st = get(scores, "DispatchBench", "serviceTracker", notifiers=n)
        if None in (o, b, c, rw, sy, st):
            continue
        fl = get(scores, "DispatchBench", "bareSection", notifiers=n)
        fe = get(scores, "DispatchBench", "bareFence", notifiers=n)
        ck = get(scores, "DispatchBench", "bareChecked", notifiers=n)
        a = alloc.get(("DispatchBench", "ours", (("notifiers", str(n)),)), float("nan"))
        floor_cols = (f"{fl:.2f} | {ck:.2f} | {fe:.2f} |" if fl and fe and ck else "– | – | – |")
        ratio_cols = (f"{fl / b:.2f}× | {ck / b:.2f}× | {o / fl:.2f}× |" if fl and ck else "– | – | – |")
        w(f"| {n} | {o:.2f} | {b:.2f} | {floor_cols} {c:.2f} | {rw:.2f} | {sy:.2f} | {st:.2f} | {o / b:.2f}× | {ratio_cols} {st / o:.1f}× | {o / c:.2f}× | {a:.1f} |")
        # The floor's own ratio to the bare loop, same run: above the target, the target is out of reach.
        floor_note = (f" (floor alone {fl / b:.2f}×, floor + check {ck / b:.2f}×)" if fl and ck
                      else f" (floor alone {fl / b:.2f}×)" if fl else "")
        if n == 0:
            targets.append((f"0 notifiers: within 1.5× of the bare loop", f"{o / b:.2f}×{floor_note}", o / b <= 1.5))
        else:
            targets.append((f"{n} notifiers: within 2× of the bare loop", f"{o / b:.2f}×{floor_note}", o / b <= 2))
            targets.append((f"{n} notifiers: ≥5× faster than ServiceTracker.getServices()", f"{st / o:.1f}×", st / o >= 5))
            targets.append((f"{n} notifiers: no slower than CopyOnWriteArrayList", f"{o / c:.2f}×", o <= c))
        targets.append((f"{n} notifiers: no allocation per dispatch", f"{a:.1f} B/op", a < 1))
    w("")

    w("## 2. Read-side section alone: enter + exit (ns/op per thread)")
    w("")
    w("| primitive | 1 thread | 2 threads at once | 2 threads / 1 thread |")
    w("|---|---|---|---|")
    for label, m in (("ours (per-thread slots)", "srcu"), ("ReentrantLock, uncontended", "lock"), ("AtomicLong counter", "atomicCounter")):
        one = get(scores, "ReadSideBench", m + "1")
        two = get(scores, "ReadSideBench", m + "2")
        if one and two:
            w(f"| {label} | {one:.2f} | {two:.2f} | {two / one:.2f}× |")
            if m == "srcu":
                targets.append(("read side on 2 threads: ≤ 2× the single-thread cost", f"{two / one:.2f}×", two / one <= 2))
    w("")

    w("## 3. Unregister latency: register + unregister, grace period included (ns/op)")
    w("")
    nr = get(scores, "UnregisterBench", "noReaders")
    wr = get(scores, "UnregisterBench", "withReader:registerUnregisterWhileReading")
    rd = get(scores, "UnregisterBench", "withReader:reader")
    w("| no readers | with a thread dispatching all the time | that thread's dispatch |")
    w("|---|---|---|")
    if nr and wr and rd:
        w(f"| {nr:.0f} | {wr:.0f} | {rd:.1f} |")
    w("")

    w("## 4. Sparse munmap: 1 000 mapped pages (µs/op)")
    w("")
    small = get(scores, "SparseMunmapBench", "munmap", span="4MiB")
    big = get(scores, "SparseMunmapBench", "munmap", span="1TiB")
    w("| 4 MiB range | 1 TiB range | 1 TiB / 4 MiB |")
    w("|---|---|---|")
    if small and big:
        w(f"| {small:.1f} | {big:.1f} | {big / small:.2f}× |")
        targets.append(("sparse munmap: 1 TiB within 2× of 4 MiB (same 1 000 pages)", f"{big / small:.2f}×", big / small <= 2))
    w("")

    w("## 5. Interval lookup: an invalidation hitting 10 intervals (ns/op)")
    w("")
    k = get(scores, "IntervalLookupBench", "invalidate", registered=1000)
    h = get(scores, "IntervalLookupBench", "invalidate", registered=100000)
    w("| 1 000 registered | 100 000 registered | ratio | log ratio (log 1e5 / log 1e3) |")
    w("|---|---|---|---|")
    if k and h:
        w(f"| {k:.1f} | {h:.1f} | {h / k:.2f}× | 1.67× |")
        targets.append(("interval lookup grows no faster than log n", f"{h / k:.2f}× vs 1.67×", h / k <= 5 / 3))
    w("")

    w("## 6. Workload: 20 000 operations, 2 threads, 3 processes (µs per 20 000 ops)")
    w("")
    none = get(scores, "WorkloadBench", "ops", drivers="none")
    all_ = get(scores, "WorkloadBench", "ops", drivers="all")
    w("| no drivers | KVM + RDMA + GRU attached to every process | overhead |")
    w("|---|---|---|")
    if none and all_:
        w(f"| {none:.0f} | {all_:.0f} | {100 * (all_ - none) / none:+.0f}% |")
    w("")

    w("## 7. Coherence oracle: cost per device access (ns/op)")
    w("")
    w("A read or a write of a resident page through a `DeviceAccess`. Raw: the same access with no checks;"
      " lenient: the rules before contracts; strict: the per-registration rules (the default). Quiet: the"
      " mm was never invalidated; busy: 2048 pte-changing invalidations elsewhere (twice the history a mm keeps), the measured pte stamped by one before the lookup.")
    w("")
    w("| state | raw | lenient | strict | lenient − raw | strict − raw | strict − lenient | strict / lenient"
      " | B/op raw / lenient / strict |")
    w("|---|---|---|---|---|---|---|---|---|")
    for state in ("quiet", "busy"):
        r = get(scores, "OracleBench", "access", state=state, oracle="raw")
        le = get(scores, "OracleBench", "access", state=state, oracle="lenient")
        st = get(scores, "OracleBench", "access", state=state, oracle="strict")
        if None in (r, le, st):
            continue
        b = [alloc.get(("OracleBench", "access", (("oracle", o), ("state", state))), float("nan"))
             for o in ("raw", "lenient", "strict")]
        w(f"| {state} | {r:.2f} | {le:.2f} | {st:.2f} | {le - r:.2f} | {st - r:.2f} | {st - le:.2f} | {st / le:.2f}×"
          f" | {b[0]:.2f} / {b[1]:.2f} / {b[2]:.2f} |")
    w("")

    w("## 8. Time to catch each planted bug (ms)")
    w("")
    w("The catalogue of the `mutants` module (README: \"The catalogue of planted bugs\"): each mutant hunted once per"
      " invocation (`Mode.SingleShotTime`), from the start of the workload until the kit reported it and the run wound"
      " down; for a bug only a stop shows, short runs ended by a stop, one after the other, until one showed it. The"
      " machine's making and closing are outside the measurement.")
    w("")
    w("| mutant | driver | hunts | median | mean | slowest |")
    w("|---|---|---|---|---|---|")
    slowest = None
    for r in results:
        if r["benchmark"].rsplit(".", 2)[-2] != "MutantCatchBench":
            continue
        mutant = (r.get("params") or {}).get("mutant", "?")
        times = [t for fork in r["primaryMetric"].get("rawData") or [] for t in fork]
        if not times:
            continue
        worst = max(times)
        slowest = worst if slowest is None else max(slowest, worst)
        w(f"| {mutant} | {mutant.split('_', 1)[0]} | {len(times)} | {statistics.median(times):.1f} |"
          f" {statistics.fmean(times):.1f} | {worst:.1f} |")
    if slowest is not None:
        targets.append(("every planted bug caught within 5 s", f"slowest hunt {slowest / 1000:.2f} s", slowest <= 5000))
    w("")

    end_to_end(e2e_path, w, targets)

    w("## Targets")
    w("")
    w("| target | measured | |")
    w("|---|---|---|")
    for t, m, f in targets:
        w(f"| {t} | {m} | {ok(f)} |")
    w("")
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
    if os.path.exists(notes):  # hand-written analysis, kept across runs
        with open(notes) as n:
            w(n.read().rstrip())
            w("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/target/results.json",
         sys.argv[2] if len(sys.argv) > 2 else "bench/target/endtoend.jsonl")
