"""Training configuration: every knob a class may turn, its default, its validation, and the one way a person's
choices (the form, an exercise link, the command line) become a validated TrainConfig: `from_choices`."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from ..i18n import GanError
from .presets import PRESETS, get_preset

SMALL_DATA_IMAGES = 2000  # below this, DiffAugment is on unless asked otherwise
LOSSES = ("bce_logits", "log", "lsgan", "hinge", "wgan_gp")
UPDATES = ("alternating", "simultaneous")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
MAX_EPOCHS = 10_000


@dataclass
class OptimizerConfig:
    """One network's optimizer."""

    name: str = "adam"  # adam | sgd | rmsprop
    learning_rate: float = 2e-4
    beta1: float = 0.5  # Adam's first-moment decay; ignored by sgd/rmsprop
    beta2: float = 0.999  # Adam's second-moment decay (0.99 reacts faster; StyleGAN's choice)
    momentum: float = 0.0  # SGD and RMSprop momentum

    def validate(self, who: str) -> None:
        if self.name not in OPTIMIZERS:
            raise GanError("error.unknown_choice", field=f"{who}.optimizer", value=self.name,
                           choices=", ".join(OPTIMIZERS))
        check_number(f"{who}.learning_rate", self.learning_rate, 1e-8, 1e4)
        check_number(f"{who}.beta1", self.beta1, 0.0, 0.999)
        check_number(f"{who}.beta2", self.beta2, 0.5, 0.9999)
        check_number(f"{who}.momentum", self.momentum, 0.0, 0.999)

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
    # self-conditioning (gan_core.explore.clusters): k-means groups of the images, no labels, condition G and D; the
    # generator still takes only z (its dimension 0 picks the group). 0: off. Unconditional presets that allow it.
    clusters: int = 0
    # transfer learning (gan_core.training.transfer): start from this generator's G and D: "pretrained/NAME" or a run folder;
    # "" from scratch; None ("auto"): the bundled animals for a photo folder when the preset and shapes allow
    init_from: str | None = None
    freeze_d: int = 0  # FreezeD: D's first N layers keep the source's weights (with init_from)
    max_minutes: float = 0.0  # a time budget: training ends after the epoch that passes it (0: none)

    def validate(self) -> None:
        if self.preset not in PRESETS:
            raise GanError("error.unknown_preset", value=self.preset, choices=", ".join(PRESETS))
        check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        check_int("batch_size", self.batch_size, 1, 4096)
        check_int("latent_dim", self.latent_dim, 1, 1024)
        if self.loss not in LOSSES:
            raise GanError("error.unknown_choice", field="loss", value=self.loss, choices=", ".join(LOSSES))
        self.generator_optimizer.validate("generator")
        self.discriminator_optimizer.validate("discriminator")
        check_int("d_steps", self.d_steps, 1, 20)
        if self.update not in UPDATES:
            raise GanError("error.unknown_choice", field="update", value=self.update, choices=", ".join(UPDATES))
        if self.update == "simultaneous" and self.d_steps != 1:
            raise GanError("error.simultaneous_d_steps", value=self.d_steps)
        check_number("label_smoothing", self.label_smoothing, 0.0, 0.5)
        check_int("seed", self.seed, 0, 2**31 - 1)
        if self.image_size not in (0, 28, 32, 64):
            raise GanError("error.unknown_choice", field="image_size", value=self.image_size, choices="0, 28, 32, 64")
        check_int("max_images", self.max_images, 0, 10_000_000)
        check_number("gp_weight", self.gp_weight, 0.0, 1000.0)
        check_int("grid_size", self.grid_size, 2, 16)
        check_int("keep_checkpoints", self.keep_checkpoints, 0, 1000)
        check_int("metrics_every", self.metrics_every, 0, 1000)
        check_number("ema_decay", self.ema_decay, 0.0, 0.99999)
        check_int("steps_per_epoch", self.steps_per_epoch, 0, 1_000_000)
        if self.clusters:
            check_int("clusters", self.clusters, 2, 400)
            preset = PRESETS[self.preset]
            if preset.conditional or not preset.self_conditioning:
                raise GanError("error.clusters_preset", preset=self.preset,
                               supported=", ".join(p.name for p in PRESETS.values() if p.self_conditioning))
        if self.init_from is not None and not isinstance(self.init_from, str):
            raise GanError("error.unknown_choice", field="init_from", value=self.init_from,
                           choices="auto, pretrained/NAME, a run folder")
        check_int("freeze_d", self.freeze_d, 0, 8)
        if self.freeze_d and not self.init_from:
            raise GanError("error.freeze_without_init")
        check_number("max_minutes", self.max_minutes, 0.0, 24 * 60.0)
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


