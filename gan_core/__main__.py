"""Headless CLI: the same engine as the app. `python -m gan_core --help`."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .i18n import DEFAULT_LANGUAGE, GanError, tr  # noqa: E402
from .training.config import CHOICES, from_choices  # noqa: E402
from .training.presets import PRESETS  # noqa: E402
from .training.settings import SETTINGS_LIST  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, argv)
    except GanError as exc:
        print(f"error: {exc.text(args.lang)}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gan_core", description="GAN classroom engine (headless).")
    parser.add_argument("--lang", choices=("es", "en"), default=os.environ.get("GAN_LANG", DEFAULT_LANGUAGE),
                        help="language of messages (default: es)")
    commands = parser.add_subparsers(dest="command", required=True)

    presets = commands.add_parser("presets", help="list the model presets and their defaults")
    presets.set_defaults(handler=cmd_presets)

    train = commands.add_parser("train", help="train a GAN into a run directory")
    train.add_argument("--preset", required=True)
    train.add_argument("--out", required=True, type=Path, help="run directory (must be new or empty)")
    for setting in SETTINGS_LIST:
        add_setting_argument(train, setting)
    train.set_defaults(handler=cmd_train)

    resume = commands.add_parser("resume", help="continue a stopped or finished run from its checkpoint")
    resume.add_argument("run_dir", type=Path)
    resume.add_argument("--epoch", type=int, default=None, help="a kept epoch (default: the last checkpoint)")
    resume.add_argument("--extra-epochs", type=int, default=0, help="train this many more epochs")
    resume.set_defaults(handler=cmd_resume)

    sample = commands.add_parser("sample", help="a grid of samples from a generator.keras")
    sample.add_argument("generator", type=Path)
    sample.add_argument("-n", type=int, default=64)
    sample.add_argument("--out", type=Path, required=True)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--label", type=int, default=None, help="conditional models: this class only")
    sample.set_defaults(handler=cmd_sample)

    evaluate = commands.add_parser("evaluate", help="quality metrics of a generator.keras beside their references")
    evaluate.add_argument("generator", type=Path)
    evaluate.add_argument("--dataset", default=None, help="whose classifier scores it (default: the card's dataset)")
    evaluate.add_argument("-n", dest="samples", type=int, default=2000)
    evaluate.add_argument("--update-card", action="store_true", help="write the scores into card.json")
    evaluate.set_defaults(handler=cmd_evaluate)

    export = commands.add_parser("pretrained-export", help="bundle a run's generator into pretrained/<name>")
    export.add_argument("run_dir", type=Path)
    export.add_argument("target", type=Path)
    export.add_argument("--epoch", type=int, default=None,
                        help="a kept epoch's checkpoint instead of the run's latest generator (a run still training)")
    export.set_defaults(handler=cmd_pretrained_export)

    gif = commands.add_parser("gif", help="the progress GIF of a run (every epoch grid)")
    gif.add_argument("run_dir", type=Path)
    gif.add_argument("--out", type=Path, default=None)
    gif.set_defaults(handler=cmd_gif)

    doctor = commands.add_parser("doctor", help="which framework and device train, whether a compiled (XLA) step "
                                                 "works, and images/s of a short step per preset family")
    doctor.add_argument("--batches", type=int, default=3, help="timed steps per preset, after one warm-up")
    doctor.add_argument("--max-images", type=int, default=512, help="images loaded per dataset")
    doctor.add_argument("--presets", default=None, help="comma-separated families (default: all)")
    doctor.add_argument("--json", action="store_true", help="the report as one line of JSON (the teacher view's)")
    doctor.add_argument("--slots", action="store_true",
                        help="measure 1, 2, 4 runs at once and save the training slots the server takes at start "
                             "(GAN_SLOTS_FILE, default sessions/.slots.json)")
    doctor.set_defaults(handler=cmd_doctor)
    return parser


def add_setting_argument(parser: argparse.ArgumentParser, setting) -> None:
    """One training setting's flag, from the settings table: its type and choices (argparse refuses others); its
    range is validate()'s, which says what is wrong in the person's language. diff_augment is a switch."""
    dest, note = setting.name, setting.note or None
    if setting.name == "diff_augment":
        parser.add_argument(setting.cli_flag, dest=dest, action="store_true", default=None, help=note)
        parser.add_argument("--no-" + setting.cli_flag[2:], dest=dest, action="store_false")
        return
    choices = setting.choices if setting.choices and setting.kind is str else None
    if setting.low is not None:
        note = f"{note or ''} ({setting.low:g}..{setting.high:g})".lstrip()
    parser.add_argument(setting.cli_flag, dest=dest, type=setting.kind, choices=choices, help=note)


def cmd_presets(args, argv) -> int:
    for name, preset in PRESETS.items():
        d = preset.defaults
        g = d["generator_optimizer"]
        print(f"{name:14s} tutorial {preset.tutorial:5s} latent {d['latent_dim']:<4d} batch {d['batch_size']:<4d} "
              f"loss {d['loss']:<10s} {g['name']} lr {g['learning_rate']:g}"
              f"{' (conditional)' if preset.conditional else ''}")
        print(f"{'':14s} " + tr(f"preset.{name}", args.lang))
    return 0


def choices_from_args(args) -> dict:
    """The train command's options by the names from_choices knows (the form's and exercise links')."""
    return {name: getattr(args, name) for name in CHOICES if hasattr(args, name)}


