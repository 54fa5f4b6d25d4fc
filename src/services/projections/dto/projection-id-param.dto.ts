import { IsUUID } from 'class-validator';

export class ProjectionIdParamDto {
  /** The projection's id (the id of the job that computed it). */
  @IsUUID()
  id: string;
}
