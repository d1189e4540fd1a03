"""Real-browser tests: Playwright's Python client driving Debian's chromium."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls that build test
# data here are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # A browser set up in Chinese, as the platform's users' are.
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("header .who")).to_have_text(username)


def log_out(page) -> None:
    page.click("header .account button[type=submit]")
    expect(page.locator("header .who")).to_have_count(0)


def fill_code(page, code: str) -> None:
    """Type the job's code into the form's code editor (CodeMirror over #id_code)."""
    page.locator("[data-editor-for='id_code']").evaluate(
        "(el, code) => el.CodeMirror.setValue(code)", code
    )
