/** The local prediction page and its server. */
export { escapeLogValue, isAllowedHost } from "./http";
export { predictionPage } from "./page";
export { DEFAULT_TIMEOUTS, startServer, type RunningServer, type ServerOptions } from "./server";
export type { Prediction, Predictor, PredictorInfo, ServerTimeouts } from "./types";
export { verdictText } from "./verdict";
