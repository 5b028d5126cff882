"""Issue #27 item 1: one table of training settings (gan_core.training.settings). Walks the table and proves that
the train form (its widgets' ranges and options, drawn through the page), TrainConfig.validate and from_choices,
the command line's arguments, the exercise-link check and the class limits take every range and choice from it:
the ends are accepted everywhere and a value just outside is refused everywhere, with the usual message in
Spanish and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_support import class_app, no_bundled_generators, sessions_dir  # noqa: F401 - fixtures

from gan_core import GanError
from gan_core.__main__ import build_parser, main
from gan_core.data.datasets import BUILTIN_DATASETS
from gan_core.i18n import tr
from gan_core.server import classroom
from gan_core.training.config import from_choices, recipe
from gan_core.training.settings import FORM_FIELDS, MAX_EPOCHS, MAX_MINUTES, SETTINGS, SETTINGS_LIST
from gan_ui import classroom_view, widgets

PRESET = "fast"  # the form's default recipe (self-conditioning: it draws clusters too)
NUMBERS = [s for s in SETTINGS_LIST if s.low is not None]
FORM_NUMBERS = [s for s in NUMBERS if s.widget in ("number", "slider")]
ROOT = Path(__file__).resolve().parents[1]


def _outside(setting) -> list:
    """A value just below and just above the setting's range."""
    if setting.kind is int:
        return [setting.low - 1, setting.high + 1]
    margin = max(abs(setting.high), 1e-5) * 1e-3
    return [setting.low - margin, setting.high + margin]


def _with_context(name: str, value) -> dict:
    """`name`'s value with what other rules need to judge it alone: D steps only with alternating updates;
    freezing D's layers only from a source."""
    choices = {name: value}
    if name == "d_steps":
        choices["update"] = "alternating"
    if name == "freeze_d":
        choices["init_from"] = "pretrained/demo"
    return choices


def _assert_out_of_range(exc: GanError, value) -> None:
    assert exc.message.key == "error.out_of_range", exc.message.key
    assert exc.message.params["value"] == value
    assert "debe estar entre" in exc.text("es") and "must be between" in exc.text("en"), exc.text("en")


# --- the engine: validate, from_choices, the class limits --------------------------------------------------------

@pytest.mark.parametrize("setting", NUMBERS, ids=lambda s: s.name)
def test_from_choices_takes_the_ends_of_the_range_and_refuses_just_outside(setting):
    ends = [setting.low, setting.high] if setting.name != "clusters" else [0, 2, setting.high]
    preset = "fast"
    for value in ends:
        config = from_choices(preset, _with_context(setting.name, value))
        owner, _, knob = setting.field.rpartition(".")
        holder = config if not owner else config.generator_optimizer if owner in ("*", "generator_optimizer") \
            else config.discriminator_optimizer
        assert getattr(holder, knob) == value
    for value in _outside(setting):
        with pytest.raises(GanError) as caught:
            from_choices(preset, _with_context(setting.name, value))
        _assert_out_of_range(caught.value, value)


@pytest.mark.parametrize("setting", [s for s in SETTINGS_LIST if s.choices and s.kind is str], ids=lambda s: s.name)
def test_from_choices_takes_every_choice_and_refuses_another(setting):
    for value in setting.choices:
        from_choices("fast", {setting.name: value})
    with pytest.raises(GanError) as caught:
        from_choices("fast", {setting.name: "nope"})
    assert caught.value.message.key == "error.unknown_choice"
    assert "nope" in caught.value.text("es") and "nope" in caught.value.text("en")


def test_every_preset_recipe_is_within_the_table():
    from gan_core.training.presets import PRESETS

    for name in PRESETS:
        recipe(name).validate()


def test_class_limits_take_their_tops_from_the_table():
    classroom.ClassLimits(max_epochs=MAX_EPOCHS, max_minutes=MAX_MINUTES).validate()
    assert (MAX_EPOCHS, MAX_MINUTES) == (SETTINGS["epochs"].high, SETTINGS["max_minutes"].high)
    for limits, value in ((classroom.ClassLimits(max_epochs=MAX_EPOCHS + 1), MAX_EPOCHS + 1),
                          (classroom.ClassLimits(max_minutes=MAX_MINUTES + 1), MAX_MINUTES + 1)):
        with pytest.raises(GanError) as caught:
            limits.validate()
        _assert_out_of_range(caught.value, value)
    assert {s.limit for s in SETTINGS_LIST if s.limit} <= {f.name for f in classroom.ClassLimits.__dataclass_fields__.values()}


# --- the command line ------------------------------------------------------------------------------------------

def _train_parser():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return commands.choices["train"]


def test_the_cli_has_one_flag_per_setting_with_its_type_and_choices():
    actions = {action.dest: action for action in _train_parser()._actions}
    for setting in SETTINGS_LIST:
        action = actions[setting.name]
        if setting.name == "diff_augment":
            continue  # a switch: --diff-augment / --no-diff-augment
        assert setting.cli_flag in action.option_strings
        assert action.type is setting.kind
        assert tuple(action.choices or ()) == (setting.choices if setting.kind is str else ())


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("setting", NUMBERS, ids=lambda s: s.name)
def test_the_cli_refuses_just_outside_the_range_in_the_persons_language(setting, lang, tmp_path, capsys):
    value = _outside(setting)[1]
    out = tmp_path / "run"
    code = main(["--lang", lang, "train", "--preset", "fast", "--out", str(out), setting.cli_flag, str(value)])
    said = capsys.readouterr().err
    assert code == 2
    assert ("debe estar entre" if lang == "es" else "must be between") in said, said
    assert f"{setting.low}" in said and not out.exists()


