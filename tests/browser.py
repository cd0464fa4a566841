"""Open a local HTML file in a real headless Chromium (Debian's ``chromium`` package) driven by
Playwright, and report what a reader would see: console messages, failed images, requests that
left the file, dialogs, and whether a script from the page's text ran.

Playwright's own browser downloads are not used: the executable is the system's. A test that
needs it skips when it is missing, except under CI (``CI=true``), where it fails instead.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: what a page's hostile text would set if it ever ran as script
PWNED = "window.__pwned"


def chromium_path() -> str | None:
    """The system Chromium: $CHROMIUM, else /usr/bin/chromium, else one on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


def require_browser() -> str:
    """The Chromium executable, with Playwright importable; skip (fail under CI) otherwise."""
    why = None
    path = chromium_path()
    if path is None:
        why = "no chromium executable (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "playwright is not installed (pip install -e '.[dev]')"
    if why is None:
        return str(path)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test cannot run in CI: {why}")
    pytest.skip(why)


@dataclass
class PageView:
    """What one page load showed."""

    title: str = ""
    text: str = ""
    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    #: (alt, naturalWidth, naturalHeight) of every <img>
    images: list[tuple[str, int, int]] = field(default_factory=list)
    script_ran: bool = False

    @property
    def errors(self) -> list[str]:
        return [f"console {kind}: {text}" for kind, text in self.console
                if kind in ("error", "warning")] + self.page_errors


def view(path: Path, screenshot: Path | None = None, executable: str | None = None,
         ) -> PageView:
    """Load ``path`` (file://) in headless Chromium and collect a :class:`PageView`."""
    from playwright.sync_api import sync_playwright

    seen = PageView()
    url = path.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable or require_browser(), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: seen.console.append((m.type, m.text)))
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))

            def dialog(d: Any) -> None:
                seen.dialogs.append(d.message)
                d.dismiss()

            page.on("dialog", dialog)

            def route(r: Any) -> None:
                if r.request.url == url or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    seen.outside_requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            seen.title = page.title()
            seen.text = page.inner_text("body")
            seen.images = [tuple(x) for x in page.eval_on_selector_all(
                "img", "els => els.map(e => [e.alt, e.naturalWidth, e.naturalHeight])")]
            seen.script_ran = bool(page.evaluate(f"typeof {PWNED} !== 'undefined'"))
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return seen
