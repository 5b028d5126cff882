"""The 2-D playground's settings: one experiment's `PlaygroundConfig`, which of its fields restart it and which apply
live, the choices each field takes, and the one-click failures on purpose (`EXAMPLES`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..i18n import GanError
from ..training.config import LOSSES, OPTIMIZERS, check_int, check_number

DISTRIBUTIONS = ("line", "gaussians", "ring", "disjoint")
POINTS = "points"  # the data is a set of points the class drew or uploaded (a CSV)
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
NOISE_KINDS = ("uniform", "gaussian")
BOX = 1.0  # points and views live in [-BOX, BOX]²


@dataclass
class PlaygroundConfig:
    """One experiment. Changing an ARCHITECTURE field restarts it; the others apply at the next step."""

    data: str = "ring"  # one of DISTRIBUTIONS, or POINTS (drawn or uploaded)
    noise_dim: int = 2  # G's input: 1-D or 2-D noise
    noise: str = "uniform"  # uniform in [-1, 1] or standard Gaussian
    g_layers: int = 2  # hidden layers of G
    g_width: int = 32  # units per hidden layer of G
    d_layers: int = 2
    d_width: int = 32
    activation: str = "relu"  # of every hidden layer: relu, leaky_relu, tanh
    batch_size: int = 128
    seed: int = 0  # weights, data and noise
    loss: str = "bce_logits"  # one of config.LOSSES
    g_optimizer: str = "adam"  # adam, sgd, rmsprop
    g_lr: float = 0.002
    d_optimizer: str = "adam"
    d_lr: float = 0.002
    d_steps: int = 1  # D updates per G update
    # WGAN-GP's gradient penalty weight. The image recipes' 10 holds a critic on these small distances (the ring's
    # radius is 0.6) so flat that the fakes stay one blob through the middle of the ring; 1 lets them spread
    # (Gulrajani et al. used 0.1 for their 2-D data). Measured: tests/test_playground.py, the wgan_fix example.
    gp_weight: float = 1.0

    def validate(self) -> None:
        if self.data not in DISTRIBUTIONS + (POINTS,):
            raise GanError("error.unknown_choice", field="data", value=self.data,
                           choices=", ".join(DISTRIBUTIONS + (POINTS,)))
        check_int("noise_dim", self.noise_dim, 1, 2)
        _check_choice("noise", self.noise, NOISE_KINDS)
        check_int("g_layers", self.g_layers, 1, 4)
        check_int("g_width", self.g_width, 2, 128)
        check_int("d_layers", self.d_layers, 1, 4)
        check_int("d_width", self.d_width, 2, 128)
        _check_choice("activation", self.activation, ACTIVATIONS)
        check_int("batch_size", self.batch_size, 8, 512)
        check_int("seed", self.seed, 0, 2**31 - 1)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("g_optimizer", self.g_optimizer, OPTIMIZERS)
        _check_choice("d_optimizer", self.d_optimizer, OPTIMIZERS)
        check_number("g_lr", self.g_lr, 1e-6, 1.0)
        check_number("d_lr", self.d_lr, 1e-6, 1.0)
        check_int("d_steps", self.d_steps, 1, 10)
        check_number("gp_weight", self.gp_weight, 0.0, 100.0)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)



ARCHITECTURE = ("data", "noise_dim", "noise", "g_layers", "g_width", "d_layers", "d_width", "activation",
                "batch_size", "seed")
LIVE = ("loss", "g_optimizer", "g_lr", "d_optimizer", "d_lr", "d_steps", "gp_weight")

# One-click failures on purpose (and the fix): what to change from the defaults. The page says what to look at.
EXAMPLES: dict[str, dict] = {
    # Eight modes, a D that learns ten times faster with five updates per G update: G's points gather on a few
    # modes and hop between them as D chases them.
    "mode_collapse": dict(data="ring", noise_dim=1, d_layers=3, d_width=64, loss="bce_logits", d_lr=0.01,
                          g_lr=0.001, d_steps=5, g_optimizer="adam", d_optimizer="adam"),
    # The classic log loss against a ReLU D that learns twenty times faster than G, five updates per G update: D
    # becomes certain and flat around the fake points, G's gradient (the arrows) goes to zero and G freezes.
    "vanishing": dict(data="disjoint", noise_dim=2, d_layers=2, d_width=64, loss="log", d_lr=0.02, g_lr=0.001,
                      d_steps=5, g_optimizer="adam", d_optimizer="adam"),
    # The ring with WGAN-GP: the penalty holds the critic's slope near 1, so the arrows never vanish and the fake
    # points spread over all eight modes, with bridges between them (2-D noise, leaky ReLU, five critic steps, a
    # penalty weight of 1: with the images' 10 they stayed a blob through the middle, JS 0.7-0.9).
    "wgan_fix": dict(data="ring", noise_dim=2, activation="leaky_relu", g_layers=3, g_width=64, d_layers=3,
                     d_width=64, loss="wgan_gp", d_lr=0.0005, g_lr=0.0005, d_steps=5, batch_size=256,
                     g_optimizer="adam", d_optimizer="adam", gp_weight=1.0),
}


def _check_choice(field: str, value, choices) -> None:
    if value not in choices:
        raise GanError("error.unknown_choice", field=field, value=value, choices=", ".join(map(str, choices)))

