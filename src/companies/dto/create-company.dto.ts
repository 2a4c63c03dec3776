import { IsName } from '../../common/is-name.js';

export class CreateCompanyDto {
  @IsName()
  name!: string;
}