def cmd_train(args, argv) -> int:
    from .server import cluster
    from .training import device
    from .training.run import Run

    device.training_backend()  # an unknown or absent GAN_BACKEND is refused before anything starts
    config = from_choices(args.preset, choices_from_args(args))
    command = "python -m gan_core " + " ".join(shlex.quote(a) for a in argv)
    run = Run.create(args.out, config, command=command)
    run.start(cluster.app_scheduler())
    return follow(run, args.lang)


def cmd_resume(args, argv) -> int:
    from .server import cluster
    from .training import device
    from .training.run import Run

    device.training_backend()
    run = Run.open(args.run_dir)
    run.resume_training(from_epoch=args.epoch, extra_epochs=args.extra_epochs, scheduler=cluster.app_scheduler())
    return follow(run, args.lang)


def follow(run, lang: str) -> int:
    """Show a progress bar until the run ends; Ctrl-C stops it cleanly (a checkpoint is kept)."""
    from keras.utils import Progbar

    from .training.run import RunState

    bar = None
    last_step = -1
    try:
        while not run.wait(0.5):
            snap = run.snapshot()
            if snap.state == RunState.QUEUED:
                continue
            if bar is None and snap.steps_per_epoch:
                bar = Progbar(snap.total_epochs * snap.steps_per_epoch, stateful_metrics=["img/s"])
                print(f"{run.run_id}: {snap.device}", file=sys.stderr)
            if bar is not None and snap.step != last_step and snap.steps["g_loss"]:
                last_step = snap.step
                done = snap.epoch * snap.steps_per_epoch + snap.step_in_epoch
                bar.update(min(done, bar.target), values=[
                    ("g_loss", snap.steps["g_loss"][-1]), ("d_loss", snap.steps["d_loss"][-1]),
                    ("img/s", round(snap.images_per_sec))])
    except KeyboardInterrupt:
        run.stop()
        run.wait()
    snap = run.snapshot()
    print(file=sys.stderr)
    print(f"{tr('state.' + snap.state.value, lang)}: epoch {snap.epoch}/{snap.total_epochs}, step {snap.step}, "
          f"{snap.elapsed_seconds:.1f} s, {snap.images_per_sec:.0f} img/s, {run.directory}")
    for finding in snap.diagnosis:
        print(f"  - {finding.text(lang)}")
    if snap.state == RunState.FAILED:
        print(f"error: {snap.message.text(lang) if snap.message else ''}", file=sys.stderr)
        return 1
    return 0


