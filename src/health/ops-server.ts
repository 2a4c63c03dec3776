import type { INestApplicationContext } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import { MetricsService } from '../metrics/metrics.service.js';
import { ReadinessService } from './readiness.service.js';

/**
 * A worker process (ROLE=worker) has no API; with OPS_PORT set it serves just the probes
 * and the metrics scrape, with the same answers as the API's routes.
 */
export async function startOpsServer(app: INestApplicationContext, port: number): Promise<Server> {
  const readiness = app.get(ReadinessService);
  const metrics = app.get(MetricsService);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const answer = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { status: 'error' });
      if (path === '/health/live') return json(200, { status: 'ok' });
      if (path === '/health/ready') {
        const { ready, body } = await readiness.check();
        return json(ready ? 200 : 503, body);
      }
      if (path === '/metrics') {
        const { contentType, body } = await metrics.render();
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        return void res.end(body);
      }
      json(404, { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` });
    };
    answer().catch((error: unknown) => json(500, { status: 'error', message: String(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}
