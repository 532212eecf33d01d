#!/usr/bin/env node
// dist/cli.js: the `publish-image` command (package.json bin). Turns on Node's compile cache, then loads the CLI
// bundle (dist/cli-bundle/index.js, ncc).
'use strict';
const mod = require('node:module');
if (typeof mod.enableCompileCache === 'function') {
  try {
    mod.enableCompileCache(require('node:path').join(require('node:os').tmpdir(), 'publish-image-compile-cache'));
  } catch {
    // a cache that cannot be written only costs time
  }
}
require('./cli-bundle/index.js');
