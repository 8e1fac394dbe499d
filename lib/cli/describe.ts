/**
 * `nest-micro describe <service>`: every version of a service with its metadata, nodes (address,
 * metadata) and endpoints with their request/response Value trees, as a readable tree or (`--json`)
 * the registry's own Service array. An unknown service is a NotFound (404) with the registry's hint.
 */
import type { Command } from 'commander';
import { MicroError } from '../core/errors/micro-error.js';
import type { Endpoint, Service, Value } from '../core/registry/registry.js';
import type { CliContext, Run } from './context.js';
import { out, printJson, printLine } from './output.js';
import { renderTree, type TreeNode } from './tree.js';

export const CLI_ERROR_ID = 'nest-micro.cli';

/** The versions of `name`, or a 404 that says where we looked and why it may be empty. */
export async function lookupService(ctx: CliContext, name: string): Promise<Service[]> {
  const services = await ctx.registry.getService(name);
  if (services.length > 0) return services;
  const hint = ctx.registry.notFoundHint?.(name);
  throw MicroError.notFound(
    CLI_ERROR_ID,
    `service ${name}: not found in the ${ctx.registry.name} registry${hint ? ` (${hint})` : ''}`,
  );
}

const pairs = (metadata: Record<string, string>): TreeNode[] =>
  Object.keys(metadata)
    .toSorted()
    .map((k) => ({ label: `${out('dim', `${k}:`)} ${metadata[k]}` }));

function valueTree(role: string, value: Value | undefined): TreeNode {
  if (!value) return { label: `${role} ${out('dim', '-')}` };
  const field = (v: Value): TreeNode => ({
    label: `${v.name} ${out('cyan', v.type)}`,
    children: v.values?.map(field),
  });
  return { label: `${role} ${out('cyan', value.type || value.name)}`, children: value.values?.map(field) };
}

function endpointTree(e: Endpoint): TreeNode {
  const children = [valueTree('request', e.request), valueTree('response', e.response)];
  if (Object.keys(e.metadata ?? {}).length) children.push({ label: 'metadata', children: pairs(e.metadata) });
  return { label: out('bold', e.name), children };
}

export function serviceTree(s: Service): TreeNode {
  const children: TreeNode[] = [];
  if (Object.keys(s.metadata ?? {}).length) children.push({ label: 'metadata', children: pairs(s.metadata) });
  children.push({
    label: `nodes (${s.nodes.length})`,
    children: s.nodes.map((n) => ({
      label: `${n.id}  ${out('green', n.address)}`,
      children: pairs(n.metadata ?? {}),
    })),
  });
  const endpoints = [...(s.endpoints ?? [])].toSorted((a, b) => a.name.localeCompare(b.name));
  children.push({ label: `endpoints (${endpoints.length})`, children: endpoints.map(endpointTree) });
  return { label: `${out('bold', s.name)} ${out('dim', 'version')} ${s.version || '-'}`, children };
}

export function registerDescribe(program: Command, run: Run): void {
  program
    .command('describe')
    .description('show a service: versions, nodes, addresses, metadata and endpoints')
    .argument('<service>', 'service name, e.g. greeter')
    .option('--json', "print the registry's Service array as JSON")
    .action((name: string, opts: { json?: boolean }) =>
      run(async (ctx) => {
        const services = await lookupService(ctx, name);
        if (opts.json) printJson(services);
        else for (const s of services) for (const line of renderTree(serviceTree(s))) printLine(line);
        return 0;
      }),
    );
}
