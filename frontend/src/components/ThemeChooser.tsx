import { useId, useMemo, useState } from "react";
import { useI18n } from "../i18n";
import { fold } from "../text";

/** A theme of a two-level tree, already labelled in the reader's language. */
export interface ThemeItem {
  id: string;
  parent_id: string | null;
  label: string;
}

/**
 * Which themes to list for a search: with no search, the top-level themes (their sub-themes open on
 * demand); with one, every theme whose label (or its parent's) contains it, top-level ones first.
 */
export function themesFor(themes: ThemeItem[], query: string, open: ReadonlySet<string>): ThemeItem[] {
  const roots = themes.filter((t) => !t.parent_id || !themes.some((p) => p.id === t.parent_id));
  const childrenOf = (id: string) => themes.filter((t) => t.parent_id === id);
  const q = fold(query.trim());
  if (!q) return roots.flatMap((r) => [r, ...(open.has(r.id) ? childrenOf(r.id) : [])]);
  const hit = (t: ThemeItem) => fold(t.label).includes(q);
  const rootHits = roots.filter(hit);
  const childHits = themes.filter((t) => !roots.includes(t) && (hit(t) || rootHits.some((r) => r.id === t.parent_id)));
  return [...rootHits, ...childHits];
}

/**
 * Pick a few themes from a long tree without showing all of it: chosen themes as chips (each removable),
 * a button that opens a search box and the top-level themes, each of which opens its sub-themes.
 * Closed, it takes a line or two, whatever the size of the tree.
 */
export function ThemeChooser({
  legend,
  themes,
  value,
  onChange,
  max = 10,
  describedBy,
  buttonId,
}: {
  legend: string;
  themes: ThemeItem[];
  value: string[];
  onChange: (ids: string[]) => void;
  max?: number;
  describedBy?: string;
  /** The id of the button that opens the list (where focus goes when the themes need correcting). */
  buttonId?: string;
}) {
  const { t } = useI18n();
  const uid = useId();
  const [expanded, setExpanded] = useState(false);
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState<Set<string>>(new Set());
  const byId = useMemo(() => new Map(themes.map((th) => [th.id, th])), [themes]);
  const listed = useMemo(() => themesFor(themes, query, open), [themes, query, open]);
  const hasChildren = (id: string) => themes.some((th) => th.parent_id === id);
  const chosen = new Set(value);
  const full = value.length >= max;
  const toggle = (id: string, on: boolean) => onChange(on ? [...value, id] : value.filter((x) => x !== id));
  const panel = `${uid}-panel`;

  return (
    <fieldset className="theme-chooser" aria-describedby={describedBy}>
      <legend>{legend}</legend>
      {value.length > 0 ? (
        <ul className="chips" aria-label={t("themes.chosen")}>
          {value.map((id) => {
            const th = byId.get(id);
            const parent = th?.parent_id ? byId.get(th.parent_id) : undefined;
            return (
              <li key={id} className="chip chip-removable">
                <span title={parent?.label}>{th?.label ?? "…"}</span>
                <button type="button" className="chip-remove" aria-label={t("themes.remove", { item: th?.label ?? "" })} onClick={() => toggle(id, false)}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted theme-none">{t("themes.none")}</p>
      )}
      <button type="button" id={buttonId} className="btn btn-small" aria-expanded={expanded} aria-controls={panel} onClick={() => setExpanded((e) => !e)}>
        {expanded ? t("themes.done") : t("themes.add")}
      </button>
      {expanded && (
        <div id={panel} className="theme-panel">
          <label className="visually-hidden" htmlFor={`${uid}-q`}>
            {t("themes.search")}
          </label>
          <input id={`${uid}-q`} type="search" placeholder={t("themes.search")} value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
          <p className="muted" aria-live="polite">
            {full ? t("themes.max", { n: max }) : t("themes.count", { n: value.length, max })}
          </p>
          {listed.length === 0 && <p className="muted">{t("themes.noMatch")}</p>}
          <ul className="theme-options">
            {listed.map((th) => {
              const sub = !!th.parent_id && byId.has(th.parent_id);
              const parent = sub ? byId.get(th.parent_id!) : undefined;
              return (
                <li key={th.id} className={sub ? "theme-sub" : "theme-root"}>
                  <label className="check">
                    <input type="checkbox" checked={chosen.has(th.id)} disabled={!chosen.has(th.id) && full} onChange={(e) => toggle(th.id, e.target.checked)} />{" "}
                    {sub ? th.label : <strong>{th.label}</strong>}
                    {sub && query.trim() && parent ? <span className="muted"> · {parent.label}</span> : null}
                  </label>
                  {!sub && !query.trim() && hasChildren(th.id) && (
                    <button
                      type="button"
                      className="btn btn-small btn-link"
                      aria-expanded={open.has(th.id)}
                      aria-label={t(open.has(th.id) ? "themes.hideSub" : "themes.showSub", { item: th.label })}
                      onClick={() =>
                        setOpen((o) => {
                          const next = new Set(o);
                          if (next.has(th.id)) next.delete(th.id);
                          else next.add(th.id);
                          return next;
                        })
                      }
                    >
                      {open.has(th.id) ? "−" : "+"}
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </fieldset>
  );
}
