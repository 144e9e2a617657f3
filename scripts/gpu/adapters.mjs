// List the WebGPU adapters Dawn finds, per Dawn backend and feature level (diagnostics for a GPU machine).
//   node scripts/gpu/adapters.mjs            (in the bundle: ./run.sh adapters)
// Prints one JSON line per (backend, featureLevel) with the adapter info and a few limits, or null.
import { create } from "webgpu";

const LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
];

// One adapter request, summarised.
async function describe(gpu, featureLevel) {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance", featureLevel });
  if (!adapter) return null;
  const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
  const limits = Object.fromEntries(LIMITS.map((name) => [name, adapter.limits[name]]));
  return {
    vendor,
    architecture,
    device,
    description,
    isFallbackAdapter,
    features: [...adapter.features].length,
    limits,
  };
}

for (const options of [[], ["backend=vulkan"], ["backend=opengles"]]) {
  const gpu = create(options);
  for (const featureLevel of ["core", "compatibility"]) {
    const found = await describe(gpu, featureLevel).catch((err) => ({ error: String(err) }));
    console.log(JSON.stringify({ dawnOptions: options, featureLevel, adapter: found }));
  }
}
process.exit(0); // Dawn keeps the event loop alive
