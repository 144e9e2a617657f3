/** Shared data types of the pipeline: records of image files and decoded images. */

/** A split of the Kaggle layout, or of a re-split. */
export type Split = "train" | "val" | "test";
/** Folder label of the Kaggle layout. */
export type Label = "NORMAL" | "PNEUMONIA";
/** Pneumonia subtype parsed from the file name (`unknown`: a PNEUMONIA file whose name carries none). */
export type Subtype = "normal" | "bacteria" | "virus" | "unknown";

export const SPLITS: readonly Split[] = ["train", "val", "test"];
export const LABELS: readonly Label[] = ["NORMAL", "PNEUMONIA"];

/** One image file of a data set. */
export interface ImageRecord {
  /** Absolute path of the file. */
  path: string;
  /** Path relative to the data root, with forward slashes (`train/NORMAL/IM-0115-0001.jpeg`). */
  file: string;
  /** Split the record belongs to (the folder it was found in, or the split assigned by a re-split). */
  split: Split;
  label: Label;
  /** Grouping key: one patient (`person12`, `IM-0115`, `NORMAL2-IM-1427`). */
  patientId: string;
  subtype: Subtype;
  /** Hex SHA-256 of the file bytes, when computed. */
  sha256?: string;
}

/** 0 for NORMAL, 1 for PNEUMONIA: the positive class is pneumonia. */
export function labelToTarget(label: Label): 0 | 1 {
  return label === "PNEUMONIA" ? 1 : 0;
}

/**
 * A decoded image as plain float32 pixels, row-major, channels interleaved (HWC).
 * Values are on the 0–255 scale straight after decoding; preprocessing steps say what they return.
 */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** A seeded source of uniform numbers in [0, 1). */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

/** A per-image transform: preprocessing or augmentation (augmentations use the rng). */
export type ImageTransform = (image: FloatImage, rng?: Rng) => FloatImage;
