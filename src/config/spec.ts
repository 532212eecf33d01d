// Generated from action.yml by `npm run docs`: do not edit.

export interface InputSpec {name: string; default: string; kind: 'boolean' | 'string'; description: string}
export interface OutputSpec {name: string; description: string}

export const INPUTS: readonly InputSpec[] = [
  {
    "name": "images",
    "default": "",
    "kind": "string",
    "description": "Images to publish, one per line (docker/metadata-action syntax, e.g. `ghcr.io/owner/app` or `name=user/app,enable=true`)."
  },
  {
    "name": "tags",
    "default": "type=schedule\ntype=ref,event=branch\ntype=ref,event=pr\ntype=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}\ntype=sha\n",
    "kind": "string",
    "description": "Tag rules, one per line, in docker/metadata-action syntax. Empty (written as `tags: ''`) means metadata-action's own defaults (schedule, branch, tag, pr). The default gives 1.2.3, 1.2, 1 and latest on a v1.2.3 tag, the branch on a push, pr-N on a pull request, and sha-<7 hex> on each."
  },
  {
    "name": "flavor",
    "default": "",
    "kind": "string",
    "description": "Defaults for all tags (docker/metadata-action syntax), e.g. `latest=auto`, `prefix=`, `suffix=`."
  },
  {
    "name": "labels",
    "default": "",
    "kind": "string",
    "description": "Extra labels, one `key=value` per line; they override the default OCI labels."
  },
  {
    "name": "annotations",
    "default": "",
    "kind": "string",
    "description": "Extra annotations, one `key=value` per line."
  },
  {
    "name": "sep-tags",
    "default": "",
    "kind": "string",
    "description": "Separator of the `tags` output."
  },
  {
    "name": "sep-labels",
    "default": "",
    "kind": "string",
    "description": "Separator of the `labels` output."
  },
  {
    "name": "sep-annotations",
    "default": "",
    "kind": "string",
    "description": "Separator of the `annotations` output."
  },
  {
    "name": "github-token",
    "default": "",
    "kind": "string",
    "description": "Token for the GitHub API (repository description, license, default branch, commit date)."
  },
  {
    "name": "registry",
    "default": "",
    "kind": "string",
    "description": "Registry that `username` and `password` are for. Default: the registry of the images (Docker Hub when they name none)."
  },
  {
    "name": "username",
    "default": "",
    "kind": "string",
    "description": "Username for the registry."
  },
  {
    "name": "password",
    "default": "",
    "kind": "string",
    "description": "Password or token for the registry (from a secret). Passed to docker on stdin, masked, never logged."
  },
  {
    "name": "registry-auth",
    "default": "",
    "kind": "string",
    "description": "Credentials for several registries, as a YAML list (from secrets), e.g. - registry: ghcr.io username: ${{ github.actor }} password: ${{ secrets.GITHUB_TOKEN }} - registry: docker.io username: ${{ vars.DOCKERHUB_USER }} password: ${{ secrets.DOCKERHUB_TOKEN }} Each entry may carry a `ca-cert`. An entry with no username pushes to that registry anonymously."
  },
  {
    "name": "ca-cert",
    "default": "",
    "kind": "string",
    "description": "PEM of the CA of `registry`, for a private registry with its own CA. Trusted by the daemon (certs.d, that host only) and by this step."
  },
  {
    "name": "insecure-registries",
    "default": "",
    "kind": "string",
    "description": "Registries (host:port) that speak plain HTTP. Loopback registries need no entry; no other host is ever spoken to in plain HTTP unless named here."
  },
  {
    "name": "logout",
    "default": "true",
    "kind": "boolean",
    "description": "Log out and remove the step's Docker config afterwards, and remove the daemon CA files the step installed for `ca-cert` registries (`/etc/docker/certs.d/<host:port>/publish-image-<hash>.crt`). `false` keeps both for later steps (DOCKER_CONFIG is exported): the daemon then trusts that CA for that registry system-wide until the runner is discarded, so prefer it on ephemeral runners only."
  },
  {
    "name": "context",
    "default": ".",
    "kind": "string",
    "description": "Build context (a path)."
  },
  {
    "name": "file",
    "default": "",
    "kind": "string",
    "description": "Path to the Dockerfile. Default `{context}/Dockerfile`."
  },
  {
    "name": "platforms",
    "default": "",
    "kind": "string",
    "description": "Target platforms, comma- or newline-separated, e.g. `linux/amd64,linux/arm64`. Default the runner's own."
  },
  {
    "name": "build-args",
    "default": "",
    "kind": "string",
    "description": "Build arguments, one `NAME=value` per line."
  },
  {
    "name": "build-contexts",
    "default": "",
    "kind": "string",
    "description": "Additional build contexts, one `name=path-or-url` per line."
  },
  {
    "name": "secrets",
    "default": "",
    "kind": "string",
    "description": "Build secrets, one `id=value` per line. Values are written to files only this step can read and masked; never argv."
  },
  {
    "name": "secret-envs",
    "default": "",
    "kind": "string",
    "description": "Build secrets from environment variables, one `id=ENV_NAME` per line."
  },
  {
    "name": "secret-files",
    "default": "",
    "kind": "string",
    "description": "Build secrets from files, one `id=path` per line."
  },
  {
    "name": "ssh",
    "default": "",
    "kind": "string",
    "description": "SSH agent sockets or keys to expose to the build, one per line (e.g. `default`)."
  },
  {
    "name": "target",
    "default": "",
    "kind": "string",
    "description": "Target stage to build."
  },
  {
    "name": "cache-from",
    "default": "",
    "kind": "string",
    "description": "External cache sources, one per line (e.g. `type=gha`)."
  },
  {
    "name": "cache-to",
    "default": "",
    "kind": "string",
    "description": "Cache export destinations, one per line (e.g. `type=gha,mode=max`). A failing cache export warns and does not fail the build."
  },
  {
    "name": "no-cache",
    "default": "false",
    "kind": "boolean",
    "description": "Do not use the cache."
  },
  {
    "name": "no-cache-filters",
    "default": "",
    "kind": "string",
    "description": "Stages not to cache, comma- or newline-separated."
  },
  {
    "name": "pull",
    "default": "false",
    "kind": "boolean",
    "description": "Always pull the referenced images."
  },
  {
    "name": "provenance",
    "default": "",
    "kind": "string",
    "description": "Provenance attestation (`false`, `true`, `mode=max`, ...). Default buildx's own."
  },
  {
    "name": "sbom",
    "default": "",
    "kind": "string",
    "description": "SBOM attestation (`true`, or generator options)."
  },
  {
    "name": "attests",
    "default": "",
    "kind": "string",
    "description": "Attestations, one per line (`type=sbom,generator=...`)."
  },
  {
    "name": "outputs",
    "default": "",
    "kind": "string",
    "description": "Build outputs, one per line (`type=local,dest=out`). Not with push, which publish-image does itself."
  },
  {
    "name": "network",
    "default": "",
    "kind": "string",
    "description": "Network mode for RUN steps (`default`, `host`, `none`)."
  },
  {
    "name": "add-hosts",
    "default": "",
    "kind": "string",
    "description": "Extra host-to-IP mappings for RUN steps (`host:ip`), comma- or newline-separated."
  },
  {
    "name": "shm-size",
    "default": "",
    "kind": "string",
    "description": "Size of /dev/shm for RUN steps (e.g. `256m`)."
  },
  {
    "name": "ulimit",
    "default": "",
    "kind": "string",
    "description": "Ulimits for RUN steps, one per line (`nofile=1024:1024`)."
  },
  {
    "name": "builder",
    "default": "",
    "kind": "string",
    "description": "buildx builder instance, or docker context, to use. Default the current one (setup-buildx-action's, or the job's current docker context)."
  },
  {
    "name": "load",
    "default": "false",
    "kind": "boolean",
    "description": "Also load the image into the local image store."
  },
  {
    "name": "push",
    "default": "false",
    "kind": "boolean",
    "description": "Push the image. Tags are moved only after every platform has been pushed by digest and checked."
  },
  {
    "name": "retries",
    "default": "3",
    "kind": "string",
    "description": "Retries of a registry request that failed transiently (5xx, 429, reset, timeout), with jittered exponential backoff, and of a manifest PUT refused with MANIFEST_BLOB_UNKNOWN while the repository holds every blob it names (a parallel matrix leg completing an upload of the same blob). 401, 403, 404 are never retried."
  },
  {
    "name": "if-exists",
    "default": "overwrite",
    "kind": "string",
    "description": "When the release tag (the `version`) already exists: `overwrite` (default), `skip` (build and push nothing, report its digest), or `fail` (stop before building)."
  },
  {
    "name": "sign",
    "default": "auto",
    "kind": "string",
    "description": "Signing: `auto` (default: key when cosign-key is given, keyless when the job may mint an OIDC token and the repository is public, else none), `key`, `keyless`, or `false`. Always by digest, once per repository, verified before any tag moves."
  },
  {
    "name": "sign-platforms",
    "default": "false",
    "kind": "boolean",
    "description": "Also sign each platform manifest, not only the index."
  },
  {
    "name": "sign-annotations",
    "default": "",
    "kind": "string",
    "description": "Annotations added to each signature (and checked when verifying), one `key=value` per line."
  },
  {
    "name": "cosign-version",
    "default": "",
    "kind": "string",
    "description": "cosign to sign with: empty (default) uses cosign on PATH when it is 2.4.2 or later, else downloads the pinned 2.5.0; a version (3.0.6) or range (^2.5) uses cosign on PATH when it satisfies it, else downloads that release (for a range: the newest the step lists that satisfies it). A download, and every cached copy before it runs, must match the SHA-256 embedded in the step for that release (or `cosign-sha256`); it is kept in the tool cache and the Actions cache. cosign 2 and 3 are both supported (flags chosen by version)."
  },
  {
    "name": "cosign-sha256",
    "default": "",
    "kind": "string",
    "description": "SHA-256 of `cosign-linux-<arch>` for a `cosign-version` the step does not list (copy it from the release's cosign_checksums.txt). Not needed, and refused if different, for a listed release."
  },
  {
    "name": "cosign-release-url",
    "default": "",
    "kind": "string",
    "description": "Where cosign releases are downloaded from (a mirror, or GitHub Enterprise). Default https://github.com/sigstore/cosign/releases/download."
  },
  {
    "name": "fulcio-url",
    "default": "",
    "kind": "string",
    "description": "Fulcio of a private Sigstore instance (keyless)."
  },
  {
    "name": "rekor-url",
    "default": "",
    "kind": "string",
    "description": "Rekor of a private Sigstore instance."
  },
  {
    "name": "cosign-key",
    "default": "",
    "kind": "string",
    "description": "cosign private key (PEM) from a secret, or a KMS URI (awskms://, gcpkms://, hashivault://). Reaches cosign through an environment variable, never argv."
  },
  {
    "name": "cosign-password",
    "default": "",
    "kind": "string",
    "description": "Password of `cosign-key`."
  },
  {
    "name": "tlog-upload",
    "default": "true",
    "kind": "boolean",
    "description": "Upload the signature to the Rekor transparency log. Set `false` for private setups without Rekor."
  },
  {
    "name": "mode",
    "default": "publish",
    "kind": "string",
    "description": "`publish` (default: build, push, sign and tag in this job); `build` (a matrix leg: one platform, pushed by digest and staged, no tags); `merge` (after the legs: one index, signed and tagged, staging removed); `plan` (the `matrix` output for the legs); `promote` (copy `source` by digest, then sign and tag, no build); `prune` (retention: remove old tags of `images` by `prune-match`/`prune-keep`/`prune-older-than`, no build)."
  },
  {
    "name": "source",
    "default": "",
    "kind": "string",
    "description": "mode promote: the image to publish, as registry/repository@sha256:<digest>."
  },
  {
    "name": "runners",
    "default": "",
    "kind": "string",
    "description": "mode plan: runner labels per platform, one `platform=label` per line (defaults: linux/amd64=ubuntu-24.04, linux/arm64=ubuntu-24.04-arm)."
  },
  {
    "name": "gate",
    "default": "",
    "kind": "string",
    "description": "A shell command (`sh -c`) run once per repository after the push and the signatures and before any tag moves; a non-zero exit fails the step and no tag moves anywhere. It sees PUBLISH_IMAGE_REF (repository@digest), PUBLISH_IMAGE_DIGEST, PUBLISH_IMAGE_REPOSITORY, PUBLISH_IMAGE_TAGS (comma-joined tag names) and DOCKER_CONFIG (logged in to the registries)."
  },
  {
    "name": "scan",
    "default": "",
    "kind": "string",
    "description": "`trivy`: a gate running `trivy image --exit-code 1 --severity <scan-severity> --ignore-unfixed` on the pushed digest, with the step's credentials and CA (install trivy first, e.g. with aquasecurity/setup-trivy). Runs before `gate` when both are set."
  },
  {
    "name": "scan-severity",
    "default": "CRITICAL,HIGH",
    "kind": "string",
    "description": "scan: the severities that fail the scan, comma-separated (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)."
  },
  {
    "name": "prune-match",
    "default": "",
    "kind": "string",
    "description": "mode prune (required): a regular expression over tag names; only matching tags may be removed (e.g. `^sha-` or `^pr-\\d+$`). cosign's `sha256-<hex>.sig\\|.att\\|.sbom` tags go with the digest they belong to."
  },
  {
    "name": "prune-keep",
    "default": "10",
    "kind": "string",
    "description": "mode prune: how many of the matching tags to keep, newest first (by the image config's `created`, then by the registry's order). A tag whose digest another staying tag also points at is never removed."
  },
  {
    "name": "prune-older-than",
    "default": "",
    "kind": "string",
    "description": "mode prune: only matching tags older than this may go, e.g. `30d`, `12h`, `2w` (default: no age limit)."
  },
  {
    "name": "allow-untrusted-events",
    "default": "false",
    "kind": "boolean",
    "description": "Push and sign on `pull_request_target` and on pull requests from forks. Off by default: those runs build code from outside the repository with (pull_request_target) the base repository's secrets and identity; turn it on only for a workflow that never builds the pull request's code, or that you have reviewed."
  },
  {
    "name": "dry-run",
    "default": "false",
    "kind": "boolean",
    "description": "Compute and validate everything, print the plan and set the metadata outputs; build, push and sign nothing (mode prune: list what would be removed, delete nothing)."
  }
];

