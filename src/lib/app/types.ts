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

/** Time limits of the prediction server, so slow clients are dropped instead of holding it. */
export interface ServerTimeouts {
  /** The request headers must arrive within this (Node's `headersTimeout`; 408). Default 10 s. */
  headersMs: number;
  /** The whole request must arrive within this (Node's `requestTimeout`; 408); a socket idle this long is closed.
   * Default 120 s. */
  requestMs: number;
  /** Longest pause within an upload body (408). Default 10 s. */
  idleMs: number;
  /** Slowest accepted average upload rate, checked after `rateGraceMs` (408). Default 10,000 bytes/s after 5 s. */
  minBytesPerSecond: number;
  rateGraceMs: number;
  /** How long the rest of an oversized upload is read and discarded before the 413 is sent. Default 5 s. */
  lingerMs: number;
}
