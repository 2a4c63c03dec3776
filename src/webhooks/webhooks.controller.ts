import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import { ApiErrors, ApiUuidParam } from '../openapi/schemas.js';
import { CreateWebhookDto, ListDeliveriesQuery, UpdateWebhookDto } from './dto/webhook.dto.js';
import {
  CreatedWebhookSchema,
  WebhookDeliveryPageSchema,
  WebhookDeliverySchema,
  WebhookListSchema,
  WebhookSchema,
  WebhookSecretSchema,
  WebhookTestSchema,
} from './webhook.schemas.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('webhooks')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(401)
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({ summary: 'Register an endpoint (admin); its signing secret is shown once' })
  @ApiCreatedResponse({ type: CreatedWebhookSchema })
  @ApiErrors(400, 403)
  create(@CurrentCompany() companyId: string, @Body() body: CreateWebhookDto) {
    return this.webhooks.create(companyId, body);
  }

  @Get()
  @ApiOperation({ summary: "The company's endpoints (never their secrets)" })
  @ApiOkResponse({ type: WebhookListSchema })
  async list(@CurrentCompany() companyId: string) {
    return { items: await this.webhooks.list(companyId) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (never its secret)' })
  @ApiOkResponse({ type: WebhookSchema })
  @ApiUuidParam()
  @ApiErrors(400, 404)
  get(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.webhooks.get(companyId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint (admin); enabled: false cancels what waits' })
  @ApiBody({ type: UpdateWebhookDto, required: false })
  @ApiOkResponse({ type: WebhookSchema })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404)
  update(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Body() body: UpdateWebhookDto,
  ) {
    return this.webhooks.update(companyId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint and its deliveries (admin)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404)
  async remove(@CurrentCompany() companyId: string, @UuidParam() id: string): Promise<void> {
    await this.webhooks.remove(companyId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new signing secret (admin), shown once; the previous one signs too for 24 h',
  })
  @ApiOkResponse({ type: WebhookSecretSchema })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404)
  rotateSecret(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.webhooks.rotateSecret(companyId, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint (admin)' })
  @ApiAcceptedResponse({ type: WebhookTestSchema })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404, 409)
  sendTest(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.webhooks.sendTest(companyId, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's deliveries and their last attempt, newest first" })
  @ApiOkResponse({ type: WebhookDeliveryPageSchema })
  @ApiUuidParam()
  @ApiErrors(400, 404)
  deliveries(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Query() query: ListDeliveriesQuery,
  ) {
    return this.webhooks.listDeliveries(companyId, id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a finished delivery again, once (admin)' })
  @ApiAcceptedResponse({ type: WebhookDeliverySchema })
  @ApiUuidParam()
  @ApiUuidParam('deliveryId')
  @ApiErrors(400, 403, 404, 409)
  retry(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @UuidParam('deliveryId') deliveryId: string,
  ) {
    return this.webhooks.retryDelivery(companyId, id, deliveryId);
  }
}
