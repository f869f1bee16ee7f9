// Builds the single-file CLI dist/ceremony.mjs: src/cli/single-file.ts and everything it imports, snarkjs included,
// in one ES module that runs with plain `node`. Reproducible: the same sources give the same bytes (no time stamps,
// no absolute paths); the SHA-256 is printed and written beside it (dist/ceremony.mjs.sha256).
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/ceremony.mjs');
const require = createRequire(import.meta.url);
const groth16Template = join(
  dirname(require.resolve('snarkjs')),
  '..',
  'templates',
  'verifier_groth16.sol.ejs',
);

// The coordinator's commands (their database, migrations and web page) stay out; the Solidity template goes in as text.
const singleFile = {
  name: 'single-file',
  setup(b) {
    b.onResolve({ filter: /\/operator-commands\.js$/ }, () => ({
      path: join(root, 'src/cli/operator-commands-absent.ts'),
    }));
    // web-worker starts each thread from its own file (__filename), which a bundle does not have: start it from
    // that file's text instead (ffjavascript's threads are web-worker's).
    b.onLoad({ filter: /node_modules\/web-worker\/cjs\/node\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replace(
        'new threads.Worker(__filename, {',
        'new threads.Worker(__webWorkerSource, { eval: true,',
      );
      if (patched === source)
        throw new Error('build-cli: web-worker no longer starts threads from __filename');
      return { contents: `const __webWorkerSource = ${JSON.stringify(source)};\n${patched}`, loader: 'js' };
    });
    b.onResolve({ filter: /\/groth16-template\.js$/ }, () => ({
      path: 'groth16-template',
      namespace: 'embedded',
    }));
    b.onLoad({ filter: /.*/, namespace: 'embedded' }, async () => ({
      contents: `export const readGroth16Template = async () => ${JSON.stringify(await readFile(groth16Template, 'utf8'))};`,
      loader: 'js',
    }));
  },
};

await mkdir(dirname(outfile), { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/single-file.ts'],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  minify: true,
  legalComments: 'none',
  metafile: true,
  // CommonJS dependencies (snarkjs's build, ffjavascript, …) call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __ceremonyRequire } from 'node:module'; const require = __ceremonyRequire(import.meta.url);",
  },
  plugins: [singleFile],
  logLevel: 'warning',
});
const banned = Object.keys(result.metafile.inputs).filter((input) =>
  /(@electric-sql\/pglite|fastify|node_modules\/pg\/|@aws-sdk)/.test(input),
);
if (banned.length > 0)
  throw new Error(`build-cli: coordinator modules reached ceremony.mjs: ${banned.join(', ')}`);
const bytes = await readFile(outfile);
const sha256 = createHash('sha256').update(bytes).digest('hex');
await writeFile(`${outfile}.sha256`, `${sha256}  ceremony.mjs\n`);
process.stdout.write(`${relative(root, outfile)}: ${bytes.length} bytes, sha256 ${sha256}\n`);
