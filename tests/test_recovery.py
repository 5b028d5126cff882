"""A training process killed with SIGKILL loses at most one epoch: its run reopens stopped and resumes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gan_core import Run, RunState
from gan_core.server.scheduler import Scheduler

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_kill_9_then_resume_from_the_last_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gan_core", "train", "--preset", "fast", "--epochs", "4", "--batch", "32",
         "--max-images", str(32 * 30), "--out", str(run_dir)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        metrics = run_dir / "metrics.jsonl"
        # Wait until the first epoch's checkpoint exists and the second epoch is under way.
        while time.time() < deadline:
            if (run_dir / "checkpoints" / "epoch_001.npz").exists() and metrics.exists() and \
                    sum(1 for line in metrics.read_text().splitlines() if '"step"' in line) > 35:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the run never reached its second epoch")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert json.loads((run_dir / "status.json").read_text())["state"] == "running"  # what the dead process left

    run = Run.open(run_dir)
    snap = run.snapshot()
    assert snap.state == RunState.STOPPED, "an orphaned running run is resumable, not running"
    checkpoint_epoch = max(run.kept_epochs())
    assert checkpoint_epoch >= 1
    run.resume_training(scheduler=Scheduler(1))
    assert run.wait(240)
    final = run.snapshot()
    assert final.state == RunState.FINISHED, (final.message, final.traceback)
    assert final.steps["step"] == list(range(1, 4 * 30 + 1)), "steps from the checkpoint on, no gaps, no repeats"
    assert [e["epoch"] for e in final.epochs] == [1, 2, 3, 4]
    assert final.grid_epochs == [0, 1, 2, 3, 4]
