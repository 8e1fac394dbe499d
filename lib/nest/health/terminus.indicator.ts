/**
 * A @nestjs/terminus health indicator over MicroHealth, imported from `nest-micro/terminus` so
 * terminus stays optional: `health.check([() => micro.isHealthy('micro')])`.
 */
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MicroHealth } from './micro.health.js';

@Injectable()
export class MicroHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly health: MicroHealth,
  ) {}

  async isHealthy<const Key extends string>(key: Key) {
    const indicator = this.indicators.check(key);
    const report = await this.health.check();
    const data = { ready: report.ready, registry: report.registry, broker: report.broker };
    return report.healthy ? indicator.up(data) : indicator.down(data);
  }
}
