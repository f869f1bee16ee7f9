// Contributing from the web page in a real browser (Debian's chromium): a key made in the tab, open registration,
// the queue followed live, snarkjs in a Web Worker, the receipt offered and the checkpoint cosigned; a participant
// with the CLI in the same ceremony waits on the events stream; the overview shows each acceptance live and the
// audit page is all green afterwards. Circuits above the server's bound show the CLI command instead.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receipt } from '../../src/ceremony/types.js';
import * as admin from '../../src/cli/commands/admin.js';
import { runContribute } from '../../src/cli/commands/contribute.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { readKeyFile } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/crypto/hex.js';
import { verifyInclusion } from '../../src/transcript/merkle.js';
import { parseCheckpoint, verifyNote } from '../../src/transcript/note.js';
import { readLedger } from '../../src/verify/ledger.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { affine, mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { FINISHED_BEACON } from '../helpers/finished-ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startTamperProxy } from '../helpers/tamper-proxy.js';

const outDir = fileURLToPath(new URL('../../test-output/web/', import.meta.url));
const ID = 'webc';
const figures: Record<string, number> = {};

let server: TestServer;
let ceremony: TestCeremony;
let browser: TestBrowser;
let browserKeyPath: string;

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${outDir}${name}.png`, fullPage: true });
}

async function acceptedEntries(): Promise<{ contributionHash: string }[]> {
  const transcript = await (await fetch(`${server.url}/v1/ceremonies/${ID}/transcript`)).text();
  return transcript
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; body: { contributionHash: string } })
    .filter((e) => e.type === 'contribution.accepted')
    .map((e) => e.body);
}

async function acceptedTimes(): Promise<number[]> {
  const transcript = await (await fetch(`${server.url}/v1/ceremonies/${ID}/transcript`)).text();
  return transcript
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; time: string })
    .filter((e) => e.type === 'contribution.accepted')
    .map((e) => Date.parse(e.time));
}

/**
 * The receipt holds against what the server logged, each part read apart from the receipt: its entry is the
 * transcript's line at its seq (contribution `contributionHash`), its checkpoint verifies under the log key the
 * server announces and has the root of the transcript's first treeSize entries, as the published checkpoint of
 * that size does, and its inclusion proof leads from the entry to that root.
 */
async function expectLoggedAs(receipt: Receipt, contributionHash: string): Promise<void> {
  const ledger = readLedger(await (await fetch(`${server.url}/v1/ceremonies/${ID}/transcript`)).text(), ID);
  const logKey = (await (await fetch(`${server.url}/v1/log-key`)).text()).trim();
  expect(receipt.entry, `the receipt's entry is not the transcript's line ${receipt.seq}`).toBe(
    ledger.lines[receipt.seq]?.line,
  );
  expect(JSON.parse(receipt.entry)).toMatchObject({
    type: 'contribution.accepted',
    body: { circuit: 'affine', index: receipt.index, contributionHash },
  });
  expect(receipt.logKey, 'the receipt names another log key than the server announces').toBe(logKey);
  let signed: ReturnType<typeof parseCheckpoint>;
  try {
    signed = parseCheckpoint(verifyNote(receipt.checkpoint, logKey).body);
  } catch (err) {
    throw new Error(
      `the receipt's checkpoint does not verify under the announced log key: ${(err as Error).message}`,
    );
  }
  expect(signed.size).toBe(receipt.treeSize);
  expect(receipt.treeSize, 'the receipt names a log larger than the transcript').toBeLessThanOrEqual(
    ledger.lines.length,
  );
  expect(
    toHex(signed.rootHash),
    `the receipt's root is not the transcript's at size ${receipt.treeSize}`,
  ).toBe(toHex(ledger.tree.root(receipt.treeSize)));
  const published = await (
    await fetch(`${server.url}/v1/ceremonies/${ID}/checkpoints/${receipt.treeSize}`)
  ).text();
  expect(toHex(parseCheckpoint(verifyNote(published, logKey).body).rootHash)).toBe(toHex(signed.rootHash));
  const proof = receipt.inclusionProof.map((h) => fromHex(h, 32));
  expect(
    verifyInclusion(
      ledger.lines[receipt.seq]!.leafHash,
      receipt.seq,
      receipt.treeSize,
      proof,
      signed.rootHash,
    ),
    'the inclusion proof leads from the logged entry to the root',
  ).toBe(true);
}

