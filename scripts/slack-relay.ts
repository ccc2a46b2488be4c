/**
 * A small receiver between `proxx --webhook` and a Slack incoming webhook. Slack wants its
 * own JSON (`{"text": "…"}`) and answers proxx's result JSON with `400 invalid_payload`,
 * so this relay checks proxx's signature, turns the result into one line and posts that.
 * Runs on Bun or Deno (node:http, node:crypto, fetch); copy it and change `messageFor`.
 *
 *   SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… PROXX_WEBHOOK_SECRET=s3cret \
 *     bun scripts/slack-relay.ts --port 8787
 *   PROXX_WEBHOOK_SECRET=s3cret proxx watch /data/jobs --webhook http://127.0.0.1:8787/proxx
 *
 * Without SLACK_WEBHOOK_URL it prints each Slack message (one JSON line) on stdout instead
 * of posting it, for trying it out. Options: `--port N` (default 8787; 0 = any free port),
 * `--port-file FILE` (write the port there once listening), `--once` (exit after the first
 * message). It listens on 127.0.0.1 only.
 *
 * Answers: 401 for a missing or wrong signature (when PROXX_WEBHOOK_SECRET is set), 400 for a
 * body that is not a proxx result, 502 when Slack did not take the message (proxx retries
 * a 5xx), 200 when it did. Repeats (same Idempotency-Key, after a proxx restart) are
 * answered 200 and not posted twice, for as long as the relay runs.
 */
import { createServer, type IncomingMessage } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import { writeFileSync } from "node:fs";
import process from "node:process";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const port = Number(option("--port") ?? 8787);
const portFile = option("--port-file");
const once = args.includes("--once");
const secret = process.env.PROXX_WEBHOOK_SECRET ?? "";
const slackUrl = process.env.SLACK_WEBHOOK_URL ?? "";

/** The check from docs/hooks-and-webhooks.md: HMAC-SHA256 of the raw body, compared in constant time. */
function validSignature(body: Uint8Array, signature: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(signature ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Result {
  job_id: string;
  final_status: string;
  total_clips: number;
  completed_clips: number;
  duration_seconds: number;
  failure_reason: string | null;
}

function messageFor(r: Result): { text: string } {
  const icon = r.final_status === "COMPLETED" ? ":white_check_mark:" : ":warning:";
  const why = r.failure_reason ? `: ${r.failure_reason.split("\n")[0]}` : "";
  return {
    text: `${icon} proxx: job ${r.job_id} ${r.final_status} ` +
      `(${r.completed_clips}/${r.total_clips} clips, ${r.duration_seconds.toFixed(1)} s)${why}`,
  };
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const seen = new Set<string>();

const server = createServer(async (req, res) => {
  const answer = (status: number, text: string) => {
    res.writeHead(status, { "content-type": "text/plain" }).end(`${text}\n`);
    process.stderr.write(`slack-relay: ${status} ${text}\n`);
  };
  if (req.method !== "POST") return answer(405, "POST only");
  const body = await readBody(req);
  if (secret && !validSignature(body, req.headers["x-proxx-signature"] as string | undefined)) {
    return answer(401, "bad or missing X-Proxx-Signature");
  }
  let result: Result;
  try {
    result = JSON.parse(new TextDecoder().decode(body));
    if (typeof result.job_id !== "string" || typeof result.final_status !== "string") throw new Error();
  } catch {
    return answer(400, "not a proxx result");
  }
  const key = String(req.headers["idempotency-key"] ?? "");
  if (key && seen.has(key)) return answer(200, `already posted ${key}`);
  const message = messageFor(result);
  if (slackUrl) {
    try {
      const slack = await fetch(slackUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(message),
      });
      if (!slack.ok) return answer(502, `Slack answered ${slack.status}`);
    } catch (error) {
      return answer(502, `Slack not reached: ${(error as Error).message}`);
    }
  } else {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  }
  if (key) seen.add(key);
  if (once) {
    // The sender's keep-alive connection would hold the server open: exit once the answer is out.
    res.on("finish", () => {
      server.close();
      setTimeout(() => process.exit(0), 100);
    });
  }
  answer(200, `posted job ${result.job_id}`);
});

server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  if (portFile) writeFileSync(portFile, `${actual}\n`);
  process.stderr.write(
    `slack-relay: listening on http://127.0.0.1:${actual}/ (${slackUrl ? "posting to Slack" : "printing messages"})\n`,
  );
});
