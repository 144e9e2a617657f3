/** Image figures: sample grids, prediction grids, Grad-CAM pairs and preprocessing strips. */
import { embedImage, type EmbeddedImage, type EmbedOptions, type ImageSource } from "./encode";
import { subplotGrid } from "./grid";
import { CLASS_NAMES, COLORS, type Figure, type Trace } from "./types";

/** One cell of an image panel figure. */
export interface ImagePanel {
  image: EmbeddedImage;
  title?: string;
  titleColor?: string;
  /** Colour of a frame drawn around the image. */
  border?: string;
}

/** Layout options shared by the image figures. */
export interface ImageGridOptions extends EmbedOptions {
  /** Columns. Default: min(count, 4). */
  cols?: number;
  /** Displayed size of one cell in pixels (square). Default 200. */
  cellSize?: number;
  title?: string;
}

const H_GAP_PX = 12;
/** Caption font size bounds (px): the largest that fits the cell, never above the default or below legibility. */
const TITLE_FONT_MAX = 12,
  TITLE_FONT_MIN = 6;
/** Width of a character as a fraction of the font size in Plotly's Open Sans: capitals and digits, the rest. */
const WIDE_CHAR_EM = 0.68,
  NARROW_CHAR_EM = 0.55;

/** Estimated width of a caption line in em (tags dropped). */
function lineEm(line: string): number {
  const text = line.replace(/<[^>]*>/g, "");
  const wide = (text.match(/[A-Z0-9]/g) ?? []).length;
  return wide * WIDE_CHAR_EM + (text.length - wide) * NARROW_CHAR_EM;
}

/**
 * The caption font size (px) at which the longest caption line fits the cell width: 12 px at 200 px cells,
 * smaller for small cells, so "true PNEUMONIA" never runs into the next cell.
 * @example
 * captionFontSize(["true PNEUMONIA<br>pred NORMAL"], 100); // 11
 */
export function captionFontSize(titles: readonly string[], cellPx: number): number {
  const longest = Math.max(1, ...titles.flatMap((t) => t.split("<br>").map(lineEm)));
  const fit = Math.floor(cellPx / longest);
  return Math.max(TITLE_FONT_MIN, Math.min(TITLE_FONT_MAX, fit));
}

/**
 * Arrange embedded images in a grid of `image` traces, one subplot per image (aspect kept, axes hidden).
 * Lower-level than the other image figures; use it for custom panels.
 * @example
 * const fig = imagePanelsFigure([{ image: await embedImage(img), title: "raw" }], { cols: 1 });
 */
export function imagePanelsFigure(panels: readonly ImagePanel[], opts: ImageGridOptions = {}): Figure {
  if (panels.length === 0) throw new Error("imagePanelsFigure: need at least one image. Received: 0 panels");
  const cols = opts.cols ?? Math.min(panels.length, 4);
  if (!Number.isInteger(cols) || cols < 1)
    throw new Error(`imagePanelsFigure: cols must be a positive integer. Received: ${cols}`);
  const rows = Math.ceil(panels.length / cols);
  const cell = opts.cellSize ?? 200;
  const titles = panels.map((p) => p.title ?? "");
  const titleSize = captionFontSize(titles, cell);
  const titleLines = Math.max(1, ...titles.map((t) => t.split("<br>").length));
  const titlePx = Math.ceil(titleLines * titleSize * 1.5) + 4;
  const plotW = cols * cell + (cols - 1) * H_GAP_PX,
    plotH = rows * cell + (rows - 1) * titlePx;
  const { cells, layout } = subplotGrid(rows, cols, {
    hGap: H_GAP_PX / plotW,
    vGap: titlePx / plotH,
    titles,
    titleColors: panels.map((p) => p.titleColor),
    titleSize,
  });
  const data: Trace[] = [];
  const shapes: object[] = [];
  panels.forEach((p, i) => {
    const c = cells[i];
    const { width: w, height: h } = p.image;
    data.push({
      type: "image",
      source: p.image.uri,
      xaxis: c.xaxis,
      yaxis: c.yaxis,
      hoverinfo: "skip",
      name: p.title ?? `image ${i + 1}`,
    });
    layout[c.xKey] = {
      domain: c.xDomain,
      anchor: c.yaxis,
      visible: false,
      range: [-0.5, w - 0.5],
      constrain: "domain",
    };
    layout[c.yKey] = {
      domain: c.yDomain,
      anchor: c.xaxis,
      visible: false,
      range: [h - 0.5, -0.5],
      scaleanchor: c.xaxis,
      constrain: "domain",
    };
    if (p.border)
      shapes.push({
        type: "rect",
        xref: c.xaxis,
        yref: c.yaxis,
        x0: -0.5,
        x1: w - 0.5,
        y0: -0.5,
        y1: h - 0.5,
        line: { color: p.border, width: 4 },
      });
  });
  // unused trailing cells stay empty: drop their axes so nothing is drawn
  for (const c of cells.slice(panels.length)) {
    delete layout[c.xKey];
    delete layout[c.yKey];
  }
  const top = opts.title ? 50 + titlePx : 10 + titlePx;
  return {
    data,
    layout: {
      ...layout,
      shapes,
      showlegend: false,
      title: opts.title ? { text: opts.title } : undefined,
      width: Math.max(plotW + 20, opts.title ? 480 : 0),
      height: plotH + top + 10,
      margin: { l: 10, r: 10, t: top, b: 10 },
    },
  };
}

