/** Colour maps for heat maps: 256-entry tables identical to matplotlib's. */

/** Names of the available colour maps. */
export type ColormapName = "jet" | "inferno";

/** All colour map names, for option checks. */
export const COLORMAP_NAMES: readonly ColormapName[] = ["jet", "inferno"];

/** Entries per table (matplotlib's default N). */
const LUT_SIZE = 256;

// 256 RGB colours as hex, from matplotlib 3.6.3:
// ''.join('%02x%02x%02x' % tuple(c) for c in colormaps[name](np.arange(256), bytes=True)[:, :3])
const LUT_HEX: Record<ColormapName, string> = {
  jet:
    "00007f00008400008800008d00009100009600009a00009f0000a30000a80000ac0000b10000b60000ba0000bf0000c3" +
    "0000c80000cc0000d10000d50000da0000de0000e30000e80000ec0000f10000f50000fa0000fe0000ff0000ff0000ff" +
    "0000ff0004ff0008ff000cff0010ff0014ff0018ff001cff0020ff0024ff0028ff002cff0030ff0034ff0038ff003cff" +
    "0040ff0044ff0048ff004cff0050ff0054ff0058ff005cff0060ff0064ff0068ff006cff0070ff0074ff0078ff007cff" +
    "0080ff0084ff0088ff008cff0090ff0094ff0098ff009cff00a0ff00a4ff00a8ff00acff00b0ff00b4ff00b8ff00bcff" +
    "00c0ff00c4ff00c8ff00ccff00d0ff00d4ff00d8ff00dcfe00e0fa00e4f702e8f405ecf108f0ed0cf4ea0ff8e712fce4" +
    "15ffe118ffdd1cffda1fffd722ffd425ffd029ffcd2cffca2fffc732ffc336ffc039ffbd3cffba3fffb742ffb346ffb0" +
    "49ffad4cffaa4fffa653ffa356ffa059ff9d5cff9a5fff9663ff9366ff9069ff8d6cff8970ff8673ff8376ff8079ff7d" +
    "7cff7980ff7683ff7386ff7089ff6c8dff6990ff6693ff6396ff5f9aff5c9dff59a0ff56a3ff53a6ff4faaff4cadff49" +
    "b0ff46b3ff42b7ff3fbaff3cbdff39c0ff36c3ff32c7ff2fcaff2ccdff29d0ff25d4ff22d7ff1fdaff1cddff18e0ff15" +
    "e4ff12e7ff0feaff0cedff08f1fc05f4f802f7f400faf000feed00ffe900ffe500ffe200ffde00ffda00ffd700ffd300" +
    "ffcf00ffcb00ffc800ffc400ffc000ffbd00ffb900ffb500ffb100ffae00ffaa00ffa600ffa300ff9f00ff9b00ff9800" +
    "ff9400ff9000ff8c00ff8900ff8500ff8100ff7e00ff7a00ff7600ff7300ff6f00ff6b00ff6700ff6400ff6000ff5c00" +
    "ff5900ff5500ff5100ff4d00ff4a00ff4600ff4200ff3f00ff3b00ff3700ff3400ff3000ff2c00ff2800ff2500ff2100" +
    "ff1d00ff1a00ff1600fe1200fa0f00f50b00f10700ec0300e80000e30000de0000da0000d50000d10000cc0000c80000" +
    "c30000bf0000ba0000b60000b10000ac0000a80000a300009f00009a00009600009100008d00008800008400007f0000",
  inferno:
    "00000300000400000601000701010901010b02010e02021003021204031404031605041806041b07051d08061f090621" +
    "0a07230b07260d08280e082a0f092d10092f120a32130a34140b36160b39170b3b190b3e1a0b401c0c431d0c451f0c47" +
    "200c4a220b4c240b4e260b50270b52290b542b0a562d0a582e0a5a300a5c32095d34095f3509603709613909623b0964" +
    "3c09653e0966400966410967430a68450a69460a69480b6a4a0b6a4b0c6b4d0c6b4f0d6c500d6c520e6c530e6d550f6d" +
    "570f6d58106d5a116d5b116e5d126e5f126e60136e62146e63146e65156e66156e68166e6a176e6b176e6d186e6e186e" +
    "70196e72196d731a6d751b6d761b6d781c6d7a1c6d7b1d6c7d1d6c7e1e6c801f6b811f6b83206b85206a86216a88216a" +
    "8922698b22698d23698e24689024689125679325679526669626669827659928649b28649c29639e2963a02a62a12b61" +
    "a32b61a42c60a62c5fa72d5fa92e5eab2e5dac2f5cae305baf315bb1315ab23259b43358b53357b73456b83556ba3655" +
    "bb3754bd3753be3852bf3951c13a50c23b4fc43c4ec53d4dc73e4cc83e4bc93f4acb4049cc4148cd4247cf4446d04544" +
    "d14643d24742d44841d54940d64a3fd74b3ed94d3dda4e3bdb4f3adc5039dd5238de5337df5436e05634e25733e35832" +
    "e45a31e55b30e65c2ee65e2de75f2ce8612be9622aea6428eb6527ec6726ed6825ed6a23ee6c22ef6d21f06f1ff0701e" +
    "f1721df2741cf2751af37719f37918f47a16f57c15f57e14f68012f68111f78310f7850ef8870df8880cf88a0bf98c09" +
    "f98e08f99008fa9107fa9306fa9506fa9706fb9906fb9b06fb9d06fb9e07fba007fba208fba40afba60bfba80dfbaa0e" +
    "fbac10fbae12fbb014fbb116fbb318fbb51afbb71cfbb91efabb21fabd23fabf25fac128f9c32af9c52cf9c72ff8c931" +
    "f8cb34f8cd37f7cf3af7d13cf6d33ff6d542f5d745f5d948f4db4bf4dc4ff3de52f3e056f3e259f2e45df2e660f1e864" +
    "f1e968f1eb6cf1ed70f1ee74f1f079f1f27df2f381f2f485f3f689f4f78df5f891f6fa95f7fb99f9fc9dfafda0fcfea4",
};

// Decoded tables, built on first use.
const lutCache = new Map<ColormapName, Uint8Array>();

// The RGB table of a colour map (768 bytes), checking the name.
function colormapTable(name: ColormapName): Uint8Array {
  const hex = LUT_HEX[name];
  if (hex === undefined) {
    throw new Error(`colormapTable: colormap must be one of ${COLORMAP_NAMES.join(", ")}. Received: ${String(name)}`);
  }
  let lut = lutCache.get(name);
  if (!lut) {
    lut = Uint8Array.from({ length: LUT_SIZE * 3 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
    lutCache.set(name, lut);
  }
  return lut;
}

/**
 * Map values in [0, 1] to RGB bytes like matplotlib's `cmap(v, bytes=True)`: entry
 * floor(v·256), v = 1 → the last entry. Values are clamped to [0, 1]; NaN maps like 0.
 * Returns interleaved RGB, 3 bytes per value.
 * @example
 * heatmapToRgb([0, 1], "jet"); // Uint8Array [0, 0, 127, 127, 0, 0] (dark blue, dark red)
 */
export function heatmapToRgb(values: ArrayLike<number>, colormap: ColormapName = "jet"): Uint8Array {
  const lut = colormapTable(colormap);
  const rgb = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const index = v > 0 ? Math.min(LUT_SIZE - 1, Math.floor(v * LUT_SIZE)) : 0;
    rgb[3 * i] = lut[3 * index];
    rgb[3 * i + 1] = lut[3 * index + 1];
    rgb[3 * i + 2] = lut[3 * index + 2];
  }
  return rgb;
}
