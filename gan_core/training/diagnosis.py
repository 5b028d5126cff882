"""Diagnosis in words from a run's metrics: D wins too early, mode collapse, a generator that has not moved,
oscillation, divergence. The advice follows the recipe in use: it never suggests what the recipe already does, or
undoes on purpose."""

from __future__ import annotations

import math

import numpy as np

from ..i18n import Message

WINDOW = 50  # steps looked at
MIN_STEPS = 30
MIN_EPOCHS = 3  # collapse and a generator that has not moved are findings only once G has had time to draw
STILL_START = 0.7  # the grid's samples still correlate this much with their start (epoch "like_start"): not moved
SCORE_LOSSES = ("hinge", "wgan_gp")  # G's loss is D's raw score on the fakes: it crosses 0 and swings by design
STABLE_BETA1 = 0.5  # Adam's beta1 the Keras GAN guides find stable; a lower one (0 in the fast recipes) is chosen


def diagnose(steps: dict, epochs: list[dict], config: dict | None = None) -> list[Message]:
    """steps: field -> list of per-step values; epochs: per-epoch records (with 'diversity' and 'like_start'); config:
    the run's TrainConfig as a dict (its loss and optimizers decide the advice).
    Returns the findings, most serious first; a healthy run gets one 'healthy' message."""
    config = config or {}
    loss = config.get("loss", "bce_logits")
    g_loss = np.asarray(steps.get("g_loss", []), dtype=np.float64)
    if len(g_loss) < MIN_STEPS:
        return [Message("diag.too_early")]
    d_loss = np.asarray(steps["d_loss"], dtype=np.float64)
    acc = (np.asarray(steps["d_acc_real"]) + np.asarray(steps["d_acc_fake"])) / 2.0
    recent = slice(-WINDOW, None)
    findings: list[Message] = []

    if not np.all(np.isfinite(g_loss[recent])) or not np.all(np.isfinite(d_loss[recent])) or \
            np.nanmax(np.abs(g_loss[recent])) > 1e3:
        findings.append(Message("diag.divergence"))
        return findings

    recent_acc = float(np.mean(acc[recent]))
    half = max(len(g_loss[recent]) // 2, 1)
    g_rising = float(np.mean(g_loss[recent][half:])) > float(np.mean(g_loss[recent][:half])) * 1.05 or \
        float(np.mean(g_loss[recent])) > 4.0
    if recent_acc > 0.95 and g_rising:
        # label smoothing only softens the cross-entropies' and least squares' targets, and hinge may be in use
        findings.append(Message("diag.d_wins_margin" if loss in SCORE_LOSSES else "diag.d_wins", acc=recent_acc))

    diversities = [e["diversity"] for e in epochs if e.get("diversity") is not None]
    # Early on every sample is the same grey blur: collapse is only a finding once G has had time to draw.
    if len(diversities) >= MIN_EPOCHS and diversities[-1] < 0.35 and max(diversities) > diversities[-1]:
        others = " / ".join(name for name, key in (("hinge", "hinge"), ("WGAN-GP", "wgan_gp")) if key != loss)
        findings.append(Message("diag.mode_collapse", ratio=float(diversities[-1]), losses=others))

    alike = still_at_start(epochs)
    if alike is not None:
        findings.append(Message("diag.not_moving", alike=alike, epoch=epochs[-1]["epoch"]))

    if loss not in SCORE_LOSSES and not findings:
        window = g_loss[recent]
        mean = float(np.mean(np.abs(window)))
        cv = float(np.std(window) / mean) if mean > 1e-6 else 0.0
        if cv > 0.5:
            findings.append(Message("diag.oscillation_beta1" if _beta1_above_stable(config) else "diag.oscillation",
                                    cv=cv))

    if not findings and recent_acc < 0.55 and len(g_loss) > 200:
        real, fake = float(np.mean(steps["d_acc_real"][recent])), float(np.mean(steps["d_acc_fake"][recent]))
        if real > 0.9 and fake < 0.1:  # D says "real" to nearly everything: that is no verdict on G's quality
            findings.append(Message("diag.d_says_real", real=real, fake=fake))
        else:
            findings.append(Message("diag.g_wins", acc=recent_acc))
    return findings or [Message("diag.healthy")]


def still_at_start(epochs: list[dict], min_epochs: int = MIN_EPOCHS) -> float | None:
    """How much the epoch grid's samples are still the pictures they started as (the newest epoch's "like_start",
    a correlation), when they are (STILL_START or more, after `min_epochs` epochs); else None."""
    alike = [e.get("like_start") for e in epochs]
    if len(alike) < max(min_epochs, 1) or alike[-1] is None or alike[-1] < STILL_START:
        return None
    return float(alike[-1])


def _beta1_above_stable(config: dict) -> bool:
    """Whether an Adam optimizer of the recipe keeps a beta1 above the stable 0.5 (Adam's default 0.9, say): only
    then is "beta1 = 0.5" advice; the fast recipes use 0 on purpose."""
    for who in ("generator_optimizer", "discriminator_optimizer"):
        optimizer = config.get(who) or {}
        if optimizer.get("name", "adam") == "adam" and float(optimizer.get("beta1", 0.9)) > STABLE_BETA1:
            return True
    return False


def finite(values) -> bool:
    return all(math.isfinite(v) for v in values)
