// The web page's built files (dist/web), read once at boot: small, so they are served from memory, gzipped once.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface WebAsset {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
  etag: string;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** dist/web beside the compiled server, or the repository's dist/web when the server runs from src (tests). */
export function findWebDir(): string | undefined {
  const candidates = ['../web/', '../../dist/web/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find(
    (dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets/app.js')),
  );
}

async function readAsset(path: string): Promise<WebAsset> {
  const body = await readFile(path);
  return {
    body,
    gzipped: gzipSync(body, { level: 9 }),
    contentType: contentTypes[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
  };
}

/** Reads index.html and every file of assets/, keyed by URL path ('/', '/assets/app.js', …). */
export async function loadWebAssets(dir: string): Promise<Map<string, WebAsset>> {
  const assets = new Map<string, WebAsset>();
  assets.set('/', await readAsset(join(dir, 'index.html')));
  for (const name of await readdir(join(dir, 'assets'))) {
    assets.set(`/assets/${name}`, await readAsset(join(dir, 'assets', name)));
  }
  return assets;
}
