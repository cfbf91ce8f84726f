"""Each demo in a real headless Chromium: it renders, every slider re-renders its plot, and nothing on the page is an
error. Run by ``make test-browser`` (marker ``browser``; excluded from ``make test``).

The browser is Debian's ``chromium`` (``$CHROMIUM`` or on PATH), driven by Playwright's Python API through
``executable_path``: no browser download. One ``marimo run demos`` server serves every ``demos/*.py``. For each demo the
test waits for the first plot, then moves each slider one step right (left at its end), waits for the plot's image to
change and records how long that took; it fails if a plot does not change or the page shows an error. After the first
slider it saves a screenshot to ``figures/demos/<name>.png`` (the README's Teaching section); the latencies go to
``figures/demos/browser.json``. ``make test-browser`` fills the result caches first (``demos/_warm.py``), so the
latencies are those of a served demo, not of a first compilation.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install -e '.[browser]'")
pytest.importorskip("marimo", reason="needs marimo: pip install -e '.[browser]'")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "demos").glob("*.py") if not p.name.startswith("_"))
SHOTS = ROOT / "figures" / "demos"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
PLOT = "img[src^='data:image/png']"  # marimo renders a matplotlib figure as an inline PNG
ERROR_TEXT = ("Traceback", "An internal error occurred", "This cell raised an exception", "has no attribute")
FIRST_RENDER_S = 300  # a cold result cache may simulate on first render
RERENDER_S = 120  # generous: the check is that it changes; the latency is recorded, not asserted
RESULTS: dict = {}
# true once the plots' sources differ from ``before`` (searching open shadow roots too, as Playwright's locators do)
CHANGED = """([sel, before]) => {
  const deep = (root) => [...root.querySelectorAll(sel)].concat(
      ...[...root.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => deep(e.shadowRoot)));
  const now = deep(document).map(i => i.getAttribute('src'));
  return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "marimo", "run", str(ROOT / "demos"), "--headless", "--host",
                             "127.0.0.1", "--port", str(port), "--no-token"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("marimo run exited")
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("needs Debian's chromium: apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "browser.json").write_text(json.dumps(RESULTS, indent=1) + "\n")


def _errors(page) -> list[str]:
    text = page.inner_text("body")
    return [e for e in ERROR_TEXT if e in text]


def _plots(page) -> list[str]:
    return [img.get_attribute("src") for img in page.locator(PLOT).all()]


def _move(page, slider) -> str:
    """One keyboard step right (left at the end); returns the direction."""
    at_end = slider.get_attribute("aria-valuenow") == slider.get_attribute("aria-valuemax")
    slider.focus()
    key = "ArrowLeft" if at_end else "ArrowRight"
    page.keyboard.press(key)
    return key


def _settle(page, seconds=1.0, timeout=RERENDER_S):
    """Wait until the plots stop changing for ``seconds``."""
    last, since, end = _plots(page), time.perf_counter(), time.perf_counter() + timeout
    while time.perf_counter() < end:
        time.sleep(0.1)
        now = _plots(page)
        if now != last:
            last, since = now, time.perf_counter()
        elif time.perf_counter() - since >= seconds:
            return


def _shrink(path: Path, width: int = 900) -> None:
    """Downscale and palettise the screenshot so the committed PNG stays small."""
    from PIL import Image

    im = Image.open(path).convert("RGB")
    im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    im.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_demo_in_browser(server, browser, path):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{server}/?file={path.name}")
    start = time.perf_counter()
    page.wait_for_selector(PLOT, timeout=FIRST_RENDER_S * 1000)
    _settle(page)
    record = {"first_render_s": round(time.perf_counter() - start, 2), "sliders": []}
    assert not _errors(page), f"{path.name} shows an error on load: {_errors(page)}"
    sliders = page.locator("[role=slider]").all()
    assert sliders, f"{path.name} has no slider"
    for k, slider in enumerate(sliders):
        before = _plots(page)
        key = _move(page, slider)
        t0 = time.perf_counter()
        page.wait_for_function(CHANGED, arg=[PLOT, before], timeout=RERENDER_S * 1000, polling=50)
        latency = time.perf_counter() - t0
        _settle(page)
        label = slider.evaluate("el => el.closest('.marimo-slider, label, div')?.innerText ?? ''")
        record["sliders"].append({"slider": k, "key": key, "value": slider.get_attribute("aria-valuenow"),
                                  "label": label.strip()[:60], "latency_s": round(latency, 3)})
        assert not _errors(page), f"{path.name}: error after moving slider {k}: {_errors(page)}"
        assert _plots(page) != before, f"{path.name}: slider {k} did not change the plot"
        if k == 0:
            SHOTS.mkdir(parents=True, exist_ok=True)
            shot = SHOTS / f"{path.stem}.png"
            page.screenshot(path=str(shot), full_page=True)
            _shrink(shot)
    RESULTS[path.stem] = record
    page.close()
