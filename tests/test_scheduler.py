"""The server-wide queue: at most K at once, FIFO, one running job per owner, cancellable while queued."""

import threading
import time

import pytest

from gan_core import Run, RunState
from gan_core.server import worker
from gan_core.server.scheduler import Scheduler
from gan_core.training.config import recipe


class Job(threading.Thread):
    """A stand-in for a run's thread: takes a slot, holds it until told to finish."""

    def __init__(self, scheduler, run_id, owner, log):
        super().__init__(daemon=True)
        self.scheduler, self.run_id, self.owner, self.log = scheduler, run_id, owner, log
        self.cancel, self.finish, self.granted = threading.Event(), threading.Event(), None

    def run(self):
        self.granted = self.scheduler.acquire(self.run_id, self.owner, self.cancel)
        if self.granted:
            self.log.append(self.run_id)
            self.finish.wait(10)
            self.scheduler.release(self.run_id)


def wait_until(condition, timeout=10):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "condition never became true"
        time.sleep(0.01)


def start_in_order(scheduler, specs, log):
    jobs = []
    for run_id, owner in specs:
        job = Job(scheduler, run_id, owner, log)
        job.start()
        wait_until(lambda: scheduler.position(run_id) is not None or run_id in log)
        jobs.append(job)
    return jobs


def test_at_most_k_run_and_the_rest_wait_in_fifo_order():
    scheduler, log = Scheduler(2), []
    jobs = start_in_order(scheduler, [(f"r{i}", f"student{i}") for i in range(5)], log)
    wait_until(lambda: len(log) == 2)
    assert log == ["r0", "r1"] and len(scheduler.jobs()["running"]) == 2
    assert [scheduler.position(f"r{i}") for i in range(2, 5)] == [1, 2, 3]
    jobs[1].finish.set()
    wait_until(lambda: len(log) == 3)
    assert log[2] == "r2" and scheduler.position("r4") == 2
    for job in jobs:
        job.finish.set()
    wait_until(lambda: len(log) == 5)
    assert log == ["r0", "r1", "r2", "r3", "r4"]


def test_one_running_job_per_owner_lets_others_pass():
    scheduler, log = Scheduler(2), []
    jobs = start_in_order(scheduler, [("a1", "ana"), ("a2", "ana"), ("b1", "bea")], log)
    wait_until(lambda: len(log) == 2)
    assert log == ["a1", "b1"], "ana's second job waits; bea's job takes the free slot"
    assert scheduler.position("a2") == 1
    jobs[0].finish.set()
    wait_until(lambda: len(log) == 3)
    assert log[2] == "a2"
    for job in jobs:
        job.finish.set()


def test_a_queued_job_can_be_cancelled():
    scheduler, log = Scheduler(1), []
    jobs = start_in_order(scheduler, [("r0", "x"), ("r1", "y"), ("r2", "z")], log)
    jobs[1].cancel.set()
    scheduler.wake()  # what Run.stop does: the queue looks again at once, not at its next safety look
    wait_until(lambda: not jobs[1].is_alive())
    assert jobs[1].granted is False and scheduler.position("r1") is None and scheduler.position("r2") == 1
    jobs[0].finish.set()
    wait_until(lambda: len(log) == 2)
    assert log == ["r0", "r2"]
    jobs[2].finish.set()


@pytest.fixture(params=["thread", "worker"])
def drive(request):
    """Where real runs train: threads of this process, or the app's worker process (gan_core.server.worker)."""
    return worker.drive if request.param == "worker" else None


def test_real_runs_queue_show_their_position_and_cancel(tmp_path, drive):
    scheduler = Scheduler(1, drive=drive)
    config = recipe("fast", epochs=1, batch_size=32, max_images=32 * 6)
    first = Run.create(tmp_path / "first", config, owner="ana")
    second = Run.create(tmp_path / "second", config, owner="bea")
    third = Run.create(tmp_path / "third", config, owner="carla")
    start_first_paused(scheduler, first)  # holds the slot however quick its steps: a short run will do
    second.start(scheduler)
    third.start(scheduler)
    wait_until(lambda: third.snapshot().queue_position == 2)
    assert second.snapshot().state == RunState.QUEUED and second.snapshot().queue_position == 1
    second.stop()  # cancel while queued
    assert second.wait(10)
    assert second.snapshot().state == RunState.STOPPED and second.snapshot().step == 0
    wait_until(lambda: third.snapshot().queue_position == 1)
    first.resume()
    assert first.wait(120) and third.wait(120)
    assert first.snapshot().state == third.snapshot().state == RunState.FINISHED


