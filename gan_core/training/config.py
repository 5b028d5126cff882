"""Training configuration: a run's full recipe, its validation, and the one way a person's choices (the form, an
exercise link, the command line) become a validated TrainConfig: `from_choices`. What each choice may be (type,
range, choices) is the settings table's (training.settings); this module applies it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ..i18n import GanError
from .presets import PRESETS, get_preset
from .settings import (
    AUTO,
    BOTH,
    DIFF_AUGMENT_CHOICES,
    LOSSES,
    MAX_EPOCHS,
    NETWORKS,
    OPTIMIZERS,
    SETTINGS,
    SETTINGS_LIST,
    UPDATES,
    check_int,
    check_number,
)

__all__ = ["AUTO", "CHOICES", "DIFF_AUGMENT_CHOICES", "LOSSES", "MAX_EPOCHS", "OPTIMIZERS", "UPDATES", "OptimizerConfig",
           "TrainConfig", "check_extra_epochs", "check_int", "check_number", "from_choices", "recipe"]

SMALL_DATA_IMAGES = 2000  # below this, DiffAugment is on unless asked otherwise


@dataclass
class OptimizerConfig:
    """One network's optimizer."""

    name: str = "adam"  # adam | sgd | rmsprop
    learning_rate: float = 2e-4
    beta1: float = 0.5  # Adam's first-moment decay; ignored by sgd/rmsprop
    beta2: float = 0.999  # Adam's second-moment decay (0.99 reacts faster; StyleGAN's choice)
    momentum: float = 0.0  # SGD and RMSprop momentum

    def validate(self, who: str) -> None:
        """Each knob against the settings table (its both-networks row); messages name the network (`who`)."""
        for setting in SETTINGS_LIST:
            owner, _, knob = setting.field.partition(".")
            if owner == BOTH:
                setting.check(getattr(self, knob), f"{who}.{'optimizer' if knob == 'name' else knob}")

    @classmethod
    def from_dict(cls, data, who: str) -> "OptimizerConfig":
        """From a dict (a config file, the CLI, a form): an unknown key is a clear error, not a TypeError."""
        if isinstance(data, OptimizerConfig):
            return data
        known = [f.name for f in dataclasses.fields(cls)]
        if not isinstance(data, dict):
            raise GanError("error.unknown_field", field=who, value=type(data).__name__, choices=", ".join(known))
        for key in data:
            if key not in known:
                raise GanError("error.unknown_field", field=who, value=key, choices=", ".join(known))
        return cls(**data)


