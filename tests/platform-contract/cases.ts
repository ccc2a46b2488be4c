/**
 * The platform contract: one list of cases that every real adapter must pass in its own
 * runtime. `bun.test.ts` registers them with bun:test against the Bun adapter,
 * `deno-suite.ts` with Deno.test against the Deno adapter (`deno.test.ts` runs that under
 * Deno as part of `bun test`). Cases use only `node:*` modules and `node:assert`, which both
 * runtimes provide, so a case means the same thing on each.
 *
 * Each case gets a fresh temporary directory and the composed `Platform` (the adapter's
 * primitives plus the core's durable-write rules), and checks what is on disk afterwards.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import process from "node:process";
import type { Platform } from "../../src/platform/types.ts";

/** Runtime-specific ways to get between two system calls, where a runtime offers one. */
export interface ContractHooks {
  /** Run `fn(path)` right after every lstat the adapter makes through the runtime's own API; returns an undo. */
  afterLstat?: (fn: (path: string) => void) => () => void;
}

export interface ContractContext {
  platform: Platform;
  /** A fresh empty directory, removed after the case. */
  dir: string;
  hooks: ContractHooks;
}

export interface ContractCase {
  name: string;
  /** Hooks the case cannot run without; where one is missing the case is reported skipped. */
  needs?: (keyof ContractHooks)[];
  run(ctx: ContractContext): Promise<void>;
}

const text = (path: string) => readFileSync(path, "utf8");
const codeOf = (error: unknown) => (error as { code?: string }).code;
const rejectsWith = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(() => null, (e) => e);
  assert.equal(codeOf(error), code, `expected ${code}, got ${error === null ? "success" : String(error)}`);
};
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Linux process state letter from /proc/<pid>/stat ("T" = stopped), or null when gone. */
function procState(pid: number): string | null {
  try {
    return /\) (\S) /.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
}

