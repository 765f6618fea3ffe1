import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { I18nProvider, type Lang } from "../i18n";
import { SystemNoteText, type Note } from "./SystemNote";

const shown = (note: Note, lang: Lang) => {
  const { container } = render(
    <I18nProvider initial={lang}>
      <p>
        <SystemNoteText note={note} />
      </p>
    </I18nProvider>,
  );
  return container.querySelector("p")!;
};

describe("SystemNoteText", () => {
  const census: Note = {
    key: "partnership_census",
    params: { campaign: "Recensement 2026", campaign_en: "2026 census", campaign_ar: "استبيان 2026", campaign_id: "c1" },
    text: "Déclaré lors de la campagne de recensement « Recensement 2026 ».",
  };
  it("says the key in the reader's language, the campaign's title in that language, isolated", () => {
    const ar = shown(census, "ar");
    expect(ar.textContent).toBe("شراكة مُعلنة في حملة الإحصاء «استبيان 2026».");
    expect(ar.querySelector("bdi")?.textContent).toBe("استبيان 2026");
    expect(shown(census, "en").textContent).toBe("Declared in the census campaign “2026 census”.");
    expect(shown({ ...census, params: { campaign: "Recensement 2026" } }, "en").textContent).toBe(
      "Declared in the census campaign “Recensement 2026”.",
    );
  });
  it("chooses the plural of the days and the French side's Arabic name", () => {
    const note: Note = { key: "expired_replaced", params: { days: 14, french: "Lyon", french_ar: "ليون" }, text: "" };
    expect(shown(note, "ar").textContent).toContain("خلال 14 يوماً");
    expect(shown(note, "ar").textContent).toContain("على ليون");
    expect(shown({ ...note, params: { days: 1, french: "Lyon" } }, "en").textContent).toBe(
      "Not answered within 1 day, reminded once: expired automatically. Its place is proposed to Lyon.",
    );
  });
  it("shows a meeting in the event's time zone", () => {
    const note: Note = {
      key: "meeting_scheduled",
      params: { event: "Mission Beyrouth", starts_at: "2030-05-12T06:00:00+00:00", timezone: "Asia/Beirut", table: "Table 2" },
      text: "",
    };
    expect(shown(note, "fr").textContent).toMatch(/^Mission Beyrouth : rendez-vous le 12 mai 2030.* 09:00 \(Asia\/Beirut\), Table 2\.$/);
  });
});
