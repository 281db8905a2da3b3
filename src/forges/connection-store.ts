import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';
import { AppError } from '../errors/app-error.ts';
import type { SecretBox } from '../secrets/secret-box.ts';

export interface ServiceAccount {
  id: number;
  connectionId: string;
  username: string;
  forgeUserId: number;
  name: string;
  email: string | null;
  /** Decrypted; never logged, never returned by the API. */
  token: string;
}

export interface ForgeConnection {
  id: string;
  kind: 'gitlab';
  baseUrl: string;
  /** Decrypted; never logged, never returned by the API. */
  webhookSecret: string;
  serviceAccounts: ServiceAccount[];
}

const tokenContext = (connectionId: string, username: string) =>
  `service_accounts.token:${connectionId}:${username}`;
const secretContext = (connectionId: string) => `forge_connections.webhook_secret:${connectionId}`;

/** Reads and writes forge connections and service accounts; secrets are sealed at rest. */
export class ConnectionStore {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #box: SecretBox;

  constructor(db: Kysely<DatabaseSchema>, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  async all(): Promise<ForgeConnection[]> {
    const connections = await this.#db
      .selectFrom('forge_connections')
      .selectAll()
      .orderBy('id')
      .execute();
    const accounts = await this.#db
      .selectFrom('service_accounts')
      .selectAll()
      .orderBy('id')
      .execute();
    return connections.map((c) => ({
      id: c.id,
      kind: c.kind,
      baseUrl: c.base_url,
      webhookSecret: this.#box.open(c.webhook_secret, secretContext(c.id)),
      serviceAccounts: accounts
        .filter((a) => a.connection_id === c.id)
        .map((a) => ({
          id: a.id,
          connectionId: a.connection_id,
          username: a.username,
          forgeUserId: a.forge_user_id,
          name: a.name,
          email: a.email,
          token: this.#box.open(a.token, tokenContext(a.connection_id, a.username)),
        })),
    }));
  }

  async upsertConnection(input: {
    id: string;
    baseUrl: string;
    webhookSecret: string;
  }): Promise<void> {
    const sealed = this.#box.seal(input.webhookSecret, secretContext(input.id));
    await this.#db
      .insertInto('forge_connections')
      .values({ id: input.id, kind: 'gitlab', base_url: input.baseUrl, webhook_secret: sealed })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ base_url: input.baseUrl, webhook_secret: sealed, updated_at: new Date() }),
      )
      .execute();
  }

  async removeConnection(id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('forge_connections')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async upsertServiceAccount(input: Omit<ServiceAccount, 'id'>): Promise<number> {
    const sealed = this.#box.seal(input.token, tokenContext(input.connectionId, input.username));
    const row = await this.#db
      .insertInto('service_accounts')
      .values({
        connection_id: input.connectionId,
        username: input.username,
        forge_user_id: input.forgeUserId,
        name: input.name,
        email: input.email,
        token: sealed,
      })
      .onConflict((oc) =>
        oc.columns(['connection_id', 'username']).doUpdateSet({
          forge_user_id: input.forgeUserId,
          name: input.name,
          email: input.email,
          token: sealed,
        }),
      )
      .returning('id')
      .executeTakeFirst();
    if (!row) throw new AppError('INTERNAL', 'Storing the service account returned no row');
    return row.id;
  }

  async removeServiceAccount(connectionId: string, username: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('service_accounts')
      .where('connection_id', '=', connectionId)
      .where('username', '=', username)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
