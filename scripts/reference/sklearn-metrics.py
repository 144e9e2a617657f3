#!/usr/bin/env python3
"""Reference values for the tests of src/lib/analysis, computed with scikit-learn, NumPy and SciPy.

Regenerate the fixture module the tests import with:

    /usr/bin/python3 scripts/reference/sklearn-metrics.py > test/analysis/sklearn-reference.ts

Everything is deterministic: input vectors come from a seeded NumPy generator (written out as
literals) or from a port of the project's mulberry32 `createRng` (src/lib/data/random.ts), so
TypeScript can draw the very same bootstrap indices and large test vectors.

Notes on versions (Debian python3-sklearn; see SKLEARN_VERSION in the output):
- sklearn < 1.3 returns roc_curve thresholds[0] = thresholds[1] + 1; sklearn >= 1.3 returns inf.
  The project follows >= 1.3, so this script replaces thresholds[0] by inf (nothing else differs).
- precision_recall_curve follows sklearn >= 1.1: the curve no longer stops at full recall.
- Quantities sklearn does not implement (specificity at a threshold, DeLong, ECE, temperature
  scaling, threshold selection) are computed here independently with NumPy/SciPy, in the most
  direct O(n^2) or textbook form, so they check the TypeScript implementation from outside.
"""
import math
import sys

import numpy as np
import scipy
import scipy.optimize
import scipy.special
import scipy.stats
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (accuracy_score, auc, average_precision_score, balanced_accuracy_score,
                             brier_score_loss, confusion_matrix, f1_score, precision_recall_curve,
                             precision_score, recall_score, roc_auc_score, roc_curve)

MASK = 0xFFFFFFFF


class Mulberry32:
    """Port of createRng (src/lib/data/random.ts); unsigned 32-bit arithmetic gives the same bits."""

    def __init__(self, seed):
        self.state = int(math.floor(seed)) & MASK

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & MASK)) & MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296

    def int(self, n):
        return math.floor(self.next() * n)


