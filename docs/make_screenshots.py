"""Re-create the flash-map screenshots in docs/img/ (needs Chromium and ../shared/fixtures/real).

    python docs/make_screenshots.py

Each is `obkimg info FILE --svg` rendered by headless Chromium: the synthetic demo BK7231N backup shipped in
examples/, a public BK7231T bulb backup (a rotated dump) and the public OpenBL602 whole-flash image.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "fixtures" / "real"
SHOTS = {
    "flashmap-bk7231n.png": ROOT / "examples" / "bk7231n_demo_dump.bin.gz",
    "flashmap-bk7231t.png": REAL / "bk7231t" / "Lepro_WiFi_Smart_Bulb_GU10_RGBW_902002-eu-2.bin",
    "flashmap-bl602.png": REAL / "bl602" / "full_binary_with_app_OpenBL602_1.18.57.bin",
}


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        sys.exit("needs Chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in SHOTS.items():
            svg = Path(tmp) / (name + ".svg")
            info = [sys.executable, "-m", "obkimg", "info", str(source), "--svg", str(svg)]
            subprocess.run(info, check=True, capture_output=True)
            height = int(re.search(r'height="(\d+)"', svg.read_text()).group(1))  # type: ignore[union-attr]
            shot = ROOT / "docs" / "img" / name
            render = [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={tmp}/profile",
                f"--screenshot={shot}",
                f"--window-size=1000,{height}",
            ]
            subprocess.run([*render, svg.as_uri()], check=True, capture_output=True)
            print("wrote", ROOT / "docs" / "img" / name)  # noqa: T201


if __name__ == "__main__":
    main()
