/**
 * Per-call metadata: string key/value pairs that travel client → server as message headers
 * (go-micro's metadata.Metadata). Keys are case-insensitive; they are kept lower-cased.
 * `Metadata.fromHeader` wraps a received header and copies it into the map only when first read,
 * so calls whose handler never looks at its metadata pay nothing for it.
 */
export type MetadataInit = Record<string, string | number | boolean | undefined>;

export class Metadata {
  private map?: Map<string, string>;
  private header?: Readonly<Record<string, string>>;
  private skip?: ReadonlySet<string>;

  /** The entries of `header` whose keys are not in `skip`, read lazily (`header` must not change). */
  static fromHeader(header: Readonly<Record<string, string>>, skip: ReadonlySet<string>): Metadata {
    const metadata = new Metadata();
    metadata.header = header;
    metadata.skip = skip;
    return metadata;
  }

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

  private get values(): Map<string, string> {
    if (this.map !== undefined) return this.map;
    const map = (this.map = new Map<string, string>());
    const header = this.header;
    if (header !== undefined) {
      for (const key of Object.keys(header))
        if (!this.skip!.has(key)) map.set(key.toLowerCase(), header[key]!);
      this.header = undefined;
    }
    return map;
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
