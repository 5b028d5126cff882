"""Rebuild docs/learn/diffaugment/ from scratch: the birds sample trained twice with gan_core's CLI, identical except
DiffAugment off and on, one run after the other. Keeps per-epoch curves, a few grids and the exact commands.

    python3 scripts/make_diffaugment_demo.py                      # both runs, then the folder
    python3 scripts/make_diffaugment_demo.py --reuse              # only rebuild the folder from runs already there

The Learn page reads the folder (gan_ui/learn_view.py); tests/test_app_pages.py checks its claims against the
committed curves. TensorFlow on a CPU is not bit-for-bit repeatable: a rebuild gives close, not identical, curves.
The committed folder was made with the `fast` preset as it was at commit 726c276, before its retune (8d6c06c);
a rebuild today trains the retuned preset (see demo.json's "code_version").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BIRDS = "../shared/datasets/birds"
# The fast recipe with D learning five times faster than G (1e-3 against 2e-4): a strong discriminator, the
# setting where a small dataset hurts. With the recipe's own 2e-4 for both, 100 epochs without augmentation
# ended with D at 43% on real photos: G kept up and there was nothing to show.
RECIPE = ["--preset", "fast", "--dataset", BIRDS, "--image-size", "32", "--batch", "32", "--d-lr", "0.001",
          "--seed", "0"]
EPOCHS = 80  # about 7 minutes per run on a busy 2-core CPU
SHOWN = (10, 20, 40, 80)  # the epochs whose grids the page shows side by side
GRID_ROWS = 4  # 32 of the grid's 64 fixed-seed samples: noisy images compress badly, the folder stays under 1 MB
RUNS = {"without": "--no-diff-augment", "with": "--diff-augment"}
CURVES = ("g_loss", "d_loss", "d_acc_real", "d_acc_fake", "diversity", "seconds")


def command(name: str, epochs: int, work: Path) -> list[str]:
    """The CLI call for one run, as run from the repository root (paths inside it written relative to it)."""
    out = work / name
    if out.resolve().is_relative_to(ROOT):
        out = out.resolve().relative_to(ROOT)
    return ["python3", "-m", "gan_core", "train", *RECIPE, "--epochs", str(epochs), RUNS[name], "--out", str(out)]


def hardware() -> dict:
    """The machine the runs trained on: CPU model, cores, GPUs (the engine uses a GPU when TensorFlow sees one)."""
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = []
    if shutil.which("nvidia-smi"):
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
        gpus = [line.split(":", 1)[1].split("(")[0].strip() for line in listed.stdout.splitlines() if ":" in line]
    text = f"{cpu}, {cores} cores, " + (", ".join(gpus) if gpus else "no GPU")
    return {"cpu": cpu, "cores": cores, "gpus": gpus, "text": text}


def epoch_records(run: Path) -> list[dict]:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [record for record in records if record.get("type") == "epoch"]


def small_grid(source: Path, target: Path, rows: int = GRID_ROWS) -> None:
    """The run's 8x8 grid is drawn at twice the size: keep its first rows at the images' own 32 px (2 px
    padding, 34 px a cell) so the folder stays small in the repository."""
    with Image.open(source) as image:
        half = image.convert("RGB").resize((image.width // 2, image.height // 2), Image.NEAREST)
    half.crop((0, 0, half.width, 2 + rows * 34)).save(target, optimize=True)


def build_folder(work: Path, out: Path, epochs: int, timings: dict, commands: dict, load: dict) -> None:
    shown = [epoch for epoch in SHOWN if epoch <= epochs]
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for name in RUNS:
        run, target = work / name, out / name
        records = epoch_records(run)
        if len(records) != epochs:
            sys.exit(f"{run} has {len(records)} epochs, expected {epochs}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        curves = {"epoch": [r["epoch"] for r in records]}
        curves.update({key: [round(float(r[key]), 4) if r.get(key) is not None else None for r in records]
                       for key in CURVES})
        (target / "curves.json").write_text(json.dumps(curves, indent=1) + "\n")
        for epoch in shown:
            small_grid(run / "grids" / f"epoch_{epoch:03d}.png", target / f"epoch_{epoch:03d}.png")
        config = json.loads((run / "config.json").read_text())
        summary[name] = {
            "command": " ".join(shlex.quote(part) for part in commands[name]),
            "diff_augment": config.get("diff_augment"),
            "wall_seconds": timings.get(name),
            "train_seconds": round(sum(r["seconds"] for r in records), 1),
            "load_average_at_start": load.get(name),
            "final": {key: round(float(records[-1][key]), 4) for key in ("d_acc_real", "d_acc_fake", "g_loss",
                                                                          "d_loss", "diversity")},
        }
    demo = {
        "what": "birds sample (416 photos, 32x32), trained twice: identical except DiffAugment off/on",
        "recipe": "fast preset, batch 32, D learning rate 1e-3 (G keeps the preset's 2e-4), seed 0",
        "dataset": BIRDS, "images": 416, "epochs": epochs, "shown_epochs": shown,
        "made_by": "python3 scripts/make_diffaugment_demo.py",
        "date": time.strftime("%Y-%m-%d"), "hardware": hardware(), "runs": summary,
    }
    (out / "demo.json").write_text(json.dumps(demo, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "diffaugment-demo", help="where the runs go")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "learn" / "diffaugment")
    parser.add_argument("--reuse", action="store_true", help="use finished runs in --work (timings from its log)")
    args = parser.parse_args()
    log = args.work / "timings.json"
    commands = {name: command(name, args.epochs, args.work) for name in RUNS}
    if not args.reuse:
        timings, load = {}, {}
        for name in RUNS:  # one after the other: the two runs never share the CPU
            shutil.rmtree(args.work / name, ignore_errors=True)
            (args.work / name).parent.mkdir(parents=True, exist_ok=True)
            load[name] = round(os.getloadavg()[0], 2)
            print("$", " ".join(commands[name]), flush=True)
            started = time.monotonic()
            with open(args.work / f"{name}.log", "w") as output:  # Keras' progress bar: kept out of the terminal
                subprocess.run(commands[name], cwd=ROOT, check=True, stdout=output, stderr=subprocess.STDOUT,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            timings[name] = round(time.monotonic() - started, 1)
        log.write_text(json.dumps({"wall_seconds": timings, "load_average_at_start": load}))
    saved = json.loads(log.read_text()) if log.is_file() else {}
    build_folder(args.work, args.out, args.epochs, saved.get("wall_seconds", {}),
                 commands, saved.get("load_average_at_start", {}))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
