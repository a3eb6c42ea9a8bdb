import { z } from 'zod';

/**
 * OpenTelemetry tracing (docs/operations.md, "Traces"): off unless an OTLP endpoint is named,
 * by the standard OTEL_* variables, so a collector that already serves other services needs no
 * setting of ours. Only the variables this broker honours are read (OTLP over HTTP, JSON).
 */
export const tracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'must be otlp or none (this broker exports OTLP over HTTP only)' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL (the collector, e.g. http://otel-collector:4318)' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL (the full traces URL, e.g. http://otel-collector:4318/v1/traces)' }).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .optional()
    .refine((value) => value === undefined || value.split(',').every((pair) => pair.trim() === '' || /^[^=\s]+=.*$/.test(pair.trim())), 'must be key=value pairs separated by commas'),
  OTEL_SERVICE_NAME: z.string().min(1).default('esia-broker'),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], { error: 'must be a standard sampler name (always_on, traceidratio, parentbased_traceidratio, …)' })
    .default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1, 'must be a ratio between 0 and 1').optional(),
});

export interface TracingConfig {
  /** Where spans go; undefined: tracing is off. */
  readonly tracesUrl: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly sampler: z.infer<typeof tracingEnvSchema>['OTEL_TRACES_SAMPLER'];
  readonly ratio: number;
}

export function resolveTracingConfig(e: z.infer<typeof tracingEnvSchema>): TracingConfig {
  const off = e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none';
  const tracesUrl = off ? undefined : (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined));
  const headers = Object.fromEntries(
    (e.OTEL_EXPORTER_OTLP_HEADERS ?? '')
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        return [decodeURIComponent(pair.slice(0, at).trim()), decodeURIComponent(pair.slice(at + 1).trim())];
      }),
  );
  return { tracesUrl, headers, serviceName: e.OTEL_SERVICE_NAME, sampler: e.OTEL_TRACES_SAMPLER, ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1 };
}
