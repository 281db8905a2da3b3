import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitLabGitMessages } from './authorize-git-request.ts';

/** Environment variables through which one receive-pack request talks to its hooks. */
export const pushHookEnv = {
  allowedRefs: 'DEVFORGE_ALLOWED_REFS_FILE',
  pushedRefs: 'DEVFORGE_PUSHED_REFS_FILE',
} as const;

/*
 * The decisions are made in Node before receive-pack starts (the forge knows every ref the client
 * asked to update); the hook only compares. A ref missing from the allow-list, or a missing list,
 * is refused, so a hook run outside a forge request refuses everything.
 */
const preReceive = `#!/bin/sh
refused=
while read -r old new ref; do
  if [ -z "$${pushHookEnv.allowedRefs}" ] || ! grep -qxF -e "$ref" "$${pushHookEnv.allowedRefs}"; then
    refused=1
  fi
done
if [ -n "$refused" ]; then
  echo "${gitLabGitMessages.protectedBranch}" >&2
  exit 1
fi
exit 0
`;

const postReceive = `#!/bin/sh
if [ -n "$${pushHookEnv.pushedRefs}" ]; then
  cat > "$${pushHookEnv.pushedRefs}"
else
  cat > /dev/null
fi
`;

export interface PushHooks {
  /** Git configuration, as GIT_CONFIG_* environment, that points receive-pack at the hooks. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/**
 * Writes the hooks once into a private directory. Each request selects them with core.hooksPath
 * in its own environment, so every repository gets them (whoever created it) and a repository
 * never runs them outside a forge request.
 */
export async function installPushHooks(): Promise<PushHooks> {
  const dir = await mkdtemp(join(tmpdir(), 'devforge-hooks-'));
  await writeFile(join(dir, 'pre-receive'), preReceive, { mode: 0o755 });
  await writeFile(join(dir, 'post-receive'), postReceive, { mode: 0o755 });
  return {
    env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.hooksPath', GIT_CONFIG_VALUE_0: dir },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
