"""`make run`: the kiosk with a simulated hall.

Starts the reference platform on loopback (unless something already answers on the
configured URL), provisions this terminal against it the first time, and starts the
kiosk UI with every device simulated. With no display it says so and runs the tour
offscreen instead, writing the screenshots to ./tour/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kiosk.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def _platform_answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/v1/catalog", timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


def main() -> int:
    config = load_config(None)
    kiosk = [sys.executable, "-m", "kiosk.cli"]
    platform: subprocess.Popen[bytes] | None = None
    data = config.storage_dir.parent / "kiosk-platform"
    if config.platform_is_local and not _platform_answers(config.platform_url):
        port = config.platform_url.rsplit(":", 1)[-1].split("/")[0]
        platform = subprocess.Popen([*kiosk, "platform", "serve", "--port", port, "--data", str(data)])
        deadline = time.monotonic() + 15
        while not _platform_answers(config.platform_url):
            if time.monotonic() > deadline or platform.poll() is not None:
                print("make run: the reference platform did not start; the kiosk will queue offline", file=sys.stderr)
                break
            time.sleep(0.2)
        print(f"reference platform: {config.platform_url}  (staff console: {config.platform_url}/console)")
    try:
        credentials = config.storage_dir / "credentials.json"
        if platform is not None and not credentials.exists():
            code = subprocess.run([*kiosk, "platform", "enroll-code", "--data", str(data)],
                                  capture_output=True, text=True, check=False).stdout.strip()
            if code:
                subprocess.run([*kiosk, "provision", "--platform", config.platform_url, "--code", code,
                                "--hall", config.hall, "--name", config.terminal_name], check=False)
        has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if os.environ.get("QT_QPA_PLATFORM") not in (None, "", "xcb", "wayland"):
            has_display = True
        if has_display:
            return subprocess.run([*kiosk, "run", "--windowed"], check=False).returncode
        out = ROOT / "tour"
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset): running the tour offscreen instead.")
        print("To see the window, run `make run` in a desktop session, under cage, or with QT_QPA_PLATFORM=eglfs.")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        codes = []
        for scenario in sorted((ROOT / "tours").glob("*.json")):
            target = out / scenario.stem
            codes.append(subprocess.run([*kiosk, "tour", "--scenario", str(scenario), "--out", str(target)],
                                        env=env, check=False).returncode)
            print(f"  {scenario.name}: screenshots in {target}/")
        return max(codes, default=0)
    finally:
        if platform is not None:
            platform.terminate()
            try:
                platform.wait(5)
            except subprocess.TimeoutExpired:
                platform.kill()


if __name__ == "__main__":
    sys.exit(main())
