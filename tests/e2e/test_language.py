"""Language and direction (issue 21, items 12 and 15): the first visit speaks the browser's language,
and names written in another script are isolated from the page's direction."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def test_an_arabic_phone_opens_in_arabic_the_first_time(browser: Any, server: dict[str, Any]) -> None:
    phone = browser.new_context(
        base_url=server["base"], viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="ar-LB"
    )
    try:
        page = phone.new_page()
        page.goto("/")
        expect(page.get_by_label("البريد الإلكتروني")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        # A choice made on this device wins over the browser's language afterwards.
        page.get_by_label("اللغة").first.select_option("fr")
        page.reload()
        expect(page.get_by_label("Adresse e-mail")).to_be_visible()
    finally:
        phone.close()


def test_names_in_another_script_are_isolated(page: Any, server: dict[str, Any]) -> None:
    sign_in(page, server)
    page.goto("/collectivities?q=saida")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Saïda"))
    expect(row).to_have_count(1)
    arabic = row.locator('bdi[dir="auto"]', has_text="صيدا")
    expect(arabic).to_have_count(1)
    assert arabic.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    # The two names do not run together: a space between the French and the Arabic name.
    cell = row.get_by_role("cell").first
    assert "Saïda صيدا" in cell.inner_text().replace("\n", " ")
    expect(row.locator('bdi[dir="auto"]', has_text="Saïda")).to_have_count(1)
    shot(page, "directory-isolated-names")


def test_the_filtered_directory_exports_in_french(page: Any, server: dict[str, Any]) -> None:
    import io

    from openpyxl import load_workbook

    sign_in(page, server)
    page.goto("/collectivities?country=LB&q=saida")
    expect(page.get_by_role("link", name="Saïda")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter cette liste (Excel)").click()
    with open(info.value.path(), "rb") as f:
        ws = load_workbook(io.BytesIO(f.read())).active
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert {"Nom", "Nom arabe", "Pays", "Gouvernorat"} <= set(header)
    assert header.index("id") > header.index("Gouvernorat")  # ids in the last columns
    assert len(rows) == 2 and rows[1][header.index("Nom")] == "Saïda"  # the list's filter
    assert rows[1][header.index("Pays")] == "Liban"
