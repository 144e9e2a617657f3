import type { Label } from "../data/types";

/** One image's prediction. */
export interface Prediction {
  label: Label;
  /** Model output: probability of PNEUMONIA. */
  probability: number;
  /** The decision threshold used. */
  threshold: number;
  /** Grad-CAM overlay PNG, when asked for. */
  overlayPng?: Buffer;
  /** True when the Grad-CAM map is all zero (no region raised the score), so the overlay shows no colour. */
  gradcamEmpty?: boolean;
}

/** What a loaded model says about itself. */
export interface PredictorInfo {
  model: string;
  run: string;
  threshold: number;
  inputSize: number;
  backend: string;
}

/** A model loaded once, predicting from bytes or files. */
export interface Predictor {
  info: PredictorInfo;
  predictBytes(bytes: Buffer, name: string, opts?: { gradcam?: boolean; threshold?: number }): Promise<Prediction>;
}
