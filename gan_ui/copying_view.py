"""Is it copying? For a run on a photo folder: generated samples beside their nearest training images, and a verdict
(gan_core.explore.memorisation). Computed when asked (a button), once per generator file."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core.data import images as imaging
from gan_core.data.datasets import is_builtin
from gan_core.explore.generators import Generator
from gan_core.explore.memorisation import nearest_training_images, verdict
from gan_core.i18n import tr

PAIRS = 8  # samples shown, each above its nearest training image


def copying_panel(run, lang: str) -> None:
    """Only for runs on a student's own photos (a folder, zip or upload) that have a generator."""
    generator_path = run.folder.generator_path
    if is_builtin(run.config.dataset) or not generator_path.exists():
        return
    with st.expander(tr("memorise.title", lang), icon=":material/content_copy:"):
        st.caption(tr("memorise.intro", lang))
        key = f"memorise.{run.run_id}"
        if st.button(tr("memorise.check", lang), key=f"{key}.button"):
            st.session_state[key] = generator_path.stat().st_mtime
        if key not in st.session_state:
            return
        strip, neighbours = _pairs(str(generator_path), st.session_state[key], run)
        st.image(strip, caption=tr("memorise.caption", lang, space=tr(f"memorise.space.{neighbours.space}", lang)),
                 width="stretch", output_format="PNG")
        answer = verdict(neighbours, run.snapshot().epochs)  # the epochs the checked generator was exported after
        show = {"copying": st.warning, "some_copies": st.info, "new": st.success}.get(answer, st.info)
        show(tr(f"memorise.{answer}", lang, share=f"{neighbours.copy_share:.0%}"))


@st.cache_data(max_entries=8, show_spinner=False)
def _pairs(generator_path: str, _mtime: float, _run) -> tuple[np.ndarray, object]:
    """(two-row image: samples above, nearest training images below; the memorisation.Neighbours measured).
    Keyed by the generator file and its time: a new epoch's generator is checked anew."""
    handle = Generator.load(generator_path)
    latents = handle.sample_latents(64, seed=0)
    generated = handle.generate(latents)
    training = _run.dataset().images
    neighbours = nearest_training_images(generated, training)
    shown = np.argsort(neighbours.distance)[:PAIRS // 2].tolist() + list(range(PAIRS // 2))  # nearest first
    shown = list(dict.fromkeys(shown))[:PAIRS]
    top = imaging.to_uint8(generated[shown])
    bottom = training[neighbours.index[shown]]
    strip = imaging.make_grid(np.concatenate([top, bottom]), len(shown))
    return strip, neighbours
