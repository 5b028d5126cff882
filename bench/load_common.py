"""What the load test's two kinds of student share: the lesson they follow, what they record, the upload they make."""

from __future__ import annotations

import io
import json
import math
import random
import time
import zipfile
from pathlib import Path

# The lesson, as one student follows it (in the app's default language, Spanish), both kinds of client alike.
MOVES = (3, 6)  # slider moves per visit to Explorar
THINK = (1.0, 3.0)  # seconds a person looks before the next action
TRAINING = {"epochs": 10, "max_images": 512}  # `fast` on MNIST: 8 batches of 64 an epoch, a grid each epoch
UPLOAD_IMAGES = 20  # tiny MNIST PNGs in the zip a student uploads on Datos
ZIPS_PER_SESSION = 3  # each visit to Datos uploads the next of these (other digits: a new dataset each time)


def page_texts(lang: str = "es") -> dict[str, str]:
    """What the pages say, from the app's own translation table (a change of wording does not break the test).
    Made by the orchestrator and handed to the workers, which import nothing of the app (nor TensorFlow)."""
    from gan_core.i18n import tr

    return {
        "explore_caption": tr("explore.image_caption", lang),
        "grid_caption": tr("live.grid_newest", lang, epoch=0).split("(")[0].strip(),  # "Lo último que dibuja G"
        "create": tr("data.create", lang), "train": tr("train.start", lang), "stop": tr("live.stop", lang),
        "stopped": tr("live.stopped", lang), "finished": tr("live.finished", lang), "failed": tr("live.failed", lang),
        "created": tr("data.created", lang, name="@", count=0).split("@")[0],  # "Conjunto «"
        "already": tr("data.already", lang, name="@").split("@")[0],
        "queued": tr("live.queued", lang, position="@").split("@")[0],  # "En cola: posición "
        "nav_explore": tr("nav.explore", lang), "nav_data": tr("nav.data", lang), "nav_train": tr("nav.train", lang),
        "tab_upload": tr("data.tab_upload", lang), "train_title": tr("train.title", lang),
        "explore_title": tr("explore.title", lang), "data_title": tr("data.title", lang),
        "share": tr("share.button", lang),
        "epochs": tr("hp.epochs", lang), "max_images": tr("hp.max_images", lang), "form": tr("train.new", lang),
    }


class SessionError(Exception):
    """One counted error; the session recovers and goes on."""

    def __init__(self, kind: str, text: str):
        super().__init__(f"{kind}: {text}")
        self.kind, self.text = kind, text


class Records:
    """Everything one worker measured, on the clock every process shares (wall time since `t0`)."""

    def __init__(self, t0: float, client: str):
        self.t0, self.client = t0, client
        self.slider: list[dict] = []  # t, session, client, server_ms (protocol) or src_ms/loaded_ms (browser)
        self.navigation: list[dict] = []  # t, session, client, to, ms
        self.uploads: list[dict] = []  # t, session, client, seconds, outcome
        self.trainings: list[dict] = []  # t, session, client, run_id, outcome, queue_wait_s, first_grid_s, stop_s
        self.errors: list[dict] = []  # t, session, client, kind, text

    def now(self) -> float:
        return round(time.time() - self.t0, 3)

    def add(self, table: str, session: int, **values) -> dict:
        record = {"t": self.now(), "session": session, "client": self.client, **values}
        getattr(self, table).append(record)
        return record

    def error(self, session: int, kind: str, text: str) -> None:
        self.add("errors", session, kind=kind, text=text[:400])
        print(f"  [{self.now():7.1f} s] {self.client} session {session}: {kind}: {text[:200]}", flush=True)

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps({name: getattr(self, name) for name in
                                    ("slider", "navigation", "uploads", "trainings", "errors")}, default=float))


def percentile(values, q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    position = (len(values) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def write_zips(folder: Path, sessions: int) -> None:
    """`ZIPS_PER_SESSION` small zips per session (zip_<session>_<n>.zip), each `UPLOAD_IMAGES` MNIST digits as 28x28
    PNGs in one folder per digit (a folder is a class), as a student would upload them."""
    import numpy as np
    from PIL import Image

    from gan_core.data.datasets import load_dataset

    dataset = load_dataset("mnist")
    folder.mkdir(parents=True, exist_ok=True)
    for session in range(sessions):
        for number in range(ZIPS_PER_SESSION):
            rng = random.Random(session * 100 + number)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for order, index in enumerate(rng.sample(range(len(dataset.images)), UPLOAD_IMAGES)):
                    png = io.BytesIO()
                    Image.fromarray(np.asarray(dataset.images[index], np.uint8).squeeze(), "L").save(png, format="PNG")
                    label = dataset.class_names[int(dataset.labels[index])]
                    archive.writestr(f"digits/{label}/{order:03d}.png", png.getvalue())
            (folder / f"zip_{session}_{number}.zip").write_bytes(buffer.getvalue())


def worker_main(kind: str, run_all) -> None:
    """A load-test worker process: `python -m bench.load_<kind> PLAN OUT` runs `run_all(plan, records)` and writes
    the records to OUT, whatever happened."""
    import asyncio
    import json
    import sys
    from pathlib import Path

    plan_path, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    plan = json.loads(plan_path.read_text())
    records = Records(plan["t0"], kind)
    try:
        asyncio.run(run_all(plan, records))
    finally:
        records.dump(out_path)
