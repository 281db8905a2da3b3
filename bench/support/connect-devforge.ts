import type { Services } from '../../src/app/create-services.ts';

export interface DevforgeConnection {
  forgeUrl: string;
  webhookSecret: string;
  serviceAccount: { username: string; token: string };
}

/**
 * Registers the development forge as connection `devforge` and the agent account (learning its
 * id and name from the forge), as an administrator would; returns the account's id.
 */
export async function connectDevforge(
  services: Services,
  input: DevforgeConnection,
): Promise<number> {
  await services.connections.upsertConnection({
    id: 'devforge',
    baseUrl: input.forgeUrl,
    webhookSecret: input.webhookSecret,
  });
  const response = await fetch(`${input.forgeUrl}/api/v4/user`, {
    headers: { 'PRIVATE-TOKEN': input.serviceAccount.token },
  });
  if (!response.ok) throw new Error(`GET /user as the service account: ${response.status}`);
  const user = (await response.json()) as { id: number; name: string };
  const accountId = await services.connections.upsertServiceAccount({
    connectionId: 'devforge',
    username: input.serviceAccount.username,
    forgeUserId: user.id,
    name: user.name,
    email: null,
    token: input.serviceAccount.token,
  });
  await services.registry.reload();
  return accountId;
}
