"""Which test modules pytest-xdist keeps together in one worker, beyond `--dist loadfile`'s one module whole in one.

The browser modules listed in ONE_SERVER_MODULES train nothing and leave nothing running on their server, so the
ones that need the same settings share one `streamlit run app.py` (tests/browser/conftest.py, `app_url`): each server
of its own imported TensorFlow and the pages' modules again (about 6 CPU-seconds), and started Chromium again when
its module came to a worker after other tests. Here they become one unit of work, so they run one after the other in
the same worker and that sharing happens. Read by pytest-xdist's controller (tests/conftest.py): nothing heavy
imported here."""

from __future__ import annotations

ONE_SERVER_MODULES = frozenset({
    "tests/browser/test_browser_explore.py",
    "tests/browser/test_browser_playground.py",  # each test pauses its playground before its tab closes
    "tests/browser/test_browser_projection.py",
    "tests/browser/test_browser_take_home.py",
    "tests/browser/test_browser_upload.py",
})
ONE_SERVER_UNIT = "tests/browser/(the modules that share a server)"

# The units of work that take longest, longest first (the sum of their tests' wall seconds in one whole run, 2 cores,
# 12-08 00:31: 192 s for the playground's down to 45 s). pytest-xdist dispatches units by their number of tests,
# most first, which sent the few-test, long-waiting ones (the Ray cluster's 4 tests, 147 s; a browser module of 3,
# 114 s; another of 1, 57 s) last: the run's last minute or two kept one or two workers busy and the cores half idle.
# These go first, then the others by their number of tests as before (the longest-processing-time-first rule).
LONGEST_FIRST = (
    "tests/test_playground.py",
    "tests/test_engine.py",
    ONE_SERVER_UNIT,
    "tests/test_cluster_ray.py",
    "tests/browser/test_browser_train.py",
    "tests/test_doctor.py",
    "tests/test_app_pages.py",
    "tests/test_scheduler.py",
    "tests/test_worker.py",
    "tests/test_uploads.py",
    "tests/test_notebook.py",
    "tests/browser/test_browser_teacher.py",
    "tests/browser/test_browser_legible.py",
    "tests/test_app_train.py",
    "tests/test_class_limits.py",
    "tests/browser/test_browser_first_use.py",
)


def dispatch_rank(unit: str, test_count: int) -> tuple[int, int]:
    """Where a unit of work stands in the queue: LONGEST_FIRST's in their order, then the others, most tests first."""
    return (LONGEST_FIRST.index(unit), 0) if unit in LONGEST_FIRST else (len(LONGEST_FIRST), -test_count)


def module_scheduler(config, log):
    """pytest-xdist's `--dist loadfile` scheduling with ONE_SERVER_MODULES as one unit of work, and the longest units
    first (LONGEST_FIRST)."""
    return scheduler_class()(config, log)


def scheduler_class():
    """The scheduler's class (made on first use: pytest-xdist's module is imported only where it schedules)."""
    from xdist.scheduler import LoadFileScheduling

    class OneServerScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return ONE_SERVER_UNIT if module in ONE_SERVER_MODULES else module

        def _assign_work_unit(self, node) -> None:
            """The unit that goes next to a free worker: the first by `dispatch_rank` (pytest-xdist takes the first
            of its queue, an OrderedDict)."""
            queue = self.workqueue
            if queue:
                unit = min(queue, key=lambda scope: dispatch_rank(scope, len(queue[scope])))
                queue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    return OneServerScheduling
