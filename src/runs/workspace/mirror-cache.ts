import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError, type ErrorCode } from '../../errors/app-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { GitRunner, isGitFailure } from './git-runner.ts';

export interface MirrorSource {
  connectionId: string;
  projectId: number;
  /** The project's `http_url_to_repo`, without credentials. */
  httpUrl: string;
  /** A token that may read the repository; sent as a header only. */
  token: string;
}

export interface FreshMirror {
  path: string;
  /** True when this call created the mirror (a full clone); false when it only fetched. */
  created: boolean;
}

export interface MirrorCacheOptions {
  /** Baton's data directory; mirrors live in `<dataDir>/mirrors/<connection>/<project>.git`. */
  dataDir: string;
  logger?: Logger;
  /** Upper bound for one clone or fetch. */
  timeoutMs?: number;
}

interface FreshenRequest {
  source: MirrorSource;
  resolve: (held: { created: boolean; release: () => void }) => void;
  reject: (error: unknown) => void;
}

/**
 * One mirror's traffic inside this process. A fetch (or the first clone) runs alone, since it
 * may repack while a reader has a pack open; reads (workspace clones) run side by side while no
 * fetch does. Fetch requests that arrive while a fetch or reads are in progress wait and are
 * then served together by one fetch (those with the same token: another service account's
 * token may not read the same refs), which hands each of them a read as it ends. So ten
 * mentions at once cost two fetches, not ten, and their clones overlap.
 */
class MirrorGate {
  readonly #update: (source: MirrorSource) => Promise<boolean>;
  readonly #onIdle: () => void;
  readonly #queue: FreshenRequest[] = [];
  #reads = 0;
  #fetching = false;

  constructor(update: (source: MirrorSource) => Promise<boolean>, onIdle: () => void) {
    this.#update = update;
    this.#onIdle = onIdle;
  }

  /** Freshens the mirror (alone, or with requests waiting beside this one), then holds a read. */
  acquire(source: MirrorSource): Promise<{ created: boolean; release: () => void }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ source, resolve, reject });
      this.#pump();
    });
  }

  get idle(): boolean {
    return !this.#fetching && this.#reads === 0 && this.#queue.length === 0;
  }

  #pump(): void {
    if (this.#fetching || this.#reads > 0) return;
    const first = this.#queue[0];
    if (first === undefined) {
      this.#onIdle();
      return;
    }
    const batch = this.#queue.filter((request) => request.source.token === first.source.token);
    for (const request of batch) this.#queue.splice(this.#queue.indexOf(request), 1);
    this.#fetching = true;
    this.#update(first.source).then(
      (created) => {
        this.#fetching = false;
        this.#reads += batch.length;
        // Only the request whose fetch created the mirror reports creating it.
        for (const [index, request] of batch.entries()) {
          request.resolve({ created: created && index === 0, release: this.#releaser() });
        }
      },
      (error: unknown) => {
        this.#fetching = false;
        for (const request of batch) request.reject(error);
        this.#pump();
      },
    );
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reads -= 1;
      this.#pump();
    };
  }
}

const safeSegment = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * One bare mirror per project, fetched before each run so workspaces never clone from the
 * forge. A fetch of one mirror never overlaps a workspace clone from it (a fetch may repack
 * while a clone reads), concurrent requests share fetches, and clones run side by side
 * (`MirrorGate`); different projects proceed in parallel.
 */
export class MirrorCache {
  readonly git: GitRunner;
  readonly #root: string;
  readonly #home: string;
  readonly #logger: Logger | undefined;
  readonly #timeoutMs: number;
  readonly #gates = new Map<string, MirrorGate>();

