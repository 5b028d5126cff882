"""gan_core: GANs for teaching. Presets from the tutorials, a threaded training Run, latent tools, metrics.

No Streamlit here: the app, the CLI and the benchmarks all use this library the same way.
"""

from .training.device import import_tensorflow_quietly

import_tensorflow_quietly()  # before anything below imports TensorFlow

from .data.datasets import Dataset, load_dataset  # noqa: E402
from .i18n import GanError, Message, tr  # noqa: E402
from .training.config import OptimizerConfig, TrainConfig  # noqa: E402
from .training.presets import PRESETS, get_preset  # noqa: E402
from .training.run import Run, RunSnapshot, RunState, new_run_id  # noqa: E402

__all__ = ["OptimizerConfig", "TrainConfig", "Dataset", "load_dataset", "GanError", "Message", "tr", "PRESETS",
           "get_preset", "Run", "RunSnapshot", "RunState", "new_run_id"]
