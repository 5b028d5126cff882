"""The class gallery and projector under a real class (issue 25): what a redraw costs, nicknames that stay plain
text, a teacher's "hide" that holds, and a projector address without the session's key. Real runs, real pages."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid

import numpy as np
import pytest
import streamlit
from app_support import class_app, no_bundled_generators, sessions_dir, texts, wait_until  # noqa: F401 - sessions_dir and no_bundled_generators are fixtures
from run_support import finished_session_run

from gan_core import GanError
from gan_core.server import classroom, housekeeping
from gan_core.server.scheduler import Scheduler
from gan_core.training.run import RunState
from gan_ui import charts, classroom_view, state

pytestmark = pytest.mark.usefixtures("no_bundled_generators")


def _app(lang: str = "es", **query):
    return class_app(lang=lang, **query)


class FragmentRecorder:
    """Stands in for the streamlit module inside classroom_view: records every fragment's timer."""

    def __init__(self):
        self.timers: list[tuple[str, float | None]] = []

    def __getattr__(self, name):
        return getattr(streamlit, name)

    def fragment(self, function, run_every=None):
        self.timers.append((function.__name__, run_every))
        return streamlit.fragment(function, run_every=run_every)


# --- what the gallery costs the server --------------------------------------------------------------------

def test_decimation_keeps_every_spike_in_a_few_hundred_points():
    rng = np.random.default_rng(0)
    values = rng.normal(1.0, 0.1, 12_000)
    values[[17, 5_000, 11_998]] = [9.0, -7.0, 8.0]  # spikes a plain subsample would miss
    x, y = charts.thin(np.arange(12_000), values)
    assert len(x) <= charts.MAX_POINTS + 2 and np.all(np.diff(x) > 0)
    assert {17, 5_000, 11_998, 0, 11_999} <= set(x.tolist())
    assert y.max() == 9.0 and y.min() == -7.0
    short = np.arange(50.0)
    assert charts.thin(short, short)[0].tolist() == short.tolist()  # short histories are drawn whole


def test_smoothing_is_tensorboards_bias_corrected_average():
    values = np.array([4.0, 2.0, 6.0, 1.0])
    expected, last, correction = [], 0.0, 0.0
    for value in values:
        last, correction = 0.9 * last + 0.1 * value, 0.9 * correction + 0.1
        expected.append(last / correction)
    assert np.allclose(charts.smooth(values), expected)
    assert charts.smooth([]).size == 0


def _cyclic_garbage(make) -> int:
    """The objects `make()` leaves for Python's cycle collector (which walks them all, the interpreter held), after
    a first call that fills the libraries' caches."""
    import gc

    make()
    gc.collect()
    gc.disable()
    try:
        make()
        return gc.collect()
    finally:
        gc.enable()


def test_the_loss_picture_redraws_one_figure_and_leaves_little_for_the_collector():
    from PIL import Image

    rng = np.random.default_rng(0)
    steps = {"step": list(range(1200)), "g_loss": list(1.5 + 0.3 * rng.standard_normal(1200)),
             "d_loss": list(0.6 + 0.2 * rng.standard_normal(1200))}
    flat = {**steps, "d_loss": [0.7] * 1200}
    charts._picture_canvas.cache_clear()
    first = charts.losses_picture(steps, "es")  # on a figure of its own, as every picture was drawn before
    second = charts.losses_picture(flat, "en")
    assert first != second  # the axes are cleared: the second picture is its own curves and words
    pictures = [Image.open(io.BytesIO(png)) for png in (first, second)]
    assert {picture.size for picture in pictures} == {(640, 380)}
    # On the figure another picture was drawn on: byte for byte what it drew there first.
    assert charts.losses_picture(steps, "es") == first
    canvas = charts._picture_canvas()
    axes = canvas.figure.axes[0]
    for label in (axes.xaxis.label, axes.yaxis.label):  # the layout still makes room for the axes' words
        box = label.get_window_extent(canvas.get_renderer())
        assert label.get_text() and canvas.figure.bbox.contains(box.x0, box.y0) \
            and canvas.figure.bbox.contains(box.x1, box.y1), (label.get_text(), box)
    # A new matplotlib figure per picture left about 3,300 objects; the one figure, cleared, about 650.
    assert _cyclic_garbage(lambda: charts.losses_picture(steps, "es")) < 1_500


