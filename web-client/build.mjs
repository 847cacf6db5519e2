// Bundles the chat page into static files: `node build.mjs OUTDIR` (default dist/). Maven calls it with the
// directory that becomes META-INF/resources/parley-ui/ in the jar.
import * as esbuild from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

const out = path.resolve(process.argv[2] ?? 'dist');
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await esbuild.build({
  entryPoints: { app: 'src/main/js/main.js' },
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'linked', // the libraries' licence notices travel with the bundle
  outdir: out,
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: ['src/main/web/app.css'],
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) await copyFile(path.join('src/main/web', file), path.join(out, file));
console.log(`parley-ui: bundled into ${out}`);
