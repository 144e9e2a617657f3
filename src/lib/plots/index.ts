/** Figures: builders return plain Plotly specs `{data, layout}`; `show` renders inline, `exportFigure` writes files. */
export * from "./types";
export { formatEstimate, subplotGrid, toPlotArray, type GridCell, type SubplotGridOptions } from "./grid";
export {
  interpolateRoc,
  rocBandFromCurves,
  sweepFromRoc,
  type RocBandOptions,
  type RocBandResult,
  type ThresholdSweep,
} from "./band";
export {
  bandTraces,
  operatingPoint,
  prFigure,
  rocFigure,
  thresholdSweepFigure,
  trainingCurvesFigure,
  type PrFigureOptions,
  type RocFigureOptions,
  type TrainingCurvesOptions,
} from "./curves";
export { confusionMatrixFigure, type ConfusionFigureOptions } from "./matrices";
export {
  reliabilityFigure,
  scoreHistogramFigure,
  type ReliabilityFigureOptions,
  type ScoreHistogramOptions,
} from "./distributions";
export {
  embedImage,
  floatImageToPng,
  imageToDataUri,
  type EmbeddedImage,
  type EmbedOptions,
  type ImageSource,
  type PixelRange,
} from "./encode";
export {
  gradCamGridFigure,
  imageGridFigure,
  imagePanelsFigure,
  pipelineStripFigure,
  predictionGridFigure,
  type CaptionedImage,
  type GradCamItem,
  type ImageGridOptions,
  type ImagePanel,
  type PipelineStep,
  type PredictionGridOptions,
  type PredictionItem,
} from "./images";
export { formatPValue, modelComparisonFigure, type ModelComparisonOptions, type ModelCurves } from "./compare";
export {
  PLOTLY_PACKAGE,
  figureDivHtml,
  figureTitle,
  plotlyBundlePath,
  standaloneHtml,
  type FigureDivOptions,
} from "./bundle";
export { show, showPng, type ShowOptions } from "./show";
export {
  newDisplayId,
  sendBundle,
  tslabDisplay,
  type BundleTarget,
  type DisplayLike,
  type MimeBundle,
} from "./display";
export {
  formatTable,
  table,
  tableHtml,
  tableText,
  type DataFrameLike,
  type FormattedTable,
  type IntervalValue,
  type TableInput,
  type TableOptions,
} from "./table";
export {
  CHROMIUM_ARGS,
  CHROMIUM_CACHE_ENV,
  CHROMIUM_CANDIDATES,
  CHROMIUM_ENV,
  browserAvailable,
  browserLaunchOptions,
  describeBrowser,
  findChromium,
  resolveBrowser,
  type BrowserSource,
  type ResolveBrowserOptions,
  type ResolvedBrowser,
} from "./browser";
export { NPM_CHROMIUM_PACKAGE } from "./npmChromium";
export {
  EXPORTER_IDLE_CLOSE_MS,
  EXPORTER_SCRIPT_IDLE_CLOSE_MS,
  closeExporter,
  configureExporter,
  exportFigure,
  exporterBrowser,
  renderFigure,
  type ExportFormat,
  type ExportOptions,
  type ExportedFiles,
  type ExporterSettings,
  type RenderOptions,
} from "./export";
