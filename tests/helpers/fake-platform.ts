/**
 * An in-memory `Platform` for fast, deterministic unit tests of any core module.
 *
 * - Files: `files` maps absolute POSIX paths to bytes + mtime; `dirs` holds directories
 *   (`/`, the cwd and `/tmp` exist from the start). Relative paths resolve against `cwd`;
 *   `.`/`..`/`//` are normalised. Missing paths reject with an Error whose `code` is
 *   `ENOENT` (like node), directories where files are expected with `EISDIR`, etc.
 * - Semantics follow POSIX: `rename` replaces an existing destination file (that is what
 *   the real OS does, so code must check first), `open` honours create/exclusive/append
 *   (no symbolic links here: the contract suite checks the no-follow policy on the real
 *   adapters), every write sets mtime to the fake clock, `list` returns entries in
 *   *reverse* name order so code that forgets to sort is caught. A directory in
 *   `readOnlyDirs` refuses new files (EACCES).
 * - Durable writes (`writeFileAtomic`, `appendFileDurable`, `createExclusive`,
 *   `isWritableDir`) are the core's own (src/fs/durable.ts) over these primitives, as on
 *   the real adapters: a temp file really exists while an atomic write is under way.
 * - Clock: `now()` starts at `startMs` (default 2025-12-28T12:00:00Z), `advance(ms)` moves
 *   wall and monotonic clocks and fires the timers (`setTimer`, hence `deadline`) due on
 *   the way, in order; `sleep(ms)` advances instantly and then runs the `onSleep` hooks
 *   (use them to change the folder "while the runner waits"). A timeout fires when the test
 *   (or some code's sleep) moves the clock past it, never by real time, so a scripted child
 *   that should take a while waits on this clock too.
 * - Processes: `spawn` throws "spawn not supported in fake platform" (override `spawnImpl`
 *   to script a child); `isProcessAlive` is true for `pid` and for pids in `alivePids`;
 *   `processTable` holds the argv that `processArgs` / `listProcesses` report.
 * - Output: `stdout` / `stderr` capture what was written; `exit(code)` throws `FakeExit`.
 * - Signals: `emitSignal("SIGTERM")` calls handlers installed with `onSignal`.
 * - Faults: `failNext("rename", err?)` makes the next call of that method reject (or throw,
 *   for sync methods) with `err` (default `EIO`); queue several, they fire in order. The
 *   primitives a durable write uses are named `sys.open`, `sys.rename`, `sys.remove` and,
 *   on the opened file, `write`, `sync`, `close` (`failNext("write")`: the disk fills in
 *   the next write), so failing them never takes the caller's own `rename`. `log` lists
 *   every call in order as `op path`, the primitives under those names.
 *
 * @example
 * ```ts
 * const p = new FakePlatform();
 * p.writeFile("/w/job.json", "{}");          // test helper: creates parent dirs
 * p.advance(5000);
 * expect(p.text("/w/job.json")).toBe("{}");
 * ```
 */
// `async` is how the methods below turn a thrown fault into a rejection, as the real adapters do.
// deno-lint-ignore-file require-await
import type {
  ChildProcess,
  DirEntry,
  FileStat,
  KillSignal,
  OpenFlags,
  Platform,
  ProcessInfo,
  SignalName,
  SpawnOptions,
  WritableFile,
} from "../../src/platform/types.ts";
import { type DurableFs, durableFs, type DurableIo } from "../../src/fs/durable.ts";

export interface FakeFile {
  data: Uint8Array;
  mtimeMs: number;
}

export class FakeExit extends Error {
  constructor(readonly code: number) {
    super(`exit(${code})`);
  }
}

export interface FakePlatformOptions {
  startMs?: number;
  cwd?: string;
  pid?: number;
  hostname?: string;
  env?: Record<string, string>;
  os?: string;
  files?: Record<string, string | Uint8Array>;
}

function errno(code: string, op: string, path: string): Error {
  const e = new Error(`${code}: ${op} '${path}'`) as Error & { code: string; path: string };
  e.code = code;
  e.path = path;
  return e;
}

const enc = new TextEncoder();

