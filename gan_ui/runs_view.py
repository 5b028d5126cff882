"""The runs page's pieces: a live list of this session's runs and a side-by-side comparison."""

from __future__ import annotations

import streamlit as st

from gan_core import Run
from gan_core.i18n import tr
from gan_ui import charts, state
from gan_ui.live import REFRESH_SECONDS
from gan_ui.widgets import (
    dataset_label,
    distinct,
    epoch_count,
    newest_grid,
    run_created,
    run_summary,
    state_badge,
)

COMPARE_KEY = "runs.compare"
CONFIRM_DELETE_KEY = "runs.confirm_delete"  # the run whose "Delete" was clicked once
DELETED_KEY = "runs.deleted"  # a run was just deleted: the whole page, comparison included, is redrawn


def run_list(lang: str, live: bool) -> None:
    """One card per run, newest first; redraws on a timer while any of them is active."""
    st.fragment(_run_list, run_every=REFRESH_SECONDS * 2 if live else None)(lang, live)


def _run_list(lang: str, live: bool) -> None:
    runs = state.session_runs()
    snaps = [run.snapshot() for run in runs]
    if any(snap.active for snap in snaps) != live or st.session_state.pop(DELETED_KEY, False):
        st.rerun()
    for run, snap in zip(runs, snaps):
        with st.container(border=True):
            thumb, details, action = st.columns([1, 4, 1], vertical_alignment="center")
            grid = newest_grid(run, snap)
            if grid is not None:
                thumb.image(str(grid), width=120, output_format="PNG")
            with details:
                with st.container(horizontal=True, vertical_alignment="center"):
                    state_badge(snap.state, lang)
                    st.markdown(f"**{run_summary(snap, lang)}**")
                st.caption(f"{tr('runs.started', lang, when=run_created(snap.run_id))} · {snap.run_id}")
                if snap.active:
                    st.progress(snap.progress)
            if action.button(tr("runs.open", lang), key=f"runs.open.{snap.run_id}", icon=":material/open_in_new:"):
                state.set_current_run(snap.run_id)
                st.switch_page("app_pages/train.py")
            if not snap.active:
                _delete_button(action, snap.run_id, lang)


def _delete_button(column, run_id: str, lang: str) -> None:
    """Two clicks: "Delete", then "Yes, delete" in the same place."""
    if st.session_state.get(CONFIRM_DELETE_KEY) == run_id:
        column.button(tr("runs.delete_confirm", lang), key=f"runs.delete_yes.{run_id}", type="primary",
                      icon=":material/delete_forever:", on_click=_delete, args=(run_id,))
    else:
        column.button(tr("runs.delete", lang), key=f"runs.delete.{run_id}", type="tertiary", icon=":material/delete:",
                      on_click=_ask_to_delete, args=(run_id,))


def _ask_to_delete(run_id: str) -> None:
    st.session_state[CONFIRM_DELETE_KEY] = run_id


def _delete(run_id: str) -> None:
    st.session_state.pop(CONFIRM_DELETE_KEY, None)
    state.delete_run(run_id)
    st.session_state[DELETED_KEY] = True


