import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST a receiver got: its raw body and headers, and when. */
export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How to answer a request: a status and headers, after an optional delay. */
export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * A webhook receiver: an HTTP server that keeps every request (unless `keep` is false) and
 * answers each as `answer` says (200 by default). `inFlight`/`mostInFlight` count requests
 * being answered at once.
 */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** Requests answered so far. */
  count = 0;
  answer: (request: ReceivedDelivery) => ReceiverAnswer = () => ({ status: 200 });
  inFlight = 0;
  mostInFlight = 0;
  private server?: Server;

  constructor(private readonly keep = true) {}

  /** Starts on a free port of 127.0.0.1; returns its origin. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const delivery = {
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.count++;
        if (this.keep) this.received.push(delivery);
        this.inFlight++;
        this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
        const { status, headers, delayMs } = this.answer(delivery);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(status, headers).end();
        }, delayMs ?? 0);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
