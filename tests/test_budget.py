"""A run's clock (gan_core.training.budget.RunClock): time counts only while the run trains, the time bounds that end it
and the finish line they draw; and a run's status (Run.status, Run.take_status), the one record that status.json keeps
and that a mirror of a job trained elsewhere takes from each poll."""

import time
from dataclasses import replace

from app_support import wait_until

from gan_core.training.budget import RunClock
from gan_core.training.config import TrainConfig
from gan_core.training.gan import STEP_FIELDS
from gan_core.training.run import Run, RunState
from gan_core.training.run_folder import RunFolder, RunProgress


def clock_of(tmp_path, **config) -> RunClock:
    return RunClock(TrainConfig(**config), RunProgress(RunFolder(tmp_path / "run")))


def trained_one_epoch(progress: RunProgress, steps_per_epoch: int = 10, images_per_sec: float = 64.0) -> None:
    """One epoch of `steps_per_epoch` steps recorded as the trainer records them, the next one begun."""
    progress.begin_epochs(steps_per_epoch)
    for step in range(1, steps_per_epoch + 1):
        progress.record_steps([{"step": step, **{name: 0.5 for name in STEP_FIELDS}}], step_in_epoch=step,
                              images_per_sec=images_per_sec)
    progress.record_epoch({"type": "epoch", "epoch": 1, "step": steps_per_epoch, "images_per_sec": images_per_sec})
    progress.begin_epoch()


def test_time_counts_only_inside_a_segment_and_a_status_taken_back_goes_on_from_there(tmp_path):
    clock = clock_of(tmp_path)
    assert clock.elapsed() == 0.0
    clock.start_segment()
    wait_until(lambda: clock.elapsed() > 0, 5, "training time to count", interval=0.01)
    clock.end_segment()
    paused_at = clock.elapsed()
    mark = time.monotonic()
    wait_until(lambda: time.monotonic() > mark + 0.05, 5, "time to pass outside a segment", interval=0.01)
    assert clock.elapsed() == paused_at, "a pause or a wait in the queue is not training time"
    again = clock_of(tmp_path)
    again.take_status(clock.status())
    assert again.elapsed() == paused_at and again.status() == clock.status()


def test_the_class_bound_and_the_runs_own_budget_say_why_a_run_ends(tmp_path):
    clock = clock_of(tmp_path, max_minutes=1.0)
    clock.take_status({"train_seconds": 59.0, "minutes_limit": 2.0})
    assert clock.over_time() is None
    clock.take_status({"train_seconds": 60.0, "minutes_limit": 2.0})
    assert clock.over_time().key == "run.time_budget_reached"
    clock.restart_budget()  # "train more": its own budget counts again from here
    assert clock.budget_from == 60.0 and clock.over_time() is None
    clock.minutes_limit = 1.0  # the class's bound on its whole training time comes first
    assert clock.over_time().key == "run.class_time_reached"


def test_the_finish_line_is_the_last_epoch_or_the_end_of_the_epoch_the_time_runs_out_in(tmp_path):
    clock = clock_of(tmp_path, epochs=10, batch_size=32, max_minutes=1.0)
    trained_one_epoch(clock.progress)  # 10 steps an epoch at 64 images/s: 2 steps a second
    clock.take_status({"train_seconds": 50.0})
    assert clock.finish_line(None) == (10, 45.0) and clock.remaining_seconds() == 45.0  # no session: no bound drawn
    clock.begin_budget()
    assert clock.time_bound() == (10.0, 60.0) and clock.budget_left() == 10.0
    assert clock.finish_line(clock.budget_left()) == (3, 10.0) and clock.remaining_seconds() == 10.0
    clock.minutes_limit = 0.9  # 54 s in all: 4 s left, the class's bound ends it first
    assert clock.time_bound() == (4.0, 54.0) and clock.finish_line(clock.budget_left()) == (2, 5.0)
    clock.end_budget()
    assert clock.time_bound() is None and clock.remaining_seconds() == 45.0


def test_a_mirror_that_takes_a_jobs_status_shows_what_the_job_shows(tmp_path):
    job = Run(tmp_path / "run", TrainConfig(epochs=4, batch_size=32, max_minutes=1.0))
    trained_one_epoch(job.progress)
    job.state, job.device, job.config.epochs = RunState.RUNNING, "CPU", 3  # a time bound cut its epochs where it trains
    job.clock.take_status({"train_seconds": 12.5, "minutes_limit": 5.0})
    job.clock.begin_budget()
    mirror = Run(tmp_path / "run", TrainConfig(epochs=4, batch_size=32, max_minutes=1.0))
    mirror.take_status(job.status(since_step=-1))  # the first poll brings the whole history
    shown, trained = mirror.snapshot(), job.snapshot()
    assert replace(shown, diagnosis=None) == replace(trained, diagnosis=None)  # a Message has no equality of its own
    assert [m.key for m in shown.diagnosis] == [m.key for m in trained.diagnosis] and shown.steps["step"] == list(range(1, 11))
    assert mirror.snapshot().end_epoch == 3 and mirror.snapshot().budget_fraction is not None


def test_status_json_is_the_status_a_reopened_run_takes(tmp_path):
    run = Run(tmp_path / "run", TrainConfig(epochs=4))
    run.folder.make_folders()
    run.folder.write_config(run.config.to_json())
    run.state, run.node = RunState.RUNNING, "worker-1"
    run.clock.take_status({"train_seconds": 7.0, "budget_from": 2.0, "minutes_limit": 3.0})
    run.save_status()
    reopened = Run.open(run.directory)
    assert reopened.state == RunState.STOPPED and reopened.was_active  # its process died while it trained
    assert reopened.node == "worker-1" and reopened.clock.status() == run.clock.status()
    run.forward_control(object())  # while a job elsewhere trains it, the job writes the status, not this copy
    run.state = RunState.FINISHED
    run.save_status()
    assert Run.open(run.directory).was_active
