"""What the browser tests and the screenshots share: Chromium from the distribution, driven by Playwright.

Playwright's own browser download is not available here, so it launches ``/usr/bin/chromium`` (the
``chromium`` package; ``.ci/run`` installs it). Tests skip with the reason when either is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

CHROMIUM = os.environ.get("TICKETFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install playwright)"
    if not os.path.exists(CHROMIUM) or not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TICKETFLOW_CHROMIUM)"
    return None
