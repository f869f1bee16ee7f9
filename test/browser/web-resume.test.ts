// The web page's contribution in a real browser (Debian's chromium) through a proxy standing for the participant's
// link: an upload cut mid-way goes on from the byte the server holds (the file sent about once, the contribution
// accepted, the page saying so); one filed before the cut is not sent again; a turn lost while the link was down is
// named; and nothing the page sends in a whole contribution carries the secret key or the typed entropy.
import { randomBytes } from 'node:crypto';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/hex.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import {
  affine,
  type CircuitSpec,
  fixture,
  setupCeremony,
  type TestCeremony,
  type TestParticipant,
} from '../helpers/ceremony.js';
import { type LinkProxy, startLinkProxy } from '../helpers/link-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
// 2^12: a 1.9 MB zkey, so sending it all again after a cut at 70% would pass more than the file plus 1 MiB.
const big: CircuitSpec = { name: 'big', r1cs: fixture('mulchain-4093.r1cs'), ptau: fixture('pot12.ptau') };

let server: TestServer;
let browser: TestBrowser;
const proxies: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startTestServer({ env: { WEB_CONTRIBUTE_MAX_CONSTRAINTS: '5000' } });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  await browser?.close();
  await server?.destroy();
});

/** Contributes from the page at `origin` with the participant's key file; resolves when the page says Done or Failed. */
async function contributeInPage(
  origin: string,
  ceremony: TestCeremony,
  who: TestParticipant,
  entropy: string,
): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${origin}/#/c/${ceremony.id}/contribute`);
  await page.locator('#key-file').setInputFiles(who.keyFile);
  await expect.poll(() => page.locator('#public-key').textContent()).toBe(toHex(who.keys.publicKey));
  await page.getByLabel(/Extra randomness/).fill(entropy);
  await page.getByRole('button', { name: 'Join the queue and contribute' }).click();
  const settled = page.locator(
    '#contribute-status[data-state="done"], #contribute-status[data-state="failed"]',
  );
  await settled.waitFor({ timeout: 240_000 });
  return page;
}

async function acceptedBy(ceremonyId: string, participantId: string): Promise<number[]> {
  const transcript = await (await fetch(`${server.url}/v1/ceremonies/${ceremonyId}/transcript`)).text();
  return transcript
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; body: { participantId: string; index: number } })
    .filter((e) => e.type === 'contribution.accepted' && e.body.participantId === participantId)
    .map((e) => e.body.index);
}

describe('the web page resumes a cut upload', () => {
  let ceremony: TestCeremony;
  let proxy: LinkProxy;
  let initialBytes: number;

  beforeAll(async () => {
    ceremony = await setupCeremony(server, { id: 'webr', circuits: [big], participants: 1 });
    const head = await fetch(`${server.url}/v1/ceremonies/webr/circuits/big/zkeys/0`, { method: 'HEAD' });
    initialBytes = Number(head.headers.get('content-length'));
    expect(initialBytes).toBeGreaterThan(MiB);
    // The link drops for 2 s once 70% of the first upload has passed. (Were only that connection reset on a link
    // that stays up, Chromium would send the whole request again by itself before the page heard of the cut.)
    proxy = await startLinkProxy(server.url, {
      dropAfter: (n) => (n === 0 ? Math.floor(initialBytes * 0.7) : undefined),
      downMs: 2000,
    });
    proxies.push(proxy);
  }, 600_000);

  it('sends the rest from the byte the server holds, says so, and the contribution is accepted', {
    timeout: 300_000,
  }, async () => {
    const who = ceremony.participants[0]!;
    const page = await contributeInPage(proxy.url, ceremony, who, 'resume test');
    await expect(page.locator('#contribute-status').textContent()).resolves.toContain('Done');
    if (process.env.DEBUG_RESUME)
      console.log(
        await page.locator('#contribute-log').textContent(),
        proxy.cuts,
        proxy.putBytes,
        proxy.refused,
      );
    expect(proxy.cuts).toHaveLength(1);
    const resumed = page.locator('#contribute-log li.resumed');
    expect(await resumed.count()).toBe(1);
    const offset = Number(await resumed.getAttribute('data-offset'));
    await expect(resumed.textContent()).resolves.toMatch(
      new RegExp(`the upload was cut \\(.+\\); resumed from byte ${offset} of \\d+`),
    );
    // The server held bytes from the cut connection, up to where the proxy cut it (headers came first).
    expect(offset).toBeGreaterThan(initialBytes / 2);
    expect(offset).toBeLessThanOrEqual(proxy.cuts[0]!);
    expect(await acceptedBy('webr', who.participantId)).toEqual([1]);
    await page.locator('#contributed-big .contribution-hash').waitFor();
    const head = await fetch(`${server.url}/v1/ceremonies/webr/circuits/big/zkeys/1`, { method: 'HEAD' });
    const fileBytes = Number(head.headers.get('content-length'));
    // Both upload connections in all, request lines and headers included: the file about once.
    expect(proxy.putBytes).toBeLessThanOrEqual(fileBytes + MiB);
    expect(proxy.putBytes).toBeGreaterThan(fileBytes);
    await page.close();
  });
});

