/**
 * The HTTP broker's retry inbox: deliveries that failed, kept per topic up to a bound and retried
 * in the background. A target is one broadcast node (by node id) or a whole queue group.
 */
export type Target = { kind: 'node'; nodeId: string } | { kind: 'queue'; queue: string };

export interface PendingDelivery {
  topic: string;
  /** The encoded envelope, ready to POST. */
  payload: Buffer;
  target: Target;
  /** Times a live subscriber answered with an error (a handler that threw). */
  rejections: number;
}

/** What one retry achieved: delivered, try again later, or give up (with why). */
export type RetryOutcome = 'delivered' | 'retry' | 'gone' | 'rejected';

export class RetryInbox {
  private readonly byTopic = new Map<string, PendingDelivery[]>();

  constructor(private readonly perTopic: number) {}

  /** False when the topic's inbox is full (the delivery is not kept). */
  add(entry: PendingDelivery): boolean {
    const list = this.byTopic.get(entry.topic) ?? [];
    if (list.length >= this.perTopic) return false;
    list.push(entry);
    this.byTopic.set(entry.topic, list);
    return true;
  }

  get size(): number {
    let n = 0;
    for (const list of this.byTopic.values()) n += list.length;
    return n;
  }

  /** Retries every entry (`concurrency` at a time); keeps those whose outcome is `retry`. */
  async drain(
    retry: (entry: PendingDelivery) => Promise<RetryOutcome>,
    onGiveUp: (entry: PendingDelivery, outcome: RetryOutcome) => void,
    concurrency = 8,
  ): Promise<void> {
    const entries = [...this.byTopic.values()].flat();
    for (let i = 0; i < entries.length; i += concurrency) {
      await Promise.all(
        entries.slice(i, i + concurrency).map(async (entry) => {
          const outcome = await retry(entry).catch((): RetryOutcome => 'retry');
          if (outcome === 'retry') return;
          this.remove(entry);
          if (outcome !== 'delivered') onGiveUp(entry, outcome);
        }),
      );
    }
  }

  /** Empties the inbox, returning what it held. */
  clear(): PendingDelivery[] {
    const all = [...this.byTopic.values()].flat();
    this.byTopic.clear();
    return all;
  }

  private remove(entry: PendingDelivery): void {
    const list = this.byTopic.get(entry.topic);
    const index = list?.indexOf(entry) ?? -1;
    if (!list || index === -1) return;
    list.splice(index, 1);
    if (list.length === 0) this.byTopic.delete(entry.topic);
  }
}
