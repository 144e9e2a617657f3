import type { PredictionSet } from "./predictions";

/** Two prediction sets restricted to the images both scored, in the first set's order. */
export interface AlignedSets {
  files: string[];
  yTrue: number[];
  scores: [number[], number[]];
  /** The first set restricted to the shared images (its subtypes and patients kept). */
  first: PredictionSet;
}

/**
 * Match two prediction sets by file (e.g. two models on one split), checking that the labels agree. Throws when
 * they share no image, or when a file carries two labels (the runs used different data).
 * @example
 * const { yTrue, scores: [cnn, resnet] } = alignByFile(cnnTest, resnetTest, "compareEvaluations");
 */
export function alignByFile(a: PredictionSet, b: PredictionSet, caller: string): AlignedSets {
  const indexB = new Map(b.files.map((f, i) => [f, i]));
  const kept: number[] = [];
  const scoreB: number[] = [];
  a.files.forEach((file, i) => {
    const j = indexB.get(file);
    if (j === undefined) return;
    if (a.yTrue[i] !== b.yTrue[j]) {
      throw new Error(
        `${caller}: ${file} has different labels in the two runs; they used different data. Received: ${a.yTrue[i]} vs ${b.yTrue[j]}`,
      );
    }
    kept.push(i);
    scoreB.push(b.yScore[j]!);
  });
  if (kept.length === 0) {
    throw new Error(
      `${caller}: the two prediction sets share no scored images; score both models on the same split or folder. Received: 0 common files of ${a.files.length} and ${b.files.length}`,
    );
  }
  const pick = <T>(xs: readonly T[]) => kept.map((i) => xs[i]!);
  const first: PredictionSet = {
    files: pick(a.files),
    yTrue: pick(a.yTrue),
    yScore: pick(a.yScore),
    subtypes: pick(a.subtypes),
    patientIds: pick(a.patientIds),
    skipped: a.skipped,
  };
  return { files: first.files, yTrue: first.yTrue, scores: [first.yScore, scoreB], first };
}