# --- exercise links --------------------------------------------------------------------------------------------

def _exercise(values: dict, preset: str = "fast") -> dict:
    return {"dataset": "mnist", "preset": preset, "values": values, "locked": [], "hidden": []}


@pytest.mark.parametrize("setting", FORM_NUMBERS, ids=lambda s: s.name)
def test_an_exercise_link_takes_the_ends_and_refuses_just_outside(setting):
    preset = "fast"  # a recipe that self-conditions: it takes clusters
    context = {"init_from": "pretrained/demo"} if setting.name == "freeze_d" else \
        {"update": "alternating"} if setting.name == "d_steps" else {}
    ends = [setting.kind(setting.low), setting.kind(setting.high)]
    if setting.name == "clusters":
        ends = [0, 2, setting.high]
    for value in ends:
        classroom.check_exercise(_exercise({**context, setting.name: value}, preset), classroom.ClassLimits(),
                                 init_sources=("pretrained/demo",))
    for value in _outside(setting):
        with pytest.raises(GanError) as caught:
            classroom.check_exercise(_exercise({**context, setting.name: value}, preset), classroom.ClassLimits(),
                                     init_sources=("pretrained/demo",))
        assert caught.value.message.key == "error.exercise_value"
        assert setting.name in caught.value.text("es") and setting.name in caught.value.text("en")


def test_an_exercise_link_names_only_what_the_form_draws():
    for name in SETTINGS:
        if name in FORM_FIELDS:
            continue
        with pytest.raises(GanError) as caught:
            classroom.check_exercise(_exercise({name: SETTINGS[name].default(recipe("fast"))}), classroom.ClassLimits())
        assert caught.value.message.key == "error.exercise_value"


# --- the form, drawn through the train page --------------------------------------------------------------------

def _option_labels(name: str, options: tuple, lang: str) -> list[str]:
    """A choice widget's options as the page writes them."""
    words = {"loss": "loss", "update": "update", "diff_augment": "augment"}
    if name in words:
        return [tr(f"{words[name]}.{option}", lang) for option in options]
    if name.endswith("_lr"):
        return [f"{option:g}" for option in options]
    return [str(option) for option in options]


@pytest.mark.usefixtures("sessions_dir", "no_bundled_generators")
def test_the_train_form_draws_every_setting_with_the_tables_range_and_options():
    at = class_app(lang="en")
    assert not at.error, [e.value for e in at.error]
    defaults = recipe(PRESET)
    drawn = {widget.key: widget for kind in ("number_input", "slider", "select_slider", "selectbox")
             for widget in getattr(at, kind) if widget.key}
    for name in FORM_FIELDS:
        setting, widget = SETTINGS[name], drawn[f"hp.{PRESET}.{name}"]
        assert widget.help == tr(setting.help, "en"), name
        if setting.widget in ("number", "slider"):
            assert (widget.min, widget.max) == (setting.low, setting.high), name
            assert type(widget.value) is setting.kind, name
        elif name == "init_from":
            assert list(widget.options) == [tr("init.auto", "en"), tr("init.scratch", "en")]
        else:
            options = setting.options(defaults)
            assert list(widget.options) == _option_labels(name, options, "en"), name
            if setting.low is not None:
                assert setting.low <= min(options) and max(options) <= setting.high, name
    assert {key for key in drawn if key.startswith("hp.")} == {f"hp.{PRESET}.{name}" for name in FORM_FIELDS}


@pytest.mark.usefixtures("no_bundled_generators")
def test_the_teachers_limits_form_offers_the_tables_tops(sessions_dir):
    teacher = class_app(lang="en")
    teacher.switch_page("app_pages/teacher.py").run()
    teacher.text_input[0].set_value(classroom.generated_password(sessions_dir)[0])
    teacher.button(key=f"FormSubmitter:teacher.login-{tr('teacher.enter', 'en')}").click().run()
    assert not teacher.exception and not teacher.error, [e.value for e in teacher.error]
    max_epochs = teacher.number_input(key="teacher.limits.max_epochs")
    max_minutes = teacher.number_input(key="teacher.limits.max_minutes")
    assert (max_epochs.min, max_epochs.max) == (0, SETTINGS["epochs"].high)
    assert (max_minutes.min, max_minutes.max) == (0, SETTINGS["max_minutes"].high)


# --- one fact, one place -----------------------------------------------------------------------------------------

def test_the_page_paths_are_app_pys_and_the_builtin_choices_the_engines():
    url_paths = re.findall(r'url_path="([^"]+)"', (ROOT / "app.py").read_text())
    assert set(classroom_view.PAGE_PATHS) == set(url_paths) and len(url_paths) == len(classroom_view.PAGE_PATHS)
    assert widgets.BUILTIN_CHOICES is classroom.BUILTIN_CHOICES
    assert {choice.partition(":")[0] for choice in classroom.BUILTIN_CHOICES} == set(BUILTIN_DATASETS)
