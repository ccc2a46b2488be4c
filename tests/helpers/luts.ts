/**
 * Test LUTs written in TypeScript (no vendor files): an identity, a channel swap, a cube
 * over a wider domain, and Resolve's shaper + cube form.
 */

type Fn = (r: number, g: number, b: number) => [number, number, number];

/** A 3D `.cube` of `size`³ rows computing `fn` over the domain [min, max] (red fastest). */
export function cube3d(size: number, fn: Fn, options: { min?: number; max?: number; header?: string[] } = {}): string {
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  const at = (i: number) => min + ((max - min) * i) / (size - 1);
  const lines = [`TITLE "proxx test"`, `LUT_3D_SIZE ${size}`, ...(options.header ?? [])];
  if (options.min !== undefined || options.max !== undefined) {
    lines.push(`DOMAIN_MIN ${min} ${min} ${min}`, `DOMAIN_MAX ${max} ${max} ${max}`);
  }
  for (let b = 0; b < size; b++) {
    for (let g = 0; g < size; g++) {
      for (let r = 0; r < size; r++) lines.push(fn(at(r), at(g), at(b)).map((v) => v.toFixed(6)).join(" "));
    }
  }
  return lines.join("\n") + "\n";
}

export const identity: Fn = (r, g, b) => [r, g, b];
/** Red and blue exchanged. */
export const swapRedBlue: Fn = (r, g, b) => [b, g, r];

/**
 * Resolve's shaper form: LUT_1D_SIZE + LUT_1D_INPUT_RANGE + LUT_3D_SIZE + LUT_3D_INPUT_RANGE,
 * the 1D rows first. The shaper is x → sqrt(x); the cube squares it back, so the whole LUT is
 * an identity: grey must stay grey (FFmpeg alone read the shaper rows as cube rows: green).
 */
export function shaperAndCube(size1 = 64, size3 = 17): string {
  const lines = [
    `TITLE "shaper"`,
    `LUT_1D_SIZE ${size1}`,
    "LUT_1D_INPUT_RANGE 0 1",
    `LUT_3D_SIZE ${size3}`,
    "LUT_3D_INPUT_RANGE 0 1",
  ];
  for (let i = 0; i < size1; i++) {
    const v = Math.sqrt(i / (size1 - 1)).toFixed(6);
    lines.push(`${v} ${v} ${v}`);
  }
  const body = cube3d(size3, (r, g, b) => [r * r, g * g, b * b]).split("\n").slice(2);
  return [...lines, ...body].join("\n");
}
