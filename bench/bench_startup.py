"""Cold start to the attract screen, screen switch p95, and resident-set growth over
500 simulated visits (start → idle reset). Prints figures; asserts nothing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD = r"""
import time, sys
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from kiosk.config import Config
from kiosk.terminal import Terminal
from screens.window import KioskWindow
app = QApplication([])
from pathlib import Path
term = Terminal(Config().with_storage(Path(sys.argv[1])))
win = KioskWindow(term); win.resize(1080, 1920); win.show(); app.processEvents()
print(time.perf_counter() - t0)
"""


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        starts = []
        for _ in range(5):
            out = subprocess.run([sys.executable, "-c", CHILD, tmp], capture_output=True, text=True, check=True)
            starts.append(float(out.stdout.strip().splitlines()[-1]))
        bare = subprocess.run([sys.executable, "-c", "import time;t=time.perf_counter();from PySide6.QtWidgets import QApplication,QWidget;a=QApplication([]);w=QWidget();w.show();a.processEvents();print(time.perf_counter()-t)"],
                              capture_output=True, text=True, check=True)
        print(f"cold start to attract screen: median {statistics.median(starts)*1000:.0f} ms (min {min(starts)*1000:.0f}); "
              f"bare PySide6 window {float(bare.stdout.strip())*1000:.0f} ms  [target ≤ 1500 ms]")

        from PySide6.QtWidgets import QApplication

        from kiosk.clock import SteppableClock
        from kiosk.config import Config
        from kiosk.terminal import Terminal
        from screens.window import KioskWindow

        app = QApplication.instance() or QApplication([])
        clock = SteppableClock()
        term = Terminal(Config().with_storage(Path(tmp)), clock=clock)
        win = KioskWindow(term)
        win.resize(1080, 1920)
        win.show()
        app.processEvents()
        switches = []
        for _ in range(200):
            t = time.perf_counter()
            term.machine.start()
            app.processEvents()
            switches.append(time.perf_counter() - t)
            t = time.perf_counter()
            term.machine.end()
            app.processEvents()
            switches.append(time.perf_counter() - t)
        switches.sort()
        print(f"screen switch: p50 {switches[len(switches)//2]*1000:.1f} ms, p95 {switches[int(len(switches)*0.95)]*1000:.1f} ms  [target ≤ 50 ms]")

        def visit() -> None:
            term.machine.start()
            app.processEvents()
            clock.advance(term.machine.delays.idle_warning_s + 1)
            win._tick()
            app.processEvents()
            clock.advance(term.machine.delays.idle_reset_s + 1)
            win._tick()
            app.processEvents()

        for _ in range(50):
            visit()
        before = rss_kb()
        for _ in range(500):
            visit()
        after = rss_kb()
        print(f"RSS over 500 visits (start → idle reset): {before/1024:.1f} MB → {after/1024:.1f} MB, "
              f"growth {(after-before)/1024:.2f} MB  [target ≤ 5 MB]")
        win.allow_close = True
        win.close()


if __name__ == "__main__":
    main()
