/**
 * What `tsc` needs to know about Deno, and no more: the mirror of bun-for-deno.d.ts.
 *
 * CI type-checks src/, tests/ and scripts/ with tsc against Bun's types (tsconfig.json). Two
 * of those files are Deno code: the Deno adapter `src/platform/deno.ts`, which tsc reaches
 * through the platform picker's dynamic import (src/platform/current.ts), so excluding it
 * would not keep it out, and the contract suite's Deno runner
 * `tests/platform-contract/deno-suite.ts`. Both are checked against Deno's full types by
 * `deno check` / `deno test`. This file declares the part of the `Deno` namespace they use,
 * copied from Deno's own declarations (`deno types`, Deno 2.9), so that tsc checks the rest of
 * those two files instead of giving up on them. Only tsconfig.json lists it; Deno never loads it.
 * Kept to what those files use: once declared here, a `Deno.*` call type-checks anywhere,
 * including code that runs under Bun, where it would fail at run time.
 */

declare namespace Deno {
  export const version: { deno: string };

  export function readFile(path: string | URL): Promise<Uint8Array<ArrayBuffer>>;
  export function readTextFile(path: string | URL): Promise<string>;
  export interface DirEntry {
    name: string;
    isFile: boolean;
    isDirectory: boolean;
    isSymlink: boolean;
  }
  export function readDir(path: string | URL): AsyncIterable<DirEntry>;
  export interface FileInfo {
    isFile: boolean;
    isDirectory: boolean;
    isSymlink: boolean;
    size: number;
    mtime: Date | null;
  }
  export function lstat(path: string | URL): Promise<FileInfo>;

  export type Signal = "SIGCONT" | "SIGHUP" | "SIGINT" | "SIGKILL" | "SIGQUIT" | "SIGSTOP" | "SIGTERM";
  export function addSignalListener(signal: Signal, handler: () => void): void;
  export function removeSignalListener(signal: Signal, handler: () => void): void;

  export interface CommandOptions {
    args?: string[];
    cwd?: string | URL;
    env?: Record<string, string>;
    stdin?: "piped" | "inherit" | "null";
    stdout?: "piped" | "inherit" | "null";
    stderr?: "piped" | "inherit" | "null";
  }
  export interface CommandStatus {
    success: boolean;
    code: number;
    signal: Signal | null;
  }
  export class ChildProcess {
    get stdin(): WritableStream<Uint8Array<ArrayBufferLike>>;
    get stdout(): ReadableStream<Uint8Array<ArrayBuffer>>;
    get stderr(): ReadableStream<Uint8Array<ArrayBuffer>>;
    readonly pid: number;
    readonly status: Promise<CommandStatus>;
    kill(signo?: Signal | number): void;
  }
  export class Command {
    constructor(command: string | URL, options?: CommandOptions);
    spawn(): ChildProcess;
  }

  interface StdWriter {
    writeSync(p: Uint8Array): number;
    isTerminal(): boolean;
  }
  export const stdout: StdWriter;
  export const stderr: StdWriter;

  export interface TestDefinition {
    name: string;
    fn: () => void | Promise<void>;
    ignore?: boolean;
  }
  export function test(t: TestDefinition): void;
}