def compare_runs(runs: list[Run], lang: str) -> None:
    """Curves of the chosen runs overlaid (against step, epoch or images seen), their newest grids next to each
    other, what differs between their settings, and a summary table."""
    st.subheader(tr("runs.compare", lang))
    by_id = {run.run_id: run for run in runs}
    if st.session_state.get(COMPARE_KEY) is not None:
        st.session_state[COMPARE_KEY] = [run_id for run_id in st.session_state[COMPARE_KEY] if run_id in by_id]
    kwargs = {} if COMPARE_KEY in st.session_state else {"default": list(by_id)[:2]}
    all_settings = {run_id: run_settings(run.config.to_dict(), lang) for run_id, run in by_id.items()}
    picker_labels = distinct({run_id: _label(run_id, all_settings[run_id], _differing(all_settings.values()))
                              for run_id in by_id})
    chosen = st.multiselect(tr("runs.compare_pick", lang), list(by_id), key=COMPARE_KEY,
                            format_func=picker_labels.get, placeholder=tr("runs.compare_placeholder", lang),
                            select_all=False, **kwargs)  # Streamlit's "Select all" is English
    state.keep_choice(COMPARE_KEY)
    if len(chosen) < 2:
        st.info(tr("runs.compare_need_two", lang), icon=":material/compare:")
        return
    snaps = [by_id[run_id].snapshot() for run_id in chosen]
    settings = {snap.run_id: run_settings(snap.config, lang) for snap in snaps}
    differing = _differing(settings.values())
    labels = distinct({snap.run_id: _label(snap.run_id, settings[snap.run_id], differing) for snap in snaps})

    st.markdown(f"**{tr('runs.differences', lang)}**")
    if differing:
        st.dataframe([{tr("col.run", lang): run_created(snap.run_id),
                       **{name: settings[snap.run_id][name] for name in differing}} for snap in snaps],
                     hide_index=True)
    else:
        st.caption(tr("runs.same_settings", lang))

    st.session_state.setdefault(X_AXIS_KEY, "step")
    axis = st.segmented_control(tr("runs.x_axis", lang), X_AXES, key=X_AXIS_KEY,
                                format_func=lambda name: tr(f"chart.{name}", lang), help=tr("runs.x_axis_help", lang))
    state.keep_choice(X_AXIS_KEY)
    axis = axis or "step"
    series = [(labels[snap.run_id], charts.along(snap, axis)) for snap in snaps]
    for fields in (("g_loss", "d_loss"), ("d_acc_real", "d_acc_fake")):
        for column, field in zip(st.columns(2), fields):
            column.plotly_chart(charts.compare_runs(series, field, axis, lang), key=f"compare.{field}")

    st.markdown(f"**{tr('runs.final_grids', lang)}**")
    for column, snap in zip(st.columns(len(snaps)), snaps):
        grid = newest_grid(by_id[snap.run_id], snap)
        if grid is not None:
            column.image(str(grid), caption=labels[snap.run_id], width="stretch", output_format="PNG")

    st.markdown(f"**{tr('runs.table', lang)}**")
    st.dataframe([_row(snap, lang) for snap in snaps], hide_index=True)
    with st.expander(tr("runs.all_settings", lang)):
        st.dataframe([{tr("col.run", lang): run_created(snap.run_id), **settings[snap.run_id]} for snap in snaps],
                     hide_index=True)


X_AXES = ("step", "epoch", "images_seen")
X_AXIS_KEY = "runs.x_axis"


def run_settings(config: dict, lang: str) -> dict[str, str]:
    """Every setting a student chooses, by its name in `lang`, as the text a table shows (so they compare)."""
    yes_no = {True: tr("runs.yes", lang), False: tr("runs.no", lang), None: tr("runs.auto", lang)}
    values = {
        tr("col.preset", lang): config["preset"],
        tr("col.dataset", lang): dataset_label(config["dataset"], lang),
        tr("hp.max_images", lang): str(config["max_images"]),
        tr("hp.epochs", lang): str(config["epochs"]),
        tr("hp.batch_size", lang): str(config["batch_size"]),
        tr("hp.latent_dim", lang): str(config["latent_dim"]),
        tr("hp.loss", lang): tr(f"loss.{config['loss']}", lang),
        tr("hp.update", lang): tr(f"update.{config['update']}", lang),
        tr("hp.d_steps", lang): str(config["d_steps"]),
        tr("hp.label_smoothing", lang): f"{config['label_smoothing']:g}",
        tr("runs.diff_augment", lang): yes_no[config["diff_augment"]],
        tr("runs.clusters", lang): str(config.get("clusters", 0)),
        tr("hp.seed", lang): str(config["seed"]),
    }
    for who, field in (("g", "generator_optimizer"), ("d", "discriminator_optimizer")):
        optimizer = config[field]
        values[tr(f"runs.{who}_optimizer", lang)] = optimizer["name"]
        values[tr(f"col.{who}_lr", lang)] = f"{optimizer['learning_rate']:g}"
        values[tr(f"runs.{who}_beta1", lang)] = f"{optimizer['beta1']:g}"
    return values


def _differing(settings) -> list[str]:
    """The settings (names) whose values are not the same in every run."""
    settings = list(settings)
    return [name for name in settings[0] if len({values[name] for values in settings}) > 1]


def _label(run_id: str, settings: dict[str, str], differing: list[str]) -> str:
    """A run's name here: its time, then what sets it apart from the other runs (at most three settings)."""
    return " · ".join([run_created(run_id)[11:]] + [f"{name} {settings[name]}" for name in differing[:3]])


def _row(snap, lang: str) -> dict:
    last = snap.epochs[-1] if snap.epochs else {}
    return {
        tr("col.run", lang): run_created(snap.run_id),
        tr("col.state", lang): tr(f"state.{snap.state.value}", lang),
        tr("col.epochs", lang): epoch_count(snap),
        tr("col.g_loss", lang): round(last["g_loss"], 3) if last else None,
        tr("col.d_loss", lang): round(last["d_loss"], 3) if last else None,
        tr("col.speed", lang): round(last["images_per_sec"]) if last else None,
    }
