/** The registry layer: transport (trust, proxy) -> credentials -> auth (scopes, tokens) -> retry -> client. */
export type {Body, IndexEntry, Manifest, Platform, RegistryOptions} from './client';
export {MANIFEST_TYPES, platformString, RegistryClient, sha256} from './client';
export {grantedActions, RegistryError, registryErrorCodes, registryErrorText} from './errors';
export {mergeScopes, parseChallenge, repoScope, scopesCover} from './auth';
export type {RetryPolicy} from './retry';
export {backoffDelay, DEFAULT_POLICY, isTransientStatus, parseRetryAfter, withRetry} from './retry';
export {CredentialResolver, dockerLogins, jobDockerConfigPath} from './credentials';
export type {DockerLogins} from './credentials';
export {certsDirHosts, networkHint, noProxyMatches, proxyFor, readCertsDir, Transport} from './transport';
