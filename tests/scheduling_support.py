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


def module_scheduler(config, log):
    """pytest-xdist's `--dist loadfile` scheduling with ONE_SERVER_MODULES as one unit of work."""
    from xdist.scheduler import LoadFileScheduling

    class OneServerScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return ONE_SERVER_UNIT if module in ONE_SERVER_MODULES else module

    return OneServerScheduling(config, log)