# A person's choices, by the names the form, exercise links and the command line share. Each network's optimizer:
# g_<knob> and d_<knob>, or <knob> alone for both (the network's own wins).
OPTIMIZER_CHOICES = {"name": "name", "lr": "learning_rate", "beta1": "beta1", "beta2": "beta2",
                     "momentum": "momentum"}
PLAIN_CHOICES = ("dataset", "epochs", "batch_size", "latent_dim", "loss", "d_steps", "update", "label_smoothing",
                 "seed", "image_size", "max_images", "diff_augment", "metrics_every", "ema_decay", "steps_per_epoch",
                 "clusters", "init_from", "freeze_d", "max_minutes", "grid_size", "keep_checkpoints")
CHOICES = (*PLAIN_CHOICES, "optimizer", *(f"{who}{knob}" for who in ("", "g_", "d_") for knob in OPTIMIZER_CHOICES
                                          if f"{who}{knob}" != "name"))
AUTO = "auto"  # diff_augment and init_from: the engine decides (TrainConfig's None)
DIFF_AUGMENT_CHOICES = {AUTO: None, "on": True, "off": False}


def from_choices(preset: str, choices: dict) -> TrainConfig:
    """A person's choices on top of the preset's recipe, validated: GanError names the first bad one. A choice that
    is None was not made (the recipe's value stays); "auto" leaves diff_augment and init_from to the engine; a whole
    float where a whole number belongs is that number (number widgets send 3.0)."""
    unknown = [name for name in choices if name not in CHOICES]
    if unknown:
        raise GanError("error.unknown_field", field="config", value=unknown[0], choices=", ".join(CHOICES))
    chosen = {name: value for name, value in choices.items() if value is not None}
    config = recipe(preset)
    whole = {f.name for f in dataclasses.fields(TrainConfig) if f.type == "int"}
    for name in PLAIN_CHOICES:
        if name not in chosen:
            continue
        value = chosen[name]
        if name == "diff_augment" and isinstance(value, str):
            value = DIFF_AUGMENT_CHOICES.get(value, value)
        elif name == "init_from" and value == AUTO:
            value = None
        elif name in whole and isinstance(value, float) and value.is_integer():
            value = int(value)
        setattr(config, name, value)
    if config.init_from == "":
        config.freeze_d = 0  # from scratch nothing is frozen
    for who, optimizer in (("g_", config.generator_optimizer), ("d_", config.discriminator_optimizer)):
        both = {"name": chosen.get("optimizer")} | {knob: chosen.get(knob) for knob in OPTIMIZER_CHOICES
                                                    if knob != "name"}
        for knob, field_name in OPTIMIZER_CHOICES.items():
            value = chosen.get(who + knob, both[knob])
            if value is not None:
                setattr(optimizer, field_name, value)
    config.validate()
    return config


def check_extra_epochs(extra_epochs, epochs: int) -> None:
    """More epochs for a run that has `epochs`: a whole number that keeps the total within validate()'s range."""
    check_int("extra_epochs", extra_epochs, 0, MAX_EPOCHS - epochs)


def check_int(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GanError("error.not_integer", field=name, value=value)
    if not low <= value <= high:
        raise GanError("error.out_of_range", field=name, value=value, low=low, high=high)


def check_number(name: str, value, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GanError("error.not_number", field=name, value=value)
    if not low <= value <= high:
        raise GanError("error.out_of_range", field=name, value=value, low=low, high=high)
