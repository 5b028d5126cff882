"""Load test: a class on one server. Most students are lean protocol clients (bench/load_protocol.py: one websocket
each, the `streamlit` package's own BackMsg/ForwardMsg classes), two or three are real headless Chromiums
(bench/load_browser.py) timing what a person sees. Every student follows the same lesson until the time is up:

1. Explorar: 3-6 moves of a latent slider z[i], 1-3 s apart. The live image is drawn in the browser
   (gan_ui/live_latent.js), which sends the point back once the sliders rest: protocol clients send that point after
   each move and time its rerun (the server's answer); browsers time the key press until the new picture is on the
   screen.
2. Datos: upload a zip of 20 tiny MNIST PNGs (protocol clients through the uploader's own HTTP route, browsers through
   the file input) and press "Preparar el conjunto".
3. Entrenar: `fast` on MNIST, 512 images, 10 epochs; wait in the queue as long as it takes, watch it until its first
   grid, press Detener.

The server is started here (sessions in a temporary folder, its log beside the JSON; traffic only to 127.0.0.1). The
two kinds of student run in worker processes of their own, so the CPU of the server, of the protocol clients and of
the browsers (Playwright's driver and Chromium included) is sampled apart, with the server's memory, every
`--sample-every` s. Errors: exceptions drawn on a page, websockets closed by the server, pages or images that do not
come, runs that fail, runs left active at the end, tracebacks in the server's log.

    nice -n 10 python3 -m bench.load_test --sessions 40 --browsers 3 --minutes 10
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.app_server import free_port, server_env, start_server, stop_server
from bench.load_common import percentile

SLIDER_BAR_MS = 300.0  # issue #17: browser slider p95
MEMORY_GROWTH_BAR = 0.10  # issue #17: server memory growth after warm-up


# --- the server ---------------------------------------------------------------------------------------------

def left_active(sessions_dir: Path, settle: float = 30.0) -> list[tuple[str, str]]:
    """Runs whose status.json still says queued, running or paused once every session has ended (after `settle`
    seconds for stops in progress to land)."""
    deadline = time.monotonic() + settle
    while True:
        active = []
        for status in sessions_dir.glob("*/runs/*/status.json"):
            try:
                state = json.loads(status.read_text()).get("state")
            except (OSError, ValueError):
                continue
            if state in ("queued", "running", "paused"):
                active.append((status.parent.name, state))
        if not active or time.monotonic() > deadline:
            return active
        time.sleep(1.0)


def server_tracebacks(log_path: Path) -> list[str]:
    """Every Python traceback in the server's log, as its first frame line and its last line."""
    lines = log_path.read_text(errors="replace").splitlines() if log_path.is_file() else []
    found = []
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            last = lines[end] if end < len(lines) else lines[end - 1]
            frames = [entry.strip() for entry in lines[index + 1:end] if entry.strip().startswith("File ")]
            found.append(f"{last.strip()}  [{frames[-1] if frames else 'no frame'}]")
    return found


def warm_up(url: str) -> float:
    """One unmeasured visit first: the server imports TensorFlow and loads the bundled generators."""
    import asyncio

    from bench.st_client import Page

    async def visit() -> None:
        page = Page(url, "lang=es")
        await page.open("explore")
        await page.close()

    started = time.monotonic()
    asyncio.run(asyncio.wait_for(visit(), 300))
    return round(time.monotonic() - started, 1)


# --- sampling ------------------------------------------------------------------------------------------------

def tree(pid: int) -> list:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def cpu_seconds(members: list) -> float:
    import psutil

    total = 0.0
    for member in members:
        try:
            times = member.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:  # a browser process that just exited
            pass
    return total


def sample(server, workers: dict, t0: float) -> dict:
    """One sample: the server's RSS and the CPU seconds so far of the server and of each kind of client."""
    import psutil

    members = tree(server.pid)
    rss = 0
    for member in members:
        try:
            rss += member.memory_info().rss
        except psutil.Error:
            pass
    row = {"t": round(time.time() - t0, 1), "rss_mb": round(rss / 2**20, 1), "load": round(os.getloadavg()[0], 2),
           "server_cpu_s": round(cpu_seconds(members), 2),
           "app_cpu_s": round(cpu_seconds(members[:1]), 2)}  # the app's own process; the rest: its training worker
    for name, process in workers.items():
        row[f"{name}_cpu_s"] = round(cpu_seconds(tree(process.pid)), 2)
    return row


