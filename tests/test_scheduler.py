"""The server-wide queue: at most K at once, FIFO, one running job per owner, cancellable while queued."""

import threading
import time

from gan_core import PRESETS, Run, RunState
from gan_core.scheduler import Scheduler


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
    wait_until(lambda: not jobs[1].is_alive())
    assert jobs[1].granted is False and scheduler.position("r1") is None and scheduler.position("r2") == 1
    jobs[0].finish.set()
    wait_until(lambda: len(log) == 2)
    assert log == ["r0", "r2"]
    jobs[2].finish.set()


def test_real_runs_queue_show_their_position_and_cancel(tmp_path):
    scheduler = Scheduler(1)
    config = PRESETS["fast"].config(epochs=1, batch_size=32, max_images=32 * 60)
    first = Run.create(tmp_path / "first", config, owner="ana")
    second = Run.create(tmp_path / "second", config, owner="bea")
    third = Run.create(tmp_path / "third", config, owner="carla")
    first.start(scheduler)
    wait_until(lambda: first.snapshot().state == RunState.RUNNING, 60)
    second.start(scheduler)
    third.start(scheduler)
    wait_until(lambda: third.snapshot().queue_position == 2)
    assert second.snapshot().state == RunState.QUEUED and second.snapshot().queue_position == 1
    second.stop()  # cancel while queued
    assert second.wait(10)
    assert second.snapshot().state == RunState.STOPPED and second.snapshot().step == 0
    wait_until(lambda: third.snapshot().queue_position == 1)
    assert first.wait(120) and third.wait(120)
    assert first.snapshot().state == third.snapshot().state == RunState.FINISHED