export class FakePlatform implements Platform {
  readonly runtime = "fake";
  readonly os: string;
  readonly arch = "x64";
  readonly pid: number;
  readonly files = new Map<string, FakeFile>();
  readonly dirs = new Map<string, number>(); // path -> mtime
  readonly alivePids = new Set<number>();
  readonly envVars: Record<string, string>;
  readonly readOnlyDirs = new Set<string>();
  stdout = "";
  stderr = "";
  stdoutTTY = false;
  stderrTTY = false;
  host: string;
  cwdPath: string;
  execPathValue = "/usr/local/bin/proxx";
  /** Called after every `sleep`, with the slept ms; may change files. */
  readonly onSleep: Array<(ms: number) => void | Promise<void>> = [];
  /** Replace to script child processes. */
  spawnImpl: ((cmd: string, args: string[], options?: SpawnOptions) => ChildProcess) | null = null;
  /** Every method call, in order, as `op path` (for asserting write order). */
  readonly log: string[] = [];
  private nowMs: number;
  private mono = 0;
  private readonly failures = new Map<string, Error[]>();
  private readonly signalHandlers = new Map<SignalName, Set<() => void>>();
  private readonly timers: { due: number; seq: number; fire: () => void }[] = [];
  private timerSeq = 0;
  /** The primitives the durable writes are built on, logged and failed under their own names. */
  private readonly sys: DurableIo = {
    open: (path, flags) => this.openAs("sys.open", path, flags),
    rename: (from, to) => this.renameAs("sys.rename", from, to),
    remove: (path) => this.removeAs("sys.remove", path),
  };
  private readonly durable: DurableFs;

  constructor(options: FakePlatformOptions = {}) {
    this.nowMs = options.startMs ?? Date.UTC(2025, 11, 28, 12, 0, 0);
    this.cwdPath = normalize(options.cwd ?? "/work", "/");
    this.pid = options.pid ?? 4242;
    this.host = options.hostname ?? "fakehost";
    this.envVars = { ...(options.env ?? {}) };
    this.os = options.os ?? "linux";
    this.durable = durableFs(this.sys, this.pid);
    this.mkdirSync("/");
    this.mkdirSync(this.cwdPath);
    this.mkdirSync("/tmp");
    for (const [path, data] of Object.entries(options.files ?? {})) this.writeFile(path, data);
  }

  // ---------- test helpers ----------

  /** Absolute, normalised path as the fake stores it. */
  resolve(path: string): string {
    return normalize(path, this.cwdPath);
  }

  /** Create or replace a file (parents created), mtime = now unless given. */
  writeFile(path: string, data: string | Uint8Array, mtimeMs?: number): void {
    const p = this.resolve(path);
    this.mkdirSync(parentOf(p));
    this.files.set(p, {
      data: typeof data === "string" ? enc.encode(data) : data.slice(),
      mtimeMs: mtimeMs ?? this.nowMs,
    });
  }

  /** Append bytes, bumping mtime (a file "growing" while copied in). */
  appendFile(path: string, data: string | Uint8Array): void {
    const p = this.resolve(path);
    const old = this.files.get(p)?.data ?? new Uint8Array();
    const add = typeof data === "string" ? enc.encode(data) : data;
    const next = new Uint8Array(old.length + add.length);
    next.set(old);
    next.set(add, old.length);
    this.writeFile(p, next);
  }

  setMtime(path: string, mtimeMs: number): void {
    const f = this.files.get(this.resolve(path));
    if (!f) throw errno("ENOENT", "setMtime", path);
    f.mtimeMs = mtimeMs;
  }

  exists(path: string): boolean {
    const p = this.resolve(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  /** File content as UTF-8 text (throws when missing). */
  text(path: string): string {
    const f = this.files.get(this.resolve(path));
    if (!f) throw errno("ENOENT", "text", path);
    return new TextDecoder().decode(f.data);
  }

  // Callers read fields of the file's JSON straight into expect(), as they would from JSON.parse.
  // deno-lint-ignore no-explicit-any
  json(path: string): any {
    return JSON.parse(this.text(path));
  }

  /** Sorted file paths under `dir` (recursive); handy for whole-folder snapshots. */
  filesUnder(dir: string): string[] {
    const d = this.resolve(dir);
    const prefix = d === "/" ? "/" : d + "/";
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }

  /** `{path: text}` of every file under `dir`: compare two snapshots for "nothing changed". */
  snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const p of this.filesUnder(dir)) out[p] = `${this.files.get(p)!.mtimeMs} ${this.text(p)}`;
    return out;
  }

