"""gan_core: GANs for teaching. Presets from the tutorials, a threaded training Run, latent tools, metrics.

No Streamlit here: the app, the CLI and the benchmarks all use this library the same way.
"""

from .training.device import choose_keras_backend, import_engine

choose_keras_backend()  # before anything imports Keras: this process's backend (GAN_BACKEND; the app's: TensorFlow)
import_engine()  # before anything below imports Keras or TensorFlow

from .data.datasets import Dataset, load_dataset  # noqa: E402
from .i18n import GanError, Message, tr  # noqa: E402
from .server.scheduler import default_scheduler  # noqa: E402
from .training.config import OptimizerConfig, TrainConfig  # noqa: E402
from .training.presets import PRESETS, get_preset  # noqa: E402
from .training.run import Run, RunSnapshot, RunState, new_run_id, use_default_queue  # noqa: E402

use_default_queue(default_scheduler)  # a Run started without a queue takes the server's own (training never imports it)

__all__ = ["OptimizerConfig", "TrainConfig", "Dataset", "load_dataset", "GanError", "Message", "tr", "PRESETS",
           "get_preset", "Run", "RunSnapshot", "RunState", "new_run_id"]
