import { useI18n } from "../i18n";

/**
 * A filter's <select>: "all" (the empty value) first, then one option per value, in the order given, labelled in
 * the person's language. Spread a Field's props on it: `{(p) => <EnumSelect {...p} … />}`.
 */
export function EnumSelect<V extends string | number>({
  value,
  values,
  label,
  onChange,
  allLabel,
  ...control
}: {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
  value: string | number;
  values: readonly V[];
  label: (value: V) => string;
  onChange: (value: string) => void;
  /** The empty choice's label ("All" by default). */
  allLabel?: string;
}) {
  const { t } = useI18n();
  return (
    <select {...control} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{allLabel ?? t("filter.all")}</option>
      {values.map((v) => (
        <option key={v} value={v}>
          {label(v)}
        </option>
      ))}
    </select>
  );
}
