"""AppTest of the runs, data and learn pages, reattaching after a reload, and one language per page."""

from __future__ import annotations

import io
import json
import math
import os
import re
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest
from app_support import leftovers, new_app, sessions_dir, texts  # noqa: F401 - sessions_dir is a fixture
from PIL import Image
from run_support import finished_session_run

from gan_core import Run
from gan_core.i18n import TEXTS
from gan_core.server import housekeeping
from gan_core.training.config import recipe
from gan_ui import state

PAGES = ("app_pages/train.py", "app_pages/runs.py", "app_pages/data.py", "app_pages/learn.py")


def _finished_runs(sessions_dir, session_id: str, learning_rates, **settings) -> list[Run]:
    """Tiny real runs (64 MNIST images, 2 steps), as a past session left them on disk (copies: run_support).
    `settings`: a list of values per TrainConfig field, one per run."""
    runs = []
    for index, rate in enumerate(learning_rates):
        chosen = {name: values[index] for name, values in settings.items()}
        runs.append(finished_session_run(sessions_dir, session_id,
                                         generator_optimizer={"name": "adam", "learning_rate": rate, "beta1": 0.5},
                                         **chosen))
    return sorted(runs, key=lambda run: run.run_id)


def _button(at, label, index=0):
    matches = [b for b in at.button if b.label == label]
    assert len(matches) > index, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[index]


@pytest.mark.slow
def test_a_reload_reattaches_the_session_and_runs_compare_side_by_side(sessions_dir):
    session_id = uuid.uuid4().hex
    older, newer = _finished_runs(sessions_dir, session_id, (2e-4, 1e-3))

    # A reload is a new session: the id in the URL brings its runs back.
    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, session_id)  # the address the server issued
    at.run()
    assert not at.exception
    assert at.session_state["session_id"] == session_id
    assert at.session_state["run_ids"] == [older.run_id, newer.run_id]
    assert any(s.value.startswith("fast sobre MNIST") for s in at.subheader)
    assert any("Entrenamiento terminado" in s.value for s in at.success)

    at.switch_page("app_pages/runs.py").run()
    assert not at.exception
    assert len([b for b in at.button if b.label == "Abrir"]) == 2
    assert sum(len(image.value) for image in at.image) >= 2 + 2  # two thumbnails, two final grids
    assert sorted(at.multiselect(key="runs.compare").value) == [older.run_id, newer.run_id]
    picker = at.multiselect(key="runs.compare").proto  # our words, not Streamlit's "Choose options", "Select all"
    assert picker.placeholder == TEXTS["runs.compare_placeholder"]["es"] and picker.select_all == 0
    assert len(at.get("plotly_chart")) == 4  # G loss, D loss, D right on real, D right on fake
    differences = at.dataframe[0]  # only what differs: here G's learning rate
    assert list(differences.value.columns) == ["Ejecución", "Tasa de G"]
    assert sorted(differences.value["Tasa de G"]) == ["0.0002", "0.001"]

    # Deleting takes two clicks and removes the run's files.
    _button(at, "Borrar", index=0).click().run()
    assert [b.label for b in at.button].count("Sí, borrar") == 1
    _button(at, "Sí, borrar").click().run()
    assert not at.exception
    assert at.session_state["run_ids"] == [older.run_id]
    assert not newer.directory.exists() and older.directory.exists()
    assert len([b for b in at.button if b.label == "Abrir"]) == 1
    assert at.multiselect(key="runs.compare").value == [older.run_id]

    # Opening the other run shows it on the train page.
    _button(at, "Abrir").click().run()
    assert not at.exception
    assert at.session_state["current_run"] == older.run_id
    assert at.title[0].value == "Entrenar una GAN"

    # Another browser with a made-up id in its URL sees nothing of this session.
    stranger = new_app()
    stranger.query_params["s"] = "../" + session_id
    stranger.run()
    assert stranger.session_state["session_id"] != session_id
    assert stranger.session_state["run_ids"] == []
    assert state.registry().get(stranger.session_state["session_id"], older.run_id) is None
    assert state.registry().get(session_id, "../" + older.run_id) is None


