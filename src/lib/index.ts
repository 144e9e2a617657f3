/**
 * pneumo-lab: the one import a notebook or script needs.
 * Stages follow the pipeline: data → models → train → analysis → plots; workflows tie them into runs.
 */
export * from "./backend";
export * from "./enginePlan";
export { checkTfjsVersion, TFJS_INTERNALS_VERSION, TFJS_UNCHECKED_ENV } from "./tfjsInternals";
export * from "./data";
export * from "./models";
export * from "./train";
export * from "./analysis";
export * from "./plots";
export * from "./runs";
export * from "./workflows";
export * from "./app";
export * from "./notebook";
