"""``dstreams shell``: an interactive Python shell with a Context ready, like ``pyspark``.

The namespace has ``sc`` (the Context, PySpark's SparkContext), ``spark`` (a SparkSession,
when ``dstreams.sql`` is installed), ``StreamingContext`` and ``streamingContext(batchDuration)``
which returns a new StreamingContext on ``sc`` (stopping the active one first). Explore data as
RDDs, then run the same code as a stream (typed at the shell's prompt)::

    ssc = streamingContext(1)
    ssc.queueStream([[1, 2, 3]], default=sc.parallelize([0])).map(lambda x: x * 10).pprint()
    ssc.start()       # batches print while the prompt stays usable; Ctrl-C stops the stream,
                      # not the shell, and sc stays up for the next one

IPython is used when it is installed (``--no-ipython``, or ``DSTREAMS_SHELL=python``, forces the
standard REPL). ``--pyspark`` makes ``pyspark``, ``pyspark.streaming``, ``pyspark.mllib...`` (and
``pyspark.sql`` when present) resolve to dstreams inside this shell only, so snippets written
for the ``pyspark`` shell paste unchanged.
"""
from __future__ import annotations

import code
import importlib
import os
import platform
import signal
import sys
import threading
from typing import Any

__all__ = ["main", "build_namespace", "banner"]

STOPPED_MESSAGE = "Ctrl-C: stopped the running StreamingContext (sc is still available)"

def install_pyspark_names() -> list[str]:
    """Make the ``pyspark`` module names resolve to dstreams in this process (dstreams.compat);
    return the names that can be imported here (e.g. without numpy, pyspark.mllib cannot)."""
    from .compat import PYSPARK_MODULES, install
    install()
    installed = []
    for alias in PYSPARK_MODULES:
        try:
            importlib.import_module(alias)
        except ImportError:
            continue
        installed.append(alias)
    return installed


def _stop_active_stream() -> bool:
    """Stop the active StreamingContext (not the Context); return whether one was running."""
    from .streaming.context import StreamingContext
    ssc = StreamingContext.getActive()
    if ssc is None:
        return False
    ssc.stop(stopSparkContext=False, stopGraceFully=False)
    return True


class StreamStopper:
    """Stops the active StreamingContext on Ctrl-C, from a thread of its own.

    Ctrl-C arrives as SIGINT at any point of the REPL's loop (at the prompt, in a running
    statement, or between the two), and as a key press in IPython's prompt; stopping a stream
    joins its threads, which must not happen inside a signal handler (the main thread may hold
    a lock those threads need, e.g. stdout's), so the handler only starts the stop.
    """

    def __init__(self, announce: Any) -> None:
        self._announce = announce
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self) -> bool:
        """Start stopping the running stream; return False when none runs."""
        from .streaming.context import StreamingContext
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return True  # a second Ctrl-C while stopping
            ssc = StreamingContext.getActive()
            if ssc is None:
                return False

            def stop() -> None:
                try:
                    ssc.stop(stopSparkContext=False, stopGraceFully=False)
                finally:
                    self._announce()
            self._thread = threading.Thread(target=stop, name="dstreams-shell-stop", daemon=True)
            self._thread.start()
            return True

    def on_sigint(self, signum: int, frame: Any) -> None:
        """The SIGINT handler: stop a running stream, else the usual KeyboardInterrupt."""
        if not self.request():
            raise KeyboardInterrupt

    def wait(self, timeout: float = 60.0) -> None:
        """Wait for a stop in progress to finish."""
        t = self._thread
        if t is not None:
            t.join(timeout)


def build_namespace(master: str | None = None, pyspark: bool = False) -> dict[str, Any]:
    """Return the shell's namespace: ``sc``, ``spark`` (with dstreams.sql), ``StreamingContext``
    and ``streamingContext``; the Context is started here."""
    if pyspark:
        install_pyspark_names()
    from . import Context
    from .streaming.context import StreamingContext
    sc = Context(master or os.environ.get("DSTREAMS_MASTER") or "local[*]", os.environ.get("DSTREAMS_APP_NAME")
                 or "dstreams-shell")

    def streamingContext(batchDuration: float = 1.0) -> StreamingContext:
        """Return a new StreamingContext on ``sc`` with ``batchDuration`` seconds per batch
        (an active one is stopped first: one runs at a time); ``.start()`` it when ready."""
        _stop_active_stream()
        return StreamingContext(sc, batchDuration)

    ns: dict[str, Any] = {"__name__": "__main__", "__doc__": None, "sc": sc, "StreamingContext": StreamingContext,
                          "streamingContext": streamingContext}
    if pyspark:
        ns["SparkContext"] = Context
    try:
        sql = importlib.import_module("dstreams.sql")
    except ImportError:
        sql = None  # dstreams without its SQL layer: no 'spark'
    if sql is not None:
        try:
            ns["spark"] = sql.SparkSession.builder.getOrCreate()
            ns["sql"] = ns["spark"].sql
        except Exception as exc:  # noqa: BLE001 - the shell starts without 'spark' and says why
            ns["_spark_error"] = f"{type(exc).__name__}: {exc}"
    return ns