def _traces(at, index: int) -> tuple[list[dict], str]:
    """The index-th plotly chart on the page: its traces (name, x as a list) and its x axis' title."""
    import base64

    spec = json.loads(at.get("plotly_chart")[index].proto.spec)

    def values(data):  # plotly writes numeric arrays as {"dtype": ..., "bdata": base64}
        if isinstance(data, dict):
            return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
        return list(data)

    traces = [{"name": trace["name"], "x": values(trace["x"])} for trace in spec["data"]]
    return traces, spec["layout"]["xaxis"]["title"]["text"]


@pytest.mark.slow
def test_compared_runs_show_what_differs_and_line_up_by_epoch_or_images_seen(sessions_dir):
    session_id = uuid.uuid4().hex
    small, large = _finished_runs(sessions_dir, session_id, (2e-3, 2e-3), batch_size=(16, 32),
                                  diff_augment=(True, False))
    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, session_id)
    at.run()
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception

    # What sets them apart, and nothing else; every value in words, no internal codes.
    differences = at.dataframe[0].value
    assert list(differences.columns) == ["Ejecución", "Tamaño de lote", "DiffAugment"]
    by_batch = dict(zip(differences["Tamaño de lote"], differences["DiffAugment"]))
    assert by_batch == {"16": "sí", "32": "no"}
    page = "\n".join(texts(at))
    assert "bce_logits" not in page and "mnist ·" not in page
    names = sorted(trace["name"] for trace in _traces(at, 0)[0])
    assert all("Tamaño de lote" in name and "DiffAugment" in name for name in names), names

    # By step the runs do not line up (4 steps of 16 images against 2 of 32); by epoch or images seen they do.
    def ends(axis):
        if axis:
            at.segmented_control(key="runs.x_axis").set_value(axis).run()
            assert not at.exception
        traces, title = _traces(at, 0)
        return sorted(trace["x"][-1] for trace in traces), title

    assert ends(None) == ([2, 4], "Paso")
    assert ends("epoch") == ([1.0, 1.0], "Época")
    assert ends("images_seen") == ([64, 64], "Imágenes vistas")

    # The choice of axis survives a switch to English.
    at.radio(key="lang").set_value("en").run()
    assert at.segmented_control(key="runs.x_axis").value == "images_seen"
    assert list(at.dataframe[0].value.columns) == ["Run", "Batch size", "DiffAugment"]


def test_a_reload_shows_the_run_in_the_address_else_the_active_one(sessions_dir):
    """A session with an older run still going (here: queued) and a newer finished one."""
    session_id = uuid.uuid4().hex
    (finished,) = _finished_runs(sessions_dir, session_id, (2e-3,))
    config = recipe("fast", dataset="mnist", epochs=1, max_images=64, batch_size=32)
    older_id = "20000101-000000-" + uuid.uuid4().hex[:12]  # made before the finished one
    active = Run.create(sessions_dir / session_id / "runs" / older_id, config, owner=session_id)
    state.registry().add(active)  # queued and never started: active, like a run waiting for its turn
    assert active.snapshot().active and state.registry().run_ids(session_id)[-1] == finished.run_id

    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, session_id)
    at.run()
    assert not at.exception
    assert at.session_state["current_run"] == active.run_id, "no run in the address: the active one"
    assert at.query_params["run"] in (active.run_id, [active.run_id])  # and now the address names it

    again = new_app()
    again.query_params["s"] = housekeeping.session_token(sessions_dir, session_id)
    again.query_params["run"] = finished.run_id
    again.run()
    assert not again.exception
    assert again.session_state["current_run"] == finished.run_id, "the run the address names"
    assert any("Entrenamiento terminado" in s.value for s in again.success)

    stranger = new_app()
    stranger.query_params["run"] = finished.run_id  # someone else's run in the address: not shown
    stranger.run()
    assert not stranger.exception and stranger.session_state.get("current_run") is None


