import { useId } from "react";
import { useI18n } from "../i18n";

export interface Bar {
  key: string;
  label: string;
  value: number;
}

/**
 * Horizontal bars in plain SVG (no chart library). Mirrors in right-to-left languages.
 * Screen readers get the same numbers as a table.
 */
export function BarChart({ title, bars, unit }: { title: string; bars: Bar[]; unit?: string }) {
  const { dir, num, t } = useI18n();
  const id = useId();
  const rtl = dir === "rtl";
  const max = Math.max(1, ...bars.map((b) => b.value));
  const W = 560;
  const labelW = 230;
  const valueW = 56;
  const barArea = W - labelW - valueW;
  const rowH = 26;
  const H = Math.max(rowH, bars.length * rowH);
  const x = (pos: number, width = 0) => (rtl ? W - pos - width : pos);
  return (
    <figure className="chart" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>{title}</figcaption>
      {bars.length === 0 ? (
        <p className="empty">{t("state.noData")}</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-hidden="true" className="chart-svg">
            {bars.map((b, i) => {
              const w = Math.round((b.value / max) * barArea);
              const y = i * rowH;
              return (
                <g key={b.key}>
                  <text
                    x={x(labelW - 8)}
                    y={y + rowH / 2}
                    dominantBaseline="middle"
                    textAnchor={rtl ? "start" : "end"}
                    className="chart-label"
                  >
                    <title>{b.label}</title>
                    {b.label.length > 32 ? `${b.label.slice(0, 31)}…` : b.label}
                  </text>
                  <rect x={x(labelW, w)} y={y + 4} width={Math.max(w, b.value > 0 ? 2 : 0)} height={rowH - 8} rx={3} className="chart-bar" />
                  <text
                    x={x(labelW + w + 6)}
                    y={y + rowH / 2}
                    dominantBaseline="middle"
                    textAnchor={rtl ? "end" : "start"}
                    className="chart-value"
                  >
                    {num(b.value)}
                  </text>
                </g>
              );
            })}
          </svg>
          <table className="visually-hidden">
            <caption>{title}</caption>
            <tbody>
              {bars.map((b) => (
                <tr key={b.key}>
                  <th scope="row">{b.label}</th>
                  <td>
                    {num(b.value)}
                    {unit ? ` ${unit}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </figure>
  );
}
