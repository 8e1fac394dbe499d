/**
 * Which JetStream stream holds a topic. A publish asks (answers are remembered: a stream for good, none
 * for a second, and every answer is dropped when the server announces a stream created, changed or
 * deleted), so a topic that has a stream is published with JetStream's acknowledgement and one without
 * as a plain NATS message. A queue subscription makes sure there is one: a stream already holding the
 * topic (this broker's or one the operator made) is used as it is; else this broker creates
 * `<streamPrefix>topic_<topic>` with interest retention (a message stays until every queue group on
 * the topic has acknowledged it), `maxMessages` and discard-new (a full stream refuses publishes
 * instead of dropping what it accepted). Dead letters go to one `<streamPrefix>dlq` stream.
 */
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { natsJetStream } from '../../drivers.js';
import { isJetStreamMissing } from './link.js';
import { deadLetterStream, topicStream, type ResolvedNatsOptions } from './options.js';

/** How long "no stream holds this topic" is believed (ms). */
const NONE_FOR = 1_000;
const ADVISORIES = '$JS.EVENT.ADVISORY.STREAM.>';

interface Known {
  stream?: string;
  /** For `none` only: when it is looked up again. */
  until: number;
}

export interface TopicStream {
  name: string;
  /** Whether the stream holds other subjects than the topic (so consumers filter by it). */
  shared: boolean;
}

export class Streams {
  private readonly known = new Map<string, Known>();
  private readonly asking = new Map<string, Promise<string | undefined>>();
  private advisories?: Subscription;

  constructor(
    nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: ResolvedNatsOptions,
  ) {
    this.advisories = nc.subscribe(ADVISORIES, { callback: () => this.forget() });
  }

  close(): void {
    this.advisories?.unsubscribe();
    this.advisories = undefined;
  }

  /** Drops what is known of `topic` (of every topic without one). */
  forget(topic?: string): void {
    if (topic === undefined) this.known.clear();
    else this.known.delete(topic);
  }

  /**
   * The stream holding `topic`, or undefined when none does (or the server has no JetStream).
   * Remembered; a lookup that fails for another reason throws.
   */
  forPublish(topic: string): string | undefined | Promise<string | undefined> {
    const known = this.known.get(topic);
    if (known && (known.stream !== undefined || known.until > Date.now())) return known.stream;
    let asking = this.asking.get(topic);
    if (!asking) {
      asking = this.lookup(topic).finally(() => this.asking.delete(topic));
      this.asking.set(topic, asking);
    }
    return asking;
  }

  /** The stream holding `topic`, created when there is none. */
  async ensure(topic: string): Promise<TopicStream> {
    const own = topicStream(this.options.streamPrefix, topic);
    const found = await this.find(topic, own);
    if (found !== undefined) return this.describe(found, topic);
    await this.create({
      name: own,
      subjects: [topic],
      retention: natsJetStream().RetentionPolicy.Interest,
      discard: natsJetStream().DiscardPolicy.New,
      max_msgs: this.options.maxMessages,
    });
    this.forget(topic);
    // Another process may have created one holding the topic meanwhile: use whichever holds it now.
    return this.describe((await this.find(topic, own)) ?? own, topic);
  }

  /** Makes sure dead letters have a stream to go to (`<deadLetterPrefix>>`, oldest dropped when full). */
  async ensureDeadLetters(): Promise<void> {
    const subject = `${this.options.deadLetterPrefix}>`;
    const name = deadLetterStream(this.options.streamPrefix);
    if ((await this.find(subject, name)) !== undefined) return;
    await this.create({
      name,
      subjects: [subject],
      retention: natsJetStream().RetentionPolicy.Limits,
      discard: natsJetStream().DiscardPolicy.Old,
      max_msgs: this.options.maxMessages,
    });
  }

  private async lookup(topic: string): Promise<string | undefined> {
    let stream: string | undefined;
    try {
      stream = await this.find(topic, topicStream(this.options.streamPrefix, topic));
    } catch (error) {
      if (!isJetStreamMissing(error)) throw error;
    }
    this.known.set(topic, { stream, until: Date.now() + NONE_FOR });
    return stream;
  }

  /** The stream holding `subject` (`preferred` among several), or undefined. */
  private async find(subject: string, preferred: string): Promise<string | undefined> {
    const names = await this.jsm.streams.names(subject).next();
    return names.includes(preferred) ? preferred : names[0];
  }

  private async describe(name: string, topic: string): Promise<TopicStream> {
    if (name === topicStream(this.options.streamPrefix, topic)) return { name, shared: false };
    const info = await this.jsm.streams.info(name);
    const subjects = info.config.subjects ?? [];
    return { name, shared: !(subjects.length === 1 && subjects[0] === topic) };
  }

  /** Adds a stream; one made meanwhile by another process under the same name is fine. */
  private async create(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    const JS = natsJetStream();
    try {
      await this.jsm.streams.add({
        ...config,
        storage: this.options.storage === 'memory' ? JS.StorageType.Memory : JS.StorageType.File,
        num_replicas: 1,
      });
    } catch (error) {
      // "stream name already in use" (another member made it, maybe with other limits) or
      // "subjects overlap" (a stream made meanwhile holds it): the caller looks again.
      if (!(error instanceof JS.JetStreamApiError) || error.status !== 400) throw error;
    }
  }
}
