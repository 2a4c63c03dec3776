// After `tsc`: dist/main.js and dist/worker.js, so the entry points are where people look
// for them (the compiled tree keeps src/ because migrations/ and ormconfig.ts sit beside it).
import { writeFileSync } from 'node:fs';

for (const entry of ['main', 'worker']) {
  writeFileSync(`dist/${entry}.js`, `import './src/${entry}.js';\n`);
}
