/** Counters the agent keeps, rendered as Prometheus text for the opt-in metrics endpoint. */

type Labels = Readonly<Record<string, string>>;

const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30_000, 300_000];

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

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

export class AgentMetrics {
  readonly accepted = new Counter('telem_records_accepted_total', 'Records stored in the spool, by route.');
  readonly settled = new Counter('telem_records_settled_total', 'Record outcomes per destination: delivered, dropped, expired, rejected.');
  readonly drops = new Counter('telem_drops_total', 'Records not delivered, by reason (the drop ledger).');
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** Counts one drop by reason; `count` also feeds `telem status`. */
  drop(reason: string): void {
    this.drops.add({ reason });
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

  /** The drop ledger: drops by reason. */
  dropLedger(): Record<string, number> {
    const ledger: Record<string, number> = {};
    for (const { labels, value } of this.drops.values.values()) ledger[labels.reason as string] = value;
    return ledger;
  }

  render(gauges: { spoolBytes: number; spoolRecords: number; backlog: Record<string, number> }): string {
    const lines = [...this.accepted.render(), ...this.settled.render(), ...this.drops.render()];
    lines.push('# HELP telem_spool_bytes Bytes of records waiting in the spool.', '# TYPE telem_spool_bytes gauge', `telem_spool_bytes ${gauges.spoolBytes}`);
    lines.push('# HELP telem_spool_records Records waiting in the spool.', '# TYPE telem_spool_records gauge', `telem_spool_records ${gauges.spoolRecords}`);
    lines.push('# HELP telem_destination_backlog Deliveries waiting or in flight, per destination.', '# TYPE telem_destination_backlog gauge');
    for (const [destination, value] of Object.entries(gauges.backlog)) lines.push(`telem_destination_backlog${labelText({ destination })} ${value}`);
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
