// Bundles the admin pages: public/src/<page>.ts (with the client SDK and msgpackr) into
// public/assets/<page>.js with esbuild, so the pages work offline (no CDN).
//   node scripts/build-pages.mjs           one build (minified, with source maps)
//   node scripts/build-pages.mjs --watch   rebuild on change while developing
// Type checking is separate: tsc -p tsconfig.pages.json.
import { readFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const PAGES = ['dashboard', 'entities', 'realm', 'space', 'timeline'];
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const watch = process.argv.includes('--watch');

const options = {
  absWorkingDir: root,
  entryPoints: PAGES.map((p) => `public/src/${p}.ts`),
  outdir: 'public/assets',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
  minify: !watch,
  sourcemap: 'linked',
  legalComments: 'none',
  charset: 'utf8',
  define: { __TICKVERSE_VERSION__: JSON.stringify(String(pkg.version)) },
  logLevel: watch ? 'info' : 'warning',
  metafile: true,
};

await mkdir(join(root, 'public/assets'), { recursive: true });
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  process.stdout.write('build-pages: watching public/src and client/ …\n');
} else {
  let result;
  try {
    result = await esbuild.build(options);
  } catch {
    // esbuild has already printed the errors with their locations.
    process.exit(1);
  }
  const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
  const sizes = outputs.map(([f, o]) => `${f.replace(/^public\/assets\//, '')} ${(o.bytes / 1024).toFixed(1)} KiB`);
  process.stdout.write(`build-pages: ${sizes.join(', ')}\n`);
}
