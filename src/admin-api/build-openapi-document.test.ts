import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/database.ts';
import { createAdminTestApp } from './admin-test-app.ts';
import { openApiPath } from './build-openapi-document.ts';

interface Document {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>
  >;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: unknown[];
}

describeEachDatabase('admin API: OpenAPI document', (getDatabase) => {
  it('documents every admin route Fastify registered, with bearer auth', async () => {
    const { call, routes } = await createAdminTestApp(getDatabase());
    const response = await call('GET', '/api/admin/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json<Document>();
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.adminToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.security).toEqual([{ adminToken: [] }]);

    const registered = routes
      .filter((r) => r.url.startsWith('/api/admin/') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${openApiPath(r.url)}`)
      .sort();
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    expect(registered.length).toBeGreaterThan(20);
    expect(documented).toEqual(registered);
  });

  it('describes bodies and responses from the zod schemas', async () => {
    const { call } = await createAdminTestApp(getDatabase());
    const document = (await call('GET', '/api/admin/openapi.json')).json<Document>();
    const create = document.paths['/api/admin/triggers']?.post;
    expect(create?.requestBody).toMatchObject({
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: expect.arrayContaining(['description', 'eventTypes', 'scope']) as unknown,
          },
        },
      },
    });
    expect(Object.keys(create?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403']);
    const put = document.paths['/api/admin/connections/{id}']?.put;
    expect(JSON.stringify(put?.responses['201'])).toContain('webhookUrl');
    expect(JSON.stringify(put?.responses['201'])).not.toContain('webhookSecret');
  });
});
