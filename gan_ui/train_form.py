"""The train page's form: dataset, recipe and every hyper-parameter with its help text; starts a run."""

from __future__ import annotations

import streamlit as st

from gan_core import PRESETS, GanError
from gan_core.data.datasets import load_saved_dataset
from gan_core.i18n import tr
from gan_core.training.config import from_choices, recipe
from gan_core.training.run_folder import NETWORKS_FILE
from gan_core.training.settings import AUTO, LOCKABLE, SETTINGS
from gan_ui import classroom_view, state
from gan_ui.widgets import bundled_sources, dataset_choices, dataset_label, distinct

DEFAULT_PRESET = "fast"  # recognisable digits in about a minute on a CPU
PHOTO_PRESET = "fast-rgb"  # a student's photos: our colour recipe, from the bundled animals (training.transfer)
MIN_USEFUL_STEPS = 300  # below this many G updates no recipe shows more than blobs: the form says so
FLASH_KEY = "train.flash"  # a warning to show once the page has redrawn after a start
DATASET_KEY = "train.dataset"
PRESET_KEY = "train.preset"
DATASET_CHOSEN_KEY = "train.dataset_chosen"  # set once the student picks a dataset (here or on the data page)
FORM_OPEN_KEY = "train.form_open"  # the expander holding the form
COLLAPSE_FORM_KEY = "train.collapse_form"  # set when a run starts: the next draw folds the form away
PICKED_KEY = "train.picked"  # a dataset chosen on another page: the next draw opens the form and says so


def choose_dataset(choice: str, photos: bool = False) -> None:
    """Select a dataset for the form as the student's own choice (the data page's "train on this dataset");
    `photos` (an upload of colour photos) also selects the colour recipe."""
    st.session_state[DATASET_KEY] = choice
    st.session_state[DATASET_CHOSEN_KEY] = True
    st.session_state[PICKED_KEY] = choice  # the train page opens its form on it, whatever run it was showing
    if photos:
        st.session_state[PRESET_KEY] = PHOTO_PRESET


def prefill(exercise: dict) -> None:
    """Fill the form with an exercise link's dataset, recipe and values (classroom_view calls it once, when a link
    is opened): the form's own keys, written only here."""
    st.session_state[DATASET_KEY] = exercise["dataset"]
    st.session_state[DATASET_CHOSEN_KEY] = True
    st.session_state[PRESET_KEY] = exercise["preset"]
    for name, value in exercise["values"].items():
        st.session_state[_widget_key(exercise["preset"], name)] = float(value) if SETTINGS[name].kind is float \
            else value


def _widget_key(preset_name: str, name: str) -> str:
    """A setting's widget key: each recipe remembers its own values."""
    return f"hp.{preset_name}.{name}"


def form_box() -> tuple[dict, str | None]:
    """Before the train page draws the form's box (an expander, whose key this module owns): folded when a run has
    just started (room for it), opened by a dataset picked on another page, else open while no run is on show.
    Returns the expander's arguments and the dataset picked, if any."""
    if st.session_state.pop(COLLAPSE_FORM_KEY, False):
        st.session_state[FORM_OPEN_KEY] = False
    picked = open_form_if_picked()
    opened = {} if FORM_OPEN_KEY in st.session_state else {"expanded": state.current_run_id() is None}
    return {"key": FORM_OPEN_KEY, **opened}, picked


def open_form_if_picked() -> str | None:
    """Before the train page draws its form: a dataset chosen on another page ("Entrenar con este conjunto")
    opens the form, even if a run had folded it away (issue #26: it looked as if the button did nothing). Returns
    the choice, for `train_form` to say it was made."""
    picked = st.session_state.pop(PICKED_KEY, None)
    if picked is not None:
        st.session_state[FORM_OPEN_KEY] = True
    return picked


def _dataset_chosen() -> None:
    st.session_state[DATASET_CHOSEN_KEY] = True