def test_quota_and_idle_clean_up_come_from_housekeeping(sessions_dir, monkeypatch):
    from gan_core.server import housekeeping

    at = new_app().run()
    session_dir = sessions_dir / at.session_state["session_id"]
    assert not session_dir.exists()  # a visit alone writes nothing: the folder comes with the session's first write
    session_dir.mkdir(parents=True)
    (session_dir / "filler.bin").write_bytes(b"x" * 10)
    at.run()
    assert (session_dir / housekeeping.LAST_SEEN).is_file()  # then every page run marks the session as seen

    monkeypatch.setattr(housekeeping, "DEFAULT_QUOTA_BYTES", 1)
    at.number_input(key="hp.fast.max_images").set_value(256)
    _button(at, "Entrenar").click().run()
    assert any("espacio en el servidor está lleno" in e.value for e in at.error)
    assert at.session_state["run_ids"] == []

    idle = sessions_dir / uuid.uuid4().hex
    (idle / "runs").mkdir(parents=True)
    housekeeping.touch_session(idle)
    os.utime(idle / housekeeping.LAST_SEEN, (0, 0))
    assert state.registry().cleanup_idle(force=True) == [idle.name]
    assert not idle.exists() and session_dir.exists()


def _photo_zip() -> bytes:
    """12 photos in two class folders, a note and a broken JPEG."""
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(12):
            pixels = rng.integers(0, 255, (48, 40, 3), dtype=np.uint8)
            encoded = io.BytesIO()
            Image.fromarray(pixels).save(encoded, format="PNG" if index % 2 else "JPEG")
            folder, suffix = "gatos" if index < 6 else "perros", "png" if index % 2 else "jpg"
            archive.writestr(f"animales/{folder}/foto_{index}.{suffix}", encoded.getvalue())
        archive.writestr("animales/notas.txt", "no soy una foto")
        archive.writestr("animales/gatos/rota.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    return buffer.getvalue()


def _datasets(at) -> dict:
    folder = state.registry().session_dir(at.session_state["session_id"]) / "datasets"
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


@pytest.mark.slow
def test_data_page_previews_datasets_and_turns_uploaded_photos_into_a_training_set(sessions_dir):
    at = new_app().run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    assert [m.value for m in at.metric][:4] == ["60\u00a0000", "10\u00a0000", "28×28×1", "10"]  # not "60,000"
    at.selectbox(key="data.pick").set_value("fashion_mnist").run()
    assert "camiseta" in "\n".join(texts(at))  # class names in the page's language

    at.file_uploader(key="data.files").set_value(("fotos.zip", _photo_zip(), "application/zip"))
    at.run()
    _button(at, "Preparar el conjunto").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("«mis fotos» listo: 12 imágenes" in s.value for s in at.success)
    skipped = at.dataframe[-1].value
    reasons = dict(zip(skipped["Archivo"], skipped["Motivo"]))
    assert reasons["notas.txt"] == "no es una imagen"  # the zip's own top folder is no class
    assert reasons["gatos/rota.jpg"] == "imagen dañada o truncada"

    ((dataset_id, meta),) = _datasets(at).items()
    assert meta["count"] == 12 and meta["class_names"] == ["gatos", "perros"]

    # Train on it: the train page opens with the upload chosen, and a run starts on its 12 photos.
    _button(at, "Entrenar con este conjunto").click().run()
    assert not at.exception
    assert at.title[0].value == "Entrenar una GAN"
    assert at.session_state["train.dataset"] == state.UPLOAD_PREFIX + dataset_id
    at.switch_page("app_pages/train.py")  # AppTest would otherwise rerun the page it was last sent to
    # Photos open with the colour recipe, DiffAugment and the starting point left to the engine's rules.
    assert at.selectbox(key="train.preset").value == "fast-rgb"
    assert at.selectbox(key="hp.fast-rgb.diff_augment").value == "auto"
    assert at.selectbox(key="hp.fast-rgb.init_from").value == "auto"
    at.number_input(key="hp.fast-rgb.epochs").set_value(1)
    at.select_slider(key="hp.fast-rgb.batch_size").set_value(8)
    _button(at, "Entrenar").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (run_id,) = at.session_state["run_ids"]
    run = state.registry().get(at.session_state["session_id"], run_id)
    assert run.config.dataset.endswith(f"{dataset_id}.npz")
    assert run.dataset().images.shape == (12, 32, 32, 3)
    # The form sent "auto" (None), and the engine decided: 12 photos are small data; a folder starts from the
    # bundled animals. 1 epoch of 50 batches is too short to learn anything, and the page says so.
    assert run.config.diff_augment is True and run.config.init_from == "pretrained/cifar-animals"
    assert any("solo hará 50 pasos" in w.value for w in at.warning), [w.value for w in at.warning]
    run.stop()
    run.wait(120)




def _skipped_report(at) -> dict:
    """The skipped files the data page lists (file -> reason), from its table; {} when it shows none."""
    tables = [table.value for table in at.dataframe if "Archivo" in table.value.columns]
    return {file: reason for table in tables for file, reason in zip(table["Archivo"], table["Motivo"])}


def test_the_skipped_files_stay_with_their_set_after_leaving_the_page_and_in_a_new_browser(sessions_dir):
    at = new_app().run()
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key="data.files").set_value(("fotos.zip", _photo_zip(), "application/zip"))
    at.run()
    _button(at, "Preparar el conjunto").click().run()
    expected = {"notas.txt": "no es una imagen", "gatos/rota.jpg": "imagen dañada o truncada"}
    assert _skipped_report(at) == expected
    ((dataset_id, _),) = _datasets(at).items()

    # Away to another page and back: the report is still there, beside its set.
    at.switch_page("app_pages/train.py").run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    assert _skipped_report(at) == expected
    assert any(e.label == "Archivos omitidos (2)" for e in at.expander)

    # The same session in a new browser tab (its address), with nothing in its page state: still there, and in
    # English when the page is.
    token = at.session_state["session_token"]
    again = new_app()
    again.query_params["s"] = token
    again.query_params["lang"] = "en"
    again.run()
    again.switch_page("app_pages/data.py").run()
    assert not again.exception
    assert again.session_state["session_id"] == at.session_state["session_id"]
    assert any(e.label == "Skipped files (2)" for e in again.expander), [e.label for e in again.expander]
    tables = [t.value for t in again.dataframe if "File" in t.value.columns]
    assert tables and set(tables[0]["File"]) == set(expected) and "not an image" in set(tables[0]["Reason"])

    # Deleting the set deletes its report with it.
    again.button(key=f"data.delete.{dataset_id}").click().run()
    assert not any(e.label.startswith("Skipped files") for e in again.expander)


