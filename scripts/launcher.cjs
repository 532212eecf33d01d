// dist/index.js: the entry point action.yml runs for main and post. It turns on Node's on-disk compile cache
// (Node >= 22.1) before loading the bundle, so the post step, and later runs on the same runner, skip parsing
// and compiling the bundle again. The bundle itself is dist/bundle/index.js (ncc).
'use strict';
const mod = require('node:module');
if (typeof mod.enableCompileCache === 'function') {
  try {
    mod.enableCompileCache(
      require('node:path').join(process.env.RUNNER_TEMP || require('node:os').tmpdir(), 'publish-image-compile-cache')
    );
  } catch {
    // a cache that cannot be written only costs time
  }
}
require('./bundle/index.js');
