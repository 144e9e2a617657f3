import { describe, expect, it } from "vitest";
import { parsePatientId } from "../../src/lib/data/patient";

// Naming rules from ../shared/data/PROVENANCE.md ("File names and patients").
describe("parsePatientId", () => {
  it.each([
    ["person1_bacteria_1.jpeg", "PNEUMONIA", "person1", "bacteria", "person"],
    ["person12_virus_45.jpeg", "PNEUMONIA", "person12", "virus", "person"],
    ["person447_virus_921_1.jpeg", "PNEUMONIA", "person447", "virus", "person"],
    ["IM-0115-0001.jpeg", "NORMAL", "IM-0115", "normal", "IM"],
    ["IM-0117-0001-0002.jpeg", "NORMAL", "IM-0117", "normal", "IM"],
    ["NORMAL2-IM-1427-0001.jpeg", "NORMAL", "NORMAL2-IM-1427", "normal", "NORMAL2-IM"],
    ["NORMAL2-IM-0587-0001-0002.jpeg", "NORMAL", "NORMAL2-IM-0587", "normal", "NORMAL2-IM"],
  ] as const)("%s → %s", (name, label, patientId, subtype, rule) => {
    expect(parsePatientId(name, label)).toEqual({ patientId, subtype, rule });
  });

  it("puts the bacteria and virus images of one person number in one group", () => {
    expect(parsePatientId("person5_bacteria_9.jpeg", "PNEUMONIA").patientId).toBe(parsePatientId("person5_virus_11.jpeg", "PNEUMONIA").patientId);
  });

  it("keeps IM- and NORMAL2-IM- numbers apart (the numbers are reused between the series)", () => {
    expect(parsePatientId("IM-0587-0001.jpeg", "NORMAL").patientId).not.toBe(parsePatientId("NORMAL2-IM-0587-0001.jpeg", "NORMAL").patientId);
  });

  it("makes an unknown name its own patient; subtype unknown for pneumonia", () => {
    expect(parsePatientId("scan 01.png", "PNEUMONIA")).toEqual({ patientId: "scan 01", subtype: "unknown", rule: "file" });
    expect(parsePatientId("dir/other.jpg", "NORMAL")).toEqual({ patientId: "other", subtype: "normal", rule: "file" });
  });
});