  constructor(options: MirrorCacheOptions) {
    this.#root = join(options.dataDir, 'mirrors');
    this.#home = join(options.dataDir, 'git-home');
    this.git = new GitRunner({ home: this.#home });
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 30 * 60_000;
  }

  mirrorPath(connectionId: string, projectId: number): string {
    // The connection id becomes a directory name: refuse anything that could climb out.
    if (!safeSegment.test(connectionId) || connectionId.includes('..')) {
      throw new AppError('BAD_REQUEST', 'Connection id is not usable as a directory name');
    }
    if (!Number.isSafeInteger(projectId) || projectId <= 0) {
      throw new AppError('BAD_REQUEST', 'Project id must be a positive integer');
    }
    return join(this.#root, connectionId, `${projectId}.git`);
  }

  /** Creates the mirror on first use, otherwise fetches every branch and tag into it. */
  async ensureFresh(source: MirrorSource): Promise<FreshMirror> {
    return this.withMirror(source, (mirror) => Promise.resolve(mirror));
  }

  /**
   * Freshens the mirror, then runs `use` while no fetch of the same mirror can start (other
   * `use`s may run beside it). The gate is per process: several Baton processes sharing a data
   * directory would need a file lock here as well.
   */
  async withMirror<T>(source: MirrorSource, use: (mirror: FreshMirror) => Promise<T>): Promise<T> {
    const path = this.mirrorPath(source.connectionId, source.projectId);
    let gate = this.#gates.get(path);
    if (gate === undefined) {
      const created = new MirrorGate(
        (from) => this.#update(path, from),
        () => {
          if (this.#gates.get(path) === created && created.idle) this.#gates.delete(path);
        },
      );
      gate = created;
      this.#gates.set(path, gate);
    }
    const { created, release } = await gate.acquire(source);
    try {
      return await use({ path, created });
    } finally {
      release();
    }
  }

  /** Creates the mirror, or fetches into it; true when it was created. */
  async #update(path: string, source: MirrorSource): Promise<boolean> {
    await mkdir(this.#home, { recursive: true });
    if (await exists(join(path, 'HEAD'))) {
      await this.#fetch(path, source);
      return false;
    }
    await this.#create(path, source);
    return true;
  }

  async #create(path: string, source: MirrorSource): Promise<void> {
    const started = Date.now();
    await mkdir(join(path, '..'), { recursive: true });
    // Built beside its final place and renamed in, so a failed first clone leaves nothing
    // that a later run would mistake for a mirror.
    const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await this.git.run(['init', '--quiet', '--bare', '--template=', temporary]);
      const config: [string, string][] = [
        ['remote.origin.url', source.httpUrl],
        ['remote.origin.fetch', '+refs/heads/*:refs/heads/*'],
        ['gc.autoDetach', 'false'],
      ];
      for (const [key, value] of config) {
        await this.git.run([`--git-dir=${temporary}`, 'config', key, value]);
      }
      await this.git.run([
        `--git-dir=${temporary}`,
        'config',
        '--add',
        'remote.origin.fetch',
        '+refs/tags/*:refs/tags/*',
      ]);
      await this.#fetch(temporary, source);
      await this.#setHead(temporary, source);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw error;
    }
    this.#logger?.info(
      { projectId: source.projectId, ms: Date.now() - started },
      'repository mirror created',
    );
  }

  async #fetch(path: string, source: MirrorSource): Promise<void> {
    try {
      await this.#fetchOnce(path, source);
    } catch (error) {
      throw fetchError(error);
    }
  }

  async #fetchOnce(path: string, source: MirrorSource): Promise<void> {
    await this.git.run(
      [`--git-dir=${path}`, 'fetch', '--quiet', '--prune', '--no-write-fetch-head', 'origin'],
      {
        auth: { url: source.httpUrl, token: source.token },
        timeoutMs: this.#timeoutMs,
      },
    );
  }

  /** Points the mirror's HEAD at the forge's default branch, so clones check out something real. */
  async #setHead(path: string, source: MirrorSource): Promise<void> {
    const result = await this.git.run(['ls-remote', '--symref', source.httpUrl, 'HEAD'], {
      auth: { url: source.httpUrl, token: source.token },
      timeoutMs: this.#timeoutMs,
    });
    const head = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(result.stdout)?.[1];
    if (head) await this.git.run([`--git-dir=${path}`, 'symbolic-ref', 'HEAD', head]);
  }
}

/**
 * A failed fetch as a typed forge error whose message says what to do. Git has no
 * machine-readable reason, so this reads its (`LC_ALL=C`) wording and GitLab's.
 */
export function fetchError(error: unknown): unknown {
  if (!isGitFailure(error)) return error;
  const stderr = error.details.stderr;
  const fail = (code: ErrorCode, message: string) =>
    new AppError(code, message, { cause: error, details: { stderr: stderr.slice(-500) } });
  if (
    /Authentication failed|HTTP Basic: Access denied|returned error: 401|could not read (Username|Password)/i.test(
      stderr,
    )
  ) {
    return fail(
      'FORGE_UNAUTHORIZED',
      "GitLab did not accept the service account's token for git (expired or revoked?). An administrator can set a new token for the account in Baton.",
    );
  }
  if (/could not be found|not allowed to download|returned error: 40[34]/i.test(stderr)) {
    return fail(
      'FORGE_FORBIDDEN',
      'The service account cannot read this repository: give it at least the Reporter role and a token with read_repository.',
    );
  }
  if (
    /Could not resolve host|Connection refused|timed out|Failed to connect|returned error: 5\d\d/i.test(
      stderr,
    )
  ) {
    return fail(
      'FORGE_UNAVAILABLE',
      'GitLab could not be reached to fetch the repository. Ask again in a few minutes.',
    );
  }
  return fail('FORGE_REJECTED', 'GitLab refused to let Baton fetch the repository.');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
