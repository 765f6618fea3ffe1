import { useMemo, useState } from "react";
import { fold } from "../text";
import { labelOf, useI18n } from "../i18n";
import { useTags, type Tag } from "../hooks";
import { ErrorBox, Loading } from "./ui";

export interface TagNode {
  tag: Tag;
  children: Tag[];
}

/** The theme tree (two levels) from the flat list, in `position` order. */
export function buildTree(tags: Tag[]): TagNode[] {
  const byPos = [...tags].sort((a, b) => a.position - b.position || a.slug.localeCompare(b.slug));
  const roots = byPos.filter((t) => !t.parent_id || !tags.some((p) => p.id === t.parent_id));
  return roots.map((r) => ({ tag: r, children: byPos.filter((t) => t.parent_id === r.id) }));
}

/**
 * Pick themes from the tree: one group of checkboxes per top-level theme; the top-level
 * theme itself can be picked too. A filter box narrows long trees.
 */
export function TagPicker({
  legend,
  value,
  onChange,
  error,
}: {
  legend: string;
  value: string[];
  onChange: (ids: string[]) => void;
  error?: string;
}) {
  const { t, lang } = useI18n();
  const tags = useTags();
  const [filter, setFilter] = useState("");
  const tree = useMemo(() => buildTree(tags.data ?? []), [tags.data]);
  const selected = new Set(value);
  const f = fold(filter);
  const matches = (tag: Tag) => !f || fold(`${tag.label_fr} ${tag.label_en} ${tag.label_ar} ${tag.slug}`).includes(f);
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    onChange([...next]);
  };
  if (tags.error) return <ErrorBox error={tags.error} onRetry={() => void tags.refetch()} />;
  if (!tags.data) return <Loading />;
  return (
    <fieldset className={`tag-picker${error ? " field-invalid" : ""}`}>
      <legend>{legend}</legend>
      <div className="tag-picker-tools">
        <label>
          <span className="visually-hidden">{t("tags.filter")}</span>
          <input
            type="search"
            placeholder={t("tags.filter")}
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        </label>
        <span className="muted" aria-live="polite">
          {t("tags.selected", { n: value.length })}
        </span>
      </div>
      <div className="tag-tree">
        {tree
          .filter((n) => matches(n.tag) || n.children.some(matches))
          .map((node) => (
            <fieldset key={node.tag.id} className="tag-group">
              <legend>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={selected.has(node.tag.id)}
                    onChange={(e) => toggle(node.tag.id, e.target.checked)}
                  />{" "}
                  <strong>{labelOf(node.tag, lang)}</strong>
                </label>
              </legend>
              <ul>
                {node.children
                  .filter((c) => matches(c) || matches(node.tag))
                  .map((c) => (
                    <li key={c.id}>
                      <label className="check">
                        <input type="checkbox" checked={selected.has(c.id)} onChange={(e) => toggle(c.id, e.target.checked)} />{" "}
                        {labelOf(c, lang)}
                      </label>
                    </li>
                  ))}
              </ul>
            </fieldset>
          ))}
      </div>
      {error && <p className="field-error">{error}</p>}
    </fieldset>
  );
}

/** Tag ids as labelled chips. */
export function TagList({ ids }: { ids: string[] }) {
  const { lang } = useI18n();
  const tags = useTags();
  if (!ids.length) return <span className="muted">—</span>;
  const byId = new Map((tags.data ?? []).map((t) => [t.id, t]));
  return (
    <ul className="chips">
      {ids.map((id) => (
        <li key={id} className="chip">
          {labelOf(byId.get(id), lang) || "…"}
        </li>
      ))}
    </ul>
  );
}

/** A <select> of themes (one level of indentation for children), valued by slug. */
export function TagSelect({ id, value, onChange, allLabel }: { id?: string; value: string; onChange: (slug: string) => void; allLabel: string }) {
  const { lang } = useI18n();
  const tags = useTags();
  const tree = buildTree(tags.data ?? []);
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{allLabel}</option>
      {tree.map((n) => (
        <optgroup key={n.tag.id} label={labelOf(n.tag, lang)}>
          <option value={n.tag.slug}>{labelOf(n.tag, lang)}</option>
          {n.children.map((c) => (
            <option key={c.id} value={c.slug}>
              {"\u00a0\u00a0"}
              {labelOf(c, lang)}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}
