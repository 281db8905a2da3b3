import type { Config } from '../config/config-schema.ts';
import type { ConnectionRegistry } from '../forges/connection-registry.ts';
import type { ConnectionStore } from '../forges/connection-store.ts';
import type { CatalogStore } from '../flows/catalog-store.ts';
import type { Logger } from '../logging/logger.ts';
import type { FeatureFlags } from '../triggers/feature-flags.ts';
import type { TriggerStore } from '../triggers/trigger-store.ts';
import type { VariableStore } from '../secrets/variable-store.ts';
import type { VerifyAccount } from './verify-gitlab-account.ts';

export interface AdminApiDeps {
  config: Config;
  logger: Logger;
  connections: ConnectionStore;
  registry: ConnectionRegistry;
  triggers: TriggerStore;
  flags: FeatureFlags;
  catalog: CatalogStore;
  /** Flow variables; their routes are mounted when given. */
  variables?: VariableStore;
  /**
   * The URL GitLab reaches Baton at, once known (e.g. the listening address). Defaults to
   * `server.publicUrl`, then to the origin the admin request reached.
   */
  publicUrl?: () => string;
  /** Defaults to asking the forge (GET /user, GET /personal_access_tokens/self). */
  verifyAccount?: VerifyAccount;
}
