"""The train page's form: dataset, recipe and every hyper-parameter with its help text; starts a run."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from gan_core import PRESETS, GanError
from gan_core.config import LOSSES, OPTIMIZERS, UPDATES
from gan_core.datasets import load_saved_dataset
from gan_ui import state
from gan_ui.texts import tr
from gan_ui.widgets import dataset_choices, dataset_label, distinct

DEFAULT_PRESET = "fast"  # recognisable digits in about a minute on a CPU
PHOTO_PRESET = "fast-rgb"  # a student's own photos: our colour recipe, from the bundled animals (gan_core.transfer)
MIN_USEFUL_STEPS = 300  # below this many G updates no recipe shows more than blobs: the form says so
AUGMENT_CHOICES = ("auto", "on", "off")  # DiffAugment: the engine's rule (under 2000 images), or forced
AUGMENT_VALUES = {"auto": None, "on": True, "off": False}
FLASH_KEY = "train.flash"  # a warning to show once the page has redrawn after a start
BATCH_CHOICES = (8, 16, 32, 64, 128, 256, 512)
LEARNING_RATES = (1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 4e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1)
DATASET_KEY = "train.dataset"
PRESET_KEY = "train.preset"
DATASET_CHOSEN_KEY = "train.dataset_chosen"  # set once the student picks a dataset (here or on the data page)
FORM_OPEN_KEY = "train.form_open"  # the expander holding the form
COLLAPSE_FORM_KEY = "train.collapse_form"  # set when a run starts: the next draw folds the form away


def choose_dataset(choice: str, photos: bool = False) -> None:
    """Select a dataset for the form as the student's own choice (the data page's "train on this dataset");
    `photos` (an upload of colour photos) also selects the colour recipe."""
    st.session_state[DATASET_KEY] = choice
    st.session_state[DATASET_CHOSEN_KEY] = True
    if photos:
        st.session_state[PRESET_KEY] = PHOTO_PRESET


def _dataset_chosen() -> None:
    st.session_state[DATASET_CHOSEN_KEY] = True


def _follow_preset() -> None:
    """A recipe made for one dataset (rgb32: CIFAR animals) selects it, unless the student already chose one."""
    wanted = PRESETS[st.session_state[PRESET_KEY]].defaults.get("dataset")
    if wanted and not st.session_state.get(DATASET_CHOSEN_KEY):
        st.session_state[DATASET_KEY] = wanted


def train_form(lang: str) -> None:
    """Render the form; on submit create and queue a run (errors in words, nothing left behind)."""
    choices = dataset_choices()
    if st.session_state.get(DATASET_KEY) not in choices:  # an upload deleted since it was chosen
        st.session_state.pop(DATASET_KEY, None)
        st.session_state.pop(DATASET_CHOSEN_KEY, None)
    labels = distinct({choice: dataset_label(choice, lang) for choice in choices})
    left, right = st.columns(2)
    dataset_choice = left.selectbox(tr("train.dataset", lang), choices, key=DATASET_KEY, help=tr("help.dataset", lang),
                                    format_func=labels.get, on_change=_dataset_chosen, persist_state="session")
    if st.session_state.get(PRESET_KEY) not in PRESETS:  # in session state, not as the widget's default: the
        st.session_state[PRESET_KEY] = DEFAULT_PRESET  # data page may have chosen one ("train on this dataset")
    preset_name = right.selectbox(tr("train.preset", lang), list(PRESETS), key=PRESET_KEY, help=tr("help.preset", lang),
                                  on_change=_follow_preset, persist_state="session")
    preset = PRESETS[preset_name]
    right.caption(preset.description[lang] + ("  \n" + tr("train.conditional", lang) if preset.conditional else ""))

    defaults = preset.config()
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.warning(flash, icon=":material/warning:")
    with st.form("train.form", border=True):
        values = _knobs(preset_name, defaults, lang)
        submitted = st.form_submit_button(tr("train.start", lang), type="primary", icon=":material/play_arrow:")
    if submitted:
        _start(preset, defaults, dataset_choice, values, lang)


def _knobs(preset_name: str, defaults, lang: str) -> dict:
    """One widget per TrainConfig field a student may turn; each recipe remembers its own values."""
    def key(name):
        return f"hp.{preset_name}.{name}"

    def widget(factory, name, label_key=None, **kwargs):
        return factory(tr(label_key or f"hp.{name}", lang), key=key(name), help=tr(f"help.{name}", lang),
                       persist_state="session", **kwargs)

    values = {}
    col1, col2, col3 = st.columns(3)
    with col1:
        values["epochs"] = widget(st.number_input, "epochs", min_value=1, max_value=500, value=defaults.epochs)
        values["batch_size"] = widget(st.select_slider, "batch_size", value=defaults.batch_size,
                                      options=sorted({*BATCH_CHOICES, defaults.batch_size}))
        values["latent_dim"] = widget(st.number_input, "latent_dim", min_value=1, max_value=1024,
                                      value=defaults.latent_dim)
        values["loss"] = widget(st.selectbox, "loss", options=LOSSES, index=LOSSES.index(defaults.loss),
                                format_func=lambda name: tr(f"loss.{name}", lang))
    networks = ((col2, "g", defaults.generator_optimizer), (col3, "d", defaults.discriminator_optimizer))
    for column, who, optimizer in networks:
        with column:
            st.markdown(f"**{tr('train.generator_opt' if who == 'g' else 'train.discriminator_opt', lang)}**")
            values[f"{who}_name"] = st.selectbox(tr("hp.optimizer", lang), OPTIMIZERS, key=key(f"{who}_name"),
                                                 index=OPTIMIZERS.index(optimizer.name),
                                                 help=tr("help.optimizer", lang), persist_state="session")
            values[f"{who}_lr"] = st.select_slider(tr("hp.learning_rate", lang), key=key(f"{who}_lr"),
                                                   options=sorted({*LEARNING_RATES, optimizer.learning_rate}),
                                                   value=optimizer.learning_rate, format_func=lambda v: f"{v:g}",
                                                   help=tr("help.learning_rate", lang), persist_state="session")
            values[f"{who}_beta1"] = st.slider(tr("hp.beta1", lang), 0.0, 0.99, float(optimizer.beta1), 0.01,
                                               key=key(f"{who}_beta1"), help=tr("help.beta1", lang),
                                               persist_state="session")
    col1, col2, col3, col4 = st.columns(4)
    with col1:
        values["d_steps"] = widget(st.number_input, "d_steps", min_value=1, max_value=10, value=defaults.d_steps)
        values["update"] = widget(st.selectbox, "update", options=UPDATES, index=UPDATES.index(defaults.update),
                                  format_func=lambda name: tr(f"update.{name}", lang))
    with col2:
        values["label_smoothing"] = widget(st.slider, "label_smoothing", min_value=0.0, max_value=0.5,
                                           value=float(defaults.label_smoothing), step=0.05)
    with col3:
        values["seed"] = widget(st.number_input, "seed", min_value=0, max_value=2**31 - 1, value=defaults.seed)
    with col4:
        values["max_images"] = widget(st.number_input, "max_images", min_value=0, max_value=100_000, step=512,
                                      value=defaults.max_images)
    col1, col2, col3, col4 = st.columns(4)
    with col1:
        augment = {None: "auto", True: "on", False: "off"}[defaults.diff_augment]
        values["diff_augment"] = widget(st.selectbox, "diff_augment", options=AUGMENT_CHOICES,
                                        index=AUGMENT_CHOICES.index(augment),
                                        format_func=lambda name: tr(f"augment.{name}", lang))
    with col2:
        values["steps_per_epoch"] = widget(st.number_input, "steps_per_epoch", min_value=0, max_value=10_000,
                                           value=defaults.steps_per_epoch)
    with col3:
        values["max_minutes"] = widget(st.number_input, "max_minutes", min_value=0.0, max_value=240.0, step=1.0,
                                       value=float(defaults.max_minutes))
    sources = init_sources()
    source_labels = {source: _source_label(source, lang) for source in sources}
    with col4:
        values["init_from"] = widget(st.selectbox, "init_from", options=list(sources),
                                     format_func=source_labels.get)
        values["freeze_d"] = widget(st.number_input, "freeze_d", min_value=0, max_value=4, value=0)
    if PRESETS[preset_name].self_conditioning:
        values["clusters"] = widget(st.number_input, "clusters", min_value=0, max_value=400, value=defaults.clusters,
                                    width=260)
    return values


def _start(preset, recipe, dataset_choice: str, values: dict, lang: str) -> None:
    """`recipe` is the preset's own config; the form's values go on top of it."""
    dataset = None
    dataset_name = dataset_choice
    if dataset_choice.startswith(state.UPLOAD_PREFIX):
        path = state.session_dataset_path(dataset_choice[len(state.UPLOAD_PREFIX):])
        if path is None:
            st.rerun()  # the upload vanished (another tab?): redraw the choices
        dataset = load_saved_dataset(path)
        dataset_name = str(path)
    config_values = {
        "dataset": dataset_name, "epochs": int(values["epochs"]), "batch_size": int(values["batch_size"]),
        "latent_dim": int(values["latent_dim"]), "loss": values["loss"], "d_steps": int(values["d_steps"]),
        "update": values["update"],
        "label_smoothing": float(values["label_smoothing"]), "seed": int(values["seed"]),
        "max_images": int(values["max_images"]), "diff_augment": AUGMENT_VALUES[values["diff_augment"]],
        "steps_per_epoch": int(values["steps_per_epoch"]), "max_minutes": float(values["max_minutes"]),
        "init_from": None if values["init_from"] == "auto" else values["init_from"],
        "freeze_d": int(values["freeze_d"]) if values["init_from"] else 0,
        "clusters": int(values.get("clusters", recipe.clusters)),
        # what the form does not show (Adam's beta2, momentum) stays as the recipe sets it
        "generator_optimizer": {**asdict(recipe.generator_optimizer), "name": values["g_name"],
                                "learning_rate": float(values["g_lr"]), "beta1": float(values["g_beta1"])},
        "discriminator_optimizer": {**asdict(recipe.discriminator_optimizer), "name": values["d_name"],
                                    "learning_rate": float(values["d_lr"]), "beta1": float(values["d_beta1"])},
    }
    try:
        config = preset.config(**config_values)
        run = state.start_run(config, dataset)
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
    and this session's finished runs that kept theirs (gan_core.transfer)."""
    from gan_core.pretrained import bundled_generators
    from gan_core.transfer import NETWORKS_FILE

    sources = ["auto", ""]
    sources += [f"pretrained/{bundled.name}" for bundled in bundled_generators()
                if (bundled.directory / NETWORKS_FILE).is_file()]
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
