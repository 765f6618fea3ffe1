import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n";

const FORM = {
  campaign: { title: "Recensement 2026", description: "", closes_at: "2030-01-01T00:00:00Z", languages: ["ar", "fr", "en"] },
  collectivity: { name: "Saïda", name_ar: "صيدا", governorate: "LB-JA" },
  language: "ar",
  direction: "rtl",
  labels: {
    title: "استبيان",
    intro: "مقدمة",
    closes_on: "تاريخ الإغلاق",
    contact_section: "الشخص المسؤول عن التواصل",
    contact_full_name: "الاسم الكامل",
    contact_role: "الصفة",
    contact_email: "البريد الإلكتروني",
    contact_phone: "رقم الهاتف",
    priorities_section: "الأولويات",
    priorities_help: "",
    needs_section: "الاحتياجات",
    needs_help: "",
    need_add: "إضافة حاجة",
    need_remove: "حذف",
    need_title: "عنوان الحاجة",
    need_description: "الوصف",
    need_themes: "المواضيع",
    need_priority: "الأولوية",
    need_budget: "الميزانية",
    former_section: "الشراكات السابقة",
    former_question: "هل؟",
    former_name: "الشريك",
    former_since: "منذ",
    former_until: "حتى",
    yes: "نعم",
    no: "لا",
    submit: "إرسال",
    resubmit_note: "",
    thanks: "شكراً",
    reviewed: "تمت المراجعة",
    invalid_link: "",
  },
  themes: [
    { id: "t1", slug: "env", parent_id: null, label: "البيئة" },
    { id: "t2", slug: "waste", parent_id: "t1", label: "النفايات" },
  ],
  priorities: [
    { value: "high", label: "عالية" },
    { value: "medium", label: "متوسطة" },
  ],
  status: "not_submitted",
  editable: true,
  submitted_at: null,
  answer: null,
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("public census form", () => {
  let calls: Request[];
  beforeEach(() => {
    calls = [];
    window.history.replaceState(null, "", "/census/tok?lang=ar");
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        calls.push(input);
        if (input.method === "PUT") {
          const answer = await input.clone().json();
          return json({ status: "submitted", submitted_at: "2026-01-01T00:00:00Z", answer }, 201);
        }
        return json(FORM);
      }),
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows the form in Arabic, right to left, and sends the answer", async () => {
    const { default: CensusForm } = await import("./CensusForm");
    render(
      <I18nProvider initial="fr">
        <CensusForm params={{ token: "tok" }} />
      </I18nProvider>,
    );
    expect(await screen.findByRole("heading", { name: "استبيان" })).toBeTruthy();
    expect(document.documentElement.dir).toBe("rtl");
    expect(screen.getByText("صيدا")).toBeTruthy();
    expect(new URL(calls[0].url).searchParams.get("lang")).toBe("ar");

    fireEvent.change(screen.getByLabelText(/الاسم الكامل/), { target: { value: "محمد" } });
    fireEvent.click(screen.getByRole("checkbox", { name: "البيئة" }));
    fireEvent.click(screen.getByRole("button", { name: /إضافة حاجة/ }));
    fireEvent.change(screen.getByLabelText(/عنوان الحاجة/), { target: { value: "مياه الشرب" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "إرسال" }));
    });
    await waitFor(() => expect(screen.getByText("شكراً")).toBeTruthy());
    const put = calls.find((c) => c.method === "PUT")!;
    expect(new URL(put.url).pathname).toBe("/api/v1/census/forms/tok");
    const body = await put.clone().json();
    expect(body.contact.full_name).toBe("محمد");
    expect(body.priorities).toEqual(["t1"]);
    expect(body.needs).toEqual([{ title: "مياه الشرب", description: "", tag_ids: [], priority: "medium", estimated_budget_eur: null }]);
    expect(body.former_partners).toEqual([]);
    expect(body.language).toBe("ar");
  });

  it("says the link is invalid, in the link's language, on a 404", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json({ type: "about:blank", title: "Not found", status: 404, detail: null }, 404)));
    const { default: CensusForm } = await import("./CensusForm");
    render(
      <I18nProvider initial="fr">
        <CensusForm params={{ token: "bad" }} />
      </I18nProvider>,
    );
    expect((await screen.findByRole("alert")).textContent).toContain("هذا الرابط غير صالح");
  });
});