def _form_box(at):
    (box,) = [e for e in at.expander if e.label == TEXTS["train.new"]["es"]]
    return box


@pytest.mark.slow
def test_train_on_this_dataset_opens_the_form_filled_in_even_over_a_run_on_show(sessions_dir):
    """Issue #26, item 8: with a run on show the form is folded; "Entrenar con este conjunto" landed there and
    looked as if it did nothing. It opens the form, with the photos and the colour recipe chosen, and says so."""
    session_id = uuid.uuid4().hex
    (old,) = _finished_runs(sessions_dir, session_id, (2e-4,))
    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, session_id)
    at.run()
    assert at.session_state["current_run"] == old.run_id and not _form_box(at).proto.expanded
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key="data.files").set_value(("fotos.zip", _photo_zip(), "application/zip"))
    at.run()
    _button(at, "Preparar el conjunto").click().run()
    ((dataset_id, _),) = _datasets(at).items()

    _button(at, "Entrenar con este conjunto").click().run()
    assert not at.exception and at.title[0].value == "Entrenar una GAN"
    assert _form_box(at).proto.expanded, "the form is open"
    assert at.selectbox(key="train.dataset").value == state.UPLOAD_PREFIX + dataset_id
    assert at.selectbox(key="train.preset").value == "fast-rgb"
    assert any(s.value.startswith("Conjunto elegido: Tus fotos: mis fotos") for s in at.success), [s.value for s in at.success]
    at.switch_page("app_pages/train.py").run()  # a later draw: the note has been said, the form stays open
    assert _form_box(at).proto.expanded
    assert not any(s.value.startswith("Conjunto elegido") for s in at.success)


