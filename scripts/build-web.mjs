// Builds the web page into dist/web: one ES module bundle (esbuild), the stylesheet and index.html.
// Shared domain modules go in as they are; the few Node-only imports they name are swapped (see src/web/shims).
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'src/web');
const out = join(root, 'dist/web');

const browserShims = {
  name: 'browser-shims',
  setup(b) {
    b.onResolve({ filter: /^node:(fs\/promises|path|crypto)$/ }, () => ({
      path: join(web, 'shims/node-unavailable.ts'),
    }));
    b.onResolve({ filter: /crypto\/signature-verifier\.js$/ }, () => ({
      path: join(web, 'shims/signature-verifier.ts'),
    }));
  },
};

await mkdir(join(out, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [join(web, 'main.ts')],
  outfile: join(out, 'assets/app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: true,
  plugins: [browserShims],
  logLevel: 'warning',
});
const leaked = Object.keys(result.metafile.inputs).filter((input) => input.startsWith('node:'));
if (leaked.length > 0) throw new Error(`build-web: Node modules reached the bundle: ${leaked.join(', ')}`);
// Node's Buffer global does not exist in browsers: a shared module that uses it would fail only at run time.
const bundled = await readFile(join(out, 'assets/app.js'), 'utf8');
if (/\bBuffer\.(from|concat|alloc)\(/.test(bundled))
  throw new Error("build-web: the bundle uses Node's Buffer");
// The contribution worker is its own file, fetched only when someone contributes: snarkjs stays out of app.js.
const worker = await build({
  entryPoints: [join(web, 'contribute/worker.ts')],
  outfile: join(out, 'assets/contribute-worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: true,
  // fastfile asks `process.browser` to choose fetch over the file system.
  define: { 'process.browser': 'true' },
  logLevel: 'warning',
});
const workerLeaked = Object.keys(worker.metafile.inputs).filter((input) => input.startsWith('node:'));
if (workerLeaked.length > 0)
  throw new Error(`build-web: Node modules reached the worker: ${workerLeaked.join(', ')}`);
// The audit worker (final.* and outputs.* checks): snarkjs, the shared verify rules and the @noble/curves re-check.
// node:crypto is SHA-256 alone there (the beacon key). The Solidity verifier template goes in compiled by the ejs
// snarkjs renders it with in Node (same bytes, checked by test/browser/web-audit-final.test.ts), so nothing evals.
const snarkjsRequire = createRequire(createRequire(import.meta.url).resolve('snarkjs'));
const ejs = snarkjsRequire('ejs');
const groth16Template = join(
  dirname(snarkjsRequire.resolve('snarkjs')),
  '..',
  'templates/verifier_groth16.sol.ejs',
);
const renderGroth16 = ejs.compile(await readFile(groth16Template, 'utf8'), {
  client: true,
  strict: true,
  // The names the template reads (strict mode has no `with`); the verification key holds each.
  destructuredLocals: ['nPublic', 'IC', 'vk_alpha_1', 'vk_beta_2', 'vk_gamma_2', 'vk_delta_2'],
});
const auditShims = {
  name: 'audit-shims',
  setup(b) {
    b.onResolve({ filter: /^node:crypto$/ }, () => ({ path: join(web, 'shims/node-crypto.ts') }));
    b.onResolve({ filter: /\/groth16-verifier\.js$/ }, () => ({
      path: 'groth16-verifier',
      namespace: 'groth16-verifier',
    }));
    b.onLoad({ filter: /.*/, namespace: 'groth16-verifier' }, () => ({
      contents: `export const renderGroth16Verifier = ${renderGroth16.toString()};`,
      loader: 'js',
    }));
  },
};
const audit = await build({
  entryPoints: [join(web, 'audit/audit-worker.ts')],
  outfile: join(out, 'assets/audit-worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: true,
  define: { 'process.browser': 'true' },
  plugins: [auditShims, browserShims],
  logLevel: 'warning',
});
const auditLeaked = Object.keys(audit.metafile.inputs).filter((input) => input.startsWith('node:'));
if (auditLeaked.length > 0)
  throw new Error(`build-web: Node modules reached the audit worker: ${auditLeaked.join(', ')}`);
await build({
  entryPoints: [join(web, 'style.css')],
  outfile: join(out, 'assets/app.css'),
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
await copyFile(join(web, 'index.html'), join(out, 'index.html'));
await writeFile(join(out, 'meta.json'), JSON.stringify(result.metafile));
await writeFile(join(out, 'worker-meta.json'), JSON.stringify(worker.metafile));
await writeFile(join(out, 'audit-worker-meta.json'), JSON.stringify(audit.metafile));
