// The whole audit in the browser (Debian's chromium): on a real finished ceremony the page runs final.zkey,
// final.contributions, final.beacon, final.proofs-of-knowledge and outputs.* in its worker with the verdicts of
// `ceremony verify`, and each of them fails when the coordinator serves a tampered input for it. Above the
// server's bound the page names the checks left to the CLI, with the command.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../src/snark/bin-file.js';
import { parseZkeyInfo } from '../../src/snark/zkey-parse.js';
import type { TranscriptEntry } from '../../src/transcript/entry.js';
import { auditCeremony, openSource } from '../../src/verify/audit.js';
import { FINAL_CHECKS } from '../../src/verify/types.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { type FinishedCeremony, makeFinishedCeremony } from '../helpers/finished-ceremony.js';

const outDir = fileURLToPath(new URL('../../test-output/web/', import.meta.url));
const ID = 'finished';
const CIRCUIT = 'mulchain';

let finished: FinishedCeremony;
let browser: TestBrowser;
let base: string;

const ceremonyUrl = (path: string) => `${base}/v1/ceremonies/${ID}${path}`;

/** Opens the audit page (with the coordinator's answers rewritten by `tamper`) and waits for its verdict. */
async function audit(tamper?: (page: Page) => Promise<unknown>): Promise<Page> {
  const page = await browser.context.newPage();
  await tamper?.(page);
  await page.goto(`${base}/#/c/${ID}/audit`);
  await page.locator('#audit-summary').waitFor({ timeout: 300_000 });
  return page;
}

async function check(page: Page, name: string): Promise<{ status: string | null; detail: string }> {
  const item = page.locator(`li[data-check="${name}"]`);
  return { status: await item.getAttribute('data-status'), detail: (await item.textContent()) ?? '' };
}

/** The final checks that fail on the page. */
async function failingFinal(page: Page): Promise<string[]> {
  const failing: string[] = [];
  for (const name of FINAL_CHECKS) if ((await check(page, name)).status === 'fail') failing.push(name);
  return failing;
}

/** Serves the transcript with `edit` applied to its entries (the log checks then fail too: nothing is re-signed). */
function rewriteTranscript(edit: (entries: TranscriptEntry[]) => void) {
  return (page: Page) =>
    page.route(ceremonyUrl('/transcript'), async (route: Route) => {
      const real = await (await route.fetch()).text();
      const entries = real
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as TranscriptEntry);
      edit(entries);
      await route.fulfill({ body: `${entries.map((e) => JSON.stringify(e)).join('\n')}\n` });
    });
}

function entryOfType(entries: TranscriptEntry[], type: TranscriptEntry['type'], index?: number) {
  const found = entries.find((e) => e.type === type && (index === undefined || e.body.index === index));
  if (!found) throw new Error(`no ${type} entry`);
  return found;
}

beforeAll(async () => {
  await mkdir(outDir, { recursive: true });
  finished = await makeFinishedCeremony(ID);
  base = finished.server.url;
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await finished?.server.destroy();
});