def cmd_sample(args, argv) -> int:
    import numpy as np

    from .data import images as imaging
    from .explore.generators import Generator

    handle = Generator.load(args.generator)
    latents = handle.sample_latents(args.n, args.seed)
    labels = None
    if handle.conditional:
        labels = np.full(args.n, args.label) if args.label is not None else np.arange(args.n) % handle.num_classes
    generated = handle.generate(latents, labels)
    columns = min(handle.num_classes, 16) if handle.conditional and args.label is None else None
    grid = imaging.make_grid(imaging.to_uint8(generated), columns)
    imaging.save_png(grid, args.out, scale=imaging.grid_scale(handle.image_shape[0]))
    print(args.out)
    return 0


def evaluate_file(path: Path, dataset: str | None, samples: int) -> dict | None:
    """Score a generator file with its dataset's classifier; None where there is no classifier."""
    from .explore.generators import Generator
    from .training import metrics

    handle = Generator.load(path)
    dataset = dataset or handle.card.get("dataset", "")
    if not metrics.has_classifier(dataset, handle.image_shape):
        return None
    scores = metrics.evaluate_generator(handle.generate, dataset, handle.latent_dim, handle.num_classes, samples)
    scores["classifier_sha256"] = metrics.load_classifier(dataset).sha256  # scores mean something for this file only
    return scores


def cmd_evaluate(args, argv) -> int:
    import json

    from .training import metrics

    scores = evaluate_file(args.generator, args.dataset, args.samples)
    if scores is None:
        print("no classifier for this dataset", file=sys.stderr)
        return 1
    for line in metrics.describe(scores, args.lang):
        print(line)
    if args.update_card:
        card_path = args.generator.with_name("card.json")
        card = json.loads(card_path.read_text()) if card_path.exists() else {}
        card["quality"] = scores
        card_path.write_text(json.dumps(card, indent=2))
    return 0


def cmd_pretrained_export(args, argv) -> int:
    """Copy generator.keras and card.json, add quality metrics on 2000 samples and a sample grid."""
    import json
    import shutil

    import numpy as np

    from .data import images as imaging
    from .explore.generators import Generator

    target: Path = args.target
    target.mkdir(parents=True, exist_ok=True)
    if args.epoch is not None:
        card = export_kept_epoch(args.run_dir, args.epoch, target)
    else:
        shutil.copyfile(args.run_dir / "generator.keras", target / "generator.keras")
        if (args.run_dir / "networks.npz").is_file():  # G and D by name: the bundled generator can seed transfer runs
            shutil.copyfile(args.run_dir / "networks.npz", target / "networks.npz")
        card = json.loads((args.run_dir / "card.json").read_text())
    scores = evaluate_file(target / "generator.keras", card.get("dataset"), 2000)
    if scores is not None:
        card["quality"] = scores
    elif (card.get("started_from") or {}).get("source_dataset"):  # a photo folder: what its source's classifier sees
        card["as_seen_by"] = classes_seen(target / "generator.keras", card["started_from"]["source_dataset"],
                                          real_dataset=card.get("dataset"))
    (target / "card.json").write_text(json.dumps(card, indent=2))
    handle = Generator.load(target / "generator.keras")
    columns = min(handle.num_classes, 10) if handle.conditional else 8
    count = columns * (8 if not handle.conditional else 6)
    labels = np.arange(count) % handle.num_classes if handle.conditional else None
    generated = handle.generate(handle.sample_latents(count, seed=0), labels)
    imaging.save_png(imaging.make_grid(imaging.to_uint8(generated), columns), target / "sample.png",
                     scale=imaging.grid_scale(handle.image_shape[0]))
    print(target)
    return 0