  mkdirSync(path: string): void {
    let p = this.resolve(path);
    const chain: string[] = [];
    while (!this.dirs.has(p)) {
      if (this.files.has(p)) throw errno("EEXIST", "mkdir", p);
      chain.push(p);
      if (p === "/") break;
      p = parentOf(p);
    }
    for (const c of chain.reverse()) this.dirs.set(c, this.nowMs);
  }

  /** Move both clocks by `ms`, firing every timer due on the way in due order (each at its due time). */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= end).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      const step = Math.max(0, next.due - this.mono);
      this.nowMs += step;
      this.mono += step;
      next.fire();
    }
    this.nowMs += end - this.mono;
    this.mono = end;
  }

  /** Timers waiting for the clock (neither due yet nor cancelled). */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Next call of `op` fails with `error` (default EIO). */
  failNext(op: keyof Platform | string, error?: Error): void {
    const list = this.failures.get(op) ?? [];
    list.push(error ?? errno("EIO", op, "(injected)"));
    this.failures.set(op, list);
  }

  emitSignal(signal: SignalName): void {
    for (const h of [...(this.signalHandlers.get(signal) ?? [])]) h();
  }

  private fault(op: string, path = ""): void {
    this.log.push(path ? `${op} ${path}` : op);
    const list = this.failures.get(op);
    if (list && list.length) {
      const e = list.shift()!;
      if (!list.length) this.failures.delete(op);
      throw e;
    }
  }

  private requireDir(path: string, op: string): void {
    if (!this.dirs.has(path)) throw errno(this.files.has(path) ? "ENOTDIR" : "ENOENT", op, path);
  }

  // ---------- Platform: files ----------

  async readFile(path: string): Promise<Uint8Array> {
    const p = this.resolve(path);
    this.fault("readFile", p);
    if (this.dirs.has(p)) throw errno("EISDIR", "read", p);
    const f = this.files.get(p);
    if (!f) throw errno("ENOENT", "open", p);
    return f.data.slice();
  }

  async readText(path: string): Promise<string> {
    const p = this.resolve(path);
    this.fault("readText", p);
    if (this.dirs.has(p)) throw errno("EISDIR", "read", p);
    const f = this.files.get(p);
    if (!f) throw errno("ENOENT", "open", p);
    return new TextDecoder().decode(f.data);
  }

  async writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const p = this.resolve(path);
    this.fault("writeFileAtomic", p);
    return this.durable.writeFileAtomic(p, data);
  }

  async appendFileDurable(path: string, data: string): Promise<void> {
    const p = this.resolve(path);
    this.fault("appendFileDurable", p);
    return this.durable.appendFileDurable(p, data);
  }

  async createExclusive(path: string, data: string): Promise<boolean> {
    const p = this.resolve(path);
    this.fault("createExclusive", p);
    return this.durable.createExclusive(p, data);
  }

  isWritableDir(dir: string): Promise<boolean> {
    const p = this.resolve(dir);
    this.fault("isWritableDir", p);
    return this.durable.isWritableDir(p);
  }

  open(path: string, flags: OpenFlags): Promise<WritableFile> {
    return this.openAs("open", path, flags);
  }

  rename(from: string, to: string): Promise<void> {
    return this.renameAs("rename", from, to);
  }

  remove(path: string): Promise<void> {
    return this.removeAs("remove", path);
  }

  async link(from: string, to: string): Promise<void> {
    const a = this.resolve(from);
    const b = this.resolve(to);
    this.fault("link", `${a} -> ${b}`);
    this.requireDir(parentOf(b), "link");
    const file = this.files.get(a);
    if (!file) throw errno(this.dirs.has(a) ? "EPERM" : "ENOENT", "link", a);
    if (this.files.has(b) || this.dirs.has(b)) throw errno("EEXIST", "link", b);
    this.files.set(b, file); // one inode, two names: a write through either shows in both
  }

  private async openAs(op: string, path: string, flags: OpenFlags): Promise<WritableFile> {
    const p = this.resolve(path);
    this.fault(op, p);
    const parent = parentOf(p);
    this.requireDir(parent, "open");
    if (this.dirs.has(p)) throw errno(flags.create && flags.exclusive ? "EEXIST" : "EISDIR", "open", p);
    let file = this.files.get(p);
    if (file && flags.create && flags.exclusive) throw errno("EEXIST", "open", p);
    if (!file) {
      if (!flags.create) throw errno("ENOENT", "open", p);
      if (this.readOnlyDirs.has(parent)) throw errno("EACCES", "open", p);
      file = { data: new Uint8Array(), mtimeMs: this.nowMs };
      this.files.set(p, file);
    }
    const f = file;
    let position = 0;
    let closed = false;
    const live = (name: string) => {
      this.fault(name, p);
      if (closed) throw errno("EBADF", name, p);
    };
    return {
      write: async (bytes) => {
        live("write");
        const at = flags.append ? f.data.length : position;
        const next = new Uint8Array(Math.max(f.data.length, at + bytes.length));
        next.set(f.data);
        next.set(bytes, at);
        f.data = next;
        f.mtimeMs = this.nowMs;
        position = at + bytes.length;
      },
      sync: async () => live("sync"),
      close: async () => {
        live("close");
        closed = true;
      },
    };
  }

  private async renameAs(op: string, from: string, to: string): Promise<void> {
    const a = this.resolve(from);
    const b = this.resolve(to);
    this.fault(op, `${a} -> ${b}`);
    this.requireDir(parentOf(b), "rename");
    if (a === b) return;
    const file = this.files.get(a);
    if (file) {
      if (this.dirs.has(b)) throw errno("EISDIR", "rename", b);
      this.files.delete(a);
      this.files.set(b, file); // POSIX: silently replaces an existing file
      return;
    }
    if (!this.dirs.has(a)) throw errno("ENOENT", "rename", a);
    if (this.files.has(b)) throw errno("ENOTDIR", "rename", b);
    if (b.startsWith(a + "/")) throw errno("EINVAL", "rename", b);
    const moveKeys = <V>(m: Map<string, V>) => {
      for (const [k, v] of [...m]) {
        if (k === a || k.startsWith(a + "/")) {
          m.delete(k);
          m.set(b + k.slice(a.length), v);
        }
      }
    };
    moveKeys(this.files);
    moveKeys(this.dirs);
  }

  private async removeAs(op: string, path: string): Promise<void> {
    const p = this.resolve(path);
    this.fault(op, p);
    if (this.dirs.has(p)) throw errno("EISDIR", "rm", p);
    this.files.delete(p);
  }

  async mkdir(path: string): Promise<void> {
    const p = this.resolve(path);
    this.fault("mkdir", p);
    this.mkdirSync(p);
  }

  async list(dir: string): Promise<DirEntry[]> {
    const d = this.resolve(dir);
    this.fault("list", d);
    this.requireDir(d, "scandir");
    const prefix = d === "/" ? "/" : d + "/";
    const out: DirEntry[] = [];
    const direct = (k: string) => k.startsWith(prefix) && k !== d && !k.slice(prefix.length).includes("/");
    for (const k of this.files.keys()) {
      if (direct(k)) out.push({ name: k.slice(prefix.length), isFile: true, isDirectory: false, isSymlink: false });
    }
    for (const k of this.dirs.keys()) {
      if (direct(k)) out.push({ name: k.slice(prefix.length), isFile: false, isDirectory: true, isSymlink: false });
    }
    return out.sort((x, y) => (x.name < y.name ? 1 : x.name > y.name ? -1 : 0));
  }

  async stat(path: string): Promise<FileStat | null> {
    const p = this.resolve(path);
    this.fault("stat", p);
    return this.statSync(p);
  }

  async lstat(path: string): Promise<FileStat | null> {
    const p = this.resolve(path);
    this.fault("lstat", p);
    return this.statSync(p);
  }

  private statSync(p: string): FileStat | null {
    const f = this.files.get(p);
    if (f) return { size: f.data.length, mtimeMs: f.mtimeMs, isFile: true, isDirectory: false, isSymlink: false };
    const d = this.dirs.get(p);
    if (d !== undefined) return { size: 0, mtimeMs: d, isFile: false, isDirectory: true, isSymlink: false };
    return null;
  }

  async realPath(path: string): Promise<string> {
    const p = this.resolve(path);
    this.fault("realPath", p);
    if (!this.files.has(p) && !this.dirs.has(p)) throw errno("ENOENT", "realpath", p);
    return p;
  }

  tempDir(): string {
    return "/tmp";
  }

  // ---------- Platform: processes ----------

  spawn(cmd: string, args: string[], options?: SpawnOptions): ChildProcess {
    this.fault("spawn", cmd);
    if (this.spawnImpl) return this.spawnImpl(cmd, args, options);
    throw new Error("spawn not supported in fake platform");
  }

  isProcessAlive(pid: number): boolean {
    return pid === this.pid || this.alivePids.has(pid);
  }

  /** argv of fake processes, for `processArgs`; a SIGKILL in `killProcess` ends one. */
  readonly processTable = new Map<number, string[]>();
  processArgs(pid: number): Promise<string[] | null> {
    return Promise.resolve(this.processTable.get(pid) ?? null);
  }

  listProcesses(): Promise<ProcessInfo[] | null> {
    return Promise.resolve([...this.processTable].map(([pid, args]) => ({ pid, args })));
  }

  /** Recorded, not delivered: tests read `kills`. */
  readonly kills: { pid: number; signal: KillSignal }[] = [];
  killProcess(pid: number, signal: KillSignal): void {
    this.kills.push({ pid, signal });
    if (signal === "SIGKILL" && this.processTable.delete(pid)) this.alivePids.delete(pid);
  }

  hostname(): string {
    return this.host;
  }

  // ---------- Platform: environment, time, output ----------

  env(name: string): string | undefined {
    return this.envVars[name];
  }

  cwd(): string {
    return this.cwdPath;
  }

  execPath(): string {
    return this.execPathValue;
  }

  now(): number {
    return this.nowMs;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer = { due: this.mono + Math.max(0, ms), seq: this.timerSeq++, fire: callback };
    this.timers.push(timer);
    if (ms <= 0) queueMicrotask(() => this.advance(0)); // due now: fires without waiting for the clock to move
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.fault("sleep");
    if (signal?.aborted) return;
    this.advance(Math.max(0, ms));
    // One real macrotask turn: fake I/O under way (chains of microtasks, an atomic write's
    // open-write-sync-rename) finishes first, as real I/O would during a real sleep.
    await new Promise((resolve) => setImmediate(resolve));
    for (const hook of this.onSleep) await hook(ms);
  }

  /** Handlers installed with onUncaughtException (the fake never throws outside a promise by itself). */
  readonly uncaughtHandlers = new Set<(error: unknown) => void>();

  onUncaughtException(handler: (error: unknown) => void): () => void {
    this.uncaughtHandlers.add(handler);
    return () => void this.uncaughtHandlers.delete(handler);
  }

  onSignal(signal: SignalName, handler: () => void): () => void {
    let set = this.signalHandlers.get(signal);
    if (!set) this.signalHandlers.set(signal, set = new Set());
    set.add(handler);
    return () => set!.delete(handler);
  }

  writeStdout(text: string): void {
    this.stdout += text;
  }

  writeStderr(text: string): void {
    this.stderr += text;
  }

  isStderrTTY(): boolean {
    return this.stderrTTY;
  }

  isStdoutTTY(): boolean {
    return this.stdoutTTY;
  }

  exit(code: number): never {
    throw new FakeExit(code);
  }
}

/** Kill signals accepted by a scripted child (re-exported for spawnImpl authors). */
export type { KillSignal };

function parentOf(p: string): string {
  if (p === "/") return "/";
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function normalize(path: string, cwd: string): string {
  const abs = path.startsWith("/") ? path : `${cwd}/${path}`;
  const parts: string[] = [];
  for (const part of abs.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}