def banner(ns: dict[str, Any]) -> str:
    """Return the welcome text: versions, the master, what the namespace holds."""
    from . import __version__
    sc = ns["sc"]
    lines = [
        "Welcome to",
        "       __     __",
        "   ___/ /____/ /________  ____ _____ ___  _____",
        "  / __  / ___/ __/ ___/ _ \\/ __ `/ __ `__ \\/ ___/",
        " / /_/ (__  ) /_/ /  /  __/ /_/ / / / / / (__  )",
        " \\__,_/____/\\__/_/   \\___/\\__,_/_/ /_/ /_/____/   version " + __version__,
        "",
        f"Using Python version {platform.python_version()} ({sys.executable})",
    ]
    url = getattr(sc, "uiWebUrl", None)
    if url:
        lines.append(f"Context Web UI available at {url}")
    lines.append(f"Context available as 'sc' (master = {sc.master}, app id = {sc.applicationId}).")
    if "spark" in ns:
        lines.append("SparkSession available as 'spark'.")
    elif "_spark_error" in ns:
        lines.append(f"No SparkSession ('spark'): {ns['_spark_error']}")
    lines.append("Streaming: ssc = streamingContext(batchDuration=1.0) ... ssc.start(); Ctrl-C stops a running "
                 "stream.")
    return "\n".join(lines)


class StreamShell(code.InteractiveConsole):
    """The standard REPL, where Ctrl-C stops a running StreamingContext (and keeps the line
    being typed) instead of raising KeyboardInterrupt."""

    def __init__(self, ns: dict[str, Any]) -> None:
        super().__init__(ns)
        self._prompt: str | None = None
        self.stopper = StreamStopper(self._announce)

    def _announce(self) -> None:
        prompt = self._prompt
        sys.stdout.write("\n" + STOPPED_MESSAGE + "\n" + (prompt or ""))
        sys.stdout.flush()

    def raw_input(self, prompt: str = "") -> str:
        self._prompt = prompt
        try:
            return super().raw_input(prompt)
        except KeyboardInterrupt:  # no stream was running: drop the line, as the REPL does
            self.write("\nKeyboardInterrupt\n")
            self.resetbuffer()
            return ""
        finally:
            self._prompt = None


def _run_ipython(ns: dict[str, Any], text: str, stopper_box: list) -> None:
    from IPython.terminal.embed import InteractiveShellEmbed

    def announce() -> None:
        print(STOPPED_MESSAGE, flush=True)

    stopper = StreamStopper(announce)
    stopper_box.append(stopper)

    class Shell(InteractiveShellEmbed):
        def prompt_for_code(self) -> str:
            try:
                return super().prompt_for_code()
            except KeyboardInterrupt:  # Ctrl-C at a prompt that raises it (a dumb terminal)
                if not stopper.request():
                    print("KeyboardInterrupt")
                return ""

    shell = Shell(user_ns=ns, banner1=text + "\n", exit_msg="")
    _bind_ctrl_c_at_the_prompt(shell, stopper)
    signal.signal(signal.SIGINT, stopper.on_sigint)
    shell()


def _bind_ctrl_c_at_the_prompt(shell: Any, stopper: StreamStopper) -> None:
    """IPython's Ctrl-C at the prompt (a key press, not a signal) only clears the line: also
    stop a running stream."""
    try:
        from prompt_toolkit.enums import DEFAULT_BUFFER
        from prompt_toolkit.filters import has_focus
        from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    except ImportError:  # pragma: no cover - IPython always brings prompt_toolkit
        return
    app = getattr(shell, "pt_app", None)
    if app is None:
        return
    kb = KeyBindings()

    @kb.add("c-c", filter=has_focus(DEFAULT_BUFFER))
    def _(event: Any) -> None:
        event.current_buffer.reset()
        stopper.request()

    app.key_bindings = merge_key_bindings([app.key_bindings, kb])


def main(master: str | None = None, pyspark: bool = False, ipython: bool | None = None) -> int:
    """Run the shell until EOF (Ctrl-D) or ``exit()``; return the exit status."""
    os.environ.setdefault("DSTREAMS_CONF_dstreams.ui.enabled", "true")
    ns = build_namespace(master, pyspark)
    text = banner(ns)
    if ipython is None:
        ipython = os.environ.get("DSTREAMS_SHELL", "").lower() != "python"
    previous = signal.getsignal(signal.SIGINT)
    stoppers: list[StreamStopper] = []
    try:
        if ipython:
            try:
                _run_ipython(ns, text, stoppers)
                return 0
            except ImportError:
                pass
        try:
            import readline  # noqa: F401 - line editing and history for input()
        except ImportError:  # pragma: no cover - platforms without readline
            pass
        repl = StreamShell(ns)
        stoppers.append(repl.stopper)
        signal.signal(signal.SIGINT, repl.stopper.on_sigint)
        repl.interact(banner=text, exitmsg="")
        return 0
    except SystemExit as exc:  # exit() / quit()
        return exc.code if isinstance(exc.code, int) else 0
    finally:
        signal.signal(signal.SIGINT, previous)
        for stopper in stoppers:
            stopper.wait()
        _stop_active_stream()
        ns["sc"].stop()
