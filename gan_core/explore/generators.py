"""Generators: the one interface the explorer, the checks and the CLI use. The file they live in (a .keras file with
a JSON card beside it, checked before it is loaded with safe_mode=True) is gan_core.training.generator_file, which the
trainer writes; an upload is built and run here first, in a limited child process (check_in_child)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from ..i18n import GanError, Message
from ..training.generator_file import (  # noqa: F401 - the file format's checks and limits, read here as before
    ALLOWED_CLASSES,
    ALLOWED_MEMBERS,
    MAX_GENERATOR_PARAMS,
    MAX_LAYER_VALUES,
    MAX_MODEL_BYTES,
    check_built_size,
    check_keras_archive,
    estimate_size,
    load_keras_file,
    safe_load,
    save_generator,
)
from ..training.presets import SUPPORTED_SHAPES

# An uploaded model is built and run (a batch of CHECK_BATCH, the explorer's grid) first in a child process with
# this much address space (TensorFlow itself takes about 1.7 GB of it) and this much time: whatever the file
# declares, the server builds only what fitted there.
CHECK_ADDRESS_SPACE_BYTES = int(float(os.environ.get("GAN_MODEL_CHECK_MB", "3500")) * 1_000_000)
CHECK_SECONDS = float(os.environ.get("GAN_MODEL_CHECK_SECONDS", "120"))
CHECK_BATCH = 32


class Generator:
    """Any generator behind one small interface (as GANSpace keeps): sample latents, latents (and labels) to images
    in [-1, 1], what it is conditioned on, its name. NumPy in and out: latents (n, latent_dim) float32, labels (n,)
    int for a conditional generator, images (n, h, w, c) float32.

    Built from a Keras model and its card (what the trainer wrote beside it); `Generator.load` reads both from a
    file, checked. `model` stays public for tests and benchmarks that look inside.
    """

    def __init__(self, model, card: dict | None = None, name: str = ""):
        import tensorflow as tf

        self.model = model
        self.card = dict(card or {})
        self.name = name
        inputs = _inputs(model)
        self.latent_dim = int(inputs[0].shape[1])
        self.image_shape = tuple(int(d) for d in model.outputs[0].shape[1:])
        self.num_classes = 0
        if len(inputs) == 2:  # latents and labels: the card says how many classes, else the label embedding does
            self.num_classes = int(self.card.get("num_classes") or _embedding_classes(model) or 0)
        self.class_names = list(self.card.get("class_names") or [str(i) for i in range(self.num_classes)])
        self._lock = threading.Lock()  # Keras models are not re-entrant across threads for graph tracing
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32)
        if self.conditional:
            label_spec = tf.TensorSpec((None, 1), tf.int32)
            self._forward = tf.function(lambda z, y: model([z, y], training=False),
                                        input_signature=[latent_spec, label_spec], reduce_retracing=True)
        else:
            self._forward = tf.function(lambda z: model(z, training=False), input_signature=[latent_spec],
                                        reduce_retracing=True)
        self._features_model = None  # built on first use: activations()
        self._morph_model = None  # built on first use: class_morph()
        self._class_effect: float | None = None  # measured on first use: class_effect()

    @classmethod
    def load(cls, path) -> "Generator":
        """Check the archive, load it with safe_mode=True, check its shapes, and read its card if present."""
        path = Path(path)
        check_keras_archive(path)
        model = safe_load(path)
        inputs = _inputs(model)
        if len(inputs) not in (1, 2) or len(inputs[0].shape) != 2:
            raise GanError("error.model_file.input_shape")
        shape = tuple(int(d) for d in model.outputs[0].shape[1:])
        if shape not in SUPPORTED_SHAPES:
            raise GanError("error.model_file.unsupported_output", shape=str(shape))
        card = {}
        card_path = path.with_name("card.json")
        if card_path.is_file() and card_path.stat().st_size < 1_000_000:
            try:
                card = json.loads(card_path.read_text())
            except ValueError:
                card = {}
        generator = cls(model, card, name=path.parent.name if path.name == "generator.keras" else path.stem)
        if len(inputs) == 2 and generator.num_classes <= 0:
            raise GanError("error.model_file.conditional_classes")
        return generator

    @property
    def lock(self) -> threading.Lock:
        """Held while the model runs: code that calls `model` itself (projection's optimisation) holds it too."""
        return self._lock

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def groups(self) -> int:
        """Self-conditioning groups it was trained with (gan_core.training.clusters; z[0] picks one), from its card;
        0: none."""
        return int((self.card.get("config") or {}).get("clusters") or 0)

    def sample_latents(self, n: int, seed: int) -> np.ndarray:
        """(n, latent_dim) float32 from N(0, I), the same for the same seed."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def generate(self, latents, labels=None) -> np.ndarray:
        """Images (n, h, w, c) in [-1, 1]; a conditional generator without labels draws class 0."""
        latents = np.asarray(latents, np.float32).reshape(-1, self.latent_dim)
        with self._lock:
            if self.conditional:
                if labels is None:
                    labels = np.zeros(len(latents), np.int32)
                labels = np.asarray(labels, np.int32).reshape(-1, 1)
                out = self._forward(latents, labels)
            else:
                out = self._forward(latents)
        return out.numpy()

    @property
    def feature_layer(self) -> str:
        """The layer `activations` reads: the first nonlinearity after the latent projection (GANSpace reads an
        early layer too), else the first Dense layer."""
        return _early_layer(self.model).name

    def activations(self, latents, labels=None) -> np.ndarray:
        """(n, features) float32: `feature_layer`'s output for these latents (labels: a conditional generator's)."""
        import keras

        latents = np.asarray(latents, np.float32).reshape(-1, self.latent_dim)
        with self._lock:
            if self._features_model is None:
                self._features_model = keras.Model(self.model.inputs, _early_layer(self.model).output)
            if self.conditional:
                labels = np.zeros(len(latents), np.int32) if labels is None else labels
                inputs = [latents, np.asarray(labels, np.int32).reshape(-1, 1)]
            else:
                inputs = latents
            out = self._features_model.predict(inputs, batch_size=500, verbose=0)
        return out.reshape(len(latents), -1).astype(np.float32)

    def class_effect(self, samples: int = 8, seed: int = 0) -> float:
        """How much the class alone changes a picture, as a share of how much z does: the mean pixel change between
        two classes at one z over the mean change between two z at one class (same pairs, fixed seed). About 1 or more
        where the class decides the picture (the bundled digits and clothes: 1.2, 1.7); well under 1 where z draws
        almost everything and the class only tints it (the bundled CIFAR animals: 0.4), so a class morph at one z
        barely changes."""
        if not self.conditional:
            raise ValueError("a class effect needs a conditional generator")
        if self._class_effect is None:
            latents = self.sample_latents(2 * samples, seed)
            classes = np.arange(samples) % self.num_classes
            other = (classes + 1) % self.num_classes
            first = self.generate(latents[:samples], classes)
            by_class = np.abs(first - self.generate(latents[:samples], other)).mean()
            by_latent = np.abs(first - self.generate(latents[samples:], classes)).mean()
            self._class_effect = float(by_class / max(by_latent, 1e-12))
        return self._class_effect

    def class_morph(self, latent: np.ndarray, class_a: int, class_b: int, steps: int) -> np.ndarray:
        """(steps, h, w, c): this conditional generator's images as its class embedding slides from class_a to
        class_b, latent fixed; or, given (steps, latent_dim) latents, one latent a frame (a path in z travelled at
        the same time). Works on a private copy of the model whose label-0 embedding row is replaced by each mixture
        in turn, so `generate` is never disturbed."""
        import keras

        if not self.conditional:
            raise ValueError("class morph needs a conditional generator")
        with self._lock:
            if self._morph_model is None:
                self._morph_model = keras.models.clone_model(self.model)
                self._morph_model.set_weights(self.model.get_weights())
            embedding = next(layer for layer in self._morph_model.layers if type(layer).__name__ == "Embedding")
            table = keras.ops.convert_to_numpy(embedding.embeddings)
            original = table.copy()
            frames = []
            try:
                path = np.asarray(latent, np.float32).reshape(-1, self.latent_dim)
                path = np.repeat(path, steps, axis=0) if len(path) == 1 else path
                for t, z in zip(np.linspace(0.0, 1.0, steps), path):
                    table[0] = (1.0 - t) * original[class_a] + t * original[class_b]
                    embedding.embeddings.assign(table)
                    out = self._morph_model([z.reshape(1, -1), np.zeros((1, 1), np.int32)], training=False)
                    frames.append(keras.ops.convert_to_numpy(out)[0])
            finally:
                embedding.embeddings.assign(original)
        return np.stack(frames)


def _inputs(model) -> list:
    return model.inputs if isinstance(model.inputs, list) else [model.inputs]


def _early_layer(model):
    for layer in model.layers:
        if type(layer).__name__ in ("LeakyReLU", "ReLU", "Activation"):
            return layer
    return next(layer for layer in model.layers if type(layer).__name__ == "Dense")


def check_in_child(path: Path, widths: tuple[int, int] | None = None, others: tuple = ()) -> dict:
    """Build the model in `path` and run it on a batch, in a fresh Python process limited to
    CHECK_ADDRESS_SPACE_BYTES of memory and CHECK_SECONDS. A generator by default; with `widths` (inputs, outputs),
    a plain model from vectors to vectors (the 2-D playground's MLPs), which must take and give those widths, and
    `others` more such (path, widths) pairs checked by the same child, one after the other (one TensorFlow start).
    Returns what the child measured ({"params", "peak_mb"}); raises GanError when it did not fit, took too long or
    failed the checks."""
    project = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(project), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
           # few threads and malloc arenas: each reserves address space that would count against the limit
           "TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "2",
           "MALLOC_ARENA_MAX": "2",
           "GAN_CHECK_ADDRESS_SPACE": str(CHECK_ADDRESS_SPACE_BYTES)}
    limit_mb = CHECK_ADDRESS_SPACE_BYTES // 1_000_000
    try:
        command = [sys.executable, "-m", "gan_core.explore.generators", str(path)] + [str(w) for w in widths or ()]
        for other, other_widths in others:
            command += [str(other)] + [str(w) for w in other_widths]
        done = subprocess.run(command, cwd=project, env=env,
                              capture_output=True, text=True, timeout=CHECK_SECONDS)
    except subprocess.TimeoutExpired:
        raise GanError("error.model_check_timeout", seconds=round(CHECK_SECONDS)) from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    report = json.loads(lines[-1][2:]) if lines else {}
    if report.get("ok"):
        return report
    if report.get("error"):
        message = Message.from_dict(report["error"])
        raise GanError(message.key, **message.params)
    if report.get("memory") or "MemoryError" in done.stderr or "ResourceExhausted" in done.stderr \
            or "bad_alloc" in done.stderr or done.returncode < 0:
        raise GanError("error.model_check_memory", limit=limit_mb)
    raise GanError("error.model_file", reason=f"exit {done.returncode}")


def _check_main(path: str, widths: list[str]) -> None:
    """The child's side of check_in_child: limits first, then TensorFlow, the model and one batch."""
    import resource

    limit = int(os.environ.get("GAN_CHECK_ADDRESS_SPACE", CHECK_ADDRESS_SPACE_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    report: dict
    try:
        if widths:  # path, inputs, outputs, then more such triples
            items, params = [path, *widths], 0
            for index in range(0, len(items), 3):
                inputs, outputs = int(items[index + 1]), int(items[index + 2])
                model = load_vector_model(Path(items[index]), inputs, outputs)
                check_built_size(model)
                model(np.zeros((CHECK_BATCH, inputs), np.float32), training=False)
                params += int(model.count_params())
        else:
            generator = Generator.load(Path(path))
            check_built_size(generator.model)
            images = generator.generate(generator.sample_latents(CHECK_BATCH, 0))  # a conditional one draws class 0
            if tuple(images.shape[1:]) != generator.image_shape:
                raise GanError("error.model_file.output_mismatch", shape=str(tuple(images.shape[1:])))
            params = int(generator.model.count_params())
        report = {"ok": True, "params": params}
    except GanError as exc:
        report = {"error": exc.message.to_dict()}  # its counts stay counts: the reader's separators apply
    except MemoryError:
        report = {"memory": True}
    except Exception as exc:  # noqa: BLE001 - TensorFlow's out-of-memory errors have many types
        text = f"{type(exc).__name__}: {exc}"
        if "ResourceExhausted" in text or "OOM" in text or "bad_alloc" in text or "MemoryError" in text:
            report = {"memory": True}
        else:
            report = {"error": Message("error.model_file", reason=text[:200]).to_dict()}
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            report["peak_mb"] = int(line.split()[1]) / 1024
    print("@@" + json.dumps(report, default=str), flush=True)


def load_vector_model(path: Path, inputs: int, outputs: int):
    """A model from (batch, inputs) to (batch, outputs) (the 2-D playground's G and D): the archive checked, loaded
    with safe_mode=True and compile=False, its widths checked."""
    path = Path(path)
    check_keras_archive(path)
    model = safe_load(path)
    model_inputs = _inputs(model)
    found = (tuple(model_inputs[0].shape[1:]) if len(model_inputs) == 1 else None,
             tuple(model.outputs[0].shape[1:]) if len(model.outputs) == 1 else None)
    if found != ((inputs,), (outputs,)):
        raise GanError("error.model_file.vector_shape", found=str(found), expected=str(((inputs,), (outputs,))))
    return model


def _embedding_classes(model) -> int:
    for layer in model.layers:
        if type(layer).__name__ == "Embedding":
            return int(layer.input_dim)
    return 0


if __name__ == "__main__":
    _check_main(sys.argv[1], sys.argv[2:])
