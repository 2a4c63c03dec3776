import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerClientErrors, MAX_HEADER_BYTES } from './client-errors.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => res.end(`ok ${req.url?.length}`));
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

/** Sends raw bytes (in pieces of `chunk` bytes, a pause between them) and reads the answer. */
async function send(request: string, chunk = request.length): Promise<Answer> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (data) => (received += data.toString('utf8')));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.on('error', () => undefined); // the server closes while we may still be writing
  for (let i = 0; i < request.length && !socket.destroyed; i += chunk) {
    socket.write(request.slice(i, i + chunk));
    if (chunk < request.length) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await closed;
  const [head, body] = received.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    type: /content-type: ([^;\r\n]+)/i.exec(head)?.[1] ?? '',
    body: JSON.parse(body) as Record<string, unknown>,
  };
}

const get = (path: string, headers = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

describe('requests refused by the HTTP parser', () => {
  it('lets request lines up to MAX_HEADER_BYTES through (16 KiB filters included)', async () => {
    const path = `/scim/v2/x/Users?filter=${'a'.repeat(MAX_HEADER_BYTES - 200)}`;
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`ok ${path.length}`);
  });

  it('answers a SCIM URL that is too long with 414 in the SCIM error schema', async () => {
    const res = await send(get(`/scim/v2/x/Users?filter=${'a'.repeat(40_000)}`));
    expect(res).toMatchObject({ status: 414, type: 'application/scim+json' });
    expect(res.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '414',
      detail: expect.stringContaining('.search') as unknown,
    });
  });

  it('answers headers that are too large with 431 in the API error shape elsewhere', async () => {
    const res = await send(get('/api/employees', `X-Big: ${'b'.repeat(40_000)}\r\n`));
    expect(res).toMatchObject({ status: 431, type: 'application/json' });
    expect(res.body).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      message: expect.any(String) as unknown,
    });
  });

  it('gives both shapes when the request line is not in the packet that failed', async () => {
    const res = await send(get(`/scim/v2/x/Users?filter=${'a'.repeat(40_000)}`), 1400);
    expect(res.status).toBe(431);
    expect(res.body).toMatchObject({ status: '431', statusCode: 431 });
  });

  it('answers malformed HTTP with 400 and a body', async () => {
    const res = await send('NOT HTTP AT ALL\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, message: 'the request is not valid HTTP' });
  });
});
