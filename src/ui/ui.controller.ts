import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/decorators.js';
import { ApiErrors } from '../openapi/schemas.js';
import { UI_FILES, type UiAsset } from './ui-assets.js';

export const UI_ASSETS = Symbol('UI_ASSETS');

/**
 * Only this origin's own files: no inline script or style, no CDN, no framing. The API the
 * dashboard calls is on the same origin (connect-src 'self').
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** 200 answers of these media types, as text (errors stay JSON: not `@ApiProduces`). */
const asText = (...types: string[]) =>
  Object.fromEntries(types.map((type) => [type, { schema: { type: 'string' } }]));

/**
 * The dashboard's static files. Public on purpose: they hold no data; every number the
 * dashboard shows comes from the API, with the API key the person signs in with.
 */
@ApiTags('dashboard')
@Public()
@Controller('ui')
export class UiController {
  constructor(@Inject(UI_ASSETS) private readonly assets: Map<string, UiAsset>) {}

  @Get()
  @ApiOperation({ summary: 'The dashboard (sign in with an API key)' })
  @ApiOkResponse({ description: 'The dashboard page', content: asText('text/html') })
  @ApiErrors(503)
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get(':file')
  @ApiOperation({ summary: "One of the dashboard's script, style or icon files" })
  @ApiParam({ name: 'file', enum: UI_FILES })
  @ApiOkResponse({
    description: 'The file',
    content: asText('text/javascript', 'text/css', 'image/svg+xml', 'text/html'),
  })
  @ApiErrors(404, 503)
  file(@Param('file') file: string, @Res() res: Response): void {
    this.send(res, file);
  }

  private send(res: Response, name: string): void {
    if (this.assets.size === 0) {
      throw new ServiceUnavailableException(
        'the dashboard is not built: run `npm run build` (npm start does)',
      );
    }
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no such dashboard file: ${name}`);
    // no-cache: revalidated on every load (cheap, with the ETag Express adds), so a new
    // build is seen at once without hashed file names.
    res
      .status(200)
      .set({
        'Content-Type': asset.contentType,
        'Content-Security-Policy': UI_CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cache-Control': 'no-cache',
      })
      .send(asset.body);
  }
}
