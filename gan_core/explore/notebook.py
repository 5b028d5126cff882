"""The notebook of a run's exact model: a Jupyter notebook (.ipynb) that rebuilds the run's G and D in plain Keras
(no gan_core), with its loss, optimizers, hyper-parameters, DiffAugment and moving average where it used them,
loads its dataset (keras.datasets, or a folder of photos), can load its trained generator to go on from it, and
trains. It runs unchanged in Jupyter and in Colab.

What it goes on from travels beside it in one zip (`take_home_zip`): the generator it loads and, for a run, its
training state (`training_state`: G, D, both optimizers and G's moving average, the run's last checkpoint), so
training continues where the run stopped; a bundled generator's D where it ships one (networks.npz), otherwise D
starts afresh and the notebook says so.

The networks are written as Keras code from the models' own configs (`model_code`): one line a layer, only the
arguments that differ from Keras' defaults, so what the student reads is what trained. The training step is the
engine's (gan_core.training.gan.GAN.train_step) written out for this run's choices only."""

from __future__ import annotations

import base64
import gzip
import inspect
import json
import keyword
import re
from pathlib import Path

import numpy as np

from ..i18n import GanError, tr

NOTEBOOK_FORMAT = 4
SKIPPED_KEYS = {"name", "trainable", "dtype"}


# --- networks as code ---------------------------------------------------------------------------------------

def model_code(model, function_name: str) -> str:
    """Python source of a function `function_name()` that builds `model` (a functional Keras model) layer by layer
    with keras.layers, the same layers, shapes and order of weights."""
    config = model.get_config()
    names: dict[str, str] = {}
    lines = [f"def {function_name}():"]
    for layer in config["layers"]:
        variable = _variable(layer["name"], names)
        if layer["class_name"] == "InputLayer":
            settings = layer["config"]
            shape = tuple(settings["batch_shape"][1:])
            dtype = "" if settings.get("dtype") in (None, "float32") else f", dtype={settings['dtype']!r}"
            lines.append(f"    {variable} = keras.Input(shape={shape!r}{dtype}, name={layer['name']!r})")
            continue
        call = _layer_call(layer["class_name"], layer["config"])
        inputs = [_inputs_code(node["args"], names) for node in layer["inbound_nodes"]]
        lines.append(f"    {variable} = {call}({', '.join(inputs)})")
    ins = [names[item[0]] for item in config["input_layers"]] if isinstance(config["input_layers"][0], list) \
        else [names[config["input_layers"][0]]]
    outs = [names[item[0]] for item in config["output_layers"]] if isinstance(config["output_layers"][0], list) \
        else [names[config["output_layers"][0]]]
    ins_code = ins[0] if len(ins) == 1 else f"[{', '.join(ins)}]"
    outs_code = outs[0] if len(outs) == 1 else f"[{', '.join(outs)}]"
    lines.append(f"    return keras.Model({ins_code}, {outs_code}, name={config.get('name', 'model')!r})")
    return "\n".join(lines)


def _variable(name: str, names: dict) -> str:
    variable = re.sub(r"\W", "_", name)
    if keyword.iskeyword(variable) or variable in ("keras", "layers") or variable[:1].isdigit():
        variable = f"t_{variable}"
    names[name] = variable
    return variable


def _inputs_code(args, names) -> str:
    def one(item):
        if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
            return names[item["config"]["keras_history"][0]]
        if isinstance(item, list):
            return "[" + ", ".join(one(value) for value in item) + "]"
        return repr(item)

    return ", ".join(one(arg) for arg in args)


def _layer_call(class_name: str, settings: dict) -> str:
    """`layers.Class(required..., changed=...)` for one layer's config: its required arguments, then whatever
    differs from what Keras would set by default."""
    import keras

    cls = getattr(keras.layers, class_name)
    if class_name == "SpectralNormalization":
        inner = settings["layer"]
        rest = {k: v for k, v in settings.items() if k not in ("layer", *SKIPPED_KEYS) and not
                (k == "power_iterations" and v == 1)}
        return f"layers.SpectralNormalization({_layer_call(inner['class_name'], inner['config'])}" + \
            "".join(f", {k}={_value(v)}" for k, v in rest.items()) + ")"
    if class_name == "Discretization":  # the self-conditioning cut: its bounds are a cell of their own
        return "layers.Discretization(bin_boundaries=CLUSTER_BOUNDS)"
    required = [name for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if name != "self" and parameter.default is inspect.Parameter.empty
                and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)]
    try:
        defaults = cls(**{name: settings[name] for name in required}).get_config()
    except (TypeError, ValueError):  # a layer that needs more to be made: every setting written out
        defaults = {}
    arguments = [_value(settings[name]) for name in required]
    for key, value in settings.items():
        if key in SKIPPED_KEYS or key in required or (key in defaults and defaults[key] == value):
            continue
        arguments.append(f"{key}={_value(value)}")
    return f"layers.{class_name}({', '.join(arguments)})"


