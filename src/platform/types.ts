/**
 * The platform adapter: the only door from proxx's core to the operating system.
 *
 * Core modules (jobspec, naming, ffmpeg, engine, watch) receive a `Platform` value and
 * never touch `Bun.*` or `Deno.*`. Each runtime gets one thin implementation in this
 * folder (`bun.ts`, `deno.ts`) that only translates primitives; every rule lives in the
 * core. Tests use `tests/helpers/fake-platform.ts` for speed and the real one for
 * integration.
 *
 * @example
 * ```ts
 * import { currentPlatform } from "./platform/current.ts";
 * const platform = await currentPlatform();
 * const text = await platform.readText("job.json");
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

export interface Platform {
  /** "bun" | "deno" | "fake": shown by `--version` and `doctor`. */
  readonly runtime: string;
  readonly os: "linux" | "darwin" | "windows" | string;
  readonly arch: string;

  // files
  readFile(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
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
  rename(from: string, to: string): Promise<void>;
  /** Remove a file; missing files are not an error. */
  remove(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  list(dir: string): Promise<DirEntry[]>;
  /** stat following symlinks; null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** stat of the link itself; null when the path does not exist. */
  lstat(path: string): Promise<FileStat | null>;
  realPath(path: string): Promise<string>;
  /** True when the current user may create files in `dir`. */
  isWritableDir(dir: string): Promise<boolean>;
  tempDir(): string;

  // processes
  spawn(cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Whether a process with this pid exists on this host. */
  isProcessAlive(pid: number): boolean;
  /** Send a signal to any process (used by test failpoints to kill -9 the runner itself). */
  killProcess(pid: number, signal: KillSignal): void;
  /**
   * The argv of a running process, or null when it is gone or the OS gives no cheap way to
   * read it (only Linux's /proc is read). Lets recovery make sure a pid from a crashed run
   * still is the FFmpeg it started before signalling it (pids are reused).
   */
  processArgs(pid: number): Promise<string[] | null>;
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
  sleep(ms: number): Promise<void>;

  // signals and output
  /** Install a handler; returns a function that removes it. */
  onSignal(signal: SignalName, handler: () => void): () => void;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  isStderrTTY(): boolean;
  isStdoutTTY(): boolean;
  exit(code: number): never;
}
