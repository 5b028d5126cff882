"""Generators: the one interface the explorer, the checks and the CLI use, and the file they live in (a .keras file
with a JSON card beside it, checked before it is loaded with safe_mode=True)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np

from ..i18n import Count, GanError, Message

MAX_MODEL_BYTES = 100_000_000
MAX_CONFIG_BYTES = 2_000_000
ALLOWED_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
# Layer classes our presets use, and close relatives: anything else (Lambda, custom code) is refused.
ALLOWED_CLASSES = {
    "Functional", "Sequential", "Model", "InputLayer", "Dense", "Reshape", "Flatten", "Conv2D", "Conv2DTranspose",
    "BatchNormalization", "LayerNormalization", "LeakyReLU", "ReLU", "Activation", "Dropout", "Embedding",
    "Concatenate", "Add", "Multiply", "UpSampling2D", "SpectralNormalization", "GaussianNoise", "__keras_tensor__",
    "Cropping1D", "Discretization",  # a self-conditioned generator's group cut (gan_core.explore.clusters)
    # objects inside layer configs
    "DTypePolicy", "FloatDTypePolicy", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "RandomNormal",
    "RandomUniform", "Zeros", "Ones", "Constant", "TruncatedNormal", "L2", "L1", "L1L2", "Orthogonal",
}
# What a generator can sensibly need: ours have 0.4-3 million parameters, the largest recipe at 64x64x3 with a
# 1024-dimensional latent about 17 million; no layer of ours outputs more than 64x64x64 values per image.
MAX_GENERATOR_PARAMS = 30_000_000
MAX_LAYER_VALUES = 4_000_000  # one layer's output for one image, as the file declares it
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
        from ..training.presets import SUPPORTED_SHAPES

        path = Path(path)
        check_keras_archive(path)
        model = _safe_load(path)
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
        """Self-conditioning groups it was trained with (gan_core.explore.clusters; z[0] picks one), from its card;
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


def save_generator(generator, path: Path, card: dict) -> None:
    """Write generator.keras and card.json atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.keras")
    generator.save(tmp)
    tmp.replace(path)
    card_path = path.with_name("card.json")
    card_tmp = card_path.with_name("card.json.tmp")
    card_tmp.write_text(json.dumps(card, indent=2, default=_json_default))
    card_tmp.replace(card_path)


def check_keras_archive(path: Path) -> dict:
    """Inspect a .keras file without loading it: members, sizes and every class name. Returns its config."""
    path = Path(path)
    if path.suffix != ".keras":
        raise GanError("error.model_file.not_keras")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise GanError("error.model_file", reason=f"> {MAX_MODEL_BYTES // 1_000_000} MB")
    if not zipfile.is_zipfile(path):
        raise GanError("error.model_file.not_zip")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        unexpected = names - ALLOWED_MEMBERS
        if unexpected or "config.json" not in names or "model.weights.h5" not in names:
            raise GanError("error.model_file.unexpected_members", members=str(sorted(unexpected)[:5]))
        if sum(info.file_size for info in infos) > MAX_MODEL_BYTES * 2:
            raise GanError("error.model_file.unpacked_too_large")
        config_info = archive.getinfo("config.json")
        if config_info.file_size > MAX_CONFIG_BYTES:
            raise GanError("error.model_file", reason="config.json > 2 MB")
        try:
            config = json.loads(archive.read("config.json"))
        except (ValueError, UnicodeDecodeError):
            raise GanError("error.model_file.config_unreadable") from None
    for class_name, module in _class_names(config):
        if class_name == "Lambda" or class_name not in ALLOWED_CLASSES:
            raise GanError("error.model_file.layer_not_allowed", layer=class_name)
        if module is not None and not str(module).startswith("keras"):
            raise GanError("error.model_file.module_not_allowed", module=str(module))
    params, values = estimate_size(config)
    if params > MAX_GENERATOR_PARAMS:
        raise GanError("error.model_too_big", params=Count(params), limit=Count(MAX_GENERATOR_PARAMS))
    if values > MAX_LAYER_VALUES:
        raise GanError("error.model_too_big_layer", values=Count(values), limit=Count(MAX_LAYER_VALUES))
    return config


def estimate_size(config: dict) -> tuple[int, int]:
    """(parameters, largest layer output per image) as the config declares them, before Keras builds anything.
    Input widths come from the shapes the file records for each layer's inputs; a file can lie about those, which
    is why an upload is also built in a child process with a memory limit (check_in_child)."""
    params, largest = 0, 0
    for layer in _layers(config):
        kind, settings = layer["class_name"], layer.get("config") or {}
        if kind == "SpectralNormalization" and isinstance(settings.get("layer"), dict):
            kind, settings = settings["layer"].get("class_name"), settings["layer"].get("config") or {}
        width = _declared_input_width(layer)
        if kind == "Dense":
            units = _positive(settings.get("units"))
            params += units * (width + 1)
            largest = max(largest, units)
        elif kind in ("Conv2D", "Conv2DTranspose"):
            filters = _positive(settings.get("filters"))
            kernel = _product(settings.get("kernel_size"), 2)
            params += filters * (kernel * width + 1)
        elif kind == "Embedding":
            params += _positive(settings.get("input_dim")) * _positive(settings.get("output_dim"))
        elif kind == "Reshape":
            largest = max(largest, _product(settings.get("target_shape"), 1))
        elif kind == "InputLayer":
            shape = settings.get("batch_shape") or settings.get("batch_input_shape") or []
            largest = max(largest, _product(shape[1:], 1))
        elif kind == "Discretization":
            params += len(settings.get("bin_boundaries") or [])
    return params, largest


def _layers(node):
    """Every layer dict in a (possibly nested) model config."""
    for found in _objects(node):
        if isinstance(found.get("config"), dict) and found["class_name"] not in (
                "Functional", "Sequential", "Model", "__keras_tensor__"):
            yield found


def _declared_input_width(layer: dict) -> int:
    """The last dimension of the layer's input as the file records it (build_config or the inbound tensors)."""
    shapes = []
    build = layer.get("build_config") or {}
    if isinstance(build.get("input_shape"), list):
        shapes.append(build["input_shape"])
    for node in layer.get("inbound_nodes") or []:
        for tensor in _tensors(node):
            shapes.append(tensor.get("config", {}).get("shape"))
    widths = [_positive(shape[-1]) for shape in shapes if isinstance(shape, list) and shape
              and not isinstance(shape[-1], list)]
    return max(widths, default=1)