export const OUTPUTS: readonly OutputSpec[] = [
  {
    "name": "version",
    "description": "Version of the image (metadata-action's `version`)."
  },
  {
    "name": "tags",
    "description": "Full image references, separated by `sep-tags`."
  },
  {
    "name": "tag-names",
    "description": "Tag names without image, separated by `sep-tags`."
  },
  {
    "name": "labels",
    "description": "Labels, separated by `sep-labels`."
  },
  {
    "name": "annotations",
    "description": "Annotations with their level prefix, separated by `sep-annotations`."
  },
  {
    "name": "json",
    "description": "Tags, tag names, labels and annotations as JSON (metadata-action's `json`)."
  },
  {
    "name": "digest",
    "description": "Digest of the pushed image index (or manifest, for one platform). Empty when nothing was pushed; a notice says why."
  },
  {
    "name": "imageid",
    "description": "Image ID (buildx iidfile)."
  },
  {
    "name": "metadata",
    "description": "buildx's build metadata (JSON)."
  },
  {
    "name": "platform-digests",
    "description": "JSON object: platform -> manifest digest."
  },
  {
    "name": "refs",
    "description": "Every pushed `image:tag` and `image@digest`, one per line."
  },
  {
    "name": "signatures",
    "description": "JSON object: signed reference -> signature reference."
  },
  {
    "name": "matrix",
    "description": "mode plan: a job matrix, {\"include\": [{\"platform\", \"runner\", \"slug\"}, ...]}."
  },
  {
    "name": "cosign-verify-commands",
    "description": "Commands that verify each signature (with the public key in cosign.pub), one per line."
  },
  {
    "name": "pruned",
    "description": "mode prune: JSON array of the removed tags, as image:tag (with dry-run: those that would be removed)."
  }
];
