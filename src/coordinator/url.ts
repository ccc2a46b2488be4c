/**
 * The coordinator URL (`--coordinator` / `PROXX_COORDINATOR`): only `postgres://` and
 * `postgresql://` are accepted. The password never leaves this module in clear: every
 * message that names the database names it by `redacted` (user@host:port/db), and
 * `redactSecrets` scrubs it out of any error text a driver might build.
 */
export class CoordinatorUrlError extends Error {
  override readonly name = "CoordinatorUrlError";
}

export interface CoordinatorUrl {
  /** The URL to connect with (holds the password: never print it). */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** `user@host:port/db`: what messages show. */
  redacted: string;
  /** The password, only to scrub it from messages; "" when none. */
  password: string;
}

export function parseCoordinatorUrl(text: string): CoordinatorUrl {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme) {
    throw new CoordinatorUrlError(
      `the coordinator must be a URL like postgres://USER[:PASS]@HOST[:PORT]/DB, got '${safeShape(text)}'`,
    );
  }
  if (scheme !== "postgres" && scheme !== "postgresql") {
    throw new CoordinatorUrlError(
      `the coordinator must be a PostgreSQL URL (postgres://USER[:PASS]@HOST[:PORT]/DB), got a ${scheme}:// URL`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new CoordinatorUrlError(`the coordinator URL does not parse: '${safeShape(text)}'`);
  }
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!host) throw new CoordinatorUrlError("the coordinator URL names no host (postgres://USER@HOST/DB)");
  if (!user) throw new CoordinatorUrlError(`the coordinator URL names no user (postgres://USER@${host}/DB)`);
  if (!database) throw new CoordinatorUrlError(`the coordinator URL names no database (postgres://${user}@${host}/DB)`);
  const port = parsed.port ? Number(parsed.port) : 5432;
  return { url: text, host, port, database, user, password, redacted: `${user}@${host}:${port}/${database}` };
}

/** `text` with the password (raw and URL-encoded) and any `user:pass@` of a URL replaced by `***`. */
export function redactSecrets(text: string, password: string): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
  for (const secret of new Set([password, encodeURIComponent(password)])) {
    if (secret.length >= 3) out = out.split(secret).join("***");
  }
  return out;
}

/** A URL as it may be shown in an error: with any password replaced. */
function safeShape(text: string): string {
  return redactSecrets(text, "").slice(0, 200);
}
