/** Counters the agent keeps, rendered as Prometheus text for the opt-in metrics endpoint. */
import type { PersistentCounters } from './counters.js';
import type { DestinationHealth } from './destination-health.js';

type Labels = Readonly<Record<string, string>>;

const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30_000, 300_000];

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  add(labels: Labels, amount = 1): void {
    // Called for every record: a cheap key here, the exposition text only when rendered.
    const key = Object.values(labels).join('\u0000');
    const current = this.values.get(key);
    if (current) current.value += amount;
    else this.values.set(key, { labels, value: amount });
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

export interface MetricsGauges {
  readonly spoolBytes: number;
  readonly spoolRecords: number;
  readonly backlog: Readonly<Record<string, number>>;
  readonly destinations: Readonly<Record<string, DestinationHealth>>;
  /** Records the intake handed on since the agent started. */
  readonly intakeAccepted: number;
}

function totalLines(name: string, help: string, label: string, totals: Readonly<Record<string, number>>): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
  for (const [value, count] of Object.entries(totals)) lines.push(`${name}${labelText({ [label]: value })} ${count}`);
  return lines;
}

const seconds = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);

export class AgentMetrics {
  readonly accepted = new Counter('telem_records_accepted_total', 'Records stored in the spool, by route.');
  readonly settled = new Counter('telem_records_settled_total', 'Record outcomes per destination: delivered, dropped, expired, rejected.');
  readonly #counters: PersistentCounters;
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  constructor(counters: PersistentCounters) {
    this.#counters = counters;
  }

  /** Counts one drop by reason (kept across restarts); it also feeds `telem status`. */
  drop(reason: string): void {
    this.#counters.addDrop(reason);
  }

  /** Counts one connection the intake refused, by reason (kept across restarts). */
  refusal(reason: string): void {
    this.#counters.addRefusal(reason);
  }

  observeLatency(destination: string, ms: number): void {
    let histogram = this.#latency.get(destination);
    if (!histogram) {
      histogram = { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(destination, histogram);
    }
    histogram.sum += ms;
    histogram.count += 1;
    // Cumulative buckets, as Prometheus histograms are: every bound at or above the value counts it.
    for (let index = 0; index < LATENCY_BUCKETS_MS.length; index += 1) {
      if (ms <= (LATENCY_BUCKETS_MS[index] as number)) histogram.buckets[index] = (histogram.buckets[index] as number) + 1;
    }
  }

  /** The drop ledger: drops by reason, since the counters were first kept on this machine. */
  dropLedger(): Record<string, number> {
    return { ...this.#counters.totals().drops };
  }

  /** Intake refusals by reason, likewise. */
  refusals(): Record<string, number> {
    return { ...this.#counters.totals().refusals };
  }

  render(gauges: MetricsGauges): string {
    const totals = this.#counters.totals();
    const lines = [
      ...this.accepted.render(),
      ...this.settled.render(),
      ...totalLines('telem_drops_total', 'Records not delivered, by reason (the drop ledger; kept across restarts).', 'reason', totals.drops),
      ...totalLines('telem_intake_refused_total', 'Connections the intake refused, by reason (kept across restarts).', 'reason', totals.refusals),
      '# HELP telem_intake_accepted_total Records the intake read and handed on since the agent started.',
      '# TYPE telem_intake_accepted_total counter',
      `telem_intake_accepted_total ${gauges.intakeAccepted}`,
    ];
    lines.push('# HELP telem_spool_bytes Bytes of records waiting in the spool.', '# TYPE telem_spool_bytes gauge', `telem_spool_bytes ${gauges.spoolBytes}`);
    lines.push('# HELP telem_spool_records Records waiting in the spool.', '# TYPE telem_spool_records gauge', `telem_spool_records ${gauges.spoolRecords}`);
    lines.push('# HELP telem_destination_backlog Deliveries waiting or in flight, per destination.', '# TYPE telem_destination_backlog gauge');
    for (const [destination, value] of Object.entries(gauges.backlog)) lines.push(`telem_destination_backlog${labelText({ destination })} ${value}`);
    lines.push(...destinationLines(gauges.destinations));
    lines.push('# HELP telem_delivery_latency_ms Time from acceptance to delivery.', '# TYPE telem_delivery_latency_ms histogram');
    for (const [destination, histogram] of this.#latency) {
      LATENCY_BUCKETS_MS.forEach((bound, index) => lines.push(`telem_delivery_latency_ms_bucket${labelText({ destination, le: String(bound) })} ${histogram.buckets[index]}`));
      lines.push(`telem_delivery_latency_ms_bucket${labelText({ destination, le: '+Inf' })} ${histogram.count}`);
      lines.push(`telem_delivery_latency_ms_sum${labelText({ destination })} ${histogram.sum}`);
      lines.push(`telem_delivery_latency_ms_count${labelText({ destination })} ${histogram.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function destinationLines(destinations: MetricsGauges['destinations']): string[] {
  const entries = Object.entries(destinations);
  const gauge = (name: string, help: string, value: (health: MetricsGauges['destinations'][string]) => number | null) => {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
    for (const [destination, health] of entries) {
      const sample = value(health);
      if (sample !== null) lines.push(`${name}${labelText({ destination })} ${sample}`);
    }
    return lines;
  };
  const lines = [
    ...gauge('telem_destination_failing', '1 while deliveries to the destination fail and are retried.', (health) => (health.state === 'failing' ? 1 : 0)),
    ...gauge('telem_destination_held_records', 'Records the destination refused (4xx), kept and retried until they expire.', (health) => health.held),
    ...gauge('telem_destination_last_success_timestamp_seconds', 'When the destination last took a record.', (health) => seconds(health.lastSuccessAt)),
    ...gauge('telem_destination_failing_since_timestamp_seconds', 'When the current run of failures began.', (health) => seconds(health.failingSince)),
    ...gauge('telem_destination_next_retry_timestamp_seconds', 'When the next attempt is due.', (health) => seconds(health.nextRetryAt)),
    '# HELP telem_delivery_failures_total Failed delivery requests (retried), by destination and reason.',
    '# TYPE telem_delivery_failures_total counter',
  ];
  for (const [destination, health] of entries)
    for (const [reason, count] of Object.entries(health.requests.failedByReason)) lines.push(`telem_delivery_failures_total${labelText({ destination, reason })} ${count}`);
  lines.push('# HELP telem_delivery_refusals_total Records the destination refused, by destination and HTTP status.', '# TYPE telem_delivery_refusals_total counter');
  for (const [destination, health] of entries)
    for (const [status, count] of Object.entries(health.requests.refusedByStatus)) lines.push(`telem_delivery_refusals_total${labelText({ destination, status })} ${count}`);
  return lines;
}