/** A sample image with an optional caption. */
export interface CaptionedImage {
  image: ImageSource;
  caption?: string;
}

/**
 * Grid of sample X-rays with captions.
 * @example
 * const fig = await imageGridFigure(records.map((r, i) => ({ image: images[i], caption: r.label })), { cols: 4 });
 */
export async function imageGridFigure(items: readonly CaptionedImage[], opts: ImageGridOptions = {}): Promise<Figure> {
  const panels = await Promise.all(
    items.map(async (it) => ({ image: await embedImage(it.image, opts), title: it.caption })),
  );
  return imagePanelsFigure(panels, { ...opts, title: opts.title ?? "Sample images" });
}

/** One prediction to show: the image, its true label and the predicted probability of PNEUMONIA. */
export interface PredictionItem {
  image: ImageSource;
  /** 0/1 target or a class name. */
  label: number | string;
  probability: number;
  /** Extra caption line, e.g. the file name. */
  note?: string;
}

/** Options of {@link predictionGridFigure}. */
export interface PredictionGridOptions extends ImageGridOptions {
  /** Predict PNEUMONIA when probability >= threshold. Default 0.5. */
  threshold?: number;
  labels?: readonly [string, string];
}

/**
 * Sample predictions: each image titled with true and predicted class and p(PNEUMONIA), framed and
 * titled green when correct and red when wrong.
 * @example
 * const fig = await predictionGridFigure(items, { threshold: 0.62, cols: 4 });
 */
export async function predictionGridFigure(
  items: readonly PredictionItem[],
  opts: PredictionGridOptions = {},
): Promise<Figure> {
  const labels = opts.labels ?? CLASS_NAMES;
  const threshold = opts.threshold ?? 0.5;
  const panels = await Promise.all(
    items.map(async (it, i) => {
      const truth = typeof it.label === "number" ? it.label : labels.indexOf(it.label);
      if (truth !== 0 && truth !== 1)
        throw new Error(
          `predictionGridFigure: item ${i} label must be 0, 1, "${labels[0]}" or "${labels[1]}". Received: ${it.label}`,
        );
      const pred = it.probability >= threshold ? 1 : 0;
      const color = pred === truth ? COLORS.correct : COLORS.wrong;
      // one short line each, so the caption fits narrow cells (see captionFontSize)
      const title = `true ${labels[truth]}<br>pred ${labels[pred]}<br>p = ${it.probability.toFixed(3)}${it.note ? `<br>${it.note}` : ""}`;
      return { image: await embedImage(it.image, opts), title, titleColor: color, border: color };
    }),
  );
  return imagePanelsFigure(panels, {
    ...opts,
    title: opts.title ?? `Predictions at threshold ${threshold.toFixed(3)} (green = correct)`,
  });
}

/** An image and its Grad-CAM overlay. */
export interface GradCamItem {
  image: ImageSource;
  overlay: ImageSource;
  title?: string;
}

/**
 * Grad-CAM pairs side by side: the input image (titled) and its heat-map overlay.
 * @example
 * const fig = await gradCamGridFigure([{ image: png, overlay: overlayPng, title: "PNEUMONIA p=0.97" }]);
 */
export async function gradCamGridFigure(
  items: readonly GradCamItem[],
  opts: ImageGridOptions & { pairsPerRow?: number } = {},
): Promise<Figure> {
  const pairsPerRow = opts.pairsPerRow ?? Math.min(items.length, 2);
  const panels = (
    await Promise.all(
      items.map(async (it, i) => [
        { image: await embedImage(it.image, opts), title: it.title ?? `image ${i + 1}` },
        { image: await embedImage(it.overlay, opts), title: "Grad-CAM" },
      ]),
    )
  ).flat();
  return imagePanelsFigure(panels, { ...opts, cols: 2 * pairsPerRow, title: opts.title ?? "Grad-CAM" });
}

/** One preprocessing step and the image after it. */
export interface PipelineStep {
  name: string;
  image: ImageSource;
}

/**
 * A strip of images, one per preprocessing step, titled by step (float images of any range are
 * stretched with `range: "auto"`, so mean-subtracted steps stay visible).
 * @example
 * const fig = await pipelineStripFigure([{ name: "decoded", image: raw }, { name: "CLAHE", image: clahe }]);
 */
export async function pipelineStripFigure(
  steps: readonly PipelineStep[],
  opts: ImageGridOptions = {},
): Promise<Figure> {
  const panels = await Promise.all(steps.map(async (s) => ({ image: await embedImage(s.image, opts), title: s.name })));
  return imagePanelsFigure(panels, {
    ...opts,
    cols: opts.cols ?? steps.length,
    title: opts.title ?? "Preprocessing steps",
  });
}