def _follow_preset() -> None:
    """A recipe made for one dataset (rgb32: CIFAR animals) selects it, unless the student already chose one."""
    wanted = PRESETS[st.session_state[PRESET_KEY]].defaults.get("dataset")
    if wanted and not st.session_state.get(DATASET_CHOSEN_KEY):
        st.session_state[DATASET_KEY] = wanted


def train_form(lang: str, picked: str | None = None) -> None:
    """Render the form; on submit create and queue a run (errors in words, nothing left behind). An exercise link
    (?ex=) fills it first; class limits decide what it offers and cap what it starts. `picked`: a dataset just
    chosen on another page, said at the top."""
    exercise = classroom_view.exercise_from_url(lang, on_open=prefill)
    limits = classroom_view.class_limits()
    choices = [choice for choice in dataset_choices() if limits.allows_dataset(choice)] or ["mnist"]
    if st.session_state.get(DATASET_KEY) not in choices:  # an upload deleted since it was chosen, or not offered
        st.session_state.pop(DATASET_KEY, None)
        st.session_state.pop(DATASET_CHOSEN_KEY, None)
    presets = [name for name in PRESETS if limits.allows_preset(name)]
    if st.session_state.get(PRESET_KEY) not in presets:
        st.session_state.pop(PRESET_KEY, None)
    classroom_view.exercise_banner(exercise, lang)
    if picked is not None and picked in choices:
        st.success(tr("train.picked", lang, name=dataset_label(picked, lang)), icon=":material/check_circle:")
    classroom_view.limits_caption(limits, lang)
    fixed = _fixed(exercise)
    labels = distinct({choice: dataset_label(choice, lang) for choice in choices})
    left, right = st.columns(2)
    if "dataset" in fixed.hidden:
        dataset_choice = exercise["dataset"]
    else:
        dataset_choice = left.selectbox(
            fixed.label(tr("train.dataset", lang), "dataset"), choices, key=DATASET_KEY, help=tr("help.dataset", lang),
            format_func=labels.get, on_change=_dataset_chosen, persist_state="session",
            disabled="dataset" in fixed.locked)
    if st.session_state.get(PRESET_KEY) not in presets:  # a recipe the class no longer offers, or none yet
        st.session_state.pop(PRESET_KEY, None)
    if "preset" in fixed.hidden:
        preset_name = exercise["preset"]
    else:
        preset_name = right.selectbox(
            fixed.label(tr("train.preset", lang), "preset"), presets, key=PRESET_KEY,
            **_unless_set(PRESET_KEY, index=presets.index(DEFAULT_PRESET) if DEFAULT_PRESET in presets else 0),
            help=tr("help.preset", lang), on_change=_follow_preset, persist_state="session",
            disabled="preset" in fixed.locked)
    preset = PRESETS[preset_name]
    conditional = "  \n" + tr("train.conditional", lang) if preset.conditional else ""
    right.caption(tr(f"preset.{preset_name}", lang) + conditional)

    defaults = recipe(preset_name)
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.warning(flash, icon=":material/warning:")
    with st.form("train.form", border=True):
        started_at_top = False
        if state.on_a_phone():  # there the knobs below are one long column: the button at their end was four
            # screens down (issue #26). Decided by the server, from the browser's own words: a style hiding it on
            # wide screens arrives after the form, and a desktop showed two Entrenar buttons until it did
            started_at_top = st.form_submit_button(tr("train.start", lang), type="primary",
                                                   icon=":material/play_arrow:", key="train.start_top")
        values = _knobs(preset_name, defaults, lang, fixed, limits)
        locks = classroom_view.lock_choices(list(LOCKABLE), lang)
        with st.container(horizontal=True):
            submitted = st.form_submit_button(tr("train.start", lang), type="primary", icon=":material/play_arrow:")
            make_link = classroom_view.teacher_signed_in() and st.form_submit_button(
                tr("exercise.make", lang), icon=":material/link:", help=tr("exercise.make_help", lang))
    submitted = submitted or started_at_top
    if exercise is not None:  # what the exercise fixes wins over anything the page sent for it
        dataset_choice = exercise["dataset"] if "dataset" in fixed.fixed else dataset_choice
        preset_name = exercise["preset"] if "preset" in fixed.fixed else preset_name
        values.update({name: exercise["values"][name] for name in fixed.fixed if name in exercise["values"]})
        preset, defaults = PRESETS[preset_name], recipe(preset_name)
    if make_link:
        classroom_view.make_exercise_link(dataset_choice, preset_name, values, locks, lang)
    if submitted:
        _start(preset_name, dataset_choice, values, lang)


