import { basename, dirname, extname } from "node:path";

/** Ending of a Grad-CAM overlay file written by `predict --gradcam DIR`. */
export const GRADCAM_SUFFIX = "-gradcam.png";

/**
 * One output file name per input image, never the same twice within one call: `<name>-gradcam.png`; when two
 * inputs share a name (`a/x.jpeg`, `b/x.jpeg`), both get their parent folder in front (`a-x-gradcam.png`), and
 * a number is added where that still collides (`x-2-gradcam.png`, also for a file given twice).
 * @example
 * overlayNames(["a/x.jpeg", "b/x.jpeg", "c/y.png"]); // ["a-x-gradcam.png", "b-x-gradcam.png", "y-gradcam.png"]
 */
export function overlayNames(files: readonly string[], suffix: string = GRADCAM_SUFFIX): string[] {
  const stems = files.map((f) => basename(f, extname(f)));
  const stemCount = countBy(stems);
  const wanted = files.map((f, i) => {
    const stem = stems[i]!;
    return stemCount.get(stem)! > 1 && basename(dirname(f)) !== "." ? `${basename(dirname(f))}-${stem}` : stem;
  });
  const taken = new Set<string>();
  return wanted.map((name) => {
    let candidate = name;
    for (let k = 2; taken.has(candidate.toLowerCase()); k++) candidate = `${name}-${k}`;
    taken.add(candidate.toLowerCase()); // case-insensitive file systems (macOS) would merge X and x
    return `${candidate}${suffix}`;
  });
}

// How often each value occurs.
function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
