"""The AppTest harness itself (tests/app_support.py): its wait for a script run ends with the run, and still stops a
run that outlives its timeout, saying where it was held."""

from __future__ import annotations

import app_support  # installs the harness's wait
import pytest
from streamlit.testing.v1 import AppTest, local_script_runner


def _slow_page():
    import time

    import streamlit as st

    st.write("start")
    time.sleep(1.5)
    st.write("end")


def _quick_page():
    import streamlit as st

    for index in range(200):  # a page of many elements: many events before the run ends
        st.write(f"line {index}")


def test_the_wait_is_the_harness_one_and_returns_when_the_run_ends():
    assert local_script_runner.require_widgets_deltas is app_support._wait_for_script_run
    at = AppTest.from_function(_quick_page)
    at.run(timeout=30)  # a wait that missed the run's end would raise "timed out" here
    assert [m.value for m in at.markdown][-1] == "line 199" and len(at.markdown) == 200


def test_a_run_past_its_timeout_is_stopped_with_the_same_error_and_says_where_it_was():
    at = AppTest.from_function(_slow_page)
    with pytest.raises(RuntimeError, match=r"timed out after 0.3\(s\)") as raised:
        at.run(timeout=0.3)
    # the script thread's stack at the timeout: the page's own line that held it (here its sleep)
    assert "ScriptRunner.scriptThread" in str(raised.value) and "time.sleep(1.5)" in str(raised.value)
