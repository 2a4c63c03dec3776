import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One built file of the dashboard, held in memory (the whole build is a few files). */
export interface UiAsset {
  body: Buffer;
  contentType: string;
}

/** What `scripts/build-ui.mjs` writes into dist/ui, and how each is served. */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

export const UI_FILES = Object.keys(FILES);

/**
 * `dist/ui` of the project this module belongs to: the nearest folder above it holding
 * package.json is the project (from src/ui when the tests run the sources, from dist/src/ui
 * when the build runs, from /app/dist/src/ui in the image).
 */
export function defaultUiDir(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return join(dir, 'dist', 'ui');
}

/** The built dashboard, read once; empty when it was never built (`npm run build` builds it). */
export function loadUiAssets(dir = defaultUiDir()): Map<string, UiAsset> {
  const assets = new Map<string, UiAsset>();
  for (const [name, contentType] of Object.entries(FILES)) {
    const path = join(dir, name);
    if (existsSync(path)) assets.set(name, { body: readFileSync(path), contentType });
  }
  return assets;
}
