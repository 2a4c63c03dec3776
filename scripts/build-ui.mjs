// After `tsc`: bundles the dashboard (src/ui/client) into dist/ui with esbuild. Everything
// the browser loads comes from this bundle; the service serves it at /ui.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const source = 'src/ui/client';
const out = 'dist/ui';

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: `${source}/main.tsx` },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: `${source}/tsconfig.json`,
  logLevel: 'warning',
});
await build({
  entryPoints: { app: `${source}/styles.css` },
  outdir: out,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg'])
  copyFileSync(`${source}/${file}`, `${out}/${file}`);
