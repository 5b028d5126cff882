"""Train a preset with Keras' PyTorch backend, for a lent GPU machine that has PyTorch but no TensorFlow.

The engine's GAN, presets, DiffAugment and checkpoint format are backend-neutral (gan_core.training.gan.gradients); only the
Run machinery (tf.data, TensorBoard) needs TensorFlow. So this script trains the very same `GAN` with `fit` on
NumPy arrays, for a wall-time budget, and writes a run folder in the engine's layout: config.json, status.json,
metrics.jsonl (epoch records), grids/epoch_NNN.png and checkpoints/. Back on any machine,
`python -m gan_core resume RUN` continues it with TensorFlow, or with --extra-epochs 0 exports its generator.

    KERAS_BACKEND=torch python scripts/train_with_torch.py --preset fast-rgb-cgan --data cifar.npz \
        --batch 256 --steps-per-epoch 200 --minutes 8 --out runs/pretrained/cifar-animals

`--data` is an .npz with x (n, h, w, c) uint8, and y (n,) with `classes` for a labelled set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_core.data import images as imaging  # noqa: E402
from gan_core.data.datasets import is_builtin, load_dataset  # noqa: E402
from gan_core.training.config import recipe  # noqa: E402
from gan_core.training.presets import get_preset  # noqa: E402
from gan_core.training.run_folder import RunFolder, save_checkpoint  # noqa: E402
from gan_core.training.trainer import build_gan, fixed_inputs  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", required=True)
    parser.add_argument("--data", required=True, help="an .npz (below), or a built-in dataset's name")
    parser.add_argument("--dataset-name", default="cifar_animals", help="what config.json calls an .npz's dataset")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps-per-epoch", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=8.0, help="stop after the epoch that passes this")
    parser.add_argument("--max-epochs", type=int, default=10_000)
    parser.add_argument("--diff-augment", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    if is_builtin(args.data):
        dataset = load_dataset(args.data)
        images, class_names, args.dataset_name = dataset.images, list(dataset.class_names or []), args.data
        labels = None if dataset.labels is None else dataset.labels.astype(np.int32).reshape(-1, 1)
    else:
        with np.load(args.data) as data:
            images = data["x"]
            labels = data["y"].astype(np.int32).reshape(-1, 1) if "y" in data.files else None
            class_names = [str(c) for c in data["classes"]] if "classes" in data.files else []
    preset = get_preset(args.preset)
    num_classes = len(class_names) if preset.conditional else 0
    config = recipe(args.preset, dataset=args.dataset_name, batch_size=args.batch,
                    steps_per_epoch=args.steps_per_epoch, epochs=args.max_epochs, diff_augment=args.diff_augment, seed=args.seed)
    config.validate()
    gan = build_gan(config, images.shape[1:], num_classes)
    latents, grid_labels, columns = fixed_inputs(config, num_classes, preset.conditional)

    folder = RunFolder(args.out)  # the engine's run layout, so `python -m gan_core resume` continues it
    folder.make_folders()
    device = _device()
    print(f"{args.preset} on {device}: {len(images)} images, {config.batch_size} a batch", flush=True)

    started = time.time()
    epochs_done, step = 0, 0
    folder.metrics_path.unlink(missing_ok=True)
    metrics = folder.append_metrics()

    class EpochEnd(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.time()

        def on_epoch_end(self, epoch, logs=None):
            nonlocal epochs_done, step
            epochs_done, step = epoch + 1, (epoch + 1) * config.steps_per_epoch
            seconds = time.time() - self.epoch_started
            record = {"type": "epoch", "epoch": epochs_done, "step": step, "seconds": seconds,
                      "images_per_sec": config.steps_per_epoch * config.batch_size / seconds,
                      **{k: float(v) for k, v in (logs or {}).items() if not k.startswith("batch_")}}
            metrics.write([record])
            generated = keras.ops.convert_to_numpy(gan.sample(latents, grid_labels))
            imaging.save_png(imaging.make_grid(imaging.to_uint8(generated), columns),
                             folder.grid_path(epochs_done), scale=imaging.grid_scale(generated.shape[1]))
            if epochs_done % 10 == 0 or time.time() - started > args.minutes * 60:
                save_checkpoint(gan, folder.checkpoint_path(), epochs_done, step)
            print(f"epoch {epochs_done} {record['images_per_sec']:.0f} img/s "
                  f"{time.time() - started:.0f} s {logs}", flush=True)
            if time.time() - started > args.minutes * 60:
                self.model.stop_training = True

    x = (images, labels) if preset.conditional else images
    dataset = _batches(x, config.batch_size, config.seed)
    gan.fit(dataset, epochs=config.epochs, steps_per_epoch=config.steps_per_epoch, callbacks=[EpochEnd()], verbose=0)
    metrics.close()
    folder.save_epoch_checkpoint(gan, epochs_done, step, keep=1)
    config.epochs = epochs_done
    folder.write_config(config.to_json())
    seconds = time.time() - started
    command = "KERAS_BACKEND=torch python scripts/train_with_torch.py " + " ".join(argv or sys.argv[1:])
    folder.write_status({"state": "finished", "device": device, "command": command, "train_seconds": seconds,
                         "steps_per_epoch": config.steps_per_epoch, "updated": time.time()})
    print(f"done: {epochs_done} epochs, {step} steps, {seconds:.0f} s", flush=True)
    return 0


def _batches(x, batch_size: int, seed: int):
    """An endless stream of shuffled batches (a Python generator: works with every Keras backend)."""
    rng = np.random.default_rng(seed)
    arrays = x if isinstance(x, tuple) else (x,)
    count = len(arrays[0])
    while True:
        order = rng.permutation(count)
        for start in range(0, count - batch_size + 1, batch_size):
            index = np.sort(order[start:start + batch_size])
            batch = tuple(a[index] for a in arrays)
            yield batch if isinstance(x, tuple) else batch[0]


def _device() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return f"GPU {torch.cuda.get_device_name(0)} (PyTorch {torch.__version__}, Keras {keras.__version__})"
    except ImportError:
        pass
    return f"CPU (Keras {keras.__version__}, backend {keras.backend.backend()})"


if __name__ == "__main__":
    raise SystemExit(main())