describe('an upload filed before the link dropped', () => {
  it('is not sent again: the page picks up its verdict and receipt', { timeout: 300_000 }, async () => {
    const ceremony = await setupCeremony(server, { id: 'webf', circuits: [affine], participants: 1 });
    // The whole upload reaches the coordinator; its answer (202, verifying) is lost with the link.
    const proxy = await startLinkProxy(server.url, { dropOnAnswerTo: 0, downMs: 1000 });
    proxies.push(proxy);
    const who = ceremony.participants[0]!;
    const page = await contributeInPage(proxy.url, ceremony, who, 'filed test');
    await expect(page.locator('#contribute-status').textContent()).resolves.toContain('Done');
    expect(proxy.cuts).toHaveLength(1);
    expect(await page.locator('#contribute-log li.resumed').count()).toBe(0);
    expect(await acceptedBy('webf', who.participantId)).toEqual([1]);
    const accepted = await page.locator('#contributed-affine .contribution-hash').textContent();
    expect(accepted).toMatch(/^[0-9a-f]{128}$/);
    await expect(page.locator('#receipts a').first().getAttribute('download')).resolves.toBe(
      'webf-affine-1.json',
    );
    const head = await fetch(`${server.url}/v1/ceremonies/webf/circuits/affine/zkeys/1`, { method: 'HEAD' });
    // One upload connection: the file once, with its request line and headers.
    expect(proxy.putBytes).toBeLessThan(Number(head.headers.get('content-length')) + 64 * 1024);
    await page.close();
  });
});

describe('a turn that ended while the link was down', () => {
  let short: TestServer;
  afterAll(async () => {
    await short?.destroy();
  });

  it('is named: the page says the turn ended instead of sending the rest', { timeout: 300_000 }, async () => {
    // Heartbeats every second, a turn lost after 4 s of silence: the link stays down longer than that.
    short = await startTestServer({
      env: {
        WEB_CONTRIBUTE_MAX_CONSTRAINTS: '5000',
        HEARTBEAT_INTERVAL_SECONDS: '1',
        HEARTBEAT_GRACE_SECONDS: '4',
      },
    });
    const ceremony = await setupCeremony(short, { id: 'webt', circuits: [affine], participants: 1 });
    const head = await fetch(`${short.url}/v1/ceremonies/webt/circuits/affine/zkeys/0`, { method: 'HEAD' });
    const proxy = await startLinkProxy(short.url, {
      dropAfter: (n) => (n === 0 ? Math.floor(Number(head.headers.get('content-length')) / 2) : undefined),
      downMs: 10_000,
    });
    proxies.push(proxy);
    const page = await contributeInPage(proxy.url, ceremony, ceremony.participants[0]!, 'turn test');
    await expect(page.locator('#contribute-status').textContent()).resolves.toContain(
      'your turn ended while the upload was cut',
    );
    expect(proxy.cuts).toHaveLength(1);
    expect(await page.locator('#contribute-log li.resumed').count()).toBe(0);
    const transcript = await (await fetch(`${short.url}/v1/ceremonies/webt/transcript`)).text();
    expect(transcript).not.toContain('contribution.accepted');
    await page.close();
  });
});

describe('what the page sends', () => {
  it('never carries the secret key or the typed entropy, in any request line, header or body', {
    timeout: 300_000,
  }, async () => {
    const ceremony = await setupCeremony(server, { id: 'webs', circuits: [affine], participants: 1 });
    const proxy = await startLinkProxy(server.url);
    proxies.push(proxy);
    const who = ceremony.participants[0]!;
    const entropy = `entropy-canary-${randomBytes(12).toString('hex')}`;
    // Every request of the tab and its worker, to see that none went around the proxy.
    const requested: string[] = [];
    const onRequest = (r: Request) => requested.push(r.url());
    browser.context.on('request', onRequest);
    const page = await contributeInPage(proxy.url, ceremony, who, entropy);
    await expect(page.locator('#contribute-status').textContent()).resolves.toContain('Done');
    browser.context.off('request', onRequest);
    expect(await acceptedBy('webs', who.participantId)).toEqual([1]);
    await page.close();
    expect(requested.filter((url) => !url.startsWith(`${proxy.url}/`))).toEqual([]);
    expect(requested.length).toBeGreaterThan(5);

    const sent = proxy.sent();
    // The contribution went through this proxy: its upload and login are in what was recorded.
    expect(sent.includes('PUT /v1/ceremonies/webs/circuits/affine/contribution')).toBe(true);
    expect(sent.includes('POST /v1/auth/login')).toBe(true);
    const secret = Buffer.from(who.keys.secretKey);
    const forms = {
      'secret key, raw bytes': secret,
      'secret key, hex': Buffer.from(secret.toString('hex')),
      'secret key, HEX': Buffer.from(secret.toString('hex').toUpperCase()),
      'secret key, base64': Buffer.from(secret.toString('base64')),
      'secret key, base64url': Buffer.from(secret.toString('base64url')),
      entropy: Buffer.from(entropy),
      'entropy, base64': Buffer.from(Buffer.from(entropy).toString('base64')),
    };
    const found = Object.entries(forms)
      .filter(([, needle]) => sent.includes(needle))
      .map(([what]) => what);
    expect(found, `${sent.length} bytes sent`).toEqual([]);
  });
});
