import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type KeyboardEvent } from "react";
import { api, unwrap } from "../api/client";
import { fetchCollectivity, rememberCollectivities, useDebounced, type Collectivity } from "../hooks";
import { useI18n } from "../i18n";
import { Bdi } from "./ui";

export function collectivityName(c: Collectivity | null | undefined, lang: string): string {
  if (!c) return "…";
  return lang === "ar" && c.name_ar ? c.name_ar : c.name;
}

/**
 * Choose one collectivity by typing part of its name (server-side search, forgiving accents):
 * an ARIA combobox with a listbox of up to 10 matches; arrows, Enter and Escape work.
 */
export function CollectivityPicker({
  id,
  value,
  onChange,
  country,
  describedBy,
  invalid,
}: {
  id: string;
  value: string | null;
  onChange: (id: string | null, c: Collectivity | null) => void;
  country?: "FR" | "LB";
  describedBy?: string;
  invalid?: boolean;
}) {
  const { t, lang, tv } = useI18n();
  const listId = useId();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const q = useDebounced(text, 200);
  const qc = useQueryClient();

  // Show the chosen collectivity's name in the box.
  useEffect(() => {
    let live = true;
    if (value) {
      fetchCollectivity(qc, value).then(
        (c) => {
          if (live) setText(collectivityName(c, lang));
        },
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [value, lang, qc]);

  const results = useQuery({
    queryKey: ["collectivities", "CollectivityPicker.results", q, open, country],
    queryFn: async ({ signal }) => {
      if (!open || q.trim().length < 1) return [] as Collectivity[];
      const page = await unwrap(
        api.GET("/api/v1/collectivities", { params: { query: { q, country, limit: 10 } }, signal }),
      );
      rememberCollectivities(qc, page.items);
      return page.items;
    },
  });
  const items = results.data ?? [];

  const choose = (c: Collectivity) => {
    onChange(c.id, c);
    setText(collectivityName(c, lang));
    setOpen(false);
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, Math.max(0, items.length - 1)));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter" && open && items[active]) {
      e.preventDefault();
      choose(items[active]);
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  };

  const expanded = open && q.trim().length > 0;
  return (
    <div className="combobox">
      <input
        id={id}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && items[active] ? `${listId}-${active}` : undefined}
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        placeholder={t("picker.collectivity.placeholder")}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(0);
          if (value) onChange(null, null);
        }}
        onKeyDown={onKey}
        onFocus={() => text && setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      {expanded && (
        <ul id={listId} role="listbox" className="combobox-list">
          {results.isFetching && items.length === 0 && <li className="muted">{t("state.loading")}</li>}
          {!results.isFetching && items.length === 0 && <li className="muted">{t("picker.collectivity.none")}</li>}
          {items.map((c, i) => (
            <li
              key={c.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(c);
              }}
            >
              <span><Bdi>{collectivityName(c, lang)}</Bdi></span>{" "}
              <small className="muted">
                {tv("country", c.country)} · {tv("kind", c.kind)}
              </small>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
