/**
 * The OpenAPI 3.1 document of the fleet, generated from the registry at request time: one POST (and
 * GET) operation per endpoint of every service at `/api/{service}/{Svc.Method}`, request and
 * response schemas from the endpoints' field trees (core/registry/json-schema.ts, shared with the
 * MCP server), description, example and scopes from endpoint metadata (go-micro's keys), stream
 * endpoints answered as `text/event-stream`, every failure as go-micro's error JSON.
 */
import {
  endpointExample,
  requestSchema,
  responseSchema,
  type JsonSchema,
} from '../core/registry/json-schema.js';
import type { Endpoint, Registry, Service } from '../core/registry/registry.js';
import { endpointScopes } from './auth.js';
import type { GatewayOptions } from './options.js';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: "go-micro's error: the code is the HTTP status",
  properties: {
    id: { type: 'string' },
    code: { type: 'integer' },
    detail: { type: 'string' },
    status: { type: 'string' },
  },
  required: ['id', 'code', 'detail', 'status'],
};

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };

function operation(service: Service, endpoint: Endpoint): Record<string, unknown> {
  const stream = endpoint.metadata?.stream === 'true';
  const description =
    endpoint.metadata?.description ||
    `Calls ${endpoint.name} on the ${service.name} service${stream ? ' (a stream, as Server-Sent Events)' : ''}.`;
  const request = requestSchema(endpoint);
  const example = endpointExample(endpoint);
  const scopes = endpointScopes(endpoint);
  const op: Record<string, unknown> = {
    operationId: `${service.name}.${endpoint.name}`,
    summary: `${service.name} ${endpoint.name}`,
    description,
    tags: [service.name],
    requestBody: {
      required: false,
      content: {
        'application/json': example === undefined ? { schema: request } : { schema: request, example },
      },
    },
    responses: {
      '200': stream
        ? {
            description:
              'the replies, one `data:` event each (JSON), then an `end` event; a failure is an `error` event',
            content: {
              'text/event-stream': { schema: { type: 'string' }, 'x-reply-schema': responseSchema(endpoint) },
            },
          }
        : { description: 'the reply', content: { 'application/json': { schema: responseSchema(endpoint) } } },
      '400': ERROR_RESPONSE,
      '404': ERROR_RESPONSE,
      '408': ERROR_RESPONSE,
      '503': ERROR_RESPONSE,
      default: ERROR_RESPONSE,
    },
    'x-micro-service': service.name,
    'x-micro-endpoint': endpoint.name,
  };
  if (scopes.length > 0) {
    op.security = [{ bearer: scopes }];
    (op.responses as Record<string, unknown>)['401'] = ERROR_RESPONSE;
    (op.responses as Record<string, unknown>)['403'] = ERROR_RESPONSE;
  }
  return op;
}

const scalar = (schema: JsonSchema | undefined): boolean =>
  schema?.type === 'string' ||
  schema?.type === 'integer' ||
  schema?.type === 'number' ||
  schema?.type === 'boolean';

/** A GET's query parameters: the request's top-level scalar fields (and lists of them, repeated). */
function queryParameters(request: JsonSchema): Array<Record<string, unknown>> {
  return Object.entries(request.properties ?? {})
    .filter(([, schema]) => scalar(schema) || (schema.type === 'array' && scalar(schema.items)))
    .map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
}

/** The document for every service the registry lists now (endpoints merged across versions). */
export async function openapiDocument(
  registry: Registry,
  info: GatewayOptions['openapi'] = {},
  basePath = '',
): Promise<Record<string, unknown>> {
  const names = [...new Set((await registry.listServices()).map((s) => s.name))].toSorted();
  const paths: Record<string, unknown> = {};
  for (const name of names) {
    const versions = await registry.getService(name);
    const seen = new Set<string>();
    for (const service of versions)
      for (const endpoint of service.endpoints.toSorted((a, b) => a.name.localeCompare(b.name))) {
        if (endpoint.metadata?.subscriber === 'true' || seen.has(endpoint.name)) continue;
        seen.add(endpoint.name);
        const op = operation(service, endpoint);
        const { requestBody: _body, ...get } = op;
        paths[`/api/${name}/${endpoint.name}`] = {
          post: op,
          get: {
            ...get,
            operationId: `${op.operationId as string}.get`,
            description: `${op.description as string} Request fields as query parameters.`,
            parameters: queryParameters(requestSchema(endpoint)),
          },
        };
      }
  }
  paths['/publish/{topic}'] = {
    post: {
      operationId: 'publish',
      summary: 'publish a message to a topic through the broker',
      parameters: [{ name: 'topic', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: {} } } },
      responses: {
        '200': {
          description: 'the broker accepted the message',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { status: { type: 'string' }, topic: { type: 'string' } },
              },
            },
          },
        },
        default: ERROR_RESPONSE,
      },
    },
  };
  const doc: Record<string, unknown> = {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'nest-micro API gateway',
      version: info.version ?? '1.0.0',
      ...(info.description ? { description: info.description } : {}),
    },
    paths,
    components: {
      schemas: { MicroError: ERROR_SCHEMA },
      responses: {
        Error: {
          description: "a failure: go-micro's error JSON, its code as the HTTP status",
          content: { 'application/json': { schema: { $ref: '#/components/schemas/MicroError' } } },
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
  if (basePath) doc.servers = [{ url: basePath }];
  return doc;
}
