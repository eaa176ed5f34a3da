import { PassThrough } from "node:stream";
import { expect, it } from "vitest";
import { createLogger } from "../src/log.js";

const capture = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = "";
  stream.on("data", (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
};

it("writes JSON lines when not on a terminal, with passwords redacted", async () => {
  const out = capture(false);
  createLogger("info", out.stream).info(
    { connection: { host: "h", password: "hunter2-secret" } },
    "restored",
  );
  await new Promise((r) => setImmediate(r));
  const line = JSON.parse(out.text());
  expect(line).toMatchObject({
    level: 30,
    msg: "restored",
    connection: { host: "h", password: "[redacted]" },
  });
  expect(out.text()).not.toContain("hunter2-secret");
});

it("writes one readable line per entry on a terminal", async () => {
  const out = capture(true);
  createLogger("info", out.stream).warn(
    { port: 5433, password: "hunter2-secret" },
    "primary slow to start",
  );
  await new Promise((r) => setImmediate(r));
  expect(out.text()).toBe('warn primary slow to start {"port":5433,"password":"[redacted]"}\n');
});
