"""The load test's protocol-level students: each one a lean client (bench/st_client.py, one websocket) following the
lesson. Run by bench/load_test.py as a worker process, so the CPU it uses is measured apart from the server's:

    python -m bench.load_protocol PLAN.json OUT.json

PLAN (written by load_test.py): the server's URL, the shared clock (t0, deadline, each session's start), the page
texts and the folder of zips to upload. OUT: what was measured (bench.load_common.Records)."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from pathlib import Path

from bench.load_common import (  # noqa: I001
    MOVES,
    THINK,
    TRAINING,
    ZIPS_PER_SESSION,
    Records,
    SessionError,
    worker_main,
)
from bench.st_client import Page


class ProtocolStudent:
    def __init__(self, index: int, plan: dict, records: Records):
        self.index, self.plan, self.records = index, plan, records
        self.texts = plan["texts"]
        self.deadline = plan["deadline"]
        self.token = ""  # the signed session id (?s=), kept across reconnections
        self.page: Page | None = None
        self.gallery: Page | None = None  # with --gallery: a second tab on the class gallery, open all along
        self.shared = False  # with --gallery: the session's first run is shared with the class
        self.active_run: str | None = None
        self.uploads = 0
        self.points: dict[str, list[float]] = {}  # the live image's slider values, per generator and start point
        self.rng = random.Random(index)

    def left(self) -> float:
        return self.deadline - time.time()

    async def think(self) -> None:
        await asyncio.sleep(min(self.rng.uniform(*THINK), max(self.left(), 0.0)))

    async def run(self) -> None:
        await asyncio.sleep(max(0.0, self.plan["starts"][str(self.index)] - time.time()))
        try:
            await self._guard(self._connect("explore"))
            while self.left() > 0:
                for step in (self._explore, self._upload, self._train):
                    if self.left() <= 0:
                        break
                    await self._guard(step())
        finally:
            await self._leave()

    # --- plumbing ---------------------------------------------------------------------------------

    async def _connect(self, path: str) -> None:
        """A fresh tab on this session (a reload: ?s= reattaches it), opened on `path`."""
        if self.page is not None:
            await self.page.close()
        query = f"lang=es&s={self.token}" if self.token else "lang=es"
        self.page = Page(self.plan["url"], query)
        started = time.perf_counter()
        await self.page.open(path)
        self._check()
        self.records.add("navigation", self.index, to=f"load {path}",
                         ms=round((time.perf_counter() - started) * 1000, 1))
        found = re.search(r"(?:^|&)s=([0-9a-f]{32}\.[0-9a-f]{32})", self.page.query)
        if found:
            self.token = found.group(1)
        if self.plan.get("gallery") and self.gallery is None and self.token:
            self.gallery = Page(self.plan["url"], f"lang=es&s={self.token}")
            await self.gallery.open("gallery")

    async def _switch(self, path: str) -> None:
        """Change page through the sidebar (same websocket, same session)."""
        started = time.perf_counter()
        await self.page.rerun(path=path)
        self._check()
        self.records.add("navigation", self.index, to=path, ms=round((time.perf_counter() - started) * 1000, 1))

    def _check(self) -> None:
        """Raise what the student's tabs (the lesson's, and the gallery's with --gallery) received as errors."""
        for page in (self.page, self.gallery):
            if page is not None and page.errors:
                errors, page.errors = page.errors, []
                raise SessionError("exception" if errors[0].startswith("exception") else "protocol", " | ".join(errors))

    async def _guard(self, step) -> None:
        try:
            await step
            self._check()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the session goes on
            if isinstance(exc, SessionError):
                self.records.error(self.index, exc.kind, exc.text)
            elif isinstance(exc, TimeoutError):
                self.records.error(self.index, "timeout", f"no answer in time ({type(exc).__name__})")
            else:
                self.records.error(self.index, "driver", f"{type(exc).__name__}: {exc}")
            await self._recover()

    async def _recover(self) -> None:
        try:
            if self.active_run is not None:
                await self._connect("train")
                await self._stop(self.active_run, {})
            if self.left() > 0:
                await self._connect("explore")
        except Exception as exc:  # noqa: BLE001
            self.records.error(self.index, "recovery", f"{type(exc).__name__}: {exc}")

    async def _until(self, condition, timeout: float, what: str):
        """Wait, without sending anything, until the page (kept current by its own fragment timers) shows it."""
        deadline = time.monotonic() + timeout
        while True:
            self._check()
            found = condition()
            if found:
                return found
            if time.monotonic() > deadline:
                raise SessionError("timeout", f"{what}: not within {timeout:.0f} s")
            await asyncio.sleep(0.1)

    # --- the lesson -------------------------------------------------------------------------------

    async def _explore(self) -> None:
        """The browser draws the live image itself (gan_ui/live_latent.js): a student's slider move costs the server
        nothing until the sliders rest, when the point goes back (one rerun of the live part). Each move here is
        that send, timed until its rerun finishes (the server's answer)."""
        await self._switch("explore")
        for _ in range(self.rng.randint(*MOVES)):
            if self.left() <= 0:
                return
            live = self._live()
            if live is None:  # not drawn yet (its fragment was rerunning): the page once more, as a reload would
                await self.page.rerun()
                live = self._live()
            if live is None:
                raise SessionError("explorer", "no live image on the page")
            widget_id, data = live
            z = list(self.points.get(data["build"]) or data["dim_values"])
            index = self.rng.randrange(len(z))
            step = 0.05
            z[index] = z[index] - step if z[index] >= 3.0 - step or (z[index] > -3.0 + step and
                                                                     self.rng.random() < 0.5) else z[index] + step
            self.points[data["build"]] = z  # what the browser shows now
            point = {"build": data["build"], "z": [round(v, 4) for v in z], "directions": data["direction_values"]}
            sent = time.perf_counter()
            await self.page.set_component_state(widget_id, {"point": point})
            self.records.add("slider", self.index, server_ms=round((time.perf_counter() - sent) * 1000, 1))
            await self.think()

    def _live(self) -> tuple[str, dict] | None:
        """The live image's component on the page: its widget id and the data the server sent it."""
        for widget_id, (kind, element, _) in self.page.widgets.items():
            if kind == "bidi_component" and "explore.live." in widget_id:
                return widget_id, json.loads(element.json)
        return None

    async def _upload(self) -> None:
        await self._switch("data")
        path = Path(self.plan["zips"]) / f"zip_{self.index}_{self.uploads % ZIPS_PER_SESSION}.zip"
        self.uploads += 1
        record = self.records.add("uploads", self.index, upload_s=None, create_s=None, outcome=None)
        record["upload_s"] = round(await self.page.upload("data.files", [(path.name, path.read_bytes(),
                                                                          "application/zip")]), 2)
        await self.think()  # a person finds the button
        pressed = time.perf_counter()
        await self.page.click(self.texts["create"])
        alerts = self.page.texts("alert")
        if any(text.startswith(self.texts["created"]) for text in alerts):
            record["outcome"] = "created"
        elif any(text.startswith(self.texts["already"]) for text in alerts):
            record["outcome"] = "already"
        else:
            record["outcome"] = "failed"
            raise SessionError("upload", f"no dataset made: {alerts[:3]}")
        record["create_s"] = round(time.perf_counter() - pressed, 2)
        await self.think()

    def _run_id(self) -> str | None:
        found = re.search(r"(?:^|&)run=([^&]+)", self.page.query)
        return found.group(1) if found else None

    def _state(self, run_id: str) -> str | None:
        """The run's state as the page draws it: its buttons while active, its status line once ended."""
        page = self.page
        alerts = page.texts("alert")
        if any(text.startswith(self.texts["failed"]) for text in alerts) or page.texts("exception"):
            return "failed"
        if page.find("button", key=f"live.{run_id}.pause"):
            return "running"
        if page.find("button", key=f"live.{run_id}.resume"):
            return "paused"
        if page.find("button", key=f"live.{run_id}.stop"):
            return "queued"
        if any(text.startswith(self.texts["finished"]) for text in alerts):
            return "finished"
        if any(text.startswith(self.texts["stopped"]) for text in alerts):
            return "stopped"
        return None

    def _grid(self) -> bool:
        return any(text.startswith(self.texts["grid_caption"]) for text in self.page.texts("imgs"))

    async def _train(self) -> None:
        await self._switch("train")
        before = self._run_id()
        pressed = time.time()
        await self.page.set_values({"hp.fast.epochs": TRAINING["epochs"], "hp.fast.max_images": TRAINING["max_images"]},
                                   click=self.texts["train"])
        run_id = await self._until(lambda: (self._run_id() or before) != before and self._run_id(), 60,
                                   "a new run after Entrenar")
        self.active_run = run_id
        if self.plan.get("gallery") and not self.shared:
            self.shared = True
            await self.page.set_values({f"share.nick.{run_id}": f"Alumno {self.index}"}, click=self.texts["share"])
        record = self.records.add("trainings", self.index, run_id=run_id, outcome=None, queue_wait_s=None,
                                  position=None, first_grid_s=None, stop_s=None)
        record["t"] = round(pressed - self.records.t0, 3)
        while True:  # queued, then running until its first grid
            state = self._state(run_id)
            if record["position"] is None:
                for text in self.page.texts("alert"):
                    if text.startswith(self.texts["queued"]):
                        record["position"] = int(re.match(r"\d+", text[len(self.texts["queued"]):]).group())
            if state in ("running", "paused", "finished", "stopped") and record["queue_wait_s"] is None:
                record["queue_wait_s"] = round(time.time() - pressed, 2)
            if self._grid() and record["first_grid_s"] is None:
                record["first_grid_s"] = round(time.time() - pressed, 2)
            if state == "failed":
                record["outcome"], self.active_run = "failed", None
                raise SessionError("run failed", f"run {run_id} failed")
            if record["first_grid_s"] is not None or state in ("finished", "stopped"):
                break
            if self.left() <= 0:
                record["outcome"] = "cancelled at the end" if state == "queued" else "stopped at the end"
                await self._stop(run_id, record)
                return
            self._check()
            await asyncio.sleep(0.1)
        if state in ("finished", "stopped"):
            record["outcome"], self.active_run = state, None
            return
        await self.think()  # a look at the grid, then Detener
        record["outcome"] = "stopped after its first grid"
        await self._stop(run_id, record)

    async def _stop(self, run_id: str, record: dict) -> None:
        started = time.time()
        pressed = 0.0
        while True:
            state = self._state(run_id)
            if state in ("stopped", "finished", "failed"):
                break
            if time.time() - started > 60:
                raise SessionError("timeout", f"run {run_id} still {state} 60 s after Detener")
            if state in ("queued", "running", "paused") and time.time() - pressed > 10:
                pressed = time.time()
                try:
                    await self.page.click(key=f"live.{run_id}.stop")
                    continue
                except LookupError:  # a page still being drawn (its pause button, not yet its stop): pressed
                    pressed = 0.0  # as soon as it is there; still missing 60 s on, the timeout above is an error
            if state is None and time.time() - pressed > 10:  # nothing of it drawn: draw the page again
                pressed = time.time()
                await self.page.rerun()
            self._check()
            await asyncio.sleep(0.1)
        record["stop_s"] = round(time.time() - started, 2)
        self.active_run = None
        if state == "finished" and record.get("outcome") == "stopped after its first grid":
            record["outcome"] = "finished"
        if state == "failed":
            raise SessionError("run failed", f"run {run_id} failed")

    async def _leave(self) -> None:
        if self.active_run is not None:
            try:
                if self.page is None or self._state(self.active_run) is None:
                    await self._connect("train")
                await self._stop(self.active_run, {})
            except Exception as exc:  # noqa: BLE001
                self.records.error(self.index, "leaving", f"could not stop run {self.active_run}: {exc}")
        for page in (self.page, self.gallery):
            if page is not None:
                await page.close()


async def run_all(plan: dict, records: Records) -> None:
    students = [ProtocolStudent(index, plan, records) for index in plan["sessions"]]
    await asyncio.gather(*(student.run() for student in students))


if __name__ == "__main__":
    worker_main("protocol", run_all)