# --- fair turns ---------------------------------------------------------------------------------

class EpochJob(threading.Thread):
    """A stand-in for a run that trains `epochs` instant epochs and, like the trainer, offers its slot after each."""

    def __init__(self, scheduler, run_id, epochs, log, go=None):
        super().__init__(daemon=True)
        self.scheduler, self.run_id, self.epochs, self.log = scheduler, run_id, epochs, log
        self.go, self.cancel, self.granted = go, threading.Event(), None

    def run(self):
        self.granted = self.scheduler.acquire(self.run_id, self.run_id, self.cancel)
        if not self.granted:
            return
        if self.go is not None:
            self.go.wait(10)
        turn_started = 0
        for epoch in range(1, self.epochs + 1):
            self.log.append((self.run_id, epoch))
            if epoch < self.epochs and self.scheduler.turn_over(self.run_id, epoch - turn_started):
                if not self.scheduler.take_turn_break(self.run_id, self.cancel):
                    return
                turn_started = epoch
        self.scheduler.release(self.run_id)


def events(scheduler, kind):
    return [run_id for _, event, run_id in scheduler.history if event == kind]


def test_fair_turns_go_round_robin_one_epoch_each():
    scheduler, log, go = Scheduler(1, turn_epochs=1), [], threading.Event()
    first = EpochJob(scheduler, "a", 3, log, go)
    first.start()
    wait_until(lambda: events(scheduler, "start") == ["a"])
    others = [EpochJob(scheduler, name, epochs, log) for name, epochs in (("b", 2), ("c", 3))]
    for job in others:
        job.start()
        wait_until(lambda: scheduler.position(job.run_id) is not None)
    go.set()
    for job in [first, *others]:
        job.join(10)
    assert log == [("a", 1), ("b", 1), ("c", 1), ("a", 2), ("b", 2), ("c", 2), ("a", 3), ("c", 3)]
    assert events(scheduler, "start") == ["a", "b", "c", "a", "b", "c", "a", "c"]
    assert scheduler.jobs() == {"running": [], "queued": []}


def test_fifo_without_a_turn_runs_each_job_to_the_end():
    scheduler, log, go = Scheduler(1), [], threading.Event()
    first = EpochJob(scheduler, "a", 2, log, go)
    first.start()
    wait_until(lambda: events(scheduler, "start") == ["a"])
    second = EpochJob(scheduler, "b", 2, log)
    second.start()
    wait_until(lambda: scheduler.position("b") == 1)
    go.set()
    first.join(10), second.join(10)
    assert log == [("a", 1), ("a", 2), ("b", 1), ("b", 2)] and events(scheduler, "yield") == []


def test_a_turn_is_given_up_only_when_someone_waits():
    scheduler, log = Scheduler(1, turn_seconds=0.001, turn_epochs=1), []
    alone = EpochJob(scheduler, "a", 6, log)
    alone.start()
    alone.join(10)
    assert [epoch for _, epoch in log] == [1, 2, 3, 4, 5, 6]
    assert events(scheduler, "yield") == [] and events(scheduler, "start") == ["a"]
    # a job of the same owner waiting cannot take the slot either (one running job per owner)
    cancel = threading.Event()
    assert scheduler.acquire("x1", "ana", cancel)
    waiting = Job(scheduler, "x2", "ana", [])
    waiting.start()
    wait_until(lambda: scheduler.position("x2") == 1)
    wait_until(lambda: time.time() - scheduler.jobs()["running"][0].started_at > 0.001)
    assert not scheduler.turn_over("x1", 5)
    scheduler.release("x1")
    wait_until(lambda: waiting.granted)
    waiting.finish.set()


def test_the_expected_wait_adds_up_the_turns_ahead():
    scheduler = Scheduler(1, turn_seconds=30)
    cancel = threading.Event()
    assert scheduler.acquire("r0", "a", cancel, remaining=lambda: 100.0)
    jobs = []
    for run_id, owner, left in (("r1", "b", 10.0), ("r2", "c", 100.0)):
        job = threading.Thread(target=scheduler.acquire, args=(run_id, owner, cancel, lambda left=left: left),
                               daemon=True)
        job.start()
        wait_until(lambda: scheduler.position(run_id) is not None)
        jobs.append(job)
    assert 29 <= scheduler.expected_wait("r1") <= 30  # the rest of r0's turn
    assert 39 <= scheduler.expected_wait("r2") <= 40  # ... and r1's whole run, shorter than a turn
    assert scheduler.expected_wait("r0") is None
    cancel.set()
    scheduler.wake()


