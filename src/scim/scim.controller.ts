import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { Public } from '../auth/decorators.js';
import { SCIM_AUTH } from '../openapi/openapi.js';
import { ApiScim, SCIM_RESOURCE_TYPE_IDS, SCIM_SCHEMA_IDS, ScimDocs } from '../openapi/scim.js';
import type { Projection } from './scim-attributes.js';
import { ScimAuthGuard, type ScimConnection, type ScimRequest } from './scim-auth.guard.js';
import { SCIM_CONTENT_TYPE, ScimErrorFilter, scimNotFound } from './scim-error.js';
import { ScimGroupsService } from './scim-groups.service.js';
import {
  type ListQuery,
  parseListQuery,
  parseProjection,
  parseSearchRequest,
} from './scim-paging.js';
import {
  resourceTypeDocuments,
  schemaDocuments,
  serviceProviderConfig,
  listResponse,
} from './scim-schemas.js';
import { searchAll } from './scim-search.js';
import { ScimUsersService, type WriteOptions } from './scim-users.service.js';

/** Every SCIM answer is `application/scim+json`. */
@Injectable()
class ScimContentType implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getResponse<Response>().type(SCIM_CONTENT_TYPE);
    return next.handle();
  }
}

/**
 * The authenticated connection, the base URL of its SCIM service (for `meta.location`), and
 * the attributes the answer is to carry: read first, so a bad one is refused before a write.
 */
function scope(req: ScimRequest): { conn: ScimConnection; base: string; view: Projection } {
  const conn = req.scim as ScimConnection;
  const base = `${req.protocol}://${req.get('host')}/scim/v2/${conn.id}`;
  return { conn, base, view: parseProjection(req.query) };
}

type Resource = Record<string, unknown> & { meta: { version: string } };

/** One resource answered: its version as the ETag, the attributes the request asked for. */
function present<T extends Resource>(res: Response, view: Projection, resource: T): T {
  res.setHeader('ETag', resource.meta.version);
  return view.apply(resource);
}

/** A ListResponse of the page, each resource with the attributes the query asked for. */
function page(query: ListQuery, found: { total: number; resources: Resource[] }) {
  const resources = found.resources.map((r) => query.projection.apply(r));
  return listResponse(resources, found.total, query.startIndex);
}

/** `If-Match` of a write: 412 when the resource has another version (RFC 7644 §3.14). */
const conditions = (req: ScimRequest): WriteOptions => ({ ifMatch: req.get('if-match') });

/**
 * SCIM 2.0 (RFC 7643/7644) for one push connection. Not behind the API-key guard: the
 * connection's own bearer token authenticates (ScimAuthGuard), and errors use SCIM's schema.
 */
