/**
 * Published and earlier figures on the independent 624-image Kaggle test set, shown beside ours with how each was
 * obtained. Source: issue 19 of this project, which collected them; "picked on test" says whether the threshold
 * (or epoch) is known to have been chosen on the test set itself, "unknown" where the source does not say.
 */

/** One published or earlier result. */
export interface PublishedFigure {
  source: string;
  model: string;
  /** The images it was measured on. */
  testSet: string;
  accuracy?: number;
  sensitivity?: number;
  specificity?: number;
  auc?: number;
  /** How the threshold (or stopping epoch) was chosen. */
  threshold: string;
  pickedOnTest: "yes" | "no" | "unknown";
}

const KAGGLE_TEST = "official Kaggle test/ (624 images, not in training)";

/** The figures of issue 19, in its order. */
export const PUBLISHED_FIGURES: readonly PublishedFigure[] = [
  {
    source: "reference CNN project",
    model: "4-block CNN",
    testSet: KAGGLE_TEST,
    accuracy: 0.857,
    auc: 0.952,
    threshold: "not stated; several reference projects chose epochs or thresholds on the test set",
    pickedOnTest: "unknown",
  },
  {
    source: "reference ResNet50 project",
    model: "ResNet50 transfer",
    testSet: KAGGLE_TEST,
    accuracy: 0.859,
    threshold: "not stated",
    pickedOnTest: "unknown",
  },
  {
    source: "reference ResNet50 project",
    model: "ResNet50, top 100 layers fine-tuned",
    testSet: KAGGLE_TEST,
    accuracy: 0.93,
    threshold: "not stated",
    pickedOnTest: "unknown",
  },
  {
    source: "reference projects",
    model: "MobileNetV2",
    testSet: KAGGLE_TEST,
    accuracy: 0.87,
    threshold: "not stated (≈87 %)",
    pickedOnTest: "unknown",
  },
  {
    source: "Kermany et al., Cell 2018",
    model: "Inception V3 transfer",
    testSet: KAGGLE_TEST,
    accuracy: 0.928,
    sensitivity: 0.932,
    specificity: 0.901,
    auc: 0.968,
    threshold: "the paper's operating point",
    pickedOnTest: "unknown",
  },
  {
    source: "pneumo-lab, issue 19 (before)",
    model: "ResNet50, frozen backbone",
    testSet: KAGGLE_TEST,
    accuracy: 0.776,
    sensitivity: 0.974,
    specificity: 0.444,
    auc: 0.929,
    threshold: "Youden on validation",
    pickedOnTest: "no",
  },
  {
    source: "pneumo-lab, issue 19 (before)",
    model: "4-block CNN, 128², 10 epochs",
    testSet: KAGGLE_TEST,
    accuracy: 0.801,
    sensitivity: 0.992,
    specificity: 0.483,
    auc: 0.952,
    threshold: "Youden on validation (0.0004)",
    pickedOnTest: "no",
  },
  {
    source: "pneumo-lab, issue 19 (before)",
    model: "4-block CNN, 128², 10 epochs",
    testSet: KAGGLE_TEST,
    accuracy: 0.912,
    auc: 0.952,
    threshold: "best threshold on the test set (for reference only)",
    pickedOnTest: "yes",
  },
];
