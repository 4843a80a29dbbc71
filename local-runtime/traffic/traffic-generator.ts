/**
 * Real users, locally: sends real HTTP requests to a URL (the local load balancer) from a fixed number of
 * concurrent clients over keep-alive connections, while a deployment runs, until stopped or until it has
 * sent `limit` requests. It counts what came back; the proxy measures what each version served.
 */
import { Agent, request } from 'node:http';

export interface TrafficGeneratorOptions {
  /** Where to send, e.g. the local load balancer's URL. */
  url: string;
  /** Paths to request, in turn. Default `['/orders']` (not the health check: the users' traffic). */
  paths?: string[];
  /** Concurrent clients, each sending its next request when the last one answered. Default 16. */
  concurrency?: number;
  /** Stop after this many requests. Default: until stop(). */
  limit?: number;
}

export interface TrafficSent {
  requests: number;
  /** Answers by status; 0 when the connection failed. */
  statuses: Record<number, number>;
}

export class TrafficGenerator {
  private readonly agent: Agent;
  private readonly sent: TrafficSent = { requests: 0, statuses: {} };
  private stopping = false;
  private clients: Promise<void>[] = [];

  constructor(private readonly options: TrafficGeneratorOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 16 });
  }

  /** Starts the clients; `done` resolves once `limit` requests were answered (or stop() was called). */
  start(): { done: Promise<TrafficSent> } {
    const concurrency = this.options.concurrency ?? 16;
    this.clients = Array.from({ length: concurrency }, () => this.client());
    return { done: Promise.all(this.clients).then(() => this.snapshot()) };
  }

  async stop(): Promise<TrafficSent> {
    this.stopping = true;
    await Promise.all(this.clients);
    this.agent.destroy();
    return this.snapshot();
  }

  private snapshot(): TrafficSent {
    return { requests: this.sent.requests, statuses: { ...this.sent.statuses } };
  }

  private async client(): Promise<void> {
    const paths = this.options.paths ?? ['/orders'];
    const limit = this.options.limit ?? Number.POSITIVE_INFINITY;
    while (!this.stopping && this.sent.requests < limit) {
      const path = paths[this.sent.requests % paths.length]!;
      this.sent.requests++;
      const status = await this.send(new URL(path, this.options.url));
      this.sent.statuses[status] = (this.sent.statuses[status] ?? 0) + 1;
    }
  }

  private send(url: URL): Promise<number> {
    return new Promise((resolve) => {
      const sending = request(url, { agent: this.agent }, (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
        answer.on('error', () => resolve(0));
      });
      sending.on('error', () => resolve(0));
      sending.end();
    });
  }
}
