/**
 * The platform adapter: the only door from proxx's core to the operating system.
 *
 * Core modules (jobspec, naming, ffmpeg, engine, watch) receive a `Platform` value and
 * never touch `Bun.*` or `Deno.*`. An adapter provides a `System`: primitives only (open
 * with flags, write, fsync, rename, list, stat, spawn, kill, signals, a timer), shared in
 * `shared.ts` where `node:*` behaves the same on Bun and Deno, per runtime (`bun.ts`,
 * `deno.ts`) only where they differ. `compose.ts` adds the rules written once in the core
 * (atomic write, durable append, exclusive create, the no-follow policy: src/fs/durable.ts;
 * sleep: src/util/timers.ts). Tests use `tests/helpers/fake-platform.ts`, which composes
 * the same rules over in-memory primitives, and the real one for integration;
 * `tests/platform-contract/` runs one list of cases against each real adapter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { currentPlatform } from "./current.ts";
 *
 * const platform = await currentPlatform();
 * const dir = await mkdtemp(join(tmpdir(), "proxx-example-"));
 * await platform.writeFileAtomic(join(dir, "job.json"), '{"job_id": "a"}\n');
 * assert.equal(await platform.readText(join(dir, "job.json")), '{"job_id": "a"}\n');
 * await rm(dir, { recursive: true });
 * ```
 */

export interface FileStat {
  size: number;
  /** Modification time in epoch milliseconds. */
  mtimeMs: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export type KillSignal = "SIGINT" | "SIGTERM" | "SIGKILL";

export interface SpawnOptions {
  cwd?: string;
  /** Extra environment variables, merged over the current environment. */
  env?: Record<string, string>;
  /** Called with each decoded chunk of stdout / stderr as it arrives. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** When true, stdin is a pipe the caller can write to; otherwise it is closed. */
  pipeStdin?: boolean;
}

export interface ExitStatus {
  /** Exit code, or null when the process died by a signal. */
  code: number | null;
  /** Name of the signal that ended the process, if any. */
  signal: string | null;
}

export interface ChildProcess {
  pid: number;
  /** Resolves once the process has exited and been reaped, and its pipes are drained. */
  exited: Promise<ExitStatus>;
  /** Write to stdin (only when spawned with `pipeStdin`). Errors are swallowed: the child may be gone. */
  writeStdin(text: string): void;
  kill(signal: KillSignal): void;
}

export type SignalName = "SIGINT" | "SIGTERM";

/** How `System.open` opens a file, always for writing; the rules that pick flags live in src/fs/durable.ts. */
export interface OpenFlags {
  /** O_CREAT: create the file when missing. */
  create?: boolean;
  /** O_EXCL (with `create`): fail with EEXIST when anything is at the path, a symbolic link included. */
  exclusive?: boolean;
  /** O_APPEND: every write goes to the end of the file. */
  append?: boolean;
  /** O_NOFOLLOW: a symbolic link at the path fails the open (ELOOP), in the same system call. */
  noFollow?: boolean;
}

/** A file opened by `System.open`. */
export interface WritableFile {
  /** Write all of `bytes` (short writes are continued). */
  write(bytes: Uint8Array): Promise<void>;
  /** fsync: the bytes are on disk when this resolves. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** One running process and its argv. */
export interface ProcessInfo {
  pid: number;
  args: string[];
}

/**
 * What a runtime adapter provides: operating-system primitives, translated, no proxx rules.
 * Errors carry node-style `code`s (`ENOENT`, `EEXIST`, `ELOOP`, `EISDIR`...) on every runtime.
 */
export interface System {
  /** "bun" | "deno" | "fake": shown by `--version` and `doctor`. */
  readonly runtime: string;
  readonly os: "linux" | "darwin" | "windows" | string;
  readonly arch: string;

  // files
  readFile(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  open(path: string, flags: OpenFlags): Promise<WritableFile>;
  /** Replaces an existing file at `to` (a symbolic link there is replaced, not followed). */
  rename(from: string, to: string): Promise<void>;
  /** A hard link: fails with EEXIST when `to` exists. */
  link(from: string, to: string): Promise<void>;
  /** Remove a file, or a symbolic link itself (never its target); missing is not an error, a directory is (EISDIR). */
  remove(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  list(dir: string): Promise<DirEntry[]>;
  /** stat following symlinks; null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** stat of the link itself; null when the path does not exist. */
  lstat(path: string): Promise<FileStat | null>;
  realPath(path: string): Promise<string>;
  tempDir(): string;

  // processes
  spawn(cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Whether a process with this pid exists on this host (signal 0: the process is not touched). */
  isProcessAlive(pid: number): boolean;
  /** Send a signal to any process (used by test failpoints to kill -9 the runner itself). */
  killProcess(pid: number, signal: KillSignal): void;
  /**
   * The argv of a running process, or null when it is gone or the OS gives no cheap way to
   * read it (only Linux's /proc is read). Lets recovery make sure a pid from a crashed run
   * still is the FFmpeg it started before signalling it (pids are reused).
   */
  processArgs(pid: number): Promise<string[] | null>;
  /** Every process whose argv can be read, or null where the OS gives no cheap way (only Linux's /proc). */
  listProcesses(): Promise<ProcessInfo[] | null>;
  readonly pid: number;
  hostname(): string;

  // environment
  env(name: string): string | undefined;
  cwd(): string;
  /** Absolute path of the running executable (the compiled binary, or the runtime). */
  execPath(): string;

  // time
  /** Wall clock in epoch milliseconds. */
  now(): number;
  /** Monotonic clock in milliseconds, for durations. */
  monotonic(): number;
  /** Call `callback` once after `ms`; the returned function cancels it. The fake fires it when its clock gets there. */
  setTimer(ms: number, callback: () => void): () => void;

  // signals and output
  /** Install a handler; returns a function that removes it. */
  onSignal(signal: SignalName, handler: () => void): () => void;
  /**
   * Call `handler` with an error thrown outside any promise, instead of the runtime's crash;
   * returns a function that removes it.
   */
  onUncaughtException(handler: (error: unknown) => void): () => void;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  isStderrTTY(): boolean;
  isStdoutTTY(): boolean;
  exit(code: number): never;
}

/** What the core uses: the adapter's primitives plus the rules built on them once (src/platform/compose.ts). */
export interface Platform extends System {
  /**
   * Write to `<path>.tmp-<pid>`, fsync, then rename over `path`: readers see old or new, never half.
   * Never writes through a symlink: whatever is at the temp name is removed and the temp file
   * created with O_EXCL, and the rename replaces a link at `path` rather than its target.
   */
  writeFileAtomic(path: string, data: string | Uint8Array): Promise<void>;
  /**
   * Append to `path` (created when missing) and fsync before resolving. Never through a
   * symbolic link at `path`: that is an error (ELOOP).
   */
  appendFileDurable(path: string, data: string): Promise<void>;
  /** Create `path` only if it does not exist (O_EXCL). Returns false when it already exists. */
  createExclusive(path: string, data: string): Promise<boolean>;
  /** True when the current user may create files in `dir` (found out by creating one). */
  isWritableDir(dir: string): Promise<boolean>;
  /** Wait `ms`, or less when `signal` aborts (resolves either way, never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
