"""How pytest-xdist deals the suite's modules out (tests/scheduling_support.py): the longest units first."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from scheduling_support import LONGEST_FIRST, ONE_SERVER_MODULES, ONE_SERVER_UNIT, scheduler_class

ROOT = Path(__file__).resolve().parents[1]


def test_every_unit_named_is_a_module_of_the_suite():
    for unit in (*LONGEST_FIRST, *ONE_SERVER_MODULES):
        assert unit == ONE_SERVER_UNIT or (ROOT / unit).is_file(), unit


class _Node:
    def __init__(self):
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indexes):
        self.sent.append(list(indexes))


def test_a_free_worker_gets_the_longest_unit_left_then_the_one_with_most_tests():
    scheduler = object.__new__(scheduler_class())  # its state set below, as pytest-xdist's schedule() leaves it
    collection = ["tests/test_texts.py::a", "tests/test_texts.py::b", "tests/test_texts.py::c",
                  "tests/test_settings.py::a", "tests/test_settings.py::b",
                  "tests/test_cluster_ray.py::a", "tests/test_playground.py::a"]
    queue = OrderedDict()
    for nodeid in collection:  # xdist's own order: most tests first
        queue.setdefault(nodeid.split("::")[0], {})[nodeid] = False
    scheduler.workqueue = queue
    scheduler.assigned_work = {}
    node = _Node()
    scheduler.registered_collections = {node: collection}
    for _ in range(4):
        scheduler._assign_work_unit(node)
    dealt = [collection[indexes[0]].split("::")[0] for indexes in node.sent]
    assert dealt == ["tests/test_playground.py", "tests/test_cluster_ray.py", "tests/test_texts.py",
                     "tests/test_settings.py"]
