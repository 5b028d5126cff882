"""The 2-D playground's engine, GAN Lab's picture in our engine: `config` (settings and examples), `data`
(distributions, drawn or uploaded points), `measures` (divergence, D's decision, grids), `experiment` (tiny MLPs on
the project's GAN), `runner` (the `Playground` a page controls, its commands and queue), `files` (saved experiments).

What pages and tests use is re-exported here; Keras is imported only when an experiment is built.
"""

from .config import (
    ACTIVATIONS,
    ARCHITECTURE,
    BOX,
    DISTRIBUTIONS,
    EXAMPLES,
    LIVE,
    NOISE_KINDS,
    POINTS,
    PlaygroundConfig,
)
from .data import MAX_CSV_BYTES, MAX_POINTS, MIN_POINTS, fit_to_box, parse_points_csv, sample_distribution
from .experiment import STAGES, Experiment
from .files import MAX_SAVED_BYTES, SavedExperiment, export_experiment, read_experiment
from .measures import js_divergence
from .runner import PHASES, STAGE_SECONDS, Playground, PlaygroundView, new_scheduler

__all__ = [
    "ACTIVATIONS", "ARCHITECTURE", "BOX", "DISTRIBUTIONS", "EXAMPLES", "LIVE", "MAX_CSV_BYTES", "MAX_POINTS",
    "MAX_SAVED_BYTES", "MIN_POINTS", "NOISE_KINDS", "PHASES", "POINTS", "STAGES", "STAGE_SECONDS", "Experiment",
    "Playground", "PlaygroundConfig", "PlaygroundView", "SavedExperiment", "export_experiment", "fit_to_box",
    "js_divergence", "new_scheduler", "parse_points_csv", "read_experiment", "sample_distribution",
]
