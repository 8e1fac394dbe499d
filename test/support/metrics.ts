/** Reading what the real OpenTelemetry metrics SDK recorded: a pull reader and data-point lookups. */
import { MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';

/** A reader the test collects from when it wants (no export, no timer). */
export class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** The data points of metric `name`, by what they were recorded with. */
  async points<T = number | Histogram>(name: string): Promise<DataPoint<T>[]> {
    const { resourceMetrics } = await this.collect();
    const points: DataPoint<T>[] = [];
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics)
        if (metric.descriptor.name === name) points.push(...(metric.dataPoints as DataPoint<T>[]));
    return points;
  }

  /** The point of `name` whose attributes include `attributes`, if any. */
  async point<T = number | Histogram>(
    name: string,
    attributes: Record<string, unknown>,
  ): Promise<DataPoint<T> | undefined> {
    return (await this.points<T>(name)).find((p) =>
      Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
    );
  }
}
