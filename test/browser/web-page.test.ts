// The web page in a real browser (Debian's chromium): live updates while participants contribute, the audit and
// receipt check run in the page, and a coordinator that lies is caught by the check that names the lie.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, keyPairFromSecret } from '../../src/crypto/ed25519.js';
import { formatCheckpoint, parseCheckpoint, parseNote, signNote } from '../../src/transcript/note.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { contributeAs, mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { writeLogKeyFile } from '../helpers/log-key-file.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js';

const outDir = fileURLToPath(new URL('../../test-output/web/', import.meta.url));
const ORIGIN = 'test.ceremony.local';
const ID = 'web';
const figures: Record<string, number> = {};

let server: TestServer;
let ceremony: TestCeremony;
let browser: TestBrowser;
let proxy: TamperProxy;
const logKeySeed = randomBytes(32);
const receipts: string[] = [];

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${outDir}${name}.png`, fullPage: true });
}

async function statusOf(page: Page, check: string): Promise<string | null> {
  return page.locator(`li[data-check="${check}"]`).getAttribute('data-status');
}

async function runAudit(page: Page): Promise<'true' | 'false'> {
  await page.locator('#audit-summary').waitFor();
  return (await page.locator('#audit-summary').getAttribute('data-ok')) as 'true' | 'false';
}

beforeAll(async () => {
  await mkdir(outDir, { recursive: true });
  server = await startTestServer({
    env: { LOG_KEY: await writeLogKeyFile(logKeySeed), EVENTS_MAX_PER_ADDRESS: '3' },
  });
  ceremony = await setupCeremony(server, { id: ID, circuits: [mulchain], participants: 2 });
  browser = await launchBrowser();
  proxy = await startTamperProxy(server.url);
}, 300_000);

afterAll(async () => {
  await writeFile(`${outDir}figures.json`, `${JSON.stringify(figures, null, 2)}\n`);
  await browser?.close();
  await proxy?.close();
  await server?.destroy();
});

describe('the web page', () => {
  it('is served with a strict Content-Security-Policy, every asset from us, gzipped', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    let gzipped = 0;
    for (const asset of ['/assets/app.js', '/assets/app.css']) {
      const response = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(response.status).toBe(200);
      gzipped += Number(response.headers.get('content-length') ?? (await response.arrayBuffer()).byteLength);
    }
    figures.pageWeightGzippedKB = Math.round(gzipped / 102.4) / 10;
    expect((await fetch(`${server.url}/assets/nothing.js`)).status).toBe(404);
  });

  it('streams events: the view at once with the transcript size as id, and a bound per address', async () => {
    const streams = await Promise.all(
      [0, 1, 2].map(() =>
        fetch(`${server.url}/v1/ceremonies/${ID}/events`, { signal: AbortSignal.timeout(60_000) }),
      ),
    );
    const reader = streams[0]!.body!.getReader();
    let text = '';
    while (!text.includes('\n\n', text.indexOf('event: ceremony'))) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    const view = (await (await fetch(`${server.url}/v1/ceremonies/${ID}`)).json()) as {
      transcriptSize: number;
    };
    expect(text).toContain('retry: ');
    expect(text).toContain(`id: ${view.transcriptSize}\nevent: ceremony\ndata: {`);
    const refused = await fetch(`${server.url}/v1/ceremonies/${ID}/events`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_CONNECTIONS');
    await reader.cancel();
    await Promise.all(streams.slice(1).map((s) => s.body?.cancel()));
  });

  it('shows each contribution live, as the command-line participants are accepted', {
    timeout: 400_000,
  }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/`);
    await page.getByRole('link', { name: `Test ceremony ${ID}` }).waitFor();
    await screenshot(page, '1-ceremonies');
    await page.getByRole('link', { name: `Test ceremony ${ID}` }).click();
    await page.getByText('Live: updates appear as they happen.').waitFor();
    await expect(page.locator('#contributions-table').textContent()).resolves.toContain(
      'No contributions yet',
    );

    for (const [i, p] of ceremony.participants.entries()) {
      const contributing = contributeAs(server, ceremony, p);
      // Locator waits poll inside the page without eval, which the page's CSP forbids.
      await page.locator('#contributions-table tbody tr').nth(i).waitFor({ timeout: 120_000 });
      const shownAt = Date.now();
      const transcript = await (await fetch(`${server.url}/v1/ceremonies/${ID}/transcript`)).text();
      const accepted = transcript
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; time: string })
        .filter((e) => e.type === 'contribution.accepted');
      figures[`acceptedToShownMs${i + 1}`] = shownAt - Date.parse(accepted[i]!.time);
      const result = await contributing;
      receipts.push(...result.contributions.map((c) => c.receipt));
      await expect.poll(() => page.locator('#contributions-table').textContent()).toContain(p.name);
    }
    await expect.poll(() => page.locator('#main').textContent()).toContain('Contributions accepted2');
    await screenshot(page, '2-ceremony');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '2-ceremony-phone');
    await page.setViewportSize({ width: 1100, height: 900 });

    await page.getByRole('link', { name: 'Transcript', exact: true }).click();
    await page.locator('tr#seq-0').waitFor();
    const proofHref = await page.locator('tr#seq-0 a').getAttribute('href');
    const proof = await fetch(`${server.url}${proofHref}`);
    expect(proof.status).toBe(200);
    await screenshot(page, '3-transcript');
    await page.close();
  });

  it('audits in the browser: all green, then consistent with the checkpoint kept from the first visit', async () => {
    const page = await browser.context.newPage();
    const started = Date.now();
    await page.goto(`${server.url}/#/c/${ID}/audit`);
    expect(await runAudit(page)).toBe('true');
    figures.auditInBrowserMs = Number(await page.locator('#audit-timing').getAttribute('data-ms'));
    figures.auditPageLoadAndRunMs = Date.now() - started;
    for (const check of [
      'entries.canonical',
      'entries.sequence',
      'checkpoint.root',
      'checkpoint.signature',
    ]) {
      expect(await statusOf(page, check)).toBe('pass');
    }
    expect(await statusOf(page, 'contributions.attestations')).toBe('pass');
    expect(await statusOf(page, 'cosignatures')).toBe('pass');
    expect(await statusOf(page, 'checkpoint.older')).toBe('skip');
    await screenshot(page, '4-audit');

    // The second visit compares today's log with the checkpoint the first one kept.
    await page.reload();
    expect(await runAudit(page)).toBe('true');
    expect(await statusOf(page, 'checkpoint.older')).toBe('pass');
    await page.close();
  });

  it('checks a receipt: pass, and fail for a tampered one', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/#/receipt`);
    await page.locator('#receipt-file').setInputFiles(receipts[0]!);
    await page.locator('#receipt-summary').waitFor();
    expect(await page.locator('#receipt-summary').getAttribute('data-ok')).toBe('true');
    expect(await statusOf(page, 'receipt')).toBe('pass');
    await screenshot(page, '5-receipt');

    const receipt = JSON.parse(await readFile(receipts[0]!, 'utf8')) as { entry: string };
    receipt.entry = receipt.entry.replace(
      /"contributionHash":"(.)/,
      (_m, c: string) => `"contributionHash":"${c === '0' ? '1' : '0'}`,
    );
    await page.locator('#receipt-summary').evaluate((el) => el.remove());
    await page.locator('#receipt-file').setInputFiles({
      name: 'tampered.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(receipt)),
    });
    await page.locator('#receipt-summary').waitFor();
    expect(await page.locator('#receipt-summary').getAttribute('data-ok')).toBe('false');
    expect(await statusOf(page, 'receipt')).toBe('fail');
    await screenshot(page, '5-receipt-tampered');
    await page.close();
  });

  it('names the lie when the coordinator serves a tampered transcript, a forged checkpoint or rewrites history', async () => {
    const page = await browser.context.newPage();
    const auditUrl = `${proxy.url}/#/c/${ID}/audit`;

    proxy.rewrite = (path, body) =>
      path.endsWith(`/ceremonies/${ID}/transcript`)
        ? body.replace(
            /"contributionHash":"(.)/,
            (_m, c: string) => `"contributionHash":"${c === '0' ? '1' : '0'}`,
          )
        : undefined;
    await page.goto(auditUrl);
    expect(await runAudit(page)).toBe('false');
    expect(await statusOf(page, 'checkpoint.root')).toBe('fail');
    await screenshot(page, '6-audit-tampered-transcript');

    const forger = generateKeyPair();
    proxy.rewrite = (path, body) => {
      if (!path.endsWith(`/ceremonies/${ID}/checkpoint`)) return undefined;
      return signNote(parseNote(body).body, ORIGIN, forger);
    };
    await page.reload();
    expect(await runAudit(page)).toBe('false');
    expect(await statusOf(page, 'checkpoint.signature')).toBe('fail');
    expect(await statusOf(page, 'checkpoint.root')).toBe('pass');

    // A checkpoint the real log key signed, for a history that is not today's: kept from an "earlier visit".
    proxy.rewrite = undefined;
    const real = await (await fetch(`${server.url}/v1/ceremonies/${ID}/checkpoint`)).text();
    const head = parseCheckpoint(parseNote(real).body);
    const older = signNote(
      formatCheckpoint({ origin: head.origin, size: 3, rootHash: new Uint8Array(32).fill(7) }),
      ORIGIN,
      keyPairFromSecret(new Uint8Array(logKeySeed)),
    );
    type Storage = { setItem(key: string, value: string): void };
    await page.evaluate(
      ([key, note]) => (globalThis as unknown as { localStorage: Storage }).localStorage.setItem(key!, note!),
      [`ceremony-coordinator/checkpoint/${proxy.url}/${ID}`, older],
    );
    await page.reload();
    expect(await runAudit(page)).toBe('false');
    expect(await statusOf(page, 'checkpoint.older')).toBe('fail');
    expect(await statusOf(page, 'checkpoint.root')).toBe('pass');
    await screenshot(page, '6-audit-inconsistent-older');
    await page.close();
  });
});
