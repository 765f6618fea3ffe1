import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n";
import { QueryProvider } from "../api/query";

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
        <QueryProvider>
          <CensusForm params={{ token: "tok" }} />
        </QueryProvider>
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
        <QueryProvider>
          <CensusForm params={{ token: "bad" }} />
        </QueryProvider>
      </I18nProvider>,
    );
    expect((await screen.findByRole("alert")).textContent).toContain("هذا الرابط غير صالح");
  });

  async function renderForm() {
    const { default: CensusForm } = await import("./CensusForm");
    render(
      <I18nProvider initial="fr">
        <QueryProvider>
          <CensusForm params={{ token: "tok" }} />
        </QueryProvider>
      </I18nProvider>,
    );
    await screen.findByRole("heading", { name: "استبيان" });
  }
  const send = async () => {
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "إرسال" }));
    });
  };

  it("puts each error next to its field, in Arabic, and moves the focus to the first one", async () => {
    await renderForm();
    fireEvent.change(screen.getByLabelText(/البريد الإلكتروني/), { target: { value: "not-an-address" } });
    fireEvent.click(screen.getByRole("button", { name: /إضافة حاجة/ }));
    await send();
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
    const name = screen.getByLabelText(/الاسم الكامل/);
    expect(document.activeElement).toBe(name);
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(name.getAttribute("aria-describedby")!.split(" ")[0])!.textContent).toBe("اكتبوا الاسم الكامل.");
    const email = screen.getByLabelText(/البريد الإلكتروني/);
    expect(document.getElementById(email.getAttribute("aria-describedby")!.split(" ")[0])!.textContent).toContain("غير صالح");
    const title = screen.getByLabelText(/عنوان الحاجة/);
    expect(document.getElementById(title.getAttribute("aria-describedby")!.split(" ")[0])!.textContent).toBe("اكتبوا عنواناً لهذه الحاجة.");
    expect(screen.getByRole("alert").textContent).toContain("3");
    // Typing clears the field's message.
    fireEvent.change(name, { target: { value: "محمد" } });
    expect(name.getAttribute("aria-invalid")).toBeNull();
  });

  it("places the API's field errors on their fields, in the form's language, not in English at the top", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: Request) => {
        calls.push(input);
        if (input.method === "PUT")
          return json(
            {
              type: "about:blank",
              title: "Unprocessable",
              status: 422,
              detail: "Invalid input",
              errors: [{ loc: ["body", "needs", 0, "estimated_budget_eur"], msg: "Input should be less than or equal to 1000000000" }],
            },
            422,
          );
        return json(FORM);
      }),
    );
    await renderForm();
    fireEvent.change(screen.getByLabelText(/الاسم الكامل/), { target: { value: "محمد" } });
    fireEvent.click(screen.getByRole("button", { name: /إضافة حاجة/ }));
    fireEvent.change(screen.getByLabelText(/عنوان الحاجة/), { target: { value: "مياه" } });
    fireEvent.change(screen.getByLabelText(/الميزانية/), { target: { value: "5" } });
    await send();
    const budget = screen.getByLabelText(/الميزانية/);
    await waitFor(() => expect(document.activeElement).toBe(budget));
    expect(budget.getAttribute("aria-invalid")).toBe("true");
    expect(document.body.textContent).toContain("اكتبوا مبلغاً باليورو");
    expect(document.body.textContent).not.toContain("less than or equal");
    expect(document.body.textContent).not.toContain("estimated_budget_eur");
  });

  it("reads Arabic-Indic digits, spaces and a euro sign, and says what it understood", async () => {
    await renderForm();
    fireEvent.change(screen.getByLabelText(/الاسم الكامل/), { target: { value: "محمد" } });
    fireEvent.click(screen.getByRole("button", { name: /إضافة حاجة/ }));
    fireEvent.change(screen.getByLabelText(/عنوان الحاجة/), { target: { value: "مياه" } });
    fireEvent.change(screen.getByLabelText(/الميزانية/), { target: { value: "٢٥٠٠٠٠" } });
    expect(screen.getByLabelText(/الميزانية/)).toHaveProperty("value", "٢٥٠٠٠٠");
    expect(screen.getByText(/^القيمة المفهومة: 250.000 يورو$/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: /إضافة حاجة/ }));
    fireEvent.change(screen.getAllByLabelText(/عنوان الحاجة/)[1], { target: { value: "طرقات" } });
    fireEvent.change(screen.getAllByLabelText(/الميزانية/)[1], { target: { value: "120\u202f000 €" } });
    fireEvent.click(screen.getByRole("radio", { name: "نعم" }));
    fireEvent.change(screen.getByLabelText("الشريك"), { target: { value: "Nantes" } });
    fireEvent.change(screen.getByLabelText("منذ"), { target: { value: "٢٠١٠" } });
    expect(screen.getByText("القيمة المفهومة: 2010")).toBeTruthy();
    await send();
    await waitFor(() => expect(screen.getByText("شكراً")).toBeTruthy());
    const body = await calls.find((c) => c.method === "PUT")!.clone().json();
    expect(body.needs.map((n: { estimated_budget_eur: number }) => n.estimated_budget_eur)).toEqual([250000, 120000]);
    expect(body.former_partners).toEqual([{ name: "Nantes", since_year: 2010, until_year: null }]);
  });

  it("chooses a need's themes from a search, shown as chips, without listing the whole tree", async () => {
    await renderForm();
    fireEvent.click(screen.getByRole("button", { name: /إضافة حاجة/ }));
    // Closed: no theme checkbox for the need at all (only the priorities' top-level ones).
    expect(screen.queryByRole("checkbox", { name: "النفايات" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "اختيار المواضيع" }));
    // Open without a search: top-level themes only.
    expect(screen.queryByRole("checkbox", { name: "النفايات" })).toBeNull();
    fireEvent.change(screen.getByPlaceholderText("البحث عن موضوع"), { target: { value: "نفايات" } });
    fireEvent.click(screen.getByRole("checkbox", { name: /النفايات/ }));
    const chips = screen.getByRole("list", { name: "المواضيع المختارة" });
    expect(chips.textContent).toContain("النفايات");
    fireEvent.change(screen.getByLabelText(/الاسم الكامل/), { target: { value: "محمد" } });
    fireEvent.change(screen.getByLabelText(/عنوان الحاجة/), { target: { value: "مياه" } });
    await send();
    await waitFor(() => expect(screen.getByText("شكراً")).toBeTruthy());
    const body = await calls.find((c) => c.method === "PUT")!.clone().json();
    expect(body.needs[0].tag_ids).toEqual(["t2"]);
    // A chip removes its theme.
    fireEvent.click(screen.getByRole("button", { name: "إزالة «النفايات»" }));
    expect(screen.queryByRole("list", { name: "المواضيع المختارة" })).toBeNull();
  });
});

