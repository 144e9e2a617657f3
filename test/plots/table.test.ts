import { afterEach, describe, expect, it } from "vitest";
import { formatTable, table, tableHtml, tableText } from "../../src/lib/plots/table";

const ROWS = [
  { model: "cnn4", split: "test", n: 40, auc: { estimate: 0.7381, lower: 0.5, upper: 0.9286 }, ap: "0.992" },
  { model: "resnet50", split: "test", n: 40, auc: "0.984 [0.944, 1.000]", ap: "0.871" },
];

afterEach(() => {
  delete (globalThis as { __tslab__?: unknown }).__tslab__;
});

describe("formatTable", () => {
  it("writes intervals as estimate (lower–upper), also the bracket strings metricsRows returns", () => {
    const t = formatTable(ROWS);
    expect(t.columns).toEqual(["model", "split", "n", "auc", "ap"]);
    expect(t.rows.map((r) => r[3].text)).toEqual(["0.738 (0.500–0.929)", "0.984 (0.944–1.000)"]);
    expect(t.rows.map((r) => r[3].value)).toEqual([0.7381, 0.984]);
  });

  it("sorts numerically by a column (interval estimates, numeric strings) and names a bad column", () => {
    expect(formatTable(ROWS, { sort: { by: "auc", descending: true } }).rows.map((r) => r[0].text)).toEqual([
      "resnet50",
      "cnn4",
    ]);
    expect(formatTable(ROWS, { sort: "ap" }).rows.map((r) => r[0].text)).toEqual(["resnet50", "cnn4"]);
    expect(() => formatTable(ROWS, { sort: "AUC" })).toThrow(
      /sort column must be one of model, split, n, auc, ap\. Received: AUC/,
    );
  });

  it("reads a DataFrame-like (danfojs columns + values) and rejects other input by name", () => {
    const t = formatTable({
      columns: ["split", "count"],
      values: [
        ["train", 12],
        ["val", 3],
      ],
    });
    expect(tableText(t)).toBe("split  count\n─────  ─────\ntrain     12\nval        3");
    expect(() => formatTable(42 as never)).toThrow(/^table: rows must be .*Received: number/);
  });
});

describe("tableHtml", () => {
  it("right-aligns numeric columns by attribute and style, escapes text, captions the title", () => {
    const html = tableHtml(formatTable([{ name: "<b>", n: 3 }], { title: "Counts" }));
    expect(html).toContain('<th align="left" style="text-align:left;');
    expect(html).toContain('<td align="right" style="text-align:right;padding:3px 10px;white-space:nowrap">3</td>');
    expect(html).toContain("&#60;b&#62;");
    expect(html).toContain(">Counts</caption>");
  });
});

describe("table", () => {
  it("prints the text table outside a notebook", () => {
    const lines: string[] = [];
    interface Row {
      split: string;
      count: number;
    } // an interface has no index signature, as CountRow
    const rows: Row[] = [{ split: "train", count: 12 }];
    table(rows, { log: (t) => lines.push(t) });
    expect(lines).toEqual(["split  count\n─────  ─────\ntrain     12"]);
  });

  it("sends HTML with the text as its plain form to a notebook display, printing nothing", () => {
    const sent: Record<string, string>[] = [];
    const lines: string[] = [];
    const display = {
      html: () => undefined,
      png: () => undefined,
      bundle: (data: Record<string, string>) => void sent.push(data),
    };
    table(ROWS, { display, log: (t) => lines.push(t) });
    expect(lines).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]["text/html"]).toMatch(/^<table class="pneumo-table"/);
    expect(sent[0]["text/plain"].split("\n")[0]).toBe("model     split   n                  auc     ap"); // numeric headers align right, as their numbers
  });
});
