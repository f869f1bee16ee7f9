#!/usr/bin/env node
// The npm registry mirror these machines use lacks some other-platform builds of optional native packages
// (@biomejs/cli-*, @rollup/rollup-*), so `npm install` leaves them out of package-lock.json and `npm ci` then
// refuses the lock. This adds the entries a complete registry would have written (version, os, cpu, libc,
// optional): npm skips them by platform and never fetches them. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;

/** os, cpu and libc from a platform package name such as rollup-linux-arm-musleabihf or cli-win32-x64. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-').slice(1);
  const [os, cpu, abi] = parts;
  const entry = { os: [os], cpu: [cpu] };
  if (os === 'linux' && abi !== undefined) entry.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
  if (os === 'linux' && abi === undefined && name.includes('@biomejs/')) entry.libc = ['glibc'];
  return entry;
}

for (const [key, pkg] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    if (!/^@(biomejs\/cli|rollup\/rollup)-/.test(dep)) continue;
    const where = `${key ? `${key}/` : ''}node_modules/${dep}`;
    if (packages[where] || packages[`node_modules/${dep}`]) continue;
    packages[`node_modules/${dep}`] = {
      version,
      ...platformOf(dep),
      ...(pkg.dev ? { dev: true } : {}),
      license: 'MIT',
      optional: true,
      engines: dep.startsWith('@biomejs/') ? { node: '>=14.21.3' } : undefined,
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`complete-lockfile: added ${added} platform entries\n`);