@dataclass
class TrainConfig:
    """A full training recipe. Presets fill the defaults; the user overrides any field."""

    preset: str = "dcgan-tf"
    dataset: str = "mnist"  # mnist | fashion_mnist | cifar_animals | cifar_animals:<class> | path to folder/zip
    epochs: int = 5
    batch_size: int = 256
    latent_dim: int = 100
    loss: str = "bce_logits"  # see LOSSES
    generator_optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 1e-4, 0.9))
    discriminator_optimizer: OptimizerConfig = field(default_factory=lambda: OptimizerConfig("adam", 1e-4, 0.9))
    d_steps: int = 1  # discriminator updates per generator update
    # alternating: D's update, then G's with fresh noise (most tutorials); simultaneous: both from one generator
    # pass, as TensorFlow's DCGAN tutorial (001) does; about half the work per batch
    update: str = "alternating"
    label_smoothing: float = 0.0  # real label = 1 - label_smoothing (one-sided)
    seed: int = 0  # seeds weights, data order, noise and the fixed grid latents
    image_size: int = 0  # 0: the dataset's own size; photo folders: 32 or 64
    max_images: int = 0  # 0: all images; otherwise the first N (quick runs, tests)
    diff_augment: bool | None = None  # DiffAugment on real and fake; None: on when the data has < 2000 images
    gp_weight: float = 10.0  # WGAN-GP gradient penalty weight
    grid_size: int = 8  # the fixed-latent grid is grid_size x grid_size images
    keep_checkpoints: int = 3  # full checkpoints kept besides the last one
    metrics_every: int = 0  # quality metrics every N epochs (0: off)
    ema_decay: float = 0.0  # moving average of G's weights for samples and export (0: off; 0.999 typical)
    steps_per_epoch: int = 0  # 0: an epoch is one pass over the data; N: an epoch is N batches (more grids)
    # self-conditioning (gan_core.training.clusters): k-means groups of the images, no labels, condition G and D; the
    # generator still takes only z (its dimension 0 picks the group). 0: off. Unconditional presets that allow it.
    clusters: int = 0
    # transfer learning (gan_core.training.transfer): start from this generator's G and D: "pretrained/NAME" or a run folder;
    # "" from scratch; None ("auto"): the bundled animals for a photo folder when the preset and shapes allow
    init_from: str | None = None
    freeze_d: int = 0  # FreezeD: D's first N layers keep the source's weights (with init_from)
    max_minutes: float = 0.0  # a time budget: training ends after the epoch that passes it (0: none)

    def validate(self) -> None:
        """Every setting against the settings table, then what ties settings together."""
        if self.preset not in PRESETS:
            raise GanError("error.unknown_preset", value=self.preset, choices=", ".join(PRESETS))
        for setting in SETTINGS_LIST:
            if "." not in setting.field and setting.field not in SPECIAL_FIELDS:
                setting.check(getattr(self, setting.field))
        self.generator_optimizer.validate("generator")
        self.discriminator_optimizer.validate("discriminator")
        if self.update == "simultaneous" and self.d_steps != 1:
            raise GanError("error.simultaneous_d_steps", value=self.d_steps)
        if self.clusters:
            check_int("clusters", self.clusters, 2, SETTINGS["clusters"].high)  # 0 is off; one group is none
            preset = PRESETS[self.preset]
            if preset.conditional or not preset.self_conditioning:
                raise GanError("error.clusters_preset", preset=self.preset,
                               supported=", ".join(p.name for p in PRESETS.values() if p.self_conditioning))
        if self.init_from is not None and not isinstance(self.init_from, str):
            raise GanError("error.unknown_choice", field="init_from", value=self.init_from,
                           choices="auto, pretrained/NAME, a run folder")
        if self.freeze_d and not self.init_from:
            raise GanError("error.freeze_without_init")
        if self.diff_augment not in (None, True, False):
            raise GanError("error.unknown_choice", field="diff_augment", value=self.diff_augment, choices="true, false")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("generator_optimizer", "discriminator_optimizer"):
            if key in values:
                values[key] = OptimizerConfig.from_dict(values[key], key)
        return cls(**values)


def recipe(preset: str, **fields) -> TrainConfig:
    """The preset's recipe as a TrainConfig, `fields` (TrainConfig's own names and types) on top. Not validated:
    for code that builds configs; a person's choices go through from_choices."""
    return TrainConfig.from_dict({"preset": preset, **get_preset(preset).defaults, **fields})


# A person's choices, by the names the form, exercise links and the command line share: the settings table's.
CHOICES = tuple(SETTINGS)
# Checked apart from the table's range: the dataset (a name or a path, load_dataset says), diff_augment and
# init_from (a person's "auto"/"on"/"off" become None/True/False), validate's own rules below.
SPECIAL_FIELDS = ("dataset", "diff_augment", "init_from")


def from_choices(preset: str, choices: dict) -> TrainConfig:
    """A person's choices on top of the preset's recipe, validated: GanError names the first bad one. A choice that
    is None was not made (the recipe's value stays); "auto" leaves diff_augment and init_from to the engine; a whole
    float where a whole number belongs is that number (number widgets send 3.0)."""
    unknown = [name for name in choices if name not in CHOICES]
    if unknown:
        raise GanError("error.unknown_field", field="config", value=unknown[0], choices=", ".join(CHOICES))
    chosen = {name: value for name, value in choices.items() if value is not None}
    config = recipe(preset)
    # both networks' knob first, then each network's own on top of it
    for setting in sorted((SETTINGS[name] for name in chosen), key=lambda s: not s.field.startswith(BOTH)):
        value = chosen[setting.name]
        if setting.name == "diff_augment" and isinstance(value, str):
            value = DIFF_AUGMENT_CHOICES.get(value, value)
        elif setting.name == "init_from" and value == AUTO:
            value = None
        elif setting.kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        owner, _, knob = setting.field.rpartition(".")
        targets = ([config] if not owner else
                   [getattr(config, network) for network in NETWORKS.values()] if owner == BOTH else
                   [getattr(config, owner)])
        for target in targets:
            setattr(target, knob, value)
    if config.init_from == "":
        config.freeze_d = 0  # from scratch nothing is frozen
    config.validate()
    return config


def check_extra_epochs(extra_epochs, epochs: int) -> None:
    """More epochs for a run that has `epochs`: a whole number that keeps the total within validate()'s range."""
    check_int("extra_epochs", extra_epochs, 0, MAX_EPOCHS - epochs)
