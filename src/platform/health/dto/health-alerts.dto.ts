import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALERT_LEVELS, AUTOMATION_ACTIONS } from '../alerts/health-alert';

export class AlertActionDto {
  @ApiProperty({ enum: AUTOMATION_ACTIONS }) action: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional() detail?: string;
}

export class HealthAlertDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['rule', 'trend'] }) source: string;
  @ApiPropertyOptional() rule?: string;
  @ApiProperty() service: string;
  @ApiProperty({ enum: ALERT_LEVELS }) level: string;
  @ApiProperty() message: string;
  @ApiProperty({ format: 'date-time', description: 'First firing of this alert' }) firedAt: string;
  @ApiProperty({ format: 'date-time', description: 'Latest firing (re-firings after a cooldown)' })
  lastFiredAt: string;
  @ApiPropertyOptional({ format: 'date-time' }) clearedAt?: string;
  @ApiProperty() firings: number;
  @ApiProperty() escalated: boolean;
  @ApiProperty({ type: [AlertActionDto] }) actions: AlertActionDto[];
}

export class HealthAlertsDto {
  @ApiProperty({ type: [HealthAlertDto] }) active: HealthAlertDto[];
  @ApiProperty({ type: [HealthAlertDto], description: 'Newest first, cleared or not (bounded)' })
  recent: HealthAlertDto[];
}
