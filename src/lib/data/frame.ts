import type { ImageRecord, Label, Split, Subtype } from "./types";

export interface CountRow {
  split: Split;
  label: Label;
  subtype: Subtype;
  count: number;
}

/**
 * Images per split × class × subtype, sorted by split (train, val, test), label and subtype.
 * @example
 * countRows(records); // [{split: "train", label: "NORMAL", subtype: "normal", count: 1341}, …]
 */
export function countRows(records: readonly ImageRecord[]): CountRow[] {
  const map = new Map<string, CountRow>();
  for (const r of records) {
    const key = `${r.split}|${r.label}|${r.subtype}`;
    const row = map.get(key) ?? { split: r.split, label: r.label, subtype: r.subtype, count: 0 };
    row.count++;
    map.set(key, row);
  }
  const order = (s: string, list: string[]): number => list.indexOf(s);
  return [...map.values()].sort(
    (a, b) =>
      order(a.split, ["train", "val", "test"]) - order(b.split, ["train", "val", "test"]) ||
      a.label.localeCompare(b.label) ||
      order(a.subtype, ["normal", "bacteria", "virus", "unknown"]) - order(b.subtype, ["normal", "bacteria", "virus", "unknown"]),
  );
}