def test_pressing_prepare_twice_makes_no_copy_and_a_chosen_upload_survives_a_recipe_change(sessions_dir):
    at = new_app().run()
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key="data.files").set_value(("fotos.zip", _photo_zip(), "application/zip"))
    at.run()
    _button(at, "Preparar el conjunto").click().run()
    ((dataset_id, _),) = _datasets(at).items()

    # The uploader still holds the zip: pressing again points at the dataset already made.
    _button(at, "Preparar el conjunto").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert list(_datasets(at)) == [dataset_id]
    assert [i.value for i in at.info] == [TEXTS["data.already"]["es"].format(name="mis fotos")]
    assert not at.success
    # The same photos at another size are another dataset; deleting one lets the same files make it again.
    at.radio(key="data.size").set_value(64).run()
    _button(at, "Preparar el conjunto").click().run()
    assert len(_datasets(at)) == 2 and any("listo: 12 imágenes" in s.value for s in at.success)
    (bigger,) = set(_datasets(at)) - {dataset_id}
    at.button(key=f"data.delete.{bigger}").click().run()
    assert list(_datasets(at)) == [dataset_id]
    _button(at, "Preparar el conjunto").click().run()
    assert len(_datasets(at)) == 2 and not at.info

    # "Train on this dataset", then the rgb32 recipe (made for CIFAR animals): the student's photos stay chosen.
    at.button(key=f"data.use.{dataset_id}").click().run()
    assert at.title[0].value == "Entrenar una GAN"
    at.switch_page("app_pages/train.py")  # AppTest would otherwise rerun the page it was last sent to
    at.selectbox(key="train.preset").set_value("rgb32").run()
    assert not at.exception
    assert at.selectbox(key="train.dataset").value == state.UPLOAD_PREFIX + dataset_id
    options = at.selectbox(key="train.dataset").options  # the selectbox matches options by their text
    assert len(set(options)) == len(options) and "Tus fotos: mis fotos (12 imágenes de 64×64)" in options
    at.selectbox(key="train.dataset").set_value("mnist").run()
    at.selectbox(key="train.preset").set_value("fast").run()
    at.selectbox(key="train.preset").set_value("rgb32").run()
    assert at.selectbox(key="train.dataset").value == "mnist"  # any explicit choice is kept

    # Nobody chose a dataset yet: the recipe still brings its own.
    fresh = new_app().run()
    fresh.selectbox(key="train.preset").set_value("rgb32").run()
    assert not fresh.exception
    assert fresh.selectbox(key="train.dataset").value == "cifar_animals"


@pytest.mark.slow
def test_learn_page_draws_the_engines_losses_and_untrained_generators(sessions_dir):
    at = new_app().run()
    at.switch_page("app_pages/learn.py").run()
    assert not at.exception
    assert [h.value for h in at.header][:3] == ["La idea", "Un paso de entrenamiento", "Cómo leer las gráficas"]
    for loss in ("bce_logits", "log", "lsgan", "hinge", "wgan_gp"):
        at.selectbox(key="learn.loss").set_value(loss).run()
        assert not at.exception
        assert at.get("plotly_chart"), loss
    for preset in ("cgan", "rgb32"):
        at.selectbox(key="learn.preset").set_value(preset).run()
        assert not at.exception and at.image
    first = at.image[0].value
    _button(at, "Otra muestra").click().run()
    assert at.session_state["learn.sample_seed"] == 1 and at.image[0].value != first


DEMO = Path(__file__).resolve().parents[1] / "docs" / "learn" / "diffaugment"