async function until(what: string, predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

export const cases: ContractCase[] = [
  {
    name: "atomic write: creates, replaces, and a reader sees old or new, never a mix",
    async run({ platform, dir }) {
      const path = `${dir}/manifest.json`;
      await platform.writeFileAtomic(path, "a".repeat(1 << 20));
      assert.equal(text(path), "a".repeat(1 << 20));
      const writing = platform.writeFileAtomic(path, new TextEncoder().encode("b".repeat(1 << 20)));
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const content = text(path);
        seen.add(content[0]! + content.length + (/^(a+|b+)$/.test(content) ? "" : " mixed"));
        await delay(0);
      }
      await writing;
      for (const s of seen) assert.ok(s === `a${1 << 20}` || s === `b${1 << 20}`, s);
      assert.equal(text(path), "b".repeat(1 << 20));
      assert.deepEqual(readdirSync(dir), ["manifest.json"]);
    },
  },
  {
    name: "atomic write: a failed rename leaves the old content and no temp file",
    async run({ platform, dir }) {
      const target = `${dir}/taken`;
      mkdirSync(`${target}/inside`, { recursive: true }); // a non-empty directory: the rename must fail
      await assert.rejects(platform.writeFileAtomic(target, "new"));
      assert.deepEqual(readdirSync(dir), ["taken"]);
      assert.ok(lstatSync(target).isDirectory());
    },
  },
  {
    name: "atomic write: a link at the temp name or at the target is replaced, never written through",
    async run({ platform, dir }) {
      const victim = `${dir}/victim`;
      writeFileSync(victim, "precious");
      const target = `${dir}/file.json`;
      symlinkSync(victim, `${target}.tmp-${platform.pid}`);
      await platform.writeFileAtomic(target, "new");
      assert.equal(text(victim), "precious");
      assert.equal(text(target), "new");
      assert.ok(lstatSync(target).isFile());
      symlinkSync(victim, `${dir}/linked.json`);
      await platform.writeFileAtomic(`${dir}/linked.json`, "new");
      assert.equal(text(victim), "precious");
      assert.ok(lstatSync(`${dir}/linked.json`).isFile());
      assert.deepEqual(readdirSync(dir).sort(), ["file.json", "linked.json", "victim"]);
    },
  },
  {
    name: "durable append: creates, appends, and refuses a symbolic link (ELOOP), dangling too",
    async run({ platform, dir }) {
      const journal = `${dir}/journal`;
      await platform.appendFileDurable(journal, "one\n");
      await platform.appendFileDurable(journal, "two\n");
      assert.equal(text(journal), "one\ntwo\n");
      writeFileSync(`${dir}/victim`, "precious");
      symlinkSync(`${dir}/victim`, `${dir}/linked`);
      await rejectsWith(platform.appendFileDurable(`${dir}/linked`, "x"), "ELOOP");
      assert.equal(text(`${dir}/victim`), "precious");
      symlinkSync(`${dir}/not-yet`, `${dir}/dangling`);
      await rejectsWith(platform.appendFileDurable(`${dir}/dangling`, "x"), "ELOOP");
      assert.equal(existsSync(`${dir}/not-yet`), false);
    },
  },
  {
    // The Deno adapter used to lstat, then open without O_NOFOLLOW: a link planted in between was followed.
    name: "durable append: no check-then-open window (a link planted right after any lstat is not followed)",
    needs: ["afterLstat"],
    async run({ platform, dir, hooks }) {
      const victim = `${dir}/victim`;
      const journal = `${dir}/journal`;
      writeFileSync(victim, "precious");
      let planted = false;
      const undo = hooks.afterLstat!((path) => {
        if (path === journal && !planted) {
          planted = true;
          symlinkSync(victim, journal);
        }
      });
      const outcome = await platform.appendFileDurable(journal, "x").then(() => "appended", codeOf);
      undo();
      assert.equal(text(victim), "precious", `appended through a link planted after a check (${outcome})`);
      if (planted) assert.equal(outcome, "ELOOP");
      else assert.equal(text(journal), "x");
    },
  },
  {
    name: "open: noFollow fails on a link in the open itself, exclusive on anything there, create is needed",
    async run({ platform, dir }) {
      writeFileSync(`${dir}/victim`, "precious");
      symlinkSync(`${dir}/victim`, `${dir}/link`);
      symlinkSync(`${dir}/nowhere`, `${dir}/dangling`);
      await rejectsWith(platform.open(`${dir}/link`, { create: true, append: true, noFollow: true }), "ELOOP");
      await rejectsWith(platform.open(`${dir}/link`, { create: true, exclusive: true }), "EEXIST");
      await rejectsWith(platform.open(`${dir}/dangling`, { create: true, exclusive: true }), "EEXIST");
      assert.equal(existsSync(`${dir}/nowhere`), false);
      await rejectsWith(platform.open(`${dir}/missing`, {}), "ENOENT");
      const file = await platform.open(`${dir}/victim`, { append: true, noFollow: true });
      await file.write(new TextEncoder().encode("+more"));
      await file.sync();
      await file.close();
      assert.equal(text(`${dir}/victim`), "precious+more");
    },
  },
  {
    name: "exclusive create: writes once, false on an existing file or any link, never follows",
    async run({ platform, dir }) {
      assert.equal(await platform.createExclusive(`${dir}/.proxx.lock`, "first"), true);
      assert.equal(await platform.createExclusive(`${dir}/.proxx.lock`, "second"), false);
      assert.equal(text(`${dir}/.proxx.lock`), "first");
      symlinkSync(`${dir}/not-yet`, `${dir}/dangling`);
      assert.equal(await platform.createExclusive(`${dir}/dangling`, "x"), false);
      assert.equal(existsSync(`${dir}/not-yet`), false);
      await rejectsWith(platform.createExclusive(`${dir}/no-such-dir/lock`, "x"), "ENOENT");
    },
  },
  {
    name: "rename replaces a file or a link (not its target); link refuses an existing name",
    async run({ platform, dir }) {
      writeFileSync(`${dir}/a`, "A");
      writeFileSync(`${dir}/b`, "B");
      await platform.rename(`${dir}/a`, `${dir}/b`);
      assert.equal(text(`${dir}/b`), "A");
      assert.equal(existsSync(`${dir}/a`), false);
      writeFileSync(`${dir}/victim`, "precious");
      symlinkSync(`${dir}/victim`, `${dir}/link`);
      await platform.rename(`${dir}/b`, `${dir}/link`);
      assert.equal(text(`${dir}/victim`), "precious");
      assert.ok(lstatSync(`${dir}/link`).isFile());
      await platform.link(`${dir}/link`, `${dir}/hard`);
      assert.equal(lstatSync(`${dir}/hard`).ino, lstatSync(`${dir}/link`).ino);
      await rejectsWith(platform.link(`${dir}/link`, `${dir}/victim`), "EEXIST");
      await rejectsWith(platform.rename(`${dir}/missing`, `${dir}/x`), "ENOENT");
    },
  },
  {
    name: "remove: a file, a link itself (not its target), missing is fine, a directory is refused",
    async run({ platform, dir }) {
      writeFileSync(`${dir}/victim`, "precious");
      symlinkSync(`${dir}/victim`, `${dir}/link`);
      await platform.remove(`${dir}/link`);
      assert.equal(text(`${dir}/victim`), "precious");
      await platform.remove(`${dir}/victim`);
      await platform.remove(`${dir}/victim`);
      mkdirSync(`${dir}/sub`);
      await assert.rejects(platform.remove(`${dir}/sub`));
      assert.deepEqual(readdirSync(dir), ["sub"]);
    },
  },
  {
    name: "mkdir, list, stat, lstat, realPath",
    async run({ platform, dir }) {
      await platform.mkdir(`${dir}/x/y`);
      await platform.mkdir(`${dir}/x/y`); // existing: fine
      writeFileSync(`${dir}/f`, "12345");
      symlinkSync(`${dir}/f`, `${dir}/l`);
      const entries = (await platform.list(dir)).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(entries, [
        { name: "f", isFile: true, isDirectory: false, isSymlink: false },
        { name: "l", isFile: false, isDirectory: false, isSymlink: true },
        { name: "x", isFile: false, isDirectory: true, isSymlink: false },
      ]);
      const s = await platform.stat(`${dir}/l`);
      assert.deepEqual({ ...s, mtimeMs: 0 }, {
        size: 5,
        mtimeMs: 0,
        isFile: true,
        isDirectory: false,
        isSymlink: false,
      });
      assert.ok(Math.abs(s!.mtimeMs - lstatSync(`${dir}/f`).mtimeMs) < 1);
      assert.equal((await platform.lstat(`${dir}/l`))?.isSymlink, true);
      assert.equal(await platform.stat(`${dir}/missing`), null);
      assert.equal(await platform.lstat(`${dir}/f/under-a-file`), null); // ENOTDIR counts as missing
      assert.equal(await platform.realPath(`${dir}/x/../l`), await platform.realPath(`${dir}/f`));
      await rejectsWith(platform.list(`${dir}/missing`), "ENOENT");
    },
  },
  {
    name: "isWritableDir: true where a file can really be created, false for a file or a missing path, no probe left",
    async run({ platform, dir }) {
      assert.equal(await platform.isWritableDir(dir), true);
      writeFileSync(`${dir}/f`, "");
      assert.equal(await platform.isWritableDir(`${dir}/f`), false);
      assert.equal(await platform.isWritableDir(`${dir}/missing`), false);
      mkdirSync(`${dir}/ro`);
      chmodSync(`${dir}/ro`, 0o555); // root may still create files here: the answer must say what is true
      let creatable = true;
      try {
        writeFileSync(`${dir}/ro/try`, "");
      } catch {
        creatable = false;
      }
      rmSync(`${dir}/ro/try`, { force: true });
      assert.equal(await platform.isWritableDir(`${dir}/ro`), creatable);
      chmodSync(`${dir}/ro`, 0o755);
      assert.deepEqual(readdirSync(dir).sort(), ["f", "ro"]);
      assert.deepEqual(readdirSync(`${dir}/ro`), []);
    },
  },
  {
    name: "spawn: exit code, stdout and stderr chunks, stdin pipe, env and cwd",
    async run({ platform, dir }) {
      let out = "";
      let err = "";
      const child = platform.spawn("sh", [
        "-c",
        'read line; echo "got $line in $(pwd) $PROXX_T"; echo oops >&2; exit 3',
      ], {
        cwd: dir,
        env: { PROXX_T: "env-ok" },
        pipeStdin: true,
        onStdout: (c) => (out += c),
        onStderr: (c) => (err += c),
      });
      assert.ok(child.pid > 0);
      child.writeStdin("hello\n");
      assert.deepEqual(await child.exited, { code: 3, signal: null });
      assert.equal(out, `got hello in ${await platform.realPath(dir)} env-ok\n`);
      assert.equal(err, "oops\n");
      const quiet = platform.spawn("sh", ["-c", "cat; echo end"], {});
      assert.deepEqual(await quiet.exited, { code: 0, signal: null }); // stdin closed: cat ends at once
    },
  },
  {
    name: "spawn: a child killed by a signal reports it (code null), kill and killProcess deliver",
    async run({ platform }) {
      const self = platform.spawn("sh", ["-c", "kill -TERM $$; sleep 5"]);
      assert.deepEqual(await self.exited, { code: null, signal: "SIGTERM" });
      const a = platform.spawn("sleep", ["30"]);
      a.kill("SIGKILL");
      assert.deepEqual(await a.exited, { code: null, signal: "SIGKILL" });
      const b = platform.spawn("sleep", ["30"]);
      platform.killProcess(b.pid, "SIGINT");
      assert.deepEqual(await b.exited, { code: null, signal: "SIGINT" });
    },
  },
  {
    name: "isProcessAlive: live, exited and reaped, and a stopped process stays stopped",
    async run({ platform }) {
      assert.equal(platform.isProcessAlive(platform.pid), true);
      const child = platform.spawn("sleep", ["30"]);
      try {
        assert.equal(platform.isProcessAlive(child.pid), true);
        if (platform.os === "linux") {
          process.kill(child.pid, "SIGSTOP");
          await until("the child to stop", () => procState(child.pid) === "T");
          assert.equal(platform.isProcessAlive(child.pid), true);
          await delay(50);
          assert.equal(procState(child.pid), "T", "checking a stopped process resumed it");
        }
      } finally {
        child.kill("SIGKILL");
      }
      await child.exited;
      assert.equal(platform.isProcessAlive(child.pid), false);
    },
  },
  {
    name: "processArgs and listProcesses read argv (Linux), null elsewhere or when gone",
    async run({ platform }) {
      const marker = `proxx-contract-${platform.pid}-${Date.now()}`;
      // The shell's own `read` waits on stdin: one process, its argv unchanged (no exec, no grandchild).
      const child = platform.spawn("sh", ["-c", "read x", marker], { pipeStdin: true });
      try {
        if (platform.os !== "linux") {
          assert.equal(await platform.listProcesses(), null);
          return;
        }
        await until("argv in /proc", () => procState(child.pid) !== null);
        // argv[0] is as the runtime passed it ("sh" under Bun, the resolved path under Deno).
        const args = await platform.processArgs(child.pid);
        assert.match(args![0]!, /(^|\/)sh$/);
        assert.deepEqual(args!.slice(1), ["-c", "read x", marker]);
        const found = (await platform.listProcesses())!.filter((p) => p.args.includes(marker));
        assert.deepEqual(found, [{ pid: child.pid, args }]);
      } finally {
        child.kill("SIGKILL");
        await child.exited;
      }
      assert.equal(await platform.processArgs(child.pid), null);
    },
  },
  {
    name: "clock: sleep waits, ends early on abort, setTimer can be cancelled",
    async run({ platform }) {
      let t0 = platform.monotonic();
      await platform.sleep(30);
      assert.ok(platform.monotonic() - t0 >= 25, `slept ${platform.monotonic() - t0} ms`);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      t0 = platform.monotonic();
      await platform.sleep(10_000, controller.signal);
      assert.ok(platform.monotonic() - t0 < 5000);
      t0 = platform.monotonic();
      await platform.sleep(10_000, controller.signal); // already aborted: at once
      assert.ok(platform.monotonic() - t0 < 1000);
      let fired = false;
      const cancel = platform.setTimer(10, () => (fired = true));
      cancel();
      await delay(40);
      assert.equal(fired, false);
      assert.ok(Math.abs(platform.now() - Date.now()) < 1000);
    },
  },
];
