// Drives headless Debian chromium with playwright-core (run by test_browser.py on Node 22).
// env: PAGE_URL, PARAMS (JSON for window.runAll), ODP_NODE_MODULES, CHROMIUM (executable),
//      SCREENSHOT (optional PNG path).
// Prints one JSON line: {result, console, pageErrors, failedRequests}.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.ODP_NODE_MODULES, "noop.js"));
const { chromium } = require("playwright-core");

const out = { result: null, console: [], pageErrors: [], failedRequests: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  timeout: 60_000,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  page.on("console", (m) => out.console.push(`${m.type()}: ${m.text()}`.slice(0, 500)));
  page.on("pageerror", (e) => out.pageErrors.push(String(e).slice(0, 500)));
  page.on("requestfailed", (r) => out.failedRequests.push(`${r.method()} ${r.url().split("?")[0]}: ${r.failure()?.errorText}`));
  page.setDefaultTimeout(30_000);
  await page.goto(process.env.PAGE_URL, { waitUntil: "load" });
  await page.waitForFunction(() => window.pageReady === true);
  out.result = await page.evaluate((p) => window.runAll(p), JSON.parse(process.env.PARAMS));
  if (process.env.SCREENSHOT) {
    await page.evaluate((r) => { document.getElementById("out").textContent = JSON.stringify(r, null, 1); }, out.result);
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  }
} catch (e) {
  out.fatal = String(e?.stack ?? e).slice(0, 2000);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out) + "\n");
