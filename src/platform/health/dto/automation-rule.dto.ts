import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ALERT_LEVELS, type AlertLevel, AUTOMATION_ACTIONS, type AutomationAction } from '../alerts/health-alert';
import {
  RULE_METRICS,
  RULE_OPS,
  type AutomationRule,
  type RuleMetric,
  type RuleOp,
} from '../automation/automation-rule';

const DAY_MS = 86_400_000;

export class RuleConditionDto {
  @ApiProperty({ enum: RULE_METRICS }) @IsIn(RULE_METRICS) metric: RuleMetric;
  @ApiProperty({ enum: RULE_OPS }) @IsIn(RULE_OPS) op: RuleOp;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
    description: 'A status (status), ms (latencyP95), 0..1 (failureRate) or true (predicted)',
  })
  @IsDefined()
  value: string | number | boolean;
}

export class RuleEscalationDto {
  @ApiProperty({ example: 2, description: 'Escalate from the (afterFirings + 1)-th firing of an episode' })
  @IsInt()
  @Min(1)
  afterFirings: number;
  @ApiProperty({ enum: ALERT_LEVELS }) @IsIn(ALERT_LEVELS) level: AlertLevel;
  @ApiProperty({ enum: AUTOMATION_ACTIONS }) @IsIn(AUTOMATION_ACTIONS) action: AutomationAction;
}

/** A rule as the API takes it (the name comes from the path). */
export class AutomationRuleBodyDto {
  @ApiProperty({ example: '*', description: "A service name, or '*' for each service" })
  @IsString()
  @MaxLength(100)
  service: string;
  @ApiProperty({ type: RuleConditionDto }) @ValidateNested() @Type(() => RuleConditionDto) when: RuleConditionDto;
  @ApiProperty({ example: 30000 }) @IsInt() @Min(0) @Max(DAY_MS) forMs: number;
  @ApiProperty({ enum: ALERT_LEVELS }) @IsIn(ALERT_LEVELS) level: AlertLevel;
  @ApiProperty({ enum: AUTOMATION_ACTIONS }) @IsIn(AUTOMATION_ACTIONS) action: AutomationAction;
  @ApiProperty({ example: 300000 }) @IsInt() @Min(0) @Max(DAY_MS) cooldownMs: number;
  @ApiPropertyOptional({ type: RuleEscalationDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RuleEscalationDto)
  escalate?: RuleEscalationDto;
}

/** A rule with its name (config and answers). */
export class AutomationRuleDto extends AutomationRuleBodyDto implements AutomationRule {
  @ApiProperty({ example: 'restart-when-down' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'name must be kebab-case' })
  name: string;
}

export class AutomationRuleListDto {
  @ApiProperty({ type: [AutomationRuleDto] }) rules: AutomationRuleDto[];
}

export class RuleNameParamDto {
  @ApiProperty({ example: 'restart-when-down' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'name must be kebab-case' })
  name: string;
}