def _value(value) -> str:
    if isinstance(value, dict) and "class_name" in value:  # an initializer, regularizer or constraint
        kind = {"initializers": "initializers", "regularizers": "regularizers", "constraints": "constraints"}
        module = str(value.get("module", "keras.initializers")).split(".")[-1]
        return f"keras.{kind.get(module, 'initializers')}.{value['class_name']}(**{value.get('config') or {}!r})"
    if isinstance(value, list):
        return repr(tuple(value)) if all(isinstance(v, int) for v in value) else repr(value)
    return repr(value)


# --- the notebook ----------------------------------------------------------------------------------------------

def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str, tags: tuple = ()) -> dict:
    metadata = {"tags": list(tags)} if tags else {}
    return {"cell_type": "code", "metadata": metadata, "execution_count": None, "outputs": [], "source": text}


def _groups_code(groups: np.ndarray) -> str:
    """A self-conditioned run's group of every training image, in the order the notebook loads them: gzipped
    int16, base64 (MNIST's 60,000 in about 60 kB)."""
    packed = base64.b64encode(gzip.compress(groups.astype("<i2").tobytes(), 9, mtime=0)).decode("ascii")
    return ("import base64, gzip\n"
            f"GROUPS = np.frombuffer(gzip.decompress(base64.b64decode(\"{packed}\")), \"<i2\").astype(\"int32\")")


def run_config(folder: Path) -> dict | None:
    """The recipe a generator's folder trained with, every field filled in: a run's config.json, else a bundled
    generator's card (its "config"), over the preset's defaults; None when neither says."""
    import dataclasses

    from ..training.config import OptimizerConfig, recipe

    folder = Path(folder)
    try:
        if (folder / "config.json").is_file():
            config = json.loads((folder / "config.json").read_text())
        else:
            config = json.loads((folder / "card.json").read_text()).get("config")
        full = {**dataclasses.asdict(recipe(config["preset"])), **config}
        for network in ("generator_optimizer", "discriminator_optimizer"):  # older cards lack newer knobs (beta2)
            full[network] = {**dataclasses.asdict(OptimizerConfig()), **full[network]}
        return full
    except (OSError, ValueError, TypeError, KeyError, GanError):
        return None


def can_write(folder: Path) -> bool:
    """Whether a run's (or a bundled generator's) folder holds what its notebook needs: its recipe and generator,
    and a self-conditioned run's groups (a bundled self-conditioned generator ships without them)."""
    folder = Path(folder)
    config = run_config(folder)
    if config is None or not (folder / "generator.keras").is_file():
        return False
    return not config.get("clusters") or (folder / "clusters.npz").is_file()


STATE_GROUPS = ("generator", "discriminator", "g_optimizer", "d_optimizer", "generator_ema")


def training_state(folder: Path) -> dict[str, np.ndarray]:
    """What the notebook continues from besides the generator file, as arrays named "group/NNNN" (a group's
    variables in the order the notebook's models and optimizers list them): a run's last checkpoint (G, D, both
    optimizers, G's moving average: gan_core.training.run_folder.save_checkpoint; its random seed is left out, the
    notebook draws its own); a bundled generator's D from its networks.npz (by layer path, put in order here);
    {} when the folder has no D (a bundled generator without networks.npz)."""
    from ..training.run_folder import NETWORKS_FILE, RunFolder

    folder = Path(folder)
    checkpoint = RunFolder(folder).existing_checkpoint()
    if checkpoint is not None:
        with np.load(checkpoint, allow_pickle=False) as saved:
            return {key: saved[key] for key in saved.files if key.split("/")[0] in STATE_GROUPS}
    if (folder / NETWORKS_FILE).is_file():
        return _bundled_discriminator(folder)
    return {}


def _bundled_discriminator(folder: Path) -> dict[str, np.ndarray]:
    """A bundled generator's D from its networks.npz ("discriminator/<variable path>"), in the order of the
    discriminator its preset builds; {} when it does not match that discriminator variable for variable."""
    from ..training.presets import get_preset
    from ..training.run_folder import NETWORKS_FILE

    config = run_config(folder)
    card = json.loads((folder / "card.json").read_text())
    classes = int(card.get("num_classes") or 0)
    discriminator = get_preset(config["preset"]).build_discriminator(tuple(card["image_shape"]), classes)
    with np.load(folder / NETWORKS_FILE, allow_pickle=False) as saved:
        arrays = [saved.get(f"discriminator/{variable.path}") for variable in discriminator.weights]
    if any(array is None or array.shape != tuple(variable.shape)
           for array, variable in zip(arrays, discriminator.weights)):
        return {}
    return {f"discriminator/{index:04d}": array for index, array in enumerate(arrays)}