def classes_seen(path: Path, classifier_dataset: str, samples: int = 500, seed: int = 1,
                 real_dataset: str | None = None) -> dict | None:
    """Share of a generator's samples that `classifier_dataset`'s classifier puts in each of its classes: how a
    generator trained on a folder reads to the classifier of the dataset it started from (birds from animals).
    `real_dataset` (the folder it trained on) adds the same shares for its real photos, the figure to compare with."""
    from .explore.generators import Generator
    from .training import metrics

    handle = Generator.load(path)
    if not metrics.has_classifier(classifier_dataset, handle.image_shape):
        return None
    seen = {"classifier": classifier_dataset, "samples": samples, "seed": seed,
            "shares": _shares(classifier_dataset, handle.generate(handle.sample_latents(samples, seed)))}
    if real_dataset is not None:
        from .data.datasets import load_dataset

        images = load_dataset(real_dataset, image_size=handle.image_shape[0]).images[:samples]
        seen["real"] = {"dataset": str(real_dataset), "samples": len(images),
                        "shares": _shares(classifier_dataset, images)}
    return seen


def _shares(classifier_dataset: str, images) -> dict:
    """{class name: share of `images` the classifier of `classifier_dataset` puts in it}."""
    import numpy as np

    from .data.datasets import load_dataset
    from .training import metrics

    _, probabilities = metrics.load_classifier(classifier_dataset).features_and_probabilities(images)
    counts = np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1]) / len(images)
    names = load_dataset(classifier_dataset).class_names
    return {str(name): round(float(share), 4) for name, share in zip(names, counts)}


def export_kept_epoch(run_dir: Path, epoch: int, target: Path) -> dict:
    """generator.keras (its moving average, if any), networks.npz and the card of a run's kept epoch `epoch`."""
    import json

    from .training.generator_file import save_generator
    from .training.run import Run
    from .training.run_folder import GENERATOR_FILE, NETWORKS_FILE, load_checkpoint
    from .training.trainer import build_gan
    from .training.transfer import save_networks

    run = Run.open(run_dir)
    checkpoint = run.folder.checkpoint_path(epoch)
    if not checkpoint.is_file() or run.config.clusters:
        raise GanError("error.no_checkpoint", path=run.run_id)
    dataset = run.dataset()
    gan = build_gan(run.config, dataset.shape, dataset.num_classes)
    meta = load_checkpoint(gan, checkpoint)
    card = json.loads((run_dir / "card.json").read_text())
    card.update(epochs=meta["epoch"], steps=meta["step"],
                metrics=next((r for r in run.progress.epochs if r["epoch"] == meta["epoch"]), card.get("metrics")))
    save_generator(gan.sampling_generator, target / GENERATOR_FILE, card=card)
    save_networks(gan, target / NETWORKS_FILE)
    return card


def cmd_gif(args, argv) -> int:
    import shutil

    from .training.run import Run

    run = Run.open(args.run_dir)
    path = run.folder.write_progress_gif(run.progress.grid_epochs, run.shown_name)
    if args.out:
        shutil.copyfile(path, args.out)
        path = args.out
    print(path)
    return 0


def cmd_doctor(args, argv) -> int:
    from .training import doctor

    if args.slots:
        return cmd_doctor_slots(args)
    families = doctor.FAMILIES
    if args.presets:
        wanted = args.presets.split(",")
        known = dict(doctor.FAMILIES)
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise GanError("error.unknown_preset", value=unknown[0], choices=", ".join(known))
        families = tuple((name, known[name]) for name in wanted)
    report = doctor.check(max(1, args.batches), max(64, args.max_images), families)
    if args.json:
        print(report.to_json())
        return 0
    for line in doctor.describe(report, args.lang):
        print(line)
    return 0


def cmd_doctor_slots(args) -> int:
    """The slots measurement (gan_core.training.doctor.measure_slots), printed and saved for the server's start."""
    from .training import doctor

    advice = doctor.measure_slots(batches=max(doctor.SLOT_BATCHES, args.batches), max_images=max(64, args.max_images))
    path = doctor.save_slots(advice)
    if args.json:
        print(advice.to_json())
        return 0
    for line in doctor.describe_slots(advice, args.lang):
        print(line)
    print(tr("doctor.slots.saved", args.lang, path=str(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
