"""Adversarial losses on discriminator logits: one function pair per loss name in config.LOSSES."""

from __future__ import annotations

from keras import ops

_EPS = 1e-7


def discriminator_loss(name: str, real_logits, fake_logits, label_smoothing: float = 0.0):
    """Loss the discriminator minimises. Cross-entropy forms sum the real and fake terms, as the tutorials do."""
    real_target = 1.0 - label_smoothing
    if name == "bce_logits":
        return _bce_logits(real_logits, real_target) + _bce_logits(fake_logits, 0.0)
    if name == "log":
        # The classic form on a sigmoid output: -(log D(x) + log(1 - D(G(z)))).
        p_real, p_fake = ops.sigmoid(real_logits), ops.sigmoid(fake_logits)
        real_term = real_target * ops.log(p_real + _EPS) + (1.0 - real_target) * ops.log(1.0 - p_real + _EPS)
        return -ops.mean(real_term) - ops.mean(ops.log(1.0 - p_fake + _EPS))
    if name == "lsgan":
        return 0.5 * ops.mean(ops.square(real_logits - real_target)) + 0.5 * ops.mean(ops.square(fake_logits))
    if name == "hinge":
        return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))
    if name == "wgan_gp":  # the gradient penalty is added by the model, which owns the critic
        return ops.mean(fake_logits) - ops.mean(real_logits)
    raise ValueError(f"unknown loss {name!r}")


def generator_loss(name: str, fake_logits):
    """Loss the generator minimises (the non-saturating form for the cross-entropies)."""
    if name == "bce_logits":
        return _bce_logits(fake_logits, 1.0)
    if name == "log":
        return -ops.mean(ops.log(ops.sigmoid(fake_logits) + _EPS))
    if name == "lsgan":
        return 0.5 * ops.mean(ops.square(fake_logits - 1.0))
    if name in ("hinge", "wgan_gp"):
        return -ops.mean(fake_logits)
    raise ValueError(f"unknown loss {name!r}")


def _bce_logits(logits, target: float):
    # max(x, 0) - x * t + log(1 + exp(-|x|)): the stable sigmoid cross-entropy.
    return ops.mean(ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits))))
