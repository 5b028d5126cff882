"""Keep Streamlit from resetting Keras under the training threads that live in the server process.

After every script run, fragment refreshes included, Streamlit 1.67's ScriptRunner calls
`keras.backend.clear_session()` (`script_runner._clean_problem_modules`). That swaps out Keras' global
state for every thread, resets TensorFlow's default graph and kernel cache, and forces a full garbage
collection. A run building its networks at that moment fails ("The name "batch_normalization" is used
2 times in the model"), and a watched run trains several times slower. Our models are built in training
threads and cached functions, never left behind by a page, so there is nothing for that call to clean:
we keep the matplotlib half of the clean-up and drop the Keras half.
"""

from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner


def _clean_problem_modules_except_keras() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001 - as Streamlit's own clean-up: never fail a page for this
            pass


def install() -> None:
    """Idempotent; the script runner looks the function up by name after each run."""
    script_runner._clean_problem_modules = _clean_problem_modules_except_keras