def has_discriminator(folder: Path) -> bool:
    """Whether the folder's notebook continues D too (a run's checkpoint, a bundled generator's networks.npz),
    without reading the arrays."""
    from ..training.run_folder import NETWORKS_FILE, RunFolder

    folder = Path(folder)
    return RunFolder(folder).existing_checkpoint() is not None or (folder / NETWORKS_FILE).is_file()


def package_bytes(folder: Path) -> int:
    """About how many bytes take_home_zip writes for the folder (its files, uncompressed): what is asked of the
    session's quota before building it."""
    from ..training.run_folder import NETWORKS_FILE, RunFolder

    folder = Path(folder)
    files = [folder / "generator.keras", RunFolder(folder).existing_checkpoint() or folder / NETWORKS_FILE]
    return sum(path.stat().st_size for path in files if path.is_file()) + 1_000_000  # the notebook itself


def take_home_zip(folder: Path, lang: str, stem: str, weights_name: str, work_dir: Path) -> bytes:
    """One zip with everything the notebook continues from, side by side as it looks for them: `<stem>.ipynb`, the
    generator as `weights_name`, and the training state (`training_state`) as `training_<stem>.npz` where there is
    one. Unzipped, Jupyter finds them beside the notebook; Colab's upload cell takes the zip itself. Built in a
    temporary file inside work_dir (the session's folder, so it counts against its quota while it is built) and
    deleted: nothing is kept."""
    import io
    import tempfile
    import zipfile

    folder = Path(folder)
    state = training_state(folder)
    state_name = f"training_{stem}.npz" if state else ""
    notebook = run_notebook(folder, lang, weights_name=weights_name, state_name=state_name)
    handle, path = tempfile.mkstemp(prefix="notebook-", suffix=".zip", dir=work_dir)
    try:
        with open(handle, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{stem}.ipynb", notebook)
            archive.write(folder / "generator.keras", weights_name)
            if state:
                arrays = io.BytesIO()
                np.savez(arrays, **state)
                archive.writestr(state_name, arrays.getvalue())
        return Path(path).read_bytes()
    finally:
        Path(path).unlink(missing_ok=True)


def run_notebook(run_dir: Path, lang: str, weights_name: str = "generator.keras", state_name: str = "") -> bytes:
    """The notebook of the run in run_dir (finished or stopped, with its generator.keras; or a bundled generator's
    folder), in `lang`. It loads the trained generator from `weights_name` beside it when that file is there (the
    run page's generator download) and, with a `state_name`, the training state (`training_state`) from that file;
    without one its markdown says D starts afresh."""
    from ..training.presets import get_preset
    from .generators import Generator

    run_dir = Path(run_dir)
    config = run_config(run_dir)
    if config is None:
        raise GanError("error.notebook_unavailable")
    generator = Generator.load(run_dir / "generator.keras")
    preset = get_preset(config["preset"])
    shape = tuple(generator.image_shape)
    groups = None
    if config.get("clusters"):
        path = run_dir / "clusters.npz"
        if not path.is_file():
            raise GanError("error.notebook_unavailable")
        with np.load(path) as saved:
            groups = saved["groups"]
    classes = generator.num_classes if preset.conditional else (int(groups.max()) + 1 if groups is not None else 0)
    discriminator = preset.build_discriminator(shape, classes)
    bounds = None
    group_layer = next((layer for layer in generator.model.layers if type(layer).__name__ == "Discretization"), None)
    if group_layer is not None:
        bounds = [float(b) for b in group_layer.get_config()["bin_boundaries"]]
    diff_augment = config.get("diff_augment")
    return _notebook(config, lang, generator, discriminator, classes, groups, bounds, diff_augment, weights_name,
                     state_name)


def _hyper_parameters(config: dict, shape, diff_augment, weights_name: str, state_name: str) -> str:
    g_opt, d_opt = config["generator_optimizer"], config["discriminator_optimizer"]
    dataset = config["dataset"]
    builtin = dataset.split(":")[0] in ("mnist", "fashion_mnist", "cifar_animals")
    lines = [
        f"DATASET = {dataset if builtin else 'photos'!r}",
        "" if builtin else f"PHOTOS_DIR = {Path(dataset).stem + '/'!r}  # your photos' folder",
        "DATA_FILE = ''  # the data already on disk instead of keras.datasets' download (see load_images)"
        if builtin else "",
        f"IMAGE_SHAPE = {tuple(shape)!r}",
        f"MAX_IMAGES = {int(config.get('max_images') or 0)!r}",
        f"EPOCHS = {int(config['epochs'])!r}",
        f"STEPS_PER_EPOCH = {int(config.get('steps_per_epoch') or 0)!r}",
        f"BATCH_SIZE = {int(config['batch_size'])!r}",
        f"LATENT_DIM = {int(config['latent_dim'])!r}",
        f"LOSS = {config['loss']!r}",
        f"UPDATE = {config['update']!r}",
        f"D_STEPS = {int(config['d_steps'])!r}",
        f"LABEL_SMOOTHING = {float(config['label_smoothing'])!r}",
        f"GP_WEIGHT = {float(config['gp_weight'])!r}",
        f"DIFF_AUGMENT = {diff_augment!r}",
        f"EMA_DECAY = {float(config['ema_decay'])!r}",
        f"SEED = {int(config['seed'])!r}",
        f"G_OPTIMIZER = {_optimizer_code(g_opt)}",
        f"D_OPTIMIZER = {_optimizer_code(d_opt)}",
        f"WEIGHTS_FILE = {weights_name!r}",
        f"STATE_FILE = {state_name!r}  # G, D, the optimizers and the moving average where training stopped",
    ]
    return "\n".join(line for line in lines if line)


def _optimizer_code(settings: dict) -> str:
    if settings["name"] == "adam":
        return (f"dict(name='adam', learning_rate={settings['learning_rate']!r}, beta_1={settings['beta1']!r}, "
                f"beta_2={settings['beta2']!r})")
    return f"dict(name={settings['name']!r}, learning_rate={settings['learning_rate']!r}, momentum={settings['momentum']!r})"


SETUP = """import os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # the training step below uses TensorFlow's gradient tape
from pathlib import Path

import numpy as np
import keras
import tensorflow as tf
from keras import layers, ops
from PIL import Image
from IPython.display import display

print("Keras", keras.__version__, "· TensorFlow", tf.__version__)"""

SHOW = """def show(images, columns=8, scale=3):
    \"\"\"A grid of images in [-1, 1] (n, h, w, c), drawn in the notebook.\"\"\"
    images = np.clip((np.asarray(images) + 1.0) * 127.5, 0, 255).astype("uint8")
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.zeros((rows * h, columns * w, c), "uint8")
    for i, image in enumerate(images):
        grid[(i // columns) * h:(i // columns + 1) * h, (i % columns) * w:(i % columns + 1) * w] = image
    picture = Image.fromarray(grid[..., 0] if c == 1 else grid)
    display(picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST))"""

LOADERS = {
    "mnist": """def load_images():
    if DATA_FILE:  # a copy already on disk (no internet): an .npz with x_train and y_train
        with np.load(DATA_FILE) as saved:
            images, labels = saved["x_train"], saved["y_train"]
    else:
        (images, labels), _ = keras.datasets.mnist.load_data()  # downloaded once, then read from ~/.keras
    return images[..., None], labels.astype("int32")""",
    "fashion_mnist": """def load_images():
    if DATA_FILE:  # a copy already on disk (no internet): the folder with train-images-idx3-ubyte.gz and labels
        import gzip

        def idx(name, offset):
            with gzip.open(Path(DATA_FILE) / name) as file:
                return np.frombuffer(file.read(), "uint8", offset=offset)

        images = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
        labels = idx("train-labels-idx1-ubyte.gz", 8)
    else:
        (images, labels), _ = keras.datasets.fashion_mnist.load_data()
    return images[..., None], labels.astype("int32")""",
    "cifar_animals": """CIFAR_ANIMALS = ("bird", "cat", "deer", "dog", "frog", "horse")  # CIFAR-10's classes 2 to 7


def load_images():
    if DATA_FILE:  # a copy already on disk (no internet): an .npz with the animals as x and y (0 to 5)
        with np.load(DATA_FILE) as saved:
            images, labels = saved["x"], saved["y"].astype("int32")
    else:
        (images, labels), _ = keras.datasets.cifar10.load_data()
        labels = labels.ravel()
        keep = (labels >= 2) & (labels <= 7)
        images, labels = images[keep], (labels[keep] - 2).astype("int32")
    if ONLY_CLASS:  # a run on one animal
        keep = labels == CIFAR_ANIMALS.index(ONLY_CLASS)
        images, labels = images[keep], None
    return images, labels""",
    "photos": """PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}


def load_images():
    \"\"\"Every photo under PHOTOS_DIR, centred, cut square and resized to IMAGE_SHAPE, as uint8.\"\"\"
    from PIL import ImageOps

    files = sorted(path for path in Path(PHOTOS_DIR).rglob("*") if path.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no photos in {PHOTOS_DIR!r}: put the folder's path in PHOTOS_DIR")
    images = []
    for path in files:
        with Image.open(path) as photo:
            photo = ImageOps.exif_transpose(photo).convert("RGB")
            images.append(np.asarray(ImageOps.fit(photo, IMAGE_SHAPE[:2], Image.LANCZOS)))
    return np.stack(images), None""",
}

DATA = """images, labels = load_images()
if MAX_IMAGES:
    images = images[:MAX_IMAGES]
    labels = None if labels is None else labels[:MAX_IMAGES]
CONDITION = {condition}
print(len(images), "images of", images.shape[1:])
show(images[:16].astype("float32") / 127.5 - 1.0)"""

PIPELINE = """if CONDITION == "groups":
    if len(images) > len(GROUPS):  # the run's groups are those of the images it trained on, no more
        print("The run grouped its first", len(GROUPS), "images: training on those")
        images = images[:len(GROUPS)]
    data = tf.data.Dataset.from_tensor_slices((images, GROUPS[:len(images)]))
elif CONDITION == "labels":
    data = tf.data.Dataset.from_tensor_slices((images, labels))
else:
    data = tf.data.Dataset.from_tensor_slices(images)
data = data.shuffle(min(len(images), 60_000), seed=SEED, reshuffle_each_iteration=True)
data = data.batch(BATCH_SIZE, drop_remainder=True)
if STEPS_PER_EPOCH:
    data = data.repeat()  # an epoch is STEPS_PER_EPOCH batches
data = data.prefetch(tf.data.AUTOTUNE)"""

LOSSES = {
    "bce_logits": """def bce_logits(logits, target):
    # max(x, 0) - x * t + log(1 + exp(-|x|)): the sigmoid cross-entropy, written so it never overflows
    return ops.mean(ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits))))


def discriminator_loss(real_logits, fake_logits):
    return bce_logits(real_logits, 1.0 - LABEL_SMOOTHING) + bce_logits(fake_logits, 0.0)


def generator_loss(fake_logits):
    return bce_logits(fake_logits, 1.0)  # the non-saturating form: G wants its fakes called real""",
    "log": """EPS = 1e-7


def discriminator_loss(real_logits, fake_logits):
    # the classic -(log D(x) + log(1 - D(G(z)))) on D's sigmoid output
    target = 1.0 - LABEL_SMOOTHING
    p_real, p_fake = ops.sigmoid(real_logits), ops.sigmoid(fake_logits)
    real_term = target * ops.log(p_real + EPS) + (1.0 - target) * ops.log(1.0 - p_real + EPS)
    return -ops.mean(real_term) - ops.mean(ops.log(1.0 - p_fake + EPS))


def generator_loss(fake_logits):
    return -ops.mean(ops.log(ops.sigmoid(fake_logits) + EPS))""",
    "lsgan": """def discriminator_loss(real_logits, fake_logits):
    target = 1.0 - LABEL_SMOOTHING
    return 0.5 * ops.mean(ops.square(real_logits - target)) + 0.5 * ops.mean(ops.square(fake_logits))


def generator_loss(fake_logits):
    return 0.5 * ops.mean(ops.square(fake_logits - 1.0))""",
    "hinge": """def discriminator_loss(real_logits, fake_logits):
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def generator_loss(fake_logits):
    return -ops.mean(fake_logits)""",
    "wgan_gp": """def discriminator_loss(real_logits, fake_logits):
    return ops.mean(fake_logits) - ops.mean(real_logits)  # the gradient penalty is added in the GAN below


def generator_loss(fake_logits):
    return -ops.mean(fake_logits)""",
}

AUGMENT = """def diff_augment(x, seed):
    \"\"\"DiffAugment (Zhao et al. 2020): colour, translation (1/8 of the side) and cutout (half the side), the same
    way on real and fake images, differentiable so G learns through it.\"\"\"
    n = ops.shape(x)[0]
    h, w, c = x.shape[1], x.shape[2], x.shape[3]
    per_image = lambda: keras.random.uniform((n, 1, 1, 1), seed=seed)  # noqa: E731
    # colour: brightness, saturation (colour images), contrast
    x = x + (per_image() - 0.5)
    if c == 3:
        mean = ops.mean(x, axis=3, keepdims=True)
        x = (x - mean) * (per_image() * 2.0) + mean
    mean = ops.mean(x, axis=[1, 2, 3], keepdims=True)
    x = (x - mean) * (per_image() + 0.5) + mean
    # translation, filling with zeros
    sh, sw = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
    dy = keras.random.randint((n, 1, 1), -sh, sh + 1, seed=seed, dtype="int32")
    dx = keras.random.randint((n, 1, 1), -sw, sw + 1, seed=seed, dtype="int32")
    rows = ops.clip(ops.arange(h, dtype="int32")[None, :, None] + dy + 1, 0, h + 1)
    cols = ops.clip(ops.arange(w, dtype="int32")[None, None, :] + dx + 1, 0, w + 1)
    padded = ops.reshape(ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), (n, (h + 2) * (w + 2), c))
    index = ops.repeat(ops.reshape(rows * (w + 2) + cols, (n, h * w, 1)), c, axis=2)
    x = ops.reshape(ops.take_along_axis(padded, index, axis=1), (n, h, w, c))
    # cutout: one square of half the side blanked per image
    ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
    cy = keras.random.randint((n, 1, 1), 0, h + (1 - ch % 2), seed=seed, dtype="int32")
    cx = keras.random.randint((n, 1, 1), 0, w + (1 - cw % 2), seed=seed, dtype="int32")
    inside = ops.logical_and(ops.abs(ops.arange(h, dtype="int32")[None, :, None] - cy) < ch // 2 + 1,
                             ops.abs(ops.arange(w, dtype="int32")[None, None, :] - cx) < cw // 2 + 1)
    return x * ops.cast(ops.logical_not(inside), x.dtype)[..., None]"""

GAN = """def make_optimizer(settings):
    settings = dict(settings)
    name = settings.pop("name")
    return {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
            "rmsprop": keras.optimizers.RMSprop}[name](**settings)


class GAN(keras.Model):
    \"\"\"G and D trained against each other in one train_step, as in the Keras GAN examples.\"\"\"

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.seed = keras.random.SeedGenerator(SEED)
        self.trackers = [keras.metrics.Mean(name=n) for n in ("g_loss", "d_loss", "d_acc_real", "d_acc_fake")]
        self.average = None  # a moving average of G's weights: smoother samples, what the app showed and saved
        if EMA_DECAY > 0:
            self.average = keras.models.clone_model(generator)
            self.average.set_weights(generator.get_weights())
        # without BatchNorm in D, real and fake go through D as one batch
        self.joint = not any(isinstance(layer, layers.BatchNormalization) for layer in discriminator.layers)

    @property
    def metrics(self):
        return self.trackers

    @property
    def sampler(self):
        return self.average if self.average is not None else self.generator

    def compile(self):
        super().compile()
        self.g_optimizer, self.d_optimizer = make_optimizer(G_OPTIMIZER), make_optimizer(D_OPTIMIZER)

    def fake_condition(self, z, real_condition):
        \"\"\"What D is told about each fake: the real batch's labels, or the group z[0] picks (self-conditioning).\"\"\"
        if CONDITION == "groups":
            bounds = ops.convert_to_tensor([CLUSTER_BOUNDS], dtype="float32")
            return ops.sum(ops.cast(z[:, :1] >= bounds, "int32"), axis=1, keepdims=True)
        return real_condition

    def generate(self, z, condition, model=None):
        model = model or self.generator
        return model([z, condition] if CONDITION == "labels" else z, training=model is self.generator)

    def critic(self, images, condition):
        if DIFF_AUGMENT:
            images = diff_augment(images, self.seed)
        return self.discriminator([images, condition] if CONDITION else images, training=True)

    def critic_both(self, real, real_condition, fake, fake_condition):
        if not self.joint:  # BatchNorm in D: never mix real and fake statistics
            return self.critic(real, real_condition), self.critic(fake, fake_condition)
        both = None if not CONDITION else ops.concatenate([real_condition, fake_condition], axis=0)
        logits = self.critic(ops.concatenate([real, fake], axis=0), both)
        n = ops.shape(real)[0]
        return logits[:n], logits[n:]

    def d_loss(self, real_logits, fake_logits, real, fake, condition):
        loss = discriminator_loss(real_logits, fake_logits)
        if LOSS == "wgan_gp":
            alpha = keras.random.uniform((ops.shape(real)[0], 1, 1, 1), seed=self.seed)
            mixed = real + alpha * (fake - real)
            with tf.GradientTape() as tape:
                tape.watch(mixed)
                scores = self.critic(mixed, condition)
            grads = tape.gradient(scores, mixed)
            norms = ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2, 3]) + 1e-12)
            loss = loss + GP_WEIGHT * ops.mean(ops.square(norms - 1.0))
        return loss

    def train_step(self, batch):
        if CONDITION:
            real, real_condition = batch
            real_condition = ops.reshape(ops.cast(real_condition, "int32"), (-1, 1))
        else:
            real, real_condition = batch, None
        real = ops.cast(real, "float32") / 127.5 - 1.0  # uint8 to [-1, 1], G's tanh range
        n = ops.shape(real)[0]
        g_weights, d_weights = self.generator.trainable_weights, self.discriminator.trainable_weights
        if UPDATE == "simultaneous":  # TensorFlow's DCGAN tutorial: one G pass, both updates from it
            z = keras.random.normal((n, LATENT_DIM), seed=self.seed)
            condition = self.fake_condition(z, real_condition)
            with tf.GradientTape(persistent=True) as tape:
                fake = self.generate(z, condition)
                real_logits, fake_logits = self.critic_both(real, real_condition, fake, condition)
                g_loss = generator_loss(fake_logits)
                d_loss = self.d_loss(real_logits, fake_logits, real, fake, real_condition)
            self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights))
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_weights), d_weights))
            del tape
        else:  # D_STEPS updates of D, then one of G with fresh noise
            for _ in range(D_STEPS):
                z = keras.random.normal((n, LATENT_DIM), seed=self.seed)
                condition = self.fake_condition(z, real_condition)
                with tf.GradientTape() as tape:
                    fake = self.generate(z, condition)
                    real_logits, fake_logits = self.critic_both(real, real_condition, fake, condition)
                    d_loss = self.d_loss(real_logits, fake_logits, real, fake, condition)
                self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_weights), d_weights))
            z = keras.random.normal((n, LATENT_DIM), seed=self.seed)
            condition = self.fake_condition(z, real_condition)
            with tf.GradientTape() as tape:
                g_loss = generator_loss(self.critic(self.generate(z, condition), condition))
            self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights))
        if self.average is not None:  # warm-up: early on the average forgets the random start quickly
            steps = ops.cast(self.g_optimizer.iterations, "float32")
            decay = ops.minimum(EMA_DECAY, (1.0 + steps) / (10.0 + steps))
            for average, current in zip(self.average.weights, self.generator.weights):
                average.assign(decay * average + (1.0 - decay) * current)
        threshold = (ops.mean(real_logits) + ops.mean(fake_logits)) / 2.0 if LOSS == "wgan_gp" else 0.0
        values = {"g_loss": g_loss, "d_loss": d_loss,
                  "d_acc_real": ops.mean(ops.cast(real_logits > threshold, "float32")),
                  "d_acc_fake": ops.mean(ops.cast(fake_logits < threshold, "float32"))}
        for tracker in self.trackers:
            tracker.update_state(values[tracker.name])
        return {tracker.name: tracker.result() for tracker in self.trackers}

    def sample(self, z, condition=None):
        \"\"\"Images for people: inference mode, the moving average when there is one.\"\"\"
        if CONDITION == "labels" and condition is None:
            condition = np.zeros((len(z), 1), "int32")
        return ops.convert_to_numpy(self.sampler([z, condition] if CONDITION == "labels" else z, training=False))


gan = GAN(generator, discriminator)
gan.compile()"""

WEIGHTS = """if Path(WEIGHTS_FILE).is_file():
    trained = keras.saving.load_model(WEIGHTS_FILE, compile=False)
    gan.sampler.set_weights(trained.get_weights())
    gan.generator.set_weights(trained.get_weights())
    print("trained generator loaded from", WEIGHTS_FILE)
else:
    print(WEIGHTS_FILE, "not found: G starts from random weights")"""

UPLOAD = """try:
    from google.colab import files  # only in Colab: its runtime starts empty
except ImportError:
    files = None
if files is not None and not Path(WEIGHTS_FILE).is_file():
    import zipfile

    for name in files.upload():  # the zip you downloaded (or the files inside it)
        if name.endswith(".zip"):
            with zipfile.ZipFile(name) as archive:
                archive.extractall(".")
            print("unpacked", name)"""

STATE = """def restore(variables, saved, group):
    \"\"\"Put the saved arrays of `group` ("discriminator/0000", "discriminator/0001", ...) into `variables`, in
    order; False (and nothing changed) when they do not fit.\"\"\"
    keys = sorted(key for key in saved.files if key.startswith(group + "/"))
    if len(keys) != len(variables) or any(saved[key].shape != tuple(variable.shape)
                                          for key, variable in zip(keys, variables)):
        return False
    for key, variable in zip(keys, variables):
        variable.assign(saved[key])
    return True


if STATE_FILE and Path(STATE_FILE).is_file():
    # the optimizers' variables (steps taken, Adam's moving moments) exist once they are built for their weights
    gan.g_optimizer.build(gan.generator.trainable_weights)
    gan.d_optimizer.build(gan.discriminator.trainable_weights)
    parts = {"discriminator": gan.discriminator.weights, "generator": gan.generator.weights,
             "generator_ema": gan.average.weights if gan.average is not None else [],
             "g_optimizer": gan.g_optimizer.variables, "d_optimizer": gan.d_optimizer.variables}
    with np.load(STATE_FILE) as saved:
        for group, variables in parts.items():
            if any(key.startswith(group + "/") for key in saved.files):
                print(group, "loaded from" if restore(variables, saved, group) else "does not fit:", STATE_FILE)
else:
    print("no training state (STATE_FILE): D starts from random weights")"""

FIXED = """FIXED_Z = np.random.default_rng(SEED + 1).standard_normal((32, LATENT_DIM)).astype("float32")
FIXED_CONDITION = (np.arange(32) % NUM_CLASSES).reshape(-1, 1).astype("int32") if CONDITION == "labels" else None
show(gan.sample(FIXED_Z, FIXED_CONDITION))"""

TRAIN = """class ShowEachEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        show(gan.sample(FIXED_Z, FIXED_CONDITION))


history = gan.fit(data, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH or None, callbacks=[ShowEachEpoch()])"""

SAVE = """gan.sampler.save("generator_continued.keras")
print("saved generator_continued.keras")"""


def _notebook(config, lang, generator, discriminator, classes, groups, bounds, diff_augment, weights_name,
              state_name) -> bytes:
    dataset = config["dataset"]
    base = dataset.split(":")[0]
    kind = base if base in LOADERS and base != "photos" else "photos"
    condition = "groups" if groups is not None else ("labels" if generator.conditional else None)
    cells = [
        _markdown(tr("notebook.title", lang, preset=config["preset"], dataset=dataset if kind != "photos" else
                     tr("notebook.photos", lang), epochs=config["epochs"])),
        _markdown(tr("notebook.intro", lang, weights=weights_name)
                  + "\n\n" + tr("notebook.intro_state" if state_name else "notebook.intro_fresh_d", lang,
                                 state=state_name)),
        _code(SETUP),
        _markdown(tr("notebook.parameters", lang)),
        _code(_hyper_parameters(config, generator.image_shape, diff_augment, weights_name, state_name)
              + (f"\nONLY_CLASS = {dataset.split(':')[1]!r}" if kind == "cifar_animals" and ":" in dataset else
                 ("\nONLY_CLASS = ''" if kind == "cifar_animals" else ""))
              + f"\nNUM_CLASSES = {int(classes)!r}", tags=("parameters",)),
        _code("keras.utils.set_random_seed(SEED)  # the same weights, data order and noise on every run"),
        _markdown(tr(f"notebook.data_{'photos' if kind == 'photos' else 'builtin'}", lang)),
        _code(SHOW),
        _code(LOADERS[kind]),
        _code(DATA.format(condition=repr(condition))),
    ]
    if groups is not None:
        cells += [_markdown(tr("notebook.groups", lang, groups=int(groups.max()) + 1)),
                  _code(_groups_code(groups) + f"\nCLUSTER_BOUNDS = {bounds!r}")]
    cells += [
        _code(PIPELINE),
        _markdown(tr("notebook.generator", lang)),
        _code(model_code(generator.model, "build_generator") + "\n\n\ngenerator = build_generator()\n"
              "generator.summary()"),
        _markdown(tr("notebook.discriminator", lang)),
        _code(model_code(discriminator, "build_discriminator") + "\n\n\ndiscriminator = build_discriminator()\n"
              "discriminator.summary()"),
        _markdown(tr("notebook.loss", lang, loss=config["loss"])),
        _code(LOSSES[config["loss"]]),
    ]
    if diff_augment:
        cells += [_markdown(tr("notebook.augment", lang)), _code(AUGMENT)]
    cells += [
        _markdown(tr("notebook.gan", lang)),
        _code(GAN),
        _markdown(tr("notebook.upload", lang)),
        _code(UPLOAD, tags=("upload",)),
        _markdown(tr("notebook.weights", lang, weights=weights_name)),
        _code(WEIGHTS, tags=("weights",)),
        _markdown(tr("notebook.state", lang, state=state_name) if state_name else tr("notebook.fresh_d", lang)),
        _code(STATE, tags=("state",)),
        _markdown(tr("notebook.fixed", lang)),
        _code(FIXED),
        _markdown(tr("notebook.train", lang)),
        _code(TRAIN),
        _markdown(tr("notebook.save", lang)),
        _code(SAVE),
    ]
    notebook = {"nbformat": NOTEBOOK_FORMAT, "nbformat_minor": 5, "cells": cells,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                             "language_info": {"name": "python"}}}
    for index, cell in enumerate(notebook["cells"]):
        cell["id"] = f"cell-{index}"
    return json.dumps(notebook, indent=1, ensure_ascii=False).encode("utf-8")
