// The web page in a real browser (Debian's chromium): live updates while participants contribute, the audit and
// receipt check run in the page, and a coordinator that lies is caught by the check that names the lie.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { generateKeyPair, keyPairFromSecret } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { formatCheckpoint, parseCheckpoint, parseNote, signNote } from '../../src/transcript/note.js';
import { readLedger } from '../../src/verify/ledger.js';
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

/** What the functions run in the page read (the tests are compiled without the DOM's types). */
type Dom = {
  document: { activeElement: unknown; documentElement: { scrollWidth: number } };
  innerWidth: number;
};

/** Presses Tab until `target` has the focus, as a keyboard user would; fails if it never does. */
async function reachByTab(page: Page, target: ReturnType<Page['locator']>): Promise<void> {
  await page.locator('body').focus();
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === (globalThis as unknown as Dom).document.activeElement)) return;
  }
  throw new Error('the scrolling region is not reachable with Tab');
}

type Storage = { getItem(key: string): string | null; setItem(key: string, value: string): void };

/** The size of the checkpoint the audit page keeps in this browser for `origin`, or undefined. */
async function keptSize(page: Page, origin: string): Promise<number | undefined> {
  const note = await page.evaluate(
    (key) => (globalThis as unknown as { localStorage: Storage }).localStorage.getItem(key),
    `ceremony-coordinator/checkpoint/${origin}/${ID}`,
  );
  return note === null ? undefined : parseCheckpoint(parseNote(note).body).size;
}