describe('the whole audit in the browser', () => {
  it('runs every final.* and outputs.* check on an honest finished ceremony, with the verdicts of ceremony verify', {
    timeout: 600_000,
  }, async () => {
    const page = await audit();
    expect(await page.locator('#audit-summary').getAttribute('data-ok')).toBe('true');
    const report = await auditCeremony(openSource({ server: base, ceremony: ID }));
    for (const name of FINAL_CHECKS) {
      const cli = report.checks.find((c) => c.name === name)!;
      const shown = await check(page, name);
      expect(shown.status, name).toBe('pass');
      expect(cli.status, name).toBe('pass');
      // The same rules say the same thing; only snarkjs's time differs.
      const untimed = (text: string) => text.replace(/\d+ ms/g, 'N ms');
      expect(untimed(shown.detail), name).toContain(untimed(cli.detail));
    }
    await expect(check(page, 'final.proofs-of-knowledge')).resolves.toMatchObject({
      detail: expect.stringContaining('4 proofs of knowledge and the delta chain re-check'),
    });
    // What is left to the CLI: the intermediate zkeys alone, with the command.
    const rest = (await page.locator('#cli-checks').textContent()) ?? '';
    for (const name of FINAL_CHECKS) expect(rest).not.toContain(name);
    expect(rest).toContain('intermediate.zkeys');
    expect(rest).toContain(`verify --server ${base} --ceremony ${ID}`);
    expect(Number(await page.locator('#audit-timing').getAttribute('data-final-ms'))).toBeGreaterThan(0);
    await page.screenshot({ path: `${outDir}9-audit-final-all.png`, fullPage: true });
    await page.close();
  });

  it('fails outputs.verification-key for a tampered verification_key.json, outputs.verifier for a tampered verifier.sol', {
    timeout: 600_000,
  }, async () => {
    const vk = await audit((page) =>
      page.route(ceremonyUrl(`/circuits/${CIRCUIT}/verification_key.json`), async (route) => {
        const real = (await (await route.fetch()).json()) as { IC: string[][] };
        real.IC[0]![0] = '1';
        await route.fulfill({ body: `${JSON.stringify(real, null, 1)}\n` });
      }),
    );
    expect(await failingFinal(vk)).toEqual(['outputs.verification-key']);
    await expect(check(vk, 'outputs.verification-key')).resolves.toMatchObject({
      detail: expect.stringContaining(
        'mulchain: the published verification_key.json differs from the export of the final zkey',
      ),
    });
    await vk.close();

    const sol = await audit((page) =>
      page.route(ceremonyUrl(`/circuits/${CIRCUIT}/verifier.sol`), async (route) => {
        const real = await (await route.fetch()).text();
        await route.fulfill({ body: real.replace('contract Groth16Verifier', 'contract Groth16Verifer') });
      }),
    );
    expect(await failingFinal(sol)).toEqual(['outputs.verifier']);
    await expect(check(sol, 'outputs.verifier')).resolves.toMatchObject({
      detail: expect.stringContaining('the published verifier.sol differs from the export of the final zkey'),
    });
    await sol.close();
  });

  it('fails final.contributions for a transcript that accepted another hash, final.beacon for another beacon', {
    timeout: 600_000,
  }, async () => {
    const contributions = await audit(
      rewriteTranscript((entries) => {
        entryOfType(entries, 'contribution.accepted', 2).body.contributionHash = 'ab'.repeat(64);
      }),
    );
    expect(await failingFinal(contributions)).toEqual(['final.contributions']);
    await expect(check(contributions, 'final.contributions')).resolves.toMatchObject({
      detail: expect.stringContaining('contribution 2 has hash'),
    });
    await contributions.close();

    const beacon = await audit(
      rewriteTranscript((entries) => {
        entryOfType(entries, 'beacon.applied').body.beaconHex = '00'.repeat(32);
      }),
    );
    expect(await failingFinal(beacon)).toEqual(['final.beacon']);
    await expect(check(beacon, 'final.beacon')).resolves.toMatchObject({
      detail: expect.stringContaining("the zkey's beacon is"),
    });
    await beacon.close();
  });

  it('fails final.proofs-of-knowledge (and final.zkey) for a final zkey whose first proof was swapped, the log naming it', {
    timeout: 600_000,
  }, async () => {
    const honest = new Uint8Array(
      await (await fetch(ceremonyUrl(`/circuits/${CIRCUIT}/zkeys/final`))).arrayBuffer(),
    );
    const info = await parseZkeyInfo(bytesSource(honest));
    const s10 = info.sections.find((section) => section.id === 10)!;
    // Contribution #1's g2_spx replaced by #3's: a valid point, but no longer the first participant's proof.
    const swapped = honest.slice();
    swapped.set(info.contributions[2]!.g2Spx, s10.offset + 68 + 192);
    const sha = Buffer.from(await crypto.subtle.digest('SHA-256', swapped)).toString('hex');
    const page = await audit(async (p) => {
      await p.route(ceremonyUrl(`/circuits/${CIRCUIT}/zkeys/final`), (route) =>
        route.fulfill({ body: Buffer.from(swapped), contentType: 'application/octet-stream' }),
      );
      await rewriteTranscript((entries) => {
        entryOfType(entries, 'beacon.applied').body.zkeySha256 = sha;
        const outputs = entryOfType(entries, 'ceremony.finalized').body.circuits as {
          finalZkeySha256: string;
        }[];
        outputs[0]!.finalZkeySha256 = sha;
      })(p);
    });
    const pok = await check(page, 'final.proofs-of-knowledge');
    expect(pok.status).toBe('fail');
    expect(pok.detail).toMatch(/mulchain: contribution 1: proof of knowledge fails/);
    expect((await check(page, 'final.zkey')).detail).toContain('snarkjs verification failed');
    await page.screenshot({ path: `${outDir}9-audit-final-pok.png`, fullPage: true });
    await page.close();
  });

  it('fails final.zkey and names every other check as not checked when the final zkey is not the one named', {
    timeout: 300_000,
  }, async () => {
    const page = await audit((p) =>
      p.route(ceremonyUrl(`/circuits/${CIRCUIT}/zkeys/final`), async (route) => {
        const real = Buffer.from(await (await route.fetch()).body());
        real[real.length - 1] = real[real.length - 1]! ^ 1;
        await route.fulfill({ body: real });
      }),
    );
    expect(await failingFinal(page)).toEqual([...FINAL_CHECKS]);
    expect((await check(page, 'final.zkey')).detail).toMatch(
      /the final zkey of mulchain from \S+ has SHA-256 [0-9a-f]{16}…, the transcript names/,
    );
    expect((await check(page, 'outputs.verifier')).detail).toContain(
      'not checked: the final zkey of mulchain',
    );
    await page.close();
  });

  it('above the bound, lists the checks that need the CLI with the command, and loads no snarkjs', {
    timeout: 300_000,
  }, async () => {
    const workers: string[] = [];
    const page = await audit(async (p) => {
      p.on('worker', (w) => workers.push(w.url()));
      // The server as if started with WEB_CONTRIBUTE_MAX_CONSTRAINTS=1000: mulchain has 1,021 constraints.
      await p.route(ceremonyUrl(''), async (route) => {
        const view = (await (await route.fetch()).json()) as Record<string, unknown>;
        await route.fulfill({ json: { ...view, webContributeMaxConstraints: 1000 } });
      });
    });
    expect(await page.locator('#audit-summary').getAttribute('data-ok')).toBe('true');
    for (const name of FINAL_CHECKS) expect(await page.locator(`li[data-check="${name}"]`).count()).toBe(0);
    const rest = (await page.locator('#cli-checks').textContent()) ?? '';
    expect(rest).toContain('circuit mulchain is larger than the 1,000 constraints this page checks');
    for (const name of FINAL_CHECKS) expect(rest).toContain(name);
    expect(rest).toContain(`verify --server ${base} --ceremony ${ID}`);
    expect(workers).toEqual([]);
    await page.close();
  });
});