def test_the_committed_diffaugment_demo_backs_the_learn_pages_claim():
    """docs/learn/diffaugment (scripts/make_diffaugment_demo.py): two birds runs, identical but for DiffAugment, each
    with its per-epoch curves and its grids at the shown epochs; without augmentation D is surer of the real photos."""
    demo = json.loads((DEMO / "demo.json").read_text())
    assert demo["images"] == 416 and demo["epochs"] >= 20 and demo["shown_epochs"][-1] == demo["epochs"]
    without, with_ = demo["runs"]["without"], demo["runs"]["with"]
    assert (without["diff_augment"], with_["diff_augment"]) == (False, True)
    assert "--no-diff-augment" in without["command"] and "--diff-augment" in with_["command"].split()
    assert without["command"].replace("--no-diff-augment", "--diff-augment").replace("/without", "/with") == \
        with_["command"]  # nothing else differs
    curves = {}
    for name in ("without", "with"):
        curves[name] = json.loads((DEMO / name / "curves.json").read_text())
        assert curves[name]["epoch"] == list(range(1, demo["epochs"] + 1))
        for field in ("d_acc_real", "d_acc_fake", "g_loss", "d_loss"):
            assert len(curves[name][field]) == demo["epochs"], (name, field)
        assert curves[name]["d_acc_real"][-1] == pytest.approx(demo["runs"][name]["final"]["d_acc_real"], abs=1e-4)
        for epoch in demo["shown_epochs"]:
            with Image.open(DEMO / name / f"epoch_{epoch:03d}.png") as grid:
                assert grid.format == "PNG" and grid.size[0] >= 8 * 32, (name, epoch)
    # What the Learn page says: without augmentation D is surer of the real photos, early on, on average and at the end.
    without_real, with_real = curves["without"]["d_acc_real"], curves["with"]["d_acc_real"]
    assert without_real[-1] > with_real[-1]
    early = len(without_real) // 4
    assert np.mean(without_real[:early]) > 0.8 > 0.6 > np.mean(with_real[:early])
    assert np.mean(without_real) > np.mean(with_real)
    assert sum(path.stat().st_size for path in DEMO.rglob("*") if path.is_file()) < 1.5 * 2**20


@pytest.mark.parametrize("lang", ["es", "en"])
def test_learn_page_shows_the_birds_with_and_without_diffaugment(sessions_dir, lang):
    from gan_ui.learn_view import augment_figures

    demo = json.loads((DEMO / "demo.json").read_text())
    last = demo["shown_epochs"][-1]
    at = new_app()
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("app_pages/learn.py").run()
    assert not at.exception
    assert TEXTS["learn.augment_title"][lang] in [h.value for h in at.header]
    assert at.select_slider(key="learn.augment_epoch").value == last

    def captions_and_urls():
        """The section's two grids, left (without) then right (with): each caption names the epoch and that run's D
        accuracy on real photos, read from its curves."""
        return [(caption, url) for image in at.image for url, caption in zip(image.value, image.captions)
                if caption.startswith(TEXTS["learn.augment_caption"][lang].split("{")[0])]

    real = {name: json.loads((DEMO / name / "curves.json").read_text())["d_acc_real"] for name in ("without", "with")}

    def expected(epoch):
        return [TEXTS["learn.augment_caption"][lang].format(epoch=epoch, real=f"{real[name][epoch - 1]:.0%}")
                for name in ("without", "with")]

    shown = captions_and_urls()
    assert [caption for caption, _ in shown] == expected(last)
    assert len({url for _, url in shown}) == 2  # two different pictures
    first = demo["shown_epochs"][0]
    at.select_slider(key="learn.augment_epoch").set_value(first).run()
    assert not at.exception
    assert [caption for caption, _ in captions_and_urls()] == expected(first)
    assert not {url for _, url in shown} & {url for _, url in captions_and_urls()}  # another epoch, other pictures

    (chart,) = [c for c in at.get("plotly_chart") if c.key == "learn.augment_chart"]
    spec = json.loads(chart.proto.spec)
    assert [trace["name"] for trace in spec["data"]] == [TEXTS["chart.without_augment"][lang],
                                                          TEXTS["chart.with_augment"][lang]]
    assert len(spec["data"][0]["y"]) == demo["epochs"]
    page = "\n".join(texts(at))
    figures = augment_figures(real["without"], real["with"])
    assert TEXTS["learn.augment_seen"][lang].format(**figures) in page  # the numbers the page quotes, from the curves
    assert "Zhao et al. 2020" in page and "Karras et al. 2020" in page
    assert leftovers(at, lang, {"es": "en", "en": "es"}[lang], TEXTS, allowed={"Español"}) == []


