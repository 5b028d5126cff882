"""A lean Streamlit browser stand-in: one websocket speaking the protocol with the streamlit package's own protobuf
classes. It reruns pages, clicks buttons, sets widgets by key (a widget inside a fragment reruns that fragment, as
in the browser), uploads files through the file uploader's HTTP route, and honours the fragments' `run_every` timers
as the browser does, so a server sees what many tabs cost without running many Chromiums."""

from __future__ import annotations

import asyncio
import time
import urllib.request
import uuid

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
        self.widgets: dict[str, tuple] = {}  # widget id -> (kind, element proto, fragment id) as last drawn
        self.shown: dict[tuple, tuple] = {}  # delta path -> (fragment id, kind, text) of alerts, images, markdown
        self.timers: dict[str, float] = {}  # fragment id -> interval s
        self._registered: dict[str, float] = {}  # timers the run under way asked for
        self.finished = asyncio.Event()
        self.errors: list[str] = []
        self.images = 0  # image elements received
        self.charts = 0
        self.reruns = 0
        self.session_id = ""  # the server's id for this connection (upload URLs name it)
        self.image_at: float | None = None  # perf_counter of the first image drawn since mark_images()
        self._xsrf = ""
        self._closing = False
        self._file_urls: dict[str, asyncio.Future] = {}
        self._ws = None
        self._tasks: list[asyncio.Task] = []
        self._timer_tasks: dict[str, asyncio.Task] = {}

    async def open(self, path: str = "") -> None:
        self._xsrf = await asyncio.to_thread(self._xsrf_cookie)
        self._ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2 ** 26)
        self._tasks.append(asyncio.create_task(self._read()))
        await self.rerun(path=path)

    async def close(self) -> None:
        self._closing = True
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
        """The id of the widget of this kind labelled `label` (else whose label starts with it), or whose id ends
        with `key`."""
        found = None
        for widget_id, (element_kind, element, _) in self.widgets.items():
            if element_kind != kind:
                continue
            shown = getattr(element, "label", "")
            if (label and shown == label) or (key and widget_id.endswith(key)):
                return widget_id
            if label and found is None and shown.startswith(label):
                found = widget_id
        return found

    def texts(self, kind: str = "") -> list[str]:
        """What the page shows now (alerts' bodies, images' captions, markdown), of one element kind or all."""
        return [text for _, element_kind, text in self.shown.values() if not kind or element_kind == kind]

    def mark_images(self) -> None:
        """From now on, `image_at` is the time the next image arrives."""
        self.image_at = None

    async def click(self, label: str = "", key: str = "") -> float:
        """Press a button, found by label or key; one inside a fragment reruns that fragment, as in the browser."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = (self.find("button", label, key) or self.find("button_group", label, key)
                     or self.find("download_button", label, key))
        if widget_id is None:
            raise LookupError(f"no button {label or key!r}")
        widget = WidgetState(id=widget_id, trigger_value=True)
        return await self.rerun(widgets=[widget], fragment_id=self.widgets[widget_id][2])

    async def set_values(self, values: dict, click: str | None = None) -> float:
        """Set widgets by the end of their id (their key), optionally clicking a button in the same rerun."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        states, fragments = [], set()
        for key, value in values.items():
            widget_id = next((wid for wid in self.widgets if wid.endswith(key)), None)
            if widget_id is None:
                raise LookupError(f"no widget {key!r}")
            kind = self.widgets[widget_id][0]
            fragments.add(self.widgets[widget_id][2])
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
            fragments.add(self.widgets[button][2])
        # Widgets of one fragment rerun only that fragment (the browser's rule); anything else reruns the page.
        return await self.rerun(widgets=states, fragment_id=fragments.pop() if len(fragments) == 1 else "")

    async def set_component_state(self, widget_id: str, state: dict) -> float:
        """What a Streamlit v2 component's setStateValue sends: its state as JSON (a rerun of its fragment)."""
        import json

        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget = WidgetState(id=widget_id, json_value=json.dumps(state))
        return await self.rerun(widgets=[widget], fragment_id=self.widgets[widget_id][2])

    # --- uploads --------------------------------------------------------------------------------

    async def upload(self, key: str, files: list[tuple[str, bytes, str]], click: str | None = None,
                     timeout: float = 120.0) -> float:
        """What the browser's file uploader does: ask the session for upload URLs (a FileURLsRequest BackMsg), PUT
        each file there as multipart form data with the XSRF token, then rerun with the uploader's new state
        (optionally pressing a button in that same rerun). Returns the seconds it all took."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget_id = next((wid for wid in self.widgets if wid.endswith(key)), None)
        if widget_id is None:
            raise LookupError(f"no file uploader {key!r}")
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        reply = self._file_urls[request_id] = asyncio.get_running_loop().create_future()
        msg = BackMsg()
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.extend(name for name, _, _ in files)
        await self._ws.send(msg.SerializeToString())
        urls = await asyncio.wait_for(reply, timeout)
        state = WidgetState(id=widget_id)
        for (name, data, mime), file_urls in zip(files, urls):
            await asyncio.to_thread(self._put, file_urls.upload_url, name, data, mime, timeout)
            info = state.file_uploader_state_value.uploaded_file_info.add()
            info.name, info.size, info.file_id = name, len(data), file_urls.file_id
            info.file_urls.CopyFrom(file_urls)
        states = [state]
        if click:
            button = self.find("button", click)
            if button is None:
                raise LookupError(f"no button {click!r}")
            states.append(WidgetState(id=button, trigger_value=True))
        await self.rerun(widgets=states, timeout=timeout)
        return time.perf_counter() - started

    def _http_url(self, path: str) -> str:
        return self.ws_url.replace("ws://", "http://").rsplit("/_stcore/", 1)[0] + path

    def _xsrf_cookie(self) -> str:
        """The XSRF cookie the server hands out with /_stcore/health (uploads must send it back twice)."""
        with urllib.request.urlopen(self._http_url("/_stcore/health"), timeout=30) as reply:
            for header in reply.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                if name.strip() == "_streamlit_xsrf":
                    return rest.split(";", 1)[0]
        return ""

    def _put(self, path: str, name: str, data: bytes, mime: str, timeout: float) -> None:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: {mime}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if self._xsrf:
            headers.update({"X-Xsrftoken": self._xsrf, "Cookie": f"_streamlit_xsrf={self._xsrf}"})
        request = urllib.request.Request(self._http_url(path), data=body, headers=headers, method="PUT")
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            if reply.status >= 300:
                raise OSError(f"upload answered {reply.status}")

    # --- receiving ----------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
            if not self._closing:
                self.errors.append("websocket closed by the server")
        except websockets.ConnectionClosed as exc:
            if not self._closing:
                self.errors.append(f"websocket closed by the server: {exc}")
            return
        except asyncio.CancelledError:
            return
        except Exception as exc:  # noqa: BLE001 - a load client reports, never dies
            self.errors.append(f"reader: {type(exc).__name__}: {exc}")

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg.delta, tuple(msg.metadata.delta_path))
        elif kind == "new_session":
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self._forget(set(msg.metadata.run.fragment_ids))
        elif kind == "file_urls_response":
            reply = self._file_urls.pop(msg.file_urls_response.response_id, None)
            if reply is not None and not reply.done():
                if msg.file_urls_response.error_msg:
                    reply.set_exception(OSError(msg.file_urls_response.error_msg))
                else:
                    reply.set_result(list(msg.file_urls_response.file_urls))
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
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.errors.append("script compilation exception")

    def _forget(self, fragment_ids: set[str]) -> None:
        """A run starts: what it will draw again is stale (everything for a whole-page run, else its fragments')."""
        self.widgets = {wid: w for wid, w in self.widgets.items() if fragment_ids and w[2] not in fragment_ids}
        self.shown = {path: s for path, s in self.shown.items() if fragment_ids and s[0] not in fragment_ids}

    def _delta(self, delta, path: tuple) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        text = ""
        if kind == "exception":
            self.errors.append(f"exception: {element.exception.message[:200]}")
            text = element.exception.message
        elif kind == "imgs":
            self.images += 1
            if self.image_at is None:
                self.image_at = time.perf_counter()
            text = " ".join(image.caption for image in element.imgs.imgs)
        elif kind == "plotly_chart":
            self.charts += 1
        elif kind == "alert":
            text = element.alert.body
        elif kind == "markdown":
            text = element.markdown.body
        if text:
            self.shown[path] = (delta.fragment_id, kind, text)
        proto = getattr(element, kind, None)
        widget_id = getattr(proto, "id", "") if proto is not None else ""
        if widget_id:
            self.widgets[widget_id] = (kind, proto, delta.fragment_id)

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
            except TimeoutError:
                self.errors.append("fragment rerun timed out")
            except websockets.ConnectionClosed:
                return
