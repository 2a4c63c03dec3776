import { ApiProperty } from '@nestjs/swagger';
import { IsName, NAME_SCHEMA } from '../../common/is-name.js';

export class CreateCompanyDto {
  @ApiProperty(NAME_SCHEMA)
  @IsName()
  name!: string;
}