@ApiTags('scim')
@ApiBearerAuth(SCIM_AUTH)
@ApiScim()
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimErrorFilter)
@UseInterceptors(ScimContentType)
@Controller('scim/v2/:connectionId')
export class ScimController {
  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
  ) {}

  @Post('Users')
  @ScimDocs.create('User')
  @HttpCode(201)
  async createUser(
    @Req() req: ScimRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    const user = await this.users.create(conn, body, base);
    res.setHeader('Location', user.meta.location);
    return present(res, view, user);
  }

  @Get('Users')
  @ScimDocs.list('User')
  async listUsers(@Req() req: ScimRequest) {
    const { conn, base } = scope(req);
    const query = parseListQuery(req.query);
    return page(query, await this.users.list(conn, query, base));
  }

  @Post('Users/.search')
  @ScimDocs.search('User')
  @HttpCode(200)
  async searchUsers(@Req() req: ScimRequest, @Body() body: unknown) {
    const { conn, base } = scope(req);
    const query = parseSearchRequest(body);
    return page(query, await this.users.list(conn, query, base));
  }

  @Get('Users/:id')
  @ScimDocs.get('User')
  async getUser(
    @Req() req: ScimRequest,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    return present(res, view, await this.users.get(conn, id, base));
  }

  @Put('Users/:id')
  @ScimDocs.replace('User')
  async replaceUser(
    @Req() req: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    return present(res, view, await this.users.replace(conn, id, body, base, conditions(req)));
  }

  @Patch('Users/:id')
  @ScimDocs.patch('User')
  async patchUser(
    @Req() req: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    return present(res, view, await this.users.patch(conn, id, body, base, conditions(req)));
  }

  @Delete('Users/:id')
  @ScimDocs.remove('User')
  @HttpCode(204)
  async deleteUser(@Req() req: ScimRequest, @Param('id') id: string): Promise<void> {
    await this.users.remove(scope(req).conn, id, conditions(req));
  }

  @Post('Groups')
  @ScimDocs.create('Group')
  @HttpCode(201)
  async createGroup(
    @Req() req: ScimRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    const group = await this.groups.create(conn, body, base);
    res.setHeader('Location', group.meta.location);
    return present(res, view, group);
  }

  @Get('Groups')
  @ScimDocs.list('Group')
  async listGroups(@Req() req: ScimRequest) {
    const { conn, base } = scope(req);
    const query = parseListQuery(req.query);
    return page(query, await this.groups.list(conn, query, base));
  }

  @Post('Groups/.search')
  @ScimDocs.search('Group')
  @HttpCode(200)
  async searchGroups(@Req() req: ScimRequest, @Body() body: unknown) {
    const { conn, base } = scope(req);
    const query = parseSearchRequest(body);
    return page(query, await this.groups.list(conn, query, base));
  }

  @Get('Groups/:id')
  @ScimDocs.get('Group')
  async getGroup(
    @Req() req: ScimRequest,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    return present(res, view, await this.groups.get(conn, id, base, view.returns('members')));
  }

  @Put('Groups/:id')
  @ScimDocs.replace('Group')
  async replaceGroup(
    @Req() req: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { conn, base, view } = scope(req);
    return present(res, view, await this.groups.replace(conn, id, body, base, conditions(req)));
  }

  /** 204: member lists can be long; RFC 7644 §3.5.2 allows answering without the resource. */
  @Patch('Groups/:id')
  @ScimDocs.patch('Group')
  @HttpCode(204)
  async patchGroup(
    @Req() req: ScimRequest,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    res.setHeader('ETag', await this.groups.patch(scope(req).conn, id, body, conditions(req)));
  }

  @Delete('Groups/:id')
  @ScimDocs.remove('Group')
  @HttpCode(204)
  async deleteGroup(@Req() req: ScimRequest, @Param('id') id: string): Promise<void> {
    await this.groups.remove(scope(req).conn, id, conditions(req));
  }

  /** Users, then Groups (RFC 7644 §3.4.3). */
  @Post('.search')
  @ScimDocs.search()
  @HttpCode(200)
  async search(@Req() req: ScimRequest, @Body() body: unknown) {
    const { conn, base } = scope(req);
    const query = parseSearchRequest(body);
    return page(query, await searchAll(this.users, this.groups, conn, query, base));
  }

  @Get('ServiceProviderConfig')
  @ScimDocs.discovery('What this SCIM service supports', 'ScimServiceProviderConfig')
  serviceProviderConfig(@Req() req: ScimRequest) {
    return serviceProviderConfig(scope(req).base);
  }

  @Get('ResourceTypes')
  @ScimDocs.discovery('The resource types (User, Group)', 'ScimResourceTypeList')
  resourceTypes(@Req() req: ScimRequest) {
    const types = resourceTypeDocuments(scope(req).base);
    return listResponse(types, types.length, 1);
  }

  @Get('ResourceTypes/:id')
  @ScimDocs.discovery('One resource type', 'ScimResourceType', SCIM_RESOURCE_TYPE_IDS)
  resourceType(@Req() req: ScimRequest, @Param('id') id: string) {
    const found = resourceTypeDocuments(scope(req).base).find((t) => t.id === id);
    if (!found) throw scimNotFound(`resource type ${id}`);
    return found;
  }

  @Get('Schemas')
  @ScimDocs.discovery('The schemas of the resources', 'ScimSchemaList')
  schemas(@Req() req: ScimRequest) {
    const schemas = schemaDocuments(scope(req).base);
    return listResponse(schemas, schemas.length, 1);
  }

  @Get('Schemas/:id')
  @ScimDocs.discovery('One schema, by URN', 'ScimSchema', SCIM_SCHEMA_IDS)
  schema(@Req() req: ScimRequest, @Param('id') id: string) {
    const found = schemaDocuments(scope(req).base).find((s) => s.id === id);
    if (!found) throw scimNotFound(`schema ${id}`);
    return found;
  }
}
