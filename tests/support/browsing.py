"""Waiting in a real browser for what a navigation brings."""
from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait


def until(browser, condition, seconds: float = 10):
    """Wait for ``condition(browser)`` to be truthy and return it.

    While a click's navigation swaps the old document for the new one, reading an element can fail
    as missing, as stale, or as Chromium's "Node with given id does not belong to the document"
    (a plain WebDriverException): each is the navigation still under way, so the wait tries again.
    If the condition never holds, the wait times out and the test fails."""
    return WebDriverWait(browser, seconds, ignored_exceptions=(WebDriverException,)).until(condition)
