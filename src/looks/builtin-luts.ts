/**
 * The built-in camera LUTs: log to Rec.709, baked from OpenColorIO's built-in transforms by
 * scripts/bake-luts.ts (src/looks/builtin/PROVENANCE.md records the version and commands).
 * A JobSpec names one in `lut` instead of a .cube path. Each file ships inside the binary
 * (bundled-file.ts): the import below must stay a literal dynamic import.
 */
import type { BundledFile } from "./bundled-file.ts";

export interface BuiltinLut {
  description: string;
  /** The OCIO 2.1 BuiltinTransform style the camera side is baked from. */
  ocioStyle: string;
  file: BundledFile;
}

const file = (name: string, load: BundledFile["load"]): BundledFile => ({
  name: `${name}.cube`,
  url: new URL(`./builtin/${name}.cube`, import.meta.url),
  load,
});

export const BUILTIN_LUTS = {
  arri_logc3_awg_to_rec709: {
    description: "ARRI LogC3 (EI 800), ALEXA Wide Gamut → Rec.709 (ACES 1.0 SDR video)",
    ocioStyle: "ARRI_ALEXA-LOGC-EI800-AWG_to_ACES2065-1",
    file: file(
      "arri_logc3_awg_to_rec709",
      () => import("./builtin/arri_logc3_awg_to_rec709.cube", { with: { type: "file" } }),
    ),
  },
  sony_slog3_sgamut3cine_to_rec709: {
    description: "Sony S-Log3, S-Gamut3.Cine → Rec.709 (ACES 1.0 SDR video)",
    ocioStyle: "SONY_SLOG3-SGAMUT3.CINE_to_ACES2065-1",
    file: file(
      "sony_slog3_sgamut3cine_to_rec709",
      () => import("./builtin/sony_slog3_sgamut3cine_to_rec709.cube", { with: { type: "file" } }),
    ),
  },
  sony_slog3_sgamut3_to_rec709: {
    description: "Sony S-Log3, S-Gamut3 → Rec.709 (ACES 1.0 SDR video)",
    ocioStyle: "SONY_SLOG3-SGAMUT3_to_ACES2065-1",
    file: file(
      "sony_slog3_sgamut3_to_rec709",
      () => import("./builtin/sony_slog3_sgamut3_to_rec709.cube", { with: { type: "file" } }),
    ),
  },
  canon_clog3_cinemagamut_to_rec709: {
    description: "Canon Log 3, Cinema Gamut → Rec.709 (ACES 1.0 SDR video)",
    ocioStyle: "CANON_CLOG3-CGAMUT_to_ACES2065-1",
    file: file(
      "canon_clog3_cinemagamut_to_rec709",
      () => import("./builtin/canon_clog3_cinemagamut_to_rec709.cube", { with: { type: "file" } }),
    ),
  },
  panasonic_vlog_vgamut_to_rec709: {
    description: "Panasonic V-Log, V-Gamut → Rec.709 (ACES 1.0 SDR video)",
    ocioStyle: "PANASONIC_VLOG-VGAMUT_to_ACES2065-1",
    file: file(
      "panasonic_vlog_vgamut_to_rec709",
      () => import("./builtin/panasonic_vlog_vgamut_to_rec709.cube", { with: { type: "file" } }),
    ),
  },
  red_log3g10_rwg_to_rec709: {
    description: "RED Log3G10, REDWideGamutRGB → Rec.709 (ACES 1.0 SDR video)",
    ocioStyle: "RED_LOG3G10-RWG_to_ACES2065-1",
    file: file(
      "red_log3g10_rwg_to_rec709",
      () => import("./builtin/red_log3g10_rwg_to_rec709.cube", { with: { type: "file" } }),
    ),
  },
} as const satisfies Record<string, BuiltinLut>;

export type BuiltinLutName = keyof typeof BUILTIN_LUTS;
export const BUILTIN_LUT_NAMES = Object.keys(BUILTIN_LUTS).sort() as BuiltinLutName[];

export function isBuiltinLut(name: string): name is BuiltinLutName {
  return Object.hasOwn(BUILTIN_LUTS, name);
}