def test_loss_curves_come_from_the_engine():
    from gan_ui.learn_view import loss_curves

    hinge = loss_curves("hinge")
    assert hinge["d_real"][0] == pytest.approx(5.0) and hinge["d_real"][-1] == pytest.approx(0.0)
    assert hinge["d_fake"][0] == pytest.approx(0.0) and hinge["g_fake"][0] == pytest.approx(4.0)
    bce = loss_curves("bce_logits")
    middle = len(bce["scores"]) // 2
    assert bce["d_real"][middle] == pytest.approx(math.log(2), abs=1e-4)
    assert np.all(np.diff(bce["d_real"]) < 0) and np.all(np.diff(bce["d_fake"]) > 0)
    wgan = loss_curves("wgan_gp")
    assert wgan["d_fake"] == pytest.approx(wgan["scores"], abs=1e-5)


@pytest.mark.parametrize("lang, other", [("en", "es"), ("es", "en")])
def test_every_page_speaks_one_language(sessions_dir, lang, other):
    at = new_app()
    at.query_params["lang"] = {"en": "English", "es": "es"}[lang]  # a shared link: the selector's label or a code
    at.run()
    assert at.session_state["lang"] == lang
    # the address names the language by its code (?lang=en, issue #26), and Spanish, the default, not at all
    assert at.query_params.get("lang") == {"en": "en", "es": None}[lang]
    titles = []
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception
        titles.append(at.title[0].value)
        assert leftovers(at, lang, other, TEXTS, allowed={"Español"}) == [], page
    expected = {"en": ["Train a GAN", "My runs", "Data", "Learn how a GAN works"],
                "es": ["Entrenar una GAN", "Mis ejecuciones", "Datos", "Aprende cómo funciona una GAN"]}
    assert titles == expected[lang]


def test_streamlit_no_longer_resets_keras_between_script_runs(sessions_dir):
    from keras.src.backend.common import global_state

    at = new_app().run()
    tracker = global_state.GLOBAL_STATE_TRACKER
    at.run()
    at.switch_page("app_pages/runs.py").run()
    assert global_state.GLOBAL_STATE_TRACKER is tracker  # a training thread's Keras state survives page runs


def test_learn_page_shows_why_groups_stop_in_between_digits(sessions_dir):
    from gan_ui.learn_view import latent_sweeps

    at = new_app().run()
    at.switch_page("app_pages/learn.py").run()
    assert not at.exception
    assert TEXTS["learn.groups_title"]["es"] in [h.value for h in at.header]
    captions = [caption for image in at.image for caption in image.captions]
    assert TEXTS["learn.groups_dim0"]["es"] in captions and TEXTS["learn.groups_dim1"]["es"] in captions
    sweeps = latent_sweeps()
    assert sweeps["groups"] >= 2 and sweeps["strips"][0] != sweeps["strips"][1]


USTED = re.compile(r"\b(usted|ustedes|Pruebe|Defina|defina|Revise|Borre|Baje|Elija|Pulse|Suba|Use|Intente|Compruebe|"
                   r"Espere|Asegúrese|Seleccione|Marque|Mueva|Cambie|Introduzca|Escriba|Vuelva|Su espacio)\b")


def test_spanish_speaks_tu_everywhere():
    """Every Spanish sentence, the teacher page's and the diagnoses' too, addresses the student as «tú»."""
    import gan_ui.explore_view  # noqa: F401 - each page module adds its own sentences to the table
    import gan_ui.teacher_view  # noqa: F401

    formal = {key: entry["es"] for key, entry in TEXTS.items() if USTED.search(entry.get("es", ""))}
    assert formal == {}
    assert "Prueba" in TEXTS["diag.oscillation"]["es"] and "define" in TEXTS["teacher.disabled"]["es"]