/** dist/ceremony.mjs, which the server serves and names in GET /v1/info (same bytes on every build). */
function buildCli(): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['scripts/build-cli.mjs'], { cwd: root }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

beforeAll(async () => {
  await mkdir(outDir, { recursive: true });
  await buildCli();
  // affine-chain-300 fits the bound; mulchain-1021 does not.
  server = await startTestServer({ env: { WEB_CONTRIBUTE_MAX_CONSTRAINTS: '1000' } });
  ceremony = await setupCeremony(server, {
    id: ID,
    circuits: [affine],
    participants: 1,
    openRegistration: true,
  });
  await setupCeremony(server, { id: 'too-big', circuits: [mulchain], participants: 0 });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await writeFile(`${outDir}contribute-figures.json`, `${JSON.stringify(figures, null, 2)}\n`);
  await browser?.close();
  await server?.destroy();
});

describe('contributing from the web page', () => {
  it('lists the single-file CLI with the SHA-256 GET /v1/info names; the link downloads those bytes', async () => {
    const info = (await (await fetch(`${server.url}/v1/info`)).json()) as {
      cli: { path: string; sha256: string } | null;
    };
    expect(info.cli?.path).toBe('/cli/ceremony.mjs');
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/#/`);
    const link = page.locator('#cli-link');
    await link.waitFor();
    await expect(page.locator('#cli-sha256').textContent()).resolves.toBe(info.cli?.sha256);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('ceremony.mjs');
    const bytes = await readFile(await download.path());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(info.cli?.sha256);
    // The 64 hex digits wrap on a phone instead of widening the page.
    const widths = await page.evaluate(() => {
      const w = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return [w.document.documentElement.scrollWidth, w.innerWidth];
    });
    expect(widths[0]).toBeLessThanOrEqual(widths[1] as number);
    await screenshot(page, '7-ceremonies-cli');
    await page.close();
  });

  it('serves the bound in the ceremony view, and shows the CLI command for a circuit above it', async () => {
    const view = (await (await fetch(`${server.url}/v1/ceremonies/too-big`)).json()) as {
      webContributeMaxConstraints: number;
    };
    expect(view.webContributeMaxConstraints).toBe(1000);
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/c/too-big/contribute`);
    const cli = page.locator('#use-cli');
    await cli.waitFor();
    await expect(cli.textContent()).resolves.toContain('larger than the 1,000 constraints');
    // The single file this coordinator serves, run with node: never `npx ceremony`, which outside a clone of this
    // repository resolves an unrelated package on the public registry.
    const commands = (await cli.locator('pre').textContent()) ?? '';
    expect(commands).toContain(`curl -fsSO ${server.url}/cli/ceremony.mjs`);
    expect(commands).toContain(
      `node ceremony.mjs contribute --server ${server.url} --key me.key --ceremony too-big`,
    );
    expect(commands).not.toContain('npx');
    expect(await page.locator('#join').count()).toBe(0);
    await screenshot(page, '7-contribute-too-big');
    await page.close();
  });

  it('loads a key file the CLI wrote', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/c/${ID}/contribute`);
    await page.locator('#key-file').setInputFiles(ceremony.participants[0]!.keyFile);
    // The page reads the file asynchronously: wait for what it shows.
    await expect
      .poll(() => page.locator('#public-key').textContent())
      .toBe(toHex(ceremony.participants[0]!.keys.publicKey));
    await page.locator('#key-file').setInputFiles({
      name: 'broken.key',
      mimeType: 'application/json',
      buffer: Buffer.from('{"type":"rsa"}'),
    });
    await expect.poll(() => page.locator('#key-error').textContent()).toContain('is not an ed25519 key file');
    await page.close();
  });

  it('contributes from the browser and from the CLI; the overview shows each live; the audit is green', {
    timeout: 300_000,
  }, async () => {
    const overview = await browser.context.newPage();
    await overview.goto(`${server.url}/#/c/${ID}`);
    await overview.getByText('Live: updates appear as they happen.').waitFor();

    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/c/${ID}/contribute`);
    await page.getByRole('button', { name: 'Make a new key' }).click();
    const publicKey = await page.locator('#public-key').textContent();
    const [keyDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download key file' }).click(),
    ]);
    const keyPath = join(ceremony.workDir, 'browser.key');
    browserKeyPath = keyPath;
    await keyDownload.saveAs(keyPath);
    // The CLI reads the file the browser made: the same format as `ceremony keygen`.
    expect(toHex((await readKeyFile(keyPath)).publicKey)).toBe(publicKey);

    await page.getByLabel('Your name (shown in the transcript)').fill('browser-carol');
    await page.getByLabel('Statement (optional, public, signed)').fill('made in chromium');
    await page.getByLabel(/Extra randomness/).fill('dice: 3 1 4 1 5 9');
    await page.getByRole('button', { name: 'Join the queue and contribute' }).click();
    await page.locator('#contribute-log li', { hasText: 'your turn' }).waitFor({ timeout: 60_000 });

    // The CLI participant joins while the browser holds the turn, and waits on the events stream.
    const output = createMemoryOutput();
    const cliUser = ceremony.participants[0]!;
    const cli = runContribute({
      server: server.url,
      keyFile: cliUser.keyFile,
      ceremony: ID,
      receiptDir: join(ceremony.workDir, 'receipts-cli'),
      output,
      pollIntervalMs: 100,
    });

    await overview.locator('#contributions-table tbody tr').nth(0).waitFor({ timeout: 120_000 });
    const firstShown = Date.now();
    await page.locator('#contribute-status[data-state="done"]').waitFor({ timeout: 60_000 });
    // After "Done" the participant sees the contribution hash the transcript holds, to compare.
    const acceptedHash = (await acceptedEntries())[0]!.contributionHash;
    await expect(page.locator('#contributed-affine .contribution-hash').textContent()).resolves.toBe(
      acceptedHash,
    );
    await screenshot(page, '8-contribute-done');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '8-contribute-done-phone');

    const [receiptDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#receipts a').first().click(),
    ]);
    const receiptPath = join(ceremony.workDir, 'browser-receipt.json');
    await receiptDownload.saveAs(receiptPath);
    const receipt = JSON.parse(await readFile(receiptPath, 'utf8')) as Receipt;
    expect(receipt.index).toBe(1);
    await expectLoggedAs(receipt, acceptedHash);

    const result = await cli;
    expect(result.contributions.map((c) => c.index)).toEqual([2]);
    // It waited in line on the stream: no fallback to polling was needed.
    expect(output.stderr()).toContain('in the queue');
    expect(output.stderr()).not.toContain('live updates unavailable');

    await overview.locator('#contributions-table tbody tr').nth(1).waitFor({ timeout: 60_000 });
    const secondShown = Date.now();
    const times = await acceptedTimes();
    figures.browserAcceptedToShownMs = firstShown - times[0]!;
    figures.cliAcceptedToShownMs = secondShown - times[1]!;
    const table = (await overview.locator('#contributions-table').textContent()) ?? '';
    expect(table).toContain('browser-carol');
    expect(table).toContain('made in chromium');
    expect(table).toContain(cliUser.name);
    await screenshot(overview, '8-contribute-overview');

    const audit = await browser.context.newPage();
    await audit.goto(`${server.url}/#/c/${ID}/audit`);
    await audit.locator('#audit-summary').waitFor({ timeout: 60_000 });
    expect(await audit.locator('#audit-summary').getAttribute('data-ok')).toBe('true');
    for (const check of ['contributions.chain', 'contributions.attestations', 'cosignatures']) {
      expect(await audit.locator(`li[data-check="${check}"]`).getAttribute('data-status')).toBe('pass');
    }
    // Both participants cosigned the checkpoint of their receipt.
    const cosigned = await audit.locator('li[data-check="cosignatures"]').textContent();
    expect(cosigned).toContain('by 2 participants');
    await screenshot(audit, '8-contribute-audit');
    await Promise.all([overview.close(), page.close(), audit.close()]);
  });
  it('a rejoin after Done shows the contribution again, without the ignored name field; a finished ceremony shows no form', {
    timeout: 300_000,
  }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/c/${ID}/contribute`);
    await page.locator('#key-file').setInputFiles(browserKeyPath);
    // The key is registered already: the name would be ignored, so the field goes.
    await expect.poll(() => page.locator('#registered-as').textContent()).toContain('browser-carol');
    expect(await page.locator('#name-field').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Join the queue and contribute' }).click();
    await page.locator('#contribute-status[data-state="done"]').waitFor({ timeout: 60_000 });
    const item = page.locator('#receipts li');
    expect(await item.count()).toBe(1);
    await expect(item.textContent()).resolves.toContain('made in an earlier session');
    const acceptedHash = (await acceptedEntries())[0]!.contributionHash;
    await expect(page.locator('#contributed-affine .contribution-hash').textContent()).resolves.toBe(
      acceptedHash,
    );
    // The receipt offered again is the server's for that logged entry too.
    const [again] = await Promise.all([page.waitForEvent('download'), item.locator('a').first().click()]);
    await expectLoggedAs(JSON.parse(await readFile(await again.path(), 'utf8')) as Receipt, acceptedHash);
    await screenshot(page, '8-contribute-rejoin');

    await page.close();

    await admin.finalizeCeremony({ ...ceremony.adminOptions, ...FINISHED_BEACON });
    const after = await browser.context.newPage();
    await after.goto(`${server.url}/#/c/${ID}/contribute`);
    await expect.poll(() => after.locator('#not-open').textContent()).toContain('This ceremony is finalized');
    expect(await after.locator('#join').count()).toBe(0);
    expect(await after.locator('#participant-name').count()).toBe(0);
    await screenshot(after, '8-contribute-finalized');
    await after.close();
  });

  it('audits the finished ceremony in the page, final.zkey included: snarkjs verifies it against its r1cs and ptau', {
    timeout: 300_000,
  }, async () => {
    const audit = await browser.context.newPage();
    await audit.goto(`${server.url}/#/c/${ID}/audit`);
    await audit.locator('#audit-summary').waitFor({ timeout: 240_000 });
    const final = audit.locator('li[data-check="final.zkey"]');
    expect(await final.getAttribute('data-status')).toBe('pass');
    await expect(final.textContent()).resolves.toMatch(/affine: [0-9a-f]{16}… verifies against r1cs/);
    expect(await audit.locator('#audit-summary').getAttribute('data-ok')).toBe('true');
    // What the page did not run is still named, with the command that runs it.
    const rest = (await audit.locator('#cli-checks').textContent()) ?? '';
    expect(rest).not.toContain('final.zkey');
    expect(rest).not.toContain('final.proofs-of-knowledge');
    expect(rest).toContain('intermediate.zkeys');
    expect(rest).toContain('node ceremony.mjs verify');
    const timing = audit.locator('#audit-timing');
    figures.auditLogMs = Number(await timing.getAttribute('data-ms'));
    figures.auditFinalZkeyMs = Number(await timing.getAttribute('data-final-ms'));
    await screenshot(audit, '8-contribute-audit-final');
    await audit.close();

    // A coordinator serving another final zkey than the transcript names is caught before snarkjs runs.
    const proxy = await startTamperProxy(server.url);
    try {
      proxy.rewrite = (path, body) =>
        path.endsWith('/circuits/affine/zkeys/final') ? `${body}!` : undefined;
      const lied = await browser.context.newPage();
      await lied.goto(`${proxy.url}/#/c/${ID}/audit`);
      await lied.locator('#audit-summary').waitFor({ timeout: 240_000 });
      expect(await lied.locator('#audit-summary').getAttribute('data-ok')).toBe('false');
      expect(await lied.locator('li[data-check="final.zkey"]').getAttribute('data-status')).toBe('fail');
      await expect(lied.locator('li[data-check="final.zkey"]').textContent()).resolves.toContain(
        'the transcript names',
      );
      await lied.close();
    } finally {
      await proxy.close();
    }
  });
});