def fair_config(epochs=3, steps=6):
    return recipe("fast", epochs=epochs, batch_size=32, max_images=32 * steps, clusters=0)


def steps_on_disk(run):
    import json

    records = [json.loads(line) for line in (run.directory / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in records if r["type"] == "step"], [r["epoch"] for r in records if r["type"] == "epoch"]


def assert_nothing_lost_or_doubled(run, epochs, per_epoch=6):
    snap = run.snapshot()
    steps = per_epoch * epochs
    assert snap.step == steps and snap.steps["step"] == list(range(1, steps + 1))
    assert steps_on_disk(run) == (list(range(1, steps + 1)), list(range(1, epochs + 1)))
    assert snap.grid_epochs == list(range(epochs + 1)) and [e["epoch"] for e in snap.epochs] == list(range(1, epochs + 1))
    assert sorted(p.name for p in (run.directory / "grids").glob("*.png")) == [
        f"epoch_{e:03d}.png" for e in range(epochs + 1)]


def start_first_paused(scheduler, run):
    """The first run holds the slot, paused, while the others queue: the order no longer depends on speed."""
    run.start(scheduler)
    wait_until(lambda: run.snapshot().state == RunState.RUNNING, 120)
    run.pause()  # takes hold after the batch under way


def test_real_runs_take_turns_an_epoch_each_and_lose_nothing(tmp_path, drive):
    scheduler = Scheduler(1, turn_epochs=1, drive=drive)
    ana, bea = (Run.create(tmp_path / name, fair_config(), owner=name) for name in ("ana", "bea"))
    start_first_paused(scheduler, ana)
    bea.start(scheduler)
    wait_until(lambda: scheduler.position(bea.run_id) == 1)
    ana.resume()
    assert ana.wait(180) and bea.wait(180)
    assert events(scheduler, "start") == [ana.run_id, bea.run_id] * 3
    for run in (ana, bea):
        assert run.snapshot().state == RunState.FINISHED
        assert_nothing_lost_or_doubled(run, 3)


@pytest.mark.slow
def test_a_turn_of_seconds_ends_mid_epoch_and_resumes_at_the_next_batch(tmp_path, drive):
    scheduler = Scheduler(1, turn_seconds=0.2, drive=drive)
    ana, bea = (Run.create(tmp_path / name, fair_config(2, steps=30), owner=name) for name in ("ana", "bea"))
    start_first_paused(scheduler, ana)
    bea.start(scheduler)
    wait_until(lambda: scheduler.position(bea.run_id) == 1)
    wait_until(lambda: time.time() - scheduler.jobs()["running"][0].started_at > 0.2)  # ana's turn is over
    ana.resume()
    wait_until(lambda: ana.snapshot().state == RunState.QUEUED, 60)
    assert 0 < ana.snapshot().step_in_epoch < 30, "gave the slot up at the first batch end, mid-epoch"
    assert ana.wait(180) and bea.wait(180)
    assert events(scheduler, "yield")[0] == ana.run_id
    for run in (ana, bea):
        assert_nothing_lost_or_doubled(run, 2, per_epoch=30)


@pytest.mark.slow
def test_a_run_stopped_while_waiting_for_its_next_turn_leaves_the_queue(tmp_path, drive):
    scheduler = Scheduler(1, turn_epochs=1, drive=drive)
    ana, bea, carla = (Run.create(tmp_path / name, fair_config(), owner=name) for name in ("ana", "bea", "carla"))
    start_first_paused(scheduler, ana)
    for run in (bea, carla):
        run.start(scheduler)
        wait_until(lambda: scheduler.position(run.run_id) is not None)
    ana.resume()
    wait_until(lambda: ana.snapshot().state == RunState.QUEUED and ana.snapshot().epoch == 1, 120)
    ana.stop()
    assert ana.wait(60)
    snap = ana.snapshot()
    assert snap.state == RunState.STOPPED and snap.epoch == 1
    assert snap.steps["step"] == list(range(1, snap.step + 1)) and snap.grid_epochs == [0, 1]
    assert bea.wait(180) and carla.wait(180)
    assert bea.snapshot().state == carla.snapshot().state == RunState.FINISHED
    assert events(scheduler, "start").count(ana.run_id) == 1
    assert scheduler.jobs() == {"running": [], "queued": []}
