import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultUiDir, loadUiAssets } from './ui-assets.js';

describe('the dashboard files', () => {
  it('are looked for in dist/ui of the project, from the sources and from the build alike', () => {
    const root = process.cwd();
    expect(defaultUiDir(join(root, 'src', 'ui'))).toBe(join(root, 'dist', 'ui'));
    expect(defaultUiDir(join(root, 'dist', 'src', 'ui'))).toBe(join(root, 'dist', 'ui'));
  });

  it('are the built files only, each with its content type; none when never built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ui-assets-'));
    expect(loadUiAssets(dir).size).toBe(0);
    writeFileSync(join(dir, 'app.js'), 'export {};');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
    const assets = loadUiAssets(dir);
    expect([...assets.keys()]).toEqual(['app.js']);
    expect(assets.get('app.js')?.contentType).toBe('text/javascript; charset=utf-8');
  });
});
