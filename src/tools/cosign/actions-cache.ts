/**
 * @actions/cache, loaded only when cosign has to be installed. It is bundled apart (dist/cache/index.js, see the
 * build script): it is a third of the code and almost no run needs it, so the main bundle stays small to load.
 */
import {createRequire} from 'node:module';
import * as path from 'node:path';

export interface ActionsCache {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], key: string): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

declare const __non_webpack_require__: NodeJS.Require | undefined;

export function loadActionsCache(): ActionsCache {
  // In the ncc bundle (dist/bundle/index.js) the separate bundle sits at dist/cache/index.js; from sources, the package.
  if (typeof __non_webpack_require__ === 'function')
    return __non_webpack_require__(path.join(__dirname, '..', 'cache', 'index.js')) as ActionsCache;
  return createRequire(__filename)('@actions/cache') as ActionsCache;
}
