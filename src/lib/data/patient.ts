import type { Label, Subtype } from "./types";

/** What a file name says about its patient and pneumonia subtype. */
export interface ParsedName {
  patientId: string;
  subtype: Subtype;
  /** Which naming rule matched (`person`, `IM`, `NORMAL2-IM`), or `file` when none did. */
  rule: "person" | "IM" | "NORMAL2-IM" | "file";
}

const PERSON = /^person(\d+)_(bacteria|virus)_/i;
const NORMAL2_IM = /^NORMAL2-IM-(\d+)-/i;
const IM = /^IM-(\d+)-/i;

/**
 * Parse the patient id and subtype from a Kermany / Kaggle chest X-ray file name.
 *
 * Rules (the grouping key is the prefix with the patient number and without the subtype,
 * because `person<P>` numbers are shared between the bacteria and virus series):
 * - `person<P>_bacteria_<I>.jpeg`, `person<P>_virus_<I>[_k].jpeg` → `person<P>`, subtype from the name;
 * - `NORMAL2-IM-<P>-<S>[-k].jpeg` → `NORMAL2-IM-<P>`, normal;
 * - `IM-<P>-<S>[-k].jpeg` → `IM-<P>`, normal;
 * - anything else → the file name without extension is its own patient (no grouping is possible),
 *   subtype `normal` for NORMAL, `unknown` for PNEUMONIA.
 * The patient number keeps its digits as written (`IM-0115`).
 *
 * @example
 * parsePatientId("person12_virus_45.jpeg", "PNEUMONIA"); // {patientId: "person12", subtype: "virus", rule: "person"}
 * parsePatientId("NORMAL2-IM-1427-0001.jpeg", "NORMAL");  // {patientId: "NORMAL2-IM-1427", subtype: "normal", rule: "NORMAL2-IM"}
 */
export function parsePatientId(fileName: string, label: Label): ParsedName {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const person = PERSON.exec(base);
  if (person) {
    return { patientId: `person${person[1]}`, subtype: person[2].toLowerCase() as Subtype, rule: "person" };
  }
  const normal2 = NORMAL2_IM.exec(base);
  if (normal2) return { patientId: `NORMAL2-IM-${normal2[1]}`, subtype: "normal", rule: "NORMAL2-IM" };
  const im = IM.exec(base);
  if (im) return { patientId: `IM-${im[1]}`, subtype: "normal", rule: "IM" };
  const stem = base.replace(/\.[^.]+$/, "");
  return { patientId: stem, subtype: label === "NORMAL" ? "normal" : "unknown", rule: "file" };
}