def test_charts_carry_a_slim_copy_of_streamlits_template():
    import plotly.io as pio

    steps = {"step": list(range(300)), "g_loss": [1.0] * 300, "d_loss": [0.5] * 300}
    spec = json.loads(pio.to_json(charts.losses_per_step(steps, "es"), validate=False))
    template = spec["layout"]["template"]
    assert "heatmap" in pio.templates["streamlit"].data.to_plotly_json()  # Streamlit's own: ten kinds of trace
    assert set(template["data"]) <= {"scatter", "bar"}  # not the colour scales of the kinds these charts never draw
    assert template["layout"]["colorway"] == list(pio.templates["streamlit"].layout.colorway)  # the theme's colours
    assert template["layout"]["colorway"][0] == "#000001"  # Streamlit's placeholders, which the browser fills in


def test_a_card_is_made_once_per_change_for_every_viewer(sessions_dir, monkeypatch):
    run = finished_session_run(sessions_dir, uuid.uuid4().hex)
    made = []
    real = classroom_view._card_content
    monkeypatch.setattr(classroom_view, "_card_content", lambda run, lang: made.append(lang) or real(run, lang))
    cache = classroom_view.CardCache()
    first = cache.content(run, "es")
    for _ in range(40):  # forty viewers of an unchanged run: no figure built, no image read
        assert cache.content(run, "es") is first
    assert made == ["es"] and first.grid is not None and first.losses.startswith(b"\x89PNG")
    cache.content(run, "en")
    assert made == ["es", "en"], "one per language"
    run.resume_training(extra_epochs=1, scheduler=Scheduler(1))
    assert run.wait(180)
    again = cache.content(run, "es")
    assert again is not first and made == ["es", "en", "es"], "a new epoch makes it again, once"
    assert cache.content(run, "es") is again


def test_forty_viewers_asking_at_once_for_a_card_never_made_make_it_once(sessions_dir, monkeypatch):
    """A share arrives and forty pages are drawn again at the same moment: one viewer makes the card, the others wait
    for it (or keep the card they had) instead of each making the same pictures."""
    run = finished_session_run(sessions_dir, uuid.uuid4().hex)
    made, arrived = [], []
    real = classroom_view._card_content

    def make_once_all_asked(run, lang):  # every viewer has asked before the first card is done
        made.append(lang)
        wait_until(lambda: len(arrived) == 40, 60, "forty viewers asking")
        return real(run, lang)

    monkeypatch.setattr(classroom_view, "_card_content", make_once_all_asked)
    cache, got = classroom_view.CardCache(), []
    viewers = [threading.Thread(target=lambda: (arrived.append(1), got.append(cache.content(run, "es"))))
               for _ in range(40)]
    for viewer in viewers:
        viewer.start()
    for viewer in viewers:
        viewer.join(60)
    assert made == ["es"] and len(got) == 40 and all(content is got[0] for content in got)


@pytest.mark.slow
def test_no_timer_ticks_on_a_gallery_where_nothing_trains(sessions_dir, monkeypatch):
    """Thirty finished shared runs: every card is drawn once and has no timer; one slow watcher, which draws
    nothing, notices new shares. While one run trains, only its card ticks; paused (or queued), it has nothing new
    to show and no timer, and the watcher looks every GALLERY_WATCH_SECONDS for it to train again."""
    session_id = uuid.uuid4().hex
    run = finished_session_run(sessions_dir, session_id)
    shared = classroom.Gallery(sessions_dir)
    shared.share(session_id, run.run_id, "Ada")
    recorder = FragmentRecorder()
    monkeypatch.setattr(classroom_view, "st", recorder)
    viewer = _app()
    viewer.switch_page("app_pages/gallery.py").run()
    assert not viewer.exception and "Ada" in "\n".join(texts(viewer))
    # The card is drawn without a fragment: Streamlit keeps no fragment for it (one per viewer and card was most of
    # the app's live objects, walked by every full garbage collection).
    assert recorder.timers == [("_watch_gallery", classroom_view.GALLERY_IDLE_WATCH_SECONDS)]

    recorder.timers.clear()
    run = state.registry().get(session_id, run.run_id)  # the server's own copy of the run, which the page reads
    run.resume_training(extra_epochs=400, scheduler=Scheduler(1))
    try:
        wait_until(lambda: run.version()[0] == RunState.RUNNING, 60, "the run trains")
        viewer.run()
        assert recorder.timers == [("_watch_gallery", classroom_view.GALLERY_WATCH_SECONDS),
                                   ("_gallery_card", classroom_view.CARD_SECONDS)]
        recorder.timers.clear()
        run.pause()
        wait_until(lambda: run.version()[0] == RunState.PAUSED, 60, "the run pauses")
        viewer.run()
        assert recorder.timers == [("_watch_gallery", classroom_view.GALLERY_WATCH_SECONDS)]
    finally:
        run.stop()
        assert run.wait(120)


