"""Every training setting a person may choose, once: its name, type, range or choices, where it lands in a
TrainConfig, its help text, how the form draws it, its command-line flag and whether a teacher may lock or limit it.

TrainConfig.validate, from_choices, the train form (gan_ui.train_form), the CLI's arguments (gan_core.__main__),
the exercise-link check and the class limits (gan_core.server.classroom) all read this table, so none can offer
what another refuses (tests/test_settings.py walks it through each of them).

Where the six lists it replaces disagreed, the one range kept and why:
- epochs 1..10,000 (the form said 500): with steps_per_epoch an epoch can be a few batches, so 500 epochs was no
  real cap, and a run saved or continued from the command line already had 10,000. What bounds a class is the
  teacher's max_epochs (ClassLimits), which brings the form's top down.
- d_steps 1..10 (validate said 20): WGAN-GP's critic takes 5 steps; 10 covers twice that, and past it G hardly
  learns within a lesson.
- freeze_d 0..4 (validate said 8): our discriminators have 4 to 6 layers with weights; freezing more than 4
  leaves at most the logit to adapt to the new photos, and FreezeD freezes the lower layers only.
- max_images 0..1,000,000 (form 100,000, validate 10,000,000): more than any set a class trains on (MNIST has
  60,000); a folder of a million photos no longer fits in memory anyway.
- steps_per_epoch 0..10,000 (validate 1,000,000): 10,000 batches is already hours per epoch on a CPU, and grids,
  metrics and the stop button's checkpoints come once an epoch.
- max_minutes 0..1,440 (form 240): a day, as the teacher's limit already allowed; a lesson's limit brings the
  form's top down.
- beta1 0..0.99 (validate 0.999): no recipe goes past 0.9, and a momentum averaging a thousand steps never turns;
  the form's slider moves in steps of 0.01.
- learning rates 1e-5..0.1 (validate 1e-8..1e4): the form's steps; below 1e-5 nothing moves within a lesson, above
  0.1 Adam leaves any useful region in one step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..i18n import GanError

LOSSES = ("bce_logits", "log", "lsgan", "hinge", "wgan_gp")
UPDATES = ("alternating", "simultaneous")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
AUTO = "auto"  # diff_augment and init_from: the engine decides (TrainConfig's None)
DIFF_AUGMENT_CHOICES = {AUTO: None, "on": True, "off": False}
IMAGE_SIZES = (0, 28, 32, 64)
BATCH_STEPS = (8, 16, 32, 64, 128, 256, 512)
LEARNING_RATE_STEPS = (1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 4e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1)
BOTH = "*"  # an optimizer setting's network: both (the network's own setting wins)
NETWORKS = {"g_": "generator_optimizer", "d_": "discriminator_optimizer"}


@dataclass(frozen=True)
class Setting:
    """One training setting, by the name a person's choices use (the form's values, an exercise link, the CLI)."""

    name: str
    kind: type  # int | float | str: what a value must be (a whole float is taken for an int)
    field: str  # where it lands: a TrainConfig field, or "<network>_optimizer.<knob>" ("*." for both networks)
    low: float | None = None  # a number's range, both ends allowed
    high: float | None = None
    choices: tuple = ()  # the values allowed, when they are a fixed few
    steps: tuple = ()  # a number drawn as a ladder of steps (inside low..high); the preset's own value joins them
    widget: str = ""  # how the train form draws it: number | slider | select | steps; "" not on the form
    step: float | None = None  # the form's step for a number or slider
    help_key: str = ""  # texts.toml "help.<key>" (the form's help); default: the name
    flag: str = ""  # the CLI's flag; default: --<name with dashes>
    note: str = ""  # the CLI's --help line (code-facing, English like the CLI's other help)
    limit: str = ""  # the ClassLimits field that caps it for a class ("" none)

    @property
    def on_form(self) -> bool:
        """Drawn on the train form; a teacher may lock or hide it in an exercise link."""
        return bool(self.widget)

    @property
    def help(self) -> str:
        return f"help.{self.help_key or self.name}"

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    def default(self, config):
        """The value a TrainConfig (a preset's recipe) holds for this setting, as a person's choice names it."""
        owner, _, knob = self.field.rpartition(".")
        owner = NETWORKS["g_"] if owner == BOTH else owner  # both networks': the generator's stands for them
        value = getattr(getattr(config, owner) if owner else config, knob)
        if self.name == "diff_augment":
            return {engine: name for name, engine in DIFF_AUGMENT_CHOICES.items()}[value]
        if self.name == "init_from" and value is None:
            return AUTO
        return value

    def options(self, config=None) -> tuple:
        """What a choice widget offers: its choices, or its ladder with the recipe's own value (`config`)."""
        if self.choices:
            return self.choices
        if config is None:
            return self.steps
        return tuple(sorted({*self.steps, self.kind(self.default(config))}))

    def check(self, value, label: str | None = None) -> None:
        """GanError unless `value` is of this setting's type and within its range or choices. `label`: the name the
        message gives it (an optimizer's knob says which network)."""
        label = label or self.name
        if self.kind is int and self.low is not None:
            check_int(label, value, self.low, self.high)
        elif self.kind is float and self.low is not None:
            check_number(label, value, self.low, self.high)
        elif self.choices and (isinstance(value, bool) or value not in self.choices):
            raise GanError("error.unknown_choice", field=label, value=value, choices=", ".join(map(str, self.choices)))

    def offered(self, value, config) -> bool:
        """Whether the train form itself could send `value` (an exercise link's values are checked by this): one of
        its options, of the option's own type, or a number of the right type within the range."""
        if isinstance(value, bool):
            return False
        if self.widget in ("select", "steps"):
            options = self.options(config)
            return value in options and type(value) is type(options[0])
        numeric = (int,) if self.kind is int else (int, float)
        return isinstance(value, numeric) and self.low <= value <= self.high


def _optimizer_settings(knob: str, kind: type, note: str, **facts) -> list[Setting]:
    """A knob of both networks' optimizers: <knob> for both, g_<knob> and d_<knob> for one (the form draws those)."""
    field = {"name": "name", "lr": "learning_rate"}.get(knob, knob)
    widget = facts.pop("widget", "")
    flags = facts.pop("flags", {})
    help_key = {"name": "optimizer", "lr": "learning_rate"}.get(knob, knob)
    made = [Setting("optimizer" if knob == "name" else knob, kind, f"{BOTH}.{field}", help_key=help_key,
                    flag=flags.get(""), note=f"{note} for both networks", **facts)]
    for who, owner in NETWORKS.items():
        network = "generator" if who == "g_" else "discriminator"
        made.append(Setting(who + knob, kind, f"{owner}.{field}", widget=widget, help_key=help_key,
                            flag=flags.get(who), note=f"{network} {note}", **facts))
    return made


SETTINGS_LIST = [
    Setting("dataset", str, "dataset", flag="--dataset",
            note="mnist | fashion_mnist | cifar_animals[:class] | folder or zip"),
    Setting("epochs", int, "epochs", 1, 10_000, widget="number", limit="max_epochs"),
    Setting("batch_size", int, "batch_size", 1, 4096, steps=BATCH_STEPS, widget="steps", flag="--batch"),
    Setting("latent_dim", int, "latent_dim", 1, 1024, widget="number", flag="--latent"),
    Setting("loss", str, "loss", choices=LOSSES, widget="select"),
    *_optimizer_settings("name", str, "optimizer", choices=OPTIMIZERS, widget="select",
                         flags={"g_": "--g-optimizer", "d_": "--d-optimizer"}),
    *_optimizer_settings("lr", float, "learning rate", low=1e-5, high=0.1, steps=LEARNING_RATE_STEPS,
                         widget="steps"),
    *_optimizer_settings("beta1", float, "Adam beta1", low=0.0, high=0.99, widget="slider", step=0.01),
    *_optimizer_settings("beta2", float, "Adam beta2", low=0.5, high=0.9999),
    *_optimizer_settings("momentum", float, "SGD/RMSprop momentum", low=0.0, high=0.999),
    Setting("d_steps", int, "d_steps", 1, 10, widget="number"),
    Setting("update", str, "update", choices=UPDATES, widget="select",
            note="alternating: D then G with fresh noise; simultaneous: both from one pass (tutorial 001)"),
    Setting("label_smoothing", float, "label_smoothing", 0.0, 0.5, widget="slider", step=0.05),
    Setting("seed", int, "seed", 0, 2**31 - 1, widget="number"),
    Setting("max_images", int, "max_images", 0, 1_000_000, widget="number", step=512,
            note="use only the first N images (quick runs)"),
    Setting("diff_augment", str, "diff_augment", choices=tuple(DIFF_AUGMENT_CHOICES), widget="select",
            note="DiffAugment on real and fake images (default: on under 2000 images)"),
    Setting("steps_per_epoch", int, "steps_per_epoch", 0, 10_000, widget="number",
            note="an epoch is N batches instead of one pass over the data (grids and metrics more often)"),
    Setting("max_minutes", float, "max_minutes", 0.0, 24 * 60.0, widget="number", step=1.0, flag="--minutes",
            note="time budget: training ends after the epoch that passes it", limit="max_minutes"),
    Setting("init_from", str, "init_from", widget="select",
            note="start from this generator's G and D: pretrained/NAME or a run folder; 'auto' (default): the "
                 "bundled animals for a photo folder when the preset and shapes allow; '' from scratch"),
    Setting("freeze_d", int, "freeze_d", 0, 4, widget="number", note="with --init-from: D's first N layers stay fixed"),
    # 0 is off; a number of groups starts at 2 (TrainConfig.validate says so when 1 is asked)
    Setting("clusters", int, "clusters", 0, 400, widget="number",
            note="self-conditioning: N k-means groups of the images condition G and D, no labels used (0: off)"),
    Setting("image_size", int, "image_size", choices=IMAGE_SIZES, note="photo folders: 32 or 64", limit="image_size"),
    Setting("metrics_every", int, "metrics_every", 0, 1000, note="quality metrics every N epochs"),
    Setting("ema_decay", float, "ema_decay", 0.0, 0.99999, flag="--ema",
            note="moving average of G's weights, e.g. 0.999"),
    Setting("grid_size", int, "grid_size", 2, 16, note="the fixed-latent grid is N x N images"),
    Setting("keep_checkpoints", int, "keep_checkpoints", 0, 1000, note="full checkpoints kept besides the last one"),
]
SETTINGS = {setting.name: setting for setting in SETTINGS_LIST}
FORM_FIELDS = tuple(setting.name for setting in SETTINGS_LIST if setting.on_form)  # in the form's order
LOCKABLE = ("dataset", "preset", *FORM_FIELDS)  # what an exercise link may lock or hide
MAX_EPOCHS = int(SETTINGS["epochs"].high)
MAX_MINUTES = float(SETTINGS["max_minutes"].high)


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
