import { ApiProperty } from '@nestjs/swagger';
import { IsName } from '../../common/is-name.js';

export class CreateCompanyDto {
  @ApiProperty()
  @IsName()
  name!: string;
}
