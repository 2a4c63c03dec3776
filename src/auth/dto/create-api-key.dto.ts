import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsName } from '../../common/is-name.js';
import { API_KEY_ROLES, type ApiKeyRole } from '../api-key.entity.js';

export class CreateApiKeyDto {
  @ApiProperty()
  @IsName()
  name!: string;

  @ApiProperty({ enum: API_KEY_ROLES })
  @IsIn(API_KEY_ROLES, { message: 'role must be one of admin, viewer' })
  role!: ApiKeyRole;
}
