// Holds a dashboard page open in headless Chromium (its live updates on) until SIGTERM:
// the browser side of bench/web_bench.sh. Usage: node web_bench_browser.mjs URL
import { createRequire } from 'node:module';

// playwright-core from web/node_modules (npm ci in web/).
const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const url = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(url);
process.on('SIGTERM', async () => {
  await browser.close();
  process.exit(0);
});
setInterval(() => {}, 1000);
