"""Diagnosis in words from a run's metrics: D wins too early, mode collapse, oscillation, divergence."""

from __future__ import annotations

import math

import numpy as np

from ..i18n import Message

WINDOW = 50  # steps looked at
MIN_STEPS = 30


def diagnose(steps: dict, epochs: list[dict]) -> list[Message]:
    """steps: field -> list of per-step values; epochs: per-epoch records (with 'diversity').
    Returns the findings, most serious first; a healthy run gets one 'healthy' message."""
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
        findings.append(Message("diag.d_wins", acc=recent_acc))

    diversities = [e["diversity"] for e in epochs if e.get("diversity") is not None]
    # Early on every sample is the same grey blur: collapse is only a finding once G has had time to draw.
    if len(diversities) >= 3 and diversities[-1] < 0.35 and max(diversities) > diversities[-1]:
        findings.append(Message("diag.mode_collapse", ratio=float(diversities[-1])))

    window = g_loss[recent]
    mean = float(np.mean(np.abs(window)))
    cv = float(np.std(window) / mean) if mean > 1e-6 else 0.0
    if cv > 0.5 and not findings:
        findings.append(Message("diag.oscillation", cv=cv))

    if not findings and recent_acc < 0.55 and len(g_loss) > 200:
        findings.append(Message("diag.g_wins", acc=recent_acc))
    return findings or [Message("diag.healthy")]


def finite(values) -> bool:
    return all(math.isfinite(v) for v in values)
