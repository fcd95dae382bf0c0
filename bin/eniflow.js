#!/usr/bin/env node
// Entry point of the `eniflow` command; the code lives in dist/ (npm run build).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error('eniflow is not built yet: run `npm run build` first.');
  process.exit(2);
}
require(main)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code ?? 0))
  .catch((err) => {
    console.error(`eniflow: ${err && err.message ? err.message : err}`);
    process.exit(1);
  });