def _tensors(node):
    """The Keras tensors a config tree names (layer inputs and outputs)."""
    return (item for item in _objects(node) if item["class_name"] == "__keras_tensor__")


def _positive(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _product(values, length: int) -> int:
    if isinstance(values, int):
        return _positive(values) ** length
    total = 1
    for value in values if isinstance(values, list) else []:
        total *= _positive(value)
    return total


def check_built_size(model) -> None:
    """The same limits as estimate_size, on the built model's real shapes (what a file may have lied about)."""
    params = int(model.count_params())
    if params > MAX_GENERATOR_PARAMS:
        raise GanError("error.model_too_big", params=Count(params), limit=Count(MAX_GENERATOR_PARAMS))
    layers = model._flatten_layers(include_self=False) if hasattr(model, "_flatten_layers") else model.layers
    for layer in layers:
        try:
            outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
        except (AttributeError, ValueError):  # a layer used more than once, or never called: no single output
            continue
        for output in outputs:
            values = int(np.prod([d for d in output.shape[1:] if d is not None], dtype=np.int64))
            if values > MAX_LAYER_VALUES:
                raise GanError("error.model_too_big_layer", values=Count(values), limit=Count(MAX_LAYER_VALUES))


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


def _objects(node):
    """Every dict with a class_name in a config tree (layers, models, initializers, policies), depth first."""
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _class_names(node):
    for found in _objects(node):
        yield str(found["class_name"]), found.get("module")


def load_vector_model(path: Path, inputs: int, outputs: int):
    """A model from (batch, inputs) to (batch, outputs) (the 2-D playground's G and D): the archive checked, loaded
    with safe_mode=True and compile=False, its widths checked."""
    path = Path(path)
    check_keras_archive(path)
    model = _safe_load(path)
    model_inputs = _inputs(model)
    found = (tuple(model_inputs[0].shape[1:]) if len(model_inputs) == 1 else None,
             tuple(model.outputs[0].shape[1:]) if len(model.outputs) == 1 else None)
    if found != ((inputs,), (outputs,)):
        raise GanError("error.model_file.vector_shape", found=str(found), expected=str(((inputs,), (outputs,))))
    return model


def load_keras_file(path: Path):
    """Any model file already checked with check_keras_archive (a cached encoder): safe_mode=True, compile=False."""
    return _safe_load(Path(path))


def _safe_load(path: Path):
    """keras.saving.load_model with safe_mode=True and compile=False; any failure is the file's, said without paths."""
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - any failure to load is the file's fault
        detail = str(exc).replace(str(path.resolve().parent), "").replace(str(path.parent), "")  # no server paths
        raise GanError("error.model_file", reason=f"{type(exc).__name__}: {detail[:200]}") from None


def _embedding_classes(model) -> int:
    for layer in model.layers:
        if type(layer).__name__ == "Embedding":
            return int(layer.input_dim)
    return 0


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return str(value)


if __name__ == "__main__":
    _check_main(sys.argv[1], sys.argv[2:])