def test_a_run_between_two_fair_turns_keeps_its_cards_timer():
    """Queued with steps done, a run waits between two of its turns (the queue's fair turns): its card keeps
    following it, so runs taking turns do not redraw the page at every turn. Queued before its first step, or
    paused, it has nothing new to show; ended, nothing more."""
    class Seen:  # what classroom_view reads of a run: Run.version()
        def __init__(self, run_state, step):
            self.run_state, self.step = run_state, step

        def version(self):
            return self.run_state, self.step, 0, 0, None

    assert classroom_view._phase(Seen(RunState.RUNNING, 0)) == "training"
    assert classroom_view._phase(Seen(RunState.QUEUED, 120)) == "training"
    assert classroom_view._phase(Seen(RunState.QUEUED, 0)) == "waiting"
    assert classroom_view._phase(Seen(RunState.PAUSED, 120)) == "waiting"
    assert classroom_view._phase(Seen(RunState.STOPPED, 120)) == "done"
    assert classroom_view._phase(None) == "done"


@pytest.mark.slow
def test_the_page_is_drawn_again_only_when_its_cards_change_or_an_untimed_cards_run_does(sessions_dir):
    """The watcher's rule: the run of a card drawn without a timer that begins to train, or that ends between two
    looks, redraws the page; a ticking card's run that pauses, stops or ends does not (the card draws that on its
    next tick); a share added, renamed or hidden does."""
    session_id = uuid.uuid4().hex
    run = finished_session_run(sessions_dir, session_id)
    shared = classroom.Gallery(sessions_dir)
    share = shared.share(session_id, run.run_id, "Ada")
    layout = classroom_view._gallery_layout(classroom_view.gallery().shares())
    drawn_done = {share.share_id: "done"}
    assert not classroom_view.gallery_outdated(False, layout, drawn_done)

    run = state.registry().get(session_id, run.run_id)
    run.resume_training(extra_epochs=400, scheduler=Scheduler(1))
    try:
        wait_until(lambda: run.version()[0] == RunState.RUNNING, 60, "the run trains")
        assert classroom_view.gallery_outdated(False, layout, drawn_done), "a training run's card needs a timer"
        assert not classroom_view.gallery_outdated(False, layout, {}), "drawn ticking"
        run.pause()
        wait_until(lambda: run.version()[0] == RunState.PAUSED, 60, "the run pauses")
        assert not classroom_view.gallery_outdated(False, layout, {}), "its ticking card draws the pause"
        assert not classroom_view.gallery_outdated(False, layout, {share.share_id: "waiting"})
    finally:
        run.stop()
        assert run.wait(120)
    assert not classroom_view.gallery_outdated(False, layout, {}), "nor the stop"
    assert classroom_view.gallery_outdated(False, layout, {share.share_id: "waiting"}), \
        "drawn queued, ended before the watcher looked: its card shows the end"
    assert not classroom_view.gallery_outdated(False, layout, drawn_done)

    classroom_view.gallery().set_hidden(share.share_id, True)
    assert classroom_view.gallery_outdated(False, layout, drawn_done), "a hidden share leaves the page"


