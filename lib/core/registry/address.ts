/** "host:port" helpers shared by the registries (IPv6 hosts in brackets, as Go's net.JoinHostPort). */

/** "host:port" / "[v6]:port" / ":port" → host and port (port 0 when absent or invalid). */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(address) ?? /^([^:]*)(?::(\d+))?$/.exec(address);
  if (!m) {
    const i = address.lastIndexOf(':');
    return { host: address.slice(0, i), port: Number(address.slice(i + 1)) || 0 };
  }
  return { host: m[1] ?? '', port: Number(m[2] ?? 0) || 0 };
}

export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
