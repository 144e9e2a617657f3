/** The local prediction page and its server. */
export { predictionPage } from "./page";
export { startServer, type RunningServer, type ServerOptions } from "./server";
export type { Prediction, Predictor, PredictorInfo } from "./types";