def test_an_outdated_page_is_drawn_again_at_most_every_thirty_seconds(sessions_dir, monkeypatch):
    """In a class's first minutes shares come every few seconds: a viewer's page is drawn again at the first watch
    GALLERY_REDRAW_SECONDS after its last draw, not at every watch."""
    session_id = uuid.uuid4().hex
    run = finished_session_run(sessions_dir, session_id)
    classroom.Gallery(sessions_dir).share(session_id, run.run_id, "Ada")
    reruns = []
    recorder = FragmentRecorder()
    recorder.rerun = lambda: reruns.append("page")
    monkeypatch.setattr(classroom_view, "st", recorder)
    before_the_share = ()  # the page was drawn with no card: it is outdated
    classroom_view._watch_gallery(False, before_the_share, {}, time.monotonic())
    classroom_view._watch_gallery(False, before_the_share, {}, time.monotonic() - 20)
    assert reruns == []
    classroom_view._watch_gallery(False, before_the_share, {}, time.monotonic() - classroom_view.GALLERY_REDRAW_SECONDS)
    assert reruns == ["page"]
    layout = classroom_view._gallery_layout(classroom_view.gallery().shares())
    classroom_view._watch_gallery(False, layout, {}, time.monotonic() - 100)
    assert reruns == ["page"], "up to date: never drawn again"


# --- nicknames are plain text ----------------------------------------------------------------------------------

@pytest.mark.parametrize("attack, key", [
    ("![](//evil.example/x)", "error.nickname"),  # every viewer's browser would fetch it
    ("[Pincha](//evil.example)", "error.nickname"),
    (":red[Ana]", "error.nickname"),
    (":rainbow[Ana]", "error.nickname"),
    ("**", "error.nickname"),
    ("<b>Ana</b>", "error.nickname"),
    ("Ana_", "error.nickname"),
    ("# Ana", "error.nickname"),
    ("x" * 25, "error.nickname"),
    ("", "error.nickname"),
    ("Рrofesor", "error.nickname_scripts"),  # a Cyrillic Р
    ("Ana Μaría", "error.nickname_scripts"),  # a Greek Μ
    ("Profesor", "error.nickname_reserved"),
    ("la profesora", "error.nickname_reserved"),
    ("PROFÉSOR", "error.nickname_reserved"),
    ("Teacher Bob", "error.nickname_reserved"),
    ("Profe", "error.nickname_reserved"),
    ("0123456789abcdef0", "error.nickname_key"),
])
def test_a_nickname_that_could_be_read_as_something_else_is_refused(attack, key):
    with pytest.raises(GanError) as caught:
        classroom.check_nickname(attack)
    assert caught.value.message.key == key
    assert caught.value.text("es") != caught.value.text("en")


@pytest.mark.parametrize("name", ["Ada", "María José", "O'Neill", "Ana-Luz 2", "Иван", "さくら", "山田はな", "J.R."])
def test_ordinary_nicknames_in_any_one_alphabet_are_kept(name):
    assert classroom.check_nickname(f"  {name} ") == name


def test_a_long_nickname_gets_the_message_in_the_page(sessions_dir):
    student = _app()
    run_id = _shared_run_in_page(student, sessions_dir, "Ada Lovelace de la Mancha Sur")  # 29 characters
    assert [e.value for e in student.error] == [
        "Escribe un apodo de 1 a 24 caracteres: letras, cifras, espacios, guiones, apóstrofos o puntos."]
    assert classroom.Gallery(sessions_dir).shares() == [] and run_id


def _shared_run_in_page(at, sessions_dir, nickname: str) -> str:
    run = finished_session_run(sessions_dir, at.session_state["session_id"])
    at.session_state["run_ids"] = [run.run_id]
    at.session_state["current_run"] = run.run_id
    at.run()
    at.text_input(key=f"share.nick.{run.run_id}").set_value(nickname)
    at.button(key=f"FormSubmitter:share.{run.run_id}-Compartir esta ejecución").click().run()
    assert not at.exception
    return run.run_id


