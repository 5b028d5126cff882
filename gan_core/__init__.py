"""gan_core: GANs for teaching. Presets from the tutorials, a threaded training Run, latent tools, metrics.

No Streamlit here: the app, the CLI and the benchmarks all use this library the same way.
"""

from .data.datasets import Dataset, load_dataset
from .i18n import GanError, Message, tr
from .training.config import OptimizerConfig, TrainConfig
from .training.presets import PRESETS, get_preset
from .training.run import Run, RunSnapshot, RunState, new_run_id

__all__ = ["OptimizerConfig", "TrainConfig", "Dataset", "load_dataset", "GanError", "Message", "tr", "PRESETS",
           "get_preset", "Run", "RunSnapshot", "RunState", "new_run_id"]
