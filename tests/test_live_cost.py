"""The live panel redraws only what changed: drawing an unchanged run again builds no chart and reads no image."""

from __future__ import annotations

from pathlib import Path

from app_support import new_app, sessions_dir  # noqa: F401 - sessions_dir is a fixture

from gan_core import RunState
from gan_core.training.config import recipe
from gan_ui import charts, live, state


def count_work(monkeypatch):
    """Wraps every chart builder the panel uses and every PNG read; returns the tally."""
    tally = {"charts": 0, "png_reads": 0}
    for name in ("losses_per_step", "accuracy_per_step", "losses_per_epoch", "speed_per_epoch"):
        build = getattr(charts, name)

        def counted(*args, _build=build, **kwargs):
            tally["charts"] += 1
            return _build(*args, **kwargs)
        monkeypatch.setattr(charts, name, counted)
    read_bytes = Path.read_bytes

    def counted_read(path):
        if path.suffix == ".png":
            tally["png_reads"] += 1
        return read_bytes(path)
    monkeypatch.setattr(Path, "read_bytes", counted_read)
    return tally


def test_an_unchanged_run_is_drawn_again_without_building_charts_or_reading_images(sessions_dir, monkeypatch):
    at = new_app().run()
    sid = at.session_state["session_id"]
    config = recipe("fast", epochs=2, batch_size=32, max_images=96, clusters=0)
    run = state.registry().start_run(sid, config)
    assert run.wait(180) and run.snapshot().state == RunState.FINISHED
    at.session_state["run_ids"] = [run.run_id]
    at.session_state["current_run"] = run.run_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 4 and len(at.image) == 1  # drawn once: every chart, the grid
    tally = count_work(monkeypatch)

    at.run()  # what any redraw of the page or panel does
    assert not at.exception, [e.value for e in at.exception]
    assert tally == {"charts": 0, "png_reads": 0}
    assert len(at.get("plotly_chart")) == 4 and len(at.image) == 1, "everything is still on the page"

    # New points: only the step charts are built again, and no image is read.
    run.progress.record_steps([{"step": run.progress.step + 1, "g_loss": 1.0, "d_loss": 1.0, "d_acc_real": 0.5, "d_acc_fake": 0.5}])
    at.run()
    assert tally == {"charts": 2, "png_reads": 0}
    # A new epoch's grid: read once, then kept.
    with run._lock:
        run.progress.grid_epochs.append(3)
    run.grid_path(3).hardlink_to(run.grid_path(2))
    at.run()
    assert tally["png_reads"] == 1 and tally["charts"] == 2
    at.run()
    assert tally["png_reads"] == 1 and tally["charts"] == 2

    # A rerun cut short between the two step charts (a click, a newer rerun) kept the losses but not the accuracy:
    # the next draw builds the missing one instead of drawing a figure it never made (the 40-session load test
    # found it: a TypeError on the page).
    del at.session_state[live.CACHE_KEY]["accuracy"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert tally["charts"] == 3 and len(at.get("plotly_chart")) == 4


def test_the_panel_asks_for_a_full_redraw_at_once_for_a_new_state_and_at_most_every_few_seconds_for_epochs():
    import time

    now = time.monotonic()
    fresh, old = (RunState.RUNNING, 10, 1, 2, None, now), (RunState.RUNNING, 10, 1, 2, None, now - 60)
    assert not live.changed(old, (RunState.RUNNING, 50, 1, 2, None)), "new steps: the tickers' business"
    assert live.changed(old, (RunState.RUNNING, 60, 2, 3, None))
    assert not live.changed(fresh, (RunState.RUNNING, 60, 2, 3, None)), "short epochs: not every one"
    assert live.changed(fresh, (RunState.QUEUED, 10, 1, 2, 3)) and live.changed(fresh, (RunState.FINISHED, 10, 1, 2, None))
    assert not live.changed((RunState.QUEUED, 10, 1, 2, 3, now - 60), (RunState.QUEUED, 10, 1, 2, 2))
    # Drawn before its first step (its charts said "waiting for the first steps"): the first steps redraw it at once,
    # so the charts do not wait beside a step counter that already moves (#26 item 5).
    assert live.changed((RunState.RUNNING, 0, 0, 1, None, now), (RunState.RUNNING, 35, 0, 1, None))
    assert not live.changed((RunState.RUNNING, 0, 0, 1, None, now), (RunState.RUNNING, 0, 0, 1, None))