class _Fixed:
    """The fields an exercise link locks (drawn disabled, marked) or hides (not drawn, its value used)."""

    def __init__(self, exercise: dict | None):
        self.locked = set(exercise["locked"]) if exercise else set()
        self.hidden = set(exercise["hidden"]) if exercise else set()
        self.fixed = self.locked | self.hidden

    def label(self, text: str, name: str) -> str:
        return f"{text} 🔒" if name in self.locked else text


def _fixed(exercise: dict | None) -> _Fixed:
    return _Fixed(exercise)


def _unless_set(key: str, **default) -> dict:
    """A widget's default (value= or index=), left out when session state already holds its value (an exercise
    link put it there): passing both makes Streamlit log a warning with a stack trace on the console."""
    return {} if key in st.session_state else default


def limited_range(name: str, limits) -> tuple:
    """A number widget's range as the form draws it: the settings table's, with the top of a setting the class
    limits (epochs, minutes) brought down to its limit, so the form never offers what starting would cut (an
    exercise link is still checked against the table: the limits cap it when it starts)."""
    setting = SETTINGS[name]
    low, high = setting.kind(setting.low), setting.kind(setting.high)
    cap = getattr(limits, setting.limit) if limits is not None and setting.limit else None
    return (low, setting.kind(min(high, cap))) if cap else (low, high)


def limited_default(name: str, value, limits):
    """A recipe's default for a field, within the class's limits: at most its epochs, and its minutes when the
    recipe has no time budget or a longer one (what pressing Train without touching anything then starts)."""
    if limits is None:
        return value
    if name == "epochs" and limits.max_epochs:
        return min(value, int(limits.max_epochs))
    if name == "max_minutes" and limits.max_minutes and not 0 < value <= limits.max_minutes:
        return float(limits.max_minutes)
    return value


def field_choices(name: str, defaults) -> tuple | None:
    """The options of a choice widget (the settings table's, with the recipe's own value on a ladder; where a run
    may start from: this session's too), or None for a number."""
    if name == "init_from":
        return tuple(init_sources())
    setting = SETTINGS[name]
    return setting.options(defaults) if setting.widget in ("select", "steps") else None


WIDGETS = {"number": st.number_input, "slider": st.slider, "select": st.selectbox, "steps": st.select_slider}


