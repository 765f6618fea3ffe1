import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import { I18nProvider } from "../i18n";
import { BarChart } from "./BarChart";
import { buildTree } from "./TagPicker";
import { ErrorBox, Pagination } from "./ui";
import type { Tag } from "../hooks";

const tag = (id: string, parent: string | null, position: number): Tag => ({
  id,
  slug: id,
  parent_id: parent,
  label_fr: `fr-${id}`,
  label_en: `en-${id}`,
  label_ar: `ar-${id}`,
  position,
  created_at: "",
  updated_at: "",
});

describe("BarChart", () => {
  const bars = [
    { key: "a", label: "Eau", value: 10 },
    { key: "b", label: "Déchets", value: 5 },
  ];
  it("draws one bar per value, proportional, with a table for screen readers", () => {
    const { container } = render(
      <I18nProvider initial="fr">
        <BarChart title="Besoins" bars={bars} />
      </I18nProvider>,
    );
    const rects = container.querySelectorAll("rect");
    expect(rects).toHaveLength(2);
    expect(Number(rects[0].getAttribute("width"))).toBe(2 * Number(rects[1].getAttribute("width")));
    expect(screen.getByRole("table", { hidden: true }).textContent).toContain("Déchets");
  });
  it("mirrors bars in Arabic", () => {
    const ltr = render(
      <I18nProvider initial="fr">
        <BarChart title="x" bars={bars} />
      </I18nProvider>,
    ).container.querySelector("rect")!;
    const rtl = render(
      <I18nProvider initial="ar">
        <BarChart title="x" bars={bars} />
      </I18nProvider>,
    ).container.querySelector("rect")!;
    const x = (r: Element) => Number(r.getAttribute("x"));
    const w = Number(ltr.getAttribute("width"));
    expect(x(rtl)).toBe(560 - x(ltr) - w);
    expect(document.documentElement.dir).toBe("rtl");
  });
  it("says when there is no data", () => {
    render(
      <I18nProvider initial="en">
        <BarChart title="x" bars={[]} />
      </I18nProvider>,
    );
    expect(screen.getByText("No data yet.")).toBeTruthy();
  });
});

describe("buildTree", () => {
  it("groups children under their parent in position order", () => {
    const tree = buildTree([tag("c2", "p", 2), tag("p", null, 0), tag("c1", "p", 1), tag("q", null, 1)]);
    expect(tree.map((n) => n.tag.id)).toEqual(["p", "q"]);
    expect(tree[0].children.map((c) => c.id)).toEqual(["c1", "c2"]);
  });
});

describe("ErrorBox", () => {
  it("shows a stale edit as the next step, in the person's language", () => {
    render(
      <I18nProvider initial="ar">
        <ErrorBox error={new ApiError(412, { type: "about:blank", title: "Precondition failed", status: 412, detail: "stale", errors: null })} />
      </I18nProvider>,
    );
    expect(screen.getByRole("alert").textContent).toContain("أعد تحميل الصفحة");
  });
  it("says a named problem in one sentence of the person's language, not the status's plus the API's English", () => {
    const problem = { type: "about:blank", title: "Conflict", status: 409, detail: "This event is done: it takes no registrations.", errors: null };
    render(
      <I18nProvider initial="ar">
        <ErrorBox error={new ApiError(409, { ...problem, code: "event_done", params: { status: "done" } })} />
      </I18nProvider>,
    );
    const text = screen.getByRole("alert").textContent ?? "";
    expect(text).toContain("انتهى هذا الحدث");
    expect(text).not.toContain("This event is done");
    expect(text).not.toContain("يوجد عنصر مطابق");
  });
  it("names the partners in Arabic in an Arabic sentence, in Latin letters in a French one", () => {
    const problem = { type: "about:blank", title: "Conflict", status: 409, detail: "Not dormant.", errors: null };
    const params = { french: "Marseille", lebanese: "Beyrouth", french_ar: "مرسيليا", lebanese_ar: "بيروت" };
    const error = new ApiError(409, { ...problem, code: "relaunch_not_dormant", params });
    const { unmount } = render(
      <I18nProvider initial="ar">
        <ErrorBox error={error} />
      </I18nProvider>,
    );
    const arabic = screen.getByRole("alert").querySelector("p.alert-title")!.textContent ?? "";
    expect(arabic).toContain("مرسيليا");
    expect(arabic).toContain("بيروت");
    expect(arabic).not.toContain("Marseille");
    unmount();
    render(
      <I18nProvider initial="fr">
        <ErrorBox error={error} />
      </I18nProvider>,
    );
    const french = screen.getByRole("alert").querySelector("p.alert-title")!.textContent ?? "";
    expect(french).toContain("Marseille");
    expect(french).not.toContain("مرسيليا");
  });
  it("says one sentence in the person's language; the API's English detail is folded away", () => {
    const problem = {
      type: "about:blank",
      title: "Conflict",
      status: 409,
      detail: "This event is done: it takes no registrations.",
      errors: [{ loc: ["body", "contact_id"], msg: "Field required" }],
    };
    const { container } = render(
      <I18nProvider initial="fr">
        <ErrorBox error={new ApiError(409, problem)} />
      </I18nProvider>,
    );
    const alert = screen.getByRole("alert");
    expect(alert.querySelectorAll("p.alert-title")).toHaveLength(1);
    const details = container.querySelector("details");
    expect(details).toBeTruthy();
    expect(details!.open).toBe(false);
    expect(details!.querySelector("summary")!.textContent).toBe("Détails techniques");
    expect(details!.textContent).toContain("This event is done");
    expect(details!.textContent).toContain("contact_id");
    // nothing in English outside the folded part
    const outside = [...alert.childNodes].filter((n) => n !== details).map((n) => n.textContent).join(" ");
    expect(outside).not.toContain("This event");
  });

  it("shows a network failure with a retry button", () => {
    render(
      <I18nProvider initial="fr">
        <ErrorBox error={new ApiError(0, null)} onRetry={() => {}} />
      </I18nProvider>,
    );
    expect(screen.getByRole("alert").textContent).toContain("Le serveur ne répond pas");
    expect(screen.getByRole("button", { name: "Réessayer" })).toBeTruthy();
  });
});

describe("Pagination", () => {
  it("shows the range and disables the way back on the first page", () => {
    render(
      <I18nProvider initial="en">
        <Pagination total={20000} limit={25} offset={0} onChange={() => {}} />
      </I18nProvider>,
    );
    expect(screen.getByText(/1–25 of 20,000/)).toBeTruthy();
    expect((screen.getByRole("button", { name: /Previous/ }) as HTMLButtonElement).disabled).toBe(true);
  });
});