async function transcriptSize(): Promise<number> {
  return readLedger(await (await fetch(`${server.url}/v1/ceremonies/${ID}/transcript`)).text(), ID).lines
    .length;
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
      // The pictures follow the stream too, without a reload: one more disc on the timeline, one more bar.
      await expect
        .poll(() => page.locator('#timeline-chart svg > circle.mark-accepted').count(), { timeout: 60_000 })
        .toBe(i + 1);
      await expect
        .poll(() => page.locator('#verify-chart svg rect.bar-accepted').count(), { timeout: 60_000 })
        .toBe(i + 1);
      const result = await contributing;
      receipts.push(...result.contributions.map((c) => c.receipt));
      await expect.poll(() => page.locator('#contributions-table').textContent()).toContain(p.name);
    }
    await expect.poll(() => page.locator('#main').textContent()).toContain('Contributions accepted2');
    // Dates name the month and the time zone; an opened ceremony says when it opened, not "Opens —".
    // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees, laid out, is the point here
    const overview = await page.locator('#main').innerText();
    expect(overview).not.toMatch(/\b\d{1,2}\/\d{1,2}\/\d{4}\b/);
    expect(overview).toMatch(/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/);
    expect(overview).toMatch(/Opened\s+\S/);
    expect(overview).not.toContain('Opens');
    expect(overview).not.toContain('(s)');
    await screenshot(page, '2-ceremony');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '2-ceremony-phone');
    await page.setViewportSize({ width: 1100, height: 900 });

    await page.getByRole('link', { name: 'Transcript', exact: true }).click();
    await page.locator('tr#seq-0').waitFor();
    // The hash chain holds, and the drawn tree's root is the root of the transcript as served.
    await expect(page.locator('#chain-chart figcaption').textContent()).resolves.toContain(
      'every link holds',
    );
    const served = readLedger(await (await fetch(`${server.url}/v1/ceremonies/${ID}/transcript`)).text(), ID);
    await expect(page.locator('#merkle-chart figcaption').textContent()).resolves.toContain(
      `root ${toHex(served.root)}`,
    );
    expect(await page.locator('#chain-chart svg g.chain-box').count()).toBe(served.lines.length);
    // The summary column speaks in words; raw field names stay inside each entry's JSON.
    // biome-ignore lint/performance/useDomNodeTextContent: closed <details> (the raw JSON) are not shown to a reader
    const entries = await page.locator('table.transcript').innerText();
    expect(entries).toContain('participant ');
    expect(entries).not.toMatch(/participantId|beaconSource/);
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
    // Nothing is pinned yet, so the key field does not claim it is.
    await expect(page.locator('label[for="log-key"]').textContent()).resolves.not.toContain('pinned');
    await expect(page.locator('li[data-check="cosignatures"]').textContent()).resolves.toContain(
      'by 2 participants',
    );
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

    // The first visit kept the checkpoint of the log as it was; then the log grows by one entry.
    const first = await transcriptSize();
    expect(await keptSize(page, server.url)).toBe(first);
    await admin.addParticipant({
      ...ceremony.adminOptions,
      name: 'late-joiner',
      publicKey: toHex(generateKeyPair().publicKey),
    });
    const grown = await transcriptSize();
    expect(grown).toBeGreaterThan(first);

    // The second visit checks today's larger log against the checkpoint the first one kept: the kept root is the
    // root of the log's first entries, and the coordinator's consistency proof between the two sizes verifies.
    await page.reload();
    expect(await runAudit(page), (await page.locator('#audit-summary').textContent()) ?? '').toBe('true');
    await expect(page.locator('li[data-check="checkpoint.older"]').textContent()).resolves.toContain(
      `the older checkpoint (size ${first}) is signed by the log key and is a prefix of the transcript; ` +
        `the coordinator's consistency proof ${first}→${grown} verifies`,
    );
    await expect(page.locator('#audit-timing').textContent()).resolves.toContain(`${grown} entries audited`);
    await expect(page.locator('#audit-timing').textContent()).resolves.toContain(
      `Compared with the checkpoint of ${first} entries kept from an earlier visit.`,
    );
    // The clean audit keeps the newer checkpoint for the next visit.
    expect(await keptSize(page, server.url)).toBe(grown);

    // Pinning the announced key: the field says so from then on.
    const logKey = (await (await fetch(`${server.url}/v1/log-key`)).text()).trim();
    await page.locator('#log-key').fill(logKey);
    await page.locator('#audit-summary').evaluate((el) => el.remove());
    await page.getByRole('button', { name: 'Run the audit' }).click();
    expect(await runAudit(page)).toBe('true');
    await expect(page.locator('label[for="log-key"]').textContent()).resolves.toContain(
      '(pinned in this browser)',
    );
    await page.close();
  });

  it('fits a 390 px phone: no page is wider than the screen; a table wider than its region says so and takes the keyboard', {
    timeout: 300_000,
  }, async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const pages: [string, string][] = [
      ['#/', 'table'],
      [`#/c/${ID}`, '#contributions-table'],
      [`#/c/${ID}/contribute`, '#join'],
      [`#/c/${ID}/transcript`, 'tr#seq-0'],
      [`#/c/${ID}/audit`, '#audit-summary'],
      ['#/receipt', '#receipt-text'],
    ];
    for (const [route, ready] of pages) {
      await page.goto(`${server.url}/${route}`);
      await page.locator(ready).first().waitFor({ timeout: 60_000 });
      const width = await page.evaluate(() => {
        const dom = globalThis as unknown as Dom;
        return { page: dom.document.documentElement.scrollWidth, screen: dom.innerWidth };
      });
      expect(width.page, `${route} is ${width.page} px wide`).toBeLessThanOrEqual(width.screen);
      // Every table sits in a region; one wider than the screen shows its hint and takes the keyboard.
      expect(await page.locator('table:not(.scroll table)').count(), route).toBe(0);
      const regions = page.locator('.scroll');
      for (let i = 0; i < (await regions.count()); i++) {
        const region = regions.nth(i);
        const overflows = await region.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
        await expect.poll(() => region.getAttribute('data-overflow')).toBe(String(overflows));
        if (!overflows) continue;
        expect(await region.locator('.scroll-hint').isVisible(), route).toBe(true);
        await reachByTab(page, region);
        for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
        await expect
          .poll(() => region.evaluate((el) => el.scrollLeft), { message: route })
          .toBeGreaterThan(0);
      }
      await screenshot(page, `9-phone-${route.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '') || 'list'}`);
    }
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
    // The chosen file shows in the box, so pressing the button checks it again rather than an empty box.
    await expect(page.locator('#receipt-text').inputValue()).resolves.toContain('"inclusionProof"');
    await page.locator('#receipt-summary').evaluate((el) => el.remove());
    await page.getByRole('button', { name: 'Check the receipt' }).click();
    await page.locator('#receipt-summary').waitFor();
    expect(await page.locator('#receipt-summary').getAttribute('data-ok')).toBe('true');
    expect(await statusOf(page, 'receipt')).toBe('pass');

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

    // A clean visit keeps today's checkpoint; then the coordinator rolls back to an older log, served with the
    // checkpoint its key really signed at that size: every check of that log alone passes, the kept one fails.
    proxy.rewrite = undefined;
    await page.reload();
    expect(await runAudit(page)).toBe('true');
    const size = await transcriptSize();
    expect(await keptSize(page, proxy.url)).toBe(size);
    const shorter = await (await fetch(`${server.url}/v1/ceremonies/${ID}/checkpoints/${size - 1}`)).text();
    proxy.rewrite = (path, body) => {
      if (path.endsWith(`/ceremonies/${ID}/transcript`))
        return `${body
          .split('\n')
          .slice(0, size - 1)
          .join('\n')}\n`;
      return path.endsWith(`/ceremonies/${ID}/checkpoint`) ? shorter : undefined;
    };
    await page.reload();
    expect(await runAudit(page)).toBe('false');
    expect(await statusOf(page, 'checkpoint.root')).toBe('pass');
    expect(await statusOf(page, 'checkpoint.signature')).toBe('pass');
    expect(await statusOf(page, 'checkpoint.older')).toBe('fail');
    await expect(page.locator('li[data-check="checkpoint.older"]').textContent()).resolves.toContain(
      `the older checkpoint covers ${size} entries but the transcript has only ${size - 1}: the log was truncated`,
    );
    await screenshot(page, '6-audit-rolled-back');

    // A checkpoint the real log key signed, for a history that is not today's: kept from an "earlier visit".
    proxy.rewrite = undefined;
    const real = await (await fetch(`${server.url}/v1/ceremonies/${ID}/checkpoint`)).text();
    const head = parseCheckpoint(parseNote(real).body);
    const older = signNote(
      formatCheckpoint({ origin: head.origin, size: 3, rootHash: new Uint8Array(32).fill(7) }),
      ORIGIN,
      keyPairFromSecret(new Uint8Array(logKeySeed)),
    );
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
