import { describe, expect, test } from "bun:test";
import { applyLut, CubeError, ffmpegFiles, parseCube } from "../../src/looks/cube.ts";
import { cube3d, identity, shaperAndCube, swapRedBlue } from "../helpers/luts.ts";

const errorOf = (text: string) => {
  try {
    parseCube(text, "look.cube");
  } catch (error) {
    return error as CubeError;
  }
  throw new Error("parsed");
};

describe("parseCube", () => {
  test("a 3D cube: size, rows, red fastest", () => {
    const lut = parseCube(cube3d(5, swapRedBlue), "swap.cube");
    expect(lut.cube?.size).toBe(5);
    expect(lut.shaper).toBeNull();
    expect(applyLut(lut, [0.8, 0.5, 0.2]).map((v) => +v.toFixed(4))).toEqual([0.2, 0.5, 0.8]);
  });

  test("shaper + cube (Resolve): split into a 1D and a 3D file; grey stays grey", () => {
    const lut = parseCube(shaperAndCube(), "shaper.cube");
    expect(lut.shaper?.size).toBe(64);
    expect(lut.cube?.size).toBe(17);
    const grey = applyLut(lut, [0.125, 0.125, 0.125]);
    for (const v of grey) expect(Math.abs(v - 0.125)).toBeLessThan(0.01);
    const files = ffmpegFiles(lut);
    expect(files.lut1d).toStartWith("LUT_1D_SIZE 64\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n");
    expect(files.lut3d).toStartWith("LUT_3D_SIZE 17\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n");
    expect(files.lut3d!.split("\n").length).toBe(17 ** 3 + 3 + 1);
  });

  test("LUT_3D_INPUT_RANGE becomes DOMAIN_MIN/MAX", () => {
    const text = cube3d(3, identity).replace("LUT_3D_SIZE 3", "LUT_3D_SIZE 3\nLUT_3D_INPUT_RANGE 0 2");
    const lut = parseCube(text, "range.cube");
    expect(lut.cube?.max).toEqual([2, 2, 2]);
    expect(ffmpegFiles(lut).lut3d).toContain("DOMAIN_MAX 2 2 2\n");
  });

  test("DOMAIN_MIN/MAX kept", () => {
    const lut = parseCube(cube3d(3, identity, { min: -0.5, max: 1.5 }), "wide.cube");
    expect(lut.cube?.min).toEqual([-0.5, -0.5, -0.5]);
    expect(applyLut(lut, [1, 1, 1]).map((v) => +v.toFixed(3))).toEqual([1, 1, 1]);
  });

  test.each([
    ["LUT_3D_SIZE 2\n0 0 0\n", 2, /1 rows, but LUT_3D_SIZE 2 needs 8 rows/],
    [`${cube3d(2, identity)}1 1 1\n`, 11, /more rows than/],
    [cube3d(2, identity).replace("1.000000 1.000000 1.000000", "1 nan 1"), 10, /'nan' is not a number/],
    [cube3d(2, identity).replace("0.000000 0.000000 0.000000", "0 0"), 3, /a row needs 3 numbers, got 2/],
    ["LUT_3D_SIZE 1\n0 0 0\n", 1, /LUT_3D_SIZE must be a whole number from 2 to 256/],
    ["LUT_3D_SIZE 300\n", 1, /from 2 to 256/],
    ["LUT_3D_SIZE 2.5\n", 1, /whole number/],
    ["LUT_3D_SIZE 2\nDOMAIN_MIN 1 0 0\n", 2, /DOMAIN_MIN must be below DOMAIN_MAX .*channel r/],
    ["LUT_3D_SIZE 2\nLUT_3D_SIZE 2\n", 2, /given twice \(first on line 1\)/],
    ["LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 1 0\n", 2, /minimum 1 must be below the maximum 0/],
    ["LUT_3D_SIZE 2\nLUT_IN_VIDEO_RANGE\n", 2, /unknown keyword 'LUT_IN_VIDEO_RANGE'/],
    ['LUT_3D_SIZE 2\n0 0 0\nTITLE "x"\n', 3, /keywords go before the rows/],
    ["LUT_1D_SIZE 2\nLUT_3D_SIZE 2\nDOMAIN_MAX 1 1 1\n", 3, /ambiguous/],
    ["LUT_3D_SIZE 2\nDOMAIN_MAX 1 1 1e999\n", 2, /not a finite number/],
  ])("refused with the line: %#", (text, line, message) => {
    const error = errorOf(text);
    expect(error).toBeInstanceOf(CubeError);
    expect(error.line).toBe(line);
    expect(error.message).toStartWith(`look.cube:${line}: `);
    expect(error.message).toMatch(message);
  });

  test("a file that is no LUT at all", () => {
    expect(errorOf("hello\n").message).toMatch(/^look\.cube:1: unknown keyword 'hello'/);
    expect(errorOf("# only a comment\n").message).toBe(
      "look.cube: has neither LUT_1D_SIZE nor LUT_3D_SIZE: not a .cube LUT",
    );
  });

  test("CRLF line ends and a BOM are fine", () => {
    const lut = parseCube("\uFEFF" + cube3d(2, identity).replaceAll("\n", "\r\n"), "crlf.cube");
    expect(lut.cube?.size).toBe(2);
  });
});