def ts(value):
    """Format a Python/NumPy value as a TypeScript literal (floats by repr: exact round trip)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {ts(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(ts(v) for v in value) + "]"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return '"' + value + '"'
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def emit(name, value, doc):
    print(f"/** {doc} */")
    print(f"export const {name} = {ts(value)};")
    print()


def roc(y, s, drop=True):
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=drop)
    thr = thr.astype(float)
    thr[0] = np.inf  # sklearn >= 1.3 convention
    return {"fpr": fpr, "tpr": tpr, "thresholds": thr}


def pr(y, s):
    p, r, t = precision_recall_curve(y, s)
    return {"precision": p, "recall": r, "thresholds": t}


def at_threshold(y, s, t):
    yp = (np.asarray(s) >= t).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, yp, labels=[0, 1]).ravel()
    return {"threshold": t, "tn": tn, "fp": fp, "fn": fn, "tp": tp,
            "accuracy": accuracy_score(y, yp), "precision": precision_score(y, yp),
            "recall": recall_score(y, yp), "specificity": recall_score(y, yp, pos_label=0),
            "f1": f1_score(y, yp), "balancedAccuracy": balanced_accuracy_score(y, yp)}


def youden(y, s):
    c = roc(y, s, drop=False)
    j = c["tpr"][1:] - c["fpr"][1:]
    i = int(np.argmax(j)) + 1  # first maximum = highest threshold; the inf point is excluded
    return {"threshold": c["thresholds"][i], "tpr": c["tpr"][i], "fpr": c["fpr"][i], "j": j[i - 1]}


def max_f1(y, s):
    c = pr(y, s)
    p, r, t = c["precision"][:-1][::-1], c["recall"][:-1][::-1], c["thresholds"][::-1]
    f1 = np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)
    i = int(np.argmax(f1))  # thresholds now descending: first maximum = highest threshold
    return {"threshold": t[i], "f1": f1[i], "precision": p[i], "recall": r[i]}


def for_sensitivity(y, s, target):
    c = roc(y, s, drop=False)
    i = int(np.argmax(c["tpr"] >= target))  # first (highest) threshold reaching the target
    return {"target": target, "threshold": c["thresholds"][i], "sensitivity": c["tpr"][i],
            "specificity": 1 - c["fpr"][i], "fpr": c["fpr"][i]}


def bootstrap(y, s, n_boot, seed, alpha, threshold, stratified):
    y, s = np.asarray(y), np.asarray(s)
    rng = Mulberry32(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    reps = {"auc": [], "accuracy": [], "sensitivity": [], "specificity": []}
    for _ in range(n_boot):
        if stratified:
            idx = [pos[rng.int(len(pos))] for _ in pos] + [neg[rng.int(len(neg))] for _ in neg]
        else:
            idx = [rng.int(len(y)) for _ in y]
        yb, sb = y[idx], s[idx]
        pred = (sb >= threshold).astype(int)
        if 0 < yb.sum() < len(yb):
            reps["auc"].append(roc_auc_score(yb, sb))
        reps["accuracy"].append(accuracy_score(yb, pred))
        if yb.sum() > 0:
            reps["sensitivity"].append(recall_score(yb, pred))
        if yb.sum() < len(yb):
            reps["specificity"].append(recall_score(yb, pred, pos_label=0))
    full = at_threshold(y, s, threshold)
    estimate = {"auc": roc_auc_score(y, s), "accuracy": full["accuracy"],
                "sensitivity": full["recall"], "specificity": full["specificity"]}
    out = {}
    for k, v in reps.items():
        lo, hi = np.quantile(np.asarray(v), [alpha / 2, 1 - alpha / 2])
        out[k] = {"estimate": estimate[k], "lower": lo, "upper": hi, "nBoot": len(v)}
    return out


def delong(y, *scores):
    """DeLong et al. (1988) straight from the definition: O(m n) kernel, sample covariances."""
    y = np.asarray(y)
    v10, v01, aucs = [], [], []
    for s in scores:
        s = np.asarray(s, dtype=float)
        x, z = s[y == 1], s[y == 0]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        aucs.append(psi.mean())
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    s10, s01 = np.cov(np.array(v10)), np.cov(np.array(v01))
    cov = np.atleast_2d(s10 / len(v10[0]) + s01 / len(v01[0]))
    return aucs, cov


def delong_test(y, a, b):
    aucs, cov = delong(y, a, b)
    diff = aucs[0] - aucs[1]
    se = math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    z = diff / se
    return {"aucA": aucs[0], "aucB": aucs[1], "diff": diff, "se": se, "z": z,
            "p": 2 * scipy.stats.norm.sf(abs(z)), "covariance": cov}


def logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def temperature(y, z):
    """T = 1/beta, beta the root of d/dbeta NLL(sigmoid(beta z)) = sum (sigmoid(beta z) - y) z."""
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    grad = lambda b: float(np.sum((scipy.special.expit(b * z) - y) * z))
    beta = scipy.optimize.brentq(grad, 1e-2, 1e2, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    nll = lambda b: float(np.mean(np.logaddexp(0, b * z) - y * b * z))
    return {"temperature": 1 / beta, "nll": nll(beta), "nllAtOne": nll(1.0)}


def calibration(y, p, n_bins, strategy):
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    counts = np.bincount(ids, minlength=n_bins)
    nz = np.flatnonzero(counts)
    return {"fractionPositive": prob_true, "meanPredicted": prob_pred, "count": counts[nz],
            "lower": edges[nz], "upper": edges[nz + 1]}


def ece(y, p, n_bins):
    c = calibration(y, p, n_bins, "uniform")
    return float(np.sum(c["count"] / len(y) * np.abs(c["fractionPositive"] - c["meanPredicted"])))


def subgroups(subtypes, s, threshold):
    subtypes, s = np.asarray(subtypes), np.asarray(s)
    y = (subtypes != "normal").astype(int)
    pred = (s >= threshold).astype(int)
    normal = subtypes == "normal"
    out = {"all": {"count": len(y), "auc": roc_auc_score(y, s), "sensitivity": recall_score(y, pred),
                   "specificity": recall_score(y, pred, pos_label=0)},
           "NORMAL": {"count": int(normal.sum()), "specificity": float(np.mean(pred[normal] == 0))},
           "PNEUMONIA": {"count": int((~normal).sum()), "sensitivity": float(np.mean(pred[~normal] == 1))}}
    for sub in ("bacteria", "virus"):
        keep = normal | (subtypes == sub)
        out[sub] = {"count": int((subtypes == sub).sum()), "auc": roc_auc_score(y[keep], s[keep]),
                    "sensitivity": float(np.mean(pred[subtypes == sub] == 1))}
    return out


def main():
    gen = np.random.RandomState(20240601)
    # 30 scores on a 0.1 grid: many ties, within and across classes.
    y30 = gen.binomial(1, 0.45, 30)
    s30 = np.round(np.clip(0.45 + 0.2 * (y30 - 0.5) + gen.normal(0, 0.22, 30), 0, 1), 1)
    # 40 paired scores on a 0.05 grid (model A better than B, correlated), for DeLong.
    y40 = gen.binomial(1, 0.5, 40)
    noise = gen.normal(0, 1, 40)
    a40 = np.round(scipy.special.expit(1.6 * (y40 - 0.5) + noise) * 20) / 20
    b40 = np.round(scipy.special.expit(0.7 * (y40 - 0.5) + 0.6 * noise + gen.normal(0, 0.8, 40)) * 20) / 20
    # 24 real-valued scores (logits, outside [0, 1]) with ties.
    y24 = gen.binomial(1, 0.5, 24)
    z24 = np.round(1.5 * (y24 - 0.5) + gen.normal(0, 1.2, 24), 1)
    # 40 probabilities for calibration, with exact bin edges, 0 and 1 included.
    yc = gen.binomial(1, 0.4, 40)
    pc = np.round(np.clip(scipy.special.expit(2.0 * (yc - 0.4) + gen.normal(0, 1.3, 40)), 0, 1), 2)
    pc[:6] = [0.0, 1.0, 0.3, 0.5, 0.2, 0.7]
    # Records for subgroup metrics.
    sub = gen.choice(["normal", "bacteria", "virus"], 36, p=[0.4, 0.35, 0.25])
    ssub = np.round(np.clip(0.35 + 0.3 * (sub == "bacteria") + 0.15 * (sub == "virus")
                            + gen.normal(0, 0.2, 36), 0, 1), 2)

    print("// Generated by scripts/reference/sklearn-metrics.py — do not edit by hand; regenerate with")
    print("//   /usr/bin/python3 scripts/reference/sklearn-metrics.py > test/analysis/sklearn-reference.ts")
    print(f"// scikit-learn {sklearn.__version__}, NumPy {np.__version__}, SciPy {scipy.__version__}.")
    print("// roc_curve thresholds[0] is written as Infinity (sklearn >= 1.3; this sklearn returns max + 1).")
    print("/* eslint-disable */")
    print()
    emit("VERSIONS", {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
         "Library versions that produced these values.")
    r = Mulberry32(42)
    emit("MULBERRY32_SEED42", [r.next() for _ in range(3)], "First draws of the Python port of createRng(42).")

    emit("TIES30", {"yTrue": y30, "yScore": s30}, "30 labels and scores on a 0.1 grid (ties), NumPy seed 20240601.")
    emit("TIES30_AT", [at_threshold(y30, s30, t) for t in (0.5, 0.3, 0.75)],
         "sklearn confusion_matrix / *_score at thresholds (predict 1 when score >= t); specificity = recall_score(pos_label=0).")
    emit("TIES30_ROC", roc(y30, s30), "sklearn roc_curve(drop_intermediate=True), thresholds[0] = inf.")
    emit("TIES30_ROC_FULL", roc(y30, s30, drop=False), "sklearn roc_curve(drop_intermediate=False).")
    emit("TIES30_PR", pr(y30, s30), "sklearn precision_recall_curve.")
    emit("TIES30_SCORES", {"rocAuc": roc_auc_score(y30, s30), "averagePrecision": average_precision_score(y30, s30),
                           "brier": brier_score_loss(y30, s30),
                           "aucOfPr": auc(pr(y30, s30)["recall"], pr(y30, s30)["precision"])},
         "sklearn roc_auc_score, average_precision_score, brier_score_loss, auc(recall, precision) (decreasing x).")
    emit("TIES30_THRESHOLDS", {"youden": youden(y30, s30), "maxF1": max_f1(y30, s30),
                               "sensitivity": [for_sensitivity(y30, s30, t) for t in (0.5, 0.8, 0.9, 1.0)]},
         "Threshold choices from the sklearn curves with NumPy argmax (first maximum at the highest threshold).")

    emit("DOC4", {"yTrue": [0, 0, 1, 1], "yScore": [0.1, 0.4, 0.35, 0.8],
                  "roc": roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), "pr": pr([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
                  "rocAuc": roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
                  "averagePrecision": average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])},
         "The sklearn docstring example of roc_curve / precision_recall_curve.")
    ycol, scol = [0, 0, 0, 1, 1, 1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1]
    emit("COLLINEAR", {"yTrue": ycol, "yScore": scol, "roc": roc(ycol, scol), "rocFull": roc(ycol, scol, drop=False)},
         "A curve with collinear interior points, for drop_intermediate.")

    emit("LOGITS24", {"yTrue": y24, "yScore": z24, "roc": roc(y24, z24), "rocAuc": roc_auc_score(y24, z24),
                      "averagePrecision": average_precision_score(y24, z24)},
         "Real-valued scores (outside [0, 1]) with ties: ranking metrics accept them.")

    emit("PAIR40", {"yTrue": y40, "scoreA": a40, "scoreB": b40, "rocAucA": roc_auc_score(y40, a40),
                    "rocAucB": roc_auc_score(y40, b40), "delong": delong_test(y40, a40, b40)},
         "Paired scores on a 0.05 grid; DeLong from the O(m n) definition, p = 2 * scipy.stats.norm.sf(|z|).")
    r = Mulberry32(7)
    yl = [i % 2 for i in range(400)]
    al = [math.floor((r.next() + 0.45 * yv) * 20) / 20 for yv in yl]
    bl = [math.floor((r.next() + 0.05 * yv) * 20) / 20 for yv in yl]
    emit("LARGE400", {"seed": 7, "delong": delong_test(yl, al, bl)},
         "DeLong on 400 createRng(7) draws: y = i % 2, a = floor((u + 0.45 y) * 20) / 20, then b likewise with 0.05.")
    xs = [0.0, 1e-10, 0.1, 0.46875, 0.5, 1.0, 2.0, 3.9, 4.0, 4.5, 6.0, 10.0, 20.0, 26.0, 27.5, -0.3, -1.0, -3.0, -7.0]
    emit("ERFC", {"x": xs, "erfc": scipy.special.erfc(xs)}, "scipy.special.erfc.")

    emit("BOOT30", {"stratified": bootstrap(y30, s30, 200, 42, 0.05, 0.5, True),
                    "plain": bootstrap(y30, s30, 200, 3, 0.1, 0.5, False)},
         "Bootstrap with the createRng port (stratified seed 42 alpha 0.05; plain seed 3 alpha 0.1), "
         "sklearn per replicate, np.quantile (linear) for the interval; nBoot = replicates where the metric is defined.")

    emit("CALIB40", {"yTrue": yc, "yProb": pc, "uniform10": calibration(yc, pc, 10, "uniform"),
                     "uniform5": calibration(yc, pc, 5, "uniform"), "quantile5": calibration(yc, pc, 5, "quantile"),
                     "quantile4": calibration(yc, pc, 4, "quantile"),
                     "ece10": ece(yc, pc, 10), "ece5": ece(yc, pc, 5), "brier": brier_score_loss(yc, pc),
                     "temperature": temperature(yc, logit(pc)),
                     "temperatureLogits24": temperature(y24, z24)},
         "sklearn calibration_curve (non-empty bins) and brier_score_loss; ECE and temperature by NumPy/SciPy brentq.")
    yd, pd_ = [0, 0, 0, 0, 1, 1, 1, 1, 1], [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0]
    emit("CALIB_DOC", {"yTrue": yd, "yProb": pd_, "uniform3": calibration(yd, pd_, 3, "uniform")},
         "The sklearn docstring example of calibration_curve (n_bins=3).")
    y4, p4 = [0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]
    emit("SMALL4", {"yTrue": y4, "yProb": p4, "ece10": ece(y4, p4, 10), "brier": brier_score_loss(y4, p4)},
         "A 4-sample hand-checkable case: ECE (10 uniform bins) = (0.1 + 0.1 + 0.2 + 0.3) / 4, Brier = 0.15 / 4.")
    t = temperature(yc, logit(pc))["temperature"]
    emit("APPLY_T", {"temperature": t, "calibrated": scipy.special.expit(logit(pc) / t),
                     "logitsT2": scipy.special.expit(np.asarray(z24, dtype=float) / 2)},
         "scipy.special.expit(logit(CALIB40.yProb) / T) with the fitted T, and expit(LOGITS24.yScore / 2).")
    ya, sa = [0, 1, 0, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5]
    emit("ALLTIES", {"yTrue": ya, "yScore": sa, "roc": roc(ya, sa), "pr": pr(ya, sa), "rocAuc": roc_auc_score(ya, sa),
                     "averagePrecision": average_precision_score(ya, sa)},
         "Every score tied: one ROC corner, AUC 0.5, AP = prevalence.")
    emit("SUBGROUPS36", {"subtype": list(sub), "yScore": ssub, "threshold": 0.5, "metrics": subgroups(sub, ssub, 0.5)},
         "Per-subtype metrics with sklearn: subtype AUC = that subtype against all normals.")


if __name__ == "__main__":
    sys.exit(main())
