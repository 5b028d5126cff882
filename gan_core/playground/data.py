"""The 2-D playground's data: GAN Lab's named distributions, and the points a class draws or uploads as a CSV
(parsed, checked and fitted into the box)."""

from __future__ import annotations

import csv
import math

import numpy as np

from ..i18n import GanError
from .config import BOX, DISTRIBUTIONS, POINTS

MAX_CSV_BYTES = 200_000
MAX_POINTS = 5000  # drawn or uploaded
MIN_POINTS = 10
POINT_JITTER = 0.02  # a drawn or uploaded point is sampled with this much Gaussian blur, so G has a density to fit


def sample_distribution(name: str, count: int, rng: np.random.Generator, points: np.ndarray | None = None):
    """`count` points (count, 2) float32 from a named distribution, or from `points` blurred by POINT_JITTER."""
    if name == "line":
        t = rng.uniform(-0.75, 0.75, count)
        xy = np.stack([t, 0.6 * t + 0.1], axis=1) + rng.normal(0.0, 0.02, (count, 2))
    elif name == "gaussians":
        centres = np.array([[-0.5, -0.4], [0.5, -0.4], [0.0, 0.5]])
        xy = centres[rng.integers(0, len(centres), count)] + rng.normal(0.0, 0.09, (count, 2))
    elif name == "ring":  # eight Gaussians on a circle: the classic picture of mode collapse
        angles = 2 * np.pi * rng.integers(0, 8, count) / 8
        xy = 0.6 * np.stack([np.cos(angles), np.sin(angles)], axis=1) + rng.normal(0.0, 0.04, (count, 2))
    elif name == "disjoint":  # two separate regions of uniform density, far from where G starts
        left = rng.random(count) < 0.5
        xy = np.where(left[:, None],
                      np.stack([rng.uniform(-0.85, -0.45, count), rng.uniform(0.35, 0.85, count)], axis=1),
                      np.stack([rng.uniform(0.45, 0.85, count), rng.uniform(-0.85, -0.35, count)], axis=1))
    elif name == POINTS:
        if points is None or len(points) == 0:
            raise GanError("playground.no_points")
        xy = points[rng.integers(0, len(points), count)] + rng.normal(0.0, POINT_JITTER, (count, 2))
    else:
        raise GanError("error.unknown_choice", field="data", value=name, choices=", ".join(DISTRIBUTIONS))
    return np.clip(xy, -BOX, BOX).astype(np.float32)


def parse_points_csv(data: bytes) -> np.ndarray:
    """A small CSV of 2-D points (x, y per row; an optional header; comma, semicolon or tab; a decimal comma with
    semicolons) as (n, 2) float32, fitted into the box. Everything wrong is a GanError a student can act on."""
    if len(data) > MAX_CSV_BYTES:
        raise GanError("playground.csv_too_big", size_kb=math.ceil(len(data) / 1000), limit_kb=MAX_CSV_BYTES // 1000)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GanError("playground.csv_not_text") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise GanError("playground.csv_too_few", count=0, minimum=MIN_POINTS)
    delimiter = next((d for d in ("\t", ";", ",") if d in lines[0]), None)
    if delimiter is None:
        raise GanError("playground.csv_columns", line=1, count=1)
    rows = []
    for number, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        while cells and cells[-1] == "":  # a trailing separator
            cells.pop()
        if len(cells) != 2:
            raise GanError("playground.csv_columns", line=number, count=len(cells))
        if delimiter != ",":
            cells = [cell.replace(",", ".") for cell in cells]
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            if number == 1 and not rows:
                continue  # a header such as "x,y"
            raise GanError("playground.csv_number", line=number, value=row[0] if len(row) else "") from None
        if not all(math.isfinite(v) for v in values):
            raise GanError("playground.csv_number", line=number, value=",".join(cells))
        rows.append(values)
        if len(rows) > MAX_POINTS:
            raise GanError("playground.csv_too_many", limit=MAX_POINTS)
    if len(rows) < MIN_POINTS:
        raise GanError("playground.csv_too_few", count=len(rows), minimum=MIN_POINTS)
    return fit_to_box(np.asarray(rows, dtype=np.float64))


def fit_to_box(points: np.ndarray, margin: float = 0.8) -> np.ndarray:
    """Centre and scale (one factor for both axes, so shapes keep their proportions) into [-margin, margin]²."""
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    if extent <= 0:
        raise GanError("playground.csv_one_point")
    return ((points - (low + high) / 2) * (2 * margin / extent)).astype(np.float32)

