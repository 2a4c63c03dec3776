import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { isScimPath, SCIM_ERROR_SCHEMA } from '../scim/scim-error.js';

/**
 * Request line plus headers, in bytes. Node's default (16 KiB) is too small for the GET
 * filters SCIM clients build (RFC 7644 §3.4.2); past this, the request is refused below.
 * Kept under the 64 KiB Node reads at once, so the packet that overflows usually still
 * holds the request line and its path.
 */
export const MAX_HEADER_BYTES = 32 * 1024;

type ClientError = NodeJS.ErrnoException & { rawPacket?: Buffer };

/**
 * Requests Node's parser refuses before any route sees them (headers too large, malformed
 * HTTP, a header timeout) get an error body like every other error, instead of Node's
 * bare status line: the SCIM error schema on /scim paths, the API's shape elsewhere.
 */
export function answerClientErrors(server: Server): void {
  // Read by Node for every new connection (the `maxHeaderSize` option of createServer).
  (server as Server & { maxHeaderSize?: number }).maxHeaderSize = MAX_HEADER_BYTES;
  server.on('clientError', (error: ClientError, socket: Duplex) => {
    // As Node does by default: never write into a response already under way.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const path = requestPath(error.rawPacket);
    const { status, detail } = describe(error, path !== undefined);
    const { type, body } = errorBody(path, status, detail);
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: ${type}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        `Connection: close\r\n\r\n${text}`,
    );
  });
}

/** `withRequestLine`: the failing packet starts with the request line. */
function describe(error: ClientError, withRequestLine: boolean) {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The URL counts towards the limit; a request line that alone is too long is a 414.
    const lineEnd = withRequestLine ? (error.rawPacket?.indexOf('\r\n') ?? 0) : 0;
    return lineEnd === -1 || lineEnd >= MAX_HEADER_BYTES
      ? {
          status: 414,
          detail:
            `the request URL is longer than ${MAX_HEADER_BYTES} bytes; ` +
            'send a long SCIM filter with POST …/.search',
        }
      : { status: 431, detail: `the request headers are larger than ${MAX_HEADER_BYTES} bytes` };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, detail: 'the request headers did not arrive in time' };
  }
  return { status: 400, detail: 'the request is not valid HTTP' };
}

/** The path of the request line, when the packet that failed starts with it. */
function requestPath(raw: Buffer | undefined): string | undefined {
  const line = /^[A-Z]+ (\/[^\s?#]*)/.exec(raw?.subarray(0, 1024).toString('latin1') ?? '');
  return line?.[1];
}

/**
 * When the failing packet is not the request's first (a long request over a slow link), the
 * path is unknown: the body then carries the fields of both shapes.
 */
function errorBody(path: string | undefined, status: number, detail: string) {
  const scim = { schemas: [SCIM_ERROR_SCHEMA], status: String(status), detail };
  const api = { statusCode: status, error: STATUS_CODES[status], message: detail };
  if (path === undefined) return { type: 'application/json', body: { ...scim, ...api } };
  return isScimPath(path)
    ? { type: 'application/scim+json', body: scim }
    : { type: 'application/json', body: api };
}
