import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface Opened {
  page: Page;
  /** Console errors and uncaught page errors, CSP refusals included. */
  errors: string[];
  /** Every URL the page asked for, the file itself included. */
  requests: string[];
  /** alert/confirm/prompt: a script ran. */
  dialogs: string[];
}

/** Open a report file as a person would, recording whatever it tries to do. */
export async function open(browser: Browser, file: string): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const opened: Opened = { page, errors: [], requests: [], dialogs: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") opened.errors.push(m.text());
  });
  page.on("pageerror", (e) => opened.errors.push(e.message));
  page.on("dialog", (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  // Anything but the file itself is recorded and refused, so a test never reaches the network.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    opened.requests.push(url);
    return url.startsWith("file://") ? route.continue() : route.abort();
  });
  await page.goto(`file://${file}`, { waitUntil: "load" });
  return opened;
}

/** Width and height of each element the selector matches, as laid out. */
export async function boxes(page: Page, selector: string): Promise<{ w: number; h: number }[]> {
  return page.$$eval(selector, (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { w: r.width, h: r.height };
    }),
  );
}
