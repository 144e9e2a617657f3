import type { SkipReport } from "./batches";

/** A skipped image as a metrics file keeps it: the file (relative to the data root) and why. */
export interface SkippedImage {
  file: string;
  reason: string;
}

/**
 * The lines an evaluation prints for images it could not read: how many of how many, then one line per
 * file with the reason (the `ImageDecodeError` message training prints too). No lines when none was skipped.
 * @example
 * skippedLines(set.skipped, { total: 19, what: "val images" });
 * // ["skipped 1 of 19 val images (unreadable; left out of every metric):", "  val/NORMAL/x.jpeg: decodeImage: …"]
 */
export function skippedLines(skipped: readonly SkippedImage[], opts: { total: number; what: string }): string[] {
  if (skipped.length === 0) return [];
  return [
    `skipped ${skipped.length} of ${opts.total} ${opts.what} (unreadable; left out of every metric):`,
    ...skipped.map((s) => `  ${s.file}: ${s.reason}`),
  ];
}

/** The file and reason of each skip report (the absolute path dropped: metrics files should not name the machine). */
export function skippedImages(skipped: readonly SkipReport[]): SkippedImage[] {
  return skipped.map(({ file, reason }) => ({ file, reason }));
}