def _knobs(preset_name: str, defaults, lang: str, fixed: _Fixed | None = None, limits=None) -> dict:
    """One widget per setting the form draws (gan_core.training.settings: its kind of widget, range or options,
    help, and the recipe's value as its default); each recipe remembers its own values. Here only where each goes
    and how its options read. A field an exercise locks is drawn disabled and marked; one it hides is not drawn (the
    caller uses the exercise's value). The class's limits (`limits`) bound the epochs and minutes offered and their
    defaults."""
    fixed = fixed or _Fixed(None)
    values = {}

    def widget(name, label=None, **kwargs):
        if name in fixed.hidden:
            return None
        key = _widget_key(preset_name, name)
        setting = SETTINGS[name]
        default = setting.default(defaults)
        if setting.widget in ("number", "slider"):
            low, high = limited_range(name, limits)
            kwargs.update(min_value=low, max_value=high, step=setting.step)
            default = {"value": limited_default(name, setting.kind(default), limits)}
            if st.session_state.get(key) is not None and st.session_state[key] > high:
                st.session_state[key] = high  # chosen before the teacher set a limit: its top, not the minimum
        else:
            options = field_choices(name, defaults)
            kwargs["options"] = options
            default = {"value": default} if setting.widget == "steps" else {"index": options.index(default)}
        values[name] = WIDGETS[setting.widget](
            fixed.label(label or tr(f"hp.{name}", lang), name), key=key, help=tr(setting.help, lang),
            persist_state="session", disabled=name in fixed.locked, **_unless_set(key, **default), **kwargs)
        return values[name]

    col1, col2, col3 = st.columns(3)
    with col1:
        widget("epochs")
        widget("batch_size")
        widget("latent_dim")
        widget("loss", format_func=lambda name: tr(f"loss.{name}", lang))
    for column, who in ((col2, "g"), (col3, "d")):
        with column:
            st.markdown(f"**{tr('train.generator_opt' if who == 'g' else 'train.discriminator_opt', lang)}**")
            widget(f"{who}_name", tr("hp.optimizer", lang))
            widget(f"{who}_lr", tr("hp.learning_rate", lang), format_func=lambda v: f"{v:g}")
            widget(f"{who}_beta1", tr("hp.beta1", lang))
    col1, col2, col3, col4 = st.columns(4)
    with col1:
        widget("d_steps")
        widget("update", format_func=lambda name: tr(f"update.{name}", lang))
    with col2:
        widget("label_smoothing")
    with col3:
        widget("seed")
    with col4:
        widget("max_images")
    col1, col2, col3, col4 = st.columns(4)
    with col1:
        widget("diff_augment", format_func=lambda name: tr(f"augment.{name}", lang))
    with col2:
        widget("steps_per_epoch")
    with col3:
        widget("max_minutes")
    with col4:
        widget("init_from", format_func=lambda source: _source_label(source, lang))
        widget("freeze_d")
    if PRESETS[preset_name].self_conditioning:
        widget("clusters", width=260)
    return values


def _start(preset_name: str, dataset_choice: str, values: dict, lang: str) -> None:
    """The form's values on top of the preset's recipe (gan_core's from_choices); the registry applies the class's
    limits and the run keeps the reasons for what they cut (its panel shows them, after a reload too)."""
    dataset = None
    dataset_name = dataset_choice
    if dataset_choice.startswith(state.UPLOAD_PREFIX):
        path = state.session_dataset_path(dataset_choice[len(state.UPLOAD_PREFIX):])
        if path is None:
            st.rerun()  # the upload vanished (another tab?): redraw the choices
        dataset = load_saved_dataset(path)
        dataset_name = str(path)
    try:
        config = from_choices(preset_name, {**values, "dataset": dataset_name})
        run = state.start_run(config, dataset, dataset_choice=dataset_choice)
    except GanError as exc:
        st.error(state.say(exc, lang), icon=":material/error:")
        return
    steps = planned_steps(config, len(run.dataset().images))
    if steps < MIN_USEFUL_STEPS:
        st.session_state[FLASH_KEY] = tr("train.too_short", lang, steps=steps, useful=MIN_USEFUL_STEPS)
    st.toast(tr("train.started", lang, run_id=run.run_id), icon=":material/rocket_launch:")
    st.session_state[COLLAPSE_FORM_KEY] = True
    st.rerun()


def planned_steps(config, image_count: int) -> int:
    """G updates the run will make: epochs x (its steps per epoch, or the batches in one pass over the images)."""
    per_epoch = config.steps_per_epoch or image_count // max(config.batch_size, 1)
    return config.epochs * per_epoch


def init_sources() -> list[str]:
    """What a run can start from: auto (the engine's rule), nothing, each bundled generator kept with its networks,
    and this session's finished runs that kept theirs (gan_core.training.transfer)."""
    sources = [AUTO, "", *bundled_sources()]
    sources += [str(run.directory) for run in state.session_runs() if (run.directory / NETWORKS_FILE).is_file()]
    return sources


def _source_label(source: str, lang: str) -> str:
    if source == "auto":
        return tr("init.auto", lang)
    if not source:
        return tr("init.scratch", lang)
    if source.startswith("pretrained/"):
        return tr("init.bundled", lang, name=source.split("/", 1)[1])
    return tr("init.run", lang, name=source.rstrip("/").rsplit("/", 1)[-1])  # a run's name, never its path
