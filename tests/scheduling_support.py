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

# The units that take longest, longest first (wall seconds in two full runs of 12-07 under load, three workers). Each
# worker takes the longest unit left: in the order above (the number of tests a module holds, pytest-xdist's own),
# test_cluster_ray.py (200 s) started 425 and 628 s into those runs and its worker finished 50-90 s after the others.
LONGEST_FIRST = (
    ONE_SERVER_UNIT,  # about 200 s together
    "tests/test_engine.py",  # 190-258
    "tests/test_notebook.py",  # 105-252
    "tests/test_cluster_ray.py",  # 198-217
    "tests/test_uploads.py",  # 131-202
    "tests/browser/test_browser_train.py",  # 126-166
    "tests/test_playground.py",  # 127-162
    "tests/test_scheduler.py",  # 111-131
    "tests/test_doctor.py",  # 94-106
    "tests/test_app_birds.py",  # 86
    "tests/test_class_limits.py",  # 40-87
    "tests/test_worker.py",  # 67-85
    "tests/test_app_pages.py",  # 53-84
    "tests/test_app_train.py",  # 40-69
    "tests/test_photos.py",  # 64-67
    "tests/browser/test_browser_teacher.py",  # 63-69
    "tests/browser/test_browser_legible.py",  # 52-62
    "tests/test_recovery.py",  # 22-63
    "tests/browser/test_browser_first_use.py",  # 44-61
)


def module_scheduler(config, log):
    """pytest-xdist's `--dist loadfile` scheduling with ONE_SERVER_MODULES as one unit of work, the longest units
    (LONGEST_FIRST) handed out first."""
    return scheduling_class()(config, log)


def scheduling_class():
    """The scheduler's class (pytest-xdist imported only when it is asked for: its controller reads this file)."""
    from xdist.scheduler import LoadFileScheduling

    class OneServerScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return ONE_SERVER_UNIT if module in ONE_SERVER_MODULES else module

        def _assign_work_unit(self, node) -> None:
            longest = next((unit for unit in LONGEST_FIRST if unit in self.workqueue), None)
            if longest is not None:
                self.workqueue.move_to_end(longest, last=False)
            super()._assign_work_unit(node)

    return OneServerScheduling