@pytest.mark.slow
def test_nicknames_written_before_the_rules_are_shown_as_text_on_every_page(sessions_dir):
    """A gallery file from before these rules, with the attacks in it: every surface shows them as text."""
    session_id = uuid.uuid4().hex
    run = finished_session_run(sessions_dir, session_id)
    hostile = "![](//evil.example/x) :red[**P**]"
    (sessions_dir / classroom.GALLERY_FILE).write_text(json.dumps([{
        "share_id": "a" * 16, "session_id": session_id, "run_id": run.run_id, "nickname": hostile,
        "shared_at": 1.0, "hidden": False}]))
    viewer = _app()
    viewer.switch_page("app_pages/gallery.py").run()
    assert hostile in [t.value for t in viewer.text]
    assert not any("evil.example" in m.value for m in viewer.markdown), "never inside markdown"
    viewer.switch_page("app_pages/projector.py").run()
    assert not viewer.exception
    assert hostile in [t.value for t in viewer.text]
    assert not any("evil.example" in m.value for m in [*viewer.markdown, *viewer.subheader, *viewer.header])

    owner = _app(s=housekeeping.session_token(sessions_dir, session_id))
    assert hostile in [t.value for t in owner.text], "the share panel under the owner's run"
    assert not any("evil.example" in m.value for m in owner.markdown)


# --- what the teacher hides stays hidden ---------------------------------------------------------------------

def test_hidden_stays_hidden_by_run_and_by_nickname_until_the_teacher_shows_it(sessions_dir):
    ana, bea = uuid.uuid4().hex, uuid.uuid4().hex
    ana_run, bea_run = finished_session_run(sessions_dir, ana), finished_session_run(sessions_dir, bea)
    shared = classroom.Gallery(sessions_dir)
    share = shared.share(ana, ana_run.run_id, "Ana")
    shared.set_hidden(share.share_id, True)

    shared.unshare(ana, ana_run.run_id)
    assert shared.share(ana, ana_run.run_id, "Ana").hidden, "unshare and share again"
    shared.unshare(ana, ana_run.run_id)
    assert shared.share(ana, ana_run.run_id, "Otra").hidden, "the same run under another name"
    assert shared.share(bea, bea_run.run_id, "  ana ").hidden, "the same name on another run"
    assert shared.shares() == []
    reopened = classroom.Gallery(sessions_dir)  # a restart keeps it
    assert reopened.shares() == [] and len(reopened.shares(include_hidden=True)) == 2

    viewer = _app()
    viewer.switch_page("app_pages/gallery.py").run()
    assert "Ana" not in "\n".join(texts(viewer)) and "ana" not in [t.value for t in viewer.text]

    (first, second) = reopened.shares(include_hidden=True)
    reopened.set_hidden(first.share_id, False)  # the teacher shows Ana's run: the name "ana" stays hidden
    assert [s.nickname for s in reopened.shares()] == ["Otra"]
    reopened.set_hidden(second.share_id, False)
    assert {s.nickname for s in reopened.shares()} == {"Otra", "ana"}


# --- the projector's address -------------------------------------------------------------------------------------

def test_the_projector_address_names_the_share_never_the_session(sessions_dir):
    session_id = uuid.uuid4().hex
    run = finished_session_run(sessions_dir, session_id)
    share = classroom.Gallery(sessions_dir).share(session_id, run.run_id, "Ada")
    token = housekeeping.session_token(sessions_dir, session_id)

    owner = _app(s=token)
    assert owner.query_params["s"] == token
    owner.switch_page("app_pages/projector.py")
    owner.query_params["show"] = share.share_id
    owner.query_params["s"] = token  # as a bookmark or a link would bring it
    owner.run()
    assert not owner.exception
    assert "s" not in owner.query_params and owner.query_params["show"] == share.share_id
    assert "Ada" in [t.value for t in owner.text]
    assert token not in "\n".join(texts(owner)) and session_id not in "\n".join(texts(owner))
    assert any(run.run_id in o for o in owner.selectbox[0].options), "own runs still offered in this tab"
    owner.switch_page("app_pages/train.py").run()
    assert owner.query_params["s"] == token, "the key comes back on the student's own pages"
    assert state.registry().get(session_id, run.run_id) is not None
