"""A lean Streamlit browser stand-in: one websocket speaking the protocol with the streamlit package's own protobuf
classes. It reruns pages, clicks buttons and sets widgets by key, and honours the fragments' `run_every` timers as
the browser does, so a server sees what many tabs cost without running many Chromiums."""

from __future__ import annotations

import asyncio
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class Page:
    """One browser tab: its session, its query string, the widgets last drawn and the fragment timers."""

    def __init__(self, url: str, query: str = ""):
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.query = query
        self.page_hashes: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.widgets: dict[str, object] = {}  # widget id -> the element proto (button, number_input, slider ...)
        self.timers: dict[str, float] = {}  # fragment id -> interval s
        self._registered: dict[str, float] = {}  # timers the run under way asked for
        self.finished = asyncio.Event()
        self.errors: list[str] = []
        self.images = 0  # image elements received
        self.charts = 0
        self.reruns = 0
        self._ws = None
        self._tasks: list[asyncio.Task] = []
        self._timer_tasks: dict[str, asyncio.Task] = {}

    async def open(self, path: str = "") -> None:
        self._ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2 ** 26)
        self._tasks.append(asyncio.create_task(self._read()))
        await self.rerun(path=path)

    async def close(self) -> None:
        for task in [*self._tasks, *self._timer_tasks.values()]:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()

    # --- sending ------------------------------------------------------------------------------

    async def rerun(self, path: str | None = None, widgets: list | None = None, fragment_id: str = "",
                    auto: bool = False, timeout: float = 120.0) -> float:
        """Send a rerun and wait until the script (or fragment) run finishes; returns its seconds."""
        if path is not None:
            self.page_hash = self.page_hashes.get(path, "")
            self.timers.clear()
            self._sync_timers()
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        if path and not self.page_hash:
            state.page_name = path
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        self.finished.clear()
        started = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        self.reruns += 1
        await asyncio.wait_for(self.finished.wait(), timeout)
        return time.perf_counter() - started

    def find(self, kind: str, label: str = "", key: str = ""):
        """The id of the widget of this kind whose label starts with `label` (or whose id ends with `key`)."""
        for widget_id, (element_kind, element) in self.widgets.items():
            if element_kind != kind:
                continue
            if (label and getattr(element, "label", "").startswith(label)) or (key and widget_id.endswith(key)):
                return widget_id
        return None

    async def click(self, label: str, fragment_id: str = "") -> float:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = self.find("button", label) or self.find("button_group", label)
        if widget_id is None:
            raise LookupError(f"no button {label!r}")
        widget = WidgetState(id=widget_id, trigger_value=True)
        return await self.rerun(widgets=[widget], fragment_id=fragment_id)

    async def set_values(self, values: dict, click: str | None = None) -> float:
        """Set widgets by the end of their id (their key), optionally clicking a button in the same rerun."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        states = []
        for key, value in values.items():
            widget_id = next((wid for wid in self.widgets if wid.endswith(key)), None)
            if widget_id is None:
                raise LookupError(f"no widget {key!r}")
            kind = self.widgets[widget_id][0]
            state = WidgetState(id=widget_id)
            if kind == "slider" or kind == "number_input" and isinstance(value, float):
                if kind == "slider":
                    state.double_array_value.data.append(float(value))
                else:
                    state.double_value = float(value)
            elif kind == "number_input":
                state.int_value = int(value)
            else:
                state.string_value = str(value)
            states.append(state)
        if click:
            button = self.find("button", click)
            if button is None:
                raise LookupError(f"no button {click!r}")
            states.append(WidgetState(id=button, trigger_value=True))
        return await self.rerun(widgets=states)

    # --- receiving ----------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            return
        except Exception as exc:  # noqa: BLE001 - a load client reports, never dies
            self.errors.append(f"reader: {type(exc).__name__}: {exc}")

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg.delta)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "navigation":
            for page in msg.navigation.app_pages:
                self.page_hashes[page.url_pathname] = page.page_script_hash
            if msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self._registered[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            self.timers[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            self._sync_timers()
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_SUCCESSFULLY:  # a whole-page run: its timers are the only ones left
                self.timers = dict(self._registered)
                self._sync_timers()
            if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:  # else another run follows at once
                self._registered = {}
                self.finished.set()
        elif kind == "session_event":
            if msg.session_event.WhichOneof("type") == "script_compilation_exception":
                self.errors.append("script compilation exception")

    def _delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.message[:200]}")
        elif kind == "imgs":
            self.images += 1
        elif kind == "plotly_chart":
            self.charts += 1
        proto = getattr(element, kind, None)
        widget_id = getattr(proto, "id", "") if proto is not None else ""
        if widget_id:
            self.widgets[widget_id] = (kind, proto)

    def _sync_timers(self) -> None:
        for fragment_id in list(self._timer_tasks):
            if fragment_id not in self.timers:
                self._timer_tasks.pop(fragment_id).cancel()
        for fragment_id, interval in self.timers.items():
            if fragment_id not in self._timer_tasks and interval > 0:
                self._timer_tasks[fragment_id] = asyncio.create_task(self._tick(fragment_id, interval))

    async def _tick(self, fragment_id: str, interval: float) -> None:
        """The browser's setInterval: a fragment rerun every `interval` s (skipped while a run is under way)."""
        while True:
            await asyncio.sleep(interval)
            if not self.finished.is_set():
                continue
            try:
                await self.rerun(fragment_id=fragment_id, auto=True)
            except asyncio.TimeoutError:
                self.errors.append("fragment rerun timed out")
            except websockets.ConnectionClosed:
                return
