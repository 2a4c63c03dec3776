import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsName, NAME_SCHEMA } from '../../common/is-name.js';
import { API_KEY_ROLES, type ApiKeyRole } from '../api-key.entity.js';

export class CreateApiKeyDto {
  @ApiProperty(NAME_SCHEMA)
  @IsName()
  name!: string;

  @ApiProperty({ enum: API_KEY_ROLES })
  @IsIn(API_KEY_ROLES, { message: 'role must be one of admin, viewer' })
  role!: ApiKeyRole;
}