def gc_census(folder: Path, t0: float) -> list[dict]:
    """What the app's cyclic garbage was made of, every 40 s (bench/gc_probe, --gc-census), t from t0."""
    rows = [json.loads(line) for path in sorted(folder.glob("census-*.jsonl"))
            for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        row["t"] = round(row["t"] - t0, 1)
    return rows


def gc_pauses(folder: Path, t0: float) -> dict[str, list[dict]]:
    """The full collections bench/gc_probe logged, per process of the server (the app, its worker), t from t0."""
    found = {}
    for path in sorted(folder.glob("gc-*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if rows:
            for row in rows:
                row["t"] = round(row["t"] - t0, 1)
            found[f"{rows[0]['process'] or 'python'} (pid {path.stem[3:]})"] = rows
    return found


# --- the figures ---------------------------------------------------------------------------------------------

def memory_levels(samples: list[dict], args) -> dict:
    """Warm-up level: the highest RSS in the minute after `--warmup` minutes (or the same share of a shorter run);
    end level: the highest RSS in the run's last minute (or share). Growth: end over warm-up."""
    total = args.minutes * 60.0
    window = min(60.0, total * 0.2)
    warm_from = min(args.warmup * 60.0, total * 0.4)
    warm = [s["rss_mb"] for s in samples if warm_from <= s["t"] < warm_from + window]
    end = [s["rss_mb"] for s in samples if total - window <= s["t"] <= total + 5]
    if not warm or not end:
        return {}
    warm_level, end_level = max(warm), max(end)
    return {"warmup_window_s": [warm_from, warm_from + window], "end_window_s": [total - window, total],
            "warmup_mb": warm_level, "end_mb": end_level, "growth": (end_level - warm_level) / warm_level,
            "peak_mb": max(s["rss_mb"] for s in samples), "start_mb": samples[0]["rss_mb"]}


def cores(samples: list[dict], who: str) -> list[tuple[float, float]]:
    """(t, cores used since the previous sample) for one process group."""
    key = f"{who}_cpu_s"
    rows = [s for s in samples if key in s]
    return [(b["t"], max(0.0, b[key] - a[key]) / (b["t"] - a["t"]))
            for a, b in itertools.pairwise(rows) if b["t"] > a["t"]]


def stats(values) -> dict:
    values = [v for v in values if v is not None]
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values, default=math.nan)}


def summarise(records: dict, samples: list[dict], tracebacks: list[str], left: list, args, counts: dict) -> dict:
    slider = records["slider"]
    trainings = records["trainings"]
    outcomes: dict[str, int] = {}
    for training in trainings:
        outcomes[training["outcome"] or "unfinished"] = outcomes.get(training["outcome"] or "unfinished", 0) + 1
    students = sorted({t["session"] for t in trainings} | set(range(args.sessions)))
    with_grid = {t["session"] for t in trainings if t["first_grid_s"] is not None}
    started = {t["session"] for t in trainings if t["queue_wait_s"] is not None or t["first_grid_s"] is not None}
    errors = len(records["errors"]) + len(tracebacks) + len(left)
    memory = memory_levels(samples, args)
    browser_ms = [s["loaded_ms"] for s in slider if s["client"] == "browser"]
    duration = samples[-1]["t"] - samples[0]["t"] if len(samples) > 1 else math.nan
    cpu = {}
    for who in ("server", "app", "protocol", "browser"):
        series = cores(samples, who)
        if series:
            used = samples[-1][f"{who}_cpu_s"] - samples[0][f"{who}_cpu_s"]
            cpu[who] = {"cores": used / duration, "max_cores_30s": max(c for _, c in series)}
    for who in ("protocol", "browser"):
        if who in cpu and counts[who]:
            cpu[who]["per_session_cores"] = cpu[who]["cores"] / counts[who]
    return {
        "sessions": args.sessions, "protocol_sessions": counts["protocol"], "browser_sessions": counts["browser"],
        "minutes": args.minutes, "slots": counts["slots"],
        "slider_server_ms": stats(s["server_ms"] for s in slider if s["client"] == "protocol"),
        "slider_browser_ms": stats(browser_ms),
        "slider_browser_src_ms": stats(s["src_ms"] for s in slider if s["client"] == "browser"),
        "page_switch_ms": stats(n["ms"] for n in records["navigation"] if not n["to"].startswith("load ")),
        "uploads": {"n": len(records["uploads"]),
                    "ok": sum(u["outcome"] in ("created", "already") for u in records["uploads"]),
                    "upload_s": stats(u["upload_s"] for u in records["uploads"]),
                    "create_s": stats(u["create_s"] for u in records["uploads"])},
        "trainings": {"pressed": len(trainings), **outcomes},
        "queue_wait_s": stats(t["queue_wait_s"] for t in trainings),
        "first_grid_s": stats(t["first_grid_s"] for t in trainings),
        "stop_s": stats(t["stop_s"] for t in trainings),
        "students_started": len(started), "students_with_grid": len(with_grid),
        "students_without_grid": [s for s in students if s not in with_grid],
        "errors": errors, "memory": memory, "cpu": cpu,
        "load_average_median": statistics.median(s["load"] for s in samples) if samples else math.nan,
        "pass": {"errors": errors == 0,
                 "slider": bool(browser_ms) and percentile(browser_ms, 95) <= SLIDER_BAR_MS,
                 "memory": bool(memory) and memory["growth"] < MEMORY_GROWTH_BAR,
                 "every_student_grid": len(with_grid) == args.sessions},
    }


def report(s: dict, records: dict, samples: list[dict], tracebacks: list[str], left: list, args) -> None:
    def row(label, figure, unit=" ms", digits=0):
        return (f"| {label} | {figure['n']} | {figure['p50']:.{digits}f}{unit} | {figure['p95']:.{digits}f}{unit} | "
                f"{figure['max']:.{digits}f}{unit} |")

    print()
    print(f"{s['sessions']} sessions ({s['protocol_sessions']} protocol clients, {s['browser_sessions']} Chromium) for "
          f"{s['minutes']:g} min; {s['slots']} training slot(s); median load average {s['load_average_median']:.1f}")
    print()
    print("| figure | n | p50 | p95 | max |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(row("slider at rest -> its point kept, server (the component's state -> rerun finished, protocol)",
              s["slider_server_ms"]))
    print(row("slider -> new image on screen, in Chromium (key press -> next frame)", s["slider_browser_ms"]))
    print(row("slider -> new image drawn, in Chromium (key press -> canvas painted)", s["slider_browser_src_ms"]))
    print(row("page switch (sidebar)", s["page_switch_ms"]))
    print(row("upload: zip sent and listed", s["uploads"]["upload_s"], " s", 2))
    print(row("upload: Preparar -> dataset made", s["uploads"]["create_s"], " s", 2))
    print(row("Entrenar -> running (queue wait)", s["queue_wait_s"], " s", 1))
    print(row("Entrenar -> first grid shown", s["first_grid_s"], " s", 1))
    print(row("Detener -> stopped", s["stop_s"], " s", 1))
    print()
    t = s["trainings"]
    print(f"trainings: {t['pressed']} pressed (" + ", ".join(f"{k} {v}" for k, v in t.items() if k != "pressed")
          + f"); students whose training started: {s['students_started']}/{s['sessions']}, with a first grid: "
          f"{s['students_with_grid']}/{s['sessions']}" + (f" (none: {s['students_without_grid']})"
                                                          if s["students_without_grid"] else ""))
    print(f"uploads: {s['uploads']['ok']}/{s['uploads']['n']} made a dataset")
    kinds: dict[str, int] = {}
    for error in records["errors"]:
        kinds[f"{error['client']} {error['kind']}"] = kinds.get(f"{error['client']} {error['kind']}", 0) + 1
    if tracebacks:
        kinds["server traceback"] = len(tracebacks)
    if left:
        kinds["left active"] = len(left)
    print(f"errors: {s['errors']}" + (" (" + ", ".join(f"{k} {v}" for k, v in kinds.items()) + ")" if kinds else ""))
    for error in records["errors"][:12]:
        print(f"  [{error['t']:7.1f} s] {error['client']} {error['session']}: {error['kind']}: {error['text'][:220]}")
    for line in tracebacks[:8]:
        print(f"  server traceback: {line[:300]}")
    m = s["memory"]
    if m:
        print(f"server memory (RSS, streamlit and children): start {m['start_mb']:.0f} MB, warm-up level (max over "
              f"{m['warmup_window_s'][0]:.0f}-{m['warmup_window_s'][1]:.0f} s) {m['warmup_mb']:.0f} MB, end level "
              f"(max over {m['end_window_s'][0]:.0f}-{m['end_window_s'][1]:.0f} s) {m['end_mb']:.0f} MB: growth "
              f"{m['growth']:+.1%}; peak {m['peak_mb']:.0f} MB")
    c = s["cpu"]
    parts = [f"{who} {c[who]['cores']:.2f} (peak {c[who]['max_cores_30s']:.2f})" for who in c]
    print(f"CPU, cores on average over the run (of {os.cpu_count()}): " + ", ".join(parts)
          + " (server: streamlit and its training worker; app: streamlit's own process)")
    for who in ("protocol", "browser"):
        if who in c and "per_session_cores" in c[who]:
            print(f"  one {who} session: {c[who]['per_session_cores']:.4f} cores")
    if "protocol" in c and "browser" in c and c["protocol"].get("per_session_cores"):
        print(f"  one Chromium session costs {c['browser']['per_session_cores'] / c['protocol']['per_session_cores']:.0f}x "
              "the CPU of one protocol client")
    step = max(1, round(30.0 / args.sample_every))
    print("over time (t s: server RSS MB, server / protocol / browser cores, load):")
    series = {who: dict(cores(samples, who)) for who in ("server", "protocol", "browser")}
    for sample_row in samples[::step]:
        t_s = sample_row["t"]
        used = " / ".join(f"{series[who].get(t_s, 0.0):.2f}" for who in ("server", "protocol", "browser"))
        print(f"  {t_s:6.0f}: {sample_row['rss_mb']:6.0f} MB, {used}, load {sample_row['load']:.1f}")
    passed = s["pass"]
    verdict = "PASS" if all(passed.values()) else "FAIL"
    growth = f"{m['growth']:+.1%}" if m else "n/a"
    print(f"verdict vs issue #17: {verdict} (errors {s['errors']} == 0: {'yes' if passed['errors'] else 'no'}; "
          f"browser slider p95 {s['slider_browser_ms']['p95']:.0f} ms <= {SLIDER_BAR_MS:.0f}: "
          f"{'yes' if passed['slider'] else 'no'}; memory growth {growth} < {MEMORY_GROWTH_BAR:.0%}: "
          f"{'yes' if passed['memory'] else 'no'}; every student a grid: "
          f"{'yes' if passed['every_student_grid'] else 'no'})", flush=True)


# --- the whole run -------------------------------------------------------------------------------------------

def main() -> None:
    # A `kill` (SIGTERM) ends the run as Ctrl-C does: through the `finally` below, which ends the clients and the server
    # (else they went on, writing into the killed run's report file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=40, help="students in all (default 40)")
    parser.add_argument("--browsers", type=int, default=3, help="of them, real Chromium sessions (default 3)")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long they work (default 10)")
    parser.add_argument("--ramp", type=float, default=None, help="seconds over which students join (default 1.5 s "
                                                                  "each, at most 60)")
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the memory warm-up window")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--train-in", choices=("worker", "thread"), default="worker",
                        help="where the server trains: its worker process (default, as a class's server) or its threads")
    parser.add_argument("--gallery", action="store_true",
                        help="every student also keeps the class gallery open in a second tab, and shares its first run")
    parser.add_argument("--gc-log", action="store_true",
                        help="log the server's full garbage collections (bench/gc_probe) and report their pauses")
    parser.add_argument("--gc-census", action="store_true",
                        help="also count, every 40 s, what the app's cyclic garbage is made of (bench/gc_probe; "
                             "it adds collections of its own: not for a timed run)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON with every raw record (default /tmp/gan-load-<time>.json; the server's log beside it)")
    args = parser.parse_args()
    args.browsers = min(args.browsers, args.sessions)
    args.ramp = min(60.0, 1.5 * args.sessions) if args.ramp is None else args.ramp
    out = args.out or Path(tempfile.gettempdir()) / f"gan-load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    log_path = out.with_suffix(".server.log")

    from bench.common import header
    from bench.load_common import page_texts, write_zips

    header(f"Load test: {args.sessions} sessions ({args.sessions - args.browsers} protocol clients, {args.browsers} "
           f"Chromium) for {args.minutes:g} min" + (", the gallery open in every one" if args.gallery else ""))
    work = Path(tempfile.mkdtemp(prefix="gan-load-"))
    sessions_dir = work / "sessions"
    env = server_env(sessions_dir, args.train_in)
    os.environ.update({k: v for k, v in env.items() if k.startswith("GAN_")})
    if args.gc_census:
        args.gc_log = True
        env.update(GAN_GC_CENSUS="1")
    if args.gc_log:  # the probe is imported by the server's processes only (sitecustomize on their PYTHONPATH)
        (work / "gc").mkdir()
        env.update(GAN_GC_LOG=str(work / "gc"), PYTHONPATH=os.pathsep.join(
            filter(None, [str(Path(__file__).resolve().parent / "gc_probe"), env.get("PYTHONPATH")])))
    from gan_core.server.scheduler import default_slots, default_turn

    counts = {"slots": default_slots(), "browser": args.browsers, "protocol": args.sessions - args.browsers}
    write_zips(work / "zips", args.sessions)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"server: streamlit run app.py on {url}; runs train in its {args.train_in}; {counts['slots']} training slot(s), turns {default_turn()} "
          f"(s, epochs); log in {log_path}", flush=True)
    server = start_server(port, env, log_path)
    samples: list[dict] = []
    records = {name: [] for name in ("slider", "navigation", "uploads", "trainings", "errors")}
    workers: dict[str, subprocess.Popen] = {}
    try:
        print(f"first explorer page after start: {warm_up(url)} s", flush=True)
        # Browsers spread among the protocol clients, all joining over the ramp.
        browsers = {round((i + 0.5) * args.sessions / args.browsers) for i in range(args.browsers)}
        t0 = time.time() + 5.0  # the workers' start-up (Chromium's launch) happens before it
        starts = {str(i): t0 + i * args.ramp / max(args.sessions - 1, 1) for i in range(args.sessions)}
        plan = {"url": url, "t0": t0, "deadline": t0 + args.minutes * 60.0, "starts": starts,
                "texts": page_texts(), "zips": str(work / "zips"),
                "evidence": str(out.with_suffix(".evidence")), "gallery": args.gallery}  # browsers' screenshots of a failed step
        for name, members in (("protocol", [i for i in range(args.sessions) if i not in browsers]),
                              ("browser", sorted(browsers))):
            if not members:
                continue
            plan_path = work / f"plan_{name}.json"
            plan_path.write_text(json.dumps({**plan, "sessions": members}))
            workers[name] = subprocess.Popen([sys.executable, "-m", f"bench.load_{name}", str(plan_path),
                                              str(work / f"out_{name}.json")], cwd=Path(__file__).resolve().parents[1])
        time.sleep(max(0.0, t0 - time.time()))
        next_print = t0 + 60
        while any(worker.poll() is None for worker in workers.values()):
            if server.poll() is not None:
                records["errors"].append({"t": round(time.time() - t0, 1), "session": -1, "client": "server",
                                          "kind": "server", "text": f"streamlit exited with {server.returncode}"})
                break
            samples.append(sample(server, workers, t0))
            if time.time() >= next_print:
                last = samples[-1]
                print(f"  [{last['t']:5.0f} s] server {last['rss_mb']:.0f} MB, load {last['load']:.1f}", flush=True)
                next_print += 60
            time.sleep(args.sample_every)
        for worker in workers.values():
            worker.wait()
        left = left_active(sessions_dir)
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.terminate()
        stop_server(server)
    for name in workers:
        path = work / f"out_{name}.json"
        if path.is_file():
            for kind, rows in json.loads(path.read_text()).items():
                records[kind].extend(rows)
    collections = gc_pauses(work / "gc", t0) if args.gc_log else {}
    census = gc_census(work / "gc", t0) if args.gc_census else []
    shutil.rmtree(work, ignore_errors=True)
    samples = [s for s in samples if s["t"] <= args.minutes * 60.0 + args.sample_every]
    for run_id, state in left:
        records["errors"].append({"t": None, "session": -1, "client": "server", "kind": "left active",
                                  "text": f"run {run_id} still {state} after every session ended"})
    tracebacks = server_tracebacks(log_path)
    summary = summarise(records, samples, tracebacks, [], args, counts)
    report(summary, records, samples, tracebacks, [], args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                               "summary": summary, "server_tracebacks": tracebacks, "gc": collections, "gc_census": census, "samples": samples, **records},
                              indent=1, default=float))
    for process, rows in collections.items():
        pauses = [row["ms"] for row in rows]
        print(f"full garbage collections in {process}: {len(pauses)}"
              + (f", {sum(pauses) / 1000:.1f} s in all, p50 {statistics.median(pauses):.0f} ms, max {max(pauses):.0f} ms,"
                 f" objects frozen out of them {rows[-1].get('frozen', 0)}" if pauses else ""))
    for row in census:
        print(f"the app's cyclic garbage at {row['t']:.0f} s: {row['objects']} objects; most: "
              + ", ".join(f"{name} {count}" for name, count in row["types"][:6]))
    print(f"raw records: {out}; server log: {log_path}; screenshots of failed browser steps: {out.with_suffix('.evidence')}")


if __name__ == "__main__":
    main()
