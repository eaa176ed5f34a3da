import { createServer } from "node:http";

/** A local webhook receiver: records every delivery; `failNext` makes the next n answer 500. */
export async function startReceiver() {
  const received: { path: string; body: unknown }[] = [];
  let failures = 0;
  let attempts = 0;
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => {
      attempts++;
      if (failures > 0) {
        failures--;
        res.writeHead(500).end("try later");
        return;
      }
      received.push({ path: req.url ?? "", body: JSON.parse(text) as unknown });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    attempts: () => attempts,
    failNext(n: number) {
      failures = n;
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
