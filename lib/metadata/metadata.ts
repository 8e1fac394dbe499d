/**
 * Per-call metadata: string key/value pairs that travel client → server as message headers
 * (go-micro's metadata.Metadata). Keys are case-insensitive; they are kept lower-cased.
 */
export type MetadataInit = Record<string, string | number | boolean | undefined>;

export class Metadata {
  private readonly values = new Map<string, string>();

  constructor(init?: MetadataInit | Metadata) {
    if (init instanceof Metadata) {
      for (const [k, v] of init.values) this.values.set(k, v);
    } else if (init) {
      for (const key of Object.keys(init)) {
        const value = init[key];
        if (value !== undefined) this.values.set(key.toLowerCase(), String(value));
      }
    }
  }

  get(key: string): string | undefined {
    return this.values.get(key.toLowerCase());
  }

  set(key: string, value: string): this {
    this.values.set(key.toLowerCase(), value);
    return this;
  }

  has(key: string): boolean {
    return this.values.has(key.toLowerCase());
  }

  delete(key: string): boolean {
    return this.values.delete(key.toLowerCase());
  }

  /** A new Metadata with `other`'s entries laid over this one's. */
  merge(other?: MetadataInit | Metadata): Metadata {
    const merged = new Metadata(this);
    if (other)
      for (const [k, v] of Object.entries(other instanceof Metadata ? other.toJSON() : other)) {
        if (v !== undefined) merged.set(k, String(v));
      }
    return merged;
  }

  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  get size(): number {
    return this.values.size;
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}
