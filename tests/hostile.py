"""Hostile uploads built on the fly (by the tests and by the child processes that measure their memory)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image


def small_generator_bytes(latent: int = 8) -> bytes:
    """A clean 28x28x1 generator saved as .keras, in memory."""
    import tempfile
    from pathlib import Path

    import keras

    z = keras.Input((latent,))
    x = keras.layers.Dense(7 * 7, name="dense")(z)
    x = keras.layers.Reshape((7, 7, 1))(x)
    x = keras.layers.UpSampling2D(4)(x)
    model = keras.Model(z, keras.layers.Activation("tanh")(x))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "g.keras"
        model.save(path)
        return path.read_bytes()


def with_config(keras_bytes: bytes, edit) -> bytes:
    """The same .keras archive with `edit(config)` applied to its config.json (weights left as they were)."""
    source = zipfile.ZipFile(io.BytesIO(keras_bytes))
    config = json.loads(source.read("config.json"))
    edit(config)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = json.dumps(config).encode() if info.filename == "config.json" else source.read(info)
            target.writestr(info.filename, data)
    return buffer.getvalue()


def layers_of(config: dict) -> list[dict]:
    return config["config"]["layers"]


def giant_dense(keras_bytes: bytes, units: int = 50_000_000) -> bytes:
    """A few kB that declare a Dense layer of `units` units (the weights in the file stay tiny)."""
    def edit(config):
        for layer in layers_of(config):
            if layer["class_name"] == "Dense":
                layer["config"]["units"] = units
    return with_config(keras_bytes, edit)


def giant_activation(factor: int = 256) -> bytes:
    """Few parameters (about 4,000) but huge activations: 7x7x64 upsampled by `factor` (1792x1792x64, 800 MB a
    sample at 256) before a strided conv brings it back to the 28x28 a generator must output."""
    import tempfile
    from pathlib import Path

    import keras

    z = keras.Input((8,))
    x = keras.layers.Dense(7 * 7)(z)
    x = keras.layers.Reshape((7, 7, 1))(x)
    x = keras.layers.Conv2D(64, 1)(x)
    x = keras.layers.UpSampling2D(factor)(x)
    x = keras.layers.Conv2D(1, factor // 4, strides=factor // 4)(x)
    model = keras.Model(z, keras.layers.Activation("tanh")(x))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "g.keras"
        model.save(path)
        return path.read_bytes()


def padded_zip(count: int, member_bytes: int, prefix: str = "") -> bytes:
    """A zip of `count` members named like photos, each `member_bytes` long and compressing about 100:1 (under
    the per-member ratio check): many of them add up to far more unpacked bytes than the zip's size."""
    rng = np.random.default_rng(len(prefix) + count)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            noise = rng.integers(0, 256, member_bytes // 120, dtype=np.uint8).tobytes()
            archive.writestr(f"{prefix}photo_{index:05d}.jpg", noise + bytes(member_bytes - len(noise)))
    return buffer.getvalue()


def directory_entries_zip(count: int = 500_000) -> bytes:
    """A zip that lists `count` directory entries (no files), written by hand: fast, and exactly what a hostile
    client would send."""
    local, central, offset = [], [], 0
    for index in range(count):
        name = f"d{index:07d}/".encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0,
                                   0, 0o40755 << 16 | 0x10, offset) + name)
        local.append(header)
        offset += len(header)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), len(directory),
                      offset, 0)
    if count > 0xFFFF:  # the real count goes in a zip64 end record, as zip tools do
        zip64_end = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), offset)
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(directory), 1)
        end = zip64_end + locator + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                                                0xFFFFFFFF, 0)
    return b"".join(local) + directory + end


def float_tiff(side: int = 6000) -> bytes:
    """A float32 TIFF of side x side pixels that compresses to a few hundred kB."""
    buffer = io.BytesIO()
    Image.new("F", (side, side), 0.5).save(buffer, format="TIFF", compression="tiff_adobe_deflate")
    return buffer.getvalue()


def grey16_png(side: int = 6000) -> bytes:
    buffer = io.BytesIO()
    Image.new("I;16", (side, side), 1000).save(buffer, format="PNG")
    return buffer.getvalue()


def deflate_ratio(data: bytes) -> float:
    return len(data) / max(1, len(zlib.compress(data)))
