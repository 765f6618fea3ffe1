"""The census: a coordinator's campaign, the public form filled in Arabic on a phone without an
account, and the answer waiting for review."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_app import api_token

pytestmark = pytest.mark.e2e


@pytest.fixture
def invitation(server: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_token(server)}"}
    with httpx.Client(base_url=server["base"], headers=headers) as client:
        campaign = client.post(
            "/api/v1/census/campaigns",
            json={
                "title": "Recensement 2026",
                "languages": ["ar", "fr", "en"],
                "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
        ).raise_for_status()
        issued = client.post(
            f"/api/v1/census/campaigns/{campaign.json()['id']}/invitations",
            json={"collectivity_ids": [server["ids"]["Saïda"]]},
        ).raise_for_status()
    item = issued.json()["items"][0]
    return {"campaign_id": campaign.json()["id"], "token": item["token"], "url": item["url"]}


PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "ar-LB"}


def test_census_form_in_arabic_then_review(browser, server, invitation):
    assert invitation["url"] == f"{server['base']}/census/{invitation['token']}"
    phone = browser.new_context(base_url=server["base"], **PHONE)
    form = phone.new_page()
    form.goto(f"/census/{invitation['token']}?lang=ar")
    html = form.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(form.get_by_role("heading", name="استبيان احتياجات السلطات المحلية اللبنانية")).to_be_visible()
    expect(form.get_by_text("صيدا", exact=True)).to_be_visible()
    form.get_by_label("الاسم الكامل").fill("محمد السعودي")
    form.get_by_label("الصفة").fill("رئيس البلدية")
    form.get_by_label("رقم الهاتف").fill("+961 7 123 456")
    form.get_by_role("checkbox", name=re.compile("^أوافق على أن يحتفظ فريق البرنامج ببياناتي")).check()
    form.get_by_role("checkbox", name="البيئة والمناخ والطاقة").first.check()
    form.get_by_role("button", name="إضافة حاجة").click()
    form.get_by_label("عنوان الحاجة").fill("محطة معالجة النفايات الصلبة")
    form.get_by_label("الوصف").fill("فرز النفايات وإعادة تدويرها لسكان المدينة")
    form.get_by_role("button", name="اختيار المواضيع").click()
    form.get_by_placeholder("البحث عن موضوع").fill("النفايات")
    form.get_by_role("checkbox", name="إدارة النفايات").check()
    form.get_by_role("button", name="إغلاق القائمة").click()
    expect(form.get_by_role("list", name="المواضيع المختارة")).to_have_text("إدارة النفايات×")
    form.get_by_label("الأولوية").select_option("high")
    form.get_by_label("الميزانية التقديرية (باليورو)").fill("٢٥٠٠٠٠")
    expect(form.get_by_text(re.compile(r"^القيمة المفهومة: 250.000 يورو$"))).to_be_visible()
    form.get_by_role("radio", name="نعم").check()
    form.get_by_label("السلطة المحلية الفرنسية الشريكة").fill("Nantes")
    form.get_by_label("منذ سنة").fill("٢٠٠٩")
    shot(form, "census-form-ar-phone")
    form.get_by_role("button", name="إرسال").click()
    expect(form.get_by_text("شكراً، تمّ تسجيل إجاباتكم.")).to_be_visible()
    # Fits a phone: nothing wider than the screen.
    assert form.evaluate("document.documentElement.scrollWidth") <= 360
    # Sending again updates the same answer (the need keeps its id).
    form.get_by_label("الصفة").fill("رئيس بلدية صيدا")
    form.get_by_role("button", name="إرسال").click()
    expect(form.get_by_text("شكراً، تمّ تسجيل إجاباتكم.")).to_be_visible()
    phone.close()

    page = browser.new_page(base_url=server["base"], viewport={"width": 1280, "height": 900}, locale="fr-FR")
    try:
        sign_in(page, server)
        page.goto(f"/census/campaigns/{invitation['campaign_id']}")
        expect(page.get_by_role("heading", name="Recensement 2026")).to_be_visible()
        expect(page.get_by_role("row", name="Liban-Sud 1 1 1 0")).to_be_visible()
        shot(page, "census-progress")
        # Saïda has no contact with an e-mail: the invitation says so, and the filter finds it.
        page.get_by_role("link", name="Invitations").click()
        expect(page.get_by_role("row", name=re.compile("Saïda")).get_by_text("Pas d’adresse")).to_be_visible()
        page.get_by_label("E-mail").select_option("mailed")
        expect(page.get_by_text("Aucune invitation.")).to_be_visible()
        page.get_by_label("E-mail").select_option("no_address")
        expect(page.get_by_role("row", name=re.compile("Saïda"))).to_be_visible()
        page.get_by_role("link", name="Réponses à examiner").click()
        page.get_by_role("link", name="Saïda").click()
        expect(page.get_by_text("محمد السعودي", exact=True)).to_be_visible()
        expect(page.get_by_text("رئيس بلدية صيدا")).to_be_visible()
        need = page.get_by_role("link", name="محطة معالجة النفايات الصلبة")
        expect(need).to_have_count(1)
        expect(page.get_by_text("Brouillon", exact=True)).to_be_visible()
        shot(page, "census-review")
        expect(page.get_by_text("Oui (coché sur le formulaire)")).to_be_visible()
        expect(
            page.get_by_role("checkbox", name="Ajouter محمد السعودي aux contacts de la collectivité")
        ).to_be_checked()
        page.get_by_role("button", name="Valider la réponse").click()
        expect(page.get_by_role("status").filter(has_text="Validée par")).to_be_visible()
        expect(page.get_by_role("link", name="La personne est un contact de la collectivité.")).to_be_visible()
        expect(page.get_by_text("1 partenariat(s) en sommeil créé(s) à la validation.")).to_be_visible()
        # The need is open now, with the census as its source.
        page.goto("/needs?status=open&q=معالجة")
        expect(page.get_by_role("link", name="محطة معالجة النفايات الصلبة")).to_be_visible()
    finally:
        page.close()


def test_census_form_errors_numbers_and_height_on_a_phone(browser, server, invitation):
    """Issue 21 (items 7–9): errors by their field in Arabic with the focus there, numbers typed with
    Arabic-Indic digits, spaces and a euro sign, and two needs that fit in a few screens."""
    phone = browser.new_context(base_url=server["base"], **PHONE)
    form = phone.new_page()
    errors: list[str] = []
    form.on("pageerror", lambda e: errors.append(str(e)))
    form.goto(f"/census/{invitation['token']}?lang=ar")
    form.get_by_label("البريد الإلكتروني").fill("mohamad@")
    form.get_by_role("button", name="إضافة حاجة").click()
    form.get_by_role("button", name="إضافة حاجة").click()
    # Two needs (and the priorities, contact, former partners) in a few screens, not ~6,200 px.
    height = form.evaluate("document.documentElement.scrollHeight")
    assert height < 3300, height  # 2,963 px at 360 px wide (issue: ~6,200 px at 390)
    form.get_by_role("button", name="إرسال").click()
    name = form.get_by_label("الاسم الكامل")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    box = name.bounding_box()
    assert box is not None and 0 <= box["y"] <= 740 - box["height"], box
    expect(form.get_by_text("اكتبوا الاسم الكامل.")).to_be_visible()
    expect(form.get_by_text("عنوان البريد الإلكتروني غير صالح (مثال: name@example.org).")).to_be_visible()
    expect(form.get_by_text("اكتبوا عنواناً لهذه الحاجة.")).to_have_count(2)
    assert "value is not a valid" not in form.content() and "String should" not in form.content()
    shot(form, "census-form-ar-phone-errors")

    name.fill("ريما حداد")
    form.get_by_label("البريد الإلكتروني").fill("rima@example.org")
    form.get_by_label("عنوان الحاجة").nth(0).fill("إنارة الشوارع بالطاقة الشمسية")
    form.get_by_label("الميزانية التقديرية (باليورو)").nth(0).fill("15 000 €")
    form.get_by_label("عنوان الحاجة").nth(1).fill("حافلات مدرسية")
    form.get_by_label("الميزانية التقديرية (باليورو)").nth(1).fill("۱۲۰٬۰۰۰")
    expect(form.get_by_text(re.compile(r"^القيمة المفهومة: 120.000 يورو$"))).to_be_visible()
    form.get_by_role("button", name="إرسال").click()
    expect(form.get_by_text("شكراً، تمّ تسجيل إجاباتكم.")).to_be_visible()
    phone.close()
    assert not errors, errors

    headers = {"Authorization": f"Bearer {api_token(server)}"}
    with httpx.Client(base_url=server["base"], headers=headers) as client:
        listed = client.get("/api/v1/census/responses", params={"campaign_id": invitation["campaign_id"]}).json()
        detail = client.get(f"/api/v1/census/responses/{listed['items'][0]['id']}").json()
    assert [n["estimated_budget_eur"] for n in detail["needs"]] == [15000, 120000]


def test_campaign_titles_per_language_reach_the_arabic_form(browser, page, server):
    """Issue 21 (item 10): the coordinator gives the campaign an Arabic title; the Arabic form shows it."""
    sign_in(page, server)
    page.goto("/census")
    page.get_by_text("Nouvelle campagne").click()
    page.get_by_label("Titre (Français)").fill("Recensement des besoins 2027")
    page.get_by_label("Titre (العربية)").fill("استبيان الاحتياجات 2027")
    page.get_by_label("Description (العربية)").fill("ساعدونا على معرفة احتياجات بلديتكم.")
    page.get_by_label("Date de clôture").fill((datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d"))
    expect(page.get_by_label("Fuseau horaire de la campagne")).to_have_value("Asia/Beirut")
    page.get_by_role("button", name="Créer la campagne").click()
    expect(page.get_by_role("heading", name="Recensement des besoins 2027")).to_be_visible()
    expect(page.get_by_text("استبيان الاحتياجات 2027")).to_be_visible()
    campaign_id = page.url.rsplit("/", 1)[1].split("?")[0]
    headers = {"Authorization": f"Bearer {api_token(server)}"}
    with httpx.Client(base_url=server["base"], headers=headers) as client:
        campaign = client.get(f"/api/v1/census/campaigns/{campaign_id}").json()
        issued = client.post(
            f"/api/v1/census/campaigns/{campaign_id}/invitations", json={"collectivity_ids": [server["ids"]["Saïda"]]}
        ).json()
    # 23:59 in Beirut, whatever the browser's zone.
    assert campaign["closes_at"].endswith(("21:59:00Z", "20:59:00Z")), campaign["closes_at"]
    phone = browser.new_context(base_url=server["base"], **PHONE)
    form = phone.new_page()
    form.goto(f"/census/{issued['items'][0]['token']}?lang=ar")
    expect(form.get_by_text("استبيان الاحتياجات 2027")).to_be_visible()
    expect(form.get_by_text("ساعدونا على معرفة احتياجات بلديتكم.")).to_be_visible()
    expect(form.get_by_text("Recensement des besoins 2027")).to_have_count(0)
    phone.close()
