// Figures of the web page (docs/BENCHMARKS.md): page weight, one contribution in Chromium against the CLI's snarkjs
// on the same circuit, and (--demo) the in-browser audit of `ceremony demo`. Needs `npm run build` and chromium.
//   node scripts/bench-web.mjs --r1cs PATH --ptau PATH [--audit] [--demo] [--chromium /usr/bin/chromium]
// --audit then finalizes that ceremony and times the whole audit in the page on it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(join(root, 'dist', path));
const { values } = parseArgs({
  options: {
    r1cs: { type: 'string' },
    ptau: { type: 'string' },
    demo: { type: 'boolean', default: false },
    audit: { type: 'boolean', default: false },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});

const { buildApp } = await dist('app.js');
const { loadConfig } = await dist('config.js');
const { generateKeyPair, writeKeyFile } = await dist('crypto/ed25519.js');
const { toHex } = await dist('crypto/hex.js');
const admin = await dist('cli/commands/admin.js');
const { createMemoryOutput } = await dist('cli/output.js');
const { CoordinatorClient } = await dist('cli/client.js');
const { contribute } = await dist('snark/runner.js');

const figures = { date: new Date().toISOString(), loadAverageAtStart: loadavg().map((l) => l.toFixed(1)) };

async function pageWeight(url) {
  const sizes = {};
  const assets = [
    '/',
    '/assets/app.js',
    '/assets/app.css',
    '/assets/contribute-worker.js',
    '/assets/audit-worker.js',
  ];
  for (const asset of assets) {
    const body = Buffer.from(await (await fetch(`${url}${asset}`)).arrayBuffer());
    sizes[asset] = {
      bytes: body.length,
      gzippedKB: +(gzipSync(body, { level: 9 }).length / 1024).toFixed(1),
    };
  }
  return sizes;
}

async function launch() {
  return chromium.launch({
    executablePath: values.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
}

async function contributionFigures(browser) {
  const work = await mkdtemp(join(tmpdir(), 'bench-web-'));
  const coordinator = generateKeyPair();
  const participant = generateKeyPair();
  const config = loadConfig(
    {},
    {
      PORT: '0',
      DATA_DIR: join(work, 'data'),
      TRANSCRIPTS_DIR: join(work, 'transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      LOG_LEVEL: 'warn',
      RATE_LIMIT: 'off',
      WEB_CONTRIBUTE_MAX_CONSTRAINTS: String(2 ** 20),
      DISK_RESERVE_BYTES: '0',
    },
  );
  const built = await buildApp(config);
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    figures.pageWeight = await pageWeight(url);
    const keyFile = join(work, 'coordinator.key');
    const participantKey = join(work, 'participant.key');
    await writeKeyFile(keyFile, coordinator);
    await writeKeyFile(participantKey, participant);
    const opts = {
      server: url,
      keyFile,
      ceremony: 'bench',
      output: createMemoryOutput(),
      pollIntervalMs: 500,
    };
    await admin.createCeremony({ ...opts, title: 'Web bench', timeoutSeconds: 7200 });
    const circuit = await admin.addCircuit({ ...opts, name: 'main', r1cs: values.r1cs, ptau: values.ptau });
    await admin.addParticipant({ ...opts, name: 'browser', publicKey: toHex(participant.publicKey) });
    await admin.openCeremony(opts);
    const view = await (await fetch(`${url}/v1/ceremonies/bench`)).json();
    figures.circuit = { constraints: view.circuits[0].constraints, power: view.circuits[0].power };

    // The CLI's step on the same zkey: snarkjs in its child process, with its worker threads.
    const prev = join(work, 'prev.zkey');
    await new CoordinatorClient(url).downloadToFile(prev, '/ceremonies/bench/circuits/main/zkeys/latest');
    const cli = await contribute(prev, join(work, 'cli.zkey'), 'cli', toHex(participant.secretKey));
    figures.cliContributeMs = Math.round(cli.durationMs);
    figures.cliMaxRssMB = Math.round(cli.maxRssBytes / 1048576);
    void circuit;

    const page = await browser.newPage();
    await page.goto(`${url}/#/c/bench/contribute`);
    await page.locator('#key-file').setInputFiles(participantKey);
    const started = Date.now();
    await page.getByRole('button', { name: 'Join the queue and contribute' }).click();
    await page.locator('#contribute-log li.computed').waitFor({ timeout: 3_600_000 });
    figures.browserContributeMs = Number(
      await page.locator('#contribute-log li.computed').getAttribute('data-ms'),
    );
    await page.locator('#contribute-status[data-state="done"]').waitFor({ timeout: 3_600_000 });
    figures.browserJoinToReceiptMs = Date.now() - started;
    await page.close();
    if (values.audit) await fullAuditFigures(browser, url, opts);
  } finally {
    await built.app.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** (--audit) Finalizes the bench ceremony (beacon 2^10) and runs the whole audit in the page on it. */
async function fullAuditFigures(browser, url, opts) {
  const started = Date.now();
  await admin.finalizeCeremony({
    ...opts,
    beaconHex: 'ab'.repeat(32),
    beaconSource: 'bench: a fixed value',
    iterationsExp: 10,
  });
  figures.finalizeMs = Date.now() - started;
  const page = await browser.newPage();
  const loaded = Date.now();
  await page.goto(`${url}/#/c/bench/audit`);
  await page.locator('#audit-summary').waitFor({ timeout: 3_600_000 });
  figures.fullAudit = {
    ok: (await page.locator('#audit-summary').getAttribute('data-ok')) === 'true',
    auditMs: Number(await page.locator('#audit-timing').getAttribute('data-ms')),
    finalChecksMs: Number(await page.locator('#audit-timing').getAttribute('data-final-ms')),
    checks: Object.fromEntries(
      await page
        .locator('li[data-check]')
        .evaluateAll((items) => items.map((li) => [li.dataset.check, li.dataset.status])),
    ),
    finalZkey: await page.locator('li[data-check="final.zkey"]').textContent(),
    loadAndAuditMs: Date.now() - loaded,
  };
  await page.close();
}

/** Runs `ceremony demo --keep`, audits the demo ceremony in the page, then stops the demo. */
async function demoAuditFigures(browser) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-demo-'));
  const child = spawn(process.execPath, [join(root, 'bin/ceremony.js'), 'demo', '--keep', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const auditUrl = await new Promise((resolvePage, reject) => {
      let text = '';
      const look = (chunk) => {
        text += chunk;
        const match = /audit in your browser: (\S+)\)/.exec(text);
        if (match) resolvePage(match[1]);
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      child.on('exit', (code) => reject(new Error(`demo exited with ${code}: ${text.slice(-500)}`)));
    });
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(auditUrl);
    await page.locator('#audit-summary').waitFor({ timeout: 600_000 });
    figures.demoAudit = {
      ok: (await page.locator('#audit-summary').getAttribute('data-ok')) === 'true',
      auditMs: Number(await page.locator('#audit-timing').getAttribute('data-ms')),
      // final.*, outputs.*: fetch the final zkey, r1cs, ptau and outputs, then the audit worker (snarkjs, noble).
      finalChecksMs: Number(await page.locator('#audit-timing').getAttribute('data-final-ms')),
      checks: Object.fromEntries(
        await page
          .locator('li[data-check]')
          .evaluateAll((items) => items.map((li) => [li.dataset.check, li.dataset.status])),
      ),
      loadAndAuditMs: Date.now() - started,
    };
    figures.pageWeight ??= await pageWeight(new URL(auditUrl).origin);
    await page.close();
  } finally {
    child.kill('SIGINT');
    await rm(dir, { recursive: true, force: true });
  }
}

const browser = await launch();
try {
  if (values.r1cs && values.ptau) await contributionFigures(browser);
  if (values.demo) await demoAuditFigures(browser);
} finally {
  await browser.close();
}
figures.loadAverageAtEnd = loadavg().map((l) => l.toFixed(1));
console.log(JSON.stringify(figures, null, 2));
