/**
 * One matrix cell: a source kind through one codec/container pair, run as `proxx run` runs
 * it and judged by the contract (conform.ts) plus what the clip result claims. Shared by
 * `scripts/fidelity.ts` (the full matrix, docs/fidelity.md) and the CI subset, so both judge
 * the same way.
 */
import { spawnSync } from "node:child_process";
import { type Codec, codecFacts, CODECS, type Container, containerFacts } from "../../src/ffmpeg/codecs.ts";
import { conformance, type ContractPlan, type Facts, frameTimes, probeFacts, unevenlySpaced } from "./conform.ts";
import { runJob } from "./run.ts";

export interface Pair {
  codec: Codec;
  container: Container;
}

/** Every codec/container pair the codec table allows (hevc is h265's alias: left out). */
export function allPairs(): Pair[] {
  return CODECS.filter((c) => c !== "hevc").flatMap((codec) =>
    codecFacts(codec).containers.map((container) => ({ codec, container }))
  );
}

export const pairName = (p: Pair) => `${p.codec}/${p.container}`;

/**
 * conforms: COMPLETED and the proxy meets the contract. refused: failed before FFmpeg ran
 * (validation or stage probe) with a reason. failed: FFmpeg failed or verification caught a
 * mismatch (honest, but a refusal would say why sooner). WRONG: COMPLETED yet not conforming,
 * the one outcome the contract forbids.
 */
export type Verdict = "conforms" | "refused" | "failed" | "WRONG";

export interface Cell {
  verdict: Verdict;
  /** The stage and reason of a refusal or failure, or the contract problems of a WRONG proxy. */
  reason: string | null;
  source: Figures;
  proxy: Figures | null;
}

/** The ffprobe figures an editor checks, as the report prints them. */
export interface Figures {
  frames: number;
  size: string;
  sar: string;
  dar: string;
  rate: string;
  fieldOrder: string;
  colour: string;
  timecode: string;
  audio: string;
}

/** Field order, colour tags and rotation are read here; the rest comes from conform.ts's facts. */
function figures(file: string, facts: Facts, timecodeOrigin?: string | null): Figures {
  const r = spawnSync("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", file], { encoding: "utf8" });
  // deno-lint-ignore no-explicit-any -- ffprobe JSON
  const v = (JSON.parse(r.stdout || "{}").streams ?? []).find((s: any) => s.codec_type === "video") ?? {};
  const colour = [v.color_primaries, v.color_transfer, v.color_space, v.color_range].map((x) => x ?? "-").join("/");
  const tc = `${facts.timecode ?? "none"}${facts.reel ? `, reel ${facts.reel}` : ""}`;
  return {
    frames: facts.video.frames,
    size: `${facts.video.width}x${facts.video.height}`,
    sar: v.sample_aspect_ratio ?? "1:1",
    dar: facts.video.dar.toFixed(3),
    rate: facts.video.rate,
    fieldOrder: v.field_order ?? "-",
    colour,
    timecode: timecodeOrigin && timecodeOrigin !== "source" && facts.timecode ? `${tc} (${timecodeOrigin})` : tc,
    audio: facts.audio.length === 0
      ? "none"
      : facts.audio.map((a) => `${a.channels}ch ${a.layout ?? "(no layout)"} ${a.sampleRate / 1000}k`).join(", "),
  };
}

/** What the proxy must be for this pair: the container's sample rate and timecode rules. */
export function contractPlan(source: Facts, pair: Pair): ContractPlan {
  const facts = containerFacts(pair.container);
  return {
    fps: null,
    container: pair.container,
    sampleRate: facts.keepsSampleRate ? undefined : 48000,
    // MXF writes 00:00:00:00 for a source without one: not checked here, timecode_origin must say so.
    timecode: !facts.timecode ? undefined : source.timecode ?? (pair.container === "mxf" ? undefined : null),
    // MOV keeps the reel on its timecode track, so only with a timecode: FFmpeg's muxer writes
    // no tmcd track for a source without one, and proxx invents none to carry the reel.
    reel: !facts.reelName ? undefined : source.timecode ? source.reel : null,
  };
}

/** A variable-rate source's decoded frame times, per source file (null: constant rate). */
const variableTimes = new Map<string, number[] | null>();

function sourceVariableTimes(file: string): number[] | null {
  if (!variableTimes.has(file)) {
    const times = frameTimes(file);
    variableTimes.set(file, unevenlySpaced(times) ? times : null);
  }
  return variableTimes.get(file)!;
}

export async function judge(dir: string, sourceFile: string, pair: Pair): Promise<Cell> {
  const sourceFacts = probeFacts(sourceFile);
  const source = figures(sourceFile, sourceFacts);
  const run = await runJob(dir, sourceFile, { codec: pair.codec, container: pair.container, resolution: "same" });
  const clip = run.result.clips[0];
  if (!clip) {
    const why = run.result.validation_error?.errors.map((e) => `${e.path}: ${e.message}`).join("; ") ??
      run.result.failure_reason;
    return { verdict: "refused", reason: `validate: ${why}`, source, proxy: null };
  }
  if (clip.status === "FAILED") {
    const early = clip.failure_stage === "validate" || clip.failure_stage === "probe";
    return {
      verdict: early ? "refused" : "failed",
      reason: `${clip.failure_stage}: ${clip.failure_reason}`,
      source,
      proxy: null,
    };
  }
  const proxyFacts = probeFacts(run.output);
  const plan = contractPlan(sourceFacts, pair);
  const times = sourceVariableTimes(sourceFile);
  if (times) plan.frameTimes = { source: times, proxy: frameTimes(run.output) };
  const problems = conformance(sourceFacts, proxyFacts, plan);
  if (sourceFacts.timecode === null && clip.timecode_origin === "source") {
    problems.push(`timecode ${proxyFacts.timecode} reported as the source's, which has none`);
  }
  if (clip.channel_layouts?.includes("changed")) problems.push(`channel layouts ${clip.channel_layouts.join(", ")}`);
  return {
    verdict: problems.length === 0 ? "conforms" : "WRONG",
    reason: problems.length === 0 ? null : problems.join("; "),
    source,
    proxy: figures(run.output, proxyFacts, clip.timecode_origin),
  };
}
